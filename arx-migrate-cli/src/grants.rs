//! `grants --role NAME`: the PostgreSQL privileges the chain's statements
//! need, as GRANT statements and notes (derived offline, see
//! `arx_migrate_verify::grants`).

use serde_json::json;

use arx_migrate_verify::grants::postgres_grants;

use super::context::Context;
use super::error::CliError;
use super::output::Done;

/// `grants --role NAME`.
pub(crate) fn grants(ctx: &Context<'_>, role: &str) -> Result<Done, CliError> {
    let migrator = ctx.code()?;
    let grants = postgres_grants(migrator.graph(), None);
    let statements = grants.statements(role);
    let mut done = Done::new(json!({
        "command": "grants",
        "backend": "postgres",
        "role": role,
        "statements": statements.iter().filter(|s| !s.starts_with("--")).collect::<Vec<_>>(),
        "create_in_schemas": grants.create_in_schemas,
        "must_own": grants.must_own,
        "table_privileges": grants.table_privileges,
        "notes": grants.notes,
    }));
    done.essential = true;
    done.line(format!(
        "-- PostgreSQL privileges for role {role}, derived from the chain's upgrade and downgrade SQL"
    ));
    statements.into_iter().for_each(|line| done.line(line));
    Ok(done)
}
