//! [`Ops`]: what a migration writes its changes to.
//!
//! One `Ops` serves both backends: it renders sea-query statements for the
//! connection's backend, runs raw SQL (for every backend or for one), and
//! hands data migrations the connection. When rendering offline (`--sql`,
//! lint, checksums) it records the statements instead of running them.

use std::panic::{catch_unwind, AssertUnwindSafe};

use sea_query::{PostgresQueryBuilder, SqliteQueryBuilder};

use crate::backend::{Backend, Connection, DataConnection};
use crate::checksum::ChecksumBuilder;
use crate::error::{Direction, Error, Result, StatementFailure};

/// A statement [`Ops::exec`] can render: every sea-query schema statement
/// (tables, indexes, foreign keys) and every sea-query data statement
/// (insert, update, delete; values are inlined).
pub trait Statement {
    /// The SQL for `backend`. May panic where sea-query does; [`Ops`]
    /// turns that into an error.
    fn render(&self, backend: Backend) -> String;
    /// A short name of the operation, for errors ("ALTER TABLE").
    fn describe(&self) -> String;
}

macro_rules! schema_statements {
    ($($ty:ty => $name:literal),* $(,)?) => {$(
        impl Statement for $ty {
            fn render(&self, backend: Backend) -> String {
                match backend {
                    Backend::Sqlite => self.build(SqliteQueryBuilder),
                    Backend::Postgres => self.build(PostgresQueryBuilder),
                }
            }
            fn describe(&self) -> String {
                $name.to_string()
            }
        }
    )*};
}

schema_statements! {
    sea_query::TableCreateStatement => "CREATE TABLE",
    sea_query::TableDropStatement => "DROP TABLE",
    sea_query::TableAlterStatement => "ALTER TABLE",
    sea_query::TableRenameStatement => "ALTER TABLE … RENAME",
    sea_query::TableTruncateStatement => "TRUNCATE",
    sea_query::IndexCreateStatement => "CREATE INDEX",
    sea_query::IndexDropStatement => "DROP INDEX",
    sea_query::ForeignKeyCreateStatement => "ADD FOREIGN KEY",
    sea_query::ForeignKeyDropStatement => "DROP FOREIGN KEY",
}

macro_rules! query_statements {
    ($($ty:ty => $name:literal),* $(,)?) => {$(
        impl Statement for $ty {
            fn render(&self, backend: Backend) -> String {
                match backend {
                    Backend::Sqlite => self.to_string(SqliteQueryBuilder),
                    Backend::Postgres => self.to_string(PostgresQueryBuilder),
                }
            }
            fn describe(&self) -> String {
                $name.to_string()
            }
        }
    )*};
}

query_statements! {
    sea_query::InsertStatement => "INSERT",
    sea_query::UpdateStatement => "UPDATE",
    sea_query::DeleteStatement => "DELETE",
}

impl<T: Statement + ?Sized> Statement for &T {
    fn render(&self, backend: Backend) -> String {
        (**self).render(backend)
    }
    fn describe(&self) -> String {
        (**self).describe()
    }
}

impl<T: Statement + ?Sized> Statement for &mut T {
    fn render(&self, backend: Backend) -> String {
        (**self).render(backend)
    }
    fn describe(&self) -> String {
        (**self).describe()
    }
}

/// Where the statements go.
enum Sink<'a> {
    /// Run each statement on the connection.
    Live(&'a mut dyn Connection),
    /// Keep them, in order (offline SQL, lint, checksums).
    Record(Vec<String>),
}

/// The context a migration writes its changes to.
///
/// ```
/// use arx_migrate_core::{render, Backend, Direction, FnMigration, Ops, Result};
/// use sea_query::{ColumnDef, Iden, Table};
///
/// fn upgrade(op: &mut Ops) -> Result<()> {
///     op.exec(
///         Table::create()
///             .table("notes")
///             .col(ColumnDef::new("id").integer().primary_key())
///             .col(ColumnDef::new("body").text().not_null()),
///     )?;
///     // Raw SQL for one backend only, where sea-query has no words for it.
///     op.postgres("COMMENT ON TABLE notes IS 'free text'")?;
///     Ok(())
/// }
///
/// let notes = FnMigration::new("r1", &[], upgrade, |op| op.sql("DROP TABLE notes"));
/// let sql = render(&notes, Backend::Sqlite, Direction::Upgrade).into_result()?;
/// assert_eq!(sql.len(), 1);
/// # Ok::<(), arx_migrate_core::Error>(())
/// ```
pub struct Ops<'a> {
    backend: Backend,
    revision: String,
    direction: Direction,
    sink: Sink<'a>,
    checksum: ChecksumBuilder,
    in_transaction: bool,
    statements_run: usize,
    /// Statements queued to go to the server in one round trip (inside a
    /// transaction only: a non-transactional migration sends each alone).
    pending: Vec<String>,
    /// Whether statements may be queued: not while a timeout may cancel
    /// one (see [`Ops::flush`]).
    batch: bool,
}

