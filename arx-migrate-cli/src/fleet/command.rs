//! The `fleet` verb: its targets from the options, the work of each
//! action on one target, the progress display and the summary.

use std::time::Instant;

use arx_migrate_core::backend::{Backend, Connection};
use arx_migrate_core::fleet::{
    default_jobs, enter_schema, free_connections, matching_schemas, run, Options, Outcome,
    TargetResult,
};
use arx_migrate_core::runner::Migrator;

use super::progress::{Display, Style};
use super::summary;
use super::targets::url_list;
use super::Record;
use crate::args::{FleetAction, FleetArgs, Format};
use crate::context::{Context, Database};
use crate::error::CliError;
use crate::hooks::{self, HookLog};
use crate::inspect::not_ready;
use crate::output::{self, Done};

/// Jobs without `--jobs` when no target is on PostgreSQL (SQLite files).
const SQLITE_DEFAULT_JOBS: usize = 4;

/// How many names a failure message lists before "…".
const NAMED: usize = 10;

/// One target of the run.
struct Target {
    /// As shown: the service, the schema, or the URL without password.
    name: String,
    /// The database, or why it could not be named (a service whose
    /// `url_env` is unset): then the target fails, the others go on.
    database: Result<Database, CliError>,
    /// With `--schemas`: the tenant's schema.
    schema: Option<String>,
    /// Which of the run's migrators keeps its bookkeeping.
    migrator: usize,
}

/// A target is named by its service, its schema, or its URL without the
/// password.
impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

/// The targets, and the migrators they use (one per service, else one).
struct Fleet {
    targets: Vec<Target>,
    migrators: Vec<Migrator>,
    /// The server's free connections, where they were read.
    free_connections: Option<usize>,
}

