//! Throttling on the database's health (PostgreSQL): a backfill pauses
//! while a replica lags or another session waits on a lock for longer
//! than its bounds.

use std::time::Duration;

use crate::backend::{Backend, Connection};
use crate::error::DbError;

/// The longest replication lag of any standby (write, flush or replay).
const REPLICA_LAG: &str = "SELECT CAST(COALESCE(EXTRACT(EPOCH FROM max(GREATEST(write_lag, flush_lag, replay_lag))) * 1000, 0) AS BIGINT) FROM pg_stat_replication";

/// How long the longest-waiting other session of this database has been
/// in the statement that waits on a lock (`query_start`: PostgreSQL does
/// not record when the wait itself began, so this is an upper bound of the
/// wait). Sessions of other databases on the server cannot wait on this
/// database's tables, so they do not count.
const LOCK_WAIT: &str = "SELECT CAST(COALESCE(EXTRACT(EPOCH FROM max(clock_timestamp() - query_start)) * 1000, 0) AS BIGINT) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid() AND datname = current_database()";

/// The bounds a backfill pauses beyond.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct HealthBounds {
    pub(crate) replica_lag: Option<Duration>,
    pub(crate) lock_wait: Option<Duration>,
}

/// Why the database is too busy for the next batch, if it is; `None` on
/// SQLite, which has neither replicas nor lock waits to read.
pub(crate) fn reason_to_pause(
    connection: &mut dyn Connection,
    bounds: HealthBounds,
) -> Result<Option<String>, DbError> {
    if connection.backend() != Backend::Postgres {
        return Ok(None);
    }
    let checks = [
        (bounds.replica_lag, REPLICA_LAG, "replica lag"),
        (bounds.lock_wait, LOCK_WAIT, "a lock wait"),
    ];
    for (bound, sql, what) in checks {
        let Some(bound) = bound else { continue };
        let millis = read_millis(connection, sql)?;
        if millis > bound.as_millis() as i64 {
            return Ok(Some(format!(
                "{what} of {millis} ms is over the bound of {} ms",
                bound.as_millis()
            )));
        }
    }
    Ok(None)
}

fn read_millis(connection: &mut dyn Connection, sql: &str) -> Result<i64, DbError> {
    let rows = connection.query(sql)?;
    Ok(rows
        .first()
        .and_then(|row| row.first().cloned().flatten())
        .and_then(|value| value.parse().ok())
        .unwrap_or(0))
}
