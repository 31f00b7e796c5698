//! The rollback fixture: a session on a database already at the target,
//! inside a transaction that is never committed.
//!
//! The database is built once per migration set and target (and kept on
//! the server); each test borrows a session from the process's idle ones,
//! opens a transaction, and gives the session back rolled back and reset.
//! A test costs three round trips, not a schema.
//!
//! Nothing but a test's own transaction may write there: the database is
//! read-only by default ([`READ_ONLY_OUTSIDE_TESTS`]), and each test's
//! transaction is opened read-write. A test that ends its transaction
//! (a refused `COMMIT`, a `ROLLBACK`) and writes on gets an error instead
//! of committing into the database every other test shares.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use arx_migrate_core::error::{DbError, DbErrorKind, Error, Result};
use arx_migrate_core::not_api::scratch::connect;
use postgres::error::SqlState;
use postgres::SimpleQueryMessage;

use super::clients::{close_idle, PooledClient};
use super::leaks;
use super::registry::fixture_error;

/// Installed in every rollback database: a row inserted at the start of
/// each test's transaction fires a deferred constraint trigger at commit,
/// which refuses it. Savepoints (nested transactions) release freely; only
/// the outer commit is refused, so the shared database never changes.
pub(crate) const COMMIT_GUARD: &str = "
CREATE SCHEMA arx_fixture;
CREATE TABLE arx_fixture.commit_guard (opened_at timestamptz NOT NULL DEFAULT now());
CREATE FUNCTION arx_fixture.refuse_commit() RETURNS trigger LANGUAGE plpgsql AS $guard$
BEGIN
    RAISE EXCEPTION 'arx-migrate: this transaction belongs to a rollback test fixture, and its changes are rolled back when the test ends; it cannot commit (nor SET CONSTRAINTS ALL IMMEDIATE)'
        USING HINT = 'A test that commits needs a database of its own: #[arx_migrate::test(strategy = schema)] or PgFixture::schema().';
END
$guard$;
CREATE CONSTRAINT TRIGGER refuse_commit AFTER INSERT ON arx_fixture.commit_guard
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION arx_fixture.refuse_commit();
";

/// Installed last in every rollback database: every session on it starts
/// its transactions read-only, so that a write outside a test's own
/// transaction fails instead of committing — after a test ended its
/// transaction (a refused `COMMIT` leaves the session in autocommit), or
/// from any other session. `RESET ALL` returns to this default; only the
/// fixture's `START TRANSACTION READ WRITE` opens a transaction that
/// writes.
pub(crate) const READ_ONLY_OUTSIDE_TESTS: &str = "DO $read_only$ BEGIN \
    EXECUTE format('ALTER DATABASE %I SET default_transaction_read_only = on', current_database()); \
    END $read_only$";

/// Part of the rollback database's name: a database built before the
/// fixture had [`READ_ONLY_OUTSIDE_TESTS`] gets a new one, not reused.
pub(crate) const LAYOUT: &str = "read-only-outside-tests, with a baseline";

/// Session state that outlives a rolled-back transaction, reset before a
/// session serves the next test. (`DISCARD ALL` would also drop the
/// driver's cached statements for type lookups.)
const RESET_SESSION: &str = "ROLLBACK; CLOSE ALL; UNLISTEN *; SELECT pg_advisory_unlock_all(); \
    RESET SESSION AUTHORIZATION; RESET ALL";

/// A session on the migration set's database at the target, for one test
/// whose changes are all rolled back ([`crate::PgFixture::rollback`]).
///
/// [`RollbackConnection::transaction`] opens the test's transaction, a
/// plain [`postgres::Transaction`]: nested transactions
/// ([`postgres::Transaction::transaction`]) are savepoints, and rolling
/// back to one works as usual. The outer transaction cannot commit: the
/// database refuses the commit with an error that says so. Nothing else
/// writes there either: outside a test's transaction the database is
/// read-only, so a write after SQL ended the test's transaction fails
/// (and [`RollbackConnection::with_transaction`] fails the test). When this value
/// drops, whatever the test did is rolled back and the session is reset
/// (settings, advisory locks, cursors, `LISTEN`s) and kept for the next
/// test.
///
/// It does not fit every test (use [`crate::PgFixture::schema`] there):
///
/// - a test that commits, or whose code under test commits;
/// - a test that uses several connections: the others do not see the
///   uncommitted rows, and one writing the same rows waits for this
///   transaction to end;
/// - a test of migrations themselves (upgrade, downgrade, `stamp`), which
///   take the run lock and commit per step;
/// - sequences are not transactional: ids drawn from them differ from run
///   to run, so compare rows by content, not by generated id;
/// - tests run in parallel share the database: one that locks a table
///   (DDL, `TRUNCATE`, `LOCK`) or writes a unique key another test also
///   writes makes the other wait until it ends.
#[derive(Debug)]
pub struct RollbackConnection {
    client: Option<PooledClient>,
    url: String,
    server_url: String,
    name: String,
}

