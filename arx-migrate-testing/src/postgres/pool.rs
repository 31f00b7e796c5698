//! The prepared pool: schemas (or databases) at a migration set's target,
//! built ahead by one background thread per set while the tests run,
//! claimed by a test in one statement, and dropped in the background after
//! use.
//!
//! The pool lives on the server, in the fixture registry, so every process
//! testing the same migration set shares it: at most `bound` objects are
//! ready or being built per set at any time, whatever the number of
//! processes, and what one run leaves ready the next run starts with.
//!
//! A process that keeps asking claims a few ahead (its filler does, off
//! the tests' path), so that a test's hand-out is a pop from a local queue
//! however loaded the machine is. What a process claimed ahead and never
//! used is dropped when it exits, like what it used: the claim ahead grows
//! with the process's demand (one fewer than it took so far, at most the
//! pool's size), so a process that takes one schema wastes none.

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;

use arx_migrate_core::error::Result;
use arx_migrate_core::not_api::scratch::{connect, with_database, with_query_parameter};

use super::objects::{build, vacuum_catalogs, Recipe};
use super::reclaim;
use super::registry::{Kind, Object, Place, Registry};

/// After how many dropped schemas the shared database's catalogs are
/// vacuumed (each schema of the Arxos chain leaves ≈ 2,000 dead catalog
/// rows behind; vacuuming them takes ≈ 0.1 s).
const VACUUM_EVERY: usize = 8;

/// How many given-back objects the filler drops before it builds the next.
const DROPS_PER_ROUND: i64 = 16;

/// How long the filler sleeps when the pool is full and nothing happens.
const IDLE_WAIT: Duration = Duration::from_secs(1);

/// How often the filler looks for objects whose owner died.
const DEAD_OWNER_SWEEP_EVERY: Duration = Duration::from_secs(10);

/// A schema or a database of its own for one test, at the migration set's
/// target, taken from the prepared pool ([`crate::PgFixture::schema`],
/// [`crate::PgFixture::database`], [`crate::fresh_postgres`]).
///
/// Dropping it gives it back: it is dropped in the background, off the
/// test's path. If the test process dies first, the next test process on
/// the server drops it (its owner session is gone).
#[derive(Debug)]
pub struct PooledDatabase {
    pool: Arc<Pool>,
    object: Object,
    url: String,
}

impl PooledDatabase {
    /// The database's name (for a schema, the shared database holding it).
    pub fn name(&self) -> &str {
        self.object.database_name()
    }

    /// The test's schema, when it lives in a shared database.
    pub fn schema(&self) -> Option<&str> {
        match self.pool.recipe {
            Recipe::Schema { .. } => Some(&self.object.name),
            Recipe::Database { .. } => None,
        }
    }

    /// A URL of the test's database; for a schema it sets `search_path` to
    /// the schema (then `public`, where the extensions are), so every
    /// connection made with it works in the schema.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A new connection to the test's database (in its schema).
    pub fn connect(&self) -> Result<postgres::Client> {
        connect(&self.url)
    }
}

impl Drop for PooledDatabase {
    fn drop(&mut self) {
        self.pool.give_back(self.object.clone());
    }
}

