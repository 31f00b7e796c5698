//! Which process owns a fixture database, and reclaiming the databases of
//! processes that are gone.
//!
//! Each test process takes a user lock named after a token of its own
//! (`GET_LOCK`) on a connection it keeps open for its lifetime, and names
//! every database it creates with that token. MySQL releases a user lock
//! when its connection ends, so a database whose owner lock is free
//! belongs to a process that exited or was killed, wherever it ran, and
//! may be dropped by anyone.

use std::sync::{Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use arx_migrate_core::backend::mysql::connect;
use arx_migrate_core::{Connection, DbError, Result};

use super::database_error;

/// The prefix of every database the pool and the rollback fixture create:
/// `arx_fx_<token>_…`.
pub(crate) const PREFIX: &str = "arx_fx_";

/// This process's token on `server_url`, with its owner lock taken (once
/// per server and process; the connection holding it is kept open).
pub(crate) fn token(server_url: &str) -> Result<String> {
    type Owners = Mutex<Vec<(String, String, mysql::Conn)>>;
    static OWNERS: OnceLock<Owners> = OnceLock::new();
    let mut owners = OWNERS
        .get_or_init(Owners::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((_, token, _)) = owners.iter().find(|(url, _, _)| url == server_url) {
        return Ok(token.clone());
    }
    let token = new_token();
    let mut conn = connect(server_url).map_err(|e| database_error("connecting", server_url, e))?;
    // The server would end an idle session after `wait_timeout` (8 hours
    // by default), and with it the lock: this one idles for the process's
    // life.
    conn.execute("SET SESSION wait_timeout = 31536000")
        .map_err(|e| database_error("setting up the fixture owner session", server_url, e))?;
    let taken = scalar(
        &mut conn,
        &format!("SELECT GET_LOCK('{}', 0)", lock_name(&token)),
    )
    .map_err(|e| database_error("taking the fixture owner lock", server_url, e))?;
    if taken.as_deref() != Some("1") {
        return Err(arx_migrate_core::Error::Config(format!(
            "test fixtures: the owner lock {} is held by another session (a token collision); run the tests again",
            lock_name(&token)
        )));
    }
    // Databases of dead processes go first, so that a crashed run's leave
    // nothing behind for long.
    reclaim(&mut conn)
        .map_err(|e| database_error("reclaiming stale fixture databases", server_url, e))?;
    owners.push((server_url.to_string(), token.clone(), conn));
    Ok(token)
}

/// Twelve hex digits from the process id and the clock: short enough for
/// database names (64 characters at most) and for lock names.
fn new_token() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let mixed = (u128::from(std::process::id()) << 64 ^ nanos).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    format!("{:012x}", (mixed >> 40) as u64 & 0xFFFF_FFFF_FFFF)
}

/// The owner lock of `token`.
fn lock_name(token: &str) -> String {
    format!("arx-fixture-owner:{token}")
}

/// The token in a fixture database's name, if it is one.
fn token_of(database: &str) -> Option<&str> {
    let rest = database.strip_prefix(PREFIX)?;
    let token = rest.get(..12)?;
    (token.chars().all(|c| c.is_ascii_hexdigit()) && rest[12..].starts_with('_')).then_some(token)
}

/// Drops the fixture databases whose owner lock is free (their process is
/// gone); returns how many.
pub(crate) fn reclaim(conn: &mut mysql::Conn) -> std::result::Result<usize, DbError> {
    let rows = conn.query(
        "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'arx\\_fx\\_%'",
    )?;
    let mut dropped = 0;
    for name in rows
        .into_iter()
        .filter_map(|row| row.into_iter().next().flatten())
    {
        let Some(token) = token_of(&name) else {
            continue;
        };
        let free = scalar(
            conn,
            &format!("SELECT IS_FREE_LOCK('{}')", lock_name(token)),
        )?;
        if free.as_deref() == Some("1") {
            conn.execute(&format!("DROP DATABASE IF EXISTS `{name}`"))?;
            dropped += 1;
        }
    }
    Ok(dropped)
}

/// The first column of the first row.
pub(crate) fn scalar(
    conn: &mut mysql::Conn,
    sql: &str,
) -> std::result::Result<Option<String>, DbError> {
    Ok(conn
        .query(sql)?
        .into_iter()
        .next()
        .and_then(|row| row.into_iter().next().flatten()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_twelve_hex_digits_and_read_back_from_names() {
        let token = new_token();
        assert_eq!(token.len(), 12, "{token}");
        let name = format!("{PREFIX}{token}_3");
        assert_eq!(token_of(&name), Some(token.as_str()));
        assert_eq!(token_of("arx_fx_nothex000000_1"), None);
        assert_eq!(token_of("shop_1"), None);
        assert!(lock_name(&token).len() <= 64);
    }
}