impl RollbackConnection {
    /// A session on the rollback database `name` of the server at
    /// `server_url`, reached at `url` (built, with [`COMMIT_GUARD`]).
    pub(crate) fn open(server_url: &str, name: &str, url: &str) -> Result<RollbackConnection> {
        let (client, _) = PooledClient::take(url)?;
        Ok(RollbackConnection {
            client: Some(client),
            url: url.to_string(),
            server_url: server_url.to_string(),
            name: name.to_string(),
        })
    }

    /// Opens the test's transaction. It is rolled back when dropped (and
    /// cannot commit); call it again for a fresh one. Writes after SQL
    /// ended it (`COMMIT`, `ROLLBACK`) fail: the database is read-only
    /// outside it. [`RollbackConnection::with_transaction`] also fails the
    /// test that ended it.
    ///
    /// ```no_run
    /// # fn test(migrator: &arx_migrate_core::Migrator, server: &str) -> Result<(), Box<dyn std::error::Error>> {
    /// let mut db = arx_migrate_testing::PgFixture::new(migrator, server).rollback()?;
    /// let mut tx = db.transaction()?;
    /// tx.batch_execute("INSERT INTO users (name) VALUES ('ada')")?;
    /// {
    ///     let mut nested = tx.transaction()?; // SAVEPOINT
    ///     nested.batch_execute("DELETE FROM users")?;
    /// } // ROLLBACK TO SAVEPOINT: ada is back
    /// assert_eq!(tx.query_one("SELECT count(*) FROM users", &[])?.get::<_, i64>(0), 1);
    /// # Ok(()) }
    /// ```
    pub fn transaction(&mut self) -> Result<postgres::Transaction<'_>> {
        let client = self.client.as_mut().expect("present until dropped");
        open_test_transaction(client).map(|(tx, _)| tx)
    }

    /// Runs `test` in a fresh transaction of this session, then rolls it
    /// back.
    ///
    /// A test whose SQL ended that transaction (a `COMMIT`, which is
    /// refused, a `ROLLBACK`, an `END`) gets an error that says so, though
    /// `test` returned: what it meant to commit was not kept, and what it
    /// checked after may not be what it thinks. If it also committed
    /// something by a read-write transaction of its own (`ROLLBACK AND
    /// CHAIN`, `BEGIN READ WRITE`), the shared database is dropped, and
    /// built again for the next test, and the error says what changed.
    pub fn with_transaction<R>(
        &mut self,
        test: impl FnOnce(&mut postgres::Transaction<'_>) -> R,
    ) -> Result<R> {
        let client = self.client.as_mut().expect("present until dropped");
        let (mut tx, opened) = open_test_transaction(client)?;
        let outcome = test(&mut tx);
        let ended = !still_in(&mut tx, &opened);
        drop(tx);
        if ended {
            return Err(self.ended_early());
        }
        Ok(outcome)
    }

    /// The error for a test that ended its transaction; drops the shared
    /// database if the test committed something into it.
    fn ended_early(&mut self) -> Error {
        let mut message = format!(
            "test fixtures: the test ended its transaction on the shared rollback database {} \
             (a COMMIT, which the fixture refuses, or a ROLLBACK or END in its SQL): a write after \
             that fails, as the database is read-only outside a test's transaction. A test that \
             commits needs a database of its own: #[arx_migrate::test(strategy = schema)] or \
             PgFixture::schema()",
            self.name
        );
        let client = self.client.as_mut().expect("present until dropped");
        let changes = client
            .batch_execute(RESET_SESSION)
            .and_then(|()| leaks::changes(client));
        match changes {
            Ok(changes) if changes.is_empty() => {}
            Ok(changes) => {
                let name = self.name.clone();
                message.push_str(&format!(
                    ". Yet it committed into that database through a read-write transaction of \
                     its own ({}): the database {name} {}",
                    changes.join(", "),
                    match self.drop_shared_database() {
                        Ok(()) => "was dropped, and is built again for the next test; rollback \
                                   tests running on it meanwhile fail"
                            .to_string(),
                        Err(error) => format!(
                            "could not be dropped ({error}): drop it, or call \
                             arx_migrate::testing::drop_templates, before testing again"
                        ),
                    }
                ));
            }
            Err(error) => message.push_str(&format!(
                ". Whether it also committed into the database could not be checked ({}): \
                 drop it, or call arx_migrate::testing::drop_templates, to be sure",
                fixture_error("checking the shared database")(error)
            )),
        }
        Error::Database(DbError::new(DbErrorKind::Other, message))
    }

    /// Drops the shared rollback database (other tests' sessions on it
    /// included), so that the next test builds it anew.
    fn drop_shared_database(&mut self) -> Result<()> {
        if let Some(client) = self.client.take() {
            client.discard();
        }
        close_idle(&self.url);
        forget_ready(&self.server_url, &self.name);
        let mut admin = connect(&self.server_url)?;
        admin
            .batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .map_err(fixture_error("dropping a rollback database a test changed"))?;
        super::forget_database(&self.server_url, &self.name)
    }

    /// The URL of the database at the target, shared by the rollback tests
    /// of the migration set. Another session opened with it sees the
    /// database as migrated, without this test's uncommitted changes.
    pub fn url(&self) -> &str {
        &self.url
    }
}

