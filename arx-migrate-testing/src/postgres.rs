//! PostgreSQL fixtures: databases built once per migration set (safely
//! when many test processes start at once) — a template, a shared database
//! for schemas, a database at the target for rollback tests — and, per
//! test, a transaction rolled back at the end ([`PgFixture::rollback`]), a
//! schema or database of its own from a pool prepared ahead
//! ([`PgFixture::schema`], [`PgFixture::database`]), or one made on the
//! spot ([`PgFixture::create`]). `BENCHMARKS.md` compares them.

mod clients;
mod leaks;
mod objects;
mod pool;
mod reclaim;
mod registry;
mod rollback;

pub use pool::PooledDatabase;
pub use reclaim::{reclaim_stale, ReclaimPolicy};
pub use registry::REGISTRY_DATABASE;
pub use rollback::RollbackConnection;

use arx_migrate_core::backend::Backend;
use arx_migrate_core::error::{DbError, DbErrorKind, Direction, Error, Result};
use arx_migrate_core::lock::lock_key;
use arx_migrate_core::runner::Migrator;

use arx_migrate_core::backend::postgres::db_error as pg_error;
use arx_migrate_core::not_api::scratch::{
    connect, ensure_database, with_database, BuildOnce, PgScratchDatabase as PgTestDatabase,
};

use objects::Recipe;
use registry::Kind;

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

/// How many schemas the pool keeps ready per migration set, unless
/// [`PgFixture::pool_size`] says otherwise.
pub const DEFAULT_SCHEMA_POOL_SIZE: usize = 8;

/// How many databases the pool keeps ready per migration set, unless
/// [`PgFixture::pool_size`] says otherwise (each is a copy of the
/// template: with PostGIS, 18 MB).
pub const DEFAULT_DATABASE_POOL_SIZE: usize = 4;

