//! Connections kept open between the tests of a process, per URL: a new
//! PostgreSQL session costs a process start on the server (milliseconds),
//! a reused one a round trip.

use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use arx_migrate_core::error::Result;
use arx_migrate_core::not_api::scratch::connect;
use postgres::Client;

/// How many idle sessions are kept per URL; more are closed when returned.
const MAX_IDLE_PER_URL: usize = 32;

type Idle = Mutex<HashMap<String, Vec<Client>>>;

fn idle() -> &'static Idle {
    static IDLE: OnceLock<Idle> = OnceLock::new();
    IDLE.get_or_init(Idle::default)
}

/// A session taken from the idle ones of its URL (or newly opened), given
/// back when dropped unless it was closed or [`PooledClient::discard`]ed.
pub(crate) struct PooledClient {
    url: String,
    client: Option<Client>,
}

/// Closes this process's idle sessions to `url` (before dropping its
/// database, where they would count as users).
pub(crate) fn close_idle(url: &str) {
    let closed = idle()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .remove(url);
    drop(closed);
}

impl std::fmt::Debug for PooledClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PooledClient").finish_non_exhaustive()
    }
}

impl PooledClient {
    /// An idle session to `url`, or a new one; `fresh` says which.
    pub(crate) fn take(url: &str) -> Result<(PooledClient, bool)> {
        let reused = idle()
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get_mut(url)
            .and_then(Vec::pop);
        let (client, fresh) =
            match reused.and_then(|mut client| is_alive(&mut client).then_some(client)) {
                Some(client) => (client, false),
                None => (connect(url)?, true),
            };
        Ok((
            PooledClient {
                url: url.to_string(),
                client: Some(client),
            },
            fresh,
        ))
    }

    /// Closes the session instead of giving it back (its state is unknown).
    pub(crate) fn discard(mut self) {
        self.client = None;
    }
}

/// Whether an idle session still answers. The server may have ended it
/// while it sat in the pool (`idle_session_timeout`, `pg_terminate_backend`,
/// `DROP DATABASE … WITH (FORCE)`, a restart), and the client learns of it
/// only on its next use: an empty query (one round trip, far cheaper than
/// a new session) finds out before the caller's statement fails.
fn is_alive(client: &mut Client) -> bool {
    !client.is_closed() && client.is_valid(LIVENESS_TIMEOUT).is_ok()
}

/// How long a pooled session may take to answer the liveness check.
const LIVENESS_TIMEOUT: Duration = Duration::from_secs(5);

impl Deref for PooledClient {
    type Target = Client;
    fn deref(&self) -> &Client {
        self.client.as_ref().expect("present until dropped")
    }
}

impl DerefMut for PooledClient {
    fn deref_mut(&mut self) -> &mut Client {
        self.client.as_mut().expect("present until dropped")
    }
}

impl Drop for PooledClient {
    fn drop(&mut self) {
        let Some(client) = self.client.take() else {
            return;
        };
        if client.is_closed() {
            return;
        }
        let mut idle = idle()
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let sessions = idle.entry(std::mem::take(&mut self.url)).or_default();
        if sessions.len() < MAX_IDLE_PER_URL {
            sessions.push(client);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backend_pid(client: &mut Client) -> i32 {
        client
            .query_one("SELECT pg_backend_pid()", &[])
            .unwrap()
            .get(0)
    }

    #[test]
    fn an_idle_session_the_server_ended_is_replaced() {
        let Some(url) = crate::postgres_test_url("an_idle_session_the_server_ended_is_replaced")
        else {
            return;
        };
        // A URL of its own, so that no other test shares its idle sessions.
        let url = format!("{url}?application_name=arx_idle_session_test");
        let (mut pooled, _) = PooledClient::take(&url).unwrap();
        let ended = backend_pid(&mut pooled);
        drop(pooled); // back to the idle sessions

        let mut admin = connect(&url).unwrap();
        admin
            .execute("SELECT pg_terminate_backend($1)", &[&ended])
            .unwrap();
        while admin
            .query_opt("SELECT 1 FROM pg_stat_activity WHERE pid = $1", &[&ended])
            .unwrap()
            .is_some()
        {
            std::thread::sleep(Duration::from_millis(10));
        }

        let (mut pooled, fresh) = PooledClient::take(&url).unwrap();
        assert!(fresh, "the ended session is not handed out");
        assert_ne!(backend_pid(&mut pooled), ended);
    }
}
