//! `check`: the live schema against the one the migrations produce at the
//! database's current revision, and what would stop an upgrade (edited
//! migrations, interrupted steps).

use serde_json::{json, Value};

use arx_migrate_core::backend::Connection;
use arx_migrate_core::not_api::text::quote_ident;
use arx_migrate_core::redact::redact_url;
use arx_migrate_core::runner::{Migrator, Status};
use arx_migrate_verify::check::{
    self as drift, CheckOptions, SchemaSnapshot, ScratchSource, ScratchUse,
};

use super::context::{Context, Database};
use super::database::DbUrl;
use super::error::CliError;
use super::inspect::{edited_json, interrupted_json, not_ready, warning_lines};
use super::output::{self, Done};
use super::session::core;

/// `check [--scratch-url URL] [--strict] [--no-scratch-cache]`.
pub(crate) fn check(
    ctx: &Context<'_>,
    scratch_url: Option<&str>,
    strict: bool,
    scratch_cache: bool,
) -> Result<Done, CliError> {
    let database = ctx.database()?;
    let migrator = ctx.migrator(&database)?;
    let mut connection = database.connect(false)?;
    let backend = database.parsed.backend();
    // Where the database stands first: a revision this code does not know
    // is explained as every verb explains it, and edited migrations and
    // interrupted steps are reported.
    let status = migrator
        .status(&mut *connection)
        .map_err(|e| core(ctx, &database, e))?;
    // A half-applied revision (MariaDB, MySQL) leaves the schema between
    // two revisions: there is nothing to compare it with until it is
    // resumed or repaired.
    if let Some(done) =
        super::half_applied::check_refusal(&status, &database.shown(), ctx.program())
    {
        return Ok(done);
    }
    let actual =
        drift::snapshot(&migrator, &mut *connection).map_err(|e| core(ctx, &database, e))?;
    let (expected, scratch_use) = if status.heads.is_empty() {
        // Nothing applied: nothing to build, no scratch database needed.
        (SchemaSnapshot::default(), None)
    } else {
        let (scratch, server) = scratch_source(ctx, &database, scratch_url)?;
        let scratch = scratch.cached(scratch_cache);
        let build = Build {
            ctx,
            database: &database,
            scratch: &scratch,
            server: &server,
        };
        let (expected, used) = build.expected(&migrator, &status.heads, &mut *connection)?;
        (expected, Some(used))
    };
    let report = drift::report(
        backend,
        status.heads.clone(),
        &expected,
        &actual,
        &CheckOptions::new().strict(strict),
    );
    let mut value = serde_json::to_value(&report).unwrap_or(Value::Null);
    value["command"] = json!("check");
    value["strict"] = json!(strict);
    value["url"] = json!(database.shown());
    value["clean"] = json!(report.is_clean());
    value["scratch"] = json!(scratch_use);
    value["edited"] = edited_json(&status);
    value["interrupted"] = interrupted_json(&status);
    value["half_applied"] = super::half_applied::status_json(&status);
    let mut done = Done::new(value);
    for line in report.to_text().lines() {
        done.line(line);
    }
    let warnings = warning_lines(&status, ctx.program());
    for line in &warnings {
        done.line(line.clone());
    }
    let mut markdown = report.to_markdown();
    for line in &warnings {
        markdown.push_str(&format!("\n- {line}\n"));
    }
    done.markdown = Some(markdown);
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
    } else {
        // Being behind the code is no drift; what would stop an upgrade is.
        let status = Status {
            at_head: true,
            ..status
        };
        done.failure = not_ready(&status, migrator.graph(), ctx.program());
    }
    Ok(done)
}

/// Where scratch databases come from, and that server's URL as shown.
fn scratch_source(
    ctx: &Context<'_>,
    database: &Database,
    scratch_url: Option<&str>,
) -> Result<(ScratchSource, String), CliError> {
    let backend = database.parsed.backend();
    let url = match scratch_url {
        None => database.url.clone(),
        Some(url) => {
            let parsed = DbUrl::parse(url).map_err(|e| CliError {
                message: format!("{} (from --scratch-url)", e.message),
                ..e
            })?;
            if parsed.backend() != backend {
                return Err(CliError::usage(format!(
                    "--scratch-url is a {} server but the database checked is {backend}",
                    parsed.backend()
                )));
            }
            url.to_string()
        }
    };
    let source = ScratchSource::for_backend(backend, &url).map_err(|e| core(ctx, database, e))?;
    Ok((source, redact_url(&url)))
}

/// Building the expected schema on a scratch database.
struct Build<'a> {
    ctx: &'a Context<'a>,
    database: &'a Database,
    scratch: &'a ScratchSource,
    /// The scratch server's URL, as shown.
    server: &'a str,
}

impl Build<'_> {
    /// The schema the migrations produce at `heads`; a role that may not
    /// create the scratch database is told what `check` needs.
    fn expected(
        &self,
        migrator: &Migrator,
        heads: &[String],
        connection: &mut dyn Connection,
    ) -> Result<(SchemaSnapshot, ScratchUse), CliError> {
        let (ctx, database) = (self.ctx, self.database);
        let read = &mut |scratch: &mut dyn Connection| drift::snapshot(migrator, scratch);
        drift::read_at_heads(migrator, heads, self.scratch, read).map_err(|error| {
            let denied = error.db_error().and_then(|e| e.code.as_deref()) == Some("42501");
            if !denied {
                return core(ctx, database, error);
            }
            // The role, named so that the fix can be pasted.
            let role = connection
                .query("SELECT current_user")
                .ok()
                .and_then(|rows| rows.into_iter().next())
                .and_then(|row| row.into_iter().next().flatten())
                .map_or_else(|| "name".to_string(), |role| quote_ident(&role));
            CliError::new(
                "scratch_database",
                format!(
                    "check builds the schema the migrations produce in a scratch database, created on {} and dropped after, but this role may not create databases: {}",
                    arx_migrate_core::not_api::text::abbreviate(self.server, 200),
                    error.db_error().map(|e| e.message.as_str()).unwrap_or_default()
                ),
            )
            .hint(format!(
                "let the role create databases once (`ALTER ROLE {role} CREATEDB;` as a superuser), or build the schema on another server where a role may: `{} check --scratch-url postgres://user@host/postgres`",
                ctx.program()
            ))
            .scrub(database.secret().as_deref())
        })
    }
}