impl<'a> Ops<'a> {
    pub(crate) fn live(
        connection: &'a mut dyn Connection,
        revision: &str,
        direction: Direction,
        in_transaction: bool,
        batch: bool,
    ) -> Self {
        Ops {
            backend: connection.backend(),
            revision: revision.to_string(),
            direction,
            sink: Sink::Live(connection),
            checksum: ChecksumBuilder::new(),
            in_transaction,
            statements_run: 0,
            pending: Vec::new(),
            batch: in_transaction && batch,
        }
    }

    pub(crate) fn recording(backend: Backend, revision: &str, direction: Direction) -> Self {
        Ops {
            backend,
            revision: revision.to_string(),
            direction,
            sink: Sink::Record(Vec::new()),
            checksum: ChecksumBuilder::new(),
            in_transaction: true,
            statements_run: 0,
            pending: Vec::new(),
            batch: false,
        }
    }

    /// The backend the statements are rendered for.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The revision being applied or reverted.
    pub fn revision(&self) -> &str {
        &self.revision
    }

    /// Whether the change is being applied or reverted.
    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// Whether the statements run inside a transaction.
    pub fn in_transaction(&self) -> bool {
        self.in_transaction
    }

    /// Whether the statements are recorded rather than run (offline SQL,
    /// lint, checksums).
    pub fn is_offline(&self) -> bool {
        matches!(self.sink, Sink::Record(_))
    }

