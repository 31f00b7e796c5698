//! Where the database is: `--url`, `-s SERVICE`, `DATABASE_URL`, or the
//! program's default; and the [`Migrator`] configured for it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use arx_migrate_core::backend::{Backend, Connection};
use arx_migrate_core::redact::redact_url;
use arx_migrate_core::runner::{LockRetry, Migrator, DEFAULT_LOCK_WAIT};

use super::args::{BackendArg, Global};
use super::config::CliConfig;
use super::database::DbUrl;
use super::error::CliError;
use super::hooks::{CommandHooks, HookLog};
use super::metrics_file::Metrics;
use super::services::{Service, ServicesFile};

/// The environment variable read when no `--url` or `-s` is given.
pub const DATABASE_URL_ENV: &str = "DATABASE_URL";

/// Everything the command needs from the program and the options.
#[derive(Clone, Copy)]
pub(crate) struct Context<'a> {
    pub(crate) config: &'a CliConfig,
    pub(crate) global: &'a Global,
    /// Prints a line at once (text output, not quiet): progress.
    pub(crate) live: Option<&'a dyn Fn(&str)>,
    /// Prints a line to stderr at once (not quiet): waiting for a lock.
    pub(crate) notice: Option<&'a dyn Fn(&str)>,
    /// Whether stderr is the process's own and a terminal (a progress bar
    /// may be drawn on it).
    pub(crate) stderr_is_terminal: bool,
    /// The verb, for the PostgreSQL session's `application_name`.
    pub(crate) verb: &'static str,
    /// Writes text to stdout at once, as it is (`--watch`).
    pub(crate) out: &'a dyn Fn(&str),
    /// Whether stdout is the process's own and a terminal (`--watch`
    /// redraws in place).
    pub(crate) stdout_is_terminal: bool,
    /// Prints a line to stderr at once, even with `--quiet`: a hook that
    /// failed.
    pub(crate) warn: &'a dyn Fn(&str),
    /// Where the metrics of runs go (`--metrics-file`).
    pub(crate) metrics: &'a Metrics,
}

/// A database to work on, and its bookkeeping settings.
#[derive(Debug, Clone)]
pub(crate) struct Database {
    /// The service's name, when it came from the services file.
    pub(crate) service: Option<String>,
    pub(crate) url: String,
    pub(crate) parsed: DbUrl,
    /// Where the URL came from, for messages.
    pub(crate) origin: String,
    pub(crate) version_table: String,
    pub(crate) schema: Option<String>,
    pub(crate) lock_wait: Option<Duration>,
    pub(crate) lock_timeout: Option<Duration>,
    pub(crate) statement_timeout: Option<Duration>,
    /// Lock retries (PostgreSQL): more attempts after the first, and the
    /// overrides of [`LockRetry`]'s timeout and longest pause.
    pub(crate) lock_retries: LockRetrySettings,
    /// `application_name` of PostgreSQL sessions: `PROGRAM VERB`, so that
    /// a run waiting for the lock, or an operator, can tell who holds it.
    pub(crate) application_name: String,
    /// The program's name, for messages.
    program: String,
    is_default: bool,
    /// Where a relative SQLite path starts ([`CliConfig::current_dir`]).
    current_dir: Option<PathBuf>,
}

/// Lock retries as the command line and the services file give them.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct LockRetrySettings {
    /// Attempts after the first (`--lock-retries`, `lock_retries`).
    pub(crate) retries: Option<u32>,
    /// Each attempt's lock timeout (`--lock-retry-timeout`).
    pub(crate) timeout: Option<Duration>,
    /// The longest pause (`--lock-retry-max-wait`).
    pub(crate) max_wait: Option<Duration>,
}

