//! [`CliConfig`]: the defaults a program gives its command line.

use std::fmt;
use std::path::{Path, PathBuf};

use arx_migrate_core::migration::{MigrationSource, Registry};
use arx_migrate_core::store::DEFAULT_VERSION_TABLE;

use super::env::Env;

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
///
/// A program that runs commands in process with [`crate::execute`] (a test,
/// a service's admin endpoint) can make each run independent of the
/// process's working directory and environment, so that runs on several
/// threads do not meet: [`CliConfig::current_dir`] for relative paths,
/// [`CliConfig::env`], [`CliConfig::env_remove`] and
/// [`CliConfig::env_clear`] for `DATABASE_URL` and the services' `url_env`.
pub struct CliConfig {
    pub(crate) source: Box<dyn MigrationSource>,
    pub(crate) program: String,
    pub(crate) version: Option<String>,
    pub(crate) version_table: String,
    pub(crate) history_table: Option<String>,
    pub(crate) schema: Option<String>,
    pub(crate) default_url: String,
    pub(crate) services_file: PathBuf,
    pub(crate) migrations_dir: PathBuf,
    pub(crate) sql_migrations_dir: PathBuf,
    pub(crate) current_dir: Option<PathBuf>,
    pub(crate) env: Env,
}

impl Default for CliConfig {
    fn default() -> Self {
        CliConfig {
            source: Box::new(Registry),
            program: "arx-migrate".to_string(),
            version: None,
            version_table: DEFAULT_VERSION_TABLE.to_string(),
            history_table: None,
            schema: None,
            default_url: DEFAULT_URL.to_string(),
            services_file: PathBuf::from(DEFAULT_SERVICES_FILE),
            migrations_dir: PathBuf::from(DEFAULT_MIGRATIONS_DIR),
            sql_migrations_dir: PathBuf::from(DEFAULT_SQL_MIGRATIONS_DIR),
            current_dir: None,
            env: Env::default(),
        }
    }
}

impl fmt::Debug for CliConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CliConfig")
            .field("program", &self.program)
            .field("version", &self.version)
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
            .field("current_dir", &self.current_dir)
            .field("env", &self.env)
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

    /// The program's version, printed by `--version` before the library's
    /// (default: only the library's).
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// What `--version` prints after the program's name.
    pub(crate) fn version_text(&self) -> String {
        let library = env!("CARGO_PKG_VERSION");
        match &self.version {
            Some(version) => format!("{version} (arx-migrate {library})"),
            None => library.to_string(),
        }
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

    /// The folder relative paths start from: the SQLite file of a
    /// `sqlite://` URL (the default `./data/arx.db` among them), the
    /// services file, `--config`, the migrations folders (of Rust modules
    /// and of `.sql` files) and `lint --file`.
    /// Default: the process's working directory, which this does not
    /// change.
    ///
    /// ```
    /// use arx_migrate_cli::{execute, CliConfig, EXIT_OK};
    /// use arx_migrate_core::{FnMigration, MigrationSet};
    ///
    /// let notes = FnMigration::new(
    ///     "n001",
    ///     &[],
    ///     |op| op.sql("CREATE TABLE notes (id INTEGER PRIMARY KEY)"),
    ///     |op| op.sql("DROP TABLE notes"),
    /// );
    /// let dir = tempfile::tempdir()?;
    /// let config = CliConfig::default()
    ///     .migrations(MigrationSet::new().with(notes))
    ///     .current_dir(dir.path()) // the default ./data/arx.db is in dir
    ///     .env_clear(); // and not replaced by a DATABASE_URL of the process
    /// let (mut out, mut err) = (Vec::new(), Vec::new());
    /// let code = execute(["tool", "upgrade", "head"], &config, &mut out, &mut err);
    /// assert_eq!(code, EXIT_OK, "{}", String::from_utf8_lossy(&err));
    /// assert!(dir.path().join("data/arx.db").exists());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn current_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.current_dir = Some(dir.into());
        self
    }

    /// Gives the environment variable `name` the value `value` for the
    /// command line only (`DATABASE_URL`, a service's `url_env`); the
    /// process's environment is not changed.
    pub fn env(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.set(name.into(), value.into());
        self
    }

    /// Makes the command line see the environment variable `name` as unset,
    /// whatever the process has.
    pub fn env_remove(mut self, name: impl Into<String>) -> Self {
        self.env.remove(name.into());
        self
    }

    /// Makes the command line see no environment variable of the process:
    /// only those given with [`CliConfig::env`] after this. (The user and
    /// host recorded in the history table are the process's still.)
    ///
    /// ```
    /// use arx_migrate_cli::{execute, CliConfig, EXIT_OK};
    /// use arx_migrate_core::{FnMigration, MigrationSet};
    ///
    /// let notes = FnMigration::new(
    ///     "n001",
    ///     &[],
    ///     |op| op.sql("CREATE TABLE notes (id INTEGER PRIMARY KEY)"),
    ///     |op| op.sql("DROP TABLE notes"),
    /// );
    /// let config = CliConfig::default()
    ///     .migrations(MigrationSet::new().with(notes))
    ///     .env_clear()
    ///     .env("DATABASE_URL", "sqlite::memory:");
    /// let (mut out, mut err) = (Vec::new(), Vec::new());
    /// let code = execute(["tool", "upgrade", "head"], &config, &mut out, &mut err);
    /// assert_eq!(code, EXIT_OK, "{}", String::from_utf8_lossy(&err));
    /// assert!(String::from_utf8_lossy(&out).contains("n001"));
    /// ```
    pub fn env_clear(mut self) -> Self {
        self.env.clear();
        self
    }

    /// `path` as the command line opens it: relative to
    /// [`CliConfig::current_dir`] when one is given.
    pub(crate) fn resolve(&self, path: &Path) -> PathBuf {
        resolve(self.current_dir.as_deref(), path)
    }
}

/// `path`, relative to `dir` if it is relative and `dir` is given.
pub(crate) fn resolve(dir: Option<&Path>, path: &Path) -> PathBuf {
    match dir {
        Some(dir) if path.is_relative() => dir.join(path),
        _ => path.to_path_buf(),
    }
}
