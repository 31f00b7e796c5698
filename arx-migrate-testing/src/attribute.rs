//! What `#[arx_migrate::test]` expands to: the fixture that fits the test
//! function's argument type and strategy. Public for the generated code
//! only; not an API.
//!
//! Each strategy is a trait implemented for the argument types it can
//! hand out, so that an argument a strategy cannot give is a compile error
//! at the argument's type, saying what it takes.

use std::collections::HashMap;
use std::fmt::Display;
use std::sync::{Mutex, OnceLock};

use arx_migrate_core::store::DEFAULT_VERSION_TABLE;
use arx_migrate_core::Migrator;

/// Which migrations a test's database is built from.
#[derive(Debug, Clone, Copy)]
pub enum MigratorSource {
    /// Every `#[migration]` linked into the test binary, with the default
    /// version table.
    Registry,
    /// What the function named by `migrator = path` returns; built once per
    /// process for each `key` (the path, where it was written).
    Function {
        /// Identifies the function: module and path as written.
        key: &'static str,
        /// Calls it.
        make: fn() -> Result<&'static Migrator, String>,
    },
}

/// One test's options, as the attribute gives them.
#[derive(Debug, Clone, Copy)]
pub struct TestSpec {
    /// The test's path, for messages.
    pub name: &'static str,
    /// The revision its database is at (`at = "…"`, default `head`).
    pub target: &'static str,
    /// Its migrations (`migrator = …`).
    pub migrator: MigratorSource,
}

impl TestSpec {
    /// The test's migrator; a failure to build it fails the test.
    fn migrator(&self) -> &'static Migrator {
        let built = match self.migrator {
            MigratorSource::Registry => Migrator::shared_registry(DEFAULT_VERSION_TABLE)
                .map_err(|e| e.to_string())
                .and_then(|migrator| {
                    if migrator.graph().is_empty() {
                        Err("no #[migration] is linked into this test binary; name the migrations with `#[arx_migrate::test(migrator = path::to::fn)]`".into())
                    } else {
                        Ok(migrator)
                    }
                }),
            MigratorSource::Function { key, make } => cached(key, make),
        };
        built.unwrap_or_else(|error| panic!("{}: cannot build its migrator: {error}", self.name))
    }

    fn fail(&self, error: arx_migrate_core::Error) -> ! {
        panic!("{}: cannot set up its test database: {error}", self.name)
    }
}

fn cached(
    key: &'static str,
    make: fn() -> Result<&'static Migrator, String>,
) -> Result<&'static Migrator, String> {
    type Cache = Mutex<HashMap<&'static str, &'static Migrator>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    // Built under the lock: tests of one migrator running at once wait
    // for the first build instead of repeating it.
    let mut cache = CACHE
        .get_or_init(Cache::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(migrator) = cache.get(key) {
        return Ok(migrator);
    }
    let migrator = make()?;
    cache.insert(key, migrator);
    Ok(migrator)
}

/// What `migrator = path` may return.
#[diagnostic::on_unimplemented(
    message = "`migrator = …` must name a function returning a `Migrator`, `&'static Migrator` or a `Result` of one, not `{Self}`",
    label = "returns `{Self}`"
)]
pub trait IntoMigrator {
    /// The migrator, kept for the rest of the process.
    fn into_migrator(self) -> Result<&'static Migrator, String>;
}

impl IntoMigrator for Migrator {
    fn into_migrator(self) -> Result<&'static Migrator, String> {
        // Once per process and function: the registry does the same.
        Ok(Box::leak(Box::new(self)))
    }
}

impl IntoMigrator for &'static Migrator {
    fn into_migrator(self) -> Result<&'static Migrator, String> {
        Ok(self)
    }
}

impl<M: IntoMigrator, E: Display> IntoMigrator for Result<M, E> {
    fn into_migrator(self) -> Result<&'static Migrator, String> {
        self.map_err(|e| e.to_string())?.into_migrator()
    }
}

/// The test's outcome: what it returned, or for a skipped test, success.
pub fn outcome<R: TestOutcome>(ran: Option<R>) -> R {
    ran.unwrap_or_else(R::skipped)
}

/// What a test function may return: `()` or a `Result<(), E>`.
#[diagnostic::on_unimplemented(
    message = "an `#[arx_migrate::test]` function returns `()` or `Result<(), E>`, not `{Self}`"
)]
pub trait TestOutcome {
    /// The outcome of a test skipped for want of a PostgreSQL server.
    fn skipped() -> Self;
}

impl TestOutcome for () {
    fn skipped() -> Self {}
}

impl<E> TestOutcome for Result<(), E> {
    fn skipped() -> Self {
        Ok(())
    }
}

