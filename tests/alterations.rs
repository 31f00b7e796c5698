//! The portable alterations on `Ops`, on both backends. For each one:
//! the seeded rows survive it; the altered database has no drift from a
//! database built directly at the new schema; the downgrade restores the
//! previous schema exactly (and the rows that were kept).

use std::collections::BTreeMap;

use arx_migrate::check::{diff, snapshot, SchemaSnapshot};
use arx_migrate::sea_query::{
    ColumnDef, ColumnType, Expr, ExprTrait, ForeignKey, ForeignKeyAction,
    ForeignKeyCreateStatement, Index, IndexCreateStatement, StringLen, Table,
};
use arx_migrate::testing::{postgres_test_url, PgTestDatabase};
use arx_migrate::AlterColumn;
use arx_migrate::{Connection, Error, FnMigration, MigrationSet, Migrator, Ops, Result};

/// The test schema, as data, so that each case can state its new schema
/// by editing it: `owners` ← `items` (ON DELETE CASCADE) → `colors`, and
/// `tags`, which nothing references.
#[derive(Clone)]
struct Schema {
    owner_name: ColumnDef,
    items: Vec<ColumnDef>,
    item_keys: Vec<ForeignKeyCreateStatement>,
    item_uniques: Vec<(&'static str, Vec<&'static str>)>,
    item_checks: Vec<(&'static str, Expr)>,
    indexes: Vec<IndexCreateStatement>,
    tags: &'static str,
    tag_key: Vec<&'static str>,
}

/// Named as PostgreSQL names an unnamed key: sea-query's CREATE TABLE
/// leaves foreign keys unnamed on SQLite, where the portable calls find
/// them by this name.
fn items_owner_key() -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name("items_owner_id_fkey")
        .from("items", "owner_id")
        .to("owners", "id")
        .on_delete(ForeignKeyAction::Cascade)
        .take()
}

fn items_color_key() -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name("fk_items_color")
        .from("items", "color")
        .to("colors", "name")
        .take()
}

fn index(name: &str, column: &str) -> IndexCreateStatement {
    Index::create()
        .name(name)
        .table("items")
        .col(column.to_string())
        .take()
}

fn base() -> Schema {
    Schema {
        owner_name: ColumnDef::new("name").string_len(50).not_null().take(),
        items: vec![
            ColumnDef::new("id")
                .integer()
                .not_null()
                .auto_increment()
                .primary_key()
                .take(),
            ColumnDef::new("owner_id").integer().take(),
            ColumnDef::new("code").string_len(20).take(),
            ColumnDef::new("name").string_len(50).take(),
            ColumnDef::new("qty").integer().default(0).take(),
            ColumnDef::new("note").text().take(),
            ColumnDef::new("color").string_len(20).take(),
        ],
        item_keys: vec![items_owner_key()],
        item_uniques: vec![],
        item_checks: vec![],
        indexes: vec![
            index("idx_items_owner_id", "owner_id"),
            index("idx_items_code", "code"),
            index("idx_items_name", "name"),
            index("idx_items_color", "color"),
        ],
        tags: "tags",
        tag_key: vec!["id"],
    }
}

fn column<'a>(schema: &'a mut Schema, name: &str) -> &'a mut ColumnDef {
    schema
        .items
        .iter_mut()
        .find(|c| c.get_column_name() == name)
        .expect("a column of items")
}

