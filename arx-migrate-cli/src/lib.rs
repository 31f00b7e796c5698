//! The `arx-migrate` command line, with Alembic's verbs, for any program
//! that has migrations: a three-line `main` gives it the whole tool.
//!
//! ```no_run
//! fn main() -> std::process::ExitCode {
//!     arx_migrate_cli::run(
//!         arx_migrate_cli::CliConfig::default().version_table("alembic_version"),
//!     )
//! }
//! ```
//!
//! Verbs: `current [--verbose] [--check-heads]`, `history [--verbose]
//! [-r A:B]`, `heads`, `branches`, `show REV`, `upgrade TARGET [--sql]
//! [-r FROM:TO]`, `downgrade TARGET [--sql] [-r FROM:TO]`,
//! `stamp TARGET... [--purge]`,
//! `repair`, `adopt`, `revision -m MSG [--rev-id ID] [--head REV] [--sql]`,
//! `merge -m MSG REV... [--sql]`, `status [--all] [--check] [--watch]`,
//! `fleet status [--watch]|upgrade TARGET|downgrade TARGET|check` over many databases
//! or schemas (the engine is `arx_migrate_core::fleet`), and the safety checks
//! `lint [--backend sqlite|postgres|all] [--file A.sql [B.sql …] [--schema URL | --after REV]] [--rules]`,
//! `check`, `validate`; `--version`. Targets and ranges are Alembic's,
//! branch labels included (`billing@head`, `billing@+1`, `billing@base`);
//! `docs/cli.md` lists them and where the tool differs from Alembic.
//!
//! The database: `--url`, else the service named with `-s NAME` in
//! `arx-migrate.toml`, else `$DATABASE_URL`, else the program's default
//! (`sqlite://./data/arx.db`). Output is text, or one JSON document with
//! `--format json`, or markdown (`--format markdown`, for `lint`, `check`
//! and `validate`), or for `lint` SARIF (`--format sarif`) and GitHub
//! annotations (`--format github`). Exit codes: 0 done, 1 error (and
//! `current --check-heads` or `status --check` when a database is not at
//! head or has an edited migration or an interrupted step, `lint` with
//! blocking findings, `check` on drift, `validate` when a step fails), 2
//! usage.
//!
//! `--lock-wait`, `--lock-timeout` and `--statement-timeout` (or the
//! service's `lock_wait`, `lock_timeout`, `statement_timeout`) bound the
//! waits of the verbs that write; while a run waits for another, it says
//! on stderr who holds the lock.
//!
//! The services file's `[hooks]` runs shell commands around upgrades and
//! downgrades, and `--metrics-file PATH` (feature `metrics`) writes the
//! runs' metrics as a Prometheus text file (`docs/observability.md`).
//!
//! [`execute`] runs a command line in process, writing to any
//! `io::Write`; with [`CliConfig::current_dir`] and [`CliConfig::env_clear`]
//! (and [`CliConfig::env`]) a run reads neither the process's working
//! directory nor its environment, so runs on several threads do not meet.
//!
//! Built with the `cli` feature (on by default).

mod apply;
mod args;
mod backfill_gate;
mod check;
mod config;
mod context;
mod database;
mod describe;
mod env;
mod error;
mod fleet;
mod grants;
mod half_applied;
mod history;
mod hook_command;
mod hooks;
mod inspect;
mod lint;
mod metrics_file;
mod mysql_url;
mod offline;
mod output;
mod pg_url;
mod scaffold;
mod services;
mod session;
mod validate;
mod watch;

use std::ffi::OsString;
use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use arx_migrate_core::error::Direction;

use args::{Cli, Command, Format};
pub use config::{
    CliConfig, DEFAULT_MIGRATIONS_DIR, DEFAULT_SERVICES_FILE, DEFAULT_SQL_MIGRATIONS_DIR,
    DEFAULT_URL,
};
use context::Context;
pub use context::DATABASE_URL_ENV;
pub use error::CliError;
use output::Done;

