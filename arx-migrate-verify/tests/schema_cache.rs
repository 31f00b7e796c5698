//! The schema cache on PostgreSQL: `check` (and what else needs the schema
//! the migrations produce) reads a database per chain built once; an edited
//! chain gets a new one, a database under an entry's name without the
//! completion mark is never read, two runs at once both succeed.
//!
//! Each test's chain has a table named after the test and this process, so
//! its entries are its own, also when the suite runs again.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{RwLock, RwLockReadGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use arx_migrate_core::not_api::scratch::{building_name, connect, with_database};
use arx_migrate_core::{FnMigration, MigrationSet, Migrator};
use arx_migrate_testing::{postgres_test_url, PgTestDatabase};
use arx_migrate_verify::check::{self, cache, SchemaSnapshot, ScratchSource, ScratchUse};
use arx_migrate_verify::validate::{self, steps};

/// Held by every test but the one that drops the whole cache, which
/// holds it alone.
static WHOLE_CACHE: RwLock<()> = RwLock::new(());

fn sharing_the_cache() -> RwLockReadGuard<'static, ()> {
    WHOLE_CACHE
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A table name no other run has used.
fn unique(test: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{test}_{}_{nanos}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Two revisions (PostGIS in the first); `extra` is the second's column,
/// so that changing it edits the chain.
fn chain(table: &str, extra: &str) -> Migrator {
    let table = table.to_string();
    let down_table = table.clone();
    let extra = extra.to_string();
    Migrator::new(
        MigrationSet::new()
            .with(FnMigration::new(
                "001",
                &[],
                move |op| {
                    op.require_extension("postgis")?;
                    op.sql(format!(
                        "CREATE TABLE {table} (id INTEGER PRIMARY KEY, geom geometry(Point, 4326))"
                    ))
                },
                move |op| op.sql(format!("DROP TABLE {down_table}")),
            ))
            .with(FnMigration::new(
                "002",
                &["001"],
                move |op| {
                    op.sql(format!(
                        "CREATE TABLE notes (id INTEGER PRIMARY KEY, {extra} TEXT)"
                    ))
                },
                |op| op.sql("DROP TABLE notes"),
            )),
    )
    .unwrap()
}

fn heads() -> Vec<String> {
    vec!["002".to_string()]
}

/// The schema at head, and where it was read.
fn read(migrator: &Migrator, scratch: &ScratchSource) -> (SchemaSnapshot, ScratchUse) {
    check::read_at_heads(migrator, &heads(), scratch, &mut |connection| {
        check::snapshot(migrator, connection)
    })
    .unwrap()
}

fn entry_name(url: &str, migrator: &Migrator) -> String {
    let mut admin = connect(url).unwrap();
    cache::cache_entry(&mut admin, migrator, &heads())
        .unwrap()
        .expect("a chain of SQL statements can be cached")
        .name
}

fn database_exists(url: &str, name: &str) -> bool {
    let mut admin = connect(url).unwrap();
    admin
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .unwrap()
        .is_some()
}

/// Drops the test's entries.
fn drop_databases(url: &str, names: &[&str]) {
    let mut admin = connect(url).unwrap();
    for name in names {
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .unwrap();
    }
}

#[test]
fn the_cache_is_built_once_reused_and_rebuilt_when_a_migration_changes() {
    let Some(url) =
        postgres_test_url("the_cache_is_built_once_reused_and_rebuilt_when_a_migration_changes")
    else {
        return;
    };
    let _sharing = sharing_the_cache();
    let table = unique("cache_reuse");
    let migrator = chain(&table, "body");
    let cached = ScratchSource::Postgres { url: url.clone() }.cached(true);
    let (fresh, used) = read(&migrator, &ScratchSource::Postgres { url: url.clone() });
    assert_eq!(used, ScratchUse::Fresh);

    let (first, used) = read(&migrator, &cached);
    let name = entry_name(&url, &migrator);
    assert_eq!(
        used,
        ScratchUse::CacheBuilt {
            database: name.clone()
        }
    );
    assert_eq!(first, fresh, "the entry holds what a fresh replay gives");
    let (second, used) = read(&migrator, &cached);
    assert_eq!(
        used,
        ScratchUse::CacheReused {
            database: name.clone()
        }
    );
    assert_eq!(second, fresh);

    // `check` against a live database reads the same entry.
    let live = PgTestDatabase::create(&url).unwrap();
    let mut conn = live.connect().unwrap();
    migrator.upgrade(&mut conn, "head").unwrap();
    assert!(check::check(&migrator, &mut conn, &cached)
        .unwrap()
        .is_clean());

    // An edited migration: a new entry, built afresh; its schema has the
    // edit.
    let edited = chain(&table, "text_body");
    let (changed, used) = read(&edited, &cached);
    let edited_name = entry_name(&url, &edited);
    assert_ne!(edited_name, name);
    assert_eq!(
        used,
        ScratchUse::CacheBuilt {
            database: edited_name.clone()
        }
    );
    assert!(changed.tables["notes"].columns.contains_key("text_body"));
    assert!(!changed.tables["notes"].columns.contains_key("body"));
    // The live database (at the old chain) now drifts from the edited one.
    assert!(!check::check(&edited, &mut conn, &cached)
        .unwrap()
        .is_clean());
    drop_databases(&url, &[&name, &edited_name]);
}

#[test]
fn an_entry_without_its_completion_mark_is_never_read() {
    let Some(url) = postgres_test_url("an_entry_without_its_completion_mark_is_never_read") else {
        return;
    };
    let _sharing = sharing_the_cache();
    let table = unique("cache_unmarked");
    let migrator = chain(&table, "body");
    let name = entry_name(&url, &migrator);
    // What a build killed after its rename but before any mark would
    // leave (or anyone's database under that name): it has a table of its
    // own, which a read of it would show.
    let mut admin = connect(&url).unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE \"{name}\""))
        .unwrap();
    let mut planted = connect(&with_database(&url, &name)).unwrap();
    planted
        .batch_execute("CREATE TABLE planted (id INTEGER)")
        .unwrap();
    drop(planted);
    // And a half-built copy under the build name.
    admin
        .batch_execute(&format!("CREATE DATABASE \"{}\"", building_name(&name)))
        .unwrap();

    let cached = ScratchSource::Postgres { url: url.clone() }.cached(true);
    let (schema, used) = read(&migrator, &cached);
    assert_eq!(
        used,
        ScratchUse::CacheBuilt {
            database: name.clone()
        },
        "an unmarked entry is built again, not reused"
    );
    assert!(!schema.tables.contains_key("planted"), "{schema:?}");
    assert!(schema.tables.contains_key(&table));
    assert!(!database_exists(&url, &building_name(&name)));
    let (_, used) = read(&migrator, &cached);
    assert_eq!(
        used,
        ScratchUse::CacheReused {
            database: name.clone()
        }
    );
    drop_databases(&url, &[&name]);
}