/// `fleet status|upgrade TARGET|downgrade TARGET|check`.
pub(crate) fn fleet(ctx: &Context<'_>, args: &FleetArgs) -> Result<Done, CliError> {
    let program = ctx.program().to_string();
    let (action, target) = match &args.action {
        FleetAction::Status(_) => ("status", None),
        FleetAction::Check => ("check", None),
        FleetAction::Upgrade { target } => ("upgrade", Some(target.as_str())),
        FleetAction::Downgrade { target } => ("downgrade", Some(target.as_str())),
    };
    if let Some(target) = target {
        // A target the code does not know fails here, once, rather than
        // on every database.
        let parsed = target
            .parse::<arx_migrate_core::Target>()
            .map_err(|e| CliError::from_core(e, &program))?;
        // Relative targets are resolved on each database.
        if let Err(
            error @ (arx_migrate_core::Error::UnknownRevision { .. }
            | arx_migrate_core::Error::UnknownBranch { .. }
            | arx_migrate_core::Error::AmbiguousRevision { .. }),
        ) = ctx.code()?.graph().resolve_target(&parsed)
        {
            return Err(CliError::from_core(error, &program));
        }
    }
    let extension_schema =
        Some(args.extensions_schema.as_str()).filter(|s| !s.eq_ignore_ascii_case("none"));
    let mut fleet = fleet_targets(ctx, args)?;
    let jobs = match args.jobs {
        Some(jobs) => usize::from(jobs),
        None => match fleet
            .free_connections
            .take()
            .or_else(|| first_free(&fleet.targets))
        {
            Some(free) => default_jobs(free),
            None => SQLITE_DEFAULT_JOBS,
        },
    }
    .clamp(1, fleet.targets.len().max(1));
    let options = Options::new()
        .jobs(jobs)
        .canary(args.canary)
        .fail_fast(args.fail_fast);
    let style = if ctx.global.quiet {
        Style::Silent
    } else if ctx.stderr_is_terminal {
        Style::Bar
    } else if ctx.global.format == Format::Json {
        Style::JsonLines
    } else {
        Style::Lines
    };
    let mut display = Display::new(style, fleet.targets.len(), ctx.notice);
    // Hooks run around each target's upgrade or downgrade, naming it.
    let log = HookLog::default();
    let mut hook_timeout = None;
    if target.is_some() {
        if let Some(hooks) = ctx.command_hooks(None, &log)? {
            hook_timeout = Some(hooks.timeout);
            fleet.migrators = std::mem::take(&mut fleet.migrators)
                .into_iter()
                .map(|migrator| migrator.hooks(hooks.clone()))
                .collect();
        }
    }
    let migrators = &fleet.migrators;
    let metrics = ctx.metrics;
    let started = Instant::now();
    let records = run(
        &fleet.targets,
        &options,
        || Ok(Worker::default()),
        |worker, one| -> Result<TargetResult<CliError>, CliError> {
            // On the worker's thread: its runs' metrics go to the
            // command's recorder, its hooks name the target.
            metrics.within(|| {
                hooks::for_target(&one.name, || {
                    let database = one.database.as_ref().map_err(Clone::clone)?;
                    let scoped;
                    let migrator = match &one.schema {
                        Some(schema) => {
                            scoped = migrators[one.migrator].in_schema(schema);
                            &scoped
                        }
                        None => &migrators[one.migrator],
                    };
                    let result = worker
                        .connection(database, action != "status" && action != "check")
                        .and_then(|connection| {
                            if let Some(schema) = &one.schema {
                                enter_schema(connection, schema, extension_schema).map_err(
                                    |e| {
                                        CliError::from_core(
                                            arx_migrate_core::Error::Database(e),
                                            &program,
                                        )
                                    },
                                )?;
                            }
                            apply(action, target, migrator, connection, &program)
                        });
                    let secret = database.secret();
                    match result {
                        Ok(done) => Ok(done),
                        Err(error) => {
                            // The session may be in any state: the next target
                            // gets a new one, and it says where this one stands.
                            worker.open = None;
                            let error = error.scrub(secret.as_deref());
                            // Where it stands, with a backfill the failed step
                            // left to resume.
                            let status = worker
                                .connection(database, false)
                                .and_then(|connection| {
                                    if let Some(schema) = &one.schema {
                                        enter_schema(connection, schema, extension_schema)
                                            .map_err(|e| CliError::new("database", e.message))?;
                                    }
                                    migrator
                                        .status(connection)
                                        .map_err(|e| CliError::from_core(e, &program))
                                })
                                .ok();
                            if status.is_none() {
                                worker.open = None;
                            }
                            let (to, backfills) = match status {
                                Some(status) => (Some(status.heads), status.backfills),
                                None => (None, Vec::new()),
                            };
                            Ok(TargetResult {
                                from: None,
                                to,
                                steps: 0,
                                outcome: Outcome::Failed,
                                problem: Some(error),
                                backfills,
                            })
                        }
                    }
                })
            })
        },
        &mut |event| display.event(event),
    );
    display.finish();
    let elapsed = started.elapsed();
    let mut done = Done::new(summary::run_json(action, target, jobs, elapsed, &records));
    done.lines = summary::table(&records);
    done.line("");
    done.line(format!(
        "fleet {action}{}: {} in {} ({} target(s), {jobs} job(s))",
        target.map(|t| format!(" {t}")).unwrap_or_default(),
        summary::counts_text(&records),
        output::duration(elapsed),
        records.len(),
    ));
    if let Some(timeout) = hook_timeout {
        let (json, problems) = hooks::report(&log.runs(), timeout);
        for problem in problems {
            (ctx.warn)(&format!("{program}: {problem}"));
        }
        done.json["hooks"] = json;
    }
    done.failure = failure(action, target, args.canary, &records, &program);
    Ok(done)
}

/// Runs the action on one target, on its connection.
fn apply(
    action: &str,
    target: Option<&str>,
    migrator: &Migrator,
    connection: &mut dyn Connection,
    program: &str,
) -> Result<TargetResult<CliError>, CliError> {
    let core = |e| CliError::from_core(e, program);
    match (action, target) {
        ("upgrade", Some(target)) | ("downgrade", Some(target)) => {
            let report = if action == "upgrade" {
                migrator.upgrade(connection, target)
            } else {
                migrator.downgrade(connection, target)
            }
            .map_err(core)?;
            Ok(report.into())
        }
        _ => {
            let status = migrator.status(connection).map_err(core)?;
            let problem = not_ready(&status, migrator.graph(), program);
            Ok(TargetResult {
                outcome: if problem.is_none() {
                    Outcome::Ready
                } else {
                    Outcome::NotReady
                },
                steps: 0,
                from: Some(status.heads.clone()),
                to: Some(status.heads),
                problem,
                backfills: status.backfills,
            })
        }
    }
}

/// A worker's connection, kept while its targets share a database.
#[derive(Default)]
struct Worker {
    open: Option<(String, Box<dyn Connection>)>,
}

