//! PostgreSQL fixtures: a template database per migration set, built once
//! (safely when many test processes start at once) and copied per test.

use std::time::{Duration, Instant};

use crate::backend::Backend;
use crate::error::{DbError, Error, Result};
use crate::lock::lock_key;
use crate::runner::Migrator;

use super::scratch::{connect, pg_error, with_database, PgTestDatabase};

/// How `CREATE DATABASE … TEMPLATE` copies the template (PostgreSQL 15+).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CopyStrategy {
    /// Block by block through the write-ahead log (the server's default).
    #[default]
    WalLog,
    /// File by file, after a checkpoint.
    FileCopy,
}

impl CopyStrategy {
    fn sql(self) -> &'static str {
        match self {
            CopyStrategy::WalLog => "WAL_LOG",
            CopyStrategy::FileCopy => "FILE_COPY",
        }
    }
}

/// Options for a PostgreSQL test database.
#[derive(Debug, Clone)]
pub struct PgFixture<'a> {
    migrator: &'a Migrator,
    server_url: String,
    target: String,
    strategy: CopyStrategy,
}

impl<'a> PgFixture<'a> {
    /// A fixture for `migrator`'s schema at head on the server at
    /// `server_url`.
    pub fn new(migrator: &'a Migrator, server_url: &str) -> Self {
        PgFixture {
            migrator,
            server_url: server_url.to_string(),
            target: "head".to_string(),
            strategy: CopyStrategy::default(),
        }
    }

    /// The revision the databases are at (default `head`).
    pub fn at(mut self, target: &str) -> Self {
        self.target = target.to_string();
        self
    }

    /// How the template is copied.
    pub fn strategy(mut self, strategy: CopyStrategy) -> Self {
        self.strategy = strategy;
        self
    }

    /// The template's name: derived from the migration set's fingerprint
    /// and the target, so an edited migration gets a new template.
    pub fn template_name(&self) -> String {
        let digest = lock_key(&self.migrator.fingerprint(Backend::Postgres), &self.target);
        format!("arx_tpl_{:016x}", digest as u64)
    }

    /// A new database, a copy of the template (built first if missing).
    pub fn create(&self) -> Result<PgTestDatabase> {
        let template = self.ensure_template()?;
        PgTestDatabase::create_from(&self.server_url, Some(&template), Some(self.strategy.sql()))
    }

    /// Builds the template unless it exists; returns its name.
    pub fn ensure_template(&self) -> Result<String> {
        let name = self.template_name();
        let mut admin = connect(&self.server_url)?;
        if database_exists(&mut admin, &name)? {
            return Ok(name);
        }
        // One builder per template across processes: the others wait here,
        // polling so that none holds a snapshot while it waits.
        let key = lock_key("arx-migrate-test-template", &name);
        let started = Instant::now();
        loop {
            let taken: bool = admin
                .query_one("SELECT pg_try_advisory_lock($1)", &[&key])
                .map_err(|e| Error::Database(pg_error(e)))?
                .get(0);
            if taken {
                break;
            }
            if started.elapsed() > Duration::from_secs(600) {
                return Err(Error::LockTimeout {
                    what: format!("test template {name}"),
                    waited_ms: started.elapsed().as_millis(),
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let built = self.build_template(&mut admin, &name);
        let _ = admin.execute("SELECT pg_advisory_unlock($1)", &[&key]);
        built.map(|()| name)
    }

    fn build_template(&self, admin: &mut postgres::Client, name: &str) -> Result<()> {
        if database_exists(admin, name)? {
            return Ok(()); // another process built it while we waited
        }
        let building = format!("{name}_build");
        let sql_error = |e: postgres::Error| Error::Database(pg_error(e));
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
            .map_err(sql_error)?;
        // Apart: CREATE DATABASE cannot run in the implicit transaction of a
        // multi-statement string.
        admin
            .batch_execute(&format!("CREATE DATABASE {building}"))
            .map_err(sql_error)?;
        let migrated = connect(&with_database(&self.server_url, &building))
            .and_then(|mut conn| self.migrator.upgrade(&mut conn, &self.target).map(|_| ()));
        if let Err(error) = migrated {
            let _ =
                admin.batch_execute(&format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"));
            return Err(error);
        }
        // Published under its final name only when complete; no one may
        // connect to it afterwards, since a connection blocks copies.
        admin
            .batch_execute(&format!("ALTER DATABASE {building} RENAME TO {name}"))
            .map_err(sql_error)?;
        admin
            .batch_execute(&format!(
                "ALTER DATABASE {name} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false"
            ))
            .map_err(sql_error)
    }
}

fn database_exists(admin: &mut postgres::Client, name: &str) -> Result<bool> {
    admin
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .map(|row| row.is_some())
        .map_err(|e| Error::Database(pg_error(e)))
}

/// A fresh database at head, a copy of the migration set's template.
pub fn fresh_postgres(migrator: &Migrator, server_url: &str) -> Result<PgTestDatabase> {
    PgFixture::new(migrator, server_url).create()
}

/// A fresh database at `target`, a copy of the migration set's template.
pub fn fresh_postgres_at(
    migrator: &Migrator,
    server_url: &str,
    target: &str,
) -> Result<PgTestDatabase> {
    PgFixture::new(migrator, server_url).at(target).create()
}

/// Drops every fixture template on the server (they are rebuilt on
/// demand); returns how many were dropped.
pub fn drop_templates(server_url: &str) -> Result<usize> {
    let mut admin = connect(server_url)?;
    let rows = admin
        .query(
            "SELECT datname FROM pg_database WHERE datname LIKE 'arx\\_tpl\\_%'",
            &[],
        )
        .map_err(|e| Error::Database(pg_error(e)))?;
    let mut dropped = 0;
    for row in rows {
        let name: String = row.get(0);
        admin
            .batch_execute(&format!("ALTER DATABASE {name} WITH IS_TEMPLATE false"))
            .and_then(|()| {
                admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            })
            .map_err(|e| {
                Error::Database(DbError {
                    message: format!("cannot drop template {name}: {}", pg_error(e).message),
                    code: None,
                })
            })?;
        dropped += 1;
    }
    Ok(dropped)
}
