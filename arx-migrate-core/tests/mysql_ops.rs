//! The portable `Ops` alterations on MariaDB (`ARX_MIGRATE_TEST_MYSQL`):
//! each runs against the server with the ALGORITHM/LOCK clause it names
//! (the server refuses a clause it cannot honour, so a passing run proves
//! the rule), the schema is read back from `information_schema`, and every
//! step is undone by its downgrade.

use arx_migrate_core::sea_query::{ColumnDef, ColumnType, Expr, ExprTrait, ForeignKey, Index};
use arx_migrate_core::{
    render, render_script, AlterColumn, Backend, Connection, Direction, Error, FnMigration,
    MigrationSet, Migrator, Ops,
};
use arx_migrate_testing::{mysql_test_url, MysqlTestDatabase};

fn database(test: &str) -> Option<MysqlTestDatabase> {
    mysql_test_url(test).map(|url| MysqlTestDatabase::create(&url).unwrap())
}

fn rows(conn: &mut dyn Connection, sql: &str) -> Vec<Vec<Option<String>>> {
    conn.query(sql).unwrap_or_else(|e| panic!("{sql}: {e:?}"))
}

/// `table.column`: (COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT).
fn column(
    conn: &mut dyn Connection,
    table: &str,
    column: &str,
) -> Option<(String, String, String)> {
    rows(
        conn,
        &format!(
            "SELECT COLUMN_TYPE, IS_NULLABLE, COALESCE(COLUMN_DEFAULT, 'NULL') FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '{table}' AND COLUMN_NAME = '{column}'"
        ),
    )
    .into_iter()
    .next()
    .map(|r| {
        (
            r[0].clone().unwrap(),
            r[1].clone().unwrap(),
            r[2].clone().unwrap(),
        )
    })
}

/// The names of the table's indexes and constraints.
fn keys(conn: &mut dyn Connection, table: &str) -> Vec<String> {
    let mut names: Vec<String> = rows(
        conn,
        &format!(
            "SELECT DISTINCT INDEX_NAME FROM information_schema.STATISTICS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '{table}' \
             UNION SELECT CONSTRAINT_NAME FROM information_schema.TABLE_CONSTRAINTS \
             WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = '{table}'"
        ),
    )
    .into_iter()
    .map(|r| r[0].clone().unwrap())
    .collect();
    names.sort();
    names.dedup();
    names
}

fn base() -> FnMigration {
    FnMigration::new(
        "001",
        &[],
        |op: &mut Ops| {
            op.mysql("CREATE TABLE floors (id INT NOT NULL PRIMARY KEY) ENGINE=InnoDB")?;
            op.mysql(
                "CREATE TABLE rooms (id INT NOT NULL PRIMARY KEY, code VARCHAR(20), floor_id INT) ENGINE=InnoDB",
            )?;
            op.mysql("INSERT INTO floors VALUES (1)")?;
            op.mysql("INSERT INTO rooms VALUES (1, 'a', 1), (2, 'b', 1)")
        },
        |op: &mut Ops| {
            op.mysql("DROP TABLE rooms")?;
            op.mysql("DROP TABLE floors")
        },
    )
}