/// Opens a test's transaction on `client`: read-write, against the
/// database's read-only default, with the commit guard armed. Returns it
/// with its transaction id, to tell later whether it is still the one
/// open.
fn open_test_transaction(client: &mut PooledClient) -> Result<(postgres::Transaction<'_>, String)> {
    let doing = "opening a rollback test's transaction";
    let mut tx = client
        .build_transaction()
        .read_only(false)
        .start()
        .map_err(fixture_error(doing))?;
    // One round trip for both.
    let replies = tx
        .simple_query(
            "INSERT INTO arx_fixture.commit_guard DEFAULT VALUES; \
             SELECT pg_current_xact_id()::text",
        )
        .map_err(fixture_error(doing))?;
    let id = replies
        .iter()
        .find_map(|reply| match reply {
            SimpleQueryMessage::Row(row) => row.get(0).map(str::to_string),
            _ => None,
        })
        .unwrap_or_default();
    Ok((tx, id))
}

/// Whether the session is still in the transaction `opened` (its id).
/// One the test left failed (an error it expected, without a savepoint) is
/// still its own: it answers nothing until rolled back.
fn still_in(tx: &mut postgres::Transaction<'_>, opened: &str) -> bool {
    match tx.simple_query("SELECT pg_current_xact_id_if_assigned()::text") {
        Ok(replies) => replies.iter().any(
            |reply| matches!(reply, SimpleQueryMessage::Row(row) if row.get(0) == Some(opened)),
        ),
        Err(error) => error.code() == Some(&SqlState::IN_FAILED_SQL_TRANSACTION),
    }
}

/// The URLs of the rollback databases this process built or found, by
/// server and name: a test after the first connects at once.
fn ready() -> &'static Mutex<HashMap<(String, String), String>> {
    static READY: OnceLock<Mutex<HashMap<(String, String), String>>> = OnceLock::new();
    READY.get_or_init(Mutex::default)
}

/// The URL of the rollback database `name` on `server_url`, if this
/// process has made sure it exists.
pub(crate) fn ready_url(server_url: &str, name: &str) -> Option<String> {
    ready()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .get(&(server_url.to_string(), name.to_string()))
        .cloned()
}

/// Records that the rollback database `name` exists, at `url`.
pub(crate) fn remember_ready(server_url: &str, name: &str, url: &str) {
    ready()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .insert((server_url.to_string(), name.to_string()), url.to_string());
}

/// Forgets the rollback database `name` (dropped): the next test builds it.
pub(crate) fn forget_ready(server_url: &str, name: &str) {
    ready()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .remove(&(server_url.to_string(), name.to_string()));
}

impl Drop for RollbackConnection {
    fn drop(&mut self) {
        let Some(mut client) = self.client.take() else {
            return;
        };
        if client.batch_execute(RESET_SESSION).is_err() {
            // Broken, or in a state a reset cannot undo: not reused.
            client.discard();
        }
    }
}
