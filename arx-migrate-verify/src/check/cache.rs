//! The schema cache on PostgreSQL: a database per chain on the scratch
//! server, migrated to the heads once and afterwards only read by `check`,
//! `validate`'s check step and autogenerate, which need the schema the
//! migrations produce but not the replay itself.
//!
//! - **Key.** The entry's name is a digest of everything that decides what
//!   a fresh replay would give: the chain's fingerprint (every revision's
//!   id, parents and SQL checksum, the bookkeeping tables), the heads, the
//!   server's version and the extensions it offers (name and default
//!   version). An edited migration, an upgraded PostGIS or server gives a
//!   new name, built afresh. A chain with a data migration (code the
//!   checksums cannot see) is never cached.
//! - **Completion.** An entry is built under another name by one process
//!   (the others wait), marked with a comment and then renamed
//!   ([`arx_migrate_core::not_api::scratch::ensure_database`]); a database under an
//!   entry's name without the mark is never read, but dropped and built
//!   again.
//! - **Clutter.** After each build the newest [`KEEP`] entries stay and
//!   older ones that nobody is connected to are dropped, with the
//!   half-built databases of killed builds. [`drop_cache`] drops them all.

use std::time::{SystemTime, UNIX_EPOCH};

use super::ScratchUse;
use arx_migrate_core::backend::postgres::db_error;
use arx_migrate_core::backend::{Backend, Connection};
use arx_migrate_core::error::{Direction, Error, Result};
use arx_migrate_core::not_api::scratch::{
    build_lock_key, connect, ensure_database, lock_session, try_build_lock, with_database,
    BuildOnce, Ensured,
};
use arx_migrate_core::not_api::text::quote_ident;
use arx_migrate_core::runner::Migrator;
use postgres::Client;

/// The prefix of the cache's database names.
pub const CACHE_PREFIX: &str = "arx_cache_";

/// How many entries stay on a server after a build (each is a migrated
/// database: with PostGIS, about 18 MB).
pub const KEEP: usize = 8;

/// The start of every entry's comment; after it, the entry's full key.
const MARK: &str = "arx-migrate schema cache";

/// Bumped when what an entry holds changes meaning.
const FORMAT: &str = "1";

/// A chain's entry on one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheEntry {
    /// The database's name.
    pub name: String,
    /// The comment prefix that marks it complete.
    mark: String,
}

