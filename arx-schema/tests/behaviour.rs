//! What the schema does with rows, on every backend: ON DELETE CASCADE and
//! SET NULL, the JSON and GeoJSON checks (SQLite), the geometry type
//! (PostgreSQL, MariaDB), the SRID check and exact collation (MariaDB), the
//! SQLite R*Tree and the MariaDB spatial side table kept by their triggers,
//! and adopting a database that Alembic brought to `003`.

mod common;

use std::collections::BTreeMap;

use arx_migrate::testing::{mysql_test_url, postgres_test_url, MysqlTestDatabase, PgTestDatabase};
use arx_migrate::{Backend, Connection};
use common::*;

fn exec(conn: &mut dyn Connection, sql: &str) {
    if let Err(error) = conn.execute(sql) {
        panic!("{sql}: {error:?}");
    }
}

fn fails(conn: &mut dyn Connection, sql: &str) -> String {
    match conn.execute(sql) {
        Ok(()) => panic!("accepted, but should have been rejected: {sql}"),
        Err(error) => error.message,
    }
}

fn value(conn: &mut dyn Connection, sql: &str) -> Option<String> {
    let rows = conn.query(sql).unwrap_or_else(|e| panic!("{sql}: {e:?}"));
    assert_eq!(rows.len(), 1, "{sql}");
    rows[0][0].clone()
}

fn count(conn: &mut dyn Connection, sql: &str) -> i64 {
    value(conn, sql).unwrap().parse().unwrap()
}

// ---------------------------------------------------------------------------
// ON DELETE

fn on_delete_behaviour(conn: &mut dyn Connection) {
    let fk_error_fragment = match conn.backend() {
        Backend::Sqlite => "FOREIGN KEY constraint failed",
        Backend::Postgres => "violates foreign key constraint",
        Backend::Mysql => "a foreign key constraint fails",
    };
    exec(
        conn,
        "INSERT INTO users (id, email, username, password_hash) VALUES \
         (1, 'a@x', 'a', 'h'), (2, 'b@x', 'b', 'h'), (3, 'c@x', 'c', 'h'), (4, 'd@x', 'd', 'h')",
    );
    assert_eq!(
        value(conn, "SELECT role FROM users WHERE id = 1").as_deref(),
        Some("user")
    );
    exec(
        conn,
        "INSERT INTO projects (id, name, user_id) VALUES (10, 'p', 1), (11, 'q', 4)",
    );
    exec(
        conn,
        "INSERT INTO buildings (id, name, owner_id, project_id) VALUES (100, 'b', 2, 10)",
    );
    exec(
        conn,
        "INSERT INTO floors (id, name, building_id) VALUES (1000, 'f', 100)",
    );
    exec(
        conn,
        "INSERT INTO drawings (id, name, project_id, svg) VALUES (1, 'd', 10, '<svg/>')",
    );
    exec(conn, "INSERT INTO categories (id, name) VALUES (1, 'c')");
    exec(
        conn,
        "INSERT INTO user_category_permissions (user_id, category_id, project_id) VALUES (2, 1, 10)",
    );
    let can_edit = value(conn, "SELECT can_edit FROM user_category_permissions");
    assert!(
        matches!(can_edit.as_deref(), Some("0") | Some("f")),
        "{can_edit:?}"
    );
    exec(
        conn,
        "INSERT INTO chat_messages (building_id, user_id, message) VALUES (100, 2, 'hi')",
    );

    // users → buildings.owner_id SET NULL; → permissions, chat CASCADE.
    exec(conn, "DELETE FROM users WHERE id = 2");
    assert_eq!(
        value(conn, "SELECT owner_id FROM buildings WHERE id = 100"),
        None
    );
    assert_eq!(
        count(conn, "SELECT count(*) FROM user_category_permissions"),
        0
    );
    assert_eq!(count(conn, "SELECT count(*) FROM chat_messages"), 0);
    assert_eq!(count(conn, "SELECT count(*) FROM buildings"), 1);

    // users → projects → buildings → floors, drawings, chat, permissions.
    exec(
        conn,
        "INSERT INTO user_category_permissions (user_id, category_id, project_id) VALUES (4, 1, 10)",
    );
    exec(
        conn,
        "INSERT INTO chat_messages (building_id, user_id, message) VALUES (100, 4, 'hi')",
    );
    exec(conn, "DELETE FROM users WHERE id = 1");
    for table in [
        "projects WHERE id = 10",
        "buildings",
        "floors",
        "drawings",
        "chat_messages",
    ] {
        assert_eq!(
            count(conn, &format!("SELECT count(*) FROM {table}")),
            0,
            "{table}"
        );
    }
    assert_eq!(
        count(conn, "SELECT count(*) FROM user_category_permissions"),
        0
    );
    assert_eq!(count(conn, "SELECT count(*) FROM categories"), 1);

    // categories → permissions CASCADE.
    exec(
        conn,
        "INSERT INTO user_category_permissions (user_id, category_id, project_id) VALUES (4, 1, 11)",
    );
    exec(conn, "DELETE FROM categories WHERE id = 1");
    assert_eq!(
        count(conn, "SELECT count(*) FROM user_category_permissions"),
        0
    );

    // The composite UNIQUE.
    exec(conn, "INSERT INTO categories (id, name) VALUES (2, 'e')");
    exec(
        conn,
        "INSERT INTO user_category_permissions (user_id, category_id, project_id) VALUES (4, 2, 11)",
    );
    fails(
        conn,
        "INSERT INTO user_category_permissions (user_id, category_id, project_id) VALUES (4, 2, 11)",
    );

    // No ON DELETE clause: the delete is refused.
    exec(conn, "INSERT INTO rooms (id, created_by) VALUES ('r1', 3)");
    let message = fails(conn, "DELETE FROM users WHERE id = 3");
    assert!(message.contains(fk_error_fragment), "{message}");
    exec(conn, "DELETE FROM rooms");
    exec(
        conn,
        "INSERT INTO comments (object_type, object_id, user_id, content) VALUES ('room', 'r1', 3, 'x')",
    );
    let message = fails(conn, "DELETE FROM users WHERE id = 3");
    assert!(message.contains(fk_error_fragment), "{message}");
    // A missing parent is refused too.
    let message = fails(
        conn,
        "INSERT INTO walls (id, room_id) VALUES ('w1', 'nope')",
    );
    assert!(message.contains(fk_error_fragment), "{message}");
}

