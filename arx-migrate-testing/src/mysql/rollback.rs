//! The rollback fixture on MariaDB/MySQL: a session on a database already
//! at the target, inside an XA transaction that is rolled back at the end.
//!
//! DDL commits implicitly on MySQL, and a plain transaction can be ended
//! by `COMMIT`, `BEGIN` or `SET autocommit = 1` from the code under test,
//! after which its writes would stay in the database every test shares.
//! An XA transaction closes those doors: while it is ACTIVE the server
//! refuses `COMMIT`, `ROLLBACK`, `BEGIN`, DDL, `TRUNCATE` and `LOCK
//! TABLES` (error 1399, XAER_RMFAIL), and a session that disconnects
//! loses it. The only way out is `XA END` with the transaction's id,
//! which the test does not know; if `XA END` fails at the end of a test,
//! the fixture assumes the worst: it fails the test and retires the shared
//! database, so no other test sees what may have been committed.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use arx_migrate_core::{Backend, Connection, Error, Migrator, Result};

use super::database_error;
use super::pool::{pool, MysqlPooledDatabase};

/// The shared database of one migration set and target in this process,
/// and its idle sessions.
struct Shared {
    database: Arc<MysqlPooledDatabase>,
    idle: Vec<mysql::Conn>,
}

type SharedMap = Mutex<HashMap<(String, String, String), Shared>>;

fn shared_map() -> &'static SharedMap {
    static SHARED: OnceLock<SharedMap> = OnceLock::new();
    SHARED.get_or_init(SharedMap::default)
}

/// A session on the migration set's shared database at the target, for
/// one test whose changes are all rolled back
/// ([`crate::MysqlFixture::rollback`]).
///
/// [`MysqlRollbackConnection::with_transaction`] runs a test inside an XA
/// transaction and rolls it back. Inside it the server refuses anything
/// that would commit — `COMMIT`, `ROLLBACK`, `START TRANSACTION`, DDL
/// (`CREATE`, `ALTER`, `DROP`, `TRUNCATE`), `LOCK TABLES` — with error
/// 1399 (XAER_RMFAIL), so the code under test cannot change the shared
/// database. Use `SAVEPOINT name` / `ROLLBACK TO SAVEPOINT name` for
/// nested transactions (the driver's own `start_transaction` is refused
/// too).
///
/// It does not fit every test (use [`crate::MysqlFixture::database`]
/// there): a test that runs DDL or commits, a test that uses several
/// connections (they do not see the uncommitted rows), a test of
/// migrations themselves. `AUTO_INCREMENT` values are not transactional:
/// compare rows by content, not by generated id. Tests run in parallel
/// share the database: one that writes a row another also writes makes it
/// wait (InnoDB row and gap locks).
#[derive(Debug)]
pub struct MysqlRollbackConnection {
    conn: Option<mysql::Conn>,
    database: Arc<MysqlPooledDatabase>,
    key: (String, String, String),
}

impl MysqlRollbackConnection {
    /// A session on the shared database of `migrator` at `target`, built
    /// (copied from the pool) on first use in the process.
    pub(crate) fn open(
        migrator: &Migrator,
        server_url: &str,
        target: &str,
        bound: usize,
    ) -> Result<Self> {
        let key = (
            server_url.to_string(),
            migrator.fingerprint(Backend::Mysql),
            target.to_string(),
        );
        let mut shared = shared_map()
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if !shared.contains_key(&key) {
            let pool = pool(migrator, server_url, target, bound)?;
            let database = Arc::new(pool.take(migrator, target)?);
            shared.insert(
                key.clone(),
                Shared {
                    database,
                    idle: Vec::new(),
                },
            );
        }
        let entry = shared.get_mut(&key).expect("inserted above");
        let database = Arc::clone(&entry.database);
        let conn = match entry.idle.pop() {
            Some(conn) => conn,
            None => {
                drop(shared);
                database.connect()?
            }
        };
        Ok(MysqlRollbackConnection {
            conn: Some(conn),
            database,
            key,
        })
    }

    /// The shared database's name.
    pub fn database_name(&self) -> &str {
        self.database.name()
    }

    /// Runs `test` on this session inside an XA transaction, then rolls it
    /// back.
    ///
    /// Errors when the transaction cannot be opened, and when it was no
    /// longer active at the end (the test ended it with `XA END`): then
    /// what it wrote may have been committed, so the shared database is
    /// retired (the next test gets a new copy) and the test fails.
    ///
    /// ```no_run
    /// # fn test(migrator: &arx_migrate_core::Migrator, server: &str) -> Result<(), Box<dyn std::error::Error>> {
    /// use arx_migrate_core::mysql::prelude::Queryable;
    /// let mut db = arx_migrate_testing::MysqlFixture::new(migrator, server).rollback()?;
    /// db.with_transaction(|conn| -> Result<(), mysql::Error> {
    ///     conn.query_drop("INSERT INTO users (name) VALUES ('ada')")?;
    ///     // DDL would commit: the server refuses it here.
    ///     assert!(conn.query_drop("CREATE TABLE t (id INT)").is_err());
    ///     Ok(())
    /// })??;
    /// # Ok(()) }
    /// ```
    pub fn with_transaction<R>(&mut self, test: impl FnOnce(&mut mysql::Conn) -> R) -> Result<R> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        // Unguessable enough that code under test does not end it by
        // accident: the process, a counter, the shared database.
        let xid = format!(
            "arx-fixture-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let conn = self.conn.as_mut().expect("present until dropped");
        conn.execute(&format!("XA START '{xid}'")).map_err(|e| {
            database_error("opening the test's XA transaction", self.database.url(), e)
        })?;
        let outcome = test(conn);
        let ended = conn.execute(&format!("XA END '{xid}'"));
        let rolled_back = ended.and_then(|()| conn.execute(&format!("XA ROLLBACK '{xid}'")));
        if let Err(error) = rolled_back {
            // Nothing of this session is trusted again.
            self.conn = None;
            self.retire();
            return Err(Error::Config(format!(
                "test fixtures: the test ended its XA transaction on the shared database {} ({}), so its writes may have been committed; the database is retired and the next test gets a new one. A test that commits needs a database of its own: #[arx_migrate::test(strategy = database)] or MysqlFixture::database()",
                self.database.name(),
                error.message
            )));
        }
        Ok(outcome)
    }

    /// Stops handing out the shared database: the next test builds another.
    /// It is dropped when its last session is.
    fn retire(&self) {
        let mut shared = shared_map()
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if shared
            .get(&self.key)
            .is_some_and(|entry| Arc::ptr_eq(&entry.database, &self.database))
        {
            shared.remove(&self.key);
        }
    }
}

impl Drop for MysqlRollbackConnection {
    fn drop(&mut self) {
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        // Session state (variables, user locks, temporary tables) goes;
        // the session is kept for the next test.
        if conn.reset().is_err() {
            return;
        }
        let mut shared = shared_map()
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(entry) = shared
            .get_mut(&self.key)
            .filter(|entry| Arc::ptr_eq(&entry.database, &self.database))
        {
            entry.idle.push(conn);
        }
    }
}
