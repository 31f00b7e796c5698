//! The pool of migrated databases a test process hands out, one per test.
//!
//! MySQL has no template databases, so the pool makes its own: once per
//! process and migration set it migrates a template database, then a
//! background thread keeps [`Pool::bound`] copies of it ready
//! ([`super::copy`]); a test takes a ready one (no wait), or copies one
//! itself when the pool is empty. Used databases are dropped by the same
//! thread, off the tests' path. If a copy differs from its template
//! (something the copy does not reproduce), copying stops for the
//! process and each test migrates its own database instead: slower,
//! never wrong.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};

use arx_migrate_core::backend::mysql::connect;
use arx_migrate_core::{Backend, Connection, Error, Migrator, Result};

use super::copy::{copy_database, structure};
use super::owner::{token, PREFIX};
use super::{database_error, with_database};

/// A database of its own for one test, a copy of the migration set's
/// template at the target; dropped (in the background) when this value is
/// dropped, and reclaimed by the next test run if the process dies first.
#[derive(Debug)]
pub struct MysqlPooledDatabase {
    pool: Arc<Pool>,
    name: String,
    url: String,
    copied: bool,
}

impl MysqlPooledDatabase {
    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A URL of the database (the server's URL with this database).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Whether it is a copy of the template; `false` when copies were
    /// found not exact for this migration set (something the copy does not
    /// reproduce, such as an event) and the database was migrated instead.
    pub fn is_copy(&self) -> bool {
        self.copied
    }

    /// A new connection to the database.
    pub fn connect(&self) -> Result<mysql::Conn> {
        connect(&self.url).map_err(|e| database_error("connecting", &self.url, e))
    }
}

impl Drop for MysqlPooledDatabase {
    fn drop(&mut self) {
        self.pool
            .change(|state| state.to_drop.push(self.name.clone()));
    }
}

/// A process's pool for one migration set and target on one server.
pub(crate) struct Pool {
    server_url: String,
    token: String,
    template: String,
    bound: usize,
    state: Mutex<State>,
    wake: Condvar,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("template", &self.template)
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct State {
    ready: VecDeque<String>,
    to_drop: Vec<String>,
    /// Why copies are not made (each test migrates its own database).
    no_copies: Option<String>,
}

/// The pool of `migrator` at `target` on `server_url`, created on first
/// use in the process: its template migrated, its first copy checked
/// against it, its background thread started.
pub(crate) fn pool(
    migrator: &Migrator,
    server_url: &str,
    target: &str,
    bound: usize,
) -> Result<Arc<Pool>> {
    type Pools = Mutex<HashMap<(String, String, String), Arc<Pool>>>;
    static POOLS: OnceLock<Pools> = OnceLock::new();
    let key = (
        server_url.to_string(),
        migrator.fingerprint(Backend::Mysql),
        target.to_string(),
    );
    // Built under the lock: tests of one set starting at once wait for the
    // first build instead of repeating it.
    let mut pools = POOLS
        .get_or_init(Pools::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(pool) = pools.get(&key) {
        return Ok(Arc::clone(pool));
    }
    let token = token(server_url)?;
    let template = new_name(&token);
    create_database(server_url, &template)?;
    let template_url = with_database(server_url, &template);
    let mut conn =
        connect(&template_url).map_err(|e| database_error("connecting", &template_url, e))?;
    migrator.upgrade(&mut conn, target).map_err(|error| {
        Error::Config(format!(
            "test fixtures: migrating the template database {template} to {target} failed: {error}"
        ))
    })?;
    let pool = Arc::new(Pool {
        server_url: server_url.to_string(),
        token,
        template,
        bound: bound.max(1),
        state: Mutex::default(),
        wake: Condvar::new(),
    });
    let first = pool.copy_checked(&mut conn);
    match first {
        Ok(name) => pool.change(|state| state.ready.push_back(name)),
        Err(reason) => {
            tracing::warn!(%reason, "test fixtures: copies of the MySQL template are not exact; each test migrates its own database");
            pool.change(|state| state.no_copies = Some(reason));
        }
    }
    let filler = Arc::clone(&pool);
    std::thread::Builder::new()
        .name("arx-fixture-mysql-pool".into())
        .spawn(move || filler.fill())
        .map_err(|e| {
            Error::Config(format!(
                "test fixtures: cannot start the pool's background thread: {e}"
            ))
        })?;
    pools.insert(key, Arc::clone(&pool));
    Ok(pool)
}

/// A new fixture database name of this process: `arx_fx_<token>_<n>`.
fn new_name(token: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("{PREFIX}{token}_{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

fn create_database(server_url: &str, name: &str) -> Result<()> {
    let mut admin = connect(server_url).map_err(|e| database_error("connecting", server_url, e))?;
    admin
        .execute(&format!(
            "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
        ))
        .map_err(|e| database_error("creating a test database", server_url, e))
}

impl Pool {
    /// A database at the target for one test: a ready copy, else one
    /// copied now, else (copies being off) one migrated now.
    pub(crate) fn take(
        self: &Arc<Self>,
        migrator: &Migrator,
        target: &str,
    ) -> Result<MysqlPooledDatabase> {
        let mut ready = None;
        let mut copies = true;
        self.change(|state| {
            ready = state.ready.pop_front();
            copies = state.no_copies.is_none();
        });
        let copied = ready.is_some() || copies;
        let name = match ready {
            Some(name) => name,
            None if copies => {
                let mut conn = connect(&self.server_url)
                    .map_err(|e| database_error("connecting", &self.server_url, e))?;
                self.copy(&mut conn)
                    .map_err(|e| database_error("copying the template", &self.server_url, e))?
            }
            None => {
                let name = new_name(&self.token);
                create_database(&self.server_url, &name)?;
                let url = with_database(&self.server_url, &name);
                let mut conn = connect(&url).map_err(|e| database_error("connecting", &url, e))?;
                migrator.upgrade(&mut conn, target)?;
                name
            }
        };
        Ok(MysqlPooledDatabase {
            pool: Arc::clone(self),
            url: with_database(&self.server_url, &name),
            name,
            copied,
        })
    }

    /// A new copy of the template, on `conn` (a session on the server).
    fn copy(
        &self,
        conn: &mut mysql::Conn,
    ) -> std::result::Result<String, arx_migrate_core::DbError> {
        let name = new_name(&self.token);
        conn.execute(&format!(
            "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
        ))?;
        if let Err(error) = copy_database(conn, &self.template, &name) {
            let _ = conn.execute(&format!("DROP DATABASE IF EXISTS `{name}`"));
            return Err(error);
        }
        conn.execute("SET SESSION sql_mode = DEFAULT")?;
        Ok(name)
    }

    /// The first copy, compared with the template; why not, if it differs.
    fn copy_checked(&self, conn: &mut mysql::Conn) -> std::result::Result<String, String> {
        let name = self.copy(conn).map_err(|e| e.to_string())?;
        let compared = structure(conn, &self.template)
            .and_then(|template| Ok((template, structure(conn, &name)?)));
        let differs = match &compared {
            Ok((template, copy)) if template == copy => return Ok(name),
            Ok((template, copy)) => {
                let empty = Vec::new();
                let (a, b) = template
                    .iter()
                    .zip(copy.iter().chain(std::iter::repeat(&empty)))
                    .find(|(a, b)| a != b)
                    .unwrap_or((&empty, &empty));
                format!("the template has {a:?} where the copy has {b:?}")
            }
            Err(error) => error.to_string(),
        };
        let _ = conn.execute(&format!("DROP DATABASE IF EXISTS `{name}`"));
        Err(format!(
            "a copy of {} differs from it in information_schema: {differs}",
            self.template
        ))
    }

    fn change(&self, change: impl FnOnce(&mut State)) {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        change(&mut state);
        self.wake.notify_all();
    }

    /// The background thread: keeps `bound` copies ready and drops what
    /// tests gave back, on one connection of its own.
    fn fill(self: Arc<Self>) {
        let mut conn = None;
        loop {
            let work = {
                let mut state = self
                    .state
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                loop {
                    let short = state.no_copies.is_none() && state.ready.len() < self.bound;
                    if short {
                        break None;
                    }
                    if let Some(name) = state.to_drop.pop() {
                        break Some(name);
                    }
                    state = self
                        .wake
                        .wait(state)
                        .unwrap_or_else(|poisoned| poisoned.into_inner());
                }
            };
            if conn.is_none() {
                conn = connect(&self.server_url).ok();
            }
            let Some(session) = conn.as_mut() else {
                // The server is gone: tests copy their own (and fail saying why).
                self.change(|state| state.no_copies = Some("the pool lost its server".into()));
                continue;
            };
            let dropping = work.is_some();
            let done = match work {
                Some(name) => session.execute(&format!("DROP DATABASE IF EXISTS `{name}`")),
                None => self
                    .copy(session)
                    .map(|name| self.change(|state| state.ready.push_back(name))),
            };
            if let Err(error) = done {
                tracing::warn!(%error, "test fixtures: the MySQL pool's background work failed");
                conn = None;
                if !dropping {
                    self.change(|state| state.no_copies = Some(error.to_string()));
                }
            }
        }
    }
}
