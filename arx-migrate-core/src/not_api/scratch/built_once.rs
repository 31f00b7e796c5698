//! Databases built once per name on a server and shared by every process
//! that asks for the same name: the test fixtures' templates and the safety
//! checks' schema cache.
//!
//! One builder per name across processes (a PostgreSQL advisory lock; the
//! others wait for it). The database is built under another name and
//! renamed when complete, so a build killed half-way (`kill -9`, a lost
//! connection) never appears under the name; a caller that wants more than
//! the name as proof also marks it with a comment, checked before use.

use std::time::{Duration, Instant};

use crate::backend::postgres::db_error as pg_error;
use crate::error::{Error, Result};
use crate::lock::lock_key;

use super::url::with_database;

/// How long a process waits for another to finish building the same
/// database before it gives up.
const BUILD_WAIT: Duration = Duration::from_secs(600);

/// How [`ensure_database`] recognises a complete database and what it does
/// to one it has just built.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuildOnce<'a> {
    /// The comment set on the database before it gets its name, and the
    /// prefix its comment must start with for it to be used. A database
    /// under the name without it is incomplete: dropped and built again.
    /// `None`: existing under the name is proof enough.
    pub mark: Option<&'a str>,
    /// The full comment to set (it must start with `mark`); `None`: `mark`.
    pub comment: Option<&'a str>,
    /// Turn it into a template that no one may connect to (a connection
    /// blocks `CREATE DATABASE … TEMPLATE`).
    pub template: bool,
}

/// What [`ensure_database`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ensured {
    /// The database was there, complete, already.
    Found,
    /// This call built it.
    Built,
}

/// The name a database is built under before it is renamed.
pub fn building_name(name: &str) -> String {
    format!("{name}_build")
}

/// Tries once, on `session` (best: a [`lock_session`]), to take the
/// build lock of the database `name`; held until unlocked with
/// [`build_lock_key`] or the session ends.
pub fn try_build_lock(session: &mut postgres::Client, name: &str) -> Result<bool> {
    Ok(session
        .query_one("SELECT pg_try_advisory_lock($1)", &[&build_lock_key(name)])
        .map_err(sql_error)?
        .get(0))
}

/// The advisory lock key of the build of `name` (a database name).
pub fn build_lock_key(name: &str) -> i64 {
    lock_key("arx-migrate-test-template", name)
}

/// Creates the database `name` on the server at `server_url` (`admin` a
/// session on it) with `fill` (given the URL of the database being built)
/// unless it is there and complete; says which. Processes that ask for the same name at once
/// build it once: the others wait, polling so that none holds a snapshot
/// while it waits.
pub fn ensure_database(
    admin: &mut postgres::Client,
    server_url: &str,
    name: &str,
    how: &BuildOnce<'_>,
    fill: impl FnOnce(&str) -> Result<()>,
) -> Result<Ensured> {
    if state(admin, name, how.mark)? == State::Complete {
        return Ok(Ensured::Found);
    }
    let key = build_lock_key(name);
    // Advisory locks belong to one database, and callers' sessions may be
    // on different databases of the server (each test its own): the lock
    // is taken on the maintenance database when it can be reached, so
    // that it is one lock for the whole server.
    let mut maintenance = lock_session(server_url);
    let started = Instant::now();
    loop {
        let locker = maintenance.as_mut().unwrap_or(&mut *admin);
        let taken = try_build_lock(locker, name)?;
        if taken {
            break;
        }
        if started.elapsed() > BUILD_WAIT {
            return Err(Error::LockTimeout {
                what: format!("the build of database {name} by another process"),
                waited_ms: started.elapsed().as_millis(),
                holder: None,
            });
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let built = build(admin, server_url, name, how, fill);
    let locker = maintenance.as_mut().unwrap_or(admin);
    let _ = locker.execute("SELECT pg_advisory_unlock($1)", &[&key]);
    built
}

/// A session on the server's `postgres` database, where build locks are
/// taken ([`try_build_lock`]); `None` where it cannot be reached (then the
/// caller's own session takes them, which serialises the builds of callers
/// on the same database only).
pub fn lock_session(server_url: &str) -> Option<postgres::Client> {
    let mut config: postgres::Config = with_database(server_url, "postgres").parse().ok()?;
    crate::backend::postgres::keep_alive(&mut config);
    config.connect(postgres::NoTls).ok()
}

/// What the server holds under a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Missing,
    /// There, without the mark asked for.
    Incomplete,
    Complete,
}

fn state(admin: &mut postgres::Client, name: &str, mark: Option<&str>) -> Result<State> {
    let row = admin
        .query_opt(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1",
            &[&name],
        )
        .map_err(sql_error)?;
    Ok(match (row, mark) {
        (None, _) => State::Missing,
        (Some(_), None) => State::Complete,
        (Some(row), Some(mark)) => match row.get::<_, Option<String>>(0) {
            Some(comment) if comment.starts_with(mark) => State::Complete,
            _ => State::Incomplete,
        },
    })
}

/// Builds `name`, this process holding its build lock.
fn build(
    admin: &mut postgres::Client,
    server_url: &str,
    name: &str,
    how: &BuildOnce<'_>,
    fill: impl FnOnce(&str) -> Result<()>,
) -> Result<Ensured> {
    let ident = crate::not_api::text::quote_ident(name);
    match state(admin, name, how.mark)? {
        State::Complete => return Ok(Ensured::Found), // built while we waited
        State::Missing => {}
        State::Incomplete => {
            tracing::warn!(
                database = name,
                "a database without its completion mark is in the way; dropping it to build it again"
            );
            admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS {ident} WITH (FORCE)"))
                .map_err(sql_error)?;
        }
    }
    let building = building_name(name);
    let building_ident = crate::not_api::text::quote_ident(&building);
    // What a build killed half-way left (its lock died with its session).
    admin
        .batch_execute(&format!(
            "DROP DATABASE IF EXISTS {building_ident} WITH (FORCE)"
        ))
        .map_err(sql_error)?;
    // Apart: CREATE DATABASE cannot run in the implicit transaction of a
    // multi-statement string.
    admin
        .batch_execute(&format!("CREATE DATABASE {building_ident}"))
        .map_err(sql_error)?;
    if let Err(error) = fill(&with_database(server_url, &building)) {
        let _ = admin.batch_execute(&format!(
            "DROP DATABASE IF EXISTS {building_ident} WITH (FORCE)"
        ));
        return Err(error);
    }
    if let Some(comment) = how.comment.or(how.mark) {
        admin
            .batch_execute(&format!(
                "COMMENT ON DATABASE {building_ident} IS {}",
                crate::not_api::text::quote_literal(comment)
            ))
            .map_err(sql_error)?;
    }
    admin
        .batch_execute(&format!(
            "ALTER DATABASE {building_ident} RENAME TO {ident}"
        ))
        .map_err(sql_error)?;
    if how.template {
        admin
            .batch_execute(&format!(
                "ALTER DATABASE {ident} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false"
            ))
            .map_err(sql_error)?;
    }
    Ok(Ensured::Built)
}

fn sql_error(error: postgres::Error) -> Error {
    Error::Database(pg_error(error))
}
