//! `lint [--backend sqlite|postgres|all] [--file A.sql [B.sql …] [--schema
//! URL | --after REV]] [--rules]`: the migrations' SQL (or `.sql` files)
//! checked without changing a database. Rules are switched on and off in
//! the `[lint]` section of the services file.

use serde_json::{json, Value};

use arx_migrate_core::backend::Backend;
use arx_migrate_core::runner::DEFAULT_LOCK_WAIT;
use arx_migrate_core::store::DEFAULT_HISTORY_TABLE;
use arx_migrate_verify::check::{introspect, SchemaSnapshot};
use arx_migrate_verify::lint::{
    self, LintConfig, LintReport, Scope, Severity, SqlFile, StartSchema,
};

use super::args::{BackendArg, LintArgs};
use super::context::Context;
use super::database::{ConnectOptions, DbUrl};
use super::error::CliError;
use super::output::Done;

/// The backends to lint for: `--backend` (`all` for both), else the one of
/// the `--schema` URL, else the one of the URL, which is read but not
/// connected to.
fn backends(ctx: &Context<'_>, schema: Option<&DbUrl>) -> Result<Vec<Backend>, CliError> {
    match (ctx.global.backend, schema) {
        (Some(BackendArg::One(backend)), Some(url)) if url.backend() != backend => {
            Err(CliError::usage(format!(
                "--schema is a {} database but --backend is {backend}; drop --backend",
                url.backend()
            )))
        }
        (_, Some(url)) => Ok(vec![url.backend()]),
        (Some(BackendArg::All), None) => Ok(vec![Backend::Sqlite, Backend::Postgres]),
        (Some(BackendArg::One(backend)), None) => Ok(vec![backend]),
        (None, None) => Ok(vec![ctx.database()?.parsed.backend()]),
    }
}

/// The rules the services file's `[lint]` section switches on and off.
pub(crate) fn config(ctx: &Context<'_>) -> Result<LintConfig, CliError> {
    match ctx.services()? {
        Some(file) => file.lint.config().map_err(|reason| {
            CliError::new(
                "config",
                format!("{}, [lint]: {reason}", ctx.services_path().display()),
            )
        }),
        None => Ok(LintConfig::default()),
    }
}

/// Reads the schema of the database at `url` (read only).
fn live_schema(ctx: &Context<'_>, url: &str, parsed: &DbUrl) -> Result<SchemaSnapshot, CliError> {
    let application_name = format!("{} lint", ctx.program());
    let options = ConnectOptions {
        create: false,
        create_dir: false,
        application_name: &application_name,
        program: ctx.program(),
        lock_wait: DEFAULT_LOCK_WAIT,
        current_dir: ctx.config.current_dir.as_deref(),
    };
    let mut connection = parsed.connect(url, &options)?;
    let bookkeeping = vec![
        ctx.config.version_table.clone(),
        ctx.config
            .history_table
            .clone()
            .unwrap_or_else(|| DEFAULT_HISTORY_TABLE.to_string()),
    ];
    introspect(&mut *connection, &bookkeeping).map_err(|e| {
        CliError::from_core(e, ctx.program())
            .hint("--schema needs a database the role may read the catalog of")
            .scrub(DbUrl::secret(url).as_deref())
    })
}

