//! Scratch PostgreSQL databases: created on the server named by
//! `ARX_MIGRATE_TEST_PG`, dropped when the value is dropped (also when the
//! test panics).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{DbError, Error, Result};
use crate::redact::redact_url;

/// The environment variable naming a PostgreSQL server where tests may
/// create databases.
pub const TEST_PG_ENV: &str = "ARX_MIGRATE_TEST_PG";

/// The test server's URL from `ARX_MIGRATE_TEST_PG`.
///
/// Without it this prints that the PostgreSQL test was skipped and returns
/// `None`, except when `CI` is set: there a missing server is a failure, so
/// this panics (it is meant for test code).
pub fn postgres_test_url(test: &str) -> Option<String> {
    match std::env::var(TEST_PG_ENV) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            if std::env::var_os("CI").is_some() {
                panic!(
                    "{test}: {TEST_PG_ENV} is not set, and CI requires the PostgreSQL tests to run"
                );
            }
            eprintln!("skipped {test}: set {TEST_PG_ENV} to a PostgreSQL server URL to run it");
            None
        }
    }
}

/// `url` with its database name replaced by `database`.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.find('?') {
        Some(i) => (&url[..i], &url[i..]),
        None => (url, ""),
    };
    let authority_start = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = base[authority_start..]
        .find('/')
        .map(|i| authority_start + i)
        .unwrap_or(base.len());
    format!("{}/{database}{query}", &base[..path_start])
}

/// A database created for one test and dropped when this value is dropped.
#[derive(Debug)]
pub struct PgTestDatabase {
    server_url: String,
    name: String,
    url: String,
}

impl PgTestDatabase {
    /// Creates an empty database with a unique name on the server at
    /// `server_url` (a URL whose database the role may connect to and
    /// whose role may create databases).
    pub fn create(server_url: &str) -> Result<Self> {
        Self::create_from(server_url, None, None)
    }

    /// Creates a database as a copy of `template`, copied with `strategy`
    /// (`WAL_LOG` or `FILE_COPY`; `None` is the server's default).
    pub fn create_from(
        server_url: &str,
        template: Option<&str>,
        strategy: Option<&str>,
    ) -> Result<Self> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let name = format!(
            "arx_scratch_{}_{}_{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = connect(server_url)?;
        let template = template
            .map(|t| format!(" TEMPLATE {}", crate::ops::quote_ident(t)))
            .unwrap_or_default();
        let strategy = strategy
            .map(|s| format!(" STRATEGY {s}"))
            .unwrap_or_default();
        admin
            .batch_execute(&format!("CREATE DATABASE {name}{template}{strategy}"))
            .map_err(|e| Error::Database(pg_error(e)))?;
        Ok(PgTestDatabase {
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
    pub fn connect(&self) -> Result<postgres::Client> {
        connect(&self.url)
    }
}

impl Drop for PgTestDatabase {
    fn drop(&mut self) {
        let dropped = connect(&self.server_url).and_then(|mut admin| {
            admin
                .batch_execute(&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    self.name
                ))
                .map_err(|e| Error::Database(pg_error(e)))
        });
        if let Err(error) = dropped {
            eprintln!("could not drop test database {}: {error}", self.name);
        }
    }
}

/// Connects to `url`; the error never shows the password.
pub fn connect(url: &str) -> Result<postgres::Client> {
    postgres::Client::connect(url, postgres::NoTls).map_err(|error| {
        Error::Database(DbError {
            message: format!("cannot connect to {}: {error}", redact_url(url)),
            code: None,
        })
    })
}

pub(crate) fn pg_error(error: postgres::Error) -> DbError {
    crate::backend::postgres::db_error(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_names_are_swapped_in_urls() {
        assert_eq!(
            with_database("postgresql://postgres@127.0.0.1:5432/postgres", "t1"),
            "postgresql://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "t2"),
            "postgres://u:p@h/t2?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://h:5432", "t3"),
            "postgres://h:5432/t3"
        );
    }
}
