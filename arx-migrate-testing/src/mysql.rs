//! Scratch MariaDB/MySQL databases for tests: created with a unique name on
//! a server, dropped when the value is dropped (also when the test
//! panics). On MySQL a schema is a database, so each test gets a database.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use arx_migrate_core::backend::mysql::{connect, db_error};
use arx_migrate_core::redact::redact_url;
use arx_migrate_core::{DbError, Error, Result};
use mysql::prelude::Queryable;

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

fn database_error(what: &str, url: &str, error: DbError) -> Error {
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
