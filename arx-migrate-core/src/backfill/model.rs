//! What a backfill is and what it reports: the definition, its state in
//! the bookkeeping, and a batch's progress. Data only.

use std::fmt;
use std::time::Duration;

use crate::not_api::utc::parse_millis;

/// A backfill: `UPDATE table SET column = expression, … [WHERE filter]`,
/// run by [`Ops::backfill`](crate::Ops::backfill) in batches along a key.
///
/// ```
/// # extern crate arx_migrate_core as arx_migrate;
/// use std::time::Duration;
/// use arx_migrate::Backfill;
///
/// let areas = Backfill::new("rooms")
///     .set("area_m2", "width_m * depth_m")
///     .where_("area_m2 IS NULL")
///     .key("id")
///     .target_batch(Duration::from_millis(100));
/// assert_eq!(areas.name(), "rooms");
/// ```
#[derive(Debug, Clone)]
pub struct Backfill {
    pub(crate) table: String,
    pub(crate) name: Option<String>,
    pub(crate) sets: Vec<(String, String)>,
    pub(crate) filter: Option<String>,
    pub(crate) key: Option<String>,
    pub(crate) target_batch: Duration,
    pub(crate) first_batch: u64,
    pub(crate) limits: (u64, u64),
    pub(crate) pause: Duration,
    pub(crate) max_replica_lag: Option<Duration>,
    pub(crate) max_lock_wait: Option<Duration>,
}

impl Backfill {
    /// A backfill of `table` (a name in the search path, quoted as given),
    /// along its primary key, with batches aimed at 100 ms.
    pub fn new(table: impl Into<String>) -> Self {
        Backfill {
            table: table.into(),
            name: None,
            sets: Vec::new(),
            filter: None,
            key: None,
            target_batch: Duration::from_millis(100),
            first_batch: 1_000,
            limits: (10, 100_000),
            pause: Duration::ZERO,
            max_replica_lag: None,
            max_lock_wait: None,
        }
    }

    /// Sets `column` (a name, quoted as given) to `expression` (SQL, as
    /// written, evaluated per row: `ST_Area(geom)`, `counter + 1`).
    pub fn set(mut self, column: impl Into<String>, expression: impl Into<String>) -> Self {
        self.sets.push((column.into(), expression.into()));
        self
    }

    /// Updates only the rows for which `condition` (SQL) holds. The walk
    /// still covers every key; the condition decides which rows of each
    /// batch change.
    pub fn where_(mut self, condition: impl Into<String>) -> Self {
        self.filter = Some(condition.into());
        self
    }

    /// Walks the table along `column` instead of its primary key: a
    /// single column, NOT NULL, unique (or the batches grow where values
    /// repeat) and indexed (or each batch scans the table).
    pub fn key(mut self, column: impl Into<String>) -> Self {
        self.key = Some(column.into());
        self
    }

    /// Names the backfill, where a revision has more than one of the same
    /// table (the name keys its recorded position; the default is the
    /// table's name).
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The duration each batch aims at (default 100 ms): the batch size
    /// grows or shrinks, at most twofold per batch, to meet it.
    pub fn target_batch(mut self, duration: Duration) -> Self {
        self.target_batch = duration;
        self
    }

    /// The size of the first batch (default 1,000 rows) and the bounds the
    /// size stays within (default 10 to 100,000 rows).
    pub fn batch_size(mut self, first: u64, min: u64, max: u64) -> Self {
        self.first_batch = first;
        self.limits = (min, max);
        self
    }

    /// A pause between batches (default none), leaving the database to
    /// other work.
    pub fn pause(mut self, pause: Duration) -> Self {
        self.pause = pause;
        self
    }

    /// PostgreSQL: waits before each batch while a standby's replication
    /// lag (`pg_stat_replication`) is over `bound`.
    pub fn max_replica_lag(mut self, bound: Duration) -> Self {
        self.max_replica_lag = Some(bound);
        self
    }

    /// PostgreSQL: waits before each batch while another session of the
    /// same database has waited on a lock for longer than `bound`
    /// (`pg_stat_activity`; the time since its waiting statement started),
    /// so that the backfill does not add to a queue behind a lock.
    pub fn max_lock_wait(mut self, bound: Duration) -> Self {
        self.max_lock_wait = Some(bound);
        self
    }

