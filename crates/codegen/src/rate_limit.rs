//! The spec's documented request budget (`x-chatbots-rate-limit` at the
//! root), read and checked here so that the generated client gets it as
//! data: `rate_limit: { burst: …, per_second: … }` in its
//! `vendor_client!` call.

use serde_json::Value;

/// Root-level spec extension with the vendor's documented rate limit:
///
/// ```yaml
/// x-chatbots-rate-limit:
///   description: where the figures come from
///   authenticated: { burst: 30, per_second: 2 }
///   guest: { burst: 5, per_second: 0.5 }
/// ```
///
/// `authenticated` is required and is what the client paces by (every
/// generated call carries the credential); `guest` documents the budget of
/// requests without one. A spec without the extension gets a client that
/// learns the limit from 429 answers.
pub const RATE_LIMIT_EXTENSION: &str = "x-chatbots-rate-limit";

/// A token bucket as the spec documents it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DocumentedLimit {
    /// Requests a full bucket allows at once (≥ 1).
    pub burst: u32,
    /// Requests per second the bucket refills at (finite, > 0).
    pub per_second: f64,
}

/// The authenticated limit of `x-chatbots-rate-limit`, `None` without the
/// extension; `Err` names the key at fault.
pub fn documented_limit(api: &openapiv3::OpenAPI) -> Result<Option<DocumentedLimit>, String> {
    let Some(extension) = api.extensions.get(RATE_LIMIT_EXTENSION) else {
        return Ok(None);
    };
    let at = |key: &str| format!("`{RATE_LIMIT_EXTENSION}.{key}`");
    let Value::Object(fields) = extension else {
        return Err(format!(
            "`{RATE_LIMIT_EXTENSION}` must be a mapping with `authenticated` \
             (and optionally `guest`, `description`)"
        ));
    };
    let mut authenticated = None;
    for (key, value) in fields {
        match key.as_str() {
            "description" if value.is_string() => {}
            "description" => return Err(format!("{} must be text", at(key))),
            "authenticated" => authenticated = Some(bucket(value, key, &at)?),
            "guest" => {
                bucket(value, key, &at)?;
            }
            other => {
                return Err(format!(
                    "{} is not known (expected `authenticated`, `guest`, `description`)",
                    at(other)
                ));
            }
        }
    }
    authenticated
        .map(Some)
        .ok_or_else(|| format!("{} is missing", at("authenticated")))
}

/// One `{ burst, per_second }` mapping under `key`.
fn bucket(
    value: &Value,
    key: &str,
    at: &dyn Fn(&str) -> String,
) -> Result<DocumentedLimit, String> {
    let Value::Object(fields) = value else {
        return Err(format!(
            "{} must be a mapping with `burst` and `per_second`",
            at(key)
        ));
    };
    if let Some(unknown) = fields
        .keys()
        .find(|k| !matches!(k.as_str(), "burst" | "per_second"))
    {
        return Err(format!(
            "{} is not known (expected `burst`, `per_second`)",
            at(&format!("{key}.{unknown}"))
        ));
    }
    let burst = fields
        .get("burst")
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .filter(|n| *n >= 1)
        .ok_or_else(|| {
            format!(
                "{} must be a whole number from 1 to {}",
                at(&format!("{key}.burst")),
                u32::MAX
            )
        })?;
    let per_second = fields
        .get("per_second")
        .and_then(Value::as_f64)
        .filter(|r| r.is_finite() && *r > 0.0)
        .ok_or_else(|| {
            format!(
                "{} must be a number of requests per second > 0",
                at(&format!("{key}.per_second"))
            )
        })?;
    Ok(DocumentedLimit { burst, per_second })
}

/// The `vendor_client!` argument for `limit`, or nothing.
pub(crate) fn macro_argument(limit: Option<DocumentedLimit>) -> String {
    // `{:?}` writes an f64 with a decimal point (`2.0`), as a float literal
    // needs.
    limit
        .map(|l| {
            format!(
                "    rate_limit: {{ burst: {}, per_second: {:?} }},\n",
                l.burst, l.per_second
            )
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(extension: &str) -> openapiv3::OpenAPI {
        let yaml =
            format!("openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths: {{}}\n{extension}");
        serde_norway::from_str(&yaml).unwrap()
    }

    #[test]
    fn the_authenticated_limit_is_read_and_written_as_a_macro_argument() {
        let limit = documented_limit(&api(
            "x-chatbots-rate-limit:\n  description: errors page\n  authenticated: {burst: 30, per_second: 2}\n  guest: {burst: 5, per_second: 0.5}\n",
        ))
        .unwrap();
        assert_eq!(
            limit,
            Some(DocumentedLimit {
                burst: 30,
                per_second: 2.0
            })
        );
        assert_eq!(
            macro_argument(limit),
            "    rate_limit: { burst: 30, per_second: 2.0 },\n"
        );
        assert_eq!(documented_limit(&api("")).unwrap(), None);
        assert_eq!(macro_argument(None), "");
    }

    #[test]
    fn a_malformed_extension_names_the_key() {
        for (extension, key) in [
            ("x-chatbots-rate-limit: 30\n", "`x-chatbots-rate-limit`"),
            (
                "x-chatbots-rate-limit: {guest: {burst: 5, per_second: 1}}\n",
                "`x-chatbots-rate-limit.authenticated` is missing",
            ),
            (
                "x-chatbots-rate-limit: {authenticated: {burst: 0, per_second: 1}}\n",
                "`x-chatbots-rate-limit.authenticated.burst`",
            ),
            (
                "x-chatbots-rate-limit: {authenticated: {burst: 5000000000, per_second: 1}}\n",
                "`x-chatbots-rate-limit.authenticated.burst`",
            ),
            (
                "x-chatbots-rate-limit: {authenticated: {burst: 1, per_second: -1}}\n",
                "`x-chatbots-rate-limit.authenticated.per_second`",
            ),
            (
                "x-chatbots-rate-limit: {authenticated: {burst: 1, per_second: '2'}}\n",
                "`x-chatbots-rate-limit.authenticated.per_second`",
            ),
            (
                "x-chatbots-rate-limit: {authenticated: {burst: 1, per_second: 1}, guest: {burst: 1}}\n",
                "`x-chatbots-rate-limit.guest.per_second`",
            ),
            (
                "x-chatbots-rate-limit: {authenticated: {burst: 1, per_second: 1, per_minute: 2}}\n",
                "`x-chatbots-rate-limit.authenticated.per_minute` is not known",
            ),
            (
                "x-chatbots-rate-limit: {authenticated: {burst: 1, per_second: 1}, admin: {}}\n",
                "`x-chatbots-rate-limit.admin` is not known",
            ),
        ] {
            let err = documented_limit(&api(extension)).unwrap_err();
            assert!(err.contains(key), "{extension}: {err}");
        }
    }
}
