//! The command line's grammar (clap derive).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use arx_migrate_core::backend::Backend;

/// Versioned, reversible schema migrations for SQLite and PostgreSQL.
///
/// `--version` prints the program's version (set with
/// `CliConfig::version`) and the library's.
#[derive(Debug, Parser)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: Global,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Options every verb takes.
#[derive(Debug, Args)]
pub(crate) struct Global {
    /// Database URL: sqlite://path, sqlite::memory:, postgres://user@host/db.
    /// Without it: -s SERVICE, then $DATABASE_URL, then the program's default.
    #[arg(long, global = true, value_name = "URL")]
    pub(crate) url: Option<String>,
    /// A service of the services file (`[services.NAME]` in arx-migrate.toml).
    #[arg(short = 's', long = "service", global = true, value_name = "NAME")]
    pub(crate) service: Option<String>,
    /// The services file (default: arx-migrate.toml in the working directory).
    #[arg(long = "config", global = true, value_name = "PATH")]
    pub(crate) config: Option<PathBuf>,
    /// The SQL dialect of --sql, `show` and `lint` (default: the URL's);
    /// `all` (lint only) for both.
    #[arg(long, global = true, value_parser = parse_backend, value_name = "sqlite|postgres|all")]
    pub(crate) backend: Option<BackendArg>,
    /// Output format (markdown: lint, check and validate only; sarif and
    /// github: lint only).
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
    /// Print nothing but errors (and the script of --sql).
    #[arg(short, long, global = true)]
    pub(crate) quiet: bool,
    /// Where `revision` and `merge` write modules (default: src/migrations).
    #[arg(long, global = true, value_name = "DIR")]
    pub(crate) migrations_dir: Option<PathBuf>,
    /// How long to wait for another run (or on SQLite another writer) to
    /// finish: 500ms, 30s, 10min (default: the service's lock_wait, else 10min).
    #[arg(long, global = true, value_parser = parse_duration_arg, value_name = "DURATION")]
    pub(crate) lock_wait: Option<Duration>,
    /// PostgreSQL: how long one statement may wait for a table lock before
    /// it fails (default: the service's lock_timeout, else the server's).
    #[arg(long, global = true, value_parser = parse_duration_arg, value_name = "DURATION")]
    pub(crate) lock_timeout: Option<Duration>,
    /// PostgreSQL: how long one statement may run (default: the service's
    /// statement_timeout, else the server's).
    #[arg(long, global = true, value_parser = parse_duration_arg, value_name = "DURATION")]
    pub(crate) statement_timeout: Option<Duration>,
    /// PostgreSQL: try a statement (a transactional step: the whole step)
    /// that timed out waiting for a table lock up to N more times, pausing
    /// with backoff and jitter in between; 0 turns retries off (default:
    /// the service's lock_retries, else 0).
    #[arg(long, global = true, value_name = "N")]
    pub(crate) lock_retries: Option<u32>,
    /// PostgreSQL, with lock retries: how long each attempt waits for its
    /// lock (default: the service's lock_retry_timeout, else 2s).
    #[arg(long, global = true, value_parser = parse_duration_arg, value_name = "DURATION")]
    pub(crate) lock_retry_timeout: Option<Duration>,
    /// PostgreSQL, with lock retries: the longest pause between two
    /// attempts (default: the service's lock_retry_max_wait, else 10s).
    #[arg(long, global = true, value_parser = parse_duration_arg, value_name = "DURATION")]
    pub(crate) lock_retry_max_wait: Option<Duration>,
    /// Write the metrics of the command's runs to PATH as a Prometheus
    /// text file (replaced atomically, on success and on failure), for
    /// node_exporter's textfile collector.
    #[cfg(feature = "metrics")]
    #[arg(long, global = true, value_name = "PATH")]
    pub(crate) metrics_file: Option<PathBuf>,
}

impl Global {
    /// `--metrics-file`, where the command line has it.
    pub(crate) fn metrics_file(&self) -> Option<PathBuf> {
        #[cfg(feature = "metrics")]
        {
            self.metrics_file.clone()
        }
        #[cfg(not(feature = "metrics"))]
        {
            None
        }
    }
}