    /// The name its position is recorded under.
    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.table)
    }
}

/// Where a backfill stands, as its bookkeeping row records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackfillState {
    /// The revision whose migration runs it.
    pub revision: String,
    /// Its name ([`Backfill::named`], else the table's).
    pub name: String,
    /// The table.
    pub table: String,
    /// The key of the last row of the last committed batch (as text).
    pub last_key: Option<String>,
    /// Rows walked so far.
    pub rows_done: i64,
    /// The table's rows when it started (from `pg_class` on a large
    /// PostgreSQL table, else counted).
    pub rows_total_estimate: Option<i64>,
    /// When it started (UTC, RFC 3339).
    pub started_at: String,
    /// When its last batch committed.
    pub updated_at: String,
    /// When it finished; `None` while it runs or after it was killed.
    pub finished_at: Option<String>,
}

impl BackfillState {
    /// Rows walked per second, on average from its start to its last
    /// batch (a run killed and resumed counts the time between); `None`
    /// before its first batch.
    pub fn rows_per_second(&self) -> Option<f64> {
        let started = parse_millis(&self.started_at)?;
        let updated = parse_millis(&self.updated_at)?;
        let seconds = (updated - started) as f64 / 1000.0;
        (seconds > 0.0 && self.rows_done > 0).then(|| self.rows_done as f64 / seconds)
    }

    /// The time left at [`BackfillState::rows_per_second`], when the
    /// total is known and it has not finished.
    pub fn eta(&self) -> Option<Duration> {
        if self.finished_at.is_some() {
            return None;
        }
        let left = self
            .rows_total_estimate?
            .saturating_sub(self.rows_done)
            .max(0);
        let rate = self.rows_per_second()?;
        Some(Duration::from_secs_f64(left as f64 / rate))
    }
}

impl fmt::Display for BackfillState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "backfill {} of {} in revision {}: {}",
            self.name,
            self.table,
            self.revision,
            rows_of(self.rows_done, self.rows_total_estimate)
        )?;
        if let Some(rate) = self.rows_per_second() {
            write!(f, ", {rate:.0} rows/s")?;
        }
        if let Some(eta) = self.eta() {
            write!(f, ", about {}s left", eta.as_secs())?;
        }
        match &self.finished_at {
            Some(at) => write!(f, ", finished at {at}"),
            None => write!(f, ", last batch at {}", self.updated_at),
        }
    }
}

/// What a backfill reports after each batch, to the callback of
/// [`Migrator::upgrade_with_progress`](crate::Migrator::upgrade_with_progress)
/// as [`Progress::Backfill`](crate::Progress::Backfill).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct BackfillProgress {
    /// The revision.
    pub revision: String,
    /// The backfill's name.
    pub name: String,
    /// The table.
    pub table: String,
    /// Rows walked so far (those of earlier, killed runs included).
    pub rows_done: i64,
    /// Rows walked by this run alone.
    pub rows_this_run: i64,
    /// The table's rows, estimated when it started.
    pub rows_total: Option<i64>,
    /// The size of the next batch.
    pub batch_size: u64,
    /// Rows walked per second in this run.
    pub rows_per_second: f64,
    /// The time left at that rate, when the total is known.
    pub eta: Option<Duration>,
    /// Why the backfill waits before its next batch (replica lag, a lock
    /// wait), when it does.
    pub paused: Option<String>,
    /// Whether this was its last batch.
    pub finished: bool,
}

impl fmt::Display for BackfillProgress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "backfill {} ({}): {}, {:.0} rows/s",
            self.name,
            self.revision,
            rows_of(self.rows_done, self.rows_total),
            self.rows_per_second
        )?;
        if let Some(eta) = self.eta.filter(|_| !self.finished) {
            write!(f, ", about {}s left", eta.as_secs())?;
        }
        if let Some(reason) = &self.paused {
            write!(f, "; paused: {reason}")?;
        }
        if self.finished {
            f.write_str(", done")?;
        }
        Ok(())
    }
}

/// "412000 of ~1000000 rows (41%)".
fn rows_of(done: i64, total: Option<i64>) -> String {
    match total.filter(|total| *total > 0) {
        Some(total) => format!(
            "{done} of ~{total} rows ({}%)",
            (done.saturating_mul(100) / total).min(100)
        ),
        None => format!("{done} rows"),
    }
}
