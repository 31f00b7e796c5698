//! The [`Migrator`] type: the revision graph and the settings of a run.
//! Its calls are in the runner's other modules.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use super::report::{ChecksumPolicy, TransactionMode};
use crate::graph::RevisionGraph;
use crate::observe::Hooks;
use crate::store::StoreConfig;
use crate::target::Target;

/// What a run was asked to do.
pub(super) enum Request {
    Upgrade(Target),
    Downgrade(Target),
}

impl Request {
    pub(super) fn direction(&self) -> crate::error::Direction {
        match self {
            Request::Upgrade(_) => crate::error::Direction::Upgrade,
            Request::Downgrade(_) => crate::error::Direction::Downgrade,
        }
    }

    pub(super) fn target(&self) -> &Target {
        match self {
            Request::Upgrade(target) | Request::Downgrade(target) => target,
        }
    }
}

/// Plans and applies migrations. Build it once, use it on any number of
/// connections.
///
/// ```
/// use arx_migrate_core::{FnMigration, MigrationSet, Migrator};
///
/// let migrations = MigrationSet::new()
///     .with(FnMigration::new("001", &[], |op| op.sql("CREATE TABLE a (id INTEGER)"), |op| op.sql("DROP TABLE a")))
///     .with(FnMigration::new("002", &["001"], |op| op.sql("CREATE TABLE b (id INTEGER)"), |op| op.sql("DROP TABLE b")));
/// let migrator = Migrator::new(migrations)?.version_table("my_version");
/// let mut conn = rusqlite::Connection::open_in_memory().unwrap();
/// let report = migrator.upgrade(&mut conn, "head")?;
/// assert_eq!(report.heads_after, ["002"]);
/// migrator.downgrade(&mut conn, "-1")?;
/// assert_eq!(migrator.current(&mut conn)?, ["001"]);
/// # Ok::<(), arx_migrate_core::Error>(())
/// ```
pub struct Migrator {
    /// Shared with the migrators [`Migrator::in_schema`] makes.
    pub(super) graph: Arc<RevisionGraph>,
    pub(super) store: StoreConfig,
    pub(super) mode: TransactionMode,
    pub(super) checksum_policy: ChecksumPolicy,
    pub(super) lock_wait: Duration,
    pub(super) lock_timeout: Option<Duration>,
    /// Retries of statements that time out waiting for a lock.
    pub(super) lock_retry: Option<super::LockRetry>,
    pub(super) statement_timeout: Option<Duration>,
    /// Rendered once per backend, on first need: the code's checksums
    /// (shared like the graph).
    pub(super) checksums: Arc<[OnceLock<HashMap<String, String>>; 3]>,
    /// Called around each run and step ([`Migrator::hooks`]).
    pub(super) hooks: Option<Arc<dyn Hooks>>,
}

impl std::fmt::Debug for Migrator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Migrator")
            .field("graph", &self.graph)
            .field("store", &self.store)
            .field("mode", &self.mode)
            .field("hooks", &self.hooks.is_some())
            .finish_non_exhaustive()
    }
}
