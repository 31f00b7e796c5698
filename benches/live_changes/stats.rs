//! What the writers saw while a migration ran: the figures of the
//! transactions scheduled in its window.

use std::time::Duration;

use crate::workload::{Failure, Logged};

/// The writers' figures for one window.
#[derive(Debug, Clone)]
pub struct WindowFigures {
    /// Committed transactions scheduled in the window.
    pub done: usize,
    /// Transactions the fixed rate scheduled in the window (rate × its
    /// length; pgbench draws the schedule at random, so ± its square
    /// root).
    pub scheduled: f64,
    /// Latencies (from the scheduled start) of the committed ones.
    pub p50: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// The slowest.
    pub max: Duration,
    /// Transactions that ended in a serialization failure or deadlock.
    pub failed: usize,
    /// Clients pgbench aborted in the whole run (each is a writer gone).
    pub aborted_clients: usize,
    /// Every client aborted, so pgbench ended before it was stopped.
    pub all_aborted: bool,
}

/// The figures of the transactions scheduled in `windows` (each a start
/// and an end, in seconds since the epoch), at `rate` per second.
pub fn window(logged: &Logged, windows: &[(f64, f64)], rate: u32) -> WindowFigures {
    let inside: Vec<_> = logged
        .transactions
        .iter()
        .filter(|t| {
            windows
                .iter()
                .any(|&(start, end)| t.scheduled >= start && t.scheduled < end)
        })
        .collect();
    let mut latencies: Vec<Duration> = inside
        .iter()
        .filter(|t| t.failure.is_none())
        .map(|t| t.latency)
        .collect();
    latencies.sort();
    let failed = inside
        .iter()
        .filter(|t| matches!(t.failure, Some(Failure::Retryable | Failure::Other)))
        .count();
    WindowFigures {
        done: latencies.len(),
        scheduled: f64::from(rate) * windows.iter().map(|(start, end)| end - start).sum::<f64>(),
        p50: percentile(&latencies, 0.50),
        p99: percentile(&latencies, 0.99),
        max: latencies.last().copied().unwrap_or_default(),
        failed,
        aborted_clients: logged.aborted_clients,
        all_aborted: logged.exited_early,
    }
}

/// The nearest-rank percentile of sorted samples (zero when there are
/// none).
fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (fraction * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Milliseconds, to one decimal.
pub fn ms(duration: Duration) -> String {
    format!("{:.1}", duration.as_secs_f64() * 1000.0)
}
