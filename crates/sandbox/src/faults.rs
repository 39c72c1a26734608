//! Fault injection: rules that make matching requests slow or fail the ways
//! real vendors do, for users' resilience tests.

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::Vendor;
use crate::escape::{needs_escape, printable};

/// What happens to a request a rule matches.
///
/// More faults may come: a `match` on it needs a `_` arm.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Fault {
    /// Waits this long, then answers normally.
    Latency(Duration),
    /// 429 with `Retry-After` (whole seconds, rounded up), in the vendor's
    /// error shape.
    RateLimited { retry_after: Duration },
    /// This HTTP status (5xx, usually), in the vendor's error shape.
    Status(u16),
    /// HTTP 200 with `Content-Type: application/json` and a body that is not
    /// JSON.
    MalformedJson,
    /// The normal answer, cut off halfway through its body: the connection
    /// closes before `Content-Length` bytes arrive.
    TruncatedBody,
    /// The connection is reset (TCP RST) without an answer.
    ConnectionReset,
    /// An update is answered exactly as usual (the vendor's normal success
    /// answer, showing the new value) but this one field of it is not
    /// stored: a later read shows its old value while the update's other
    /// fields changed — a vendor that "did not keep" a field. The name is a
    /// shared field as the facade names it (`name`, `greeting`,
    /// `instructions`, …), which each vendor maps to where its update body
    /// keeps it, or else a path in the vendor's update body, keys joined by
    /// dots (`settings.greeting`). It applies only to the updates of a bot
    /// whose body carries the field (reads and other updates are answered
    /// normally and do not count against `times`), and at most
    /// [`Fault::MAX_FIELD_NAME`] bytes long from `--fault`.
    ///
    /// ```
    /// use chatbots_sandbox::{Fault, FaultRule, Vendor};
    ///
    /// // The next PureTalk update carrying the greeting (`begin_message`)
    /// // succeeds, but the assistant keeps its old greeting.
    /// let rule = FaultRule::new(Fault::DropField("greeting".into()))
    ///     .vendor(Vendor::PureTalk)
    ///     .times(1);
    /// assert_eq!(rule.to_string(), "drop-field=greeting,vendor=puretalk,times=1");
    /// assert_eq!("drop-field=greeting,vendor=puretalk,times=1".parse(), Ok(rule));
    /// ```
    DropField(String),
}

impl Fault {
    /// The longest a request is delayed: the most a `latency` rule may ask
    /// for (`--fault` and `POST /_sandbox/faults` refuse more), and the cap
    /// on the sum of every latency rule a request matches (rules added from
    /// code may ask for more; they get this).
    pub const MAX_LATENCY: Duration = Duration::from_secs(600);

    /// The longest field name a `drop-field` rule may name, in bytes
    /// (`--fault` and `POST /_sandbox/faults` refuse more): far above any
    /// vendor's field path, and small enough that rules stay cheap to match.
    pub const MAX_FIELD_NAME: usize = 256;
}

/// The rule syntax `--fault` takes: `latency=<ms>`, `rate-limit=<s>`,
/// `status=<code>`, `malformed-json`, `truncate`, `reset`,
/// `drop-field=<name>` (the name with control characters escaped). A duration that
/// is not whole milliseconds (seconds for `rate-limit`) is written with a
/// decimal fraction, which the parser reads back exactly.
impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Latency(d) => {
                let nanos = d.as_nanos();
                write!(f, "latency={}", nanos / 1_000_000)?;
                fraction(f, (nanos % 1_000_000) as u32, 6)
            }
            Fault::RateLimited { retry_after } => {
                write!(f, "rate-limit={}", retry_after.as_secs())?;
                fraction(f, retry_after.subsec_nanos(), 9)
            }
            Fault::Status(code) => write!(f, "status={code}"),
            Fault::MalformedJson => f.write_str("malformed-json"),
            Fault::TruncatedBody => f.write_str("truncate"),
            Fault::ConnectionReset => f.write_str("reset"),
            Fault::DropField(name) => write!(f, "drop-field={}", printable(name)),
        }
    }
}

/// `.<digits>` of a fraction `part / 10^digits`, trailing zeros dropped;
/// nothing when it is zero.
fn fraction(f: &mut fmt::Formatter<'_>, part: u32, digits: usize) -> fmt::Result {
    if part == 0 {
        return Ok(());
    }
    let text = format!("{part:0digits$}");
    write!(f, ".{}", text.trim_end_matches('0'))
}

