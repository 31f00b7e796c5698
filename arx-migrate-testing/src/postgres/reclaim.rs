//! Reclaiming what test runs leave on the server: objects whose owner
//! process died (at once), objects given back (in the background), and
//! databases and schemas that nothing has used for a while — among them
//! the `arx_fx_*`, `arx_tpl_*`, `arx_scratch_*` databases and `arx_test_*`
//! schemas of earlier versions, which recorded no owner.

use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use arx_migrate_core::error::Result;
use arx_migrate_core::not_api::scratch::{connect, with_database};

use super::clients::close_idle;
use super::objects::destroy;
use super::registry::{fixture_error, registry, Kind, Object, Registry, REGISTRY_DATABASE};

/// When long-lived fixture databases and unowned leftovers count as stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReclaimPolicy {
    /// A migration set's template, shared and rollback databases (and its
    /// prepared pool) are dropped when no test process has used them for
    /// this long: they belong to an edited or abandoned migration set.
    pub fixture_idle: Duration,
    /// A leftover that recorded no owner (a scratch database, a schema of
    /// an earlier version, a half-built database) is dropped this long
    /// after a sweep first saw it, if no session is connected to it.
    pub unowned_age: Duration,
}

impl Default for ReclaimPolicy {
    /// A day for fixture databases, an hour for unowned leftovers.
    fn default() -> Self {
        ReclaimPolicy {
            fixture_idle: Duration::from_secs(24 * 3600),
            unowned_age: Duration::from_secs(3600),
        }
    }
}

/// How often, at most, a full sweep runs on one server (across processes).
const FULL_SWEEP_EVERY: Duration = Duration::from_secs(300);

/// Marks as given back every object being built or held by a process
/// whose owner session has ended; returns how many.
pub(crate) fn retire_dead_owners(registry: &Registry) -> Result<u64> {
    registry
        .client()?
        .execute(
            "UPDATE fixture_objects AS o SET state = 'retired', used_at = now()
             WHERE state IN ('building', 'claimed') AND NOT EXISTS (
                 SELECT 1 FROM pg_stat_activity AS a
                 WHERE a.pid = o.owner_pid AND a.backend_start = o.owner_started)",
            &[],
        )
        .map_err(fixture_error(
            "looking for test databases of ended processes",
        ))
}

/// Drops up to `limit` given-back pool objects (of `set_key`, or of every
/// set); returns their names (`database` or `database.schema`). Each is locked while it is dropped, so that two
/// processes never drop the same one.
pub(crate) fn drop_retired(
    registry: &Registry,
    server_url: &str,
    set_key: Option<&str>,
    limit: i64,
) -> Result<Vec<String>> {
    let mut client = registry.client()?;
    let doing = "dropping given-back test databases";
    let mut tx = client.transaction().map_err(fixture_error(doing))?;
    let rows = tx
        .query(
            "SELECT database, name, kind FROM fixture_objects
             WHERE state = 'retired' AND kind IN ('schema', 'database')
               AND ($1::text IS NULL OR set_key = $1)
             ORDER BY used_at LIMIT $2 FOR UPDATE SKIP LOCKED",
            &[&set_key, &limit],
        )
        .map_err(fixture_error(doing))?;
    let mut dropped = Vec::new();
    for row in rows {
        let object = Object {
            database: row.get(0),
            name: row.get(1),
        };
        let kind = match row.get::<_, &str>(2) {
            "schema" => Kind::Schema,
            _ => Kind::Database,
        };
        if let Err(error) = destroy(server_url, kind, &object) {
            tracing::warn!(%error, "test fixtures: could not drop a given-back test database");
            continue;
        }
        tx.execute(
            "DELETE FROM fixture_objects WHERE database = $1 AND name = $2",
            &[&object.database, &object.name],
        )
        .map_err(fixture_error(doing))?;
        dropped.push(match kind {
            Kind::Schema => format!("{}.{}", object.database, object.name),
            Kind::Database => object.name,
        });
    }
    tx.commit().map_err(fixture_error(doing))?;
    Ok(dropped)
}

/// Starts a full sweep of the server in a background thread, once per
/// process, unless another process swept it in the last few minutes.
pub(crate) fn sweep_in_background(server_url: &str) {
    static STARTED: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    let mut started = STARTED
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if started.iter().any(|url| url == server_url) {
        return;
    }
    started.push(server_url.to_string());
    let server_url = server_url.to_string();
    let _ = std::thread::Builder::new()
        .name("arx-fixture-sweep".into())
        .spawn(move || {
            let swept = registry(&server_url).and_then(|registry| {
                if claim_full_sweep(&registry)? {
                    reclaim_with(&registry, &server_url, &ReclaimPolicy::default()).map(Some)
                } else {
                    Ok(None)
                }
            });
            match swept {
                Ok(Some(dropped)) if !dropped.is_empty() => {
                    tracing::info!(?dropped, "test fixtures: reclaimed stale test databases")
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(%error, "test fixtures: sweeping stale test databases")
                }
            }
        });
}

