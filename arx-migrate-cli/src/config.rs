//! [`CliConfig`]: the defaults a program gives its command line.

use std::fmt;
use std::path::PathBuf;

use arx_migrate_core::migration::{MigrationSource, Registry};
use arx_migrate_core::store::DEFAULT_VERSION_TABLE;

/// The URL used when neither `--url`, `-s NAME` nor `DATABASE_URL` names a
/// database.
pub const DEFAULT_URL: &str = "sqlite://./data/arx.db";

/// The services file read by `-s NAME` and `status --all`.
pub const DEFAULT_SERVICES_FILE: &str = "arx-migrate.toml";

/// The folder `revision` and `merge` write to, relative to the working
/// directory (the crate's root).
pub const DEFAULT_MIGRATIONS_DIR: &str = "src/migrations";

/// The folder `revision --sql` writes to, relative to the working
/// directory (the crate's root): where `sql_migrations!()` looks by default.
pub const DEFAULT_SQL_MIGRATIONS_DIR: &str = "migrations";

/// What a program that embeds the command line decides for its users: the
/// migrations it knows, where its version table is, and the defaults of the
/// options.
///
/// ```no_run
/// fn main() -> std::process::ExitCode {
///     arx_migrate_cli::run(
///         arx_migrate_cli::CliConfig::default().version_table("alembic_version"),
///     )
/// }
/// ```
pub struct CliConfig {
    pub(crate) source: Box<dyn MigrationSource>,
    pub(crate) program: String,
    pub(crate) version_table: String,
    pub(crate) history_table: Option<String>,
    pub(crate) schema: Option<String>,
    pub(crate) default_url: String,
    pub(crate) services_file: PathBuf,
    pub(crate) migrations_dir: PathBuf,
    pub(crate) sql_migrations_dir: PathBuf,
}

impl Default for CliConfig {
    fn default() -> Self {
        CliConfig {
            source: Box::new(Registry),
            program: "arx-migrate".to_string(),
            version_table: DEFAULT_VERSION_TABLE.to_string(),
            history_table: None,
            schema: None,
            default_url: DEFAULT_URL.to_string(),
            services_file: PathBuf::from(DEFAULT_SERVICES_FILE),
            migrations_dir: PathBuf::from(DEFAULT_MIGRATIONS_DIR),
            sql_migrations_dir: PathBuf::from(DEFAULT_SQL_MIGRATIONS_DIR),
        }
    }
}

impl fmt::Debug for CliConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CliConfig")
            .field("program", &self.program)
            .field("version_table", &self.version_table)
            .field("history_table", &self.history_table)
            .field("schema", &self.schema)
            .field(
                "default_url",
                &arx_migrate_core::redact::redact_url(&self.default_url),
            )
            .field("services_file", &self.services_file)
            .field("migrations_dir", &self.migrations_dir)
            .field("sql_migrations_dir", &self.sql_migrations_dir)
            .finish_non_exhaustive()
    }
}

impl CliConfig {
    /// The migrations the command line works on (default: every migration
    /// registered with `#[migration]` in the program).
    pub fn migrations(mut self, source: impl MigrationSource + 'static) -> Self {
        self.source = Box::new(source);
        self
    }

    /// The program's name, shown in usage and in hints (default
    /// `arx-migrate`).
    pub fn program_name(mut self, name: impl Into<String>) -> Self {
        self.program = name.into();
        self
    }

    /// The version table (default `arx_migrate_version`); a service in the
    /// services file may override it.
    pub fn version_table(mut self, name: impl Into<String>) -> Self {
        self.version_table = name.into();
        self
    }

    /// The history table (default `arx_migrate_history`).
    pub fn history_table(mut self, name: impl Into<String>) -> Self {
        self.history_table = Some(name.into());
        self
    }

    /// The PostgreSQL schema of the bookkeeping tables; a service may
    /// override it.
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = Some(schema.into());
        self
    }

    /// The database used when nothing else names one (default
    /// `sqlite://./data/arx.db`).
    pub fn default_url(mut self, url: impl Into<String>) -> Self {
        self.default_url = url.into();
        self
    }

    /// Where the services file is (default `arx-migrate.toml` in the working
    /// directory); `--config` overrides it.
    pub fn services_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.services_file = path.into();
        self
    }

    /// The folder `revision` and `merge` write new modules to (default
    /// `src/migrations`, relative to the working directory);
    /// `--migrations-dir` overrides it. A program can pin it to its crate
    /// with `concat!(env!("CARGO_MANIFEST_DIR"), "/src/migrations")`.
    pub fn migrations_dir(mut self, path: impl Into<PathBuf>) -> Self {
        self.migrations_dir = path.into();
        self
    }

    /// The folder of `.sql` migrations that `revision --sql` writes to
    /// (default `migrations`, relative to the working directory; the
    /// program embeds it with `arx_migrate::sql_migrations!`);
    /// `--migrations-dir` overrides it for `revision --sql`.
    pub fn sql_migrations_dir(mut self, path: impl Into<PathBuf>) -> Self {
        self.sql_migrations_dir = path.into();
        self
    }
}
