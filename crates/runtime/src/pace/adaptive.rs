//! The rate of a vendor that documents no limit, learned from its 429s.
//!
//! Until the first 429 the client probes (TCP's slow start, on a rate):
//! [`PROBE_BURST`] at once, then [`PROBE_BURST`] per second plus
//! [`PROBE_GAIN`] per second for every answer that was not a 429, so the
//! rate roughly triples each half second while the vendor accepts
//! everything, and grows not at all while the client is idle. Sending a
//! whole queue at once instead (as before issue 23) had every request
//! leave before the first 429 came back: 999 of 1,000 refused on a
//! 20/s limit. After a 429, additive increase / multiplicative decrease
//! (AIMD, as in aws-sdk's adaptive retry mode, without its cubic curve);
//! after a quiet minute, probing again from the rate reached.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use super::bucket::Bucket;

/// Share of the measured send rate kept after a 429 (aws-sdk's β).
const BETA: f64 = 0.7;

/// Growth per second after a decrease, as a share of the rate it set: a
/// rate halved from the vendor's limit is back there in about 10 s.
const STEP_SHARE: f64 = 0.05;

/// The lowest rate a storm of 429s can bring it to: one request every 20 s.
const MIN_RATE: f64 = 0.05;

/// Without a 429 for this long the vendor is probed again (growing fast
/// from the rate reached) rather than held to the learned rate.
const QUIET: Duration = Duration::from_secs(60);

/// Requests a vendor with no known limit gets at once, and its first rate
/// per second: room for an interactive burst, little enough that a queue
/// of thousands does not all leave before the first 429 comes back.
pub(crate) const PROBE_BURST: u32 = 16;

/// Requests per second the probing rate gains per accepted answer: at full
/// use, `rate' = 2 × rate`, so 1,000 queued requests leave in about 2 s on
/// an unlimited vendor.
const PROBE_GAIN: f64 = 2.0;

/// The probing rate stops growing here; a vendor accepting this much is
/// unlimited for any client of this crate.
const PROBE_MAX: f64 = 100_000.0;

/// The window the send rate is measured over.
const WINDOW: Duration = Duration::from_secs(1);

/// The shortest time sends are taken to have taken: a burst sent at once
/// is a high rate, not an infinite one.
const MIN_SPAN: Duration = Duration::from_millis(100);

/// Sends remembered for the measurement: beyond this many per second the
/// exact figure no longer matters (a 429 cuts it to 70 % of at least this).
const MAX_SAMPLES: usize = 4096;

#[derive(Debug)]
pub(crate) struct Adaptive {
    /// While probing (no 429 yet, or not for [`QUIET`]): the growing rate.
    probe: Bucket,
    /// `None` while probing.
    bucket: Option<Bucket>,
    /// Requests per second added per second since the last decrease.
    step: f64,
    /// When the rate was last lowered: a 429 to a request sent before it
    /// is the same storm, already accounted for.
    lowered_at: Option<Instant>,
    /// When the rate last grew.
    grown_at: Instant,
    /// When recent requests were sent, oldest first.
    sent: VecDeque<Instant>,
}

impl Adaptive {
    pub(crate) fn new(now: Instant) -> Adaptive {
        Adaptive {
            probe: Bucket::full(PROBE_BURST, f64::from(PROBE_BURST), now),
            bucket: None,
            step: 0.0,
            lowered_at: None,
            grown_at: now,
            sent: VecDeque::new(),
        }
    }

    /// The learned rate in force, without growing it; `None` while
    /// probing.
    #[cfg(test)]
    pub(crate) fn rate(&self) -> Option<f64> {
        self.bucket.as_ref().map(Bucket::rate)
    }

    /// The learned rate, after growing it for the time passed; `None` while
    /// probing (no limit learned).
    pub(crate) fn learned(&mut self, now: Instant) -> Option<f64> {
        self.learned_bucket(now).map(|b| b.rate())
    }

    /// The bucket turns are taken from: the learned one, after growing it
    /// for the time passed, or the probe.
    pub(crate) fn bucket(&mut self, now: Instant) -> &mut Bucket {
        if self.learned_bucket(now).is_some() {
            return self.bucket.as_mut().unwrap_or(&mut self.probe);
        }
        &mut self.probe
    }

    /// The learned bucket, grown for the time passed; after a quiet spell
    /// it becomes the probe again, at the rate reached.
    fn learned_bucket(&mut self, now: Instant) -> Option<&mut Bucket> {
        let lowered_at = self.lowered_at?;
        if now.saturating_duration_since(lowered_at) >= QUIET {
            if let Some(bucket) = self.bucket.take() {
                self.probe = Bucket::full(PROBE_BURST, bucket.rate(), now);
            }
            self.lowered_at = None;
            return None;
        }
        let bucket = self.bucket.as_mut()?;
        let grown = now.saturating_duration_since(self.grown_at).as_secs_f64();
        if grown > 0.0 {
            bucket.set_rate(now, bucket.rate() + self.step * grown);
            self.grown_at = now;
        }
        Some(bucket)
    }

    /// An answer that was not a 429: while probing, the rate grows.
    pub(crate) fn accepted(&mut self, now: Instant) {
        if self.lowered_at.is_none() {
            let rate = (self.probe.rate() + PROBE_GAIN).min(PROBE_MAX);
            self.probe.set_rate(now, rate);
        }
    }

