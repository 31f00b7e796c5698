//! A consumer alters the Arxos `rooms` table on SQLite: a column's type, an
//! indexed column dropped, a foreign key added. SQLite's ALTER TABLE can do
//! none of it, so the table is rebuilt; its rows, the rows that reference
//! it, its indexes and its R*Tree (kept by triggers on `rooms`) must all
//! come through, and the downgrade must restore the schema.

use std::collections::BTreeMap;

use arx_migrate::check::{diff, snapshot};
use arx_migrate::migration;
use arx_migrate::Connection;
use rusqlite::types::Value;

/// Rooms: names of any length, no layer, categories from the catalogue
#[migration(rev = "rooms2", down_rev = "006")]
pub mod rooms2 {
    use arx_migrate::prelude::*;
    use arx_migrate::sea_query::{ColumnDef, ColumnType, ForeignKey, Index, StringLen};

    pub fn upgrade(op: &mut Ops) -> Result<()> {
        op.alter_column(
            "rooms",
            "name",
            AlterColumn::new().set_type(ColumnType::Text),
        )?;
        op.drop_column("rooms", "layer")?;
        op.add_foreign_key(
            ForeignKey::create()
                .name("fk_rooms_category")
                .from("rooms", "category")
                .to("categories", "name"),
        )
    }

    pub fn downgrade(op: &mut Ops) -> Result<()> {
        op.drop_foreign_key("rooms", "fk_rooms_category")?;
        op.add_column("rooms", ColumnDef::new("layer").string_len(100))?;
        op.create_index(
            Index::create()
                .name("idx_rooms_layer")
                .table("rooms")
                .col("layer"),
        )?;
        op.alter_column(
            "rooms",
            "name",
            AlterColumn::new().set_type(ColumnType::String(StringLen::N(255))),
        )
    }
}

type BBox = [i64; 4]; // minx, maxx, miny, maxy

fn polygon([x0, x1, y0, y1]: BBox) -> String {
    format!(
        r#"{{"type":"Polygon","coordinates":[[[{x0},{y0}],[{x1},{y0}],[{x1},{y1}],[{x0},{y1}],[{x0},{y0}]]]}}"#
    )
}

