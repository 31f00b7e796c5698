//! PostgreSQL fixtures: a shared database (or a template database) per
//! migration set, built once (safely when many test processes start at
//! once), and a fresh schema (or a database copy) per test.
//!
//! Measured with 16 tests asking at once (`BENCHMARKS.md`), a schema per
//! test replayed from the recorded SQL is the fastest, so it is the default;
//! template copies remain for migrations that cannot be replayed offline
//! (data migrations) and for tests that need a database of their own.

use std::time::{Duration, Instant};

use arx_migrate_core::backend::Backend;
use arx_migrate_core::error::{DbError, Direction, Error, Result};
use arx_migrate_core::lock::lock_key;
use arx_migrate_core::runner::Migrator;

use arx_migrate_core::backend::postgres::db_error as pg_error;
use arx_migrate_core::scratch::{connect, with_database, PgScratchDatabase as PgTestDatabase};

/// How a test gets its copy of the migrated schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CopyStrategy {
    /// A new schema in a database shared by the tests of one migration set
    /// (its extensions installed once, in `public`), filled by replaying
    /// the migrations' recorded SQL. The fastest under parallel load. A
    /// chain with data migrations, which cannot be recorded, falls back to
    /// [`CopyStrategy::WalLog`].
    #[default]
    SchemaPerTest,
    /// A database per test: `CREATE DATABASE … TEMPLATE … STRATEGY
    /// WAL_LOG`, block by block through the write-ahead log.
    WalLog,
    /// A database per test: `CREATE DATABASE … TEMPLATE … STRATEGY
    /// FILE_COPY`, file by file after a checkpoint.
    FileCopy,
}

impl CopyStrategy {
    fn sql(self) -> &'static str {
        match self {
            CopyStrategy::FileCopy => "FILE_COPY",
            CopyStrategy::WalLog | CopyStrategy::SchemaPerTest => "WAL_LOG",
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
        format!("arx_tpl_{}", self.digest())
    }

    /// The name of the database shared by the schema-per-test copies.
    pub fn shared_database_name(&self) -> String {
        format!("arx_fx_{}", self.digest())
    }

    fn digest(&self) -> String {
        let digest = lock_key(&self.migrator.fingerprint(Backend::Postgres), &self.target);
        format!("{:016x}", digest as u64)
    }

    /// A new database for one test, at the fixture's target.
    pub fn create(&self) -> Result<PgTestDatabase> {
        if self.strategy == CopyStrategy::SchemaPerTest {
            match self.replay_statements() {
                Ok(statements) => return self.create_schema(&statements),
                Err(Error::NeedsConnection { revision }) => {
                    tracing::debug!(%revision, "a data migration cannot be replayed; copying a template");
                }
                Err(error) => return Err(error),
            }
        }
        let template = self.ensure_template()?;
        PgTestDatabase::create_from(&self.server_url, Some(&template), Some(self.strategy.sql()))
    }

    /// The recorded SQL from base to the target, as statements.
    fn replay_statements(&self) -> Result<Vec<String>> {
        self.migrator
            .offline_statements(Backend::Postgres, &[], &self.target, Direction::Upgrade)
    }

    fn create_schema(&self, statements: &[String]) -> Result<PgTestDatabase> {
        // Extensions belong to the database, not to a schema: they are
        // installed once in the shared database and skipped per test.
        let (extensions, schema_statements): (Vec<&String>, Vec<&String>) =
            statements.iter().partition(|s| is_create_extension(s));
        let shared = self.shared_database_name();
        self.ensure_database(&shared, |url| {
            let mut conn = connect(url)?;
            for statement in &extensions {
                conn.batch_execute(statement)
                    .map_err(|e| Error::Database(pg_error(e)))?;
            }
            Ok(())
        })?;
        let setup: String = schema_statements
            .iter()
            .map(|s| format!("{};\n", s.trim_end().trim_end_matches(';')))
            .collect();
        PgTestDatabase::create_schema(&self.server_url, &shared, &setup)
    }

    /// Builds the template unless it exists; returns its name.
    pub fn ensure_template(&self) -> Result<String> {
        let name = self.template_name();
        self.ensure_database(&name, |url| {
            let mut conn = connect(url)?;
            self.migrator.upgrade(&mut conn, &self.target).map(|_| ())
        })?;
        Ok(name)
    }

    /// Creates the database `name` with `fill` unless it exists. One
    /// builder per name across processes: the others wait, polling so
    /// that none holds a snapshot while it waits. The database is built
    /// under another name and renamed when complete, and no one may
    /// connect to it afterwards, since a connection blocks copies.
    fn ensure_database(&self, name: &str, fill: impl FnOnce(&str) -> Result<()>) -> Result<()> {
        let mut admin = connect(&self.server_url)?;
        if database_exists(&mut admin, name)? {
            return Ok(());
        }
        let key = lock_key("arx-migrate-test-template", name);
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
                    what: format!("test database {name}"),
                    waited_ms: started.elapsed().as_millis(),
                    holder: None,
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let built = self.build_database(&mut admin, name, fill);
        let _ = admin.execute("SELECT pg_advisory_unlock($1)", &[&key]);
        built
    }

    fn build_database(
        &self,
        admin: &mut postgres::Client,
        name: &str,
        fill: impl FnOnce(&str) -> Result<()>,
    ) -> Result<()> {
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
        if let Err(error) = fill(&with_database(&self.server_url, &building)) {
            let _ =
                admin.batch_execute(&format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"));
            return Err(error);
        }
        admin
            .batch_execute(&format!("ALTER DATABASE {building} RENAME TO {name}"))
            .map_err(sql_error)?;
        if name.starts_with("arx_tpl_") {
            admin
                .batch_execute(&format!(
                    "ALTER DATABASE {name} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false"
                ))
                .map_err(sql_error)?;
        }
        Ok(())
    }
}

/// Whether `statement` creates an extension (which is per database).
fn is_create_extension(statement: &str) -> bool {
    arx_migrate_core::canonical_sql(statement).starts_with("create extension")
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

/// Drops every fixture template and shared fixture database on the server
/// (they are rebuilt on demand); returns how many were dropped.
pub fn drop_templates(server_url: &str) -> Result<usize> {
    let mut admin = connect(server_url)?;
    let rows = admin
        .query(
            "SELECT datname FROM pg_database WHERE datname LIKE 'arx\\_tpl\\_%' OR datname LIKE 'arx\\_fx\\_%'",
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
