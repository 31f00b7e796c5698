//! SQLite fixtures: the migrated database is built once per process (per
//! migration set and target) as an in-memory image, and each test gets its
//! own copy, deserialised in memory or written to a temporary file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use rusqlite::{Connection, MAIN_DB};

use arx_migrate_core::backend::sqlite::db_error;
use arx_migrate_core::backend::Backend;
use arx_migrate_core::error::{Error, Result};
use arx_migrate_core::runner::Migrator;

type Images = Mutex<HashMap<String, Arc<Vec<u8>>>>;

/// The migrated image for `migrator` at `target`, built on first use.
fn image(migrator: &Migrator, target: &str) -> Result<Arc<Vec<u8>>> {
    // A cache of pure results keyed by content: two migrators with the
    // same chain share it, different chains never collide.
    static IMAGES: OnceLock<Images> = OnceLock::new();
    let key = format!("{}@{target}", migrator.fingerprint(Backend::Sqlite));
    let images = IMAGES.get_or_init(Images::default);
    // Building under the lock makes parallel tests of one process wait for
    // the first build instead of repeating it.
    let mut images = images
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(image) = images.get(&key) {
        return Ok(Arc::clone(image));
    }
    let mut conn = Connection::open_in_memory().map_err(sqlite_error)?;
    migrator.upgrade(&mut conn, target)?;
    let bytes = conn.serialize(MAIN_DB).map_err(sqlite_error)?.to_vec();
    let image = Arc::new(bytes);
    images.insert(key, Arc::clone(&image));
    Ok(image)
}

fn sqlite_error(error: rusqlite::Error) -> Error {
    Error::Database(db_error(error))
}

/// A private in-memory database at head, with foreign keys on.
pub fn fresh_sqlite(migrator: &Migrator) -> Result<Connection> {
    fresh_sqlite_at(migrator, "head")
}

/// A private in-memory database at `target`, with foreign keys on.
pub fn fresh_sqlite_at(migrator: &Migrator, target: &str) -> Result<Connection> {
    let image = image(migrator, target)?;
    let mut conn = Connection::open_in_memory().map_err(sqlite_error)?;
    conn.deserialize_read_exact(MAIN_DB, image.as_slice(), image.len(), false)
        .map_err(sqlite_error)?;
    conn.execute_batch("PRAGMA foreign_keys = ON")
        .map_err(sqlite_error)?;
    Ok(conn)
}

/// A database file at head in a temporary directory, removed on drop.
pub fn fresh_sqlite_file(migrator: &Migrator) -> Result<SqliteTestFile> {
    let image = image(migrator, "head")?;
    let dir = tempfile::tempdir()
        .map_err(|e| Error::Config(format!("cannot create a temporary directory: {e}")))?;
    let path = dir.path().join("test.db");
    std::fs::write(&path, image.as_slice())
        .map_err(|e| Error::Config(format!("cannot write {}: {e}", path.display())))?;
    Ok(SqliteTestFile { _dir: dir, path })
}

/// A migrated SQLite file that is deleted when this value is dropped.
#[derive(Debug)]
pub struct SqliteTestFile {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl SqliteTestFile {
    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A new connection to the file, with foreign keys on.
    pub fn connect(&self) -> Result<Connection> {
        let conn = Connection::open(&self.path).map_err(sqlite_error)?;
        conn.execute_batch("PRAGMA foreign_keys = ON")
            .map_err(sqlite_error)?;
        Ok(conn)
    }
}