    /// Notes a request leaving, for the send rate.
    pub(crate) fn sent(&mut self, now: Instant) {
        self.forget(now);
        if self.sent.len() >= MAX_SAMPLES {
            self.sent.pop_front();
        }
        self.sent.push_back(now);
    }

    fn forget(&mut self, now: Instant) {
        while self
            .sent
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) > WINDOW)
        {
            self.sent.pop_front();
        }
    }

    /// A 429 to a request sent at `sent_at`: lowers the rate to 70 % of
    /// what was being sent (or of the rate in force, if lower), unless an
    /// earlier 429 of the same storm already did. The caller then holds
    /// the bucket empty until the vendor's `Retry-After`.
    pub(crate) fn throttled(&mut self, now: Instant, sent_at: Instant) {
        if self.lowered_at.is_some_and(|lowered| sent_at <= lowered) {
            return;
        }
        self.forget(now);
        // Sends in the last second (at least this one), over the time they
        // took: after a hold, a second's window would take the quiet part
        // for slowness and undershoot.
        let span = self
            .sent
            .front()
            .map_or(0.0, |first| {
                now.saturating_duration_since(*first).as_secs_f64()
            })
            .clamp(MIN_SPAN.as_secs_f64(), WINDOW.as_secs_f64());
        let sending = (self.sent.len().max(1) as f64) / span;
        let current = self.bucket(now).rate();
        let rate = (BETA * current.min(sending)).max(MIN_RATE);
        match &mut self.bucket {
            Some(bucket) => bucket.set_rate(now, rate),
            // One at a time: a learned vendor gets no burst. (The caller
            // holds it empty until the vendor's time; turns reserved on
            // the probe are cancelled by that hold.)
            None => self.bucket = Some(Bucket::full(1, rate, now)),
        }
        self.step = rate * STEP_SHARE;
        self.lowered_at = Some(now);
        self.grown_at = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    #[test]
    fn probing_grows_with_accepted_answers_not_with_time() {
        let start = Instant::now();
        let mut learned = Adaptive::new(start);
        assert_eq!(learned.learned(start), None, "nothing learned yet");
        assert_eq!(learned.bucket(start).rate(), f64::from(PROBE_BURST));
        // Idle time does not grow it: a client that sends little has
        // shown nothing about the vendor.
        let later = start + secs(30.0);
        assert_eq!(learned.bucket(later).rate(), f64::from(PROBE_BURST));
        for _ in 0..10 {
            learned.accepted(later);
        }
        let rate = learned.bucket(later).rate();
        assert!((rate - (f64::from(PROBE_BURST) + 10.0 * PROBE_GAIN)).abs() < 1e-9);
        for _ in 0..1_000_000 {
            learned.accepted(later);
        }
        assert_eq!(learned.bucket(later).rate(), PROBE_MAX, "capped");
        assert_eq!(learned.learned(later), None, "still probing");
    }

    #[test]
    fn a_storm_lowers_once_then_the_rate_grows_and_probing_resumes() {
        let start = Instant::now();
        let mut learned = Adaptive::new(start);
        for _ in 0..10 {
            learned.accepted(start);
        }
        for _ in 0..100 {
            learned.sent(start);
        }
        let now = start + secs(0.01);
        learned.throttled(now, start);
        // 70 % of the lower of the probing rate (16 + 10 × 2) and the rate
        // sent (100 at once count as 100 in the shortest span, 0.1 s).
        let rate = learned.rate().unwrap();
        assert!((rate - 25.2).abs() < 1e-9, "{rate}");
        // The rest of the storm was sent before the decrease.
        for _ in 0..99 {
            learned.throttled(now, start);
        }
        assert!((learned.rate().unwrap() - 25.2).abs() < 1e-9);
        // Accepted answers no longer grow it: AIMD does.
        learned.accepted(now);
        assert!((learned.rate().unwrap() - 25.2).abs() < 1e-9);

        // A 429 to a request sent after it lowers it again, to 70 % of
        // the rate sent lately (5 in 0.5 s), not of the rate in force.
        let later = now + secs(2.0);
        for i in 0..5 {
            learned.sent(later - secs(0.5) + secs(0.1 * f64::from(i)));
        }
        learned.throttled(later, later);
        let rate = learned.rate().unwrap();
        assert!((rate - 7.0).abs() < 1e-9, "{rate}");

        // 5 % of that per second: 10 s later, 1.5 times.
        let rate = learned.learned(later + secs(10.0)).unwrap();
        assert!((rate - 10.5).abs() < 1e-9, "{rate}");
        // After a quiet minute it probes again, from the rate reached.
        let quiet = later + QUIET;
        assert_eq!(learned.learned(quiet), None);
        assert_eq!(learned.rate(), None);
        let probe = learned.bucket(quiet).rate();
        assert!((probe - 10.5).abs() < 1e-9, "{probe}");
    }

    #[test]
    fn the_rate_never_falls_below_the_floor() {
        let mut now = Instant::now();
        let mut learned = Adaptive::new(now);
        for _ in 0..100 {
            now += secs(0.001);
            learned.sent(now);
            learned.throttled(now, now);
        }
        assert_eq!(learned.rate(), Some(MIN_RATE));
    }
}
