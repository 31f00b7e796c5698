//! The fixture registry: a small database on the test server
//! (`arx_migrate_fixtures`) where every test process records the schemas
//! and databases it builds, claims and gives back, and under whose session.
//!
//! A process is represented on the server by one session it keeps open for
//! its whole life (its *owner* session, identified by backend pid and start
//! time). When a test process crashes or is killed, the server ends that
//! session, and whatever the process was building or holding becomes
//! reclaimable by the next process that looks — no timeout needed. Claims
//! are row updates with `FOR UPDATE SKIP LOCKED`, so any number of
//! processes share one pool without waiting on each other.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

use arx_migrate_core::backend::postgres::db_error;
use arx_migrate_core::error::{DbError, Error, Result};
use arx_migrate_core::lock::lock_key;
use arx_migrate_core::not_api::scratch::{connect, with_database};
use postgres::Client;

use super::clients::PooledClient;

/// The database on the test server where test processes record the
/// schemas and databases they build, claim and give back (table
/// `fixture_objects`), so that they share one pool and reclaim what a
/// crashed process left.
pub const REGISTRY_DATABASE: &str = "arx_migrate_fixtures";

const CREATE_TABLES: &str = "
CREATE TABLE IF NOT EXISTS fixture_objects (
    database      text NOT NULL,
    name          text NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('schema', 'database', 'fixture', 'scratch')),
    set_key       text NOT NULL DEFAULT '',
    state         text NOT NULL CHECK (state IN ('building', 'ready', 'claimed', 'retired', 'kept')),
    owner_pid     integer,
    owner_started timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    used_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (database, name)
);
CREATE INDEX IF NOT EXISTS fixture_objects_ready ON fixture_objects (set_key, kind, created_at)
    WHERE state = 'ready';
CREATE SEQUENCE IF NOT EXISTS fixture_names;
CREATE TABLE IF NOT EXISTS fixture_sweeps (
    id         boolean PRIMARY KEY DEFAULT true CHECK (id),
    swept_at   timestamptz NOT NULL
);
";

/// What the pool hands out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    /// A schema in the migration set's shared database.
    Schema,
    /// A database of its own, copied from the set's template.
    Database,
}

impl Kind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Schema => "schema",
            Kind::Database => "database",
        }
    }
}

/// Where a registry row's object lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Object {
    /// The database (for a database: itself).
    pub database: String,
    /// The schema's name, or the database's again.
    pub name: String,
}

impl Object {
    /// The database (for a schema, the one holding it).
    pub(crate) fn database_name(&self) -> &str {
        &self.database
    }
}

/// This process's presence on one server: the registry's URL and the
/// session that stands for the process.
pub(crate) struct Registry {
    url: String,
    owner_pid: i32,
    owner_started: SystemTime,
    /// Kept open for the life of the process: its end marks what this
    /// process held as reclaimable. Claims go through it, one at a time:
    /// a claim is one short statement, and tests that claim at once
    /// would otherwise each open a session (tens of milliseconds).
    owner_session: Mutex<Client>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("owner_pid", &self.owner_pid)
            .finish_non_exhaustive()
    }
}

/// The error for a registry statement: what the fixtures were doing.
pub(crate) fn fixture_error(doing: &str) -> impl Fn(postgres::Error) -> Error + '_ {
    move |error| {
        let cause = db_error(error);
        Error::Database(cause.prefixed(format_args!("test fixtures: {doing}")))
    }
}