/// The entry of `migrator`'s chain at `heads` on the server `admin` is
/// connected to; `None` when the chain cannot be cached (a data migration,
/// whose code the checksums do not cover, or SQL that does not render).
pub fn cache_entry(
    admin: &mut Client,
    migrator: &Migrator,
    heads: &[String],
) -> Result<Option<CacheEntry>> {
    if let Err(error) =
        migrator.offline_statements(Backend::Postgres, &[], "heads", Direction::Upgrade)
    {
        tracing::debug!(%error, "the chain does not render offline; the schema cache is not used");
        return Ok(None);
    }
    let row = admin
        .query_one(
            "SELECT current_setting('server_version_num'), \
             (SELECT string_agg(name || '=' || coalesce(default_version, ''), ',' ORDER BY name) \
              FROM pg_available_extensions)",
            &[],
        )
        .map_err(|e| Error::Database(db_error(e)))?;
    let server: String = row.get(0);
    let extensions: Option<String> = row.get(1);
    let mut sorted = heads.to_vec();
    sorted.sort();
    let key = hex(&hmac_sha256::Hash::hash(
        format!(
            "{FORMAT}\0{}\0{}\0{server}\0{}",
            migrator.fingerprint(Backend::Postgres),
            sorted.join(","),
            extensions.unwrap_or_default()
        )
        .as_bytes(),
    ));
    Ok(Some(CacheEntry {
        // 32 hex digits: within PostgreSQL's 63 characters with `_build`.
        name: format!("{CACHE_PREFIX}{}", &key[..32]),
        mark: format!("{MARK} {key}"),
    }))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs `read` on a connection to a database at `heads` of `migrator`'s
/// chain on the server at `server_url`: the chain's cache entry (built
/// first if needed), read-only. `None` when the chain cannot be cached.
pub fn read_cached<T>(
    migrator: &Migrator,
    heads: &[String],
    server_url: &str,
    read: &mut dyn FnMut(&mut dyn Connection) -> Result<T>,
) -> Result<Option<(T, ScratchUse)>> {
    let mut admin = connect(server_url)?;
    let Some(entry) = cache_entry(&mut admin, migrator, heads)? else {
        return Ok(None);
    };
    // Twice at most: an entry dropped by another process's sweep between
    // finding it and connecting to it is built again.
    let mut attempts = 0;
    loop {
        attempts += 1;
        let ensured = ensure_entry(&mut admin, server_url, &entry, migrator, heads)?;
        if ensured == Ensured::Built {
            sweep(&mut admin, server_url, &entry.name);
        }
        let mut client = match connect(&with_database(server_url, &entry.name)) {
            Err(error) if attempts < 2 && is_missing_database(&error) => continue,
            other => other?,
        };
        // What reads it must not change it: every later run trusts it.
        client
            .batch_execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            .map_err(|e| Error::Database(db_error(e)))?;
        let value = read(&mut client)?;
        let database = entry.name.clone();
        let used = match ensured {
            Ensured::Built => ScratchUse::CacheBuilt { database },
            Ensured::Found => ScratchUse::CacheReused { database },
        };
        tracing::debug!(?used, "schema cache");
        return Ok(Some((value, used)));
    }
}

fn ensure_entry(
    admin: &mut Client,
    server_url: &str,
    entry: &CacheEntry,
    migrator: &Migrator,
    heads: &[String],
) -> Result<Ensured> {
    let comment = format!(
        "{} built {}",
        entry.mark,
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default()
    );
    let how = BuildOnce {
        mark: Some(&entry.mark),
        comment: Some(&comment),
        template: false,
    };
    ensure_database(admin, server_url, &entry.name, &how, |url| {
        let mut client = connect(url)?;
        for head in heads {
            migrator.upgrade(&mut client, head)?;
        }
        Ok(())
    })
}

fn is_missing_database(error: &Error) -> bool {
    error.db_error().and_then(|e| e.code.as_deref()) == Some("3D000")
}

/// The cache's databases on the server: name, comment.
fn entries(admin: &mut Client) -> Result<Vec<(String, Option<String>)>> {
    Ok(admin
        .query(
            "SELECT datname::text, shobj_description(oid, 'pg_database') FROM pg_database \
             WHERE datname LIKE 'arx\\_cache\\_%'",
            &[],
        )
        .map_err(|e| Error::Database(db_error(e)))?
        .into_iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect())
}

/// When an entry was built, from its comment (`… built SECONDS`).
fn built_at(comment: &str) -> u64 {
    comment
        .rsplit_once(" built ")
        .and_then(|(_, secs)| secs.parse().ok())
        .unwrap_or(0)
}

/// After a build: drops the half-built databases of killed builds, and
/// the entries beyond the newest [`KEEP`] that no one is connected to.
/// Best effort: what cannot be dropped now stays for the next sweep.
fn sweep(admin: &mut Client, server_url: &str, built: &str) {
    let mut locks = lock_session(server_url);
    let Ok(found) = entries(admin) else {
        return;
    };
    let mut complete: Vec<(u64, String)> = Vec::new();
    for (name, comment) in found {
        if name == built {
            continue;
        }
        match comment.as_deref() {
            Some(comment) if comment.starts_with(MARK) && !name.ends_with("_build") => {
                complete.push((built_at(comment), name));
            }
            // Half-built, or under an entry's name without the mark: dropped
            // when no build of it is running (its lock died with its
            // process).
            _ => {
                let base = name.strip_suffix("_build").unwrap_or(&name).to_string();
                drop_unless_building(admin, locks.as_mut(), &base, &name);
            }
        }
    }
    complete.sort_by(|a, b| b.cmp(a));
    for (_, name) in complete.into_iter().skip(KEEP.saturating_sub(1)) {
        // Without FORCE: a run reading it keeps it (for now).
        if let Err(error) =
            admin.batch_execute(&format!("DROP DATABASE IF EXISTS {}", quote_ident(&name)))
        {
            tracing::debug!(%name, %error, "schema cache: an old entry is in use");
        }
    }
}

/// Drops `name` (a half-built entry of `base`) unless a build of `base`
/// holds the build lock, taken on `locks` (the server-wide lock session)
/// or else on `admin`.
fn drop_unless_building(
    admin: &mut Client,
    mut locks: Option<&mut Client>,
    base: &str,
    name: &str,
) {
    let locker = locks.as_deref_mut().unwrap_or(&mut *admin);
    if !try_build_lock(locker, base).unwrap_or(false) {
        return;
    }
    if let Err(error) = admin.batch_execute(&format!(
        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
        quote_ident(name)
    )) {
        tracing::debug!(%name, %error, "schema cache: could not drop a half-built entry");
    }
    let locker = locks.unwrap_or(admin);
    let _ = locker.execute("SELECT pg_advisory_unlock($1)", &[&build_lock_key(base)]);
}

/// Drops every entry of the schema cache on the server at `server_url`
/// (and half-built ones) that no one is reading or building now; returns
/// their names. Later runs build what they need again.
pub fn drop_cache(server_url: &str) -> Result<Vec<String>> {
    let mut admin = connect(server_url)?;
    let mut locks = lock_session(server_url);
    let mut dropped = Vec::new();
    for (name, _) in entries(&mut admin)? {
        let base = name.strip_suffix("_build").unwrap_or(&name);
        let key = build_lock_key(base);
        if !try_build_lock(locks.as_mut().unwrap_or(&mut admin), base)? {
            continue;
        }
        let gone = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {}", quote_ident(&name)));
        let _ = locks
            .as_mut()
            .unwrap_or(&mut admin)
            .execute("SELECT pg_advisory_unlock($1)", &[&key]);
        match gone {
            Ok(()) => dropped.push(name),
            Err(error) => tracing::debug!(%name, %error, "schema cache: an entry is in use"),
        }
    }
    Ok(dropped)
}