/// Creates the schema as it is described, with no ALTER.
fn build(op: &mut Ops, schema: &Schema) -> Result<()> {
    op.exec(
        Table::create()
            .table("owners")
            .col(ColumnDef::new("id").integer().not_null().primary_key())
            .col(schema.owner_name.clone())
            .col(ColumnDef::new("email").string_len(100)),
    )?;
    op.exec(
        Table::create().table("colors").col(
            ColumnDef::new("name")
                .string_len(20)
                .not_null()
                .primary_key(),
        ),
    )?;
    let mut items = Table::create();
    items.table("items");
    for column in &schema.items {
        items.col(column.clone());
    }
    for (name, columns) in &schema.item_uniques {
        let mut unique = Index::create();
        unique.name(*name).unique();
        for column in columns {
            unique.col(*column);
        }
        items.index(&mut unique);
    }
    for key in &schema.item_keys {
        items.foreign_key(&mut key.clone());
    }
    for (name, check) in &schema.item_checks {
        items.check((*name, check.clone()));
    }
    op.exec(&items)?;
    let mut tags = Table::create();
    tags.table(schema.tags)
        .col(ColumnDef::new("id").integer().not_null())
        .col(ColumnDef::new("label").string_len(20).not_null());
    let mut key = Index::create();
    for column in &schema.tag_key {
        key.col(*column);
    }
    tags.primary_key(&mut key);
    op.exec(&tags)?;
    for index in &schema.indexes {
        op.exec(index)?;
    }
    op.sql("CREATE VIEW item_colors AS SELECT id, color FROM items")?;
    op.sqlite(
        "CREATE TRIGGER items_touch_color AFTER INSERT ON items BEGIN \
         UPDATE colors SET name = name WHERE name = NEW.color; END",
    )
}

const SEED: &str =
    "INSERT INTO owners (id, name, email) VALUES (1, 'ann', 'a@x'), (2, 'bob', NULL);
INSERT INTO colors (name) VALUES ('red'), ('blue');
INSERT INTO items (id, owner_id, code, name, qty, note, color) VALUES
  (1, 1, 'A1', 'apple', 3, 'n1', 'red'),
  (5, 2, 'B2', 'bean', 0, NULL, NULL),
  (9, 1, 'C3', NULL, 7, 'it''s', 'blue'),
  (12, 2, 'D4', 'gone', 1, NULL, NULL);
DELETE FROM items WHERE id = 12;
INSERT INTO tags (id, label) VALUES (1, 'x'), (2, 'y');";

