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

use arx_migrate_core::error::Result;

use super::clients::PooledClient;
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
pub(crate) const LAYOUT: &str = "read-only-outside-tests";

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
/// database refuses the commit with an error that says so. When this value
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
}

impl RollbackConnection {
    /// A session on the database at `url` (built, with [`COMMIT_GUARD`]).
    pub(crate) fn open(url: &str) -> Result<RollbackConnection> {
        let (client, _) = PooledClient::take(url)?;
        Ok(RollbackConnection {
            client: Some(client),
            url: url.to_string(),
        })
    }

    /// Opens the test's transaction. It is rolled back when dropped (and
    /// cannot commit); call it again for a fresh one.
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
        let doing = "opening a rollback test's transaction";
        let client = self.client.as_mut().expect("present until dropped");
        // Read-write against the database's read-only default.
        let mut tx = client
            .build_transaction()
            .read_only(false)
            .start()
            .map_err(fixture_error(doing))?;
        tx.batch_execute("INSERT INTO arx_fixture.commit_guard DEFAULT VALUES")
            .map_err(fixture_error(doing))?;
        Ok(tx)
    }

    /// Runs `test` in a fresh transaction of this session, then rolls it
    /// back.
    pub fn with_transaction<R>(
        &mut self,
        test: impl FnOnce(&mut postgres::Transaction<'_>) -> R,
    ) -> Result<R> {
        let mut tx = self.transaction()?;
        Ok(test(&mut tx))
    }

    /// The URL of the database at the target, shared by the rollback tests
    /// of the migration set. Another session opened with it sees the
    /// database as migrated, without this test's uncommitted changes.
    pub fn url(&self) -> &str {
        &self.url
    }
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