/// Exit code of a command that did what it was asked.
pub const EXIT_OK: u8 = 0;
/// Exit code of a command that failed (and of `current --check-heads` when
/// the database is not at head).
pub const EXIT_ERROR: u8 = 1;
/// Exit code of a command line that could not be understood.
pub const EXIT_USAGE: u8 = 2;

/// Runs the command line of this process with `config`'s defaults, prints
/// the result, and returns the exit code. Meant to be `main`'s body.
pub fn run(config: CliConfig) -> ExitCode {
    run_with_args(std::env::args_os(), config)
}

/// [`run`] with the arguments given (the first is the program name).
pub fn run_with_args<I, T>(args: I, config: CliConfig) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    use std::io::IsTerminal;
    // Only here are stdout and stderr the process's own: `fleet` may draw
    // a progress bar on stderr, `--watch` redraw stdout.
    let terminal = Terminals {
        stderr: std::io::stderr().is_terminal(),
        stdout: std::io::stdout().is_terminal(),
    };
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr().lock();
    ExitCode::from(execute_with(
        args,
        &config,
        &mut stdout,
        &mut stderr,
        terminal,
    ))
}

/// Runs a command line and writes its output to `stdout` and `stderr`;
/// returns the exit code (see [`EXIT_OK`], [`EXIT_ERROR`], [`EXIT_USAGE`]).
///
/// It blocks. On a thread that drives an async runtime a command on
/// PostgreSQL does nothing and fails with the error `inside_async_runtime`:
/// call it inside `tokio::task::spawn_blocking` (`docs/cli.md`, "From async
/// code").
pub fn execute<I, T>(
    args: I,
    config: &CliConfig,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    execute_with(args, config, stdout, stderr, Terminals::default())
}

/// Which of the process's outputs are terminals.
#[derive(Debug, Clone, Copy, Default)]
struct Terminals {
    stdout: bool,
    stderr: bool,
}