/// `--watch` and `--interval`.
#[derive(Debug, Clone, Copy, Args)]
pub(crate) struct WatchArgs {
    /// Show it again every --interval until every database is at head
    /// with no backfill running (or Ctrl-C): redrawn in place on a
    /// terminal, appended as timestamped snapshots otherwise.
    #[arg(long)]
    pub(crate) watch: bool,
    /// With --watch: how long between two looks (500ms, 1s, 1min).
    #[arg(long, requires = "watch", value_parser = parse_duration_arg, value_name = "DURATION", default_value = "1s")]
    pub(crate) interval: Duration,
}

fn parse_duration_arg(text: &str) -> Result<Duration, String> {
    super::services::parse_duration(text)
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// For people.
    Text,
    /// One JSON document on stdout, for CI.
    Json,
    /// Markdown, for a pull-request comment (lint, check, validate).
    Markdown,
    /// SARIF 2.1.0, for code scanning (lint).
    Sarif,
    /// GitHub Actions annotations, `::error file=…,line=…::…` (lint).
    Github,
    /// `revision --autogenerate`: write a Rust module (the default there;
    /// the report is printed as text).
    Rust,
    /// `revision --autogenerate`: write a `.sql` migration, as `--sql`
    /// does (the report is printed as text).
    Sql,
}

/// `--backend`: one backend, or `all` (lint only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BackendArg {
    /// One backend.
    One(Backend),
    /// Every backend.
    All,
}

fn parse_backend(text: &str) -> Result<BackendArg, String> {
    if text.trim().eq_ignore_ascii_case("all") {
        return Ok(BackendArg::All);
    }
    text.parse()
        .map(BackendArg::One)
        .map_err(|e: arx_migrate_core::Error| e.to_string())
}

