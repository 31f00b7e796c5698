//! `revision --autogenerate`: the new migration's steps, from the schema the
//! program's migrations produce at head (replayed on a scratch database, as
//! `check` builds it) to the schema in `--from` (a database, or a `.sql`
//! file replayed on a scratch database).

use std::path::Path;

use serde_json::json;

use arx_migrate_core::{Backend, Error};
use arx_migrate_verify::autogen::{
    head_schema, plan, proper_name, read_schema, schema_from_sql, Generated, Rename, Schema,
};
use arx_migrate_verify::check::{bookkeeping_tables, ScratchSource};

use super::super::context::Context;
use super::super::database::DbUrl;
use super::super::error::CliError;
use super::super::output::Done;
use super::known::{checked_id, parents, Known};
use super::module::{write_module, Folders};
use super::sql::SqlBody;

/// The options of `revision --autogenerate`.
pub(crate) struct AutogenerateArgs<'a> {
    /// `--from`: a database URL or a `.sql` file.
    pub(crate) from: &'a str,
    /// Write a `.sql` migration (`--format sql` or `--sql`).
    pub(crate) sql: bool,
    /// `--rename`, as typed.
    pub(crate) renames: &'a [String],
    /// `--expand`: an expand/contract pair instead of one revision.
    pub(crate) expand: bool,
    /// `--scratch-url`.
    pub(crate) scratch_url: Option<&'a str>,
    /// Whether the schema at head may come from the schema cache (unless
    /// `--no-scratch-cache`).
    pub(crate) scratch_cache: bool,
}

fn is_url(text: &str) -> bool {
    text.starts_with("sqlite:")
        || text.starts_with("postgres://")
        || text.starts_with("postgresql://")
}

/// The backend, and the scratch databases to build schemas on.
fn scratch(ctx: &Context<'_>, args: &AutogenerateArgs<'_>) -> Result<ScratchSource, CliError> {
    let from_url = is_url(args.from)
        .then(|| DbUrl::parse(args.from))
        .transpose()?;
    let backend = match (ctx.backend_option()?, &from_url) {
        (Some(backend), Some(url)) if url.backend() != backend => {
            return Err(CliError::usage(format!(
                "--backend {backend} but --from is a {} database",
                url.backend()
            )))
        }
        (Some(backend), _) => backend,
        (None, Some(url)) => url.backend(),
        (None, None) => ctx.backend().map_err(|e| {
            e.hint(
                "say which backend the schema file is for: --backend sqlite or --backend postgres",
            )
        })?,
    };
    let server = match backend {
        Backend::Mysql => {
            return Err(CliError::usage(
                "revision --autogenerate is not built for MariaDB and MySQL yet: write the revision by hand (revision without --autogenerate)",
            ))
        }
        Backend::Sqlite => String::new(),
        Backend::Postgres => match (args.scratch_url, &from_url) {
            (Some(url), _) => url.to_string(),
            (None, Some(DbUrl::Postgres(url))) => url.clone(),
            _ => {
                let database = ctx.database().map_err(|e| {
                    e.hint("give a PostgreSQL server for the scratch databases: --scratch-url postgres://user@host/postgres")
                })?;
                if database.parsed.backend() != Backend::Postgres {
                    return Err(CliError::usage(
                        "the schema file is for PostgreSQL: give a server for the scratch databases with --scratch-url postgres://user@host/postgres",
                    ));
                }
                database.url
            }
        },
    };
    ScratchSource::for_backend(backend, &server)
        .map(|source| source.cached(args.scratch_cache))
        .map_err(|e| CliError::from_core(e, ctx.program()))
}

