//! The backfill loop: each batch picks its upper key by keyset
//! pagination, updates the rows between the last position and it, and
//! records the new position, all in one short transaction.

use std::time::{Duration, Instant};

use crate::backend::{Backend, Connection, Param};
use crate::error::{DbError, Direction, Error, Result, StatementFailure};
use crate::not_api::text::quote_ident;
use crate::runner::Progress;
use crate::transaction::Transaction;

use super::book::{BackfillBook, Position};
use super::health::{reason_to_pause, HealthBounds};
use super::key::{find_key, KeyColumn, KeyProblem};
use super::model::{Backfill, BackfillProgress};
use super::sizing::next_batch_size;

/// Below this many rows (by `pg_class`), a PostgreSQL table is counted
/// exactly: cheap, and the estimate of a small or new table is poor.
const COUNT_BELOW: i64 = 100_000;

/// How often a paused backfill looks at the database's health again.
const HEALTH_RECHECK: Duration = Duration::from_millis(500);

/// How often a running backfill logs an `info` event (every batch is a
/// `debug` one).
const LOG_EVERY: Duration = Duration::from_secs(5);

/// Who runs the backfill: its revision, its connection outside any
/// transaction, where positions are kept, and whom to tell.
pub(crate) struct BatchesRun<'r> {
    pub(crate) connection: &'r mut dyn Connection,
    pub(crate) book: &'r BackfillBook,
    pub(crate) revision: &'r str,
    pub(crate) direction: Direction,
    pub(crate) progress: &'r mut dyn FnMut(Progress<'_>),
}

/// The statements of one backfill, rendered once.
struct Sql {
    /// The upper key and row count of the next batch, from the start.
    first_bounds: String,
    /// The same after a recorded position (`$1`).
    next_bounds: String,
    /// The UPDATE of the first batch (`$1` upper).
    first_update: String,
    /// The UPDATE of a later batch (`$1` lower, exclusive; `$2` upper).
    next_update: String,
}

impl Sql {
    fn new(spec: &Backfill, key: &KeyColumn) -> Self {
        let table = quote_ident(&spec.table);
        let column = quote_ident(&key.name);
        let bounds = |lower: &str| {
            format!(
                "SELECT CAST(count(*) AS BIGINT), CAST(max({column}) AS TEXT) FROM \
                 (SELECT {column} FROM {table}{lower} ORDER BY {column} LIMIT $2) AS batch"
            )
        };
        let assignments: Vec<String> = spec
            .sets
            .iter()
            .map(|(column, expression)| format!("{} = {expression}", quote_ident(column)))
            .collect();
        let filter = spec
            .filter
            .as_deref()
            .map(|filter| format!(" AND ({filter})"))
            .unwrap_or_default();
        let update = |range: String| {
            format!(
                "UPDATE {table} SET {} WHERE {range}{filter}",
                assignments.join(", ")
            )
        };
        Sql {
            first_bounds: bounds("").replace("$2", "$1"),
            next_bounds: bounds(&format!(" WHERE {column} > {}", key.param("$1"))),
            first_update: update(format!("{column} <= {}", key.param("$1"))),
            next_update: update(format!(
                "{column} > {} AND {column} <= {}",
                key.param("$1"),
                key.param("$2")
            )),
        }
    }
}

