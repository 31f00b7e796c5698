//! `validate`: the whole CI gate for the chain on a scratch database
//! (in-memory SQLite, or a temporary database on the URL's PostgreSQL
//! server).

use serde_json::{json, Value};

use arx_migrate_core::backend::Backend;
use arx_migrate_verify::check::ScratchSource;
use arx_migrate_verify::validate as gate;

use super::context::Context;
use super::error::CliError;
use super::output::Done;
use super::session::core;

/// `validate [--no-scratch-cache]`.
pub(crate) fn validate(ctx: &Context<'_>, scratch_cache: bool) -> Result<Done, CliError> {
    let database = ctx.database()?;
    let url_backend = database.parsed.backend();
    let backend = ctx.backend_option()?.unwrap_or(url_backend);
    if backend == Backend::Postgres && url_backend != Backend::Postgres {
        return Err(CliError::usage(
            "validate on PostgreSQL needs a server for its scratch database: give --url postgres://user@host/db",
        ));
    }
    let migrator = ctx.migrator(&database)?;
    let scratch = ScratchSource::for_backend(backend, &database.url)
        .map(|source| source.cached(scratch_cache))
        .map_err(|e| core(ctx, &database, e))?;
    let lint_config = super::lint::config(ctx)?;
    let report = gate::validate_with(&migrator, &scratch, &lint_config)
        .map_err(|e| core(ctx, &database, e))?;
    let mut value = serde_json::to_value(&report).unwrap_or(Value::Null);
    value["command"] = json!("validate");
    value["passed"] = json!(report.passed());
    let mut done = Done::new(value);
    for line in report.to_text().lines() {
        done.line(line);
    }
    done.markdown = Some(report.to_markdown());
    let failed: Vec<&str> = report.failures().map(|s| s.name.as_str()).collect();
    if let Some(first) = report.failures().next() {
        // The first failure's first line names the revision at fault.
        let detail = first
            .details
            .iter()
            .find(|d| !d.starts_with("note: "))
            .and_then(|d| d.lines().next())
            .unwrap_or("failed");
        let mut message = format!(
            "validation failed ({}): {}: {detail}",
            backend.name(),
            first.name
        );
        if failed.len() > 1 {
            message.push_str(&format!(" (also failed: {})", failed[1..].join(", ")));
        }
        done.failure = Some(
            CliError::new("validation_failed", message)
                .hint("each failed step above names the revision at fault; fix it and run validate again")
                .details(json!({ "failed_steps": failed }))
                .scrub(database.secret().as_deref()),
        );
    }
    Ok(done)
}