/// One alteration: its upgrade and downgrade, the schema it leads to,
/// and where it moves data (`table` or `table.column`, old → new).
struct Case {
    name: &'static str,
    up: fn(&mut Ops) -> Result<()>,
    down: fn(&mut Ops) -> Result<()>,
    new_schema: fn(&mut Schema),
    moved: &'static [(&'static str, &'static str)],
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "add a nullable column",
            up: |op| op.add_column("items", ColumnDef::new("size").string_len(10)),
            down: |op| op.drop_column("items", "size"),
            new_schema: |s| s.items.push(ColumnDef::new("size").string_len(10).take()),
            moved: &[],
        },
        Case {
            name: "add a column SQLite's ALTER cannot add (NOT NULL, default CURRENT_TIMESTAMP)",
            up: |op| {
                op.add_column(
                    "items",
                    ColumnDef::new("added_at")
                        .custom("timestamp")
                        .not_null()
                        .default(Expr::current_timestamp()),
                )
            },
            down: |op| op.drop_column("items", "added_at"),
            new_schema: |s| {
                s.items.push(
                    ColumnDef::new("added_at")
                        .custom("timestamp")
                        .not_null()
                        .default(Expr::current_timestamp())
                        .take(),
                )
            },
            moved: &[],
        },
        Case {
            name: "drop an unused column",
            up: |op| op.drop_column("items", "note"),
            down: |op| op.add_column("items", ColumnDef::new("note").text()),
            new_schema: |s| s.items.retain(|c| c.get_column_name() != "note"),
            moved: &[],
        },
        Case {
            name: "drop an indexed column",
            up: |op| op.drop_column("items", "name"),
            down: |op| {
                op.add_column("items", ColumnDef::new("name").string_len(50))?;
                op.create_index(&index("idx_items_name", "name"))
            },
            new_schema: |s| {
                s.items.retain(|c| c.get_column_name() != "name");
                s.indexes
                    .retain(|i| i.get_index_spec().get_name() != Some("idx_items_name"));
            },
            moved: &[],
        },
        Case {
            name: "drop a column that a foreign key uses",
            up: |op| op.drop_column("items", "owner_id"),
            down: |op| {
                op.add_column("items", ColumnDef::new("owner_id").integer())?;
                op.add_foreign_key(&items_owner_key())?;
                op.create_index(&index("idx_items_owner_id", "owner_id"))
            },
            new_schema: |s| {
                s.items.retain(|c| c.get_column_name() != "owner_id");
                s.item_keys.clear();
                s.indexes
                    .retain(|i| i.get_index_spec().get_name() != Some("idx_items_owner_id"));
            },
            moved: &[],
        },
        Case {
            name: "rename a column",
            up: |op| op.rename_column("items", "note", "remark"),
            down: |op| op.rename_column("items", "remark", "note"),
            new_schema: |s| {
                let note = column(s, "note");
                *note = ColumnDef::new("remark").text().take();
            },
            moved: &[("items.note", "remark")],
        },
        Case {
            name: "change a column's type",
            up: |op| {
                op.alter_column(
                    "items",
                    "code",
                    AlterColumn::new().set_type(ColumnType::Text),
                )
            },
            down: |op| {
                op.alter_column(
                    "items",
                    "code",
                    AlterColumn::new().set_type(ColumnType::String(StringLen::N(20))),
                )
            },
            new_schema: |s| *column(s, "code") = ColumnDef::new("code").text().take(),
            moved: &[],
        },
        Case {
            name: "make a column NOT NULL (the column as sea-query describes it)",
            up: |op| {
                let code = ColumnDef::new("code").string_len(20).not_null().take();
                op.alter_column("items", "code", AlterColumn::matching(&code))
            },
            down: |op| op.alter_column("items", "code", AlterColumn::new().drop_not_null()),
            new_schema: |s| {
                *column(s, "code") = ColumnDef::new("code").string_len(20).not_null().take()
            },
            moved: &[],
        },
        Case {
            name: "change a column's default",
            up: |op| op.alter_column("items", "qty", AlterColumn::new().set_default(5)),
            down: |op| op.alter_column("items", "qty", AlterColumn::new().set_default(0)),
            new_schema: |s| *column(s, "qty") = ColumnDef::new("qty").integer().default(5).take(),
            moved: &[],
        },
        Case {
            name: "drop a column's default",
            up: |op| op.alter_column("items", "qty", AlterColumn::new().drop_default()),
            down: |op| op.alter_column("items", "qty", AlterColumn::new().set_default(0)),
            new_schema: |s| *column(s, "qty") = ColumnDef::new("qty").integer().take(),
            moved: &[],
        },
        Case {
            name: "create an index",
            up: |op| op.create_index(&index("idx_items_qty", "qty")),
            down: |op| op.drop_index("idx_items_qty"),
            new_schema: |s| s.indexes.push(index("idx_items_qty", "qty")),
            moved: &[],
        },
        Case {
            name: "add a foreign key",
            up: |op| op.add_foreign_key(&items_color_key()),
            down: |op| op.drop_foreign_key("items", "fk_items_color"),
            new_schema: |s| s.item_keys.push(items_color_key()),
            moved: &[],
        },
        Case {
            name: "drop a foreign key",
            up: |op| op.drop_foreign_key("items", "items_owner_id_fkey"),
            down: |op| op.add_foreign_key(&items_owner_key()),
            new_schema: |s| s.item_keys.clear(),
            moved: &[],
        },
        Case {
            name: "add a CHECK constraint",
            up: |op| op.add_check("items", "ck_items_qty", Expr::col("qty").gte(0)),
            down: |op| op.drop_check("items", "ck_items_qty"),
            new_schema: |s| {
                s.item_checks
                    .push(("ck_items_qty", Expr::col("qty").gte(0)))
            },
            moved: &[],
        },
        Case {
            name: "add a UNIQUE constraint",
            up: |op| op.add_unique("items", "uq_items_owner_code", &["owner_id", "code"]),
            down: |op| op.drop_unique("items", "uq_items_owner_code"),
            new_schema: |s| {
                s.item_uniques
                    .push(("uq_items_owner_code", vec!["owner_id", "code"]))
            },
            moved: &[],
        },
        Case {
            name: "change the primary key",
            up: |op| op.set_primary_key("tags", &["id", "label"]),
            down: |op| op.set_primary_key("tags", &["id"]),
            new_schema: |s| s.tag_key = vec!["id", "label"],
            moved: &[],
        },
        Case {
            name: "rename a table",
            up: |op| op.rename_table("tags", "labels"),
            down: |op| op.rename_table("labels", "tags"),
            new_schema: |s| s.tags = "labels",
            moved: &[("tags", "labels")],
        },
        Case {
            name: "change a referenced table (its rows must not cascade away)",
            up: |op| {
                op.alter_column(
                    "owners",
                    "name",
                    AlterColumn::new().set_type(ColumnType::Text),
                )
            },
            down: |op| {
                op.alter_column(
                    "owners",
                    "name",
                    AlterColumn::new().set_type(ColumnType::String(StringLen::N(50))),
                )
            },
            new_schema: |s| s.owner_name = ColumnDef::new("name").text().not_null().take(),
            moved: &[],
        },
        Case {
            name: "several alterations of one table in one migration",
            up: |op| {
                op.add_column("items", ColumnDef::new("size").string_len(10))?;
                op.alter_column(
                    "items",
                    "code",
                    AlterColumn::new().set_type(ColumnType::Text),
                )?;
                op.drop_column("items", "name")?;
                op.add_check("items", "ck_items_qty", Expr::col("qty").gte(0))?;
                op.alter_column("items", "qty", AlterColumn::new().set_default(5))
            },
            down: |op| {
                op.alter_column("items", "qty", AlterColumn::new().set_default(0))?;
                op.drop_check("items", "ck_items_qty")?;
                op.add_column("items", ColumnDef::new("name").string_len(50))?;
                op.create_index(&index("idx_items_name", "name"))?;
                op.alter_column(
                    "items",
                    "code",
                    AlterColumn::new().set_type(ColumnType::String(StringLen::N(20))),
                )?;
                op.drop_column("items", "size")
            },
            new_schema: |s| {
                s.items.push(ColumnDef::new("size").string_len(10).take());
                *column(s, "code") = ColumnDef::new("code").text().take();
                s.items.retain(|c| c.get_column_name() != "name");
                s.indexes
                    .retain(|i| i.get_index_spec().get_name() != Some("idx_items_name"));
                s.item_checks
                    .push(("ck_items_qty", Expr::col("qty").gte(0)));
                *column(s, "qty") = ColumnDef::new("qty").integer().default(5).take();
            },
            moved: &[],
        },
    ]
}