/// The rooms the R*Tree finds in `query`, and the ones that are there.
fn found_and_expected(
    conn: &rusqlite::Connection,
    boxes: &BTreeMap<&str, BBox>,
    [x0, x1, y0, y1]: BBox,
) -> (Vec<String>, Vec<String>) {
    let mut stmt = conn
        .prepare(
            "SELECT obj_id FROM idx_rooms_geom \
             WHERE maxx >= ?1 AND minx <= ?2 AND maxy >= ?3 AND miny <= ?4 ORDER BY obj_id",
        )
        .unwrap();
    let found = stmt
        .query_map([x0, x1, y0, y1], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    let expected = boxes
        .iter()
        .filter(|(_, b)| b[1] >= x0 && b[0] <= x1 && b[3] >= y0 && b[2] <= y1)
        .map(|(id, _)| id.to_string())
        .collect();
    (found, expected)
}

fn assert_rtree_answers(conn: &rusqlite::Connection, boxes: &BTreeMap<&str, BBox>, stage: &str) {
    for query in [
        [0, 1000, 0, 1000],
        [0, 9, 0, 9],
        [15, 25, 15, 25],
        [200, 300, 0, 5],
    ] {
        let (found, expected) = found_and_expected(conn, boxes, query);
        assert_eq!(found, expected, "{stage}: rooms in {query:?}");
    }
    let entries: i64 = conn
        .query_row("SELECT count(*) FROM idx_rooms_geom", [], |r| r.get(0))
        .unwrap();
    assert_eq!(entries as usize, boxes.len(), "{stage}: R*Tree entries");
}

/// The rows, with their values exactly as stored.
fn rows(conn: &rusqlite::Connection, sql: &str) -> Vec<Vec<Value>> {
    let mut stmt = conn.prepare(sql).unwrap();
    let width = stmt.column_count();
    stmt.query_map([], |r| {
        (0..width)
            .map(|i| r.get::<_, Value>(i))
            .collect::<rusqlite::Result<Vec<_>>>()
    })
    .unwrap()
    .map(|r| r.unwrap())
    .collect()
}

fn one(conn: &rusqlite::Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

const KEPT_COLUMNS: &str = "SELECT id, name, created_by, status, source_svg, svg_id, locked_by, \
     assigned_to, building_id, floor_id, geom, category, project_id FROM rooms ORDER BY id";

#[test]
fn rooms_is_rebuilt_with_its_rows_indexes_and_rtree() {
    let migrator = arx_schema::migrator().unwrap();
    let mut conn = rusqlite::Connection::open_in_memory().unwrap();
    migrator.upgrade(&mut conn, "006").unwrap();
    let mut boxes: BTreeMap<&str, BBox> = BTreeMap::new();
    boxes.insert("r1", [0, 10, 0, 10]);
    boxes.insert("r2", [20, 30, 20, 30]);
    boxes.insert("r3", [5, 25, 5, 25]);
    conn.execute_batch(
        "INSERT INTO users (id, email, username, password_hash) VALUES (1, 'a@x', 'ann', 'h');
         INSERT INTO categories (id, name) VALUES (1, 'office'), (2, 'lab');",
    )
    .unwrap();
    for (i, (id, b)) in boxes.iter().enumerate() {
        let category = if i % 2 == 0 { "office" } else { "lab" };
        conn.execute(
            "INSERT INTO rooms (id, name, layer, created_by, status, geom, category) \
             VALUES (?1, ?2, 'L1', 1, 'active', ?3, ?4)",
            [*id, &format!("Room {id}"), &polygon(*b), category],
        )
        .unwrap();
    }
    conn.execute(
        "INSERT INTO rooms (id, name, category) VALUES ('r4', NULL, 'lab')",
        [],
    )
    .unwrap();
    conn.execute_batch(
        "INSERT INTO walls (id, room_id) VALUES ('w1', 'r1'), ('w2', 'r3');
         INSERT INTO doors (id, room_id) VALUES ('d1', 'r2');",
    )
    .unwrap();
    assert_rtree_answers(&conn, &boxes, "before");
    let schema_before = snapshot(&migrator, &mut conn).unwrap();
    let rooms_before = rows(&conn, KEPT_COLUMNS);
    let indexes = "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'rooms' AND sql IS NOT NULL";
    assert_eq!(one(&conn, indexes), 18);

    migrator.upgrade(&mut conn, "head").unwrap();
    assert_eq!(migrator.current(&mut conn).unwrap(), ["rooms2"]);

    // The rows, and the rows that reference them.
    assert_eq!(rows(&conn, KEPT_COLUMNS), rooms_before);
    assert_eq!(one(&conn, "SELECT count(*) FROM walls"), 2);
    assert_eq!(one(&conn, "SELECT count(*) FROM doors"), 1);
    assert_eq!(
        one(
            &conn,
            "SELECT count(*) FROM pragma_table_info('rooms') WHERE name = 'layer'"
        ),
        0
    );
    let name_type: String = conn
        .query_row(
            "SELECT type FROM pragma_table_info('rooms') WHERE name = 'name'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(name_type.eq_ignore_ascii_case("text"), "{name_type}");
    // Its indexes, less the one on the dropped column; its CHECK on geom.
    assert_eq!(one(&conn, indexes), 17);
    assert!(conn
        .execute("INSERT INTO rooms (id, geom) VALUES ('bad', '{\"type\":\"Point\",\"coordinates\":[1,1]}')", [])
        .is_err());
    // The new foreign key holds, and the old ones still do.
    assert!(conn
        .execute(
            "INSERT INTO rooms (id, category) VALUES ('r9', 'kitchen')",
            []
        )
        .is_err());
    assert!(conn
        .execute(
            "INSERT INTO rooms (id, created_by, category) VALUES ('r9', 99, 'lab')",
            []
        )
        .is_err());

    // The R*Tree answers as before, and its triggers still keep it right.
    assert_rtree_answers(&conn, &boxes, "after the rebuild");
    boxes.insert("r5", [100, 110, 0, 3]);
    conn.execute(
        "INSERT INTO rooms (id, name, geom, category) VALUES ('r5', 'new', ?1, 'lab')",
        [polygon(boxes["r5"])],
    )
    .unwrap();
    boxes.insert("r2", [250, 260, 1, 2]);
    conn.execute(
        "UPDATE rooms SET geom = ?1 WHERE id = 'r2'",
        [polygon(boxes["r2"])],
    )
    .unwrap();
    boxes.remove("r1");
    conn.execute("DELETE FROM walls WHERE room_id = 'r1'", [])
        .unwrap();
    conn.execute("DELETE FROM rooms WHERE id = 'r1'", [])
        .unwrap();
    assert_rtree_answers(&conn, &boxes, "after writes on the rebuilt table");

    // Down again: the schema is the one before, the R*Tree still right.
    migrator.downgrade(&mut conn, "006").unwrap();
    let differences = diff(&schema_before, &snapshot(&migrator, &mut conn).unwrap());
    assert!(differences.is_empty(), "{differences:#?}");
    assert_eq!(one(&conn, indexes), 18);
    assert_rtree_answers(&conn, &boxes, "after the downgrade");
    let foreign_keys: i64 = one(&conn, "PRAGMA foreign_keys");
    assert_eq!(foreign_keys, 1);
    let problems: i64 = one(&conn, "SELECT count(*) FROM pragma_foreign_key_check");
    assert_eq!(problems, 0);
    let _ = Connection::backend(&conn);
}

#[test]
fn lint_reads_the_alterations_alike_on_both_backends() {
    use arx_migrate::lint::{lint_migrations, Rule};
    let migrator = arx_schema::migrator().unwrap();
    for backend in [arx_migrate::Backend::Sqlite, arx_migrate::Backend::Postgres] {
        let report = lint_migrations(migrator.graph(), backend);
        let rules: Vec<Rule> = report
            .findings
            .iter()
            .filter(|f| f.revision == "rooms2")
            .map(|f| f.rule)
            .collect();
        // What the upgrade destroys is reported; the rebuild is read as the
        // ALTER it stands for (not as SQLite's own ALTER TABLE, which could
        // not make it), and the downgrade is seen to undo it.
        assert!(rules.contains(&Rule::DropColumn), "{backend}: {rules:?}");
        for unwanted in [
            Rule::SqliteUnsupportedAlter,
            Rule::RenderFailed,
            Rule::UnparsedStatement,
            Rule::DowngradeMismatch,
        ] {
            assert!(!rules.contains(&unwanted), "{backend}: {rules:?}");
        }
    }
}