/// `value` as a duration counted in units of `unit_nanos` nanoseconds (a
/// millisecond or a second), with at most as many decimals as a
/// nanosecond allows; `None` when it is not such a number.
fn parse_duration(value: &str, unit_nanos: u32) -> Option<Duration> {
    let (whole, decimals) = value.split_once('.').unwrap_or((value, ""));
    let digits = unit_nanos.ilog10() as usize;
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || value.ends_with('.')
        || !all_digits(whole)
        || !all_digits(decimals)
        || decimals.len() > digits
    {
        return None;
    }
    let whole: u64 = whole.parse().ok()?;
    let part: u32 = if decimals.is_empty() {
        0
    } else {
        format!("{decimals:0<digits$}").parse().ok()?
    };
    let per_second = u64::from(1_000_000_000 / unit_nanos);
    let nanos = (whole % per_second) as u32 * unit_nanos + part;
    Some(Duration::new(whole / per_second, nanos))
}

/// A fault, where it applies, and how often.
///
/// Without [`times`](Self::times) or [`fraction`](Self::fraction) it applies
/// to every matching request until [`Faults::clear`].
///
/// ```
/// use chatbots_sandbox::{Fault, FaultRule, Vendor};
///
/// // The next two OKChat chatbot requests get a 503.
/// let rule = FaultRule::new(Fault::Status(503))
///     .vendor(Vendor::OkChat)
///     .route("/api/external/chatbots")
///     .times(2);
/// // The same rule, as `--fault` takes it on the command line.
/// let parsed: FaultRule = "status=503,vendor=okchat,route=/api/external/chatbots,times=2"
///     .parse()
///     .unwrap();
/// assert_eq!(rule, parsed);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct FaultRule {
    pub fault: Fault,
    /// Only this vendor's requests; `None`: every vendor.
    pub vendor: Option<Vendor>,
    /// Only requests whose path below the vendor's base URL starts with
    /// this (`/purchases`); `None`: every route.
    pub route: Option<String>,
    /// Only this HTTP method; `None`: every method.
    pub method: Option<String>,
    /// Only the next this many matching requests; `None`: no limit.
    pub times: Option<u64>,
    /// Only this share of matching requests, chosen at random (0.0–1.0).
    pub fraction: Option<f64>,
}

impl FaultRule {
    /// `fault` on every request, until narrowed.
    pub fn new(fault: Fault) -> Self {
        FaultRule {
            fault,
            vendor: None,
            route: None,
            method: None,
            times: None,
            fraction: None,
        }
    }

    /// Only requests to `vendor`.
    pub fn vendor(mut self, vendor: Vendor) -> Self {
        self.vendor = Some(vendor);
        self
    }

    /// Only requests whose path (below the vendor's base URL) starts with
    /// `prefix`.
    pub fn route(mut self, prefix: impl Into<String>) -> Self {
        self.route = Some(prefix.into());
        self
    }

    /// Only requests with this HTTP method.
    pub fn method(mut self, method: impl Into<String>) -> Self {
        self.method = Some(method.into().to_ascii_uppercase());
        self
    }

    /// Only the next `n` matching requests.
    pub fn times(mut self, n: u64) -> Self {
        self.times = Some(n);
        self
    }

    /// Only a random `share` (0.0–1.0) of matching requests.
    pub fn fraction(mut self, share: f64) -> Self {
        self.fraction = Some(share.clamp(0.0, 1.0));
        self
    }

    fn matches(&self, vendor: Option<Vendor>, method: &str, route: &str) -> bool {
        self.vendor.is_none_or(|v| Some(v) == vendor)
            && self.method.as_deref().is_none_or(|m| m == method)
            && self.route.as_deref().is_none_or(|r| route.starts_with(r))
    }
}

