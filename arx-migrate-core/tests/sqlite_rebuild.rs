//! How the SQLite alterations are carried out: one rebuild per table per
//! migration, native ALTER where SQLite takes it, the order against other
//! statements, foreign keys, offline renders and checksums.

#![cfg(feature = "sqlite")]

use arx_migrate_core::backend::{PreparedRun, Row, RunSettings};
use arx_migrate_core::sea_query::{ColumnDef, ColumnType, Expr, ExprTrait};
use arx_migrate_core::{
    render, AlterColumn, Backend, Connection, DataConnection, DbError, Direction, Error,
    FnMigration, LockHolder, MigrationSet, Migrator, Ops, Result,
};

/// An SQLite connection that keeps every statement it executes and can
/// hide its driver (as a connection type other than rusqlite's would).
struct Logged {
    inner: rusqlite::Connection,
    log: Vec<String>,
    opaque: bool,
}

impl Logged {
    fn new() -> Self {
        Logged {
            inner: rusqlite::Connection::open_in_memory().unwrap(),
            log: Vec::new(),
            opaque: false,
        }
    }

    fn count(&self, needle: &str) -> usize {
        self.log.iter().map(|s| s.matches(needle).count()).sum()
    }
}

impl Connection for Logged {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }
    fn execute(&mut self, sql: &str) -> std::result::Result<(), DbError> {
        self.log.push(sql.to_string());
        Connection::execute(&mut self.inner, sql)
    }
    fn query(&mut self, sql: &str) -> std::result::Result<Vec<Row>, DbError> {
        Connection::query(&mut self.inner, sql)
    }
    fn is_undefined_table(&self, error: &DbError) -> bool {
        self.inner.is_undefined_table(error)
    }
    fn begin_statement(&self) -> &'static str {
        self.inner.begin_statement()
    }
    fn prepare_run(&mut self, settings: &RunSettings) -> std::result::Result<PreparedRun, DbError> {
        self.inner.prepare_run(settings)
    }
    fn try_run_lock(&mut self, key: i64) -> std::result::Result<bool, DbError> {
        self.inner.try_run_lock(key)
    }
    fn release_run_lock(&mut self, key: i64) -> std::result::Result<(), DbError> {
        self.inner.release_run_lock(key)
    }
    fn try_begin_write(&mut self, settings: &RunSettings) -> std::result::Result<bool, DbError> {
        self.inner.try_begin_write(settings)
    }
    fn write_lock_holder(&mut self) -> std::result::Result<Option<LockHolder>, DbError> {
        self.inner.write_lock_holder()
    }
    fn current_schema(&mut self) -> std::result::Result<String, DbError> {
        self.inner.current_schema()
    }
    fn data(&mut self) -> DataConnection<'_> {
        if self.opaque {
            DataConnection::_Lifetime(std::marker::PhantomData)
        } else {
            self.inner.data()
        }
    }
}

const BASE: &str = "CREATE TABLE owners (id INTEGER PRIMARY KEY, name varchar(50) NOT NULL);
CREATE TABLE items (id INTEGER PRIMARY KEY, owner_id integer REFERENCES owners (id) ON DELETE CASCADE, code varchar(20), qty integer);
CREATE TABLE tags (id INTEGER PRIMARY KEY, label text);
INSERT INTO owners VALUES (1, 'ann'), (2, 'bob');
INSERT INTO items VALUES (1, 1, 'A', 1), (2, 2, 'B', 2), (3, 1, 'C', 3);
INSERT INTO tags VALUES (1, 'x');";

fn migrator(up: fn(&mut Ops) -> Result<()>) -> Migrator {
    Migrator::new(
        MigrationSet::new()
            .with(FnMigration::new("1", &[], |op| op.sql(BASE), |_| Ok(())))
            .with(FnMigration::new("2", &["1"], up, |_| Ok(()))),
    )
    .unwrap()
}

fn applied(up: fn(&mut Ops) -> Result<()>) -> Logged {
    let migrator = migrator(up);
    let mut conn = Logged::new();
    migrator.upgrade(&mut conn, "1").unwrap();
    conn.log.clear();
    migrator.upgrade(&mut conn, "2").unwrap();
    conn
}

const REBUILD: &str = "CREATE TABLE \"_arx_migrate_new_";

