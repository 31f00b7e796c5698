//! `check` finds each kind of drift made by hand on a migrated database.

use arx_migrate_core::{Connection, FnMigration, MigrationSet, Migrator};
use arx_migrate_testing::{postgres_test_url, PgTestDatabase};
use arx_migrate_verify::check::{self, DriftKind, ScratchSource};

fn migrator(postgis: bool) -> Migrator {
    let base = FnMigration::new(
        "001",
        &[],
        move |op| {
            if postgis {
                op.require_extension("postgis")?;
            }
            op.sql("CREATE TABLE p (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL)")?;
            op.sql(
                "CREATE TABLE t (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL DEFAULT 'x', \
                 p_id INTEGER REFERENCES p (id), status VARCHAR(20), note TEXT, \
                 CONSTRAINT t_name_check CHECK (name <> ''))",
            )?;
            op.sql("CREATE INDEX idx_t_name ON t (name)")?;
            op.sql("CREATE INDEX idx_t_status ON t (status)")?;
            op.sql("CREATE INDEX idx_t_active ON t (p_id) WHERE status = 'active'")?;
            op.sql("CREATE TABLE gone (id INTEGER PRIMARY KEY)")?;
            op.postgres("CREATE INDEX idx_t_covering ON t (p_id) INCLUDE (name, status)")?;
            if postgis {
                op.sql("CREATE TABLE places (id INTEGER PRIMARY KEY, geom geometry(Point, 4326))")?;
                op.sql("CREATE INDEX idx_places_geom ON places USING GIST (geom)")?;
            }
            Ok(())
        },
        move |op| {
            if postgis {
                op.sql("DROP TABLE places")?;
            }
            op.sql("DROP TABLE gone")?;
            op.sql("DROP TABLE t")?;
            op.sql("DROP TABLE p")
        },
    );
    let second = FnMigration::new(
        "002",
        &["001"],
        |op| {
            op.sql("CREATE TABLE w (id INTEGER PRIMARY KEY, a INTEGER, b TEXT NOT NULL, c TEXT DEFAULT 'x', p_id INTEGER REFERENCES p (id))")
        },
        |op| op.sql("DROP TABLE w"),
    );
    Migrator::new(MigrationSet::new().with(base).with(second)).unwrap()
}

fn kinds(report: &check::DriftReport) -> Vec<DriftKind> {
    let mut kinds: Vec<DriftKind> = report.differences.iter().map(|d| d.kind).collect();
    kinds.sort();
    kinds.dedup();
    kinds
}

#[track_caller]
/// The drift both backends' hand-made changes produce alike.
fn assert_common_drift(report: &check::DriftReport) {
    assert_has(report, DriftKind::MissingTable, "gone", None);
    assert_has(report, DriftKind::ExtraTable, "sneaky", None);
    assert_has(report, DriftKind::MissingColumn, "t", Some("note"));
    assert_has(report, DriftKind::ExtraColumn, "t", Some("extra"));
    assert_has(report, DriftKind::ColumnType, "w", Some("a"));
    assert_has(report, DriftKind::Nullability, "w", Some("b"));
    assert_has(report, DriftKind::Default, "w", Some("c"));
    assert_has(report, DriftKind::MissingIndex, "t", Some("idx_t_name"));
    assert_has(report, DriftKind::ExtraIndex, "t", Some("idx_sneaky"));
}

fn assert_has(report: &check::DriftReport, kind: DriftKind, table: &str, object: Option<&str>) {
    assert!(
        report
            .of_kind(kind)
            .any(|d| d.table == table && d.object.as_deref() == object),
        "expected {kind} on {table}.{object:?}:\n{}",
        report.to_text()
    );
}

const ALL_KINDS: [DriftKind; 14] = [
    DriftKind::MissingTable,
    DriftKind::ExtraTable,
    DriftKind::MissingColumn,
    DriftKind::ExtraColumn,
    DriftKind::ColumnType,
    DriftKind::Nullability,
    DriftKind::Default,
    DriftKind::MissingIndex,
    DriftKind::ExtraIndex,
    DriftKind::IndexDefinition,
    DriftKind::IndexPredicate,
    DriftKind::MissingConstraint,
    DriftKind::ExtraConstraint,
    DriftKind::ConstraintDefinition,
];

#[test]
fn sqlite_drift_of_every_kind_is_found() {
    let migrator = migrator(false);
    let mut conn = rusqlite::Connection::open_in_memory().unwrap();
    migrator.upgrade(&mut conn, "head").unwrap();
    let scratch = ScratchSource::SqliteMemory;
    let clean = check::check(&migrator, &mut conn, &scratch).unwrap();
    assert!(clean.is_clean(), "{}", clean.to_text());
    assert_eq!(clean.heads, ["002"]);
    // The bookkeeping tables are not part of the schema.
    let snapshot = check::snapshot(&migrator, &mut conn).unwrap();
    assert_eq!(snapshot.table_names(), ["gone", "p", "t", "w"]);

    conn.execute_batch(
        "PRAGMA foreign_keys = OFF;
         DROP TABLE gone;
         CREATE TABLE sneaky (id INTEGER);
         DROP INDEX idx_t_name;
         ALTER TABLE t DROP COLUMN note;
         ALTER TABLE t ADD COLUMN extra TEXT;
         CREATE INDEX idx_sneaky ON t (extra);
         DROP INDEX idx_t_active; CREATE INDEX idx_t_active ON t (p_id) WHERE status = 'inactive';
         DROP INDEX idx_t_status; CREATE INDEX idx_t_status ON t (status, name);
         CREATE TABLE w_new (id INTEGER PRIMARY KEY, a TEXT, b TEXT, c TEXT DEFAULT 'y', p_id INTEGER REFERENCES t (id), CHECK (a <> ''));
         INSERT INTO w_new SELECT * FROM w; DROP TABLE w; ALTER TABLE w_new RENAME TO w;",
    )
    .unwrap();
    let report = check::check(&migrator, &mut conn, &scratch).unwrap();
    assert!(!report.is_clean());
    assert_common_drift(&report);
    assert_has(
        &report,
        DriftKind::IndexDefinition,
        "t",
        Some("idx_t_status"),
    );
    assert_has(
        &report,
        DriftKind::IndexPredicate,
        "t",
        Some("idx_t_active"),
    );
    assert_has(
        &report,
        DriftKind::MissingConstraint,
        "w",
        Some("FOREIGN KEY (p_id) REFERENCES p(id)"),
    );
    assert_has(
        &report,
        DriftKind::ExtraConstraint,
        "w",
        Some("CHECK (a <> '')"),
    );
    // SQLite constraints have no names: a changed one reads as missing + extra.
    assert_eq!(
        kinds(&report).len(),
        ALL_KINDS.len() - 1,
        "{}",
        report.to_text()
    );

    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["backend"], "sqlite");
    assert!(json["differences"].as_array().unwrap().len() >= 13);
    assert!(
        report.to_markdown().contains("| missing-table | gone |"),
        "{}",
        report.to_markdown()
    );
    assert!(report.to_text().contains("difference(s)"));
}

