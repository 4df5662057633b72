//! Retry timing shared by reads and the writer: exponential backoff with full
//! jitter, never sooner than the server's `Retry-After`.

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

/// How often and how patiently to retry a transient failure (429, 5xx,
/// timeouts, dropped connections).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all, the first included (1 = no retry).
    pub attempts: u32,
    /// Ceiling of the first retry's delay; it doubles each retry.
    pub base: Duration,
    /// Largest delay drawn by the backoff.
    pub cap: Duration,
    /// A `Retry-After` longer than this is not waited for: the error is returned.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 5,
            base: Duration::from_millis(250),
            cap: Duration::from_secs(20),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The delay before retry number `attempt` (1-based), or `None` when it is
    /// time to give up (tries used up, or the server asks for too long a wait).
    pub fn delay(
        &self,
        attempt: u32,
        retry_after: Option<Duration>,
        random: u64,
    ) -> Option<Duration> {
        if attempt >= self.attempts || retry_after.is_some_and(|ra| ra > self.max_retry_after) {
            return None;
        }
        Some(backoff_delay(
            attempt,
            retry_after,
            self.base,
            self.cap,
            random,
        ))
    }
}

/// Full-jitter exponential backoff: a random delay up to `base × 2^(attempt-1)`
/// (at most `cap`), but never less than `retry_after`.
pub fn backoff_delay(
    attempt: u32,
    retry_after: Option<Duration>,
    base: Duration,
    cap: Duration,
    random: u64,
) -> Duration {
    let exp = base
        .checked_mul(1u32 << attempt.saturating_sub(1).min(20))
        .unwrap_or(cap)
        .min(cap);
    let nanos = exp.as_nanos().min(u128::from(u64::MAX)) as u64;
    let jitter = if nanos == 0 {
        Duration::ZERO
    } else {
        Duration::from_nanos(random % (nanos + 1))
    };
    match retry_after {
        Some(ra) => jitter.max(ra),
        None => jitter,
    }
}

/// Random bits for jitter (SplitMix64 seeded from the std hasher); not for secrets.
#[derive(Debug)]
pub struct Jitter(std::sync::Mutex<u64>);

impl Default for Jitter {
    fn default() -> Self {
        Self::new()
    }
}

impl Jitter {
    /// A generator with a fresh random seed.
    pub fn new() -> Self {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_i64(jiff::Timestamp::now().as_nanosecond() as i64);
        Jitter(std::sync::Mutex::new(h.finish()))
    }

    /// The next 64 random bits.
    pub fn next(&self) -> u64 {
        let mut s = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *s;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_are_capped_honour_retry_after_and_end() {
        let p = RetryPolicy {
            attempts: 4,
            base: Duration::from_millis(100),
            cap: Duration::from_millis(250),
            max_retry_after: Duration::from_secs(5),
        };
        // With the largest random draw the delay is the ceiling itself.
        let max = u64::MAX;
        assert_eq!(p.delay(1, None, 100_000_001), Some(Duration::ZERO));
        assert!(
            p.delay(1, None, max)
                .is_some_and(|d| d <= Duration::from_millis(100))
        );
        assert!(
            p.delay(3, None, max)
                .is_some_and(|d| d <= Duration::from_millis(250))
        );
        assert_eq!(
            p.delay(2, Some(Duration::from_secs(2)), 7),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            p.delay(2, Some(Duration::from_secs(9)), 7),
            None,
            "too long a wait"
        );
        assert_eq!(p.delay(4, None, 7), None, "tries used up");
        let j = Jitter::new();
        assert_ne!(j.next(), j.next());
    }
}