#[test]
fn several_alterations_of_a_table_make_one_rebuild() {
    let conn = applied(|op| {
        op.alter_column(
            "items",
            "code",
            AlterColumn::new().set_type(ColumnType::Text),
        )?;
        op.add_column("items", ColumnDef::new("size").integer())?;
        op.add_check("items", "ck_items_qty", Expr::col("qty").gte(0))?;
        op.drop_column("items", "qty")?;
        op.alter_column("tags", "label", AlterColumn::new().set_not_null())
    });
    assert_eq!(conn.count(REBUILD), 2, "{:#?}", conn.log);
    assert_eq!(conn.count(&format!("{REBUILD}items\"")), 1);
    let sql: String = conn
        .inner
        .query_row(
            "SELECT sql FROM sqlite_master WHERE name = 'items'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    // The CHECK used qty, which was dropped after it: it went with it.
    assert_eq!(
        sql,
        "CREATE TABLE \"items\" ( id INTEGER PRIMARY KEY, owner_id integer REFERENCES owners (id) ON DELETE CASCADE, code text, \"size\" integer )"
    );
}

#[test]
fn what_sqlite_alters_itself_is_not_rebuilt() {
    let conn = applied(|op| {
        op.add_column("items", ColumnDef::new("size").integer().default(1))?;
        op.drop_column("items", "qty")?;
        op.rename_column("items", "code", "sku")
    });
    assert_eq!(conn.count(REBUILD), 0, "{:#?}", conn.log);
    assert_eq!(conn.count("ALTER TABLE \"items\""), 3);
    // An indexed column: SQLite refuses, so the table is rebuilt.
    let conn = applied(|op| {
        op.sql("CREATE INDEX idx_items_qty ON items (qty)")?;
        op.drop_column("items", "qty")
    });
    assert_eq!(conn.count(REBUILD), 1, "{:#?}", conn.log);
    let indexes: i64 = conn
        .inner
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'items'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        indexes, 0,
        "the index went with its column: {:#?}",
        conn.log
    );
}

#[test]
fn a_statement_that_names_the_table_sees_it_altered() {
    let conn = applied(|op| {
        op.add_column(
            "items",
            ColumnDef::new("added")
                .custom("timestamp")
                .default(Expr::current_timestamp()),
        )?;
        op.sql("UPDATE tags SET label = 'y'")?; // another table: does not wait
        op.sql("UPDATE items SET added = '2024-01-01' WHERE id = 1")?;
        op.alter_column("items", "qty", AlterColumn::new().set_not_null())
    });
    assert_eq!(conn.count(REBUILD), 2, "{:#?}", conn.log);
    let added: String = conn
        .inner
        .query_row("SELECT added FROM items WHERE id = 1", [], |r| r.get(0))
        .unwrap();
    assert_eq!(added, "2024-01-01");
    let order: Vec<usize> = ["UPDATE tags", REBUILD, "UPDATE items", REBUILD]
        .iter()
        .map(|needle| conn.log.iter().position(|s| s.contains(needle)).unwrap())
        .collect();
    assert!(
        order[0] < order[1] && order[1] < order[2],
        "{:#?}",
        conn.log
    );
}

#[test]
fn rebuilding_a_referenced_table_keeps_the_rows_that_reference_it() {
    let conn = applied(|op| {
        op.alter_column(
            "owners",
            "name",
            AlterColumn::new().set_type(ColumnType::Text),
        )
    });
    let items: i64 = conn
        .inner
        .query_row("SELECT count(*) FROM items", [], |r| r.get(0))
        .unwrap();
    assert_eq!(items, 3, "ON DELETE CASCADE fired during the rebuild");
    let enforced: i64 = conn
        .inner
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .unwrap();
    assert_eq!(enforced, 1);
}

#[test]
fn without_the_driver_a_referenced_table_is_not_rebuilt() {
    let alter_owners =
        migrator(|op| op.alter_column("owners", "name", AlterColumn::new().drop_not_null()));
    let mut conn = Logged::new();
    conn.opaque = true;
    alter_owners.upgrade(&mut conn, "1").unwrap();
    let error = alter_owners.upgrade(&mut conn, "2").unwrap_err();
    assert!(
        matches!(&error, Error::Alteration { table, reason, .. } if table == "owners" && reason.contains("items")),
        "{error}"
    );
    let items: i64 = conn
        .inner
        .query_row("SELECT count(*) FROM items", [], |r| r.get(0))
        .unwrap();
    assert_eq!(items, 3);
    // A table nothing references is rebuilt as usual.
    let alter_tags =
        migrator(|op| op.alter_column("tags", "label", AlterColumn::new().set_not_null()));
    let mut conn = Logged::new();
    conn.opaque = true;
    alter_tags.upgrade(&mut conn, "head").unwrap();
}

#[test]
fn offline_renders_say_what_a_script_cannot_hold() {
    let migration = FnMigration::new(
        "2",
        &["1"],
        |op| {
            op.add_column("items", ColumnDef::new("size").integer())?;
            op.alter_column(
                "items",
                "code",
                AlterColumn::new().set_type(ColumnType::Text),
            )
        },
        |_| Ok(()),
    );
    // lint, show and checksums see the ALTER each alteration stands for.
    let rendered = render(&migration, Backend::Sqlite, Direction::Upgrade);
    assert!(rendered.error.is_none());
    assert_eq!(
        rendered.statements,
        [
            "ALTER TABLE \"items\" ADD COLUMN \"size\" integer",
            "-- SQLite: done by rebuilding table \"items\"\nALTER TABLE \"items\" ALTER COLUMN \"code\" TYPE text",
        ]
    );
    // An `upgrade --sql` script cannot: it says why and what to do.
    let migrator = Migrator::new(
        MigrationSet::new()
            .with(FnMigration::new("1", &[], |op| op.sql(BASE), |_| Ok(())))
            .with(migration),
    )
    .unwrap();
    let error = migrator
        .offline_script(Backend::Sqlite, &[], "head", Direction::Upgrade)
        .unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(error, Error::Unsupported { .. })
            && message.contains("without --sql")
            && message.contains("items.code"),
        "{message}"
    );
}

