//! The longest time any writer spent blocked on a lock: a thread that
//! reads `pg_locks.waitstart` (PostgreSQL 14+) of pgbench's sessions every
//! 10 ms, so a wait is measured to within one sampling period.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// How often the waits are read.
const PERIOD: Duration = Duration::from_millis(10);

/// A running sampler.
pub struct LockSampler {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Result<Duration, postgres::Error>>,
}

impl LockSampler {
    /// Starts sampling the sessions named `pgbench` on the database at
    /// `url`.
    pub fn start(url: &str) -> Result<LockSampler, postgres::Error> {
        let mut client = postgres::Client::connect(url, postgres::NoTls)?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut longest = Duration::ZERO;
            while !stopped.load(Ordering::Relaxed) {
                // The age of the oldest wait of a writer right now.
                let row = client.query_one(
                    "SELECT COALESCE(EXTRACT(EPOCH FROM max(clock_timestamp() - l.waitstart)), 0)::float8
                     FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                     WHERE NOT l.granted AND a.application_name = 'pgbench'",
                    &[],
                )?;
                let seconds: f64 = row.get(0);
                longest = longest.max(Duration::from_secs_f64(seconds.max(0.0)));
                std::thread::sleep(PERIOD);
            }
            Ok(longest)
        });
        Ok(LockSampler { stop, thread })
    }

    /// Stops sampling; the longest wait seen.
    pub fn stop(self) -> Result<Duration, Box<dyn std::error::Error>> {
        self.stop.store(true, Ordering::Relaxed);
        match self.thread.join() {
            Ok(longest) => Ok(longest?),
            Err(_) => Err("the lock sampler panicked".into()),
        }
    }
}