/// [`execute`], told which outputs are terminals.
fn execute_with<I, T>(
    args: I,
    config: &CliConfig,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
    terminals: Terminals,
) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let command = Cli::command()
        .name(config.program.clone())
        .bin_name(config.program.clone())
        .version(config.version_text());
    let cli = match command
        .try_get_matches_from(args)
        .and_then(|matches| Cli::from_arg_matches(&matches))
    {
        Ok(cli) => cli,
        Err(error) => {
            // Help is output; a mistake is a usage error. Clap echoes what
            // was typed: a 100,000-character argument is cut.
            if error.use_stderr() {
                let _ = write!(
                    stderr,
                    "{}",
                    arx_migrate_core::not_api::text::abbreviate_words(
                        &error.render().to_string(),
                        200
                    )
                );
                return EXIT_USAGE;
            }
            let _ = write!(stdout, "{}", error.render());
            return EXIT_OK;
        }
    };
    if cli.global.format == Format::Markdown && !cli.command.has_markdown() {
        let error = CliError::usage(
            "--format markdown is for lint, check and validate; use --format text or json",
        );
        let _ = writeln!(stderr, "{error}");
        return error.exit_code;
    }
    let autogenerate = matches!(
        cli.command,
        Command::Revision {
            autogenerate: true,
            ..
        }
    );
    if matches!(cli.global.format, Format::Rust | Format::Sql) && !autogenerate {
        let error = CliError::usage(
            "--format rust and --format sql are for revision --autogenerate; use --format text or json",
        );
        let _ = writeln!(stderr, "{error}");
        return error.exit_code;
    }
    if matches!(cli.global.format, Format::Sarif | Format::Github) && !cli.command.is_lint() {
        let error = CliError::usage(
            "--format sarif and --format github are for lint; use --format text or json",
        );
        let _ = writeln!(stderr, "{error}");
        return error.exit_code;
    }
    // Progress lines (each step as it commits) go out while the command
    // runs, in text mode; everything else is printed when it is done.
    let json = cli.global.format == Format::Json;
    let quiet = cli.global.quiet;
    let stdout = std::cell::RefCell::new(stdout);
    let print_live = |line: &str| {
        let mut out = stdout.borrow_mut();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    };
    let live: Option<&dyn Fn(&str)> =
        (cli.global.format == Format::Text && !quiet).then_some(&print_live);
    // Waiting for another run's lock is said on stderr as it happens, in
    // every format (stdout may be one JSON document).
    let stderr = std::cell::RefCell::new(stderr);
    let print_notice = |line: &str| {
        let mut err = stderr.borrow_mut();
        let _ = writeln!(err, "{line}");
        let _ = err.flush();
    };
    let notice: Option<&dyn Fn(&str)> = (!quiet).then_some(&print_notice);
    let print_out = |text: &str| {
        let mut out = stdout.borrow_mut();
        let _ = write!(out, "{text}");
        let _ = out.flush();
    };
    let metrics = metrics_file::Metrics::new(
        cli.global
            .metrics_file()
            .map(|path| (config.resolve(&path), path)),
    );
    let ctx = Context {
        config,
        global: &cli.global,
        live,
        notice,
        stderr_is_terminal: terminals.stderr,
        verb: cli.command.verb(),
        out: &print_out,
        stdout_is_terminal: terminals.stdout,
        warn: &print_notice,
        metrics: &metrics,
    };
    let result = catch_unwind(AssertUnwindSafe(|| metrics.within(|| dispatch(&ctx, &cli.command)))).unwrap_or_else(|panic| {
        let what = arx_migrate_core::not_api::panic::panic_message(&*panic);
        Err(CliError::new("internal", format!("the command panicked: {what}"))
            .hint("this is a bug in arx-migrate or in a migration; please report it with the command line"))
    });
    let succeeded = matches!(&result, Ok(done) if done.failure.is_none());
    if let Err(problem) = metrics.write(cli.command.verb(), succeeded) {
        // The monitoring's problem, not the migration's: said, and the
        // exit code stays the command's.
        print_notice(&format!("warning: {problem}"));
    }
    let stdout = stdout.into_inner();
    let stderr = stderr.into_inner();
    // Whatever an error echoes of the input, it stays readable.
    let result = result.map(|done| Done {
        failure: done.failure.map(CliError::shortened),
        ..done
    });
    let result = result.map_err(CliError::shortened);
    match result {
        Ok(done) => {
            if json {
                let mut value = done.json;
                if let Some(failure) = &done.failure {
                    value["error"] = failure.to_json()["error"].clone();
                }
                let _ = writeln!(stdout, "{}", pretty(&value));
            } else if let (Format::Markdown, Some(markdown)) = (cli.global.format, &done.markdown) {
                if !quiet {
                    let _ = write!(stdout, "{markdown}");
                }
            } else if let Some(document) = match cli.global.format {
                Format::Sarif => done.sarif.as_ref(),
                Format::Github => done.github.as_ref(),
                _ => None,
            } {
                // The product itself, printed even with --quiet.
                let _ = write!(stdout, "{document}");
            } else if !quiet || done.essential {
                for line in &done.lines {
                    let _ = writeln!(stdout, "{line}");
                }
            }
            match done.failure {
                Some(failure) => {
                    if !json {
                        let _ = writeln!(stderr, "{failure}");
                    }
                    failure.exit_code
                }
                None => EXIT_OK,
            }
        }
        Err(error) => {
            if json {
                let _ = writeln!(stdout, "{}", pretty(&error.to_json()));
            } else {
                let _ = writeln!(stderr, "{error}");
            }
            error.exit_code
        }
    }
}

fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

