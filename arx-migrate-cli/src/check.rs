//! `check`: the live schema against the one the migrations produce at the
//! database's current revision.

use serde_json::{json, Value};

use arx_migrate_verify::check::{self as drift, ScratchSource};

use super::context::Context;
use super::error::CliError;
use super::inspect::core;
use super::output::{self, Done};

/// `check`.
pub(crate) fn check(ctx: &Context<'_>) -> Result<Done, CliError> {
    let database = ctx.database()?;
    let migrator = ctx.migrator(&database)?;
    let mut connection = database.connect(false)?;
    let backend = database.parsed.backend();
    let scratch =
        ScratchSource::for_backend(backend, &database.url).map_err(|e| core(ctx, &database, e))?;
    let report =
        drift::check(&migrator, &mut *connection, &scratch).map_err(|e| core(ctx, &database, e))?;
    let mut value = serde_json::to_value(&report).unwrap_or(Value::Null);
    value["command"] = json!("check");
    value["url"] = json!(database.shown());
    value["clean"] = json!(report.is_clean());
    let mut done = Done::new(value);
    for line in report.to_text().lines() {
        done.line(line);
    }
    done.markdown = Some(report.to_markdown());
    if !report.is_clean() {
        done.failure = Some(
            CliError::new(
                "drift",
                format!(
                    "the schema of {} differs from the one the migrations produce at {}: {} difference(s)",
                    database.shown(),
                    output::heads(&report.heads),
                    report.differences.len()
                ),
            )
            .hint(format!(
                "write a migration for changes made by hand (`{} revision -m ...`), or undo them",
                ctx.program()
            ))
            .details(json!({ "differences": report.differences.len() })),
        );
    }
    Ok(done)
}
