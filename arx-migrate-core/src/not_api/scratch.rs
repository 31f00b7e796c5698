//! Scratch PostgreSQL databases (and schemas): created with a unique name on
//! a server, dropped when the value is dropped (also when the code using it
//! panics). The safety checks replay migrations in them and the test
//! fixtures hand them out.

mod built_once;
mod url;

pub use built_once::{
    build_lock_key, building_name, ensure_database, lock_session, try_build_lock, BuildOnce,
    Ensured,
};
pub use url::{with_database, with_query_parameter};

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{DbError, DbErrorKind, Error, Result};
use crate::redact::redact_url;

/// A unique name for a scratch object: process, counter and time.
fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A database (or a schema in a shared database) created for one use (a
/// test, a check) and dropped when this value is dropped.
#[derive(Debug)]
pub struct PgScratchDatabase {
    server_url: String,
    name: String,
    /// Set when the test lives in a schema of a shared database.
    schema: Option<String>,
    url: String,
}

impl PgScratchDatabase {
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
        let name = unique_name("arx_scratch");
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
        Ok(PgScratchDatabase {
            url: with_database(server_url, &name),
            server_url: server_url.to_string(),
            schema: None,
            name,
        })
    }

    /// Creates a schema with a unique name in the existing database
    /// `database`, runs `setup` in it (with `search_path` set to the schema
    /// and then `public`), and hands it out as the test's database: its
    /// [`PgScratchDatabase::url`] and [`PgScratchDatabase::connect`] put every
    /// connection in that schema. Dropping the value drops the schema.
    pub fn create_schema(server_url: &str, database: &str, setup: &str) -> Result<Self> {
        let schema = unique_name("arx_test");
        let database_url = with_database(server_url, database);
        // No space: the server splits `options` on white space.
        let search_path = format!("{schema},public");
        let url = with_query_parameter(
            &database_url,
            "options",
            &format!("-c search_path={search_path}"),
        );
        let mut client = connect(&database_url)?;
        let created = PgScratchDatabase {
            server_url: server_url.to_string(),
            name: database.to_string(),
            schema: Some(schema.clone()),
            url,
        };
        client
            .batch_execute(&format!(
                "CREATE SCHEMA {schema}; SET search_path TO {search_path}; {setup}"
            ))
            .map_err(|e| Error::Database(pg_error(e)))?;
        Ok(created)
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The test's schema, when it lives in a shared database.
    pub fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
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

impl Drop for PgScratchDatabase {
    fn drop(&mut self) {
        let dropped = match &self.schema {
            Some(schema) => {
                connect(&with_database(&self.server_url, &self.name)).and_then(|mut client| {
                    client
                        .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                        .map_err(|e| Error::Database(pg_error(e)))
                })
            }
            None => connect(&self.server_url).and_then(|mut admin| {
                admin
                    .batch_execute(&format!(
                        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                        self.name
                    ))
                    .map_err(|e| Error::Database(pg_error(e)))
            }),
        };
        if let Err(error) = dropped {
            let what = self.schema.as_deref().unwrap_or(&self.name);
            tracing::warn!(%what, %error, "could not drop a scratch database or schema");
        }
    }
}

/// Connects to `url`; the error never shows the password. On a thread that
/// drives an async runtime, [`Error::InsideAsyncRuntime`] instead.
pub fn connect(url: &str) -> Result<postgres::Client> {
    // On a thread that drives an async runtime the driver would panic.
    crate::backend::postgres::refuse_inside_async_runtime()?;
    let mut config: postgres::Config = url.parse().map_err(|error| {
        Error::Database(DbError::new(
            DbErrorKind::Other,
            format!("cannot connect to {}: {error}", redact_url(url)),
        ))
    })?;
    crate::backend::postgres::keep_alive(&mut config);
    config.connect(postgres::NoTls).map_err(|error| {
        Error::Database(
            pg_error(error).prefixed(format_args!("cannot connect to {}", redact_url(url))),
        )
    })
}

use crate::backend::postgres::db_error as pg_error;

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