/// The verbs.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Show the database's current revision(s).
    Current {
        /// Also show each revision's message, parents and when it was applied.
        #[arg(short, long)]
        verbose: bool,
        /// Exit with status 1 unless the database is at the code's head(s)
        /// with no edited migration and no interrupted or half-applied step.
        #[arg(long)]
        check_heads: bool,
    },
    /// List the revisions, newest first.
    History {
        /// Also show when each revision was applied, by whom, how long it took.
        #[arg(short, long)]
        verbose: bool,
        /// Only revisions from A to B (either may be empty, `base`, `head(s)`,
        /// `current`).
        #[arg(short = 'r', long = "rev-range", value_name = "A:B")]
        range: Option<String>,
        /// Instead, figures from the history table: per revision its runs,
        /// median and longest duration and size change; and the slowest steps.
        #[arg(long, conflicts_with_all = ["verbose", "range"])]
        stats: bool,
    },
    /// Show the code's head revision(s).
    Heads,
    /// Show the revisions where the history branches.
    Branches,
    /// Show one revision: parents, children, message and its SQL.
    Show {
        /// A revision id, a unique prefix, `head`, …
        rev: String,
    },
    /// Apply migrations up to TARGET (`head`, `heads`, an id, `+N`,
    /// `REV+N`, `LABEL@head`, `LABEL@+N`).
    Upgrade(MoveArgs),
    /// Revert migrations down to TARGET (`base`, an id, `-N`, `REV-N`,
    /// `LABEL@-N`, `LABEL@base`).
    Downgrade(MoveArgs),
    /// Set the version table without running any migration: each TARGET
    /// replaces the rows of its own line, other branches' rows stay.
    Stamp {
        /// Where the database is: one revision per line (`stamp a b`),
        /// `heads`, `base`, `LABEL@head`, `LABEL@base`, ….
        #[arg(required = true, allow_negative_numbers = true, value_name = "TARGET")]
        targets: Vec<String>,
        /// Empty the version table first, whatever it holds (revisions
        /// this program does not know included).
        #[arg(long)]
        purge: bool,
    },
    /// Accept the current checksums of edited migrations, listing what
    /// changed; or, with one of the options, settle a half-applied
    /// revision (MariaDB, MySQL).
    Repair {
        /// Record the half-applied revision REV as applied (the version
        /// table moves as if its step had finished) and clear its journal:
        /// for when the rest of it was applied by hand.
        #[arg(long, value_name = "REV", conflicts_with_all = ["roll_back", "forget"])]
        mark_applied: Option<String>,
        /// Undo the applied statements of the half-applied revision REV by
        /// their reverses, newest first, and clear its journal; refused,
        /// listing what to undo by hand, when one has no known reverse.
        #[arg(long, value_name = "REV", conflicts_with = "forget")]
        roll_back: Option<String>,
        /// Clear the journal of the half-applied revision REV, the version
        /// table staying where it is: for when its applied statements were
        /// undone by hand.
        #[arg(long, value_name = "REV")]
        forget: Option<String>,
    },
    /// Write a new migration (a module, or with --sql a .sql migration)
    /// revising the current head.
    Revision {
        /// The revision's message (its doc comment).
        #[arg(short, long)]
        message: String,
        /// The revision id (default: 12 random hex digits).
        #[arg(long, value_name = "ID")]
        rev_id: Option<String>,
        /// The revision to revise (default: the one head).
        #[arg(long, value_name = "REV")]
        head: Option<String>,
        /// Write a .sql migration (a folder with up.sql and down.sql in the
        /// program's SQL folder, default `migrations`) instead of a module.
        #[arg(long)]
        sql: bool,
        /// Write the migration's steps: from the schema the migrations
        /// produce at head to the one in --from (with --format rust or sql).
        #[arg(long, requires = "from")]
        autogenerate: bool,
        /// With --autogenerate: the schema wanted, a database URL or a .sql
        /// file (replayed on a scratch database of the backend).
        #[arg(long, value_name = "URL|FILE.sql", requires = "autogenerate")]
        from: Option<String>,
        /// With --autogenerate: a rename to make instead of a drop and an
        /// add, TABLE.OLD=NEW (a column) or OLD=NEW (a table); repeatable.
        #[arg(long, value_name = "RENAME", requires = "autogenerate")]
        rename: Vec<String>,
        /// With --autogenerate: write each column rename (--rename) and
        /// type change of a renamed column as an expand/contract pair of
        /// revisions (Ops::expand, then Ops::contract) instead of one
        /// in-place alteration.
        #[arg(long, requires = "autogenerate", conflicts_with = "sql")]
        expand: bool,
        /// With --autogenerate on PostgreSQL: the server to build scratch
        /// databases on (default: the --from server, else the database's).
        #[arg(long, value_name = "URL", requires = "autogenerate")]
        scratch_url: Option<String>,
        /// With --autogenerate on PostgreSQL: replay the migrations on a new
        /// scratch database instead of reading the schema cache (also:
        /// ARX_MIGRATE_NO_SCRATCH_CACHE=1).
        #[arg(long, requires = "autogenerate")]
        no_scratch_cache: bool,
    },
    /// Write a migration module that joins several heads.
    Merge {
        /// The merge's message.
        #[arg(short, long)]
        message: String,
        /// The revision id (default: 12 random hex digits).
        #[arg(long, value_name = "ID")]
        rev_id: Option<String>,
        /// The revisions to join, or `heads`.
        #[arg(required = true, value_name = "REV")]
        revisions: Vec<String>,
        /// Write a .sql migration instead of a module.
        #[arg(long)]
        sql: bool,
    },
    /// Take over a database that sqlx or refinery migrated: stamp the
    /// revision whose id is the version that tool applied last.
    Adopt,
    /// Print the PostgreSQL privileges the chain's statements need, as
    /// GRANT statements for a role, with notes on what a grant cannot give
    /// (extensions only a superuser creates). Needs no database.
    Grants {
        /// The migration role to grant to.
        #[arg(long, value_name = "NAME", default_value = "arx_migrator")]
        role: String,
    },
    /// Lint the migrations (or .sql files) without a database: destructive
    /// steps, locks on busy tables, statements that fail, leaky downgrades, ….
    Lint(LintArgs),
    /// Compare the live schema with the one the migrations produce at the
    /// database's revision; exit 1 on drift, an edited migration or an
    /// interrupted step.
    Check {
        /// PostgreSQL: the server to build the expected schema on, in a
        /// scratch database created and dropped there (default: the
        /// database's own server; the role must be allowed to create
        /// databases).
        #[arg(long, value_name = "URL")]
        scratch_url: Option<String>,
        /// Report as drift what the schema allows either way too (`serial`
        /// against identity on PostgreSQL, type names differing in case on
        /// SQLite, index predicates spelled differently), which is
        /// otherwise an `equivalent` line.
        #[arg(long)]
        strict: bool,
        /// PostgreSQL: replay the migrations on a new scratch database
        /// instead of reading the schema cache kept on the scratch server
        /// (also: ARX_MIGRATE_NO_SCRATCH_CACHE=1).
        #[arg(long)]
        no_scratch_cache: bool,
    },
    /// The CI gate: upgrade, check, stairway, downgrade, upgrade again, lint
    /// and single head, on a scratch database; exit 1 if a step fails.
    Validate {
        /// PostgreSQL: check the schema at head against a replay on a new
        /// scratch database instead of the schema cache kept on the server
        /// (also: ARX_MIGRATE_NO_SCRATCH_CACHE=1).
        #[arg(long)]
        no_scratch_cache: bool,
        /// PostgreSQL: run the round trip as this role (`SET ROLE` after
        /// the scratch database is made), given the extensions and schema
        /// privileges it has in the --url database; the first statement it
        /// cannot run fails the upgrade step, named.
        #[arg(long, value_name = "ROLE")]
        as_role: Option<String>,
    },
    /// Work on many databases or schemas at once: `fleet status`,
    /// `fleet upgrade TARGET`, `fleet downgrade TARGET`, `fleet check`, over
    /// the services (--services), a list of URLs (--urls FILE) or the
    /// schemas matching a pattern (--schemas 'tenant_*').
    Fleet(FleetArgs),
    /// Show where the database stands; with --all, every configured service.
    Status {
        /// Every service of the services file.
        #[arg(long)]
        all: bool,
        /// Exit with status 1 unless every database is at head with no
        /// edited migration and no interrupted or half-applied step (a deploy gate).
        #[arg(long)]
        check: bool,
        /// With --check: first wait while a backfill is in progress, at
        /// most TIMEOUT (default 1h), saying where it is every few
        /// seconds; still in progress then, the gate fails.
        #[arg(
            long,
            requires = "check",
            value_name = "TIMEOUT",
            num_args = 0..=1,
            require_equals = true,
            default_missing_value = "1h",
            value_parser = parse_duration_arg
        )]
        wait_for_backfills: Option<Duration>,
        #[command(flatten)]
        watch: WatchArgs,
    },
}