/// The rule as `--fault` takes it (`status=503,vendor=okchat,times=2`):
/// parsing the text gives the same rule back. The route and method are
/// shown with control characters escaped ([`printable`](crate::printable)),
/// so the text is safe on a terminal; the parser refuses such characters,
/// so no rule it accepts changes that way.
impl fmt::Display for FaultRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.fault)?;
        if let Some(vendor) = self.vendor {
            write!(f, ",vendor={}", vendor.slug())?;
        }
        if let Some(route) = &self.route {
            write!(f, ",route={}", printable(route))?;
        }
        if let Some(method) = &self.method {
            write!(f, ",method={}", printable(method))?;
        }
        if let Some(times) = self.times {
            write!(f, ",times={times}")?;
        }
        if let Some(share) = self.fraction {
            write!(f, ",fraction={share}")?;
        }
        Ok(())
    }
}

/// Why a `--fault` string did not parse. Its text quotes the rule, with
/// control characters escaped ([`printable`](crate::printable)): it goes to
/// a console or back to an HTTP client as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseFaultError(String);

impl fmt::Display for ParseFaultError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}; a fault is KIND[,FILTER...] with KIND one of latency=<ms, at most 600000>, rate-limit=<retry-after s>, \
             status=<code>, malformed-json, truncate, reset, drop-field=<field, at most 256 bytes> and FILTER one of vendor=<slug>, \
             route=<path prefix>, method=<METHOD>, times=<n>, fraction=<0..1>",
            printable(&self.0)
        )
    }
}

impl std::error::Error for ParseFaultError {}

impl FromStr for FaultRule {
    type Err = ParseFaultError;

    /// `KIND[,FILTER...]`, e.g. `rate-limit=2,vendor=streamskill,times=3` or
    /// `latency=1500,fraction=0.1`. Latency is in milliseconds (at most
    /// [`Fault::MAX_LATENCY`]), `rate-limit` in seconds; both may have a
    /// decimal fraction down to the nanosecond. A route or method with a
    /// control character is refused: no request path holds one.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut fault = None;
        let mut rule = FaultRule::new(Fault::Status(500));
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part.split_once('=').unwrap_or((part, ""));
            let number = |what: &str| -> Result<u64, ParseFaultError> {
                value
                    .parse()
                    .map_err(|_| ParseFaultError(format!("`{key}` needs {what}, got `{value}`")))
            };
            let duration = |unit_nanos: u32, what: &str| {
                parse_duration(value, unit_nanos)
                    .ok_or_else(|| ParseFaultError(format!("`{key}` needs {what}, got `{value}`")))
            };
            let plain = |text: &str| {
                if let Some(c) = text.chars().find(|c| needs_escape(*c)) {
                    return Err(ParseFaultError(format!(
                        "`{key}` holds the control character U+{:04X}",
                        u32::from(c)
                    )));
                }
                Ok(text.to_string())
            };
            let bare = |fault: Fault| {
                if value.is_empty() && !part.contains('=') {
                    Ok(Some(fault))
                } else {
                    Err(ParseFaultError(format!("`{key}` takes no value")))
                }
            };
            let kind = match key {
                "latency" => {
                    let delay = duration(1_000_000, "milliseconds")?;
                    if delay > Fault::MAX_LATENCY {
                        return Err(ParseFaultError(format!(
                            "`latency={value}` is above the maximum of {} ms",
                            Fault::MAX_LATENCY.as_millis()
                        )));
                    }
                    Some(Fault::Latency(delay))
                }
                "rate-limit" => Some(Fault::RateLimited {
                    retry_after: duration(1_000_000_000, "seconds")?,
                }),
                "status" => {
                    let code = number("an HTTP status")?;
                    if !(100..=599).contains(&code) {
                        return Err(ParseFaultError(format!(
                            "`status={code}` is not an HTTP status"
                        )));
                    }
                    Some(Fault::Status(code as u16))
                }
                "malformed-json" => bare(Fault::MalformedJson)?,
                "truncate" => bare(Fault::TruncatedBody)?,
                "reset" => bare(Fault::ConnectionReset)?,
                "drop-field" => {
                    let name = plain(value)?;
                    if name.is_empty() {
                        return Err(ParseFaultError(
                            "`drop-field` needs the name of a field".into(),
                        ));
                    }
                    if name.len() > Fault::MAX_FIELD_NAME {
                        return Err(ParseFaultError(format!(
                            "`drop-field` names a field of {} bytes, above the maximum of {}",
                            name.len(),
                            Fault::MAX_FIELD_NAME
                        )));
                    }
                    Some(Fault::DropField(name))
                }
                "vendor" => {
                    rule.vendor = Some(
                        Vendor::from_slug(value)
                            .ok_or_else(|| ParseFaultError(format!("unknown vendor `{value}`")))?,
                    );
                    None
                }
                "route" => {
                    rule.route = Some(plain(value)?);
                    None
                }
                "method" => {
                    rule.method = Some(plain(value)?.to_ascii_uppercase());
                    None
                }
                "times" => {
                    rule.times = Some(number("a count")?);
                    None
                }
                "fraction" => {
                    let share: f64 = value.parse().map_err(|_| {
                        ParseFaultError(format!("`fraction` needs a number, got `{value}`"))
                    })?;
                    if !(0.0..=1.0).contains(&share) {
                        return Err(ParseFaultError(format!(
                            "`fraction={value}` is not within 0..1"
                        )));
                    }
                    rule.fraction = Some(share);
                    None
                }
                _ => return Err(ParseFaultError(format!("unknown `{key}`"))),
            };
            if let Some(kind) = kind
                && fault.replace(kind).is_some()
            {
                return Err(ParseFaultError(format!("`{text}` names two faults")));
            }
        }
        rule.fault = fault.ok_or_else(|| ParseFaultError(format!("`{text}` names no fault")))?;
        Ok(rule)
    }
}