#[test]
fn sqlite_check_of_a_database_at_an_older_revision() {
    let migrator = migrator(false);
    let mut conn = rusqlite::Connection::open_in_memory().unwrap();
    migrator.upgrade(&mut conn, "001").unwrap();
    let report = check::check(&migrator, &mut conn, &ScratchSource::SqliteMemory).unwrap();
    assert!(report.is_clean(), "{}", report.to_text());
    assert_eq!(report.heads, ["001"]);
    conn.execute_batch("CREATE TABLE w (id INTEGER)").unwrap();
    let report = check::check(&migrator, &mut conn, &ScratchSource::SqliteMemory).unwrap();
    assert_has(&report, DriftKind::ExtraTable, "w", None);
}

#[test]
fn postgres_drift_of_every_kind_is_found() {
    let Some(url) = postgres_test_url("postgres_drift_of_every_kind_is_found") else {
        return;
    };
    let db = PgTestDatabase::create(&url).unwrap();
    let mut conn = db.connect().unwrap();
    let migrator = migrator(true);
    migrator.upgrade(&mut conn, "head").unwrap();
    let scratch = ScratchSource::Postgres { url: url.clone() };
    let clean = check::check(&migrator, &mut conn, &scratch).unwrap();
    assert!(clean.is_clean(), "{}", clean.to_text());
    let snapshot = check::snapshot(&migrator, &mut conn).unwrap();
    assert_eq!(
        snapshot.table_names(),
        ["gone", "p", "places", "t", "w"],
        "spatial_ref_sys and bookkeeping are left out"
    );
    let covering = &snapshot.tables["t"].indexes["idx_t_covering"];
    assert_eq!(covering.columns, ["p_id"]);
    assert_eq!(covering.include, ["name", "status"]);
    assert_eq!(
        snapshot.tables["places"].indexes["idx_places_geom"]
            .method
            .as_deref(),
        Some("gist")
    );
    assert_eq!(
        snapshot.tables["places"].columns["geom"].data_type,
        "geometry(Point,4326)"
    );
    assert!(snapshot.tables["t"].indexes["idx_t_active"]
        .predicate
        .as_deref()
        .unwrap()
        .contains("active"));
    assert_eq!(
        snapshot.tables["t"].constraints["t_p_id_fkey"].kind,
        "foreign key"
    );

    Connection::execute(
        &mut conn,
        "DROP TABLE gone;
         CREATE TABLE sneaky (id INTEGER);
         DROP INDEX idx_t_name;
         ALTER TABLE t DROP COLUMN note;
         ALTER TABLE t ADD COLUMN extra TEXT;
         CREATE INDEX idx_sneaky ON t (extra);
         DROP INDEX idx_t_active; CREATE INDEX idx_t_active ON t (p_id) WHERE status = 'inactive';
         DROP INDEX idx_t_covering; CREATE INDEX idx_t_covering ON t (p_id) INCLUDE (name);
         ALTER TABLE w ALTER COLUMN a TYPE BIGINT;
         ALTER TABLE w ALTER COLUMN b DROP NOT NULL;
         ALTER TABLE w ALTER COLUMN c SET DEFAULT 'y';
         ALTER TABLE w DROP CONSTRAINT w_p_id_fkey;
         ALTER TABLE w ADD CONSTRAINT w_a_check CHECK (a > 0);
         ALTER TABLE t DROP CONSTRAINT t_name_check; ALTER TABLE t ADD CONSTRAINT t_name_check CHECK (name <> 'none');",
    )
    .unwrap();
    let report = check::check(&migrator, &mut conn, &scratch).unwrap();
    assert_common_drift(&report);
    assert_has(
        &report,
        DriftKind::IndexDefinition,
        "t",
        Some("idx_t_covering"),
    );
    assert_has(
        &report,
        DriftKind::IndexPredicate,
        "t",
        Some("idx_t_active"),
    );
    assert_has(
        &report,
        DriftKind::MissingConstraint,
        "w",
        Some("w_p_id_fkey"),
    );
    assert_has(&report, DriftKind::ExtraConstraint, "w", Some("w_a_check"));
    assert_has(
        &report,
        DriftKind::ConstraintDefinition,
        "t",
        Some("t_name_check"),
    );
    assert_eq!(kinds(&report), ALL_KINDS, "{}", report.to_text());
}
