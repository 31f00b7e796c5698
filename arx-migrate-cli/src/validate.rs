//! `validate`: the whole CI gate for the chain on a scratch database
//! (in-memory SQLite, or a temporary database on the URL's PostgreSQL
//! server).

use serde_json::{json, Value};

use arx_migrate_core::backend::Backend;
use arx_migrate_core::ops::quote_ident;
use arx_migrate_verify::check::ScratchSource;
use arx_migrate_verify::validate as gate;

use super::context::Context;
use super::error::CliError;
use super::output::Done;
use super::session::core;

/// What the scratch database needs so that `role` stands there as it
/// stands in the database at `--url`: the extensions installed there
/// (created by the DBA, as a superuser) and the role's privileges on its
/// schemas.
fn role_setup(
    ctx: &Context<'_>,
    database: &crate::context::Database,
    migrator: &arx_migrate_core::Migrator,
    role: &str,
) -> Result<gate::AsRole, CliError> {
    let (mut connection, _) = super::session::read_current(ctx, database, migrator)?;
    let failed = |e| core(ctx, database, arx_migrate_core::Error::Database(e));
    let mut prepare = Vec::new();
    let extensions = connection
        .query("SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY oid")
        .map_err(failed)?;
    for name in extensions
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
    {
        prepare.push(format!(
            "CREATE EXTENSION IF NOT EXISTS {}",
            quote_ident(&name)
        ));
    }
    let schemas = connection
        .query_with(
            "SELECT nspname::text, has_schema_privilege($1, oid, 'USAGE')::text, has_schema_privilege($1, oid, 'CREATE')::text \
             FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'",
            &[arx_migrate_core::Param::Text(Some(role))],
        )
        .map_err(failed)?;
    for row in schemas {
        let [Some(schema), Some(usage), Some(create)] =
            <[Option<String>; 3]>::try_from(row).unwrap_or([None, None, None])
        else {
            continue;
        };
        let schema = quote_ident(&schema);
        let role = quote_ident(role);
        // The scratch database's `public` starts with PUBLIC's defaults;
        // only what the role has at --url may stay.
        prepare.push(format!("CREATE SCHEMA IF NOT EXISTS {schema}"));
        prepare.push(format!("REVOKE ALL ON SCHEMA {schema} FROM PUBLIC"));
        let granted: Vec<&str> = [("USAGE", usage == "true"), ("CREATE", create == "true")]
            .into_iter()
            .filter_map(|(privilege, has)| has.then_some(privilege))
            .collect();
        if !granted.is_empty() {
            prepare.push(format!(
                "GRANT {} ON SCHEMA {schema} TO {role}",
                granted.join(", ")
            ));
        }
    }
    Ok(gate::AsRole {
        role: role.to_string(),
        prepare,
    })
}

/// `validate [--no-scratch-cache]`.
pub(crate) fn validate(
    ctx: &Context<'_>,
    scratch_cache: bool,
    as_role: Option<&str>,
) -> Result<Done, CliError> {
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
    let as_role = match as_role {
        Some(role) if backend == Backend::Postgres => {
            Some(role_setup(ctx, &database, &migrator, role)?)
        }
        Some(_) => {
            return Err(CliError::usage(
                "validate --as-role runs on PostgreSQL only (SQLite has no roles)",
            ))
        }
        None => None,
    };
    let report = gate::validate_as(&migrator, &scratch, &lint_config, as_role.as_ref())
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