impl Command {
    /// The verb, as typed.
    pub(crate) fn verb(&self) -> &'static str {
        match self {
            Command::Current { .. } => "current",
            Command::History { .. } => "history",
            Command::Heads => "heads",
            Command::Branches => "branches",
            Command::Show { .. } => "show",
            Command::Upgrade(_) => "upgrade",
            Command::Downgrade(_) => "downgrade",
            Command::Stamp { .. } => "stamp",
            Command::Repair { .. } => "repair",
            Command::Adopt => "adopt",
            Command::Revision { .. } => "revision",
            Command::Merge { .. } => "merge",
            Command::Lint { .. } => "lint",
            Command::Grants { .. } => "grants",
            Command::Check { .. } => "check",
            Command::Validate { .. } => "validate",
            Command::Status { .. } => "status",
            Command::Fleet(_) => "fleet",
        }
    }

    /// Whether the verb prints markdown (`--format markdown`).
    pub(crate) fn has_markdown(&self) -> bool {
        matches!(
            self,
            Command::Lint(_) | Command::Check { .. } | Command::Validate { .. }
        )
    }

    /// Whether the verb is `lint` (`--format sarif`, `--format github`).
    pub(crate) fn is_lint(&self) -> bool {
        matches!(self, Command::Lint(_))
    }
}