/// The fault rules of one sandbox, shared with its server; cheap to clone.
#[derive(Clone, Default)]
pub struct Faults {
    inner: Arc<Inner>,
}

struct Inner {
    // Lets the common case (no rules) skip the lock.
    any: AtomicBool,
    rules: Mutex<Vec<FaultRule>>,
    /// Requests received per vendor, at the vendor's position in
    /// `Vendor::ALL`: sized from the registry, so a vendor added there is
    /// counted too.
    requests: Box<[AtomicU64]>,
}

impl Default for Inner {
    fn default() -> Self {
        Inner {
            any: AtomicBool::new(false),
            rules: Mutex::new(Vec::new()),
            requests: Vendor::ALL.iter().map(|_| AtomicU64::new(0)).collect(),
        }
    }
}

impl Inner {
    /// `vendor`'s request counter. `Vendor` is `#[non_exhaustive]`: its
    /// position in `Vendor::ALL`, never a cast of the variant, says where.
    fn counter(&self, vendor: Vendor) -> Option<&AtomicU64> {
        let position = Vendor::ALL.iter().position(|v| *v == vendor)?;
        self.requests.get(position)
    }
}

/// What the server does to one request.
#[derive(Debug, Default)]
pub(crate) struct Decision {
    pub(crate) delay: Duration,
    /// Never a `DropField`: see `may_drop`.
    pub(crate) fault: Option<Fault>,
    /// A `drop-field` rule matches the request's vendor, route and method:
    /// its handler, if it is an update, is to ask
    /// ([`crate::drop_field::Dropping`]).
    pub(crate) may_drop: bool,
}

impl Faults {
    /// Adds a rule; it applies from the next request on.
    pub fn inject(&self, rule: FaultRule) {
        let mut rules = self
            .inner
            .rules
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        rules.push(rule);
        self.inner.any.store(true, Ordering::Release);
    }

    /// Removes every rule.
    pub fn clear(&self) {
        let mut rules = self
            .inner
            .rules
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        rules.clear();
        self.inner.any.store(false, Ordering::Release);
    }