/// Every portable alteration of an existing table, each a revision of its
/// own (each DDL statement commits by itself on MariaDB).
fn alterations() -> MigrationSet {
    MigrationSet::new()
        .with(base())
        .with(FnMigration::new(
            "002",
            &["001"],
            |op| op.add_column("rooms", ColumnDef::new("area").double()),
            |op| op.drop_column("rooms", "area"),
        ))
        .with(FnMigration::new(
            "003",
            &["002"],
            |op| op.rename_column("rooms", "code", "label"),
            |op| op.rename_column("rooms", "label", "code"),
        ))
        .with(FnMigration::new(
            "004",
            &["003"],
            |op| op.alter_column("rooms", "area", AlterColumn::new().set_default(0)),
            |op| op.alter_column("rooms", "area", AlterColumn::new().drop_default()),
        ))
        .with(FnMigration::new(
            "005",
            &["004"],
            |op| op.set_not_null("rooms", "label"),
            |op| op.drop_not_null("rooms", "label"),
        ))
        .with(FnMigration::new(
            "006",
            &["005"],
            |op| {
                op.alter_column(
                    "rooms",
                    "label",
                    AlterColumn::new().set_type(ColumnType::String(
                        arx_migrate_core::sea_query::StringLen::N(200),
                    )),
                )
            },
            |op| {
                op.alter_column(
                    "rooms",
                    "label",
                    AlterColumn::new().set_type(ColumnType::String(
                        arx_migrate_core::sea_query::StringLen::N(20),
                    )),
                )
            },
        ))
        .with(FnMigration::new(
            "007",
            &["006"],
            |op| {
                op.create_index(
                    Index::create()
                        .name("idx_rooms_floor")
                        .table("rooms")
                        .col("floor_id"),
                )
            },
            |op| op.drop_index("idx_rooms_floor"),
        ))
        .with(FnMigration::new(
            "008",
            &["007"],
            |op| {
                op.add_foreign_key_not_valid(
                    ForeignKey::create()
                        .name("fk_rooms_floor")
                        .from("rooms", "floor_id")
                        .to("floors", "id"),
                )
            },
            |op| op.drop_foreign_key("rooms", "fk_rooms_floor"),
        ))
        .with(FnMigration::new(
            "009",
            &["008"],
            |op| op.validate_constraint("rooms", "fk_rooms_floor"),
            |_| Ok(()),
        ))
        .with(FnMigration::new(
            "010",
            &["009"],
            |op| op.add_check("rooms", "ck_rooms_area", Expr::col("area").gte(0)),
            |op| op.drop_check("rooms", "ck_rooms_area"),
        ))
        .with(FnMigration::new(
            "011",
            &["010"],
            |op| op.add_unique("rooms", "uq_rooms_label", &["label"]),
            |op| op.drop_unique("rooms", "uq_rooms_label"),
        ))
        .with(FnMigration::new(
            "012",
            &["011"],
            |op| op.rename_table("rooms", "spaces"),
            |op| op.rename_table("spaces", "rooms"),
        ))
}

#[test]
fn every_portable_alteration_runs_online_where_the_server_can_and_is_undone() {
    let Some(db) = database("every_portable_alteration_runs_online") else {
        return;
    };
    let migrator = Migrator::new(alterations()).unwrap();
    let mut conn = db.connect().unwrap();
    let c: &mut dyn Connection = &mut conn;
    migrator.upgrade(c, "head").unwrap();

    assert_eq!(
        column(c, "spaces", "area"),
        Some(("double".into(), "YES".into(), "0".into()))
    );
    // NOT NULL, then the new type: the MODIFY kept what it did not change.
    assert_eq!(
        column(c, "spaces", "label"),
        Some(("varchar(200)".into(), "NO".into(), "NULL".into()))
    );
    assert_eq!(column(c, "spaces", "code"), None);
    assert_eq!(
        keys(c, "spaces"),
        [
            "PRIMARY",
            "ck_rooms_area",
            "fk_rooms_floor",
            "idx_rooms_floor",
            "uq_rooms_label"
        ]
    );
    // The constraints hold.
    assert!(c.execute("UPDATE spaces SET area = -1").is_err());
    assert!(c
        .execute("INSERT INTO spaces (id, label, floor_id) VALUES (9, 'z', 99)")
        .is_err());
    assert!(c
        .execute("INSERT INTO spaces (id, label) VALUES (9, 'a')")
        .is_err());

    migrator.downgrade(c, "001").unwrap();
    assert_eq!(
        column(c, "rooms", "code"),
        Some(("varchar(20)".into(), "YES".into(), "NULL".into()))
    );
    assert_eq!(column(c, "rooms", "area"), None);
    assert_eq!(keys(c, "rooms"), ["PRIMARY"]);
}