fn dispatch(ctx: &Context<'_>, command: &Command) -> Result<Done, CliError> {
    match command {
        Command::Current {
            verbose,
            check_heads,
        } => inspect::current(ctx, *verbose, *check_heads),
        Command::History { stats: true, .. } => history::stats(ctx),
        Command::History { verbose, range, .. } => {
            history::history(ctx, *verbose, range.as_deref())
        }
        Command::Heads => inspect::heads(ctx),
        Command::Branches => inspect::branches(ctx),
        Command::Show { rev } => inspect::show(ctx, rev),
        Command::Upgrade(args) => apply::move_to(
            ctx,
            Direction::Upgrade,
            args.target.as_deref(),
            args.sql,
            args.range.as_deref(),
        ),
        Command::Downgrade(args) => apply::move_to(
            ctx,
            Direction::Downgrade,
            args.target.as_deref(),
            args.sql,
            args.range.as_deref(),
        ),
        Command::Stamp { targets, purge } => apply::stamp(ctx, targets, *purge),
        Command::Repair {
            mark_applied,
            roll_back,
            forget,
        } => {
            use arx_migrate_core::journal::HalfAppliedRepair;
            let settle = [
                (mark_applied, HalfAppliedRepair::MarkApplied),
                (roll_back, HalfAppliedRepair::RollBack),
                (forget, HalfAppliedRepair::Forget),
            ]
            .into_iter()
            .find_map(|(revision, repair)| revision.as_deref().map(|r| (r, repair)));
            match settle {
                Some((revision, repair)) => half_applied::repair(ctx, revision, repair),
                None => apply::repair(ctx),
            }
        }
        Command::Revision {
            message,
            rev_id,
            head,
            sql,
            autogenerate: true,
            from,
            rename,
            expand,
            scratch_url,
            no_scratch_cache,
        } => scaffold::autogenerate(
            ctx,
            message,
            rev_id.as_deref(),
            head.as_deref(),
            &scaffold::AutogenerateArgs {
                from: from.as_deref().unwrap_or_default(),
                sql: *sql || ctx.global.format == Format::Sql,
                renames: rename,
                expand: *expand,
                scratch_url: scratch_url.as_deref(),
                scratch_cache: ctx.scratch_cache(*no_scratch_cache),
            },
        ),
        Command::Revision {
            message,
            rev_id,
            head,
            sql,
            ..
        } => scaffold::revision(ctx, message, rev_id.as_deref(), head.as_deref(), *sql),
        Command::Merge {
            message,
            rev_id,
            revisions,
            sql,
        } => scaffold::merge(ctx, message, rev_id.as_deref(), revisions, *sql),
        Command::Adopt => apply::adopt(ctx),
        Command::Status {
            all,
            check,
            wait_for_backfills,
            watch,
        } if watch.watch => watch::watch(
            ctx,
            watch,
            "status",
            |ctx| inspect::status(ctx, *all, *check, *wait_for_backfills),
            watch::status_finished,
        ),
        Command::Status {
            all,
            check,
            wait_for_backfills,
            ..
        } => inspect::status(ctx, *all, *check, *wait_for_backfills),
        Command::Lint(args) => lint::lint(ctx, args),
        Command::Grants { role } => grants::grants(ctx, role),
        Command::Check {
            scratch_url,
            strict,
            no_scratch_cache,
        } => check::check(
            ctx,
            scratch_url.as_deref(),
            *strict,
            ctx.scratch_cache(*no_scratch_cache),
        ),
        Command::Validate {
            no_scratch_cache,
            as_role,
        } => validate::validate(
            ctx,
            ctx.scratch_cache(*no_scratch_cache),
            as_role.as_deref(),
        ),
        Command::Fleet(args) => match &args.action {
            args::FleetAction::Status(watch) if watch.watch => watch::watch(
                ctx,
                watch,
                "fleet status",
                |ctx| fleet::command::fleet(ctx, args),
                watch::fleet_finished,
            ),
            _ => fleet::command::fleet(ctx, args),
        },
    }
}
