//! Converza's two-step auth: an API key pair (`key_id` + `key_secret`) is
//! exchanged for a short-lived JWT with `POST /api/openapi/auth/token`
//! (`createToken`), and the JWT is sent as `Authorization: Bearer <jwt>` on
//! every other call.
//!
//! The exchange itself is the generated [`Client::create_token`] operation,
//! sent through the same hooks (so it is traced and retried like any
//! retry-safe call); only the caching around it is written here.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex as StdMutex, PoisonError};
use std::time::Duration;

use chatbots_runtime::{
    AuthContext, AuthError, Authenticate, ClientConfig, CredentialId, Envelope, ExposeSecret,
    SecretString,
};
use progenitor_client::Error;
use reqwest::header::{AUTHORIZATION, HeaderValue};
// tokio's clock, so that tests can move it instead of waiting.
use tokio::time::Instant;

use crate::{Client, VENDOR, operations, types};

/// The lifetime assumed when the vendor's answer has no `expires_in`: the
/// documented 24 hours.
const DOCUMENTED_LIFETIME: Duration = Duration::from_secs(86_400);

/// The longest safety margin before expiry at which a token is replaced.
const MAX_MARGIN: Duration = Duration::from_secs(60);

/// How Converza requests are authenticated: an API key pair exchanged for a
/// JWT, which is cached and shared by every clone of this value (and so by
/// every clone of the [`Client`] it is given to).
///
/// A token is reused until less than min(60 s, 10% of its lifetime) of it
/// remains; then the next call exchanges the key pair again. Concurrent
/// calls that find no valid token wait for one exchange instead of starting
/// their own. `Debug` shows neither the key pair nor the token.
#[derive(Clone)]
pub struct Auth {
    shared: Arc<Shared>,
}

struct Shared {
    key_id: SecretString,
    key_secret: SecretString,
    /// The current token, if any. Read without waiting on an exchange.
    cached: StdMutex<Option<CachedToken>>,
    /// Held around check-and-refresh, so that one exchange serves every
    /// caller that needs a new token at the same time.
    refresh: tokio::sync::Mutex<()>,
}

struct CachedToken {
    /// `Bearer <jwt>`, marked sensitive.
    header: HeaderValue,
    /// When to stop using it.
    refresh_at: Instant,
}