fn base_migration() -> FnMigration {
    FnMigration::new("a1", &[], |op| build(op, &base()), |_| Ok(()))
}

fn migrator(case: &Case) -> Migrator {
    Migrator::new(
        MigrationSet::new()
            .with(base_migration())
            .with(FnMigration::new("a2", &["a1"], case.up, case.down)),
    )
    .expect("a valid graph")
}

fn direct_migrator(case: &Case) -> Migrator {
    let mut schema = base();
    (case.new_schema)(&mut schema);
    Migrator::new(MigrationSet::new().with(FnMigration::new(
        "a2",
        &[],
        move |op| build(op, &schema),
        |_| Ok(()),
    )))
    .expect("a valid graph")
}

type Rows = Vec<Vec<Option<String>>>;

/// Every table's columns and rows (as text, sorted).
type Data = BTreeMap<String, (Vec<String>, Rows)>;

fn data(conn: &mut dyn Connection, schema: &SchemaSnapshot) -> Data {
    let mut out = Data::new();
    for (table, snapshot) in &schema.tables {
        let columns: Vec<String> = snapshot.columns.keys().cloned().collect();
        let list: Vec<String> = columns
            .iter()
            .map(|c| format!("CAST(\"{c}\" AS TEXT)"))
            .collect();
        let mut rows = conn
            .query(&format!("SELECT {} FROM \"{table}\"", list.join(", ")))
            .expect("rows");
        rows.sort();
        out.insert(table.clone(), (columns, rows));
    }
    out
}

