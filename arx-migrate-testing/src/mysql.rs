//! MariaDB/MySQL databases for tests. On MySQL a schema is a database, so
//! each test that writes gets a database of its own:
//!
//! - [`MysqlFixture::database`] ([`fresh_mysql`]): a copy of a template
//!   database migrated once per process, from a pool a background thread
//!   keeps filled; dropped in the background after the test.
//! - [`MysqlFixture::rollback`]: a session on one shared database at the
//!   target, in an XA transaction rolled back at the end, which the server
//!   keeps from committing (no DDL, no `COMMIT`).
//! - [`MysqlFixture::create`] / [`MysqlTestDatabase`]: a database created
//!   (and migrated) on the spot, dropped with the value.
//!
//! Databases of test processes that died are dropped by the next run
//! (see `owner`).

mod copy;
mod owner;
mod pool;
mod rollback;

pub use pool::MysqlPooledDatabase;
pub use rollback::MysqlRollbackConnection;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use arx_migrate_core::backend::mysql::{connect, db_error};
use arx_migrate_core::redact::redact_url;
use arx_migrate_core::{DbError, Error, Migrator, Result};
use mysql::prelude::Queryable;

/// How many copies of the template a process keeps ready by default
/// ([`MysqlFixture::pool_size`]).
pub const DEFAULT_MYSQL_POOL_SIZE: usize = 4;

/// Where a MariaDB/MySQL test's database comes from: a migration set, a
/// server, a target. Built per test; what it builds is kept per process.
///
/// ```no_run
/// # fn test(migrator: &arx_migrate_core::Migrator) -> Result<(), Box<dyn std::error::Error>> {
/// use arx_migrate_core::mysql::prelude::Queryable;
/// let Some(server) = arx_migrate_testing::mysql_test_url("my_test") else { return Ok(()) };
/// // A database of its own, at head: commit, run DDL, anything.
/// let db = arx_migrate_testing::MysqlFixture::new(migrator, &server).database()?;
/// let mut conn = db.connect()?;
/// conn.query_drop("INSERT INTO users (name) VALUES ('ada')")?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct MysqlFixture<'m> {
    migrator: &'m Migrator,
    server_url: String,
    target: String,
    pool_size: usize,
}

impl<'m> MysqlFixture<'m> {
    /// The fixtures of `migrator` on the server at `server_url` (whose user
    /// may create and drop databases), at `head`.
    pub fn new(migrator: &'m Migrator, server_url: &str) -> Self {
        MysqlFixture {
            migrator,
            server_url: server_url.to_string(),
            target: "head".to_string(),
            pool_size: DEFAULT_MYSQL_POOL_SIZE,
        }
    }

    /// At `target` (a revision, `head`, …) instead of `head`.
    pub fn at(mut self, target: &str) -> Self {
        self.target = target.to_string();
        self
    }

    /// How many ready copies the process's pool keeps (from the first
    /// fixture of this migration set and target on; at least 1).
    pub fn pool_size(mut self, size: usize) -> Self {
        self.pool_size = size;
        self
    }

    /// A database of its own at the target, from the process's pool.
    pub fn database(&self) -> Result<MysqlPooledDatabase> {
        pool::pool(
            self.migrator,
            &self.server_url,
            &self.target,
            self.pool_size,
        )?
        .take(self.migrator, &self.target)
    }

    /// A session on the set's shared database at the target, whose
    /// changes are rolled back ([`MysqlRollbackConnection`]).
    pub fn rollback(&self) -> Result<MysqlRollbackConnection> {
        MysqlRollbackConnection::open(
            self.migrator,
            &self.server_url,
            &self.target,
            self.pool_size,
        )
    }

    /// A database created and migrated on the spot (no pool, no template):
    /// the slow way, for comparison and for a test that wants to watch
    /// its own migration.
    pub fn create(&self) -> Result<MysqlTestDatabase> {
        let db = MysqlTestDatabase::create(&self.server_url)?;
        let mut conn = db.connect()?;
        self.migrator.upgrade(&mut conn, &self.target)?;
        Ok(db)
    }
}

