//! `lint [--backend sqlite|postgres|all] [--file FILE.sql] [--rules]`: the
//! migrations' SQL checked without a database.

use std::path::Path;

use serde_json::{json, Value};

use arx_migrate_core::backend::Backend;
use arx_migrate_verify::lint::{self, LintReport, Severity};

use super::args::BackendArg;
use super::context::Context;
use super::error::CliError;
use super::output::Done;

/// The backends to lint for: `--backend` (`all` for both), else the one of
/// the URL, which is read but not connected to.
fn backends(ctx: &Context<'_>) -> Result<Vec<Backend>, CliError> {
    match ctx.global.backend {
        Some(BackendArg::All) => Ok(vec![Backend::Sqlite, Backend::Postgres]),
        Some(BackendArg::One(backend)) => Ok(vec![backend]),
        None => Ok(vec![ctx.database()?.parsed.backend()]),
    }
}

/// `lint`.
pub(crate) fn lint(ctx: &Context<'_>, file: Option<&Path>, rules: bool) -> Result<Done, CliError> {
    if rules {
        return Ok(list_rules());
    }
    let backends = backends(ctx)?;
    let reports: Vec<LintReport> = match file {
        Some(path) => backends
            .iter()
            .map(|backend| {
                lint::lint_sql_file(ctx.path(path), *backend)
                    .map_err(|e| CliError::from_core(e, ctx.program()))
            })
            .collect::<Result<_, _>>()?,
        None => {
            let migrator = ctx.code()?;
            backends
                .iter()
                .map(|backend| lint::lint_migrations(migrator.graph(), *backend))
                .collect()
        }
    };
    let blocking: Vec<String> = reports
        .iter()
        .flat_map(|report| {
            report
                .findings
                .iter()
                .filter(|f| f.is_blocking())
                .map(move |f| format!("{} [{}] ({})", f.revision, f.rule, report.backend))
        })
        .collect();
    let mut done = Done::new(json!({
        "command": "lint",
        "file": file.map(|p| p.display().to_string()),
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
    if !blocking.is_empty() {
        done.failure = Some(
            CliError::new(
                "lint_failed",
                format!(
                    "lint found {} blocking error(s): {}",
                    blocking.len(),
                    blocking.join(", ")
                ),
            )
            .hint(
                "fix each finding, or allow its rule in that migration with a reason: \
                 #[migration(..., allow = [\"rule-id: why\"])]",
            )
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
    let mut markdown = String::from("| rule | severity | reason | fix |\n|---|---|---|---|\n");
    for rule in &rules {
        let scope = if rule.postgres_only {
            " (postgres)"
        } else {
            ""
        };
        done.line(format!(
            "{:<26} {:<7}{scope} {}",
            rule.id, rule.severity, rule.reason
        ));
        done.line(format!("{:<34} fix: {}", "", rule.fix));
        markdown.push_str(&format!(
            "| `{}` | {}{scope} | {} | {} |\n",
            rule.id,
            rule.severity,
            arx_migrate_core::text::md_cell(rule.reason),
            arx_migrate_core::text::md_cell(rule.fix)
        ));
    }
    let errors = rules
        .iter()
        .filter(|r| r.severity == Severity::Error)
        .count();
    done.line(format!(
        "{} rules, {errors} of them errors (which block)",
        rules.len()
    ));
    done.markdown = Some(markdown);
    done
}