fn renamed<'a>(moved: &[(&str, &'a str)], old: &'a str) -> &'a str {
    moved
        .iter()
        .find(|(from, _)| *from == old)
        .map_or(old, |(_, to)| *to)
}

fn renamed_column(moved: &[(&str, &str)], table: &str, column: &str) -> String {
    let key = format!("{table}.{column}");
    moved
        .iter()
        .find(|(from, _)| *from == key)
        .map_or(column.to_string(), |(_, to)| to.to_string())
}

/// For each table of `before`: its rows in the columns that `after` still
/// has (following `moved`), as `before` and as `after` holds them.
fn kept(before: &Data, after: &Data, moved: &[(&str, &str)]) -> Vec<(String, Rows, Rows)> {
    let mut out = Vec::new();
    for (table, (columns, rows)) in before {
        let Some((new_columns, new_rows)) = after.get(renamed(moved, table)) else {
            continue;
        };
        let pairs: Vec<(usize, usize)> = columns
            .iter()
            .enumerate()
            .filter_map(|(i, column)| {
                let new_name = renamed_column(moved, table, column);
                new_columns
                    .iter()
                    .position(|c| *c == new_name)
                    .map(|j| (i, j))
            })
            .collect();
        let project = |rows: &Rows, pick: fn(&(usize, usize)) -> usize| {
            let mut out: Rows = rows
                .iter()
                .map(|row| pairs.iter().map(|p| row[pick(p)].clone()).collect())
                .collect();
            out.sort();
            out
        };
        out.push((
            table.clone(),
            project(rows, |p| p.0),
            project(new_rows, |p| p.1),
        ));
    }
    out
}