/// A database of its own at `head` for one test, from the process's pool
/// of copies of a migrated template ([`MysqlFixture::database`]).
pub fn fresh_mysql(migrator: &Migrator, server_url: &str) -> Result<MysqlPooledDatabase> {
    MysqlFixture::new(migrator, server_url).database()
}

/// [`fresh_mysql`] at `target`.
pub fn fresh_mysql_at(
    migrator: &Migrator,
    server_url: &str,
    target: &str,
) -> Result<MysqlPooledDatabase> {
    MysqlFixture::new(migrator, server_url)
        .at(target)
        .database()
}

/// Drops the fixture databases (`arx_fx_…`) of test processes that are
/// gone (their owner lock is free) on the server at `server_url`; returns
/// how many. Each process does it on its first fixture; call it from a
/// CI clean-up step to leave nothing behind after the last run.
pub fn reclaim_stale_mysql(server_url: &str) -> Result<usize> {
    let mut conn = connect(server_url).map_err(|e| database_error("connecting", server_url, e))?;
    owner::reclaim(&mut conn)
        .map_err(|e| database_error("reclaiming fixture databases", server_url, e))
}

/// A database created on a MariaDB or MySQL server for one test, dropped
/// when this value is dropped.
///
/// ```no_run
/// # fn main() -> arx_migrate_core::Result<()> {
/// let Some(url) = arx_migrate_testing::mysql_test_url("my_test") else { return Ok(()) };
/// let db = arx_migrate_testing::MysqlTestDatabase::create(&url)?;
/// let mut conn = db.connect()?;
/// # let _ = &mut conn;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct MysqlTestDatabase {
    server_url: String,
    name: String,
    url: String,
}

/// A unique database name: process, counter and time (at most 64
/// characters, MySQL's limit).
fn unique_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!(
        "arx_test_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// `url` with its database (the path) replaced by `database`.
pub(crate) fn with_database(url: &str, database: &str) -> String {
    let scheme_end = url.find("://").map(|i| i + 3).unwrap_or(0);
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let after_path = rest[authority_end..]
        .find(['?', '#'])
        .map(|i| &rest[authority_end + i..])
        .unwrap_or("");
    format!(
        "{}{}/{database}{after_path}",
        &url[..scheme_end],
        &rest[..authority_end]
    )
}

pub(crate) fn database_error(what: &str, url: &str, error: DbError) -> Error {
    Error::Database(error.prefixed(format!("{what} on {}", redact_url(url))))
}

impl MysqlTestDatabase {
    /// Creates an empty database (utf8mb4) with a unique name on the server
    /// at `server_url`, whose user may create and drop databases.
    pub fn create(server_url: &str) -> Result<Self> {
        let name = unique_name();
        let mut admin =
            connect(server_url).map_err(|e| database_error("connecting", server_url, e))?;
        admin
            .query_drop(format!(
                "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
            ))
            .map_err(|e| database_error("creating a test database", server_url, db_error(e)))?;
        Ok(MysqlTestDatabase {
            url: with_database(server_url, &name),
            server_url: server_url.to_string(),
            name,
        })
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A URL of the database.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A new connection to the database.
    pub fn connect(&self) -> Result<mysql::Conn> {
        connect(&self.url).map_err(|e| database_error("connecting", &self.url, e))
    }
}

impl Drop for MysqlTestDatabase {
    fn drop(&mut self) {
        let dropped = connect(&self.server_url).and_then(|mut admin| {
            admin
                .query_drop(format!("DROP DATABASE IF EXISTS `{}`", self.name))
                .map_err(db_error)
        });
        if let Err(error) = dropped {
            eprintln!("could not drop the test database {}: {error}", self.name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_is_replaced_in_the_url() {
        assert_eq!(
            with_database("mysql://root@127.0.0.1:3306/test", "x"),
            "mysql://root@127.0.0.1:3306/x"
        );
        assert_eq!(
            with_database("mariadb://u:p@h?prefer_socket=false", "x"),
            "mariadb://u:p@h/x?prefer_socket=false"
        );
    }

    #[test]
    fn names_are_unique_and_fit() {
        let (a, b) = (unique_name(), unique_name());
        assert_ne!(a, b);
        assert!(a.len() <= 64, "{a}");
    }
}