#[test]
fn two_checks_at_once_on_a_cold_cache_both_succeed() {
    let Some(url) = postgres_test_url("two_checks_at_once_on_a_cold_cache_both_succeed") else {
        return;
    };
    let _sharing = sharing_the_cache();
    let table = unique("cache_concurrent");
    let migrator = chain(&table, "body");
    let live = PgTestDatabase::create(&url).unwrap();
    migrator
        .upgrade(&mut live.connect().unwrap(), "head")
        .unwrap();
    let cached = ScratchSource::Postgres { url: url.clone() }.cached(true);
    let reports: Vec<_> = std::thread::scope(|scope| {
        let checks: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    let mut conn = live.connect().unwrap();
                    check::check(&migrator, &mut conn, &cached)
                })
            })
            .collect();
        checks.into_iter().map(|c| c.join().unwrap()).collect()
    });
    for report in reports {
        let report = report.expect("both checks succeed");
        assert!(report.is_clean(), "{}", report.to_text());
    }
    let name = entry_name(&url, &migrator);
    let (_, used) = read(&migrator, &cached);
    assert_eq!(
        used,
        ScratchUse::CacheReused {
            database: name.clone()
        }
    );
    drop_databases(&url, &[&name]);
}

#[test]
fn a_chain_with_a_data_migration_is_never_cached() {
    let Some(url) = postgres_test_url("a_chain_with_a_data_migration_is_never_cached") else {
        return;
    };
    let _sharing = sharing_the_cache();
    let table = unique("cache_data");
    let create = format!("CREATE TABLE {table} (id INTEGER PRIMARY KEY)");
    let drop = format!("DROP TABLE {table}");
    let migrator = Migrator::new(MigrationSet::new().with(FnMigration::new(
        "001",
        &[],
        move |op| {
            op.sql(create.clone())?;
            // The checksums cannot see what this code does.
            op.connection()?;
            Ok(())
        },
        move |op| op.sql(drop.clone()),
    )))
    .unwrap();
    let cached = ScratchSource::Postgres { url: url.clone() }.cached(true);
    let (schema, used) = check::read_at_heads(&migrator, &["001".to_string()], &cached, &mut |c| {
        check::snapshot(&migrator, c)
    })
    .unwrap();
    assert_eq!(used, ScratchUse::Fresh);
    assert!(schema.tables.contains_key(&table));
    let mut admin = connect(&url).unwrap();
    assert_eq!(
        cache::cache_entry(&mut admin, &migrator, &["001".to_string()]).unwrap(),
        None
    );
}