/// Where a test process's pool of one migration set stands.
pub(crate) struct Pool {
    server_url: String,
    set_key: String,
    recipe: Recipe,
    registry: Arc<Registry>,
    bound: usize,
    inbox: Mutex<Inbox>,
    wake: Condvar,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("set_key", &self.set_key)
            .field("kind", &self.recipe.kind())
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct Inbox {
    given_back: Vec<Object>,
    claimed: bool,
    /// Claimed ahead for this process's next tests.
    ahead: std::collections::VecDeque<Object>,
    /// How many objects tests of this process took.
    taken: usize,
}

/// The pool of `set_key`'s objects of `kind` on `server_url`: created on
/// first use in the process (with `recipe`, which may build the template
/// or shared database), and its filler thread started.
pub(crate) fn pool(
    server_url: &str,
    set_key: &str,
    kind: Kind,
    bound: usize,
    registry: Arc<Registry>,
    recipe: impl FnOnce() -> Result<Recipe>,
) -> Result<Arc<Pool>> {
    type Pools = Mutex<HashMap<(String, String, Kind), Arc<Pool>>>;
    static POOLS: OnceLock<Pools> = OnceLock::new();
    let mut pools = POOLS
        .get_or_init(Pools::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let key = (server_url.to_string(), set_key.to_string(), kind);
    if let Some(pool) = pools.get(&key) {
        return Ok(Arc::clone(pool));
    }
    let pool = Arc::new(Pool {
        server_url: server_url.to_string(),
        set_key: set_key.to_string(),
        recipe: recipe()?,
        registry,
        bound,
        inbox: Mutex::default(),
        wake: Condvar::new(),
    });
    let filler = Arc::clone(&pool);
    std::thread::Builder::new()
        .name(format!("arx-fixture-pool-{set_key}-{}", kind.as_str()))
        .spawn(move || filler.fill())
        .map_err(|e| {
            arx_migrate_core::Error::Config(format!(
                "test fixtures: cannot start the pool's background thread: {e}"
            ))
        })?;
    pools.insert(key, Arc::clone(&pool));
    Ok(pool)
}

impl Pool {
    /// A prepared object for one test; when none is ready, one is built
    /// for this test right away (while the filler catches up).
    pub(crate) fn take(self: &Arc<Self>) -> Result<PooledDatabase> {
        let mut ahead = None;
        self.signal(|inbox| {
            inbox.claimed = true;
            inbox.taken += 1;
            ahead = inbox.ahead.pop_front();
        });
        let object = match ahead {
            Some(object) => object,
            None => match self
                .registry
                .claim_ready(&self.set_key, self.recipe.kind())?
            {
                Some(object) => object,
                None => self.build_own()?,
            },
        };
        let url = match &self.recipe {
            Recipe::Schema { database, .. } => with_query_parameter(
                &with_database(&self.server_url, database),
                "options",
                // No space: the server splits `options` on white space.
                &format!("-c search_path={},public", object.name),
            ),
            Recipe::Database { .. } => with_database(&self.server_url, &object.name),
        };
        Ok(PooledDatabase {
            pool: Arc::clone(self),
            object,
            url,
        })
    }

    /// Builds an object claimed by this process from the start, so that
    /// it is reclaimed if the process dies while building or using it.
    fn build_own(&self) -> Result<Object> {
        let object = self
            .registry
            .reserve(
                &self.set_key,
                self.recipe.kind(),
                &self.place(),
                "claimed",
                None,
            )?
            .ok_or_else(|| {
                arx_migrate_core::Error::Config(
                    "test fixtures: the registry reserved nothing without a bound".into(),
                )
            })?;
        if let Err(error) = build(&self.server_url, &object, &self.recipe) {
            self.give_back(object);
            return Err(error);
        }
        Ok(object)
    }

    fn place(&self) -> Place {
        match &self.recipe {
            Recipe::Schema { database, .. } => Place::SchemaIn(database.clone()),
            Recipe::Database { .. } => Place::Database(format!("arx_pdb_{}_", self.set_key)),
        }
    }

    fn give_back(&self, object: Object) {
        self.signal(|inbox| inbox.given_back.push(object));
    }

    fn signal(&self, change: impl FnOnce(&mut Inbox)) {
        let mut inbox = self
            .inbox
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        change(&mut inbox);
        self.wake.notify_one();
    }

    /// Waits until a test claims or gives back something, or `IDLE_WAIT`
    /// passes; returns what was given back.
    fn wait(&self, idle: bool) -> Vec<Object> {
        let mut inbox = self
            .inbox
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if idle && inbox.given_back.is_empty() && !inbox.claimed {
            inbox = self
                .wake
                .wait_timeout(inbox, IDLE_WAIT)
                .map(|(inbox, _)| inbox)
                .unwrap_or_else(|poisoned| poisoned.into_inner().0);
        }
        inbox.claimed = false;
        std::mem::take(&mut inbox.given_back)
    }

    /// The filler: gives back what tests returned, drops what was given
    /// back (by any process), and keeps `bound` objects ready.
    fn fill(self: Arc<Self>) {
        let kind = self.recipe.kind();
        let mut dropped_since_vacuum = 0;
        let mut last_dead_owner_sweep: Option<std::time::Instant> = None;
        let mut pause = Duration::ZERO;
        let mut idle = false;
        loop {
            if !pause.is_zero() {
                std::thread::sleep(pause);
            }
            let given_back = self.wait(idle);
            let mut trouble = None;
            if let Err(error) = self.registry.retire(&given_back) {
                trouble = Some(error);
            }
            if last_dead_owner_sweep.is_none_or(|at| at.elapsed() >= DEAD_OWNER_SWEEP_EVERY) {
                last_dead_owner_sweep = Some(std::time::Instant::now());
                if let Err(error) = reclaim::retire_dead_owners(&self.registry) {
                    trouble = Some(error);
                }
            }
            match reclaim::drop_retired(
                &self.registry,
                &self.server_url,
                Some(&self.set_key),
                DROPS_PER_ROUND,
            ) {
                Ok(dropped) => dropped_since_vacuum += dropped.len(),
                Err(error) => trouble = Some(error),
            }
            if let Recipe::Schema { database, .. } = &self.recipe {
                if dropped_since_vacuum >= VACUUM_EVERY {
                    dropped_since_vacuum = 0;
                    if let Err(error) = vacuum_catalogs(&self.server_url, database) {
                        trouble = Some(error);
                    }
                }
            }
            if let Err(error) = self.claim_ahead(kind) {
                trouble = Some(error);
            }
            idle = match self.refill_one(kind) {
                Ok(built) => !built,
                Err(error) => {
                    trouble = Some(error);
                    true
                }
            };
            pause = match trouble {
                Some(error) => {
                    tracing::warn!(set = %self.set_key, kind = kind.as_str(), %error, "test fixture pool");
                    (pause * 2).clamp(Duration::from_millis(500), Duration::from_secs(30))
                }
                None => Duration::ZERO,
            };
        }
    }

    /// Claims ready objects for this process's next tests, up to one fewer
    /// than its tests took so far (at most the pool's size).
    fn claim_ahead(&self, kind: Kind) -> Result<()> {
        loop {
            let wanted = {
                let inbox = self
                    .inbox
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                inbox.taken.saturating_sub(1).min(self.bound) > inbox.ahead.len()
            };
            if !wanted {
                return Ok(());
            }
            match self.registry.claim_ready(&self.set_key, kind)? {
                Some(object) => self.signal(|inbox| inbox.ahead.push_back(object)),
                None => return Ok(()),
            }
        }
    }

    /// Builds one object for the pool unless it is full; whether it built.
    fn refill_one(&self, kind: Kind) -> Result<bool> {
        let Some(object) = self.registry.reserve(
            &self.set_key,
            kind,
            &self.place(),
            "building",
            Some(self.bound),
        )?
        else {
            return Ok(false);
        };
        match build(&self.server_url, &object, &self.recipe) {
            Ok(()) => self.registry.set_state(&object, "ready").map(|()| true),
            Err(error) => {
                let _ = self.registry.set_state(&object, "retired");
                Err(error)
            }
        }
    }
}