impl LockRetrySettings {
    /// The [`LockRetry`] they ask for: none when retries are off (not
    /// given, or 0). A timeout or pause without retries is an error, not
    /// a setting silently ignored.
    pub(crate) fn lock_retry(&self) -> Result<Option<LockRetry>, CliError> {
        match self.retries {
            Some(retries) if retries > 0 => {
                let mut retry = LockRetry::new().attempts(retries.saturating_add(1));
                if let Some(timeout) = self.timeout {
                    retry = retry.timeout(timeout);
                }
                if let Some(max_wait) = self.max_wait {
                    retry = retry.max_wait(max_wait);
                }
                Ok(Some(retry))
            }
            _ if self.timeout.is_some() || self.max_wait.is_some() => Err(CliError::usage(
                "--lock-retry-timeout and --lock-retry-max-wait (lock_retry_timeout, lock_retry_max_wait) set lock retries, which are off",
            )
            .hint("turn them on with --lock-retries N (or lock_retries = N in the service's section), N the attempts after the first")),
            _ => Ok(None),
        }
    }
}

/// The environment variable that turns the schema cache off.
pub(crate) const NO_SCRATCH_CACHE: &str = "ARX_MIGRATE_NO_SCRATCH_CACHE";

impl Context<'_> {
    pub(crate) fn program(&self) -> &str {
        &self.config.program
    }

    /// `path` as the command opens it (see [`CliConfig::current_dir`]);
    /// messages show it as written.
    pub(crate) fn path(&self, path: &Path) -> PathBuf {
        self.config.resolve(path)
    }

    /// Whether the schema cache is used on PostgreSQL: unless the command
    /// says `--no-scratch-cache` or `ARX_MIGRATE_NO_SCRATCH_CACHE` is set
    /// (to anything but `0` or empty).
    pub(crate) fn scratch_cache(&self, no_scratch_cache: bool) -> bool {
        let disabled = self
            .var(NO_SCRATCH_CACHE)
            .is_some_and(|value| !value.is_empty() && value != "0");
        !(no_scratch_cache || disabled)
    }

    /// An environment variable, as the program lets the command see it.
    pub(crate) fn var(&self, name: &str) -> Option<String> {
        self.config.env.var(name)
    }

    pub(crate) fn services_path(&self) -> PathBuf {
        self.global
            .config
            .clone()
            .unwrap_or_else(|| self.config.services_file.clone())
    }

    pub(crate) fn migrations_dir(&self) -> PathBuf {
        self.global
            .migrations_dir
            .clone()
            .unwrap_or_else(|| self.config.migrations_dir.clone())
    }

    /// The folder of `.sql` migrations (`--migrations-dir` is for the
    /// folder being written to: see `revision --sql`).
    pub(crate) fn sql_migrations_dir(&self) -> PathBuf {
        self.config.sql_migrations_dir.clone()
    }

    /// The backend named by `--backend`, if any; `all` is for `lint` only.
    pub(crate) fn backend_option(&self) -> Result<Option<Backend>, CliError> {
        match self.global.backend {
            None => Ok(None),
            Some(BackendArg::One(backend)) => Ok(Some(backend)),
            Some(BackendArg::All) => Err(CliError::usage(
                "--backend all is for `lint`; name one backend: --backend sqlite or --backend postgres",
            )),
        }
    }

    /// The backend named by `--backend`, else the one of the database URL
    /// (read, not connected to).
    pub(crate) fn backend(&self) -> Result<Backend, CliError> {
        match self.backend_option()? {
            Some(backend) => Ok(backend),
            None => Ok(self.database()?.parsed.backend()),
        }
    }

    pub(crate) fn services(&self) -> Result<Option<ServicesFile>, CliError> {
        let path = self.services_path();
        ServicesFile::load(&self.path(&path), &path)
    }

    /// The database named by the options. Explicit options win over the
    /// environment: `--url`, then `-s SERVICE`, then `$DATABASE_URL`, then
    /// the program's default.
    pub(crate) fn database(&self) -> Result<Database, CliError> {
        Ok(self.with_options(self.named_database()?))
    }

    /// `database` with the timeouts given on the command line, which win
    /// over the service's settings.
    pub(crate) fn with_options(&self, mut database: Database) -> Database {
        let global = self.global;
        database.lock_wait = global.lock_wait.or(database.lock_wait);
        database.lock_timeout = global.lock_timeout.or(database.lock_timeout);
        database.statement_timeout = global.statement_timeout.or(database.statement_timeout);
        let retries = &mut database.lock_retries;
        retries.retries = global.lock_retries.or(retries.retries);
        retries.timeout = global.lock_retry_timeout.or(retries.timeout);
        retries.max_wait = global.lock_retry_max_wait.or(retries.max_wait);
        database
    }

    fn named_database(&self) -> Result<Database, CliError> {
        if let Some(url) = &self.global.url {
            if url.trim().is_empty() {
                return Err(CliError::usage("--url is empty").hint(
                    "give the database: --url sqlite://path/to/file.db, --url sqlite::memory: or --url postgres://user@host/database; or leave --url out to use -s SERVICE or $DATABASE_URL",
                ));
            }
            let mut database = self.plain(url, "--url")?;
            if let Some(name) = &self.global.service {
                // --url with -s: the service's settings, another URL.
                let file = self.require_services(name)?;
                let service = file.service(name, &self.services_path())?;
                database.apply(name, service);
            }
            return Ok(database);
        }
        if let Some(name) = &self.global.service {
            let file = self.require_services(name)?;
            let service = file.service(name, &self.services_path())?;
            return self.service_database(name, service);
        }
        if let Some(url) = self.var(DATABASE_URL_ENV) {
            if !url.trim().is_empty() {
                return self.plain(&url, DATABASE_URL_ENV);
            }
        }
        let mut database = self.plain(
            &self.config.default_url.clone(),
            "the program's default URL",
        )?;
        database.is_default = true;
        Ok(database)
    }

    fn require_services(&self, name: &str) -> Result<ServicesFile, CliError> {
        let path = self.services_path();
        self.services()?.ok_or_else(|| {
            CliError::new(
                "config",
                format!("-s {name}: there is no services file at {}", path.display()),
            )
            .hint(format!(
                "create it with a [services.{name}] section holding url or url_env, or point to it with --config"
            ))
        })
    }

    pub(crate) fn service_database(
        &self,
        name: &str,
        service: &Service,
    ) -> Result<Database, CliError> {
        let url = service.url(name, |variable| self.var(variable))?;
        let mut database = self.plain(&url, &format!("service {name}"))?;
        database.apply(name, service);
        Ok(database)
    }

    /// A database given by URL alone; `origin` says where the URL came
    /// from, for messages.
    pub(crate) fn plain(&self, url: &str, origin: &str) -> Result<Database, CliError> {
        let parsed = DbUrl::parse(url).map_err(|e| {
            let message = format!("{} (from {origin})", e.message);
            CliError { message, ..e }
        })?;
        Ok(Database {
            service: None,
            url: url.to_string(),
            parsed,
            origin: origin.to_string(),
            version_table: self.config.version_table.clone(),
            schema: self.config.schema.clone(),
            lock_wait: None,
            lock_timeout: None,
            statement_timeout: None,
            lock_retries: LockRetrySettings::default(),
            application_name: format!("{} {}", self.program(), self.verb),
            program: self.program().to_string(),
            is_default: false,
            current_dir: self.config.current_dir.clone(),
        })
    }

    /// A migrator for `database`'s bookkeeping.
    pub(crate) fn migrator(&self, database: &Database) -> Result<Migrator, CliError> {
        let mut migrator = self.code()?.version_table(&database.version_table);
        if let Some(history) = &self.config.history_table {
            migrator = migrator.history_table(history);
        }
        if let Some(schema) = &database.schema {
            migrator = migrator.schema(schema);
        }
        if let Some(wait) = database.lock_wait {
            migrator = migrator.lock_wait(wait);
        }
        if let Some(timeout) = database.lock_timeout {
            migrator = migrator.lock_timeout(timeout);
        }
        if let Some(timeout) = database.statement_timeout {
            migrator = migrator.statement_timeout(timeout);
        }
        if let Some(retry) = database.lock_retries.lock_retry()? {
            migrator = migrator.lock_retries(retry);
        }
        Ok(migrator)
    }

    /// The services file's `[hooks]` as the engine's hooks, for `database`
    /// (`None`: a fleet's, which name each target), logging their runs to
    /// `log`; `None` when no hook is set.
    pub(crate) fn command_hooks(
        &self,
        database: Option<&Database>,
        log: &HookLog,
    ) -> Result<Option<CommandHooks>, CliError> {
        let Some(file) = self.services()? else {
            return Ok(None);
        };
        if file.hooks.is_empty() {
            return Ok(None);
        }
        let timeout = file
            .hooks
            .timeout()
            .map_err(|reason| CliError::new("config", format!("[hooks] timeout: {reason}")))?;
        // The variables that hold database URLs (and so passwords).
        let mut hidden = vec![DATABASE_URL_ENV.to_string()];
        hidden.extend(file.services.values().filter_map(|s| s.url_env.clone()));
        Ok(Some(CommandHooks {
            section: file.hooks.clone(),
            timeout,
            database: database.map(Database::shown),
            service: database.and_then(|d| d.service.clone()),
            env: self.config.env.clone(),
            current_dir: self.config.current_dir.clone(),
            hidden,
            log: log.clone(),
        }))
    }

    /// A migrator with the program's defaults, for verbs that only read the
    /// code. A program with no migration at all is an error that says how
    /// to link them: every verb that uses the migrations would otherwise
    /// report something misleading ("0 revisions", "unknown revision").
    pub(crate) fn code(&self) -> Result<Migrator, CliError> {
        let migrator = self.code_even_if_empty()?;
        if migrator.graph().is_empty() {
            return Err(CliError::from_core(
                arx_migrate_core::Error::NoMigrations,
                self.program(),
            ));
        }
        Ok(migrator)
    }

    /// [`Context::code`] for the verbs that write the first migration.
    pub(crate) fn code_even_if_empty(&self) -> Result<Migrator, CliError> {
        Migrator::new(&*self.config.source)
            .map(|m| m.version_table(&self.config.version_table))
            .map_err(|e| CliError::from_core(e, self.program()))
    }
}