impl Worker {
    fn connection(
        &mut self,
        database: &Database,
        write: bool,
    ) -> Result<&mut dyn Connection, CliError> {
        if self
            .open
            .as_ref()
            .is_none_or(|(url, _)| *url != database.url)
        {
            self.open = None;
            self.open = Some((database.url.clone(), database.connect(write)?));
        }
        match &mut self.open {
            Some((_, connection)) => Ok(&mut **connection),
            None => Err(CliError::new("internal", "no connection")),
        }
    }
}

/// The targets the options name: exactly one of `--services`, `--urls`,
/// `--schemas`.
fn fleet_targets(ctx: &Context<'_>, args: &FleetArgs) -> Result<Fleet, CliError> {
    let chosen = [
        !args.services.is_empty(),
        args.urls.is_some(),
        args.schemas.is_some(),
    ];
    if chosen.iter().filter(|c| **c).count() != 1 {
        return Err(CliError::usage(
            "fleet: name the targets with one of --services all|NAME,..., --urls FILE or --schemas PATTERN",
        ));
    }
    let fleet = if let Some(pattern) = &args.schemas {
        schema_targets(ctx, pattern)?
    } else if let Some(file) = &args.urls {
        url_targets(ctx, file)?
    } else {
        service_targets(ctx, &args.services)?
    };
    if fleet.targets.is_empty() {
        return Err(
            CliError::new("no_targets", "fleet: the options name no target")
                .hint("check the pattern of --schemas, the file of --urls, or the services file"),
        );
    }
    Ok(fleet)
}

/// `--schemas PATTERN`: the matching schemas of one PostgreSQL database,
/// or the matching databases of one MariaDB/MySQL server.
fn schema_targets(ctx: &Context<'_>, pattern: &str) -> Result<Fleet, CliError> {
    let database = ctx.database()?;
    let backend = database.parsed.backend();
    if !matches!(backend, Backend::Postgres | Backend::Mysql) {
        return Err(CliError::usage(format!(
            "--schemas is for PostgreSQL (schemas of one database) and MariaDB/MySQL (databases of one server), and {} is neither",
            database.shown()
        ))
        .hint("give the database with --url postgres://… or mysql://…, -s SERVICE or $DATABASE_URL; for SQLite files, list them with --urls FILE"));
    }
    // On MySQL a schema is a database: what the messages call them.
    let what = if backend == Backend::Mysql {
        "database on the server"
    } else {
        "schema"
    };
    let program = ctx.program();
    let scrub = |e: arx_migrate_core::error::DbError| {
        CliError::from_core(arx_migrate_core::Error::Database(e), program)
            .scrub(database.secret().as_deref())
    };
    let mut connection = database.connect(false)?;
    let schemas = matching_schemas(&mut *connection, pattern).map_err(scrub)?;
    let free = free_connections(&mut *connection).map_err(scrub)?;
    drop(connection);
    if schemas.is_empty() {
        return Err(CliError::new(
            "no_targets",
            format!(
                "--schemas {pattern:?}: no {what} of {} matches",
                database.shown()
            ),
        )
        .hint(
            "`*` matches any characters and `?` one; the pattern is matched against whole names",
        ));
    }
    let migrators = vec![ctx.migrator(&database)?];
    let targets = schemas
        .into_iter()
        .map(|schema| Target {
            name: schema.clone(),
            database: Ok(database.clone()),
            schema: Some(schema),
            migrator: 0,
        })
        .collect();
    Ok(Fleet {
        targets,
        migrators,
        free_connections: Some(free),
    })
}

/// `--urls FILE`: one database per line.
fn url_targets(ctx: &Context<'_>, file: &std::path::Path) -> Result<Fleet, CliError> {
    let text = std::fs::read_to_string(ctx.path(file)).map_err(|e| {
        CliError::new(
            "config",
            format!("cannot read --urls {}: {e}", file.display()),
        )
        .hint("give a file with one database URL per line")
    })?;
    let mut migrators = Vec::new();
    let mut targets = Vec::new();
    for (number, url) in url_list(&text).into_iter().enumerate() {
        let database = ctx
            .plain(
                &url,
                &format!("--urls {}, URL {}", file.display(), number + 1),
            )
            .map(|database| ctx.with_options(database));
        if migrators.is_empty() {
            if let Ok(database) = &database {
                migrators.push(ctx.migrator(database)?);
            }
        }
        targets.push(Target {
            name: match &database {
                Ok(database) => database.shown(),
                Err(_) => format!("URL {} of {}", number + 1, file.display()),
            },
            database,
            schema: None,
            migrator: 0,
        });
    }
    if migrators.is_empty() {
        // No valid URL: every target fails with its own error.
        migrators.push(ctx.code()?);
    }
    Ok(Fleet {
        targets,
        migrators,
        free_connections: None,
    })
}

