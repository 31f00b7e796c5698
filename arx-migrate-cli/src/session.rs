//! What every verb that opens the database shares: reading the heads,
//! and a core error as the command line reports it.

use arx_migrate_core::runner::Migrator;

use super::context::{Context, Database};
use super::error::CliError;

/// Connects and reads the heads, mapping errors.
pub(crate) fn read_current(
    ctx: &Context<'_>,
    database: &Database,
    migrator: &Migrator,
) -> Result<(Box<dyn arx_migrate_core::Connection>, Vec<String>), CliError> {
    let mut connection = database.connect(false)?;
    let heads = migrator
        .current(&mut *connection)
        .map_err(|e| core(ctx, database, e))?;
    Ok((connection, heads))
}

/// A core error as the command line reports it: its kind and hint, the
/// program's name, and no secret of the database's URL.
pub(crate) fn core(
    ctx: &Context<'_>,
    database: &Database,
    error: arx_migrate_core::Error,
) -> CliError {
    CliError::from_core(error, ctx.program()).scrub(database.secret().as_deref())
}