/// Options for a PostgreSQL test database.
///
/// ```no_run
/// use arx_migrate_testing::PgFixture;
/// # fn test(migrator: &arx_migrate_core::Migrator, server: &str) -> arx_migrate_core::Result<()> {
/// // The fastest: a transaction on a database at head, rolled back.
/// let mut db = PgFixture::new(migrator, server).rollback()?;
/// let mut tx = db.transaction()?;
/// // A schema of its own (prepared ahead), for a test that commits.
/// let schema = PgFixture::new(migrator, server).at("002").schema()?;
/// let mut client = schema.connect()?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct PgFixture<'a> {
    migrator: &'a Migrator,
    server_url: String,
    target: String,
    strategy: CopyStrategy,
    pool_size: Option<usize>,
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
            pool_size: None,
        }
    }

    /// The revision the databases are at (default `head`).
    pub fn at(mut self, target: &str) -> Self {
        self.target = target.to_string();
        self
    }

    /// How [`PgFixture::create`] copies the schema.
    pub fn strategy(mut self, strategy: CopyStrategy) -> Self {
        self.strategy = strategy;
        self
    }

    /// How many schemas (or databases) the pool keeps ready for this
    /// migration set and target, across all test processes on the server
    /// (default [`DEFAULT_SCHEMA_POOL_SIZE`], [`DEFAULT_DATABASE_POOL_SIZE`]).
    /// The first fixture of a set in a process decides for the process.
    pub fn pool_size(mut self, size: usize) -> Self {
        self.pool_size = Some(size.max(1));
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

    /// The name of the database at the target that rollback tests share.
    pub fn rollback_database_name(&self) -> String {
        let target = format!("{}\n{}", self.target, rollback::LAYOUT);
        format!("arx_rb_{}", self.digest_of(&target))
    }

    fn digest(&self) -> String {
        self.digest_of(&self.target)
    }

    fn digest_of(&self, target: &str) -> String {
        let digest = lock_key(&self.migrator.fingerprint(Backend::Postgres), target);
        format!("{:016x}", digest as u64)
    }

    /// A new database for one test, at the fixture's target, made on the
    /// spot (hundreds of milliseconds: see [`PgFixture::schema`] for one
    /// prepared ahead) and dropped when the value is dropped.
    pub fn create(&self) -> Result<PgTestDatabase> {
        if self.strategy == CopyStrategy::SchemaPerTest {
            if let Some(Recipe::Schema { database, setup }) = self.schema_recipe()? {
                return PgTestDatabase::create_schema(&self.server_url, &database, &setup);
            }
        }
        let template = self.ensure_template()?;
        PgTestDatabase::create_from(&self.server_url, Some(&template), Some(self.strategy.sql()))
    }

    /// A session inside a transaction on the migration set's database at
    /// the target, rolled back when the test ends: a few round trips per
    /// test. The database is built once per migration set and target and
    /// kept on the server. See [`RollbackConnection`] for when it fits.
    pub fn rollback(&self) -> Result<RollbackConnection> {
        let name = self.rollback_database_name();
        let url = match rollback::ready_url(&self.server_url, &name) {
            Some(url) => url,
            None => self.build_rollback_database(&name)?,
        };
        match RollbackConnection::open(&self.server_url, &name, &url) {
            // Dropped since this process last built it (a test had
            // committed into it): built again.
            Err(Error::Database(DbError {
                code: Some(code), ..
            })) if code == "3D000" => {
                rollback::forget_ready(&self.server_url, &name);
                let url = self.build_rollback_database(&name)?;
                RollbackConnection::open(&self.server_url, &name, &url)
            }
            opened => opened,
        }
    }

    /// Builds the rollback database `name` unless it exists; returns its URL.
    fn build_rollback_database(&self, name: &str) -> Result<String> {
        let registry = registry::registry(&self.server_url)?;
        reclaim::sweep_in_background(&self.server_url);
        self.ensure_database(name, |url| {
            let mut conn = connect(url)?;
            self.migrator.upgrade(&mut conn, &self.target)?;
            // Last, in this order: what the build wrote is the baseline,
            // and the database is read-only from then on.
            [
                rollback::COMMIT_GUARD,
                leaks::BASELINE,
                leaks::RECORD_BASELINE,
                rollback::READ_ONLY_OUTSIDE_TESTS,
            ]
            .into_iter()
            .try_for_each(|sql| conn.batch_execute(sql))
            .map_err(|e| Error::Database(pg_error(e)))
        })?;
        registry.touch_fixture(name)?;
        let url = with_database(&self.server_url, name);
        rollback::remember_ready(&self.server_url, name, &url);
        Ok(url)
    }

    /// A schema of its own for one test, at the target, from the pool
    /// that a background thread keeps filled (one statement to claim
    /// one); dropped in the background after use. A chain that cannot be
    /// replayed into a schema (data migrations, non-transactional steps)
    /// gets a database of its own instead ([`PgFixture::database`]).
    pub fn schema(&self) -> Result<PooledDatabase> {
        let size = self.pool_size.unwrap_or(DEFAULT_SCHEMA_POOL_SIZE);
        let registry = registry::registry(&self.server_url)?;
        let mut replayable = true;
        let pool = pool::pool(
            &self.server_url,
            &self.digest(),
            Kind::Schema,
            size,
            registry.clone(),
            || {
                reclaim::sweep_in_background(&self.server_url);
                match self.schema_recipe()? {
                    Some(recipe) => {
                        registry.touch_fixture(&self.shared_database_name())?;
                        Ok(recipe)
                    }
                    None => {
                        replayable = false;
                        self.database_recipe(&registry)
                    }
                }
            },
        )?;
        if !replayable {
            tracing::debug!("the chain cannot be replayed into a schema; pooling databases");
        }
        pool.take()
    }

    /// A database of its own for one test, at the target: a copy of the
    /// migration set's template, from the pool that a background thread
    /// keeps filled; dropped in the background after use.
    pub fn database(&self) -> Result<PooledDatabase> {
        let size = self.pool_size.unwrap_or(DEFAULT_DATABASE_POOL_SIZE);
        let registry = registry::registry(&self.server_url)?;
        let pool = pool::pool(
            &self.server_url,
            &self.digest(),
            Kind::Database,
            size,
            registry.clone(),
            || {
                reclaim::sweep_in_background(&self.server_url);
                self.database_recipe(&registry)
            },
        )?;
        pool.take()
    }

    fn database_recipe(&self, registry: &registry::Registry) -> Result<Recipe> {
        let template = self.ensure_template()?;
        registry.touch_fixture(&template)?;
        Ok(Recipe::Database { template })
    }

    /// The recorded SQL from base to the target, as statements.
    fn replay_statements(&self) -> Result<Vec<String>> {
        self.migrator
            .offline_statements(Backend::Postgres, &[], &self.target, Direction::Upgrade)
    }

    /// How to fill a schema with the chain's recorded SQL, the shared
    /// database it goes in built (with the chain's extensions); `None`
    /// for a chain that cannot be replayed into a schema in one
    /// transaction: one with data migrations (which cannot be recorded)
    /// or non-transactional steps.
    fn schema_recipe(&self) -> Result<Option<Recipe>> {
        let statements = match self.replay_statements() {
            Ok(statements) => statements,
            Err(Error::NeedsConnection { revision }) => {
                tracing::debug!(%revision, "a data migration cannot be replayed into a schema");
                return Ok(None);
            }
            Err(error) => return Err(error),
        };
        if let Some(step) = self
            .migrator
            .graph()
            .in_order()
            .find(|m| !m.transactional())
        {
            tracing::debug!(
                revision = step.revision(),
                "a non-transactional step cannot be replayed into a schema"
            );
            return Ok(None);
        }
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
        // Without the per-step BEGIN/COMMIT: the schema is built in one
        // transaction.
        let setup: String = schema_statements
            .iter()
            .filter(|s| !is_transaction_control(s))
            .map(|s| format!("{};\n", s.trim_end().trim_end_matches(';')))
            .collect();
        Ok(Some(Recipe::Schema {
            database: shared,
            setup,
        }))
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

    /// Creates the database `name` with `fill` unless it exists: once
    /// across processes, built under another name and renamed when
    /// complete ([`arx_migrate_core::not_api::scratch::ensure_database`]). A
    /// template then takes no connections, since a connection blocks
    /// copies.
    fn ensure_database(&self, name: &str, fill: impl FnOnce(&str) -> Result<()>) -> Result<()> {
        let how = BuildOnce {
            template: name.starts_with("arx_tpl_"),
            ..BuildOnce::default()
        };
        let mut admin = connect(&self.server_url)?;
        ensure_database(&mut admin, &self.server_url, name, &how, fill).map(|_| ())
    }
}

/// Whether `statement` creates an extension (which is per database).
fn is_create_extension(statement: &str) -> bool {
    arx_migrate_core::canonical_sql(statement).starts_with("create extension")
}

/// Whether `statement` is the `BEGIN` or `COMMIT` around an offline step.
fn is_transaction_control(statement: &str) -> bool {
    matches!(
        arx_migrate_core::canonical_sql(statement).as_str(),
        "begin" | "commit"
    )
}

/// A schema of its own at head, prepared ahead: [`PgFixture::schema`].
pub fn fresh_postgres(migrator: &Migrator, server_url: &str) -> Result<PooledDatabase> {
    PgFixture::new(migrator, server_url).schema()
}

/// A schema of its own at `target`, prepared ahead: [`PgFixture::schema`].
pub fn fresh_postgres_at(
    migrator: &Migrator,
    server_url: &str,
    target: &str,
) -> Result<PooledDatabase> {
    PgFixture::new(migrator, server_url).at(target).schema()
}

/// A transaction on a database at head, rolled back at the end:
/// [`PgFixture::rollback`].
pub fn rollback_postgres(migrator: &Migrator, server_url: &str) -> Result<RollbackConnection> {
    PgFixture::new(migrator, server_url).rollback()
}

/// Drops every fixture database on the server — templates, shared and
/// rollback databases, prepared pool databases — now, whoever uses them
/// (they are rebuilt on demand); returns how many were dropped. Meant for
/// a server where no tests run; [`reclaim_stale`] drops only what is
/// stale, and runs by itself.
pub fn drop_templates(server_url: &str) -> Result<usize> {
    let mut admin = connect(server_url)?;
    let rows = admin
        .query(
            "SELECT datname FROM pg_database WHERE datname LIKE 'arx\\_tpl\\_%' OR datname LIKE 'arx\\_fx\\_%' \
             OR datname LIKE 'arx\\_rb\\_%' OR datname LIKE 'arx\\_pdb\\_%'",
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
                Error::Database(DbError::new(
                    DbErrorKind::Other,
                    format!("cannot drop template {name}: {}", pg_error(e).message),
                ))
            })?;
        dropped += 1;
        forget_database(server_url, &name)?;
    }
    Ok(dropped)
}

/// Removes the registry's rows of the dropped database `name` (its pool
/// schemas included), so that no test claims what no longer exists.
fn forget_database(server_url: &str, name: &str) -> Result<()> {
    match connect(&with_database(server_url, REGISTRY_DATABASE)) {
        Ok(mut registry) => registry
            .execute("DELETE FROM fixture_objects WHERE database = $1", &[&name])
            .map(|_| ())
            .map_err(|e| Error::Database(pg_error(e))),
        // No registry on this server: nothing to forget.
        Err(Error::Database(DbError {
            code: Some(code), ..
        })) if code == "3D000" => Ok(()),
        Err(error) => Err(error),
    }
}
