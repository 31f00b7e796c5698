//! The blocking clients on the wrong thread: refused before any driver
//! runs.

use crate::backend::Connection;
use crate::error::Result;

/// Refuses, before any driver is called, a connection whose blocking
/// client cannot be used on the current thread: a PostgreSQL client on a
/// thread that drives an async runtime (the driver would panic there).
pub(crate) fn refuse_inside_async_runtime(connection: &dyn Connection) -> Result<()> {
    #[cfg(feature = "postgres")]
    if connection.backend() == crate::Backend::Postgres {
        return crate::backend::postgres::refuse_inside_async_runtime();
    }
    let _ = connection;
    Ok(())
}