fn assert_no_drift(case: &str, what: &str, expected: &SchemaSnapshot, actual: &SchemaSnapshot) {
    let differences = diff(expected, actual);
    assert!(
        differences.is_empty(),
        "{case}: {what}:\n{}",
        differences
            .iter()
            .map(|d| format!("  {d}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Runs one case on `conn` (empty), with `direct` (empty) for the schema
/// built directly.
fn run_case(case: &Case, conn: &mut dyn Connection, direct: &mut dyn Connection) {
    let name = case.name;
    let migrator = migrator(case);
    migrator.upgrade(conn, "a1").unwrap();
    conn.execute(SEED).unwrap();
    let schema_before = snapshot(&migrator, conn).unwrap();
    let before = data(conn, &schema_before);

    migrator
        .upgrade(conn, "a2")
        .unwrap_or_else(|e| panic!("{name}: upgrade: {e}"));
    let schema_after = snapshot(&migrator, conn).unwrap();
    let after = data(conn, &schema_after);
    for (table, expected, found) in kept(&before, &after, case.moved) {
        assert_eq!(expected, found, "{name}: the rows of {table} changed");
    }
    let direct_migrator = direct_migrator(case);
    direct_migrator.upgrade(direct, "head").unwrap();
    let built = snapshot(&direct_migrator, direct).unwrap();
    assert_no_drift(
        name,
        "the altered schema differs from one built directly",
        &built,
        &schema_after,
    );
    // The checksum recorded live is the one rendered offline.
    migrator
        .upgrade(conn, "head")
        .unwrap_or_else(|e| panic!("{name}: a second run: {e}"));

    migrator
        .downgrade(conn, "a1")
        .unwrap_or_else(|e| panic!("{name}: downgrade: {e}"));
    let schema_reverted = snapshot(&migrator, conn).unwrap();
    assert_no_drift(
        name,
        "the downgrade did not restore the schema",
        &schema_before,
        &schema_reverted,
    );
    // The rows are back, in the columns the upgrade kept (the ones it
    // dropped come back empty).
    let reverted = data(conn, &schema_reverted);
    let surviving: Data = kept(&before, &after, case.moved)
        .into_iter()
        .map(|(table, rows, _)| {
            let columns = before[&table]
                .0
                .iter()
                .filter(|c| {
                    let new_name = renamed_column(case.moved, &table, c);
                    after[renamed(case.moved, &table)].0.contains(&new_name)
                })
                .cloned()
                .collect();
            (table, (columns, rows))
        })
        .collect();
    for (table, expected, found) in kept(&surviving, &reverted, &[]) {
        assert_eq!(
            expected, found,
            "{name}: the rows of {table} after the downgrade"
        );
    }
}

#[test]
fn each_alteration_on_sqlite() {
    for case in cases() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        let mut direct = rusqlite::Connection::open_in_memory().unwrap();
        run_case(&case, &mut conn, &mut direct);
        // SQLite specifics: the trigger and view survive, foreign keys are
        // still enforced, AUTOINCREMENT does not hand out 12 again.
        let name = case.name;
        let one = |conn: &rusqlite::Connection, sql: &str| -> i64 {
            conn.query_row(sql, [], |row| row.get(0)).unwrap()
        };
        let migrator = migrator(&case);
        migrator.upgrade(&mut conn, "a2").unwrap();
        assert_eq!(
            one(
                &conn,
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"
            ),
            1,
            "{name}"
        );
        assert_eq!(one(&conn, "SELECT count(*) FROM item_colors"), 3, "{name}");
        assert_eq!(one(&conn, "PRAGMA foreign_keys"), 1, "{name}");
        if !name.contains("foreign key") {
            assert!(
                conn.execute("INSERT INTO items (owner_id, code) VALUES (99, 'X')", [])
                    .is_err(),
                "{name}: foreign keys are not enforced"
            );
        }
        conn.execute("INSERT INTO items (code) VALUES ('N')", [])
            .unwrap();
        assert_eq!(
            conn.last_insert_rowid(),
            13,
            "{name}: the AUTOINCREMENT counter was lost"
        );
    }
}

#[test]
fn each_alteration_on_postgres() {
    let Some(server) = postgres_test_url("each_alteration_on_postgres") else {
        return;
    };
    let database = PgTestDatabase::create(&server).unwrap();
    let cases = cases();
    // The cases wait on the server more than on the CPU: four at a time.
    const WORKERS: usize = 4;
    std::thread::scope(|scope| {
        for worker in 0..WORKERS {
            let (cases, server, database) = (&cases, &server, &database);
            scope.spawn(move || {
                for case in cases.iter().skip(worker).step_by(WORKERS) {
                    let altered =
                        PgTestDatabase::create_schema(server, database.name(), "").unwrap();
                    let built = PgTestDatabase::create_schema(server, database.name(), "").unwrap();
                    let mut conn = altered.connect().unwrap();
                    let mut direct = built.connect().unwrap();
                    run_case(case, &mut conn, &mut direct);
                }
            });
        }
    });
}

/// A migration function.
type Change = fn(&mut Ops) -> Result<()>;

/// A migration on top of the base schema that makes `change`.
fn altering(change: Change) -> Migrator {
    Migrator::new(
        MigrationSet::new()
            .with(base_migration())
            .with(FnMigration::new("a2", &["a1"], change, |_| Ok(()))),
    )
    .expect("a valid graph")
}

/// Applies `change` to the seeded base schema on SQLite; returns the
/// error and checks that nothing changed.
fn refused_on_sqlite(change: Change, seed: &str) -> Error {
    let migrator = altering(change);
    let mut conn = rusqlite::Connection::open_in_memory().unwrap();
    migrator.upgrade(&mut conn, "a1").unwrap();
    conn.execute_batch(SEED).unwrap();
    conn.execute_batch(seed).unwrap();
    let schema = snapshot(&migrator, &mut conn).unwrap();
    let rows = data(&mut conn, &schema);
    let error = migrator.upgrade(&mut conn, "a2").unwrap_err();
    assert_eq!(migrator.current(&mut conn).unwrap(), ["a1"]);
    assert_no_drift(
        "refused",
        "the schema changed",
        &schema,
        &snapshot(&migrator, &mut conn).unwrap(),
    );
    assert_eq!(rows, data(&mut conn, &schema), "the rows changed");
    error
}

fn alteration_reason(error: &Error) -> (&str, &str) {
    match error {
        Error::Alteration { table, reason, .. } => (table, reason),
        other => panic!("not an alteration error: {other}"),
    }
}

#[test]
fn what_would_lose_data_is_refused_and_nothing_changes_on_sqlite() {
    // NOT NULL on a column that holds NULLs (item 5 has no note).
    let error = refused_on_sqlite(
        |op| op.alter_column("items", "note", AlterColumn::new().set_not_null()),
        "",
    );
    let (table, reason) = alteration_reason(&error);
    assert_eq!(table, "items");
    assert!(
        reason.contains("items.note") && reason.contains("NULL"),
        "{reason}"
    );
    assert!(
        error.to_string().contains("the table was left as it was"),
        "{error}"
    );

    // Text that is not a number, to an integer.
    let error = refused_on_sqlite(
        |op| {
            op.alter_column(
                "items",
                "code",
                AlterColumn::new().set_type(ColumnType::Integer),
            )
        },
        "",
    );
    let (_, reason) = alteration_reason(&error);
    assert!(
        reason.contains("items.code") && reason.contains("cannot be converted"),
        "{reason}"
    );

    // A fraction to an integer column.
    let error = refused_on_sqlite(
        |op| {
            op.alter_column(
                "items",
                "note",
                AlterColumn::new().set_type(ColumnType::Integer),
            )
        },
        "UPDATE items SET note = '2.5' WHERE note IS NOT NULL",
    );
    assert!(alteration_reason(&error).1.contains("items.note"));

    // A real as text: SQLite 3.53 (bundled with rusqlite 0.40) writes the
    // shortest text that reads back as the same real, so nothing rounds
    // and the change is made, the value kept exactly. (Older SQLite wrote
    // 15 digits, and the rebuild refused this as a rounding.)
    let migrator = altering(|op| {
        op.alter_column(
            "items",
            "qty",
            AlterColumn::new().set_type(ColumnType::Text),
        )
    });
    let mut conn = rusqlite::Connection::open_in_memory().unwrap();
    migrator.upgrade(&mut conn, "a1").unwrap();
    conn.execute_batch(SEED).unwrap();
    conn.execute_batch("UPDATE items SET qty = 0.1 + 0.2 WHERE id = 1")
        .unwrap();
    migrator.upgrade(&mut conn, "a2").unwrap();
    let (text, back): (String, f64) = conn
        .query_row(
            "SELECT qty, CAST(qty AS REAL) FROM items WHERE id = 1",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    assert_eq!(back, 0.1 + 0.2, "{text}");

    // A NOT NULL column without a default, on a table with rows.
    let error = refused_on_sqlite(
        |op| op.add_column("items", ColumnDef::new("sku").text().not_null()),
        "",
    );
    assert!(alteration_reason(&error).1.contains("items.sku"), "{error}");

    // Rows that break an added constraint, foreign key or primary key.
    let error = refused_on_sqlite(
        |op| op.add_unique("items", "uq_items_owner", &["owner_id"]),
        "",
    );
    assert!(alteration_reason(&error).1.contains("UNIQUE"), "{error}");
    assert!(!error.to_string().contains("_arx_migrate_new"), "{error}");
    let error = refused_on_sqlite(
        |op| op.add_check("items", "ck_qty", Expr::col("qty").gt(5)),
        "",
    );
    assert!(alteration_reason(&error).1.contains("CHECK"), "{error}");
    let error = refused_on_sqlite(
        |op| op.add_foreign_key(&items_color_key()),
        "UPDATE items SET color = 'green' WHERE id = 1",
    );
    assert!(alteration_reason(&error).1.contains("colors"), "{error}");
    let error = refused_on_sqlite(
        |op| op.set_primary_key("tags", &["label"]),
        "INSERT INTO tags VALUES (3, 'x')",
    );
    assert!(alteration_reason(&error).1.contains("UNIQUE"), "{error}");
}

#[test]
fn a_view_or_trigger_that_uses_a_dropped_column_is_named_on_sqlite() {
    let error = refused_on_sqlite(|op| op.drop_column("items", "color"), "");
    let (_, reason) = alteration_reason(&error);
    assert!(
        reason.contains("item_colors") || reason.contains("items_touch_color"),
        "{reason}"
    );
    // Dropped first and created again after, it works.
    let migrator = altering(|op| {
        op.sql("DROP VIEW item_colors")?;
        op.sqlite("DROP TRIGGER items_touch_color")?;
        op.drop_column("items", "color")?;
        op.sql("CREATE VIEW item_colors AS SELECT id, code AS color FROM items")
    });
    let mut conn = rusqlite::Connection::open_in_memory().unwrap();
    migrator.upgrade(&mut conn, "head").unwrap();
    let n: i64 = conn
        .query_row(
            "SELECT count(*) FROM item_colors WHERE color IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 0);
}

#[test]
fn what_would_lose_data_is_refused_on_postgres() {
    let Some(server) = postgres_test_url("what_would_lose_data_is_refused_on_postgres") else {
        return;
    };
    let database = PgTestDatabase::create(&server).unwrap();
    let cases: [(Change, &str); 2] = [
        (
            |op| op.alter_column("items", "note", AlterColumn::new().set_not_null()),
            "\"note\"",
        ),
        (
            |op| {
                op.alter_column(
                    "items",
                    "code",
                    AlterColumn::new().set_type(ColumnType::Integer),
                )
            },
            "\"code\"",
        ),
    ];
    for (change, column) in cases {
        let schema = PgTestDatabase::create_schema(&server, database.name(), "").unwrap();
        let mut conn = schema.connect().unwrap();
        let migrator = altering(change);
        migrator.upgrade(&mut conn, "a1").unwrap();
        conn.batch_execute(SEED).unwrap();
        let error = migrator.upgrade(&mut conn, "a2").unwrap_err();
        let text = error.to_string();
        assert!(text.contains("items") && text.contains(column), "{text}");
        assert_eq!(migrator.current(&mut conn).unwrap(), ["a1"]);
    }
}

#[test]
fn a_non_transactional_migration_builds_its_index_concurrently_on_postgres() {
    let Some(server) = postgres_test_url(
        "a_non_transactional_migration_builds_its_index_concurrently_on_postgres",
    ) else {
        return;
    };
    let database = PgTestDatabase::create(&server).unwrap();
    let migrator = Migrator::new(
        MigrationSet::new().with(base_migration()).with(
            FnMigration::new(
                "a2",
                &["a1"],
                |op| op.create_index(&index("idx_items_qty", "qty")),
                |op| op.drop_index("idx_items_qty"),
            )
            .non_transactional(),
        ),
    )
    .unwrap();
    let mut conn = database.connect().unwrap();
    migrator.upgrade(&mut conn, "head").unwrap();
    let valid = Connection::query(
        &mut conn,
        "SELECT indisvalid FROM pg_index WHERE indexrelid = 'idx_items_qty'::regclass",
    )
    .unwrap();
    assert_eq!(valid, [[Some("t".to_string())]]);
    migrator.downgrade(&mut conn, "a1").unwrap();
}
