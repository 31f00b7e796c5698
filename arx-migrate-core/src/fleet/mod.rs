//! Fleets (feature `fleet`): one migration over many databases or tenant
//! schemas, in parallel, with a record per target. What the command
//! line's `fleet` verb runs on, for a service to run at startup without
//! the command line.
//!
//! [`run`] is a pool of [`Options::jobs`] threads, each with state of its
//! own (a connection), that takes targets in order, records a
//! [`TargetOutcome`] per target, keeps a failure to its target (or stops
//! at the first, with [`Options::fail_fast`]) and runs a canary phase first
//! when asked ([`Options::canary`]). The program brings the targets and
//! the work: it opens the connections, so any pool, TLS setup or
//! credentials it already has serve. [`matching_schemas`] and
//! [`enter_schema`] make the tenant schemas of one PostgreSQL database
//! targets, or the databases of one MariaDB/MySQL server (`USE`).
//!
//! Each target is migrated by [`Migrator`](crate::Migrator) as one
//! database would be: under its own lock (on PostgreSQL an advisory lock
//! keyed by schema and version table), so two fleet runs, or a fleet run
//! and a service starting up, never apply a revision twice; and through
//! the lock-free fast path, so a rerun skips the targets already there
//! with one query each. [`Migrator::in_schema`](crate::Migrator::in_schema)
//! shares the graph and the rendered checksums across the tenants.
//!
//! # A service migrating its tenant schemas at startup
//!
//! Each job opens one connection and keeps it for its next schemas (a
//! failed target's connection is dropped and the next target opens
//! another); `public` holds the extensions. The service does not start
//! unless every tenant is at head. (From an async runtime, call it in
//! `tokio::task::spawn_blocking`: the `postgres` client blocks.)
//!
//! ```no_run
//! use arx_migrate_core::backend::postgres::db_error;
//! use arx_migrate_core::fleet::{self, Options, Outcome};
//! use arx_migrate_core::postgres::{Client, NoTls};
//! use arx_migrate_core::{Error, Migrator};
//!
//! fn migrate_tenants(url: &str) -> Result<(), Box<dyn std::error::Error>> {
//!     let connect = || Client::connect(url, NoTls).map_err(|e| Error::Database(db_error(e)));
//!     let schemas = fleet::matching_schemas(&mut connect()?, "tenant_*")?;
//!     let migrator = Migrator::from_registry()?;
//!     let records = fleet::run(
//!         &schemas,
//!         &Options::new().jobs(4).canary(1),
//!         connect,
//!         |client, schema| {
//!             fleet::enter_schema(client, schema, Some("public")).map_err(Error::Database)?;
//!             Ok(migrator.in_schema(schema).upgrade(client, "head")?.into())
//!         },
//!         &mut |_| {},
//!     );
//!     let behind: Vec<&str> = records
//!         .iter()
//!         .filter(|r| matches!(r.outcome, Outcome::Failed | Outcome::Skipped))
//!         .map(|r| r.target.as_str())
//!         .collect();
//!     for record in &records {
//!         if let Some(error) = &record.error {
//!             eprintln!("tenant {}: {error}", record.target);
//!         }
//!     }
//!     if !behind.is_empty() {
//!         return Err(format!("tenants not at head: {}", behind.join(", ")).into());
//!     }
//!     Ok(())
//! }
//! ```
//!
//! # Several databases, one connection per target
//!
//! Here SQLite files, with events logged as they happen; a target that
//! fails is recorded and the others go on:
//!
//! ```
//! use arx_migrate_core::backend::sqlite::db_error;
//! use arx_migrate_core::fleet::{self, Event, Options, Outcome, TargetResult};
//! use arx_migrate_core::rusqlite::Connection;
//! use arx_migrate_core::{Error, FnMigration, MigrationSet, Migrator};
//!
//! let migrator = Migrator::new(MigrationSet::new().with(FnMigration::new(
//!     "001", &[],
//!     |op| op.sql("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"),
//!     |op| op.sql("DROP TABLE notes"),
//! )))?;
//! let dir = tempfile::tempdir().unwrap();
//! let shops: Vec<String> = (1..=6)
//!     .map(|i| dir.path().join(format!("shop_{i}.db")).display().to_string())
//!     .collect();
//!
//! let mut finished = 0;
//! let records = fleet::run(
//!     &shops,
//!     &Options::new().jobs(3),
//!     || Ok(()),
//!     |_, file| -> Result<TargetResult, Error> {
//!         let mut connection = Connection::open(file).map_err(|e| Error::Database(db_error(e)))?;
//!         Ok(migrator.upgrade(&mut connection, "head")?.into())
//!     },
//!     &mut |event| {
//!         if let Event::Finished(_, record) = event {
//!             finished += 1;
//!             println!("{}: {}", record.target, record.outcome.as_str());
//!         }
//!     },
//! );
//! assert_eq!(finished, 6);
//! assert!(records.iter().all(|r| r.outcome == Outcome::Migrated && r.to == Some(vec!["001".into()])));
//!
//! // A rerun finds every shop at head.
//! let again = fleet::run(
//!     &shops,
//!     &Options::new().jobs(3),
//!     || Ok(()),
//!     |_, file| -> Result<TargetResult, Error> {
//!         let mut connection = Connection::open(file).map_err(|e| Error::Database(db_error(e)))?;
//!         Ok(migrator.upgrade(&mut connection, "head")?.into())
//!     },
//!     &mut |_| {},
//! );
//! assert!(again.iter().all(|r| r.outcome == Outcome::Unchanged));
//! # Ok::<(), Error>(())
//! ```

mod engine;
mod options;
mod record;
mod schemas;

pub use engine::run;
pub use options::Options;
pub use record::{Event, Outcome, Panicked, TargetOutcome, TargetResult};
pub use schemas::{
    default_jobs, enter_schema, free_connections, glob_matches, like_pattern, matching_schemas,
    MAX_DEFAULT_JOBS,
};