/// The schema wanted: the database at `--from`, or the file replayed.
fn wanted(
    ctx: &Context<'_>,
    args: &AutogenerateArgs<'_>,
    scratch: &ScratchSource,
) -> Result<Schema, CliError> {
    let core = |e: Error| CliError::from_core(e, ctx.program());
    if is_url(args.from) {
        let database = ctx.plain(args.from, "--from")?;
        let migrator = ctx.migrator(&database)?;
        let mut connection = database.connect(false)?;
        return read_schema(&mut *connection, &bookkeeping_tables(&migrator))
            .map_err(|e| core(e).scrub(database.secret().as_deref()));
    }
    let path = Path::new(args.from);
    let sql = std::fs::read_to_string(ctx.path(path)).map_err(|e| {
        CliError::new("io", format!("cannot read {}: {e}", path.display()))
            .hint("give --from a database URL (sqlite:..., postgres://...) or a .sql file that creates the schema wanted")
    })?;
    let bookkeeping = bookkeeping_tables(&ctx.code_even_if_empty()?);
    schema_from_sql(&sql, scratch, &bookkeeping).map_err(|e| {
        core(e).hint(format!(
            "{} must create the whole schema wanted on an empty {} database",
            path.display(),
            scratch.backend()
        ))
    })
}

/// `--format sql` refused: the step, why, and the command that writes
/// the module instead.
fn not_plain_sql(
    ctx: &Context<'_>,
    error: Error,
    message: &str,
    args: &AutogenerateArgs<'_>,
) -> CliError {
    let program = ctx.program();
    match error {
        Error::Unsupported {
            operation,
            backend,
            reason,
        } => CliError::new(
            "not_plain_sql",
            format!(
                "{program} revision --autogenerate cannot write {operation} as a .sql migration for {backend}: {reason}"
            ),
        )
        .hint(format!(
            "write it as a Rust module: {program} revision --autogenerate --format rust -m {message:?} --from {}",
            // Not a URL: it may hold a password.
            if is_url(args.from) { "URL" } else { args.from }
        )),
        other => CliError::from_core(other, program),
    }
}

/// What the output says when the backends' SQL differs: which files
/// each backend runs, and the steps a backend has no plain SQL for (its
/// file fails at them until someone writes it). In sqlx's layout, one
/// file for every backend holds the compared backend's SQL.
fn per_backend_lines(done: &mut Done, body: &SqlBody, program: &str) {
    let scripts = [("up", &body.up), ("down", &body.down)];
    let split: Vec<&str> = scripts
        .iter()
        .filter(|(_, script)| script.is_per_backend())
        .map(|(stem, _)| *stem)
        .collect();
    done.json["per_backend"] = json!(split);
    if split.is_empty() {
        return;
    }
    let compared = proper_name(body.backend);
    if done.json["layout"] == "sqlx" {
        done.line(format!(
            "the SQL differs between the backends, and sqlx's layout has no per-backend files: the files hold {compared}'s SQL, for {compared} only"
        ));
        return;
    }
    done.line(format!(
        "the {} SQL differs between the backends (a statement for one backend only, as op.postgres(…) or op.sqlite(…) in a Rust module): each backend has its own file",
        split.join(" and ")
    ));
    let mut unwritten = serde_json::Map::new();
    for (stem, script) in scripts {
        for backend_script in script.unwritten() {
            let name = proper_name(backend_script.backend);
            let why = if backend_script.backend == Backend::Sqlite {
                " (SQLite makes them by rebuilding the table, from its live definition)"
            } else {
                ""
            };
            done.line(format!(
                "{} step(s) have no {name} SQL in {stem}.{}.sql{why}: the revision fails on {name} at them until that SQL is written there; `{program} revision --autogenerate --format rust` writes a module that makes them on both backends",
                backend_script.unwritten.len(),
                backend_script.backend.name()
            ));
            unwritten.insert(
                format!("{stem}.{}.sql", backend_script.backend.name()),
                json!(backend_script.unwritten),
            );
        }
    }
    done.json["unwritten_steps"] = serde_json::Value::Object(unwritten);
}

