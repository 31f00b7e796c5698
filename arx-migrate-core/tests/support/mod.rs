//! Shared test support: one test body, run on every backend.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use arx_migrate_core::{Backend, Connection, DbError, FnMigration, MigrationSet, Ops, Result};
use arx_migrate_testing::{postgres_test_url, PgTestDatabase};

/// A scratch database on one backend.
pub enum TestDb {
    Sqlite {
        _dir: tempfile::TempDir,
        path: PathBuf,
    },
    Postgres(PgTestDatabase),
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("test.db");
        TestDb::Sqlite { _dir: dir, path }
    }

    pub fn backend(&self) -> Backend {
        match self {
            TestDb::Sqlite { .. } => Backend::Sqlite,
            TestDb::Postgres(_) => Backend::Postgres,
        }
    }

    /// A URL a child process can open.
    pub fn url(&self) -> String {
        match self {
            TestDb::Sqlite { path, .. } => path.display().to_string(),
            TestDb::Postgres(db) => db.url().to_string(),
        }
    }

    pub fn connect(&self) -> Box<dyn Connection> {
        connect_url(&self.url())
    }

    /// User tables in the current schema, bookkeeping excluded.
    pub fn tables(&self) -> BTreeSet<String> {
        let mut conn = self.connect();
        tables(&mut *conn)
    }
}

pub fn connect_url(url: &str) -> Box<dyn Connection> {
    if url.starts_with("postgres") {
        Box::new(arx_migrate_testing::connect(url).unwrap())
    } else if url.starts_with("mysql://") || url.starts_with("mariadb://") {
        Box::new(arx_migrate_core::backend::mysql::connect(url).unwrap())
    } else {
        Box::new(rusqlite::Connection::open(url).unwrap())
    }
}

pub fn tables(conn: &mut dyn Connection) -> BTreeSet<String> {
    let sql = match conn.backend() {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        }
        Backend::Postgres => "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()",
        Backend::Mysql => {
            "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"
        }
    };
    conn.query(sql)
        .unwrap()
        .into_iter()
        .filter_map(|row| row.into_iter().next().flatten())
        .filter(|t| !t.starts_with("arx_migrate_") && t != "spatial_ref_sys")
        .collect()
}

pub fn count(conn: &mut dyn Connection, sql: &str) -> i64 {
    conn.query(sql).unwrap()[0][0]
        .as_deref()
        .unwrap()
        .parse()
        .unwrap()
}

/// SQLite always; PostgreSQL when `ARX_MIGRATE_TEST_PG` is set (required
/// under CI).
pub fn backends(test: &str) -> Vec<TestDb> {
    let mut dbs = vec![TestDb::sqlite()];
    if let Some(url) = postgres_test_url(test) {
        dbs.push(TestDb::Postgres(PgTestDatabase::create(&url).unwrap()));
    }
    dbs
}

/// A migration that creates table `t<id>` and drops it on downgrade.
pub fn table_migration(id: &str, parents: &[&str]) -> FnMigration {
    let table = format!("t{id}");
    let drop = table.clone();
    FnMigration::new(
        id,
        parents,
        move |op: &mut Ops| {
            op.sql(format!(
                "CREATE TABLE {table} (id INTEGER PRIMARY KEY, note TEXT)"
            ))
        },
        move |op: &mut Ops| op.sql(format!("DROP TABLE {drop}")),
    )
    .message(format!("create t{id}"))
}

/// 001 → 002 → (003a | 003b) → 004 (merge) → 005.
pub fn branchy_chain() -> MigrationSet {
    MigrationSet::new()
        .with(table_migration("001", &[]))
        .with(table_migration("002", &["001"]))
        .with(table_migration("003a", &["002"]))
        .with(table_migration("003b", &["002"]))
        .with(table_migration("004", &["003a", "003b"]))
        .with(table_migration("005", &["004"]))
}

pub fn names(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|id| format!("t{id}")).collect()
}

