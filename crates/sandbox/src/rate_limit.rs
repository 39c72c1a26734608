//! The rate-limit setting: [`RateLimit`] (a token bucket's size and
//! refill) and [`RateLimitRule`], one vendor's limit as `--rate-limit` takes
//! it. The buckets themselves are `bucket.rs`.

use std::fmt;
use std::str::FromStr;

use crate::Vendor;

/// A token bucket: `burst` requests at once per credential, refilled at
/// `per_second`.
///
/// ```
/// use chatbots_sandbox::RateLimit;
///
/// let limit: RateLimit = "10/s,burst=20".parse().unwrap();
/// assert_eq!(limit, RateLimit { burst: 20, per_second: 10.0 });
/// // Without `burst`: one second's worth.
/// assert_eq!("0.5/s".parse::<RateLimit>().unwrap(), RateLimit::per_second(0.5));
/// assert_eq!(RateLimit::per_second(0.5).burst, 1);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimit {
    /// Requests a full bucket allows at once.
    pub burst: u32,
    /// Tokens added back per second (0: the bucket never refills).
    pub per_second: f64,
}

impl RateLimit {
    /// StreamSkill's documented limit: a burst of 30, then 2 requests per
    /// second.
    #[deprecated(note = "use `RateLimit::documented(Vendor::StreamSkill)`")]
    pub const STREAMSKILL: RateLimit = crate::vendors::streamskill::limit::DOCUMENTED;

    /// The limit `vendor` documents, which the sandbox enforces by default
    /// with the vendor's own headers (its module's limiter): StreamSkill's
    /// burst of 30, then 2 requests per second, from its spec. `None` for
    /// a vendor that documents none (its limit is off unless set) or that
    /// the sandbox does not emulate.
    ///
    /// ```
    /// use chatbots_sandbox::{RateLimit, Vendor};
    ///
    /// let documented = RateLimit::documented(Vendor::StreamSkill);
    /// assert_eq!(documented, Some(RateLimit { burst: 30, per_second: 2.0 }));
    /// assert_eq!(RateLimit::documented(Vendor::OkChat), None);
    /// ```
    pub fn documented(vendor: Vendor) -> Option<RateLimit> {
        match crate::vendors::emulated(vendor)?.limiting {
            crate::vendors::Limiting::Own(limit) => Some(limit),
            crate::vendors::Limiting::PerCredential(_) => None,
        }
    }

    /// `rate` requests per second with a burst of one second's worth
    /// (`rate` rounded up, at least 1).
    pub fn per_second(rate: f64) -> RateLimit {
        let burst = if rate.is_finite() && rate > 1.0 {
            // Saturating float-to-int conversion: huge rates cap at u32::MAX.
            rate.ceil() as u32
        } else {
            1
        };
        RateLimit {
            burst,
            per_second: rate,
        }
    }
}

impl fmt::Display for RateLimit {
    /// The `--rate-limit` syntax: `10/s,burst=20`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/s,burst={}", self.per_second, self.burst)
    }
}

/// What `--rate-limit` takes, in words, for every parse error.
const SYNTAX: &str = "a rate limit is <vendor>=<rate>/s[,burst=<n>] (e.g. okchat=10/s,burst=10; \
                      <rate> a number ≥ 0, <n> a whole number ≥ 1, by default <rate> rounded up) \
                      or <vendor>=off";

/// Why a `--rate-limit` string did not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseRateLimitError(String);

impl fmt::Display for ParseRateLimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}; {SYNTAX}", self.0)
    }
}

impl std::error::Error for ParseRateLimitError {}

impl FromStr for RateLimit {
    type Err = ParseRateLimitError;

    /// `<rate>/s[,burst=<n>]`, e.g. `20/s` or `0.5/s,burst=5`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut parts = text.split(',').map(str::trim);
        let rate_text = parts.next().unwrap_or("");
        let Some(number) = rate_text.strip_suffix("/s") else {
            return Err(ParseRateLimitError(format!(
                "`{rate_text}` is not a rate: write it as <requests>/s"
            )));
        };
        let rate: f64 = number
            .trim()
            .parse()
            .ok()
            .filter(|r: &f64| r.is_finite() && *r >= 0.0)
            .ok_or_else(|| {
                ParseRateLimitError(format!(
                    "`{rate_text}`: `{number}` is not a number of requests ≥ 0"
                ))
            })?;
        let mut limit = RateLimit::per_second(rate);
        for part in parts {
            match part.split_once('=') {
                Some(("burst", value)) => {
                    limit.burst = value
                        .trim()
                        .parse()
                        .ok()
                        .filter(|n: &u32| *n >= 1)
                        .ok_or_else(|| {
                            ParseRateLimitError(format!(
                                "`burst={value}` is not a whole number ≥ 1"
                            ))
                        })?;
                }
                _ => return Err(ParseRateLimitError(format!("unknown `{part}`"))),
            }
        }
        Ok(limit)
    }
}

/// One vendor's rate limit as `--rate-limit` takes it: `okchat=10/s,burst=10`,
/// or `streamskill=off` (`limit` `None`).
///
/// ```
/// use chatbots_sandbox::{RateLimit, RateLimitRule, Vendor};
///
/// let rule: RateLimitRule = "okchat=10/s,burst=10".parse().unwrap();
/// assert_eq!(rule.vendor, Vendor::OkChat);
/// assert_eq!(rule.limit, Some(RateLimit { burst: 10, per_second: 10.0 }));
/// let off: RateLimitRule = "streamskill=off".parse().unwrap();
/// assert_eq!(off.limit, None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimitRule {
    /// The vendor it applies to.
    pub vendor: Vendor,
    /// `None`: no limit for this vendor.
    pub limit: Option<RateLimit>,
}

impl FromStr for RateLimitRule {
    type Err = ParseRateLimitError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let Some((slug, limit)) = text.split_once('=') else {
            return Err(ParseRateLimitError(format!("`{text}` names no vendor")));
        };
        let vendor = Vendor::from_slug(slug.trim()).ok_or_else(|| {
            let known: Vec<&str> = Vendor::ALL.iter().map(|v| v.slug()).collect();
            ParseRateLimitError(format!(
                "unknown vendor `{}` (one of {})",
                slug.trim(),
                known.join(", ")
            ))
        })?;
        let limit = match limit.trim() {
            "off" => None,
            other => Some(other.parse()?),
        };
        Ok(RateLimitRule { vendor, limit })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_parses_back() {
        for limit in [
            RateLimit::documented(Vendor::StreamSkill).expect("documented"),
            RateLimit::per_second(0.5),
            RateLimit {
                burst: 7,
                per_second: 0.0,
            },
        ] {
            assert_eq!(limit.to_string().parse::<RateLimit>(), Ok(limit));
        }
    }

    #[test]
    #[allow(deprecated)]
    fn the_deprecated_constant_is_the_documented_limit() {
        assert_eq!(
            Some(RateLimit::STREAMSKILL),
            RateLimit::documented(Vendor::StreamSkill)
        );
    }

    #[test]
    fn huge_rates_saturate_the_burst() {
        assert_eq!(RateLimit::per_second(1e30).burst, u32::MAX);
        assert_eq!(RateLimit::per_second(f64::NAN).burst, 1);
    }
}