/// `revision --autogenerate -m MSG --from URL|FILE.sql [--format rust|sql]
/// [--rename ...] [--rev-id ID] [--head REV]`.
pub(crate) fn autogenerate(
    ctx: &Context<'_>,
    message: &str,
    rev_id: Option<&str>,
    head: Option<&str>,
    args: &AutogenerateArgs<'_>,
) -> Result<Done, CliError> {
    let message = arx_migrate_core::not_api::text::one_line(message);
    let renames = args
        .renames
        .iter()
        .map(|r| r.parse::<Rename>().map_err(CliError::usage))
        .collect::<Result<Vec<_>, _>>()?;
    let folders = Folders::read(ctx, args.sql)?;
    let known = Known::load(ctx, &folders.rust, &folders.sql)?;
    let parents = parents(ctx, &known, head)?;
    let migrator = ctx.code_even_if_empty()?;
    let mut compiled: Vec<String> = migrator
        .graph()
        .heads()
        .iter()
        .map(|h| h.to_string())
        .collect();
    compiled.sort();
    let mut revised = parents.clone();
    revised.sort();
    if compiled != revised {
        return Err(CliError::new(
            "not_built",
            format!(
                "revision --autogenerate compares with the schema this program's migrations produce at {}, but the new revision would revise {}",
                super::super::output::heads(&compiled),
                super::super::output::heads(&revised)
            ),
        )
        .hint("build the program with every migration in the folder (cargo build), then run it again"));
    }
    let scratch = scratch(ctx, args)?;
    let core = |e: Error| CliError::from_core(e, ctx.program());
    let head_schema = head_schema(&migrator, &scratch).map_err(core)?;
    let wanted = wanted(ctx, args, &scratch)?;
    let steps = plan(&head_schema, &wanted, &renames).map_err(core)?;
    let backend = scratch.backend();
    if steps.is_empty() {
        let mut done = Done::new(json!({
            "command": "revision",
            "autogenerate": true,
            "backend": backend.name(),
            "steps": 0,
        }));
        done.line("No changes in schema detected.");
        return Ok(done);
    }
    if args.expand {
        return super::expand::write_pair(ctx, &message, rev_id, &parents, &known, &steps);
    }
    let numbered = if args.sql {
        folders
            .sql
            .next_id()
            .filter(|id| !known.revisions.contains_key(id))
    } else {
        None
    };
    let id = checked_id(ctx, rev_id.or(numbered.as_deref()), &message, &known)?;
    let Some(generated) =
        Generated::new(migrator.graph(), &id, &message, backend, steps).map_err(core)?
    else {
        return Err(CliError::new(
            "internal",
            "steps were planned but no migration was made",
        ));
    };
    let mut sql_body = None;
    let mut done = if args.sql {
        let files = generated
            .to_sql()
            .map_err(|e| not_plain_sql(ctx, e, &message, args))?;
        let mut options = Vec::new();
        if !files.transactional {
            options.push("transactional = false".to_string());
        }
        if !files.allow.is_empty() {
            options.push(files.allow);
        }
        let body = SqlBody {
            options: options.join(", "),
            backend,
            up: files.up,
            down: files.down,
        };
        let done = super::sql::write(
            ctx,
            &folders.sql,
            &id,
            &parents,
            &message,
            false,
            Some(&body),
        )?;
        sql_body = Some(body);
        done
    } else {
        write_module(
            ctx,
            &id,
            &parents,
            &message,
            false,
            Some(generated.to_rust(ctx.program())),
        )?
    };
    let destructive = generated
        .steps
        .iter()
        .filter(|s| s.destructive.is_some())
        .count();
    done.json["autogenerate"] = json!(true);
    done.json["backend"] = json!(backend.name());
    done.json["steps"] = json!(generated.steps.len());
    done.json["destructive_steps"] = json!(destructive);
    done.line(format!(
        "{} step(s) from the {backend} schema at head to the one wanted",
        generated.steps.len()
    ));
    if destructive > 0 {
        done.line(format!(
            "{destructive} step(s) lose data (marked DESTRUCTIVE): read them, then write why each is safe in place of \"FILL IN\" in its allow entry; `{} lint` blocks until then",
            ctx.program()
        ));
    }
    if let Some(body) = &sql_body {
        per_backend_lines(&mut done, body, ctx.program());
    }
    Ok(done)
}