/// Runs a backfill to its end, resuming at its recorded position.
pub(crate) fn run_backfill(run: BatchesRun<'_>, spec: &Backfill) -> Result<()> {
    let BatchesRun {
        connection,
        book,
        revision,
        direction,
        progress,
    } = run;
    let name = spec.name();
    let fail = |statement: &str, source: DbError| {
        Error::Statement(Box::new(StatementFailure {
            revision: revision.to_string(),
            direction,
            statement: statement.to_string(),
            source,
            rolled_back: false,
            hint: Some(format!(
                "the batches committed before this one stay done, their position recorded; fix the cause and run the upgrade again to resume backfill {name} after the last committed batch"
            )),
        }))
    };
    let refuse = |message: String| Error::Migration {
        revision: revision.to_string(),
        direction,
        message: format!("backfill {name}: {message}"),
    };
    if spec.sets.is_empty() {
        return Err(refuse(
            "it sets no column; add .set(column, expression)".to_string(),
        ));
    }
    let key =
        find_key(connection, &spec.table, spec.key.as_deref()).map_err(
            |problem| match problem {
                KeyProblem::Refused(message) => refuse(message),
                KeyProblem::Database(error) => fail("(reading the table's key)", error),
            },
        )?;
    book.ensure_table(connection)?;
    let stored = book.read(connection, revision, name)?;
    let (mut last_key, mut rows_done, rows_total) = match stored {
        Some(state) if state.finished_at.is_some() => return Ok(()),
        Some(state) => {
            tracing::info!(
                revision,
                backfill = name,
                rows_done = state.rows_done,
                "resuming backfill after its last committed batch"
            );
            (state.last_key, state.rows_done, state.rows_total_estimate)
        }
        None => {
            let total = estimate_rows(connection, &spec.table)
                .map_err(|e| fail("(estimating the table's rows)", e))?;
            book.start(connection, revision, name, &spec.table, total)?;
            (None, 0, total)
        }
    };
    let sql = Sql::new(spec, &key);
    let bounds = HealthBounds {
        replica_lag: spec.max_replica_lag,
        lock_wait: spec.max_lock_wait,
    };
    let mut size = spec
        .first_batch
        .clamp(spec.limits.0.max(1), spec.limits.1.max(1));
    let mut reporter = Reporter {
        revision,
        name,
        table: &spec.table,
        rows_total,
        started: Instant::now(),
        rows_this_run: 0,
        last_log: Instant::now(),
        progress,
    };
    loop {
        loop {
            let reason = reason_to_pause(connection, bounds)
                .map_err(|e| fail("(reading the database's health)", e))?;
            let Some(reason) = reason else { break };
            reporter.report(rows_done, size, Some(reason), false);
            std::thread::sleep(HEALTH_RECHECK.max(spec.pause));
        }
        let batch_started = Instant::now();
        let limit = i64::try_from(size).unwrap_or(i64::MAX);
        let mut transaction = Transaction::begin_with(&mut *connection, |connection| {
            let begin = connection.begin_statement();
            connection.execute(begin).map_err(Error::Database)
        })?;
        let (bounds_sql, bounds_params) = match &last_key {
            None => (&sql.first_bounds, vec![Param::Integer(Some(limit))]),
            Some(last) => (
                &sql.next_bounds,
                vec![Param::Text(Some(last)), Param::Integer(Some(limit))],
            ),
        };
        let rows = transaction
            .connection()
            .query_with(bounds_sql, &bounds_params)
            .map_err(|e| fail(bounds_sql, e))?;
        let mut values = rows.into_iter().next().unwrap_or_default().into_iter();
        let count: i64 = values
            .next()
            .flatten()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let upper = values.next().flatten();
        let Some(upper) = upper.filter(|_| count > 0) else {
            book.finish(transaction.connection(), revision, name)?;
            transaction.commit()?;
            reporter.report(rows_done, size, None, true);
            return Ok(());
        };
        let (update_sql, update_params) = match &last_key {
            None => (&sql.first_update, vec![Param::Text(Some(&upper))]),
            Some(last) => (
                &sql.next_update,
                vec![Param::Text(Some(last)), Param::Text(Some(&upper))],
            ),
        };
        transaction
            .connection()
            .execute_with(update_sql, &update_params)
            .map_err(|e| fail(update_sql, e))?;
        // The last batch is the one that found fewer rows than it asked for.
        let finished = count < limit;
        rows_done += count;
        reporter.rows_this_run += count;
        book.advance(
            transaction.connection(),
            &Position {
                revision,
                name,
                last_key: &upper,
                rows_done,
                finished,
            },
        )?;
        transaction.commit()?;
        last_key = Some(upper);
        size = next_batch_size(
            size,
            batch_started.elapsed(),
            spec.target_batch,
            spec.limits,
        );
        reporter.report(rows_done, size, None, finished);
        if finished {
            return Ok(());
        }
        if !spec.pause.is_zero() {
            std::thread::sleep(spec.pause);
        }
    }
}

/// Tells the callback and `tracing` where a backfill stands.
struct Reporter<'r> {
    revision: &'r str,
    name: &'r str,
    table: &'r str,
    rows_total: Option<i64>,
    started: Instant,
    rows_this_run: i64,
    last_log: Instant,
    progress: &'r mut dyn FnMut(Progress<'_>),
}

impl Reporter<'_> {
    fn report(&mut self, rows_done: i64, batch_size: u64, paused: Option<String>, finished: bool) {
        let seconds = self.started.elapsed().as_secs_f64();
        let rate = if seconds > 0.0 {
            self.rows_this_run as f64 / seconds
        } else {
            0.0
        };
        let eta = self
            .rows_total
            .filter(|_| rate > 0.0)
            .map(|total| Duration::from_secs_f64((total - rows_done).max(0) as f64 / rate));
        let event = BackfillProgress {
            revision: self.revision.to_string(),
            name: self.name.to_string(),
            table: self.table.to_string(),
            rows_done,
            rows_this_run: self.rows_this_run,
            rows_total: self.rows_total,
            batch_size,
            rows_per_second: rate,
            eta,
            paused,
            finished,
        };
        let (revision, backfill) = (self.revision, self.name);
        if finished || event.paused.is_some() || self.last_log.elapsed() >= LOG_EVERY {
            self.last_log = Instant::now();
            tracing::info!(
                revision,
                backfill,
                rows_done,
                rows_total = self.rows_total,
                rows_per_second = rate,
                "{event}"
            );
        } else {
            tracing::debug!(revision, backfill, rows_done, batch_size, "{event}");
        }
        (self.progress)(Progress::Backfill(&event));
    }
}

/// The table's rows: `pg_class`'s estimate on a large PostgreSQL table,
/// else counted.
fn estimate_rows(connection: &mut dyn Connection, table: &str) -> Result<Option<i64>, DbError> {
    let quoted = quote_ident(table);
    if connection.backend() == Backend::Postgres {
        let rows = connection.query_with(
            "SELECT CAST(reltuples AS BIGINT) FROM pg_class WHERE oid = to_regclass($1)",
            &[Param::Text(Some(&quoted))],
        )?;
        let estimate: Option<i64> = rows
            .first()
            .and_then(|row| row.first().cloned().flatten())
            .and_then(|v| v.parse().ok());
        if let Some(estimate) = estimate.filter(|estimate| *estimate >= COUNT_BELOW) {
            return Ok(Some(estimate));
        }
    }
    let rows = connection.query(&format!("SELECT CAST(count(*) AS BIGINT) FROM {quoted}"))?;
    Ok(rows
        .first()
        .and_then(|row| row.first().cloned().flatten())
        .and_then(|v| v.parse().ok()))
}
