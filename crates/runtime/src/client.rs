//! The glue between a generated progenitor `Client` and [`Inner`]:
//! [`vendor_client!`](crate::vendor_client), which `chatbots-codegen` calls
//! at the end of every generated client.
//!
//! progenitor's `ClientHooks` must be implemented in the crate that
//! includes the generated client (the orphan rule), and the constructors
//! are inherent methods of that client, so they are written by a macro;
//! what they do is here, in ordinary functions.

use std::future::Future;

use crate::{AuthError, Authenticate, ClientConfig, ConfigError, Inner, RateLimit, check_base_url};

/// What every generated vendor client offers beyond its operations, for code
/// that drives several vendors generically (the facade).
pub trait VendorClient: Clone + Send + Sync + 'static {
    /// The vendor's credentials type.
    type Auth: Authenticate;

    /// The runtime state: auth, retry policy, tracing.
    fn runtime(&self) -> &Inner<Self::Auth>;

    /// Obtains the credentials ahead of a call (Converza's token exchange),
    /// so that a failure comes back as a typed [`AuthError`] instead of the
    /// text a generated call carries it as.
    fn ready(&self) -> impl Future<Output = Result<(), AuthError>> + Send;
}

/// What a generated client is made of, from its settings: the base URL
/// (without a trailing `/`) and the runtime state, paced by `rate_limit`
/// (the spec's) unless the settings say otherwise. For
/// [`vendor_client!`](crate::vendor_client).
pub fn client_parts<A: Authenticate>(
    vendor: &'static str,
    default_base_url: &'static str,
    rate_limit: Option<RateLimit>,
    auth: A,
    config: &ClientConfig,
) -> Result<(String, Inner<A>), ConfigError> {
    let base_url = config.base_url.as_deref().unwrap_or(default_base_url);
    check_base_url(vendor, base_url)?;
    let base_url = base_url.trim_end_matches('/').to_owned();
    let inner = Inner::for_server(vendor, auth, config, &base_url, rate_limit);
    Ok((base_url, inner))
}