/// `--services all` or `--services a,b`: databases of the services file.
fn service_targets(ctx: &Context<'_>, names: &[String]) -> Result<Fleet, CliError> {
    let path = ctx.services_path();
    let file = ctx.services()?.ok_or_else(|| {
        CliError::new("config", format!("--services: there is no services file at {}", path.display()))
            .hint("list the services as [services.NAME] sections with url or url_env, or point to the file with --config")
    })?;
    let names: Vec<String> = if names.iter().any(|n| n == "all") {
        file.services.keys().cloned().collect()
    } else {
        names.iter().map(|n| n.trim().to_string()).collect()
    };
    let mut migrators = Vec::new();
    let mut targets = Vec::new();
    for name in names {
        let service = file.service(&name, &path)?;
        let database = ctx
            .service_database(&name, service)
            .map(|database| ctx.with_options(database));
        let migrator = match &database {
            Ok(database) => ctx.migrator(database)?,
            Err(_) => ctx.code()?,
        };
        migrators.push(migrator);
        targets.push(Target {
            name,
            database,
            schema: None,
            migrator: migrators.len() - 1,
        });
    }
    Ok(Fleet {
        targets,
        migrators,
        free_connections: None,
    })
}

/// The free connections of the first PostgreSQL or MariaDB/MySQL
/// target's server, if one can be read.
fn first_free(targets: &[Target]) -> Option<usize> {
    let database = targets.iter().find_map(|t| {
        t.database
            .as_ref()
            .ok()
            .filter(|d| matches!(d.parsed.backend(), Backend::Postgres | Backend::Mysql))
    })?;
    let mut connection = database.connect(false).ok()?;
    free_connections(&mut *connection).ok()
}

/// The command's failure: any target failed, or (`check`) is not ready.
fn failure(
    action: &str,
    target: Option<&str>,
    canary: usize,
    records: &[Record],
    program: &str,
) -> Option<CliError> {
    let named = |outcome: Outcome| {
        let names: Vec<&str> = records
            .iter()
            .filter(|r| r.outcome == outcome)
            .map(|r| r.target.as_str())
            .collect();
        let mut text = names
            .iter()
            .take(NAMED)
            .copied()
            .collect::<Vec<_>>()
            .join(", ");
        if names.len() > NAMED {
            text.push_str(", …");
        }
        (names.len(), text)
    };
    let (failed, failed_names) = named(Outcome::Failed);
    let (skipped, _) = named(Outcome::Skipped);
    if failed > 0 {
        let canary_failed = canary > 0
            && records
                .iter()
                .take(canary)
                .any(|r| r.outcome == Outcome::Failed);
        let message = if canary_failed {
            format!(
                "the canary failed ({failed} of its {} target(s): {failed_names}); {skipped} target(s) were not started",
                canary.min(records.len())
            )
        } else {
            format!(
                "{failed} of {} target(s) failed: {failed_names}{}",
                records.len(),
                if skipped > 0 {
                    format!("; {skipped} target(s) were not started")
                } else {
                    String::new()
                }
            )
        };
        let rerun = match target {
            Some(target) => format!(
                "the table says why each failed; fix them and run `{program} fleet {action} {target}` again: the targets already at {target} are skipped"
            ),
            None => "the table says why each failed".to_string(),
        };
        return Some(CliError::new("fleet_failed", message).hint(rerun));
    }
    let (not_ready, names) = named(Outcome::NotReady);
    if action == "check" && not_ready > 0 {
        return Some(
            CliError::new(
                "not_ready",
                format!(
                    "{not_ready} of {} target(s) are not ready for the code: {names}",
                    records.len()
                ),
            )
            .hint(format!(
                "the table says what each lacks; `{program} fleet upgrade heads` brings them to head"
            )),
        );
    }
    None
}