    /// The rules still active.
    pub fn rules(&self) -> Vec<FaultRule> {
        self.inner
            .rules
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn requests(&self, vendor: Vendor) -> u64 {
        self.inner
            .counter(vendor)
            .map_or(0, |count| count.load(Ordering::Relaxed))
    }

    /// Counts the request and decides its fate: latencies add up, the first
    /// other matching fault wins. Rules used up are removed.
    pub(crate) fn decide(&self, vendor: Option<Vendor>, method: &str, route: &str) -> Decision {
        if let Some(count) = vendor.and_then(|v| self.inner.counter(v)) {
            count.fetch_add(1, Ordering::Relaxed);
        }
        let mut decision = Decision::default();
        if !self.inner.any.load(Ordering::Acquire) {
            return decision;
        }
        let mut rules = self
            .inner
            .rules
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for rule in rules.iter_mut() {
            if !rule.matches(vendor, method, route) {
                continue;
            }
            if let Fault::DropField(_) = rule.fault {
                // Only the handler knows whether this is an update whose
                // body carries the field: it asks (`dropped_field`), and
                // only then do `fraction` and `times` apply.
                decision.may_drop = true;
                continue;
            }
            if rule.fraction.is_some_and(|share| fastrand::f64() >= share) {
                continue;
            }
            let applies = match &rule.fault {
                Fault::Latency(d) => {
                    // Rules from code are not bounded: saturate, then cap.
                    decision.delay = decision.delay.saturating_add(*d).min(Fault::MAX_LATENCY);
                    true
                }
                other if decision.fault.is_none() => {
                    decision.fault = Some(other.clone());
                    true
                }
                _ => false,
            };
            if applies && let Some(n) = rule.times.as_mut() {
                *n = n.saturating_sub(1);
            }
        }
        rules.retain(|r| r.times != Some(0));
        if rules.is_empty() {
            self.inner.any.store(false, Ordering::Release);
        }
        decision
    }
}

impl Faults {
    /// The first `drop-field` rule matching the request (vendor, method,
    /// route) whose field `carried` finds in the update's body, by the
    /// name the rule gives: that rule's `fraction` is drawn and its `times`
    /// counted down, as for any fault applied. `None`: store everything.
    pub(crate) fn dropped_field<T>(
        &self,
        vendor: Vendor,
        method: &str,
        route: &str,
        carried: impl Fn(&str) -> Option<T>,
    ) -> Option<T> {
        let mut rules = self
            .inner
            .rules
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut found = None;
        for rule in rules.iter_mut() {
            let Fault::DropField(name) = &rule.fault else {
                continue;
            };
            if !rule.matches(Some(vendor), method, route) {
                continue;
            }
            let Some(field) = carried(name) else { continue };
            if rule.fraction.is_some_and(|share| fastrand::f64() >= share) {
                continue;
            }
            if let Some(n) = rule.times.as_mut() {
                *n = n.saturating_sub(1);
            }
            found = Some(field);
            break;
        }
        rules.retain(|r| r.times != Some(0));
        if rules.is_empty() {
            self.inner.any.store(false, Ordering::Release);
        }
        found
    }
}

impl fmt::Debug for Faults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.rules()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies_saturate_and_are_capped_instead_of_overflowing() {
        let faults = Faults::default();
        // From code, nothing bounds a rule; two of these overflowed the sum
        // (a panic on every request they matched).
        for _ in 0..3 {
            faults.inject(FaultRule::new(Fault::Latency(Duration::MAX)));
        }
        let decision = faults.decide(Some(Vendor::OkChat), "GET", "/x");
        assert_eq!(decision.delay, Fault::MAX_LATENCY);
        assert_eq!(decision.fault, None);
    }

    #[test]
    fn every_vendor_of_the_registry_is_counted_on_its_own() {
        // The counters were an array of five indexed by `vendor as usize`: a sixth
        // vendor's request panicked.
        let faults = Faults::default();
        for (n, vendor) in Vendor::ALL.into_iter().enumerate() {
            for _ in 0..=n {
                faults.decide(Some(vendor), "GET", "/x");
            }
        }
        faults.decide(None, "GET", "/x");
        for (n, vendor) in Vendor::ALL.into_iter().enumerate() {
            assert_eq!(faults.requests(vendor), n as u64 + 1, "{vendor}");
        }
    }

    #[test]
    fn durations_parse_exactly_and_refuse_what_is_not_a_number() {
        let ms = 1_000_000;
        assert_eq!(
            parse_duration("1500", ms),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            parse_duration("1.000001", ms),
            Some(Duration::from_nanos(1_000_001))
        );
        assert_eq!(
            parse_duration("2.5", 1_000_000_000),
            Some(Duration::from_millis(2500))
        );
        assert_eq!(
            parse_duration("18446744073709551615.999999999", 1_000_000_000),
            Some(Duration::MAX)
        );
        for bad in [
            "",
            ".5",
            "5.",
            "1.0000001",
            "-1",
            "+1",
            "1e3",
            "1 ",
            "99999999999999999999",
        ] {
            assert_eq!(parse_duration(bad, ms), None, "{bad}");
        }
    }
}