/// Writes what every vendor crate adds to its generated `Client`: `VENDOR`,
/// `DEFAULT_BASE_URL`, `RATE_LIMIT`, the `Inner` type, `is_retry_safe`,
/// `request_body_schema`, the `ClientHooks` impl into [`Inner`], the
/// constructors (`from_auth`, `with_config`, `with_http`), `runtime()`,
/// `ready()`, `send_manual`, the [`VendorClient`] impl and, for a spec whose
/// security scheme is one header, `header_auth`.
///
/// Called by the code `chatbots-codegen` generates, in the vendor crate's
/// root, after progenitor's `Client` and the generated `operations` module;
/// `auth` is the crate's hand-written auth type; `rate_limit` the spec's
/// `x-chatbots-rate-limit` (authenticated), when it has one.
#[macro_export]
macro_rules! vendor_client {
    (@rate_limit) => { ::std::option::Option::None };
    (@rate_limit { burst: $burst:literal, per_second: $per_second:literal }) => {
        ::std::option::Option::Some($crate::RateLimit { burst: $burst, per_second: $per_second })
    };
    (
        vendor: $vendor:literal,
        default_base_url: $base_url:literal,
        operations: $operations:expr,
        auth: $auth:ty,
        $(header_auth: { scheme: $scheme:literal, header: $header:literal, prefix: $prefix:literal },)?
        $(rate_limit: $rate_limit:tt,)?
    ) => {
        pub use $crate::{
            ClientConfig, Envelope, Pacing, RateLimit, RetryPolicy, SecretString, VendorFailure,
        };

        /// The vendor name, as in `specs/<vendor>.yaml`.
        pub const VENDOR: &str = $vendor;

        /// The vendor's production base URL (the spec's first `servers` entry).
        pub const DEFAULT_BASE_URL: &str = $base_url;

        /// The vendor's documented rate limit for an authenticated client
        /// (the spec's `x-chatbots-rate-limit`), which clients are paced by
        /// unless [`Pacing`] says otherwise; `None`: none documented, so a
        /// client learns one from 429 answers.
        pub const RATE_LIMIT: ::std::option::Option<$crate::RateLimit> =
            $crate::vendor_client!(@rate_limit $($rate_limit)?);

        /// The runtime state every generated call goes through: auth, retry
        /// policy, tracing.
        pub type Inner = $crate::Inner<$auth>;

        /// Whether an operation (by the snake_case id hooks see) may be
        /// retried after a transient failure: see [`operations`].
        pub fn is_retry_safe(operation_id: &str) -> bool {
            $crate::Operation::find($operations, operation_id).is_some_and(|op| op.retry_safe)
        }

        /// The JSON Schema of an operation's request body (by the snake_case
        /// id hooks see), `$ref`s inlined: the documented ranges, enums and
        /// required fields that the generated types do not enforce. Compiled
        /// once, on first use; `Ok(None)` for an operation without a JSON
        /// body (or an unknown id), `Err` for a schema that does not compile.
        pub fn request_body_schema(
            operation_id: &str,
        ) -> ::std::result::Result<
            ::std::option::Option<&'static $crate::Schema>,
            $crate::SchemaError,
        > {
            match $crate::Operation::find($operations, operation_id) {
                Some(operation) => operation.request_schema(),
                None => Ok(None),
            }
        }

        $(
            #[doc = concat!(
                "Credentials as the spec's `", $scheme,
                "` security scheme sends them: `", $header, ": ", $prefix, "<secret>`."
            )]
            pub fn header_auth(
                secret: &$crate::SecretString,
            ) -> ::std::result::Result<$crate::HeaderAuth, $crate::ConfigError> {
                $crate::HeaderAuth::new(VENDOR, $header, $prefix, secret)
            }
        )?

        impl $crate::__private::ClientHooks<Inner> for Client {
            async fn pre<E>(
                &self,
                request: &mut ::reqwest::Request,
                info: &$crate::__private::OperationInfo,
            ) -> ::std::result::Result<(), $crate::__private::Error<E>> {
                self.inner
                    .prepare(&self.client, &self.baseurl, request, info.operation_id)
                    .await
                    .map_err($crate::__private::hook_error)
            }

            // `Inner::execute`'s future itself, not one more async layer
            // around it (each would copy the request and the future).
            fn exec(
                &self,
                request: ::reqwest::Request,
                info: &$crate::__private::OperationInfo,
            ) -> impl ::std::future::Future<Output = ::reqwest::Result<::reqwest::Response>> {
                self.inner.execute(
                    &self.client,
                    request,
                    info.operation_id,
                    is_retry_safe(info.operation_id),
                )
            }
        }

        impl $crate::VendorClient for Client {
            type Auth = $auth;

            fn runtime(&self) -> &Inner {
                &self.inner
            }

            async fn ready(&self) -> ::std::result::Result<(), $crate::AuthError> {
                self.inner.ready(&self.client, &self.baseurl).await
            }
        }

        impl Client {
            /// A client for the production API with default timeouts and retries.
            pub fn from_auth(
                auth: $auth,
            ) -> ::std::result::Result<Self, $crate::ConfigError> {
                Self::with_config(auth, &$crate::ClientConfig::default())
            }

            /// A client with explicit settings (base URL, timeouts, retries,
            /// pacing).
            pub fn with_config(
                auth: $auth,
                config: &$crate::ClientConfig,
            ) -> ::std::result::Result<Self, $crate::ConfigError> {
                Self::with_http(auth, config, config.http_client()?)
            }

            /// Like [`Client::with_config`], on an HTTP client built before
            /// (`config.http_client()`), so that several vendor clients can
            /// share one connection pool and TLS set-up.
            pub fn with_http(
                auth: $auth,
                config: &$crate::ClientConfig,
                http: ::reqwest::Client,
            ) -> ::std::result::Result<Self, $crate::ConfigError> {
                let (base_url, inner) = $crate::__private::client_parts(
                    VENDOR,
                    DEFAULT_BASE_URL,
                    RATE_LIMIT,
                    auth,
                    config,
                )?;
                Ok(Self::new_with_client(&base_url, http, inner))
            }

            /// The runtime state: auth, retry policy, tracing.
            pub fn runtime(&self) -> &Inner {
                &self.inner
            }

            /// Obtains the credentials ahead of a call (a token exchange
            /// where the vendor has one), so that a failure comes back as a
            /// typed [`AuthError`](chatbots_runtime::AuthError); a generated
            /// call carries it only as text in `Error::Custom`.
            pub async fn ready(&self) -> ::std::result::Result<(), $crate::AuthError> {
                self.inner.ready(&self.client, &self.baseurl).await
            }

            /// Sends a hand-built request for `operation` (one the spec marks
            /// `x-chatbots-manual`, such as a multipart upload) through the
            /// same steps as the generated calls, and decodes it the same
            /// way. See [`chatbots_runtime::Inner::send_manual`].
            pub async fn send_manual<T, E>(
                &self,
                request: ::reqwest::Request,
                operation: &$crate::Operation,
            ) -> ::std::result::Result<
                $crate::__private::ResponseValue<T>,
                $crate::__private::Error<E>,
            >
            where
                T: ::serde::de::DeserializeOwned,
                E: ::serde::de::DeserializeOwned,
            {
                self.inner
                    .send_manual(&self.client, &self.baseurl, request, operation)
                    .await
            }
        }
    };
}