macro_rules! strategy {
    ($(#[$doc:meta])* $name:ident, $message:literal) => {
        $(#[$doc])*
        #[diagnostic::on_unimplemented(message = $message, label = "this argument")]
        pub trait $name {
            /// The value the test gets a `&mut` to.
            type Arg<'a>;
            /// Sets up the database, runs `test` on it, cleans up; `None`
            /// when the test was skipped (no PostgreSQL server).
            fn run<R>(
                spec: &TestSpec,
                test: impl for<'a, 'b> FnOnce(&'b mut Self::Arg<'a>) -> R,
            ) -> Option<R>;
        }
    };
}

strategy!(
    /// No `strategy`: SQLite tests get an in-memory copy, a
    /// `&mut postgres::Transaction` a rolled-back transaction, a
    /// `&mut postgres::Client` a schema of its own, a `&mut mysql::Conn` a
    /// database of its own.
    DefaultStrategy,
    "#[arx_migrate::test] hands a test `&mut rusqlite::Connection`, `&mut postgres::Client`, `&mut postgres::Transaction<'_>` or `&mut mysql::Conn`, not `&mut {Self}`"
);
strategy!(
    /// `strategy = rollback`.
    RollbackStrategy,
    "`strategy = rollback` hands a test `&mut postgres::Transaction<'_>` (its nested transactions are savepoints, and the outer one is rolled back) or `&mut mysql::Conn` (in an XA transaction rolled back at the end), not `&mut {Self}`; a test that needs a client of its own takes `strategy = schema`"
);
strategy!(
    /// `strategy = schema`.
    SchemaStrategy,
    "`strategy = schema` hands a PostgreSQL test `&mut postgres::Client` or `&mut postgres::Transaction<'_>`, and a MariaDB/MySQL test `&mut mysql::Conn`, not `&mut {Self}` (an SQLite test takes no strategy)"
);
strategy!(
    /// `strategy = database`.
    DatabaseStrategy,
    "`strategy = database` hands a PostgreSQL test `&mut postgres::Client` or `&mut postgres::Transaction<'_>`, and a MariaDB/MySQL test `&mut mysql::Conn`, not `&mut {Self}` (an SQLite test takes no strategy)"
);

#[cfg(feature = "sqlite")]
impl DefaultStrategy for rusqlite::Connection {
    type Arg<'a> = rusqlite::Connection;
    fn run<R>(
        spec: &TestSpec,
        test: impl for<'a, 'b> FnOnce(&'b mut rusqlite::Connection) -> R,
    ) -> Option<R> {
        let mut conn = crate::fresh_sqlite_at(spec.migrator(), spec.target)
            .unwrap_or_else(|error| spec.fail(error));
        Some(test(&mut conn))
    }
}

#[cfg(feature = "postgres")]
mod postgres_tests {
    use super::*;
    use crate::{postgres_test_url, PgFixture, PooledDatabase};

    /// The fixture options of a PostgreSQL test; `None` when it is skipped.
    fn fixture(spec: &TestSpec) -> Option<PgFixture<'static>> {
        let server = postgres_test_url(spec.name)?;
        Some(PgFixture::new(spec.migrator(), &server).at(spec.target))
    }

    fn rollback<R>(
        spec: &TestSpec,
        test: impl for<'a, 'b> FnOnce(&'b mut postgres::Transaction<'a>) -> R,
    ) -> Option<R> {
        let fixture = fixture(spec)?;
        let mut db = fixture.rollback().unwrap_or_else(|e| spec.fail(e));
        // Also fails a test that ended its transaction (see
        // `RollbackConnection::with_transaction`).
        let outcome = db
            .with_transaction(|tx| test(tx))
            .unwrap_or_else(|error| panic!("{}: {error}", spec.name));
        Some(outcome)
    }

    fn own<R>(
        spec: &TestSpec,
        take: fn(&PgFixture<'static>) -> arx_migrate_core::Result<PooledDatabase>,
        test: impl FnOnce(&mut postgres::Client) -> R,
    ) -> Option<R> {
        let fixture = fixture(spec)?;
        let db = take(&fixture).unwrap_or_else(|e| spec.fail(e));
        let mut client = db.connect().unwrap_or_else(|e| spec.fail(e));
        Some(test(&mut client))
    }

    fn in_transaction<R>(
        spec: &TestSpec,
        client: &mut postgres::Client,
        test: impl for<'a, 'b> FnOnce(&'b mut postgres::Transaction<'a>) -> R,
    ) -> R {
        let mut tx = client.transaction().unwrap_or_else(|e| {
            spec.fail(arx_migrate_core::Error::Database(
                arx_migrate_core::backend::postgres::db_error(e),
            ))
        });
        test(&mut tx)
    }

    impl DefaultStrategy for postgres::Client {
        type Arg<'a> = postgres::Client;
        fn run<R>(
            spec: &TestSpec,
            test: impl for<'a, 'b> FnOnce(&'b mut postgres::Client) -> R,
        ) -> Option<R> {
            own(spec, PgFixture::schema, test)
        }
    }

    impl<'t> DefaultStrategy for postgres::Transaction<'t> {
        type Arg<'a> = postgres::Transaction<'a>;
        fn run<R>(
            spec: &TestSpec,
            test: impl for<'a, 'b> FnOnce(&'b mut postgres::Transaction<'a>) -> R,
        ) -> Option<R> {
            rollback(spec, test)
        }
    }

    impl<'t> RollbackStrategy for postgres::Transaction<'t> {
        type Arg<'a> = postgres::Transaction<'a>;
        fn run<R>(
            spec: &TestSpec,
            test: impl for<'a, 'b> FnOnce(&'b mut postgres::Transaction<'a>) -> R,
        ) -> Option<R> {
            rollback(spec, test)
        }
    }

    impl SchemaStrategy for postgres::Client {
        type Arg<'a> = postgres::Client;
        fn run<R>(
            spec: &TestSpec,
            test: impl for<'a, 'b> FnOnce(&'b mut postgres::Client) -> R,
        ) -> Option<R> {
            own(spec, PgFixture::schema, test)
        }
    }

    impl<'t> SchemaStrategy for postgres::Transaction<'t> {
        type Arg<'a> = postgres::Transaction<'a>;
        fn run<R>(
            spec: &TestSpec,
            test: impl for<'a, 'b> FnOnce(&'b mut postgres::Transaction<'a>) -> R,
        ) -> Option<R> {
            own(spec, PgFixture::schema, |client| {
                in_transaction(spec, client, test)
            })
        }
    }

    impl DatabaseStrategy for postgres::Client {
        type Arg<'a> = postgres::Client;
        fn run<R>(
            spec: &TestSpec,
            test: impl for<'a, 'b> FnOnce(&'b mut postgres::Client) -> R,
        ) -> Option<R> {
            own(spec, PgFixture::database, test)
        }
    }

    impl<'t> DatabaseStrategy for postgres::Transaction<'t> {
        type Arg<'a> = postgres::Transaction<'a>;
        fn run<R>(
            spec: &TestSpec,
            test: impl for<'a, 'b> FnOnce(&'b mut postgres::Transaction<'a>) -> R,
        ) -> Option<R> {
            own(spec, PgFixture::database, |client| {
                in_transaction(spec, client, test)
            })
        }
    }
}

#[cfg(feature = "mysql")]
mod mysql_tests {
    use super::*;
    use crate::{mysql_test_url, MysqlFixture};

    /// The fixture options of a MariaDB/MySQL test; `None` when it is
    /// skipped.
    fn fixture(spec: &TestSpec) -> Option<MysqlFixture<'static>> {
        let server = mysql_test_url(spec.name)?;
        Some(MysqlFixture::new(spec.migrator(), &server).at(spec.target))
    }

    /// A database of its own (on MySQL a schema is a database).
    fn own<R>(spec: &TestSpec, test: impl FnOnce(&mut mysql::Conn) -> R) -> Option<R> {
        let fixture = fixture(spec)?;
        let db = fixture.database().unwrap_or_else(|e| spec.fail(e));
        let mut conn = db.connect().unwrap_or_else(|e| spec.fail(e));
        Some(test(&mut conn))
    }

    fn rollback<R>(spec: &TestSpec, test: impl FnOnce(&mut mysql::Conn) -> R) -> Option<R> {
        let fixture = fixture(spec)?;
        let mut db = fixture.rollback().unwrap_or_else(|e| spec.fail(e));
        // Also fails a test that ended the XA transaction.
        let outcome = db
            .with_transaction(test)
            .unwrap_or_else(|error| panic!("{}: {error}", spec.name));
        Some(outcome)
    }

    impl DefaultStrategy for mysql::Conn {
        type Arg<'a> = mysql::Conn;
        fn run<R>(
            spec: &TestSpec,
            test: impl for<'a, 'b> FnOnce(&'b mut mysql::Conn) -> R,
        ) -> Option<R> {
            own(spec, test)
        }
    }

    impl RollbackStrategy for mysql::Conn {
        type Arg<'a> = mysql::Conn;
        fn run<R>(
            spec: &TestSpec,
            test: impl for<'a, 'b> FnOnce(&'b mut mysql::Conn) -> R,
        ) -> Option<R> {
            rollback(spec, test)
        }
    }

    impl SchemaStrategy for mysql::Conn {
        type Arg<'a> = mysql::Conn;
        fn run<R>(
            spec: &TestSpec,
            test: impl for<'a, 'b> FnOnce(&'b mut mysql::Conn) -> R,
        ) -> Option<R> {
            own(spec, test)
        }
    }

    impl DatabaseStrategy for mysql::Conn {
        type Arg<'a> = mysql::Conn;
        fn run<R>(
            spec: &TestSpec,
            test: impl for<'a, 'b> FnOnce(&'b mut mysql::Conn) -> R,
        ) -> Option<R> {
            own(spec, test)
        }
    }
}