#[test]
fn validate_reads_the_schema_at_head_from_the_cache_and_still_walks_the_stairway() {
    let Some(url) = postgres_test_url(
        "validate_reads_the_schema_at_head_from_the_cache_and_still_walks_the_stairway",
    ) else {
        return;
    };
    let _sharing = sharing_the_cache();
    let table = unique("cache_validate");
    let migrator = chain(&table, "body");
    let cached = ScratchSource::Postgres { url: url.clone() }.cached(true);
    let name = entry_name(&url, &migrator);
    let first = validate::validate(&migrator, &cached).unwrap();
    assert!(first.passed(), "{}", first.to_text());
    let note =
        |report: &validate::ValidateReport| report.step(steps::CHECK).unwrap().details.join("\n");
    assert!(
        note(&first).contains("replayed into the schema cache"),
        "{}",
        first.to_text()
    );
    let second = validate::validate(&migrator, &cached).unwrap();
    assert!(second.passed(), "{}", second.to_text());
    assert!(
        note(&second).contains(&format!("read from the schema cache (database {name})")),
        "{}",
        second.to_text()
    );
    assert_eq!(
        second.step(steps::STAIRWAY).unwrap().outcome,
        validate::Outcome::Passed
    );

    // A downgrade that leaves its table behind is still caught by the
    // stairway, which replays the migrations whatever the cache holds.
    let leaky_table = unique("cache_leaky");
    let leaky = Migrator::new(MigrationSet::new().with(FnMigration::new(
        "001",
        &[],
        move |op| op.sql(format!("CREATE TABLE {leaky_table} (id INTEGER)")),
        |op| op.sql("SELECT 1"),
    )))
    .unwrap();
    let leaky_name = {
        let mut admin = connect(&url).unwrap();
        cache::cache_entry(&mut admin, &leaky, &["001".to_string()])
            .unwrap()
            .unwrap()
            .name
    };
    let report = validate::validate(&leaky, &cached).unwrap();
    let stairway = report.step(steps::STAIRWAY).unwrap();
    assert_eq!(
        stairway.outcome,
        validate::Outcome::Failed,
        "{}",
        report.to_text()
    );
    assert!(
        stairway.details[0].contains("downgrade of 001"),
        "{}",
        report.to_text()
    );
    drop_databases(&url, &[&name, &leaky_name]);
}