impl Auth {
    /// Credentials from an API key pair (`cvz_key_…`, `cvz_secret_…`),
    /// created in the Converza dashboard. No request is sent until the first
    /// call.
    pub fn new(key_id: SecretString, key_secret: SecretString) -> Self {
        Self {
            shared: Arc::new(Shared {
                key_id,
                key_secret,
                cached: StdMutex::new(None),
                refresh: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// Drops the cached token, so that the next call exchanges the key pair
    /// again (e.g. after the vendor answered 401 to a token it had issued).
    pub fn invalidate(&self) {
        *self.cache() = None;
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, Option<CachedToken>> {
        self.shared
            .cached
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The cached `Bearer` header value, if it is still fresh.
    fn fresh_token(&self) -> Option<HeaderValue> {
        self.cache()
            .as_ref()
            .filter(|token| Instant::now() < token.refresh_at)
            .map(|token| token.header.clone())
    }

    async fn bearer(&self, ctx: &AuthContext<'_>) -> Result<HeaderValue, AuthError> {
        if let Some(header) = self.fresh_token() {
            return Ok(header);
        }
        let _refreshing = self.shared.refresh.lock().await;
        // Another caller may have refreshed while this one waited.
        if let Some(header) = self.fresh_token() {
            return Ok(header);
        }
        let token = self
            .exchange(ctx.base_url.to_owned(), ctx.http.clone(), ctx.retry.clone())
            .await?;
        let header = token.header.clone();
        *self.cache() = Some(token);
        Ok(header)
    }

    /// Sends `createToken` with the key pair. Boxed because the exchange goes
    /// through the client's hooks, which call [`Authenticate::authenticate`]
    /// again (for `create_token`, which needs no token).
    fn exchange(
        &self,
        base_url: String,
        http: reqwest::Client,
        retry: chatbots_runtime::RetryPolicy,
    ) -> Pin<Box<dyn Future<Output = Result<CachedToken, AuthError>> + Send + 'static>> {
        let auth = self.clone();
        Box::pin(async move {
            let client = Client::new_with_client(
                &base_url,
                http,
                // The same pacer as the client's own calls (same server,
                // same credential): the exchange counts against the budget.
                crate::Inner::for_server(
                    VENDOR,
                    auth.clone(),
                    &ClientConfig {
                        retry,
                        ..ClientConfig::default()
                    },
                    &base_url,
                    crate::RATE_LIMIT,
                ),
            );
            let body = types::TokenRequest {
                key_id: auth.shared.key_id.expose_secret().to_owned(),
                key_secret: auth.shared.key_secret.expose_secret().to_owned(),
            };
            let started = Instant::now();
            let (result, record) =
                chatbots_runtime::record(client.create_token().body(body).send()).await;
            let status = record.status.map(|s| s.as_u16());
            let response = match result {
                Ok(response) => response,
                // A failure in transport says nothing about the key pair:
                // no status, so the error is transient (retryable).
                Err(
                    e @ (Error::CommunicationError(_)
                    | Error::ResponseBodyError(_)
                    | Error::InvalidUpgrade(_)),
                ) => {
                    let refused = auth.refused(None, describe(&e));
                    return Err(match e {
                        Error::CommunicationError(cause)
                        | Error::ResponseBodyError(cause)
                        | Error::InvalidUpgrade(cause) => refused.caused_by(cause),
                        _ => refused,
                    });
                }
                Err(e) => {
                    let mut refused = auth.refused(status, describe(&e));
                    refused.retry_after = record.retry_after;
                    return Err(refused);
                }
            };
            let status = Some(response.status().as_u16());
            let response = response.into_inner();
            if let Some(failure) = response.failure() {
                let detail = match (failure.code, failure.message) {
                    (Some(code), Some(message)) => format!(": {code}: {message}"),
                    (Some(text), None) | (None, Some(text)) => format!(": {text}"),
                    (None, None) => String::new(),
                };
                return Err(auth.refused(
                    status,
                    format!("the token exchange answered `success: false`{detail}"),
                ));
            }
            let data = response.data.unwrap_or_default();
            let Some(jwt) = data.access_token.filter(|t| !t.is_empty()) else {
                return Err(
                    auth.refused(status, "the token exchange returned no access_token".into())
                );
            };
            let mut header = HeaderValue::from_str(&format!("Bearer {jwt}")).map_err(|_| {
                auth.refused(
                    status,
                    "the access_token contains characters a header cannot carry".into(),
                )
            })?;
            header.set_sensitive(true);
            let lifetime = match data.expires_in {
                Some(seconds) => Duration::from_secs(u64::try_from(seconds).unwrap_or(0)),
                None => DOCUMENTED_LIFETIME,
            };
            let margin = MAX_MARGIN.min(lifetime / 10);
            let refresh_at = started
                .checked_add(lifetime - margin)
                .unwrap_or(started + DOCUMENTED_LIFETIME);
            Ok(CachedToken { header, refresh_at })
        })
    }

    /// An [`AuthError`] for a failed exchange. The vendor's text is kept, but
    /// never the key pair, even if the vendor echoed it.
    fn refused(&self, status: Option<u16>, message: String) -> AuthError {
        let message = self.redact(&message);
        let transient = match status {
            None => true,
            Some(s) => s == 429 || s >= 500,
        };
        AuthError::new(VENDOR, status, message, transient)
    }
}

/// What went wrong with the `createToken` call, without its body's secrets
/// (the request body is never part of a progenitor error).
fn describe(error: &Error<types::ErrorResponse>) -> String {
    match error {
        Error::ErrorResponse(response) => {
            let detail = response
                .failure()
                .and_then(|f| match (f.code, f.message) {
                    (Some(code), Some(message)) => Some(format!("{code}: {message}")),
                    (code, message) => message.or(code),
                })
                .map(|text| format!(": {text}"))
                .unwrap_or_default();
            format!("the token exchange was refused{detail}")
        }
        Error::CommunicationError(e) | Error::ResponseBodyError(e) | Error::InvalidUpgrade(e) => {
            format!("the token exchange failed in transport: {e}")
        }
        // The serde error can quote the body; say only where it broke.
        Error::InvalidResponsePayload(_, e) => format!(
            "the token exchange answered a body that is not the documented JSON (line {}, column {})",
            e.line(),
            e.column()
        ),
        Error::UnexpectedResponse(response) => format!(
            "the token exchange answered an undocumented status {}",
            response.status().as_u16()
        ),
        Error::InvalidRequest(message) | Error::Custom(message) => {
            format!("the token exchange could not be sent: {message}")
        }
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth")
            .field("key_id", &"[REDACTED]")
            .field("key_secret", &"[REDACTED]")
            .field("token_cached", &self.cache().is_some())
            .finish()
    }
}

impl Authenticate for Auth {
    async fn authenticate(
        &self,
        ctx: &AuthContext<'_>,
        request: &mut reqwest::Request,
    ) -> Result<(), AuthError> {
        // The token exchange is the one call sent without a token.
        if ctx.operation == operations::CREATE_TOKEN.id {
            return Ok(());
        }
        let header = self.bearer(ctx).await?;
        request.headers_mut().insert(AUTHORIZATION, header);
        Ok(())
    }

    /// Exchanges the key pair unless a fresh token is cached.
    async fn ready(&self, ctx: &AuthContext<'_>) -> Result<(), AuthError> {
        self.bearer(ctx).await.map(drop)
    }

    /// The key pair (not the token, which changes while the budget stays).
    fn credential_id(&self) -> CredentialId {
        CredentialId::of([
            self.shared.key_id.expose_secret().as_bytes(),
            self.shared.key_secret.expose_secret().as_bytes(),
        ])
    }

    /// Hides the key pair and the cached JWT.
    fn redact(&self, text: &str) -> String {
        let token = self.cache().as_ref().and_then(|t| {
            t.header
                .to_str()
                .ok()
                .map(|v| v.trim_start_matches("Bearer ").to_owned())
        });
        chatbots_runtime::redact_secrets(
            text,
            [
                self.shared.key_id.expose_secret(),
                self.shared.key_secret.expose_secret(),
                token.as_deref().unwrap_or_default(),
            ],
        )
    }
}