/// Whether this process is the one to sweep now (at most one sweep per
/// `FULL_SWEEP_EVERY` on a server).
fn claim_full_sweep(registry: &Registry) -> Result<bool> {
    let rows = registry
        .client()?
        .query(
            "INSERT INTO fixture_sweeps (swept_at) VALUES (now())
             ON CONFLICT (id) DO UPDATE SET swept_at = now()
             WHERE fixture_sweeps.swept_at < now() - make_interval(secs => $1)
             RETURNING swept_at",
            &[&FULL_SWEEP_EVERY.as_secs_f64()],
        )
        .map_err(fixture_error("scheduling a sweep of stale test databases"))?;
    Ok(!rows.is_empty())
}

/// Drops what test runs left on the server at `server_url` that `policy`
/// calls stale, and returns the names dropped (`database` or
/// `database.schema`).
///
/// This runs by itself in the background, at most every few minutes per
/// server, when a process first uses the prepared pool or a rollback
/// fixture; call it to sweep now, or with a stricter policy. What it
/// drops:
///
/// - pool schemas and databases whose process ended while building or
///   holding them (at once: the owner session is gone), and those given
///   back;
/// - prepared pool objects and a migration set's template, shared and
///   rollback databases that no process used for
///   [`ReclaimPolicy::fixture_idle`];
/// - leftovers that recorded no owner — `arx_scratch_*` databases,
///   half-built `*_build` databases, the `arx_test_*` schemas of earlier
///   versions — once [`ReclaimPolicy::unowned_age`] has passed since a
///   sweep first saw them, unless a session is connected.
///
/// ```no_run
/// use arx_migrate_testing::{reclaim_stale, ReclaimPolicy};
/// let dropped = reclaim_stale("postgresql://postgres@127.0.0.1/postgres", &ReclaimPolicy::default())?;
/// println!("dropped {}", dropped.join(", "));
/// # Ok::<(), arx_migrate_core::Error>(())
/// ```
pub fn reclaim_stale(server_url: &str, policy: &ReclaimPolicy) -> Result<Vec<String>> {
    let registry = registry(server_url)?;
    reclaim_with(&registry, server_url, policy)
}

fn reclaim_with(
    registry: &Registry,
    server_url: &str,
    policy: &ReclaimPolicy,
) -> Result<Vec<String>> {
    retire_dead_owners(registry)?;
    retire_idle_ready(registry, policy)?;
    let mut dropped = Vec::new();
    loop {
        let batch = drop_retired(registry, server_url, None, 64)?;
        if batch.is_empty() {
            break;
        }
        dropped.extend(batch);
    }
    register_leftovers(registry, server_url)?;
    dropped.extend(drop_stale_databases(registry, server_url, policy)?);
    dropped.extend(drop_stale_schemas(registry, server_url, policy)?);
    forget_vanished(registry)?;
    Ok(dropped)
}

/// Prepared objects that waited longer than the policy allows are given
/// back: their migration set is probably no longer tested.
fn retire_idle_ready(registry: &Registry, policy: &ReclaimPolicy) -> Result<()> {
    registry
        .client()?
        .execute(
            "UPDATE fixture_objects SET state = 'retired'
             WHERE state = 'ready' AND used_at < now() - make_interval(secs => $1)",
            &[&policy.fixture_idle.as_secs_f64()],
        )
        .map(|_| ())
        .map_err(fixture_error("retiring idle prepared test databases"))
}

/// What a database's name says it is, for one the registry does not know.
fn classify(name: &str) -> Option<&'static str> {
    let fixture = ["arx_tpl_", "arx_fx_", "arx_rb_"]
        .iter()
        .any(|prefix| name.starts_with(prefix));
    if name == REGISTRY_DATABASE {
        None
    } else if fixture && !name.ends_with("_build") {
        Some("fixture")
    } else if fixture || name.starts_with("arx_scratch_") || name.starts_with("arx_pdb_") {
        Some("scratch")
    } else {
        None
    }
}

/// Records the fixture databases and leftovers the registry does not know
/// yet (first seen now), and the unowned schemas in shared databases.
fn register_leftovers(registry: &Registry, server_url: &str) -> Result<()> {
    let doing = "listing test databases";
    let mut admin = connect(server_url)?;
    let rows = admin
        .query(
            "SELECT datname FROM pg_database WHERE datname LIKE 'arx\\_%'",
            &[],
        )
        .map_err(fixture_error(doing))?;
    let mut client = registry.client()?;
    let mut shared = Vec::new();
    for row in rows {
        let name: String = row.get(0);
        let Some(kind) = classify(&name) else {
            continue;
        };
        if name.starts_with("arx_fx_") && kind == "fixture" {
            shared.push(name.clone());
        }
        client
            .execute(
                "INSERT INTO fixture_objects (database, name, kind, state) VALUES ($1, $1, $2, 'kept')
                 ON CONFLICT (database, name) DO NOTHING",
                &[&name, &kind],
            )
            .map_err(fixture_error(doing))?;
    }
    for database in shared {
        // A session of its own, closed after: an idle one kept by this
        // process would count as a user of the database.
        let Ok(mut session) = connect(&with_database(server_url, &database)) else {
            continue; // dropped meanwhile, or not reachable: the next sweep
        };
        let schemas = session
            .query(
                "SELECT nspname FROM pg_namespace
                 WHERE nspname LIKE 'arx\\_test\\_%' OR nspname LIKE 'arx\\_pool\\_%'",
                &[],
            )
            .map_err(fixture_error(doing))?;
        for schema in schemas {
            let name: String = schema.get(0);
            client
                .execute(
                    "INSERT INTO fixture_objects (database, name, kind, state) VALUES ($1, $2, 'scratch', 'kept')
                     ON CONFLICT (database, name) DO NOTHING",
                    &[&database, &name],
                )
                .map_err(fixture_error(doing))?;
        }
    }
    Ok(())
}