#[test]
fn the_checksum_recorded_live_is_the_one_rendered_offline() {
    let up: fn(&mut Ops) -> Result<()> = |op| {
        op.add_column("items", ColumnDef::new("size").integer())?;
        op.drop_column("items", "qty")?;
        op.alter_column("items", "code", AlterColumn::new().set_default("x"))
    };
    let migrator = migrator(up);
    let mut conn = rusqlite::Connection::open_in_memory().unwrap();
    migrator.upgrade(&mut conn, "head").unwrap();
    let recorded = migrator
        .history(&mut conn)
        .unwrap()
        .into_iter()
        .find(|entry| entry.revision == "2")
        .and_then(|entry| entry.checksum);
    let offline = render(
        &FnMigration::new("2", &["1"], up, |_| Ok(())),
        Backend::Sqlite,
        Direction::Upgrade,
    );
    assert_eq!(recorded, Some(offline.checksum));
}

#[test]
fn the_planners_statistics_come_back() {
    let migrator = migrator(|op| {
        op.alter_column(
            "items",
            "code",
            AlterColumn::new().set_type(ColumnType::Text),
        )
    });
    let mut conn = rusqlite::Connection::open_in_memory().unwrap();
    migrator.upgrade(&mut conn, "1").unwrap();
    conn.execute_batch("CREATE INDEX idx_items_code ON items (code); ANALYZE")
        .unwrap();
    let statistics = |conn: &rusqlite::Connection| -> i64 {
        conn.query_row(
            "SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'items'",
            [],
            |r| r.get(0),
        )
        .unwrap()
    };
    assert_eq!(statistics(&conn), 1);
    migrator.upgrade(&mut conn, "2").unwrap();
    assert_eq!(statistics(&conn), 1);
}

#[test]
fn indexes_are_built_concurrently_on_postgres_outside_a_transaction() {
    use arx_migrate_core::sea_query::Index;
    let index = |op: &mut Ops| {
        op.create_index(
            Index::create()
                .name("idx_items_qty")
                .table("items")
                .col("qty"),
        )
    };
    let drop = |op: &mut Ops| op.drop_index("idx_items_qty");
    let up = |migration: &FnMigration, backend| {
        render(migration, backend, Direction::Upgrade)
            .into_result()
            .unwrap()
    };
    let down = |migration: &FnMigration| {
        render(migration, Backend::Postgres, Direction::Downgrade)
            .into_result()
            .unwrap()
    };
    let plain = FnMigration::new("2", &["1"], index, drop);
    let alone = FnMigration::new("2", &["1"], index, drop).non_transactional();
    assert_eq!(
        up(&plain, Backend::Postgres),
        [r#"CREATE INDEX "idx_items_qty" ON "items" ("qty")"#]
    );
    assert_eq!(
        up(&alone, Backend::Postgres),
        [r#"CREATE INDEX CONCURRENTLY "idx_items_qty" ON "items" ("qty")"#]
    );
    assert_eq!(down(&alone), [r#"DROP INDEX CONCURRENTLY "idx_items_qty""#]);
    assert_eq!(down(&plain), [r#"DROP INDEX "idx_items_qty""#]);
    assert_eq!(
        up(&alone, Backend::Sqlite),
        [r#"CREATE INDEX "idx_items_qty" ON "items" ("qty")"#]
    );
}

#[test]
fn a_schema_broken_before_the_change_does_not_stop_it() {
    let conn = applied(|op| {
        op.sql("CREATE VIEW forgotten AS SELECT * FROM dropped_long_ago")?;
        op.alter_column("items", "code", AlterColumn::new().set_not_null())
    });
    assert_eq!(conn.count(REBUILD), 1);
}

#[test]
fn a_column_definition_with_a_key_is_not_a_column_change() {
    let migration = FnMigration::new(
        "2",
        &["1"],
        |op| {
            let keyed = ColumnDef::new("code").text().primary_key().take();
            op.alter_column("items", "code", AlterColumn::matching(&keyed))
        },
        |_| Ok(()),
    );
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let error = render(&migration, backend, Direction::Upgrade)
            .into_result()
            .unwrap_err();
        assert!(error.to_string().contains("set_primary_key"), "{error}");
    }
}
