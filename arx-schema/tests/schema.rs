//! The exact schema, read back from the database after every revision and
//! compared with the spec, on both backends; the stairway (up, down, up at
//! every revision); downgrade to base.

mod common;

use arx_migrate::testing::{mysql_test_url, postgres_test_url, MysqlTestDatabase, PgTestDatabase};
use arx_migrate::Backend;
use common::*;

const REVISIONS: [&str; 6] = ["001", "002", "003", "004", "005", "006"];

fn current(m: &arx_migrate::Migrator, conn: &mut dyn arx_migrate::Connection) -> Vec<String> {
    m.current(conn).unwrap()
}

/// Runs the stairway with `read` reading the schema back.
fn stairway<C: arx_migrate::Connection>(
    conn: &mut C,
    backend: Backend,
    read: impl Fn(&mut C) -> Schema,
) {
    let m = arx_schema::migrator().unwrap();
    assert_eq!(m.store_config().version_table, "alembic_version");
    assert_schema_eq(&read(conn), &expected(0, backend), "empty database");
    for (i, rev) in REVISIONS.iter().enumerate() {
        let n = i + 1;
        let report = m.upgrade(conn, "+1").unwrap();
        assert_eq!(report.steps.len(), 1);
        assert_eq!(report.steps[0].revision, *rev);
        assert_eq!(current(&m, conn), [*rev]);
        assert_schema_eq(
            &read(conn),
            &expected(n, backend),
            &format!("after upgrade to {rev}"),
        );

        m.downgrade(conn, "-1").unwrap();
        let below: Vec<String> = if n == 1 {
            vec![]
        } else {
            vec![REVISIONS[i - 1].to_string()]
        };
        assert_eq!(current(&m, conn), below);
        assert_schema_eq(
            &read(conn),
            &expected(n - 1, backend),
            &format!("after downgrade from {rev}"),
        );

        m.upgrade(conn, "+1").unwrap();
        assert_schema_eq(
            &read(conn),
            &expected(n, backend),
            &format!("after upgrade to {rev} again"),
        );
    }
    let at_head = read(conn);
    assert_head_counts(&at_head, backend);

    m.downgrade(conn, "base").unwrap();
    assert!(current(&m, conn).is_empty());
    assert_schema_eq(
        &read(conn),
        &expected(0, backend),
        "after downgrade to base",
    );
}

fn assert_head_counts(schema: &Schema, backend: Backend) {
    assert_eq!(schema.tables.len(), 20, "tables at head");
    assert_eq!(schema.indexes.len(), 186, "named indexes at head");
    assert_eq!(schema.spatial_count(), 7, "spatial indexes at head");
    // MariaDB has neither partial nor covering (INCLUDE) indexes: the spec's
    // MariaDB table gives full indexes for them.
    let (partial, covering) = match backend {
        Backend::Postgres => (14, 3),
        Backend::Sqlite => (14, 0),
        Backend::Mysql => (0, 0),
    };
    assert_eq!(schema.partial_count(), partial, "partial indexes at head");
    assert_eq!(
        schema.covering_count(),
        covering,
        "covering indexes at head"
    );
}

#[test]
fn spec_description_has_the_spec_totals() {
    for backend in [Backend::Sqlite, Backend::Postgres, Backend::Mysql] {
        let head = expected(6, backend);
        assert_head_counts(&head, backend);
        let per_revision: Vec<usize> = (1..=6)
            .map(|r| expected(r, backend).indexes.len() - expected(r - 1, backend).indexes.len())
            .collect();
        assert_eq!(per_revision, [2, 7, 19, 57, 57, 44]);
    }
}

#[test]
fn sqlite_stairway_matches_the_spec_at_every_revision() {
    let (_dir, mut conn) = sqlite_db();
    stairway(&mut conn, Backend::Sqlite, |c| sqlite_schema(c));
    assert_sqlite_base(&conn);
}

#[test]
fn sqlite_upgrade_head_in_one_run_matches_the_spec() {
    let (_dir, mut conn) = sqlite_db();
    let report = arx_schema::migrate_to_head(&mut conn).unwrap();
    let applied: Vec<&str> = report.steps.iter().map(|s| s.revision.as_str()).collect();
    assert_eq!(applied, REVISIONS);
    let schema = sqlite_schema(&conn);
    assert_schema_eq(&schema, &expected(6, Backend::Sqlite), "at head");
    assert_head_counts(&schema, Backend::Sqlite);
    // Declared types are the conventional names, not sea-query's.
    let types: Vec<String> = conn
        .prepare("SELECT DISTINCT p.type FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' AND m.sql NOT LIKE '%VIRTUAL%' ORDER BY 1")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    for ty in &types {
        assert!(!ty.contains("_text"), "sea-query type name {ty} declared");
    }
    // A second run is a no-op.
    assert!(arx_schema::migrate_to_head(&mut conn)
        .unwrap()
        .steps
        .is_empty());
}

#[test]
fn postgres_stairway_matches_the_spec_at_every_revision() {
    let Some(url) = postgres_test_url("postgres_stairway_matches_the_spec_at_every_revision")
    else {
        return;
    };
    let db = PgTestDatabase::create(&url).unwrap();
    let mut client = db.connect().unwrap();
    stairway(&mut client, Backend::Postgres, pg_schema);
    assert_pg_base(&mut client);
}

#[test]
fn postgres_upgrade_head_in_one_run_matches_the_spec() {
    let Some(url) = postgres_test_url("postgres_upgrade_head_in_one_run_matches_the_spec") else {
        return;
    };
    let db = PgTestDatabase::create(&url).unwrap();
    let mut client = db.connect().unwrap();
    let report = arx_schema::migrate_to_head(&mut client).unwrap();
    let applied: Vec<&str> = report.steps.iter().map(|s| s.revision.as_str()).collect();
    assert_eq!(applied, REVISIONS);
    let schema = pg_schema(&mut client);
    assert_schema_eq(&schema, &expected(6, Backend::Postgres), "at head");
    assert_head_counts(&schema, Backend::Postgres);
    assert!(arx_schema::migrate_to_head(&mut client)
        .unwrap()
        .steps
        .is_empty());
}

#[test]
fn mysql_stairway_matches_the_spec_at_every_revision() {
    let Some(url) = mysql_test_url("mysql_stairway_matches_the_spec_at_every_revision") else {
        return;
    };
    let db = MysqlTestDatabase::create(&url).unwrap();
    let mut conn = db.connect().unwrap();
    stairway(&mut conn, Backend::Mysql, |c| mysql_schema(c));
    assert_mysql_base(&mut conn);
}

#[test]
fn mysql_upgrade_head_in_one_run_matches_the_spec() {
    let Some(url) = mysql_test_url("mysql_upgrade_head_in_one_run_matches_the_spec") else {
        return;
    };
    let db = MysqlTestDatabase::create(&url).unwrap();
    let mut conn = db.connect().unwrap();
    let report = arx_schema::migrate_to_head(&mut conn).unwrap();
    let applied: Vec<&str> = report.steps.iter().map(|s| s.revision.as_str()).collect();
    assert_eq!(applied, REVISIONS);
    let schema = mysql_schema(&mut conn);
    assert_schema_eq(&schema, &expected(6, Backend::Mysql), "at head");
    assert_head_counts(&schema, Backend::Mysql);
    assert!(arx_schema::migrate_to_head(&mut conn)
        .unwrap()
        .steps
        .is_empty());
    arx_schema::migrator()
        .unwrap()
        .downgrade(&mut conn, "base")
        .unwrap();
    assert_mysql_base(&mut conn);
}