/// A connection that counts what the runner sends.
pub struct Counting<'a> {
    pub inner: &'a mut dyn Connection,
    pub queries: Arc<AtomicUsize>,
    pub executes: Arc<AtomicUsize>,
    pub log: Vec<String>,
}

impl<'a> Counting<'a> {
    pub fn new(inner: &'a mut dyn Connection) -> Self {
        Counting {
            inner,
            queries: Arc::default(),
            executes: Arc::default(),
            log: Vec::new(),
        }
    }
    pub fn statements(&self) -> usize {
        self.queries.load(Ordering::SeqCst) + self.executes.load(Ordering::SeqCst)
    }
}

impl Connection for Counting<'_> {
    fn backend(&self) -> Backend {
        self.inner.backend()
    }
    fn execute(&mut self, sql: &str) -> std::result::Result<(), DbError> {
        self.executes.fetch_add(1, Ordering::SeqCst);
        self.log.push(sql.to_string());
        self.inner.execute(sql)
    }
    fn query(
        &mut self,
        sql: &str,
    ) -> std::result::Result<Vec<arx_migrate_core::backend::Row>, DbError> {
        self.queries.fetch_add(1, Ordering::SeqCst);
        self.log.push(sql.to_string());
        self.inner.query(sql)
    }
    fn is_undefined_table(&self, error: &DbError) -> bool {
        self.inner.is_undefined_table(error)
    }
    fn begin_statement(&self) -> &'static str {
        self.inner.begin_statement()
    }
    fn prepare_run(
        &mut self,
        settings: &arx_migrate_core::backend::RunSettings,
    ) -> std::result::Result<arx_migrate_core::backend::PreparedRun, DbError> {
        self.executes.fetch_add(1, Ordering::SeqCst);
        self.inner.prepare_run(settings)
    }
    fn finish_run(
        &mut self,
        settings: &arx_migrate_core::backend::RunSettings,
    ) -> std::result::Result<(), DbError> {
        self.inner.finish_run(settings)
    }
    fn try_run_lock(&mut self, key: i64) -> std::result::Result<bool, DbError> {
        self.queries.fetch_add(1, Ordering::SeqCst);
        self.inner.try_run_lock(key)
    }
    fn try_begin_write(
        &mut self,
        settings: &arx_migrate_core::backend::RunSettings,
    ) -> std::result::Result<bool, DbError> {
        self.executes.fetch_add(1, Ordering::SeqCst);
        self.log.push(self.inner.begin_statement().to_string());
        self.inner.try_begin_write(settings)
    }
    fn run_lock_is_exclusive(&self) -> bool {
        self.inner.run_lock_is_exclusive()
    }
    fn release_run_lock(&mut self, key: i64) -> std::result::Result<(), DbError> {
        self.queries.fetch_add(1, Ordering::SeqCst);
        self.inner.release_run_lock(key)
    }
    fn current_schema(&mut self) -> std::result::Result<String, DbError> {
        self.inner.current_schema()
    }
    // Size reads count as queries: the no-op path must make none.
    fn database_size(&mut self) -> std::result::Result<Option<i64>, DbError> {
        self.queries.fetch_add(1, Ordering::SeqCst);
        self.log.push("-- database_size".to_string());
        self.inner.database_size()
    }
    fn relation_size(
        &mut self,
        schema: Option<&str>,
        table: &str,
    ) -> std::result::Result<Option<i64>, DbError> {
        self.queries.fetch_add(1, Ordering::SeqCst);
        self.log.push(format!("-- relation_size {table}"));
        self.inner.relation_size(schema, table)
    }
    fn data(&mut self) -> arx_migrate_core::DataConnection<'_> {
        self.inner.data()
    }
}

pub fn ok(_: &mut Ops) -> Result<()> {
    Ok(())
}

/// A migration of raw SQL: `up` to apply, `down` to revert.
pub fn m(
    id: &'static str,
    parent: Option<&'static str>,
    up: &'static str,
    down: &'static str,
) -> FnMigration {
    let parents: Vec<&str> = parent.into_iter().collect();
    FnMigration::new(id, &parents, move |op| op.sql(up), move |op| op.sql(down))
}