#[test]
fn a_build_sweeps_old_entries_and_half_built_leftovers() {
    let Some(url) = postgres_test_url("a_build_sweeps_old_entries_and_half_built_leftovers") else {
        return;
    };
    let _alone = WHOLE_CACHE
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut admin = connect(&url).unwrap();
    // Entries marked as built at the epoch (older than any real one), more
    // than the cache keeps, and a leftover of a killed build.
    let stamp = unique("s");
    let old: Vec<String> = (0..=cache::KEEP)
        .map(|i| {
            format!(
                "{}old{i}_{}",
                cache::CACHE_PREFIX,
                &stamp[stamp.len() - 12..]
            )
        })
        .collect();
    for name in &old {
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .unwrap();
        admin
            .batch_execute(&format!(
                "COMMENT ON DATABASE \"{name}\" IS 'arx-migrate schema cache {name} built 0'"
            ))
            .unwrap();
    }
    let leftover = building_name(&format!(
        "{}left_{}",
        cache::CACHE_PREFIX,
        &stamp[stamp.len() - 12..]
    ));
    admin
        .batch_execute(&format!("CREATE DATABASE \"{leftover}\""))
        .unwrap();

    let migrator = chain(&unique("cache_sweep"), "body");
    let cached = ScratchSource::Postgres { url: url.clone() }.cached(true);
    let (_, used) = read(&migrator, &cached);
    let ScratchUse::CacheBuilt { database } = used else {
        panic!("a new chain's entry is built: {used:?}");
    };
    assert!(
        !database_exists(&url, &leftover),
        "the half-built leftover is dropped"
    );
    let kept = old
        .iter()
        .filter(|name| database_exists(&url, name))
        .count();
    assert!(
        kept < cache::KEEP,
        "at most {} older entries stay beside the new one; {kept} of the {} old ones did",
        cache::KEEP - 1,
        old.len()
    );
    let dropped = cache::drop_cache(&url).unwrap();
    assert!(dropped.contains(&database), "{dropped:?}");
    assert!(!old.iter().any(|name| database_exists(&url, name)));
    // Later runs build what they need again.
    let (_, used) = read(&migrator, &cached);
    assert_eq!(
        used,
        ScratchUse::CacheBuilt {
            database: database.clone()
        }
    );
    drop_databases(&url, &[&database]);
}

/// The build lock of a cache entry is one lock for the whole server: a
/// build running from a session on one database keeps out a build asked
/// for from another database (each test's, or a service's own database
/// when no scratch server is named). Advisory locks belong to a database,
/// so without a common lock session both would build the same entry at
/// once, the second failing on the first's half-built database.
#[test]
fn the_build_lock_is_one_for_the_whole_server() {
    use arx_migrate_core::not_api::scratch::{lock_session, try_build_lock};

    let Some(url) = postgres_test_url("the_build_lock_is_one_for_the_whole_server") else {
        return;
    };
    let one = PgTestDatabase::create(&url).unwrap();
    let other = PgTestDatabase::create(&url).unwrap();
    let name = unique("lock");
    let mut builder = lock_session(one.url()).expect("a lock session");
    assert!(try_build_lock(&mut builder, &name).unwrap());
    let mut second = lock_session(other.url()).expect("a lock session");
    assert!(
        !try_build_lock(&mut second, &name).unwrap(),
        "a build asked for from another database must wait for the one running"
    );
    drop(builder);
    assert!(try_build_lock(&mut second, &name).unwrap());
}

#[test]
fn two_checks_from_different_databases_at_once_both_succeed() {
    let Some(url) = postgres_test_url("two_checks_from_different_databases_at_once_both_succeed")
    else {
        return;
    };
    let _sharing = sharing_the_cache();
    let table = unique("cache_two_databases");
    let migrator = chain(&table, "body");
    let lives: Vec<PgTestDatabase> = (0..2)
        .map(|_| PgTestDatabase::create(&url).unwrap())
        .collect();
    for live in &lives {
        migrator
            .upgrade(&mut live.connect().unwrap(), "head")
            .unwrap();
    }
    let reports: Vec<_> = std::thread::scope(|scope| {
        let checks: Vec<_> = lives
            .iter()
            .map(|live| {
                let migrator = &migrator;
                scope.spawn(move || {
                    // The scratch server named by each database's own URL.
                    let cached = ScratchSource::Postgres {
                        url: live.url().to_string(),
                    }
                    .cached(true);
                    let mut conn = live.connect().unwrap();
                    check::check(migrator, &mut conn, &cached)
                })
            })
            .collect();
        checks.into_iter().map(|c| c.join().unwrap()).collect()
    });
    for report in reports {
        let report = report.expect("both checks succeed");
        assert!(report.is_clean(), "{}", report.to_text());
    }
    drop_databases(&url, &[&entry_name(&url, &migrator)]);
}
