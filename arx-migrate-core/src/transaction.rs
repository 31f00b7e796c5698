//! A database transaction that rolls back unless it is committed: every
//! early return, `?` and panic between `begin` and `commit` leaves the
//! database as it was.

use crate::backend::Connection;
use crate::error::{Error, Result};

/// An open transaction on a borrowed connection.
pub(crate) struct Transaction<'c> {
    connection: &'c mut dyn Connection,
    open: bool,
}

impl<'c> Transaction<'c> {
    /// Opens a transaction with `begin`, which sends the connection's
    /// [`Connection::begin_statement`] (on SQLite a writing one, `BEGIN
    /// IMMEDIATE`, so that the write lock is taken before anything is
    /// read), waiting for another writer as the caller decides.
    pub(crate) fn begin_with(
        connection: &'c mut dyn Connection,
        begin: impl FnOnce(&mut dyn Connection) -> Result<()>,
    ) -> Result<Self> {
        begin(&mut *connection)?;
        Ok(Transaction {
            connection,
            open: true,
        })
    }

    /// The connection, inside the transaction.
    pub(crate) fn connection(&mut self) -> &mut dyn Connection {
        &mut *self.connection
    }

    /// Commits. A failed commit is rolled back and reported.
    pub(crate) fn commit(mut self) -> Result<()> {
        self.open = false;
        if let Err(error) = self.connection.execute("COMMIT") {
            let _ = self.connection.execute("ROLLBACK");
            return Err(Error::Database(error));
        }
        Ok(())
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if self.open {
            if let Err(error) = self.connection.execute("ROLLBACK") {
                tracing::warn!(%error, "could not roll back; the connection ends the transaction when it closes");
            }
        }
    }
}