#[test]
fn sqlite_on_delete_cascade_and_set_null() {
    let (_dir, mut conn) = sqlite_db();
    arx_schema::migrate_to_head(&mut conn).unwrap();
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    on_delete_behaviour(&mut conn);
}

#[test]
fn postgres_on_delete_cascade_and_set_null() {
    let Some(url) = postgres_test_url("postgres_on_delete_cascade_and_set_null") else {
        return;
    };
    let db = PgTestDatabase::create(&url).unwrap();
    let mut client = db.connect().unwrap();
    arx_schema::migrate_to_head(&mut client).unwrap();
    on_delete_behaviour(&mut client);
}

// ---------------------------------------------------------------------------
// Checks

#[test]
fn sqlite_rejects_bad_json_and_bad_geojson() {
    let (_dir, mut conn) = sqlite_db();
    arx_schema::migrate_to_head(&mut conn).unwrap();
    let c: &mut dyn Connection = &mut conn;
    let history = |v: &str| {
        format!(
            "INSERT INTO object_history (object_type, object_id, change_type, change_data) VALUES ('room', 'r1', 'edit', {v})"
        )
    };
    exec(c, &history("'{\"a\": 1}'"));
    exec(c, &history("NULL"));
    fails(c, &history("'{bad'"));
    fails(c, &history("'not json'"));
    exec(c, "INSERT INTO audit_logs (payload) VALUES ('[1, 2]')");
    fails(c, "INSERT INTO audit_logs (payload) VALUES ('[1, 2')");
    exec(
        c,
        "INSERT INTO catalog_items (make, model, specs) VALUES ('m', 'n', '{}')",
    );
    fails(
        c,
        "INSERT INTO catalog_items (make, model, specs) VALUES ('m', 'n', '{')",
    );
    fails(c, "UPDATE catalog_items SET specs = 'x'");

    let square = r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}"#;
    let point = r#"{"type":"Point","coordinates":[1,2]}"#;
    let line = r#"{"type":"LineString","coordinates":[[0,0],[3,4]]}"#;
    let insert = |table: &str, id: &str, geom: &str| {
        format!("INSERT INTO {table} (id, geom) VALUES ('{id}', {geom})")
    };
    exec(c, &insert("rooms", "r1", &format!("'{square}'")));
    exec(c, &insert("rooms", "r2", "NULL"));
    fails(c, &insert("rooms", "r3", "'not json'"));
    fails(c, &insert("rooms", "r4", &format!("'{point}'")));
    fails(c, &insert("rooms", "r5", r#"'{"coordinates":[[[0,0]]]}'"#));
    // Valid JSON that is no geometry at all (the spec's `=` would let these in).
    fails(c, &insert("rooms", "r6", "'{}'"));
    fails(c, &insert("rooms", "r7", "'[1, 2]'"));
    fails(c, &insert("rooms", "r8", "'42'"));
    fails(
        c,
        &insert("rooms", "r9", r#"'{"type":"polygon","coordinates":[]}'"#),
    );
    fails(
        c,
        "UPDATE rooms SET geom = '{\"type\":\"Polygon\"' WHERE id = 'r1'",
    );
    exec(c, &insert("doors", "d1", &format!("'{point}'")));
    fails(c, &insert("doors", "d2", &format!("'{square}'")));
    exec(c, &insert("walls", "w1", &format!("'{line}'")));
    fails(c, &insert("walls", "w2", &format!("'{point}'")));
    exec(c, &insert("windows", "n1", &format!("'{line}'")));
    exec(c, &insert("devices", "v1", &format!("'{point}'")));
    exec(c, &insert("labels", "l1", &format!("'{point}'")));
    exec(c, &insert("zones", "z1", &format!("'{square}'")));
    fails(c, &insert("zones", "z2", &format!("'{line}'")));
    // The primary key is NOT NULL, as on PostgreSQL.
    fails(c, "INSERT INTO rooms (id) VALUES (NULL)");
}

#[test]
fn postgres_rejects_the_wrong_geometry_type() {
    let Some(url) = postgres_test_url("postgres_rejects_the_wrong_geometry_type") else {
        return;
    };
    let db = PgTestDatabase::create(&url).unwrap();
    let mut client = db.connect().unwrap();
    arx_schema::migrate_to_head(&mut client).unwrap();
    let c: &mut dyn Connection = &mut client;
    let g = |wkt: &str, srid: u32| format!("ST_GeomFromText('{wkt}', {srid})");
    let square = "POLYGON((0 0, 1 0, 1 1, 0 1, 0 0))";
    let insert = |table: &str, id: &str, geom: &str| {
        format!("INSERT INTO {table} (id, geom) VALUES ('{id}', {geom})")
    };
    exec(c, &insert("rooms", "r1", &g(square, 4326)));
    let message = fails(c, &insert("rooms", "r2", &g("POINT(1 2)", 4326)));
    assert!(message.contains("Geometry type"), "{message}");
    let message = fails(c, &insert("rooms", "r3", &g(square, 3857)));
    assert!(message.to_lowercase().contains("srid"), "{message}");
    exec(c, &insert("doors", "d1", &g("POINT(1 2)", 4326)));
    fails(c, &insert("doors", "d2", &g("LINESTRING(0 0, 1 1)", 4326)));
    exec(c, &insert("walls", "w1", &g("LINESTRING(0 0, 1 1)", 4326)));
    fails(c, &insert("walls", "w2", &g(square, 4326)));
    exec(c, &insert("zones", "z1", &g(square, 4326)));
    fails(c, &insert("labels", "l1", &g(square, 4326)));
    fails(c, "INSERT INTO audit_logs (payload) VALUES ('{bad')");
    // The GIST index answers a bounding-box query.
    let found = value(
        c,
        "SELECT string_agg(id, ',') FROM rooms WHERE geom && ST_MakeEnvelope(0.5, 0.5, 2, 2, 4326)",
    );
    assert_eq!(found.as_deref(), Some("r1"));
}

// ---------------------------------------------------------------------------
// The SQLite R*Tree

type BBox = [i64; 4]; // minx, maxx, miny, maxy

fn polygon(b: BBox) -> String {
    let [x0, x1, y0, y1] = b;
    format!(
        r#"{{"type":"Polygon","coordinates":[[[{x0},{y0}],[{x1},{y0}],[{x1},{y1}],[{x0},{y1}],[{x0},{y0}]]]}}"#
    )
}

/// The ids the R*Tree gives for `query`.
fn rtree_ids(conn: &rusqlite::Connection, index: &str, query: BBox) -> Vec<String> {
    let [x0, x1, y0, y1] = query;
    let mut stmt = conn
        .prepare(&format!(
            "SELECT obj_id FROM {index} WHERE maxx >= ?1 AND minx <= ?2 AND maxy >= ?3 AND miny <= ?4 ORDER BY obj_id"
        ))
        .unwrap();
    stmt.query_map([x0, x1, y0, y1], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

/// The ids whose box meets `query`, from the test's own record.
fn model_ids(model: &BTreeMap<String, BBox>, query: BBox) -> Vec<String> {
    let [x0, x1, y0, y1] = query;
    model
        .iter()
        .filter(|(_, b)| b[1] >= x0 && b[0] <= x1 && b[3] >= y0 && b[2] <= y1)
        .map(|(id, _)| id.clone())
        .collect()
}

fn check_rtree(conn: &rusqlite::Connection, model: &BTreeMap<String, BBox>, stage: &str) {
    let queries: [BBox; 6] = [
        [0, 1000, 0, 1000],
        [0, 0, 0, 0],
        [12, 38, 7, 26],
        [100, 150, 40, 60],
        [-50, -1, -50, -1],
        [55, 55, 55, 55],
    ];
    for q in queries {
        assert_eq!(
            rtree_ids(conn, "idx_rooms_geom", q),
            model_ids(model, q),
            "{stage}: query {q:?}"
        );
    }
    // No stale entries: one per object with a geometry, in the R*Tree and
    // in its map, each with the right box.
    let n: i64 = conn
        .query_row("SELECT count(*) FROM idx_rooms_geom", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n as usize, model.len(), "{stage}: R*Tree entries");
    let n: i64 = conn
        .query_row("SELECT count(*) FROM idx_rooms_geom_map", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n as usize, model.len(), "{stage}: map entries");
    let mut stmt = conn
        .prepare("SELECT obj_id, minx, maxx, miny, maxy FROM idx_rooms_geom")
        .unwrap();
    let stored: BTreeMap<String, BBox> = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                [
                    r.get::<_, f64>(1)? as i64,
                    r.get::<_, f64>(2)? as i64,
                    r.get::<_, f64>(3)? as i64,
                    r.get::<_, f64>(4)? as i64,
                ],
            ))
        })
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(&stored, model, "{stage}: stored boxes");
}