impl Database {
    fn apply(&mut self, name: &str, service: &Service) {
        self.service = Some(name.to_string());
        if let Some(table) = &service.version_table {
            self.version_table = table.clone();
        }
        if let Some(schema) = &service.schema {
            self.schema = Some(schema.clone());
        }
        self.lock_wait = service.lock_wait();
        self.lock_timeout = service.lock_timeout();
        self.statement_timeout = service.statement_timeout();
        self.lock_retries = LockRetrySettings {
            retries: service.lock_retries,
            timeout: service.lock_retry_timeout(),
            max_wait: service.lock_retry_max_wait(),
        };
    }

    /// The URL as it may be shown.
    pub(crate) fn shown(&self) -> String {
        redact_url(&self.url)
    }

    /// The password, to scrub from messages.
    pub(crate) fn secret(&self) -> Option<String> {
        DbUrl::secret(&self.url)
    }

    /// Where the URL came from, as a note for hints.
    fn origin_note(&self) -> String {
        if self.is_default {
            "no --url, -s or $DATABASE_URL was given, so this is the program's default URL"
                .to_string()
        } else if self.origin == DATABASE_URL_ENV {
            format!("the URL came from ${DATABASE_URL_ENV}")
        } else {
            format!("the URL came from {}", self.origin)
        }
    }

    /// Connects; `write` allows creating an SQLite file (and, for the
    /// default URL, its folder).
    pub(crate) fn connect(&self, write: bool) -> Result<Box<dyn Connection>, CliError> {
        let options = super::database::ConnectOptions {
            create: write,
            create_dir: write && self.is_default,
            application_name: &self.application_name,
            program: &self.program,
            lock_wait: self.lock_wait.unwrap_or(DEFAULT_LOCK_WAIT),
            current_dir: self.current_dir.as_deref(),
        };
        self.parsed.connect(&self.url, &options).map_err(|e| {
            let hint = e
                .hint
                .clone()
                .map(|h| format!("{h} ({})", self.origin_note()));
            CliError { hint, ..e }
        })
    }
}