#[test]
fn each_alteration_names_its_algorithm() {
    let set = alterations();
    let migrator = Migrator::new(set).unwrap();
    let sql = |rev: &str| {
        let migration = migrator.graph().get(rev).unwrap();
        render(&**migration, Backend::Mysql, Direction::Upgrade)
            .into_result()
            .unwrap()
    };
    assert_eq!(
        sql("002"),
        ["ALTER TABLE `rooms` ADD COLUMN `area` double, ALGORITHM=INSTANT"]
    );
    assert_eq!(
        sql("003"),
        ["ALTER TABLE `rooms` RENAME COLUMN `code` TO `label`, ALGORITHM=INSTANT"]
    );
    assert_eq!(
        sql("004"),
        ["ALTER TABLE `rooms` ALTER COLUMN `area` SET DEFAULT 0, ALGORITHM=INSTANT"]
    );
    // What a live run restates of the column is not part of the checksum.
    assert_eq!(
        sql("005"),
        ["ALTER TABLE `rooms` MODIFY COLUMN `label` NOT NULL, ALGORITHM=INPLACE, LOCK=NONE"]
    );
    assert_eq!(
        sql("006"),
        ["ALTER TABLE `rooms` MODIFY COLUMN `label` varchar(200), ALGORITHM=COPY, LOCK=SHARED"]
    );
    assert_eq!(
        sql("007"),
        ["CREATE INDEX `idx_rooms_floor` ON `rooms` (`floor_id`) ALGORITHM=INPLACE LOCK=NONE"]
    );
    assert_eq!(
        sql("008"),
        [
            "SET foreign_key_checks = 0",
            "ALTER TABLE `rooms` ADD CONSTRAINT `fk_rooms_floor` FOREIGN KEY (`floor_id`) REFERENCES `floors` (`id`), ALGORITHM=INPLACE, LOCK=NONE",
            "SET foreign_key_checks = 1",
        ]
    );
    assert_eq!(
        sql("010"),
        ["ALTER TABLE `rooms` ADD CONSTRAINT `ck_rooms_area` CHECK (`area` >= 0), ALGORITHM=COPY, LOCK=SHARED"]
    );
    assert_eq!(
        sql("011"),
        ["ALTER TABLE `rooms` ADD CONSTRAINT `uq_rooms_label` UNIQUE (`label`), ALGORITHM=INPLACE, LOCK=NONE"]
    );
    assert_eq!(
        sql("012"),
        ["ALTER TABLE `rooms` RENAME TO `spaces`, ALGORITHM=INSTANT"]
    );
    // An offline script cannot read the column MODIFY restates, nor find
    // the table of an index: it says what to write instead.
    let script = |rev: &str, direction| {
        let migration = migrator.graph().get(rev).unwrap();
        render_script(&**migration, Backend::Mysql, direction).into_result()
    };
    let error = script("005", Direction::Upgrade).unwrap_err();
    assert!(
        matches!(&error, Error::Unsupported { reason, .. } if reason.contains("set_not_null or drop_not_null")),
        "{error:?}"
    );
    let error = script("007", Direction::Downgrade).unwrap_err();
    assert!(
        matches!(&error, Error::Unsupported { reason, .. } if reason.contains("DROP INDEX")),
        "{error:?}"
    );
    assert_eq!(
        script("002", Direction::Upgrade).unwrap(),
        sql("002"),
        "a script is what the checksum saw"
    );
}

#[test]
fn validating_a_foreign_key_finds_rows_without_a_parent() {
    let Some(db) = database("validating_a_foreign_key_finds_rows_without_a_parent") else {
        return;
    };
    let set = MigrationSet::new()
        .with(base())
        .with(FnMigration::new(
            "002",
            &["001"],
            |op| {
                op.mysql("INSERT INTO rooms VALUES (3, 'c', 7)")?;
                op.add_foreign_key_not_valid(
                    ForeignKey::create()
                        .name("fk_rooms_floor")
                        .from("rooms", "floor_id")
                        .to("floors", "id"),
                )
            },
            |op| op.drop_foreign_key("rooms", "fk_rooms_floor"),
        ))
        .with(FnMigration::new(
            "003",
            &["002"],
            |op| op.validate_constraint("rooms", "fk_rooms_floor"),
            |_| Ok(()),
        ));
    let migrator = Migrator::new(set).unwrap();
    let mut conn = db.connect().unwrap();
    let c: &mut dyn Connection = &mut conn;
    // Added online although a row has no parent (as NOT VALID would be) …
    migrator.upgrade(c, "002").unwrap();
    // … and the session checks foreign keys again afterwards.
    assert!(c.execute("INSERT INTO rooms VALUES (4, 'd', 8)").is_err());
    let error = migrator.upgrade(c, "head").unwrap_err().to_string();
    assert!(
        error.contains("fk_rooms_floor") && error.contains("1 row(s) reference no row of floors"),
        "{error}"
    );
    c.execute("UPDATE rooms SET floor_id = 1 WHERE id = 3")
        .unwrap();
    migrator.upgrade(c, "head").unwrap();
}

#[test]
fn set_not_null_fails_on_a_null_row_and_changes_nothing() {
    let Some(db) = database("set_not_null_fails_on_a_null_row") else {
        return;
    };
    let set = MigrationSet::new().with(base()).with(FnMigration::new(
        "002",
        &["001"],
        |op| op.set_not_null("rooms", "code"),
        |op| op.drop_not_null("rooms", "code"),
    ));
    let migrator = Migrator::new(set).unwrap();
    let mut conn = db.connect().unwrap();
    let c: &mut dyn Connection = &mut conn;
    migrator.upgrade(c, "001").unwrap();
    c.execute("INSERT INTO rooms VALUES (3, NULL, 1)").unwrap();
    assert!(migrator.upgrade(c, "head").is_err());
    assert_eq!(
        column(c, "rooms", "code"),
        Some(("varchar(20)".into(), "YES".into(), "NULL".into()))
    );
}