/// `lint`.
pub(crate) fn lint(ctx: &Context<'_>, args: &LintArgs) -> Result<Done, CliError> {
    if args.rules {
        return Ok(list_rules());
    }
    let config = config(ctx)?;
    let schema_url = args.schema.as_deref().map(DbUrl::parse).transpose()?;
    let backends = backends(ctx, schema_url.as_ref())?;
    let reports: Vec<LintReport> = if args.files.is_empty() {
        let migrator = ctx.code()?;
        backends
            .iter()
            .map(|backend| lint::lint_migrations_with(migrator.graph(), *backend, &config))
            .collect()
    } else {
        let files: Vec<SqlFile> = args
            .files
            .iter()
            .map(|path| {
                // Read where it resolves; findings name it as written.
                SqlFile::read(ctx.path(path))
                    .map(|file| SqlFile {
                        name: path.display().to_string(),
                        ..file
                    })
                    .map_err(|e| CliError::from_core(e, ctx.program()))
            })
            .collect::<Result<_, _>>()?;
        let snapshot = match (&args.schema, &schema_url) {
            (Some(url), Some(parsed)) => Some(live_schema(ctx, url, parsed)?),
            _ => None,
        };
        let migrator = match &args.after {
            Some(_) => Some(ctx.code()?),
            None => None,
        };
        let start = match (&snapshot, &migrator, &args.after) {
            (Some(snapshot), _, _) => StartSchema::Snapshot(snapshot),
            (None, Some(migrator), Some(revision)) => StartSchema::After {
                graph: migrator.graph(),
                revision,
            },
            _ => StartSchema::Unknown,
        };
        backends
            .iter()
            .map(|backend| {
                lint::lint_files(&files, *backend, start, &config)
                    .map_err(|e| CliError::from_core(e, ctx.program()))
            })
            .collect::<Result<_, _>>()?
    };
    let blocking: Vec<String> = reports
        .iter()
        .flat_map(|report| {
            report
                .findings
                .iter()
                .filter(|f| f.is_blocking())
                .map(move |f| format!("{} [{}] ({})", f.location(), f.rule, report.backend))
        })
        .collect();
    let files: Vec<String> = args.files.iter().map(|p| p.display().to_string()).collect();
    let mut done = Done::new(json!({
        "command": "lint",
        "file": files.first(),
        "files": files,
        "passed": blocking.is_empty(),
        "reports": reports
            .iter()
            .map(|r| serde_json::to_value(r).unwrap_or(Value::Null))
            .collect::<Vec<_>>(),
    }));
    for report in &reports {
        for line in report.to_text().lines() {
            done.line(line);
        }
    }
    done.markdown = Some(
        reports
            .iter()
            .map(LintReport::to_markdown)
            .collect::<Vec<_>>()
            .join("\n"),
    );
    let sarif = lint::sarif_log(&reports);
    done.sarif = Some(format!(
        "{}\n",
        serde_json::to_string_pretty(&sarif).unwrap_or_else(|_| sarif.to_string())
    ));
    let annotations = lint::github_annotations(&reports);
    done.github = Some(
        annotations
            .iter()
            .map(|line| format!("{line}\n"))
            .collect::<String>(),
    );
    if !blocking.is_empty() {
        let hint = if args.files.is_empty() {
            "fix each finding, or allow its rule in that migration with a reason: \
             #[migration(..., allow = [\"rule-id: why\"])]"
        } else {
            "fix each finding, or allow its rule with a reason in a comment right before the \
             statement (or at the top of the file): -- arx-migrate: allow rule-id: why"
        };
        done.failure = Some(
            CliError::new(
                "lint_failed",
                format!(
                    "lint found {} blocking error(s): {}",
                    blocking.len(),
                    blocking.join(", ")
                ),
            )
            .hint(hint)
            .details(json!({ "blocking": blocking })),
        );
    }
    Ok(done)
}

/// `lint --rules`.
fn list_rules() -> Done {
    let rules = lint::rules();
    let mut done = Done::new(json!({
        "command": "lint",
        "rules": serde_json::to_value(&rules).unwrap_or(Value::Null),
    }));
    let width = rules.iter().map(|r| r.id.len()).max().unwrap_or(0);
    let mut markdown = String::from(
        "| rule | severity | backends | default | reason | fix |\n|---|---|---|---|---|---|\n",
    );
    for rule in &rules {
        let scope = match rule.backends {
            Scope::Both => "both",
            Scope::Postgres => "postgres",
            Scope::Sqlite => "sqlite",
            Scope::Mysql => "mysql",
        };
        let default = if rule.default_enabled { "on" } else { "off" };
        done.line(format!(
            "{:<width$}  {:<7}  {:<8}  {:<3}  {}",
            rule.id,
            // Padding needs a string: Severity's Display writes its word as is.
            rule.severity.to_string(),
            scope,
            default,
            rule.reason
        ));
        done.line(format!("{:<width$}  fix: {}", "", rule.fix));
        if !rule.aliases.is_empty() {
            done.line(format!("{:<width$}  also: {}", "", rule.aliases.join(", ")));
        }
        let aliases: String = rule.aliases.iter().map(|a| format!(" (`{a}`)")).collect();
        markdown.push_str(&format!(
            "| `{}`{aliases} | {} | {scope} | {default} | {} | {} |\n",
            rule.id,
            rule.severity,
            arx_migrate_core::not_api::text::md_cell(rule.reason),
            arx_migrate_core::not_api::text::md_cell(rule.fix)
        ));
    }
    let errors = rules
        .iter()
        .filter(|r| r.severity == Severity::Error)
        .count();
    let off = rules.iter().filter(|r| !r.default_enabled).count();
    done.line(format!(
        "{} rules, {errors} of them errors (which block); {off} off by default (switch them on with enable = [...] in the [lint] section of arx-migrate.toml)",
        rules.len()
    ));
    done.markdown = Some(markdown);
    done
}