/// Arguments of `lint`.
#[derive(Debug, Args)]
pub(crate) struct LintArgs {
    /// Lint these SQL files, in order, as a chain of migrations instead of
    /// the program's chain.
    #[arg(long = "file", value_name = "FILE.sql", num_args = 1..)]
    pub(crate) files: Vec<PathBuf>,
    /// With --file: start from this live database's schema (read, never
    /// changed).
    #[arg(long, value_name = "URL", requires = "files", conflicts_with = "after")]
    pub(crate) schema: Option<String>,
    /// With --file: start from the program's chain's schema at REV (an id,
    /// a prefix, or head).
    #[arg(long, value_name = "REV", requires = "files")]
    pub(crate) after: Option<String>,
    /// List the rules (id, severity, backends, default, reason, fix) and
    /// exit.
    #[arg(long, conflicts_with_all = ["files", "schema", "after"])]
    pub(crate) rules: bool,
}

/// Arguments of `upgrade` and `downgrade`.
#[derive(Debug, Args)]
pub(crate) struct MoveArgs {
    /// The target; with --sql also `FROM:TO`.
    #[arg(required_unless_present = "range", allow_hyphen_values = true)]
    pub(crate) target: Option<String>,
    /// Print the SQL script instead of running it (no connection).
    #[arg(long)]
    pub(crate) sql: bool,
    /// With --sql: the revision the script starts from and its target.
    #[arg(
        short = 'r',
        long = "rev-range",
        value_name = "FROM:TO",
        requires = "sql"
    )]
    pub(crate) range: Option<String>,
}

/// Arguments of `fleet`.
#[derive(Debug, Args)]
pub(crate) struct FleetArgs {
    #[command(subcommand)]
    pub(crate) action: FleetAction,
    /// The services of the services file: `all`, or names separated by commas.
    #[arg(
        long,
        global = true,
        value_delimiter = ',',
        value_name = "all|NAME,..."
    )]
    pub(crate) services: Vec<String>,
    /// A file of database URLs, one per line (`#` starts a comment).
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) urls: Option<PathBuf>,
    /// PostgreSQL: every schema of the database (--url, -s or
    /// $DATABASE_URL) whose name matches: `*` any characters, `?` one.
    /// MariaDB/MySQL: every database of the server whose name matches
    /// (also spelled --databases).
    #[arg(
        long,
        global = true,
        value_name = "PATTERN",
        visible_alias = "databases"
    )]
    pub(crate) schemas: Option<String>,
    /// With --schemas: the schema holding the extensions (PostGIS), put on
    /// the search_path after each tenant's schema; `none` for none.
    #[arg(long, global = true, value_name = "SCHEMA", default_value = "public")]
    pub(crate) extensions_schema: String,
    /// How many targets at once, one connection each (default: half the
    /// server's free connections, at most 8).
    #[arg(short = 'j', long, global = true, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub(crate) jobs: Option<u16>,
    /// Run the first N targets first, and stop if any of them fails.
    #[arg(long, global = true, value_name = "N", default_value_t = 0)]
    pub(crate) canary: usize,
    /// Start no further target once one has failed.
    #[arg(long, global = true)]
    pub(crate) fail_fast: bool,
}

/// What `fleet` does to each target.
#[derive(Debug, Clone, Subcommand)]
pub(crate) enum FleetAction {
    /// Where each target stands (one query each); exit 1 only if one
    /// cannot be read.
    Status(WatchArgs),
    /// Apply migrations up to TARGET on each target.
    Upgrade {
        /// `head`, `heads`, an id, `+N`, … (as for `upgrade`).
        #[arg(allow_hyphen_values = true)]
        target: String,
    },
    /// Revert migrations down to TARGET on each target.
    Downgrade {
        /// `base`, an id, `-N`, … (as for `downgrade`).
        #[arg(allow_hyphen_values = true)]
        target: String,
    },
    /// The deploy gate: exit 1 unless every target is at head with no
    /// edited migration and no interrupted step.
    Check,
}