/// The registry of the server at `server_url`, opened (and created) once
/// per process.
pub(crate) fn registry(server_url: &str) -> Result<Arc<Registry>> {
    type Open = Mutex<HashMap<String, Arc<Registry>>>;
    static OPEN: OnceLock<Open> = OnceLock::new();
    // Opening under the lock: the first test of a process opens it, the
    // others wait for that instead of racing to create it.
    let mut open = OPEN
        .get_or_init(Open::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(registry) = open.get(server_url) {
        return Ok(Arc::clone(registry));
    }
    let registry = Arc::new(Registry::open(server_url)?);
    open.insert(server_url.to_string(), Arc::clone(&registry));
    Ok(registry)
}

impl Registry {
    fn open(server_url: &str) -> Result<Registry> {
        let url = with_database(server_url, REGISTRY_DATABASE);
        let mut session = match connect(&url) {
            Ok(session) => session,
            Err(Error::Database(DbError {
                code: Some(code), ..
            })) if code == "3D000" => {
                create_registry_database(server_url)?;
                connect(&url)?
            }
            Err(error) => return Err(error),
        };
        // Serialised: concurrent CREATE … IF NOT EXISTS can still collide.
        let key = lock_key("arx-migrate-test-registry", REGISTRY_DATABASE);
        let mut tx = session
            .transaction()
            .map_err(fixture_error("creating the registry tables"))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&key])
            .and_then(|_| tx.batch_execute(CREATE_TABLES))
            .and_then(|()| tx.commit())
            .map_err(fixture_error("creating the registry tables"))?;
        let row = session
            .query_one(
                "SELECT pid, backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()",
                &[],
            )
            .map_err(fixture_error("reading this process's session"))?;
        Ok(Registry {
            url,
            owner_pid: row.get(0),
            owner_started: row.get(1),
            owner_session: Mutex::new(session),
        })
    }

    /// A session to the registry database.
    pub(crate) fn client(&self) -> Result<PooledClient> {
        PooledClient::take(&self.url).map(|(client, _)| client)
    }

    /// Claims the oldest ready object of `set_key` and `kind` for this
    /// process; `None` when there is none.
    pub(crate) fn claim_ready(&self, set_key: &str, kind: Kind) -> Result<Option<Object>> {
        let mut client = self
            .owner_session
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let row = client
            .query_opt(
                "UPDATE fixture_objects SET state = 'claimed', owner_pid = $3, owner_started = $4, used_at = now()
                 WHERE (database, name) = (
                     SELECT database, name FROM fixture_objects
                     WHERE set_key = $1 AND kind = $2 AND state = 'ready'
                     ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
                 RETURNING database, name",
                &[&set_key, &kind.as_str(), &self.owner_pid, &self.owner_started],
            )
            .map_err(fixture_error("claiming a prepared test database"))?;
        Ok(row.map(|row| Object {
            database: row.get(0),
            name: row.get(1),
        }))
    }

    /// Records a new object of `kind` owned by this process, in state
    /// `state` (`building` for the pool, `claimed` for a test's own), named
    /// from the registry's sequence and placed as `place` says, and returns
    /// it. With `bound`, nothing is recorded (`None`) when `bound` objects
    /// are already ready or being built for the set.
    pub(crate) fn reserve(
        &self,
        set_key: &str,
        kind: Kind,
        place: &Place,
        state: &str,
        bound: Option<usize>,
    ) -> Result<Option<Object>> {
        let mut client = self.client()?;
        let mut tx = client
            .transaction()
            .map_err(fixture_error("reserving a test database"))?;
        if let Some(bound) = bound {
            let key = lock_key(set_key, kind.as_str());
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&key])
                .map_err(fixture_error("reserving a test database"))?;
            let pending: i64 = tx
                .query_one(
                    "SELECT count(*) FROM fixture_objects
                     WHERE set_key = $1 AND kind = $2 AND state IN ('ready', 'building')",
                    &[&set_key, &kind.as_str()],
                )
                .map_err(fixture_error("counting prepared test databases"))?
                .get(0);
            if pending >= bound as i64 {
                return Ok(None);
            }
        }
        let (database, prefix) = match place {
            Place::SchemaIn(database) => (Some(database.as_str()), "arx_pool_"),
            Place::Database(prefix) => (None, prefix.as_str()),
        };
        let row = tx
            .query_one(
                "INSERT INTO fixture_objects (database, name, kind, set_key, state, owner_pid, owner_started)
                 SELECT coalesce($1, n), n, $3, $4, $5, $6, $7
                 FROM (SELECT $2 || nextval('fixture_names') AS n) AS named
                 RETURNING database, name",
                &[
                    &database,
                    &prefix,
                    &kind.as_str(),
                    &set_key,
                    &state,
                    &self.owner_pid,
                    &self.owner_started,
                ],
            )
            .map_err(fixture_error("reserving a test database"))?;
        tx.commit()
            .map_err(fixture_error("reserving a test database"))?;
        Ok(Some(Object {
            database: row.get(0),
            name: row.get(1),
        }))
    }

    /// Moves `object` to `state` (`ready` once built, `retired` once used).
    pub(crate) fn set_state(&self, object: &Object, state: &str) -> Result<()> {
        self.client()?
            .execute(
                "UPDATE fixture_objects SET state = $3, used_at = now()
                 WHERE database = $1 AND name = $2",
                &[&object.database, &object.name, &state],
            )
            .map(|_| ())
            .map_err(fixture_error("recording a test database's state"))
    }

    /// Marks objects as given back, for whichever process sweeps next to
    /// drop.
    pub(crate) fn retire(&self, objects: &[Object]) -> Result<()> {
        if objects.is_empty() {
            return Ok(());
        }
        let databases: Vec<&str> = objects.iter().map(|o| o.database.as_str()).collect();
        let names: Vec<&str> = objects.iter().map(|o| o.name.as_str()).collect();
        self.client()?
            .execute(
                "UPDATE fixture_objects AS o SET state = 'retired', used_at = now()
                 FROM unnest($1::text[], $2::text[]) AS given(database, name)
                 WHERE o.database = given.database AND o.name = given.name",
                &[&databases, &names],
            )
            .map(|_| ())
            .map_err(fixture_error("giving back test databases"))
    }

    /// Records that this process uses the long-lived fixture database
    /// `database` (a template, a shared or a rollback database), so that
    /// it is not reclaimed as idle.
    pub(crate) fn touch_fixture(&self, database: &str) -> Result<()> {
        self.client()?
            .execute(
                "INSERT INTO fixture_objects (database, name, kind, state) VALUES ($1, $1, 'fixture', 'kept')
                 ON CONFLICT (database, name) DO UPDATE SET used_at = now()",
                &[&database],
            )
            .map(|_| ())
            .map_err(fixture_error("recording the use of a fixture database"))
    }
}

/// Where a reserved object goes.
#[derive(Debug, Clone)]
pub(crate) enum Place {
    /// A schema in this database.
    SchemaIn(String),
    /// A database whose name starts with this prefix.
    Database(String),
}

fn create_registry_database(server_url: &str) -> Result<()> {
    let mut admin = connect(server_url)?;
    match admin.batch_execute(&format!("CREATE DATABASE {REGISTRY_DATABASE}")) {
        Ok(()) => Ok(()),
        // Another process created it first.
        Err(error)
            if matches!(
                error.code().map(|c| c.code()),
                Some("42P04") | Some("23505")
            ) =>
        {
            Ok(())
        }
        Err(error) => Err(fixture_error("creating the fixture registry database")(
            error,
        )),
    }
}
