//! How long the bench server waits before it answers.

use std::time::Duration;

/// The server latency of the throughput column that users feel: 20 ms on
/// average, each answer after 10 to 30 ms. A vendor's latency varies from
/// request to request; one fixed latency would answer all 64 requests in
/// flight in the same tick of the server's 1 ms timer, and the last of each
/// burst would wait for the client to decode the 63 before it, a queue that
/// requests to a vendor do not form.
pub const SERVER_LATENCY: Latency = Latency {
    min: Duration::from_millis(10),
    max: Duration::from_millis(30),
};

/// How long the bench server waits before it answers: each answer after a
/// time spread evenly over `min..=max` (the same sequence of times in every
/// run).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Latency {
    /// The shortest wait.
    pub min: Duration,
    /// The longest wait.
    pub max: Duration,
}

impl Latency {
    /// Answers at once.
    pub const NONE: Latency = Latency::fixed(Duration::ZERO);

    /// Every answer after `wait`.
    pub const fn fixed(wait: Duration) -> Latency {
        Latency {
            min: wait,
            max: wait,
        }
    }

    /// The average wait.
    pub fn mean(self) -> Duration {
        (self.min + self.max) / 2
    }

    /// The wait before the `n`th answer: `min` plus an evenly spread share
    /// of `max - min` (splitmix64 of `n`, so no random number generator).
    pub(crate) fn nth(self, n: u64) -> Duration {
        let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        let share = (z >> 11) as f64 / (1u64 << 53) as f64;
        self.min + (self.max - self.min).mul_f64(share)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spread_latency_stays_in_its_range_and_averages_its_middle() {
        let waits: Vec<Duration> = (0..10_000).map(|n| SERVER_LATENCY.nth(n)).collect();
        assert!(
            waits
                .iter()
                .all(|w| (SERVER_LATENCY.min..=SERVER_LATENCY.max).contains(w))
        );
        let mean = waits.iter().sum::<Duration>() / waits.len() as u32;
        let off = mean.abs_diff(SERVER_LATENCY.mean());
        assert!(off < Duration::from_millis(1), "mean {mean:?}");
        // Spread out: a 1 ms tick holds about a twentieth of the answers.
        let same_ms = waits
            .iter()
            .filter(|w| w.as_millis() == SERVER_LATENCY.mean().as_millis())
            .count();
        assert!(same_ms < waits.len() / 10, "{same_ms} in one millisecond");
        assert_eq!(
            Latency::fixed(Duration::from_millis(7)).nth(3),
            Duration::from_millis(7)
        );
    }
}