/// Drops stale fixture databases and unowned leftover databases that no
/// session is connected to.
fn drop_stale_databases(
    registry: &Registry,
    server_url: &str,
    policy: &ReclaimPolicy,
) -> Result<Vec<String>> {
    let doing = "dropping stale test databases";
    let mut client = registry.client()?;
    let stale: Vec<String> = client
        .query(
            "SELECT name FROM fixture_objects
             WHERE database = name AND state = 'kept' AND (
                 (kind = 'fixture' AND used_at < now() - make_interval(secs => $1))
                 OR (kind = 'scratch' AND created_at < now() - make_interval(secs => $2)))",
            &[
                &policy.fixture_idle.as_secs_f64(),
                &policy.unowned_age.as_secs_f64(),
            ],
        )
        .map_err(fixture_error(doing))?
        .into_iter()
        .map(|row| row.get(0))
        .collect();
    let mut admin = connect(server_url)?;
    let mut dropped = Vec::new();
    for name in stale {
        // This process's idle sessions would count as users.
        close_idle(&with_database(server_url, &name));
        let connected: i64 = admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1",
                &[&name],
            )
            .map_err(fixture_error(doing))?
            .get(0);
        if connected > 0 {
            continue;
        }
        // Without FORCE: a session that connected meanwhile keeps it.
        // Apart: DROP DATABASE cannot run in the implicit transaction of
        // a multi-statement string.
        let gone = admin
            .batch_execute(&format!("ALTER DATABASE {name} WITH IS_TEMPLATE false"))
            .and_then(|()| admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name}")));
        match gone {
            Ok(()) => {}
            Err(error) if error.code().map(|c| c.code()) == Some("3D000") => {}
            Err(error) => {
                tracing::debug!(%name, %error, "test fixtures: a stale database is in use");
                continue;
            }
        }
        client
            .execute("DELETE FROM fixture_objects WHERE database = $1", &[&name])
            .map_err(fixture_error(doing))?;
        dropped.push(name);
    }
    Ok(dropped)
}

/// Drops unowned schemas (of earlier versions, or of tests that ended
/// without dropping theirs) once they are old enough.
fn drop_stale_schemas(
    registry: &Registry,
    server_url: &str,
    policy: &ReclaimPolicy,
) -> Result<Vec<String>> {
    let doing = "dropping stale test schemas";
    let mut client = registry.client()?;
    let stale = client
        .query(
            "SELECT database, name FROM fixture_objects
             WHERE database <> name AND kind = 'scratch'
               AND created_at < now() - make_interval(secs => $1)",
            &[&policy.unowned_age.as_secs_f64()],
        )
        .map_err(fixture_error(doing))?;
    let mut dropped = Vec::new();
    for row in stale {
        let object = Object {
            database: row.get(0),
            name: row.get(1),
        };
        let gone = connect(&with_database(server_url, &object.database)).and_then(|mut session| {
            session
                .batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", object.name))
                .map_err(fixture_error(doing))
        });
        match gone {
            Ok(()) => {}
            // The database is gone, and the schema with it.
            Err(arx_migrate_core::Error::Database(e)) if e.code.as_deref() == Some("3D000") => {}
            Err(error) => {
                tracing::debug!(%error, "test fixtures: a stale schema is in use");
                continue;
            }
        }
        client
            .execute(
                "DELETE FROM fixture_objects WHERE database = $1 AND name = $2",
                &[&object.database, &object.name],
            )
            .map_err(fixture_error(doing))?;
        dropped.push(format!("{}.{}", object.database, object.name));
    }
    Ok(dropped)
}

/// Forgets rows whose database no longer exists (dropped by hand or by
/// [`crate::drop_templates`]).
fn forget_vanished(registry: &Registry) -> Result<()> {
    let mut client = registry.client()?;
    let existing: Vec<String> = client
        .query("SELECT datname::text FROM pg_database", &[])
        .map_err(fixture_error("listing databases"))?
        .into_iter()
        .map(|row| row.get(0))
        .collect();
    client
        .execute(
            "DELETE FROM fixture_objects
             WHERE state IN ('kept', 'ready', 'retired') AND database <> ALL($1)",
            &[&existing],
        )
        .map(|_| ())
        .map_err(fixture_error("forgetting vanished test databases"))
}
