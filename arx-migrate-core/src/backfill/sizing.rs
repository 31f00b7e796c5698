//! The batch size that keeps each batch near its target duration.

use std::time::Duration;

/// The size of the next batch, from the last one's size and how long it
/// took: scaled by `target / took`, by at most a factor of two either way
/// so that one batch slowed by a passing lock does not swing the size,
/// and kept within `min..=max`.
pub(crate) fn next_batch_size(
    last: u64,
    took: Duration,
    target: Duration,
    (min, max): (u64, u64),
) -> u64 {
    let (min, max) = (min.max(1), max.max(min.max(1)));
    let ratio = if took.is_zero() {
        2.0
    } else {
        (target.as_secs_f64() / took.as_secs_f64()).clamp(0.5, 2.0)
    };
    let next = (last.max(1) as f64 * ratio).round();
    (next as u64).clamp(min, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn a_batch_on_target_keeps_its_size() {
        assert_eq!(next_batch_size(1000, MS(100), MS(100), (1, 100_000)), 1000);
    }

    #[test]
    fn a_fast_batch_grows_the_next_by_at_most_double() {
        assert_eq!(next_batch_size(1000, MS(80), MS(100), (1, 100_000)), 1250);
        assert_eq!(next_batch_size(1000, MS(1), MS(100), (1, 100_000)), 2000);
        assert_eq!(
            next_batch_size(1000, Duration::ZERO, MS(100), (1, 100_000)),
            2000
        );
    }

    #[test]
    fn a_slow_batch_shrinks_the_next_by_at_most_half() {
        assert_eq!(next_batch_size(1000, MS(125), MS(100), (1, 100_000)), 800);
        assert_eq!(next_batch_size(1000, MS(5000), MS(100), (1, 100_000)), 500);
    }

    #[test]
    fn the_size_stays_within_its_bounds() {
        assert_eq!(
            next_batch_size(60_000, MS(10), MS(100), (1, 100_000)),
            100_000
        );
        assert_eq!(next_batch_size(150, MS(900), MS(100), (100, 100_000)), 100);
        // Nonsense bounds still give a batch of at least one row.
        assert_eq!(next_batch_size(0, MS(900), MS(100), (0, 0)), 1);
    }
}