    /// Renders a sea-query statement for this backend and runs it.
    ///
    /// A statement that sea-query cannot render for the backend (on SQLite:
    /// modifying a column, adding or dropping a foreign key or constraint,
    /// several changes in one `ALTER TABLE`) is an [`Error::Unsupported`]
    /// naming the revision and the operation, never a panic.
    pub fn exec(&mut self, statement: impl Statement) -> Result<()> {
        let backend = self.backend;
        let rendered = catch_unwind(AssertUnwindSafe(|| statement.render(backend)));
        match rendered {
            Ok(sql) => self.run(sql),
            Err(panic) => {
                let reason = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "sea-query cannot build it".to_string());
                Err(Error::Unsupported {
                    operation: format!("{} in revision {}", statement.describe(), self.revision),
                    backend: backend.name(),
                    reason: format!(
                        "{reason}; on SQLite, rebuild the table instead (create the new table, copy the rows, drop the old one, rename)"
                    ),
                })
            }
        }
    }

    /// Runs raw SQL on every backend.
    pub fn sql(&mut self, sql: impl Into<String>) -> Result<()> {
        self.run(sql.into())
    }

    /// Runs raw SQL on PostgreSQL only; does nothing on other backends.
    pub fn postgres(&mut self, sql: impl Into<String>) -> Result<()> {
        if self.backend == Backend::Postgres {
            self.run(sql.into())?;
        }
        Ok(())
    }

    /// Runs raw SQL on SQLite only; does nothing on other backends.
    pub fn sqlite(&mut self, sql: impl Into<String>) -> Result<()> {
        if self.backend == Backend::Sqlite {
            self.run(sql.into())?;
        }
        Ok(())
    }

    /// On PostgreSQL, `CREATE EXTENSION IF NOT EXISTS name`; when the
    /// server does not have the extension installed, or the role may not
    /// create it, the error says which and how to fix it. Call it before
    /// anything else in the migration so that nothing is changed when it
    /// fails. Does nothing on SQLite.
    pub fn require_extension(&mut self, name: &str) -> Result<()> {
        if self.backend != Backend::Postgres {
            return Ok(());
        }
        let sql = format!("CREATE EXTENSION IF NOT EXISTS {}", quote_ident(name));
        // Sent at once, so that its error can be told apart.
        self.run(sql)
            .and_then(|()| self.flush())
            .map_err(|error| extension_hint(error, name))
    }

    /// The connection, for data migrations that read or write rows. It is
    /// inside the migration's transaction: do not commit or roll back.
    ///
    /// Offline (`--sql`, lint) this is [`Error::NeedsConnection`]. Statements
    /// run through the connection are not part of the revision's checksum.
    pub fn connection(&mut self) -> Result<DataConnection<'_>> {
        self.checksum.add_marker("data access");
        self.flush()?;
        match &mut self.sink {
            Sink::Live(connection) => Ok(connection.data()),
            Sink::Record(_) => Err(Error::NeedsConnection {
                revision: self.revision.clone(),
            }),
        }
    }

    fn run(&mut self, sql: String) -> Result<()> {
        self.checksum.add_statement(&sql);
        match &mut self.sink {
            Sink::Record(statements) => {
                statements.push(sql);
                Ok(())
            }
            Sink::Live(_) => {
                tracing::debug!(revision = %self.revision, statement = %sql, "executing");
                self.statements_run += 1;
                if sets_a_timeout(&sql) {
                    // `SET LOCAL lock_timeout = …`: from here on a
                    // statement may be cancelled, so each goes alone.
                    self.batch = false;
                }
                if self.batch {
                    self.pending.push(sql);
                    Ok(())
                } else {
                    self.flush()?;
                    self.execute_one(sql)
                }
            }
        }
    }

    /// Sends the queued statements in one round trip. On an error, the
    /// batch is undone to a savepoint and the statements are sent one by
    /// one, so that the error names the statement that failed (the
    /// runner then rolls the whole step back). That replay is sound only
    /// when no timeout may cancel a statement, or the one that timed out
    /// would wait a second time: the runner batches only then, and a
    /// statement that sets a timeout ends batching.
    pub(crate) fn flush(&mut self) -> Result<()> {
        let mut pending = std::mem::take(&mut self.pending);
        if pending.len() <= 1 {
            return pending.pop().map_or(Ok(()), |sql| self.execute_one(sql));
        }
        let Sink::Live(connection) = &mut self.sink else {
            return Ok(());
        };
        let mut batch = String::from("SAVEPOINT arx_migrate_batch;\n");
        for sql in &pending {
            batch.push_str(sql.trim_end().trim_end_matches(';'));
            batch.push_str(";\n");
        }
        batch.push_str("RELEASE SAVEPOINT arx_migrate_batch");
        let Err(batch_error) = connection.execute(&batch) else {
            return Ok(());
        };
        // Nothing of the batch stays applied on a failure.
        let _ = connection.execute("ROLLBACK TO SAVEPOINT arx_migrate_batch");
        let count = pending.len();
        if is_cancellation(&batch_error) {
            // A timeout set where the runner cannot see it (a function, a
            // role changed by an earlier statement): do not wait again.
            return Err(self.statement_error(
                format!("(one of a batch of {count} statements)"),
                batch_error,
            ));
        }
        for sql in pending {
            self.execute_one(sql)?;
        }
        Err(self.statement_error(
            format!("(a batch of {count} statements that each succeed alone)"),
            batch_error,
        ))
    }

    fn execute_one(&mut self, sql: String) -> Result<()> {
        let Sink::Live(connection) = &mut self.sink else {
            return Ok(());
        };
        connection
            .execute(&sql)
            .map_err(|source| self.statement_error(sql, source))
    }

    fn statement_error(&self, statement: String, source: crate::error::DbError) -> Error {
        Error::Statement(Box::new(StatementFailure {
            revision: self.revision.clone(),
            direction: self.direction,
            statement,
            source,
            rolled_back: false,
            hint: None,
        }))
    }

    pub(crate) fn into_recorded(self) -> Vec<String> {
        match self.sink {
            Sink::Record(statements) => statements,
            Sink::Live(_) => Vec::new(),
        }
    }

    pub(crate) fn finish_checksum(&self) -> String {
        self.checksum.clone().finish()
    }

    pub(crate) fn statements_run(&self) -> usize {
        self.statements_run
    }
}

/// Whether a statement sets a lock or statement timeout.
fn sets_a_timeout(sql: &str) -> bool {
    let lower = sql.to_ascii_lowercase();
    lower.contains("lock_timeout") || lower.contains("statement_timeout")
}

/// Whether a statement failed on a timeout (PostgreSQL `lock_not_available`,
/// `query_canceled`) rather than on its own content.
fn is_cancellation(error: &crate::error::DbError) -> bool {
    matches!(error.code.as_deref(), Some("55P03") | Some("57014"))
}

pub use crate::text::quote_ident;

fn extension_hint(error: Error, name: &str) -> Error {
    let Error::Statement(mut failure) = error else {
        return error;
    };
    let hint = match failure.source.code.as_deref() {
        Some("42501") => format!(
            "the role may not create extension {name}: ask a superuser to run `CREATE EXTENSION {name};` in this database once, then run the migration again"
        ),
        Some("58P01") | Some("0A000") | Some("42704") => {
            let install = if name == "postgis" {
                " (Debian/Ubuntu: `apt-get install postgresql-<version>-postgis-3`)"
            } else {
                ""
            };
            format!(
                "extension {name} is not installed on the database server: install its package on the server{install}, then run the migration again"
            )
        }
        _ => format!("could not create extension {name}"),
    };
    failure.hint = Some(hint);
    Error::Statement(failure)
}