#[test]
fn sqlite_rtree_finds_exactly_the_right_rows() {
    let (_dir, mut conn) = sqlite_db();
    arx_schema::migrate_to_head(&mut conn).unwrap();
    let mut model: BTreeMap<String, BBox> = BTreeMap::new();
    let grid = |i: i64| -> BBox {
        let (x, y) = ((i % 20) * 10, (i / 20) * 10);
        [x, x + 5, y, y + 5]
    };

    // Inserts; every 17th row without a geometry.
    for i in 0..200 {
        let id = format!("r{i:03}");
        if i % 17 == 0 {
            conn.execute("INSERT INTO rooms (id, name) VALUES (?1, 'x')", [&id])
                .unwrap();
        } else {
            conn.execute(
                "INSERT INTO rooms (id, name, geom) VALUES (?1, 'x', ?2)",
                [&id, &polygon(grid(i))],
            )
            .unwrap();
            model.insert(id, grid(i));
        }
    }
    check_rtree(&conn, &model, "after inserts");

    // Updates: move some, rename some (no geometry change), give a
    // geometry to rows without one, take it from others, change ids.
    for i in (1..200).step_by(7) {
        let id = format!("r{i:03}");
        let b = [i, i + 3, 50 - i / 4, 50 - i / 4 + 2];
        conn.execute(
            "UPDATE rooms SET geom = ?2 WHERE id = ?1",
            [&id, &polygon(b)],
        )
        .unwrap();
        model.insert(id, b);
    }
    conn.execute("UPDATE rooms SET name = 'renamed' WHERE id LIKE 'r1%'", [])
        .unwrap();
    conn.execute(
        "UPDATE rooms SET geom = ?1 WHERE id = 'r017'",
        [&polygon([55, 56, 55, 56])],
    )
    .unwrap();
    model.insert("r017".into(), [55, 56, 55, 56]);
    for id in ["r003", "r004"] {
        conn.execute("UPDATE rooms SET geom = NULL WHERE id = ?1", [id])
            .unwrap();
        model.remove(id);
    }
    for (old, new) in [("r010", "x010"), ("r011", "x011"), ("r034", "x034")] {
        conn.execute("UPDATE rooms SET id = ?2 WHERE id = ?1", [old, new])
            .unwrap();
        if let Some(b) = model.remove(old) {
            model.insert(new.into(), b);
        }
    }
    check_rtree(&conn, &model, "after updates");

    // Deletes, one by one and in bulk.
    conn.execute("DELETE FROM rooms WHERE id = 'r005'", [])
        .unwrap();
    model.remove("r005");
    conn.execute("DELETE FROM rooms WHERE id BETWEEN 'r100' AND 'r149'", [])
        .unwrap();
    model.retain(|id, _| !(id.as_str() >= "r100" && id.as_str() <= "r149"));
    check_rtree(&conn, &model, "after deletes");

    // INSERT OR REPLACE (no DELETE trigger fires) and UPSERT.
    conn.execute(
        "INSERT OR REPLACE INTO rooms (id, geom) VALUES ('r020', ?1)",
        [&polygon([-20, -10, -20, -10])],
    )
    .unwrap();
    model.insert("r020".into(), [-20, -10, -20, -10]);
    conn.execute(
        "INSERT INTO rooms (id, geom) VALUES ('r021', ?1) ON CONFLICT (id) DO UPDATE SET geom = excluded.geom",
        [&polygon([300, 310, 300, 310])],
    )
    .unwrap();
    model.insert("r021".into(), [300, 310, 300, 310]);
    check_rtree(&conn, &model, "after replace and upsert");

    // VACUUM may renumber the rowids of tables without an INTEGER PRIMARY
    // KEY; the R*Tree must not care.
    conn.execute_batch("VACUUM").unwrap();
    check_rtree(&conn, &model, "after VACUUM");
    for i in 200..230 {
        let id = format!("r{i:03}");
        conn.execute(
            "INSERT INTO rooms (id, geom) VALUES (?1, ?2)",
            [&id, &polygon(grid(i))],
        )
        .unwrap();
        model.insert(id, grid(i));
    }
    conn.execute("DELETE FROM rooms WHERE id IN ('r001', 'r199', 'x010')", [])
        .unwrap();
    for id in ["r001", "r199", "x010"] {
        model.remove(id);
    }
    conn.execute_batch("VACUUM").unwrap();
    check_rtree(&conn, &model, "after writes and a second VACUUM");

    // What VACUUM is allowed to do, done by hand: renumber every rowid of
    // the base table without firing a trigger (the UPDATE trigger is on
    // `id` and `geom` only). An index keyed on rowids would now point at
    // the wrong rows; later writes must still find their own entries.
    conn.execute_batch("UPDATE rooms SET rowid = 1000000 - rowid")
        .unwrap();
    check_rtree(&conn, &model, "after renumbering rowids");
    conn.execute(
        "UPDATE rooms SET geom = ?1 WHERE id = 'r002'",
        [&polygon([70, 71, 70, 71])],
    )
    .unwrap();
    model.insert("r002".into(), [70, 71, 70, 71]);
    conn.execute("DELETE FROM rooms WHERE id IN ('r006', 'r200')", [])
        .unwrap();
    model.remove("r006");
    model.remove("r200");
    check_rtree(&conn, &model, "after writes on renumbered rows");

    // Every base row with a geometry has exactly its entry.
    let orphaned: i64 = conn
        .query_row(
            "SELECT count(*) FROM idx_rooms_geom g WHERE NOT EXISTS \
             (SELECT 1 FROM rooms r WHERE r.id = g.obj_id AND r.geom IS NOT NULL)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(orphaned, 0);
}

#[test]
fn sqlite_rtree_boxes_points_and_lines() {
    let (_dir, mut conn) = sqlite_db();
    arx_schema::migrate_to_head(&mut conn).unwrap();
    conn.execute_batch(
        r#"INSERT INTO doors (id, geom) VALUES ('d1', '{"type":"Point","coordinates":[3,4]}'),
                                               ('d2', '{"type":"Point","coordinates":[30.5,-4.25]}');
           INSERT INTO walls (id, geom) VALUES ('w1', '{"type":"LineString","coordinates":[[0,0],[10,5],[-2,7]]}');
           INSERT INTO devices (id, geom) VALUES ('v1', '{"type":"Point","coordinates":[1,1,9]}');"#,
    )
    .unwrap();
    let boxes = |index: &str| -> Vec<(String, [f64; 4])> {
        let mut stmt = conn
            .prepare(&format!(
                "SELECT obj_id, minx, maxx, miny, maxy FROM {index} ORDER BY obj_id"
            ))
            .unwrap();
        stmt.query_map([], |r| {
            Ok((r.get(0)?, [r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?]))
        })
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
    };
    assert_eq!(
        boxes("idx_doors_geom"),
        [
            ("d1".to_string(), [3.0, 3.0, 4.0, 4.0]),
            ("d2".to_string(), [30.5, 30.5, -4.25, -4.25])
        ]
    );
    assert_eq!(
        boxes("idx_walls_geom"),
        [("w1".to_string(), [-2.0, 10.0, 0.0, 7.0])]
    );
    // A third ordinate (z) is not part of the box.
    assert_eq!(
        boxes("idx_devices_geom"),
        [("v1".to_string(), [1.0, 1.0, 1.0, 1.0])]
    );
    assert_eq!(rtree_ids(&conn, "idx_doors_geom", [0, 5, 0, 5]), ["d1"]);
    assert!(rtree_ids(&conn, "idx_labels_geom", [-1000, 1000, -1000, 1000]).is_empty());
}

// ---------------------------------------------------------------------------
// Adopting an Alembic database at 003

fn adopt_003(conn: &mut dyn Connection) {
    let migrator = arx_schema::migrator().unwrap();
    migrator.upgrade(conn, "003").unwrap();
    // What Alembic leaves: its version table at 003 and the 003 tables,
    // no history table of ours.
    exec(conn, "DROP TABLE arx_migrate_history");
    assert_eq!(
        value(conn, "SELECT version_num FROM alembic_version").as_deref(),
        Some("003")
    );

    let report = arx_schema::migrate_to_head(conn).unwrap();
    let applied: Vec<&str> = report.steps.iter().map(|s| s.revision.as_str()).collect();
    assert_eq!(applied, ["004", "005", "006"]);
    assert_eq!(report.heads_before, ["003"]);
    assert_eq!(report.heads_after, ["006"]);
    assert_eq!(count(conn, "SELECT count(*) FROM alembic_version"), 1);
    assert_eq!(
        value(conn, "SELECT version_num FROM alembic_version").as_deref(),
        Some("006")
    );
}

#[test]
fn sqlite_adopts_an_alembic_database_at_003() {
    let (_dir, mut conn) = sqlite_db();
    adopt_003(&mut conn);
    assert_schema_eq(
        &sqlite_schema(&conn),
        &expected(6, Backend::Sqlite),
        "adopted",
    );
}

#[test]
fn postgres_adopts_an_alembic_database_at_003() {
    let Some(url) = postgres_test_url("postgres_adopts_an_alembic_database_at_003") else {
        return;
    };
    let db = PgTestDatabase::create(&url).unwrap();
    let mut client = db.connect().unwrap();
    adopt_003(&mut client);
    assert_schema_eq(
        &pg_schema(&mut client),
        &expected(6, Backend::Postgres),
        "adopted",
    );
}

#[test]
fn mysql_adopts_an_alembic_database_at_003() {
    let Some(db) = mysql_db("mysql_adopts_an_alembic_database_at_003") else {
        return;
    };
    let mut conn = db.connect().unwrap();
    adopt_003(&mut conn);
    assert_schema_eq(
        &mysql_schema(&mut conn),
        &expected(6, Backend::Mysql),
        "adopted",
    );
}

// ---------------------------------------------------------------------------
// MariaDB

fn mysql_db(test: &str) -> Option<MysqlTestDatabase> {
    mysql_test_url(test).map(|url| MysqlTestDatabase::create(&url).unwrap())
}

/// A migrated MariaDB database, or none when the tests have no server.
fn mysql_at_head(test: &str) -> Option<(MysqlTestDatabase, arx_migrate::mysql::Conn)> {
    let db = mysql_db(test)?;
    let mut conn = db.connect().unwrap();
    arx_schema::migrate_to_head(&mut conn).unwrap();
    Some((db, conn))
}

#[test]
fn mysql_on_delete_cascade_and_set_null() {
    let Some((_db, mut conn)) = mysql_at_head("mysql_on_delete_cascade_and_set_null") else {
        return;
    };
    on_delete_behaviour(&mut conn);
}

#[test]
fn mysql_rejects_bad_json_the_wrong_geometry_type_and_srid() {
    let Some((_db, mut conn)) =
        mysql_at_head("mysql_rejects_bad_json_the_wrong_geometry_type_and_srid")
    else {
        return;
    };
    let c: &mut dyn Connection = &mut conn;
    exec(
        c,
        "INSERT INTO object_history (object_type, object_id, change_type, change_data) VALUES ('room', 'r1', 'edit', '{\"a\": 1}')",
    );
    exec(
        c,
        "INSERT INTO object_history (object_type, object_id, change_type, change_data) VALUES ('room', 'r1', 'edit', NULL)",
    );
    let message = fails(
        c,
        "INSERT INTO object_history (object_type, object_id, change_type, change_data) VALUES ('room', 'r1', 'edit', '{bad')",
    );
    assert!(message.contains("CONSTRAINT"), "{message}");
    fails(c, "INSERT INTO audit_logs (payload) VALUES ('[1, 2')");
    fails(
        c,
        "INSERT INTO catalog_items (make, model, specs) VALUES ('m', 'n', '{')",
    );

    let g = |wkt: &str, srid: u32| format!("ST_GeomFromText('{wkt}', {srid})");
    let square = "POLYGON((0 0, 1 0, 1 1, 0 1, 0 0))";
    let insert = |table: &str, id: &str, geom: &str| {
        format!("INSERT INTO {table} (id, geom) VALUES ('{id}', {geom})")
    };
    exec(c, &insert("rooms", "r1", &g(square, 4326)));
    exec(c, &insert("rooms", "r2", "NULL"));
    // MariaDB records the column's SRID but would store any: the CHECK
    // refuses another SRID, and a geometry without one (SRID 0).
    let message = fails(c, &insert("rooms", "r3", &g(square, 3857)));
    assert!(message.contains("geom"), "{message}");
    fails(
        c,
        &insert("rooms", "r4", &format!("ST_GeomFromText('{square}')")),
    );
    fails(c, "UPDATE rooms SET geom = ST_GeomFromText('POLYGON((0 0, 2 0, 2 2, 0 0))', 0) WHERE id = 'r1'");
    // The column type refuses another geometry type.
    fails(c, &insert("rooms", "r5", &g("POINT(1 2)", 4326)));
    exec(c, &insert("doors", "d1", &g("POINT(1 2)", 4326)));
    fails(c, &insert("doors", "d2", &g("LINESTRING(0 0, 1 1)", 4326)));
    exec(c, &insert("walls", "w1", &g("LINESTRING(0 0, 1 1)", 4326)));
    fails(c, &insert("walls", "w2", &g(square, 4326)));
    exec(c, &insert("zones", "z1", &g(square, 4326)));
    fails(c, &insert("labels", "l1", &g(square, 4326)));
    fails(c, "INSERT INTO rooms (id) VALUES (NULL)");
}

#[test]
fn mysql_compares_text_exactly() {
    let Some((_db, mut conn)) = mysql_at_head("mysql_compares_text_exactly") else {
        return;
    };
    let c: &mut dyn Connection = &mut conn;
    exec(
        c,
        "INSERT INTO users (email, username, password_hash) VALUES ('a@x', 'a', 'h')",
    );
    // The default collations would call these duplicates of 'a@x' / 'a'.
    exec(
        c,
        "INSERT INTO users (email, username, password_hash) VALUES ('A@X', 'A', 'h')",
    );
    exec(
        c,
        "INSERT INTO users (email, username, password_hash) VALUES ('a@x ', 'a ', 'h')",
    );
    fails(
        c,
        "INSERT INTO users (email, username, password_hash) VALUES ('a@x', 'b', 'h')",
    );
    assert_eq!(
        count(c, "SELECT count(*) FROM users WHERE email = 'a@x'"),
        1
    );
    // Timestamps keep microseconds; LONGTEXT holds more than TEXT's 64 KB.
    assert_eq!(
        count(
            c,
            "SELECT count(*) FROM users WHERE created_at LIKE '%.______'"
        ),
        3
    );
    exec(
        c,
        "INSERT INTO drawings (name, svg) VALUES ('big', REPEAT('x', 100000))",
    );
    assert_eq!(
        count(c, "SELECT length(svg) FROM drawings WHERE name = 'big'"),
        100000
    );
}

/// The ids the side table `index` gives for the box (x0, y0)–(x1, y1),
/// through its SPATIAL index.
fn side_ids(c: &mut dyn Connection, index: &str, b: BBox) -> Vec<String> {
    let [x0, x1, y0, y1] = b;
    let rows = c
        .query(&format!(
            "SELECT id FROM {index} FORCE INDEX ({index}) WHERE MBRIntersects(geom, \
             ST_GeomFromText('POLYGON(({x0} {y0}, {x1} {y0}, {x1} {y1}, {x0} {y1}, {x0} {y0}))', 4326)) \
             ORDER BY id"
        ))
        .unwrap();
    rows.into_iter().map(|r| r[0].clone().unwrap()).collect()
}

fn wkt_polygon(b: BBox) -> String {
    let [x0, x1, y0, y1] = b;
    format!(
        "ST_GeomFromText('POLYGON(({x0} {y0}, {x1} {y0}, {x1} {y1}, {x0} {y1}, {x0} {y0}))', 4326)"
    )
}

#[test]
fn mysql_spatial_side_table_is_kept_by_its_triggers() {
    let Some((_db, mut conn)) = mysql_at_head("mysql_spatial_side_table_is_kept_by_its_triggers")
    else {
        return;
    };
    let c: &mut dyn Connection = &mut conn;
    let all = [-1000, 1000, -1000, 1000];
    // Insert: rows with a geometry are indexed, rows without are not.
    exec(
        c,
        &format!(
            "INSERT INTO rooms (id, geom) VALUES ('a', {}), ('b', {}), ('n', NULL)",
            wkt_polygon([0, 1, 0, 1]),
            wkt_polygon([10, 11, 10, 11])
        ),
    );
    assert_eq!(side_ids(c, "idx_rooms_geom", all), ["a", "b"]);
    assert_eq!(side_ids(c, "idx_rooms_geom", [0, 2, 0, 2]), ["a"]);
    assert_eq!(count(c, "SELECT count(*) FROM idx_rooms_geom"), 2);
    // Update of geom: moved; to NULL: removed; from NULL: added.
    exec(
        c,
        &format!(
            "UPDATE rooms SET geom = {} WHERE id = 'a'",
            wkt_polygon([20, 21, 20, 21])
        ),
    );
    assert_eq!(
        side_ids(c, "idx_rooms_geom", [0, 2, 0, 2]),
        Vec::<String>::new()
    );
    assert_eq!(side_ids(c, "idx_rooms_geom", [19, 22, 19, 22]), ["a"]);
    exec(c, "UPDATE rooms SET geom = NULL WHERE id = 'b'");
    exec(
        c,
        &format!(
            "UPDATE rooms SET geom = {} WHERE id = 'n'",
            wkt_polygon([5, 6, 5, 6])
        ),
    );
    assert_eq!(side_ids(c, "idx_rooms_geom", all), ["a", "n"]);
    // An update that leaves geom alone keeps the entry.
    exec(c, "UPDATE rooms SET name = 'kept' WHERE id = 'n'");
    assert_eq!(side_ids(c, "idx_rooms_geom", [4, 7, 4, 7]), ["n"]);
    // A changed id is followed (ON UPDATE CASCADE and the update trigger).
    exec(c, "UPDATE rooms SET id = 'n2' WHERE id = 'n'");
    assert_eq!(side_ids(c, "idx_rooms_geom", all), ["a", "n2"]);
    // Delete: the entry goes (ON DELETE CASCADE), also through REPLACE.
    exec(c, "DELETE FROM rooms WHERE id = 'a'");
    assert_eq!(side_ids(c, "idx_rooms_geom", all), ["n2"]);
    exec(
        c,
        &format!(
            "REPLACE INTO rooms (id, geom) VALUES ('n2', {})",
            wkt_polygon([30, 31, 30, 31])
        ),
    );
    assert_eq!(side_ids(c, "idx_rooms_geom", [29, 32, 29, 32]), ["n2"]);
    assert_eq!(count(c, "SELECT count(*) FROM idx_rooms_geom"), 1);
    // Points and lines, in their own side tables.
    exec(
        c,
        "INSERT INTO doors (id, geom) VALUES ('d', ST_GeomFromText('POINT(3 4)', 4326))",
    );
    exec(
        c,
        "INSERT INTO walls (id, geom) VALUES ('w', ST_GeomFromText('LINESTRING(0 0, 3 4)', 4326))",
    );
    assert_eq!(side_ids(c, "idx_doors_geom", [2, 5, 3, 5]), ["d"]);
    assert_eq!(
        side_ids(c, "idx_doors_geom", [0, 1, 0, 1]),
        Vec::<String>::new()
    );
    assert_eq!(side_ids(c, "idx_walls_geom", [2, 5, 3, 5]), ["w"]);
    // The BIM tables reference projects without ON DELETE: deleting the
    // user whose project cascades into a room is refused, and the index is
    // unchanged.
    exec(
        c,
        "INSERT INTO users (id, email, username, password_hash) VALUES (1, 'a', 'a', 'h')",
    );
    exec(
        c,
        "INSERT INTO projects (id, name, user_id) VALUES (1, 'p', 1)",
    );
    exec(c, "UPDATE rooms SET project_id = 1 WHERE id = 'n2'");
    fails(c, "DELETE FROM users WHERE id = 1");
    assert_eq!(count(c, "SELECT count(*) FROM idx_rooms_geom"), 1);
    // The side table agrees with the base table, row for row.
    for table in ["rooms", "doors", "walls"] {
        let differ = count(
            c,
            &format!(
                "SELECT count(*) FROM {table} t LEFT JOIN idx_{table}_geom i ON i.id = t.id \
                 WHERE NOT ((t.geom IS NULL AND i.id IS NULL) OR ST_Equals(t.geom, i.geom))"
            ),
        );
        assert_eq!(differ, 0, "{table} and its side table");
    }
}

/// On MariaDB a downgrade drops tables only (their indexes, triggers and
/// checks go with them; InnoDB refuses to drop an index a foreign key
/// needs), newest first: the reverse of the order the upgrade created them.
#[test]
fn mysql_downgrades_drop_tables_newest_first() {
    let migrator = arx_schema::migrator().unwrap();
    for rev in ["001", "002", "003", "004", "005", "006"] {
        let migration = migrator.graph().get(rev).unwrap();
        let up = arx_migrate::render(
            &**migration,
            Backend::Mysql,
            arx_migrate::Direction::Upgrade,
        )
        .into_result()
        .unwrap();
        let down = arx_migrate::render(
            &**migration,
            Backend::Mysql,
            arx_migrate::Direction::Downgrade,
        )
        .into_result()
        .unwrap();
        let created: Vec<String> = up
            .iter()
            .filter_map(|sql| sql.strip_prefix("CREATE TABLE "))
            .map(|rest| {
                rest.split([' ', '('])
                    .next()
                    .unwrap()
                    .trim_matches('`')
                    .to_string()
            })
            .collect();
        let dropped: Vec<String> = down
            .iter()
            .map(|sql| {
                let table = sql
                    .strip_prefix("DROP TABLE ")
                    .unwrap_or_else(|| panic!("{rev} downgrade runs {sql}"));
                table.trim_matches('`').to_string()
            })
            .collect();
        let mut newest_first = created.clone();
        newest_first.reverse();
        assert_eq!(dropped, newest_first, "revision {rev}");
        assert!(!created.is_empty(), "revision {rev}");
    }
}
