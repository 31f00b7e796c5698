//! Each lint rule: a migration that triggers it and one that does not, on
//! each backend where the rule applies.

#[path = "../../arx-migrate-core/tests/support/mod.rs"]
mod support;

use support::m;

use arx_migrate_core::{Backend, Error, FnMigration, MigrationSet, Migrator};
use arx_migrate_verify::lint::{self, LintReport, Rule, Severity};

const BOTH: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];

/// A linear chain: revision `i+1` revises revision `i`.
fn chain(steps: Vec<FnMigration>) -> Migrator {
    let mut set = MigrationSet::new();
    for step in steps {
        set = set.with(step);
    }
    Migrator::new(set).expect("valid chain")
}

const BASE_UP: &str = "CREATE TABLE t (id INTEGER PRIMARY KEY, b INTEGER, status VARCHAR(50))";
const BASE_DOWN: &str = "DROP TABLE t";

fn base() -> FnMigration {
    m("001", None, BASE_UP, BASE_DOWN)
}

fn run(backend: Backend, steps: Vec<FnMigration>) -> LintReport {
    lint::lint_migrations(chain(steps).graph(), backend)
}

fn fired(report: &LintReport, rule: Rule) -> bool {
    report.unallowed().any(|f| f.rule == rule)
}

#[track_caller]
fn assert_fires(backend: Backend, rule: Rule, steps: Vec<FnMigration>) -> LintReport {
    let report = run(backend, steps);
    assert!(
        fired(&report, rule),
        "{rule} should fire on {backend}:\n{}",
        report.to_text()
    );
    let finding = report.of_rule(rule).next().unwrap();
    assert_eq!(finding.severity, rule.severity());
    assert!(!finding.fix.is_empty() && !finding.message.is_empty());
    report
}

#[track_caller]
fn assert_quiet(backend: Backend, rule: Rule, steps: Vec<FnMigration>) -> LintReport {
    let report = run(backend, steps);
    assert!(
        !fired(&report, rule),
        "{rule} should not fire on {backend}:\n{}",
        report.to_text()
    );
    report
}

#[track_caller]
fn assert_clean(report: &LintReport) {
    let noisy: Vec<_> = report
        .unallowed()
        .filter(|f| f.severity > Severity::Info)
        .collect();
    assert!(
        noisy.is_empty(),
        "expected no findings:\n{}",
        report.to_text()
    );
}

#[test]
fn drop_table() {
    for backend in BOTH {
        let report = assert_fires(
            backend,
            Rule::DropTable,
            vec![base(), m("002", Some("001"), "DROP TABLE t", BASE_UP)],
        );
        assert_eq!(
            report.of_rule(Rule::DropTable).next().unwrap().revision,
            "002"
        );
        assert!(report.has_errors());
        // Downgrades drop what their upgrade created: not flagged.
        assert_clean(&assert_quiet(backend, Rule::DropTable, vec![base()]));
        // A table rebuild (create, copy, drop, rename) keeps the data.
        assert_quiet(
            backend,
            Rule::DropTable,
            vec![
                base(),
                m(
                    "002",
                    Some("001"),
                    "CREATE TABLE t_new (id INTEGER PRIMARY KEY, b BIGINT, status VARCHAR(50)); \
                     INSERT INTO t_new SELECT id, b, status FROM t; DROP TABLE t; ALTER TABLE t_new RENAME TO t",
                    "SELECT 1",
                ),
            ],
        );
    }
}

#[test]
fn drop_column() {
    for backend in BOTH {
        assert_fires(
            backend,
            Rule::DropColumn,
            vec![
                base(),
                m(
                    "002",
                    Some("001"),
                    "ALTER TABLE t DROP COLUMN b",
                    "ALTER TABLE t ADD COLUMN b INTEGER",
                ),
            ],
        );
        assert_clean(&assert_quiet(
            backend,
            Rule::DropColumn,
            vec![
                base(),
                m(
                    "002",
                    Some("001"),
                    "SET LOCAL lock_timeout = '5s'; ALTER TABLE t ADD COLUMN c INTEGER",
                    "ALTER TABLE t DROP COLUMN c",
                ),
            ],
        ));
    }
}

#[test]
fn alter_column_type_on_postgres() {
    // SQLite has no ALTER COLUMN; the rule applies where the statement exists.
    let backend = Backend::Postgres;
    assert_fires(
        backend,
        Rule::AlterColumnType,
        vec![
            base(),
            m(
                "002",
                Some("001"),
                "ALTER TABLE t ALTER COLUMN b TYPE BIGINT",
                "ALTER TABLE t ALTER COLUMN b TYPE INTEGER",
            ),
        ],
    );
    assert_quiet(
        backend,
        Rule::AlterColumnType,
        vec![
            base(),
            m(
                "002",
                Some("001"),
                "ALTER TABLE t ALTER COLUMN b SET DEFAULT 1",
                "ALTER TABLE t ALTER COLUMN b DROP DEFAULT",
            ),
        ],
    );
}

#[test]
fn rename() {
    for backend in BOTH {
        assert_fires(
            backend,
            Rule::Rename,
            vec![
                base(),
                m(
                    "002",
                    Some("001"),
                    "ALTER TABLE t RENAME COLUMN b TO c",
                    "ALTER TABLE t RENAME COLUMN c TO b",
                ),
            ],
        );
        assert_fires(
            backend,
            Rule::Rename,
            vec![
                base(),
                m(
                    "002",
                    Some("001"),
                    "ALTER TABLE t RENAME TO u",
                    "ALTER TABLE u RENAME TO t",
                ),
            ],
        );
        // Renaming inside the migration that created the table is harmless.
        assert_clean(&assert_quiet(
            backend,
            Rule::Rename,
            vec![m("001", None, "CREATE TABLE a (id INTEGER PRIMARY KEY, x INTEGER); ALTER TABLE a RENAME COLUMN x TO y", "DROP TABLE a")],
        ));
    }
}

#[test]
fn not_null_without_default() {
    for backend in BOTH {
        assert_fires(
            backend,
            Rule::NotNullWithoutDefault,
            vec![
                base(),
                m(
                    "002",
                    Some("001"),
                    "ALTER TABLE t ADD COLUMN c INTEGER NOT NULL",
                    "ALTER TABLE t DROP COLUMN c",
                ),
            ],
        );
        assert_quiet(
            backend,
            Rule::NotNullWithoutDefault,
            vec![
                base(),
                m(
                    "002",
                    Some("001"),
                    "ALTER TABLE t ADD COLUMN c INTEGER NOT NULL DEFAULT 0",
                    "ALTER TABLE t DROP COLUMN c",
                ),
            ],
        );
    }
}

#[test]
fn fk_without_index() {
    for backend in BOTH {
        let parent = "CREATE TABLE p (id INTEGER PRIMARY KEY)";
        assert_fires(
            backend,
            Rule::FkWithoutIndex,
            vec![m(
                "001",
                None,
                "CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p (id))",
                "DROP TABLE c; DROP TABLE p",
            )],
        );
        let _ = parent;
        assert_clean(&assert_quiet(
            backend,
            Rule::FkWithoutIndex,
            vec![m(
                "001",
                None,
                "CREATE TABLE p (id INTEGER PRIMARY KEY); \
                 CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER, FOREIGN KEY (p_id) REFERENCES p (id)); \
                 CREATE INDEX idx_c_p_id ON c (p_id)",
                "DROP TABLE c; DROP TABLE p",
            )],
        ));
    }
}

// The four mistakes of the old monolithic Arxos schema.

#[test]
fn a_table_referencing_one_not_yet_created() {
    for backend in BOTH {
        let report = assert_fires(
            backend,
            Rule::UnknownTable,
            vec![m(
                "001",
                None,
                "CREATE TABLE walls (id VARCHAR(64) PRIMARY KEY, room_id VARCHAR(64) REFERENCES rooms (id)); \
                 CREATE INDEX idx_walls_room_id ON walls (room_id); \
                 CREATE TABLE rooms (id VARCHAR(64) PRIMARY KEY)",
                "DROP TABLE rooms; DROP TABLE walls",
            )],
        );
        assert!(report
            .of_rule(Rule::UnknownTable)
            .next()
            .unwrap()
            .message
            .contains("rooms"));
        assert_clean(&assert_quiet(
            backend,
            Rule::UnknownTable,
            vec![m(
                "001",
                None,
                "CREATE TABLE rooms (id VARCHAR(64) PRIMARY KEY); \
                 CREATE TABLE walls (id VARCHAR(64) PRIMARY KEY, room_id VARCHAR(64) REFERENCES rooms (id)); \
                 CREATE INDEX idx_walls_room_id ON walls (room_id)",
                "DROP TABLE walls; DROP TABLE rooms",
            )],
        ));
        // An index on, or an ALTER of, a table that does not exist.
        assert_fires(
            backend,
            Rule::UnknownTable,
            vec![m("001", None, "CREATE INDEX i ON nowhere (a)", "SELECT 1")],
        );
        assert_fires(
            backend,
            Rule::UnknownTable,
            vec![m(
                "001",
                None,
                "ALTER TABLE nowhere ADD COLUMN a INTEGER",
                "SELECT 1",
            )],
        );
    }
}

#[test]
fn a_duplicate_index_name() {
    for backend in BOTH {
        let report = assert_fires(
            backend,
            Rule::DuplicateName,
            vec![
                base(),
                m(
                    "002",
                    Some("001"),
                    "CREATE TABLE u (id INTEGER PRIMARY KEY, building_id INTEGER, floor_id INTEGER); \
                     CREATE INDEX idx_building_floor ON t (b, status); \
                     CREATE INDEX idx_building_floor ON u (building_id, floor_id)",
                    "DROP TABLE u",
                ),
            ],
        );
        assert!(report
            .of_rule(Rule::DuplicateName)
            .next()
            .unwrap()
            .message
            .contains("idx_building_floor"));
        assert_quiet(
            backend,
            Rule::DuplicateName,
            vec![
                base(),
                m(
                    "002",
                    Some("001"),
                    "CREATE TABLE u (id INTEGER PRIMARY KEY, building_id INTEGER, floor_id INTEGER); \
                     CREATE INDEX idx_t_building_floor ON t (b, status); \
                     CREATE INDEX idx_u_building_floor ON u (building_id, floor_id)",
                    "DROP TABLE u; DROP INDEX idx_t_building_floor",
                ),
            ],
        );
        // A table defined twice, across revisions.
        assert_fires(
            backend,
            Rule::DuplicateName,
            vec![base(), m("002", Some("001"), BASE_UP, "SELECT 1")],
        );
        // IF NOT EXISTS is not a duplicate.
        assert_quiet(
            backend,
            Rule::DuplicateName,
            vec![
                base(),
                m(
                    "002",
                    Some("001"),
                    "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY)",
                    "SELECT 1",
                ),
            ],
        );
    }
}

#[test]
fn an_index_on_a_column_the_table_lacks() {
    for backend in BOTH {
        let zones = "CREATE TABLE zones (id VARCHAR(64) PRIMARY KEY, name VARCHAR(255), building_id INTEGER)";
        let report = assert_fires(
            backend,
            Rule::IndexUnknownColumn,
            vec![
                m("001", None, zones, "DROP TABLE zones"),
                m(
                    "002",
                    Some("001"),
                    "CREATE INDEX idx_zones_room_id ON zones (room_id)",
                    "DROP INDEX idx_zones_room_id",
                ),
            ],
        );
        assert!(report
            .of_rule(Rule::IndexUnknownColumn)
            .next()
            .unwrap()
            .message
            .contains("room_id"));
        // In a predicate and in INCLUDE (PostgreSQL) too.
        assert_fires(
            backend,
            Rule::IndexUnknownColumn,
            vec![
                m("001", None, zones, "DROP TABLE zones"),
                m(
                    "002",
                    Some("001"),
                    "CREATE INDEX idx_zones_x ON zones (name) WHERE locked_by IS NOT NULL",
                    "DROP INDEX idx_zones_x",
                ),
            ],
        );
        assert_quiet(
            backend,
            Rule::IndexUnknownColumn,
            vec![
                m("001", None, zones, "DROP TABLE zones"),
                m(
                    "002",
                    Some("001"),
                    "CREATE INDEX idx_zones_name ON zones (name) WHERE building_id IS NOT NULL",
                    "DROP INDEX idx_zones_name",
                ),
            ],
        );
    }
    assert_fires(
        Backend::Postgres,
        Rule::IndexUnknownColumn,
        vec![
            base(),
            m(
                "002",
                Some("001"),
                "CREATE INDEX CONCURRENTLY idx_cov ON t (b) INCLUDE (nope)",
                "DROP INDEX idx_cov",
            ),
        ],
    );
}

#[test]
fn now_in_an_index_predicate() {
    let pg = "CREATE TABLE a (id INTEGER PRIMARY KEY, created_at TIMESTAMP, status VARCHAR(50)); \
              CREATE INDEX idx_a_recent ON a (status) WHERE created_at > NOW() - INTERVAL '1 day'";
    let report = assert_fires(
        Backend::Postgres,
        Rule::VolatileIndexPredicate,
        vec![m("001", None, pg, "DROP TABLE a")],
    );
    assert!(report
        .of_rule(Rule::VolatileIndexPredicate)
        .next()
        .unwrap()
        .message
        .contains("now"));
    let ts = "CREATE TABLE a (id INTEGER PRIMARY KEY, created_at TIMESTAMP, status VARCHAR(50)); \
              CREATE INDEX idx_a_recent ON a (status) WHERE created_at > CURRENT_TIMESTAMP";
    assert_fires(
        Backend::Postgres,
        Rule::VolatileIndexPredicate,
        vec![m("001", None, ts, "DROP TABLE a")],
    );
    let sqlite = "CREATE TABLE a (id INTEGER PRIMARY KEY, created_at TEXT, status VARCHAR(50)); \
                  CREATE INDEX idx_a_recent ON a (status) WHERE created_at > datetime('now', '-1 day')";
    assert_fires(
        Backend::Sqlite,
        Rule::VolatileIndexPredicate,
        vec![m("001", None, sqlite, "DROP TABLE a")],
    );
    let random = "CREATE TABLE a (id INTEGER PRIMARY KEY, status VARCHAR(50)); \
                  CREATE INDEX idx_a_sample ON a (status) WHERE random() > 0";
    for backend in BOTH {
        assert_fires(
            backend,
            Rule::VolatileIndexPredicate,
            vec![m("001", None, random, "DROP TABLE a")],
        );
        let fine =
            "CREATE TABLE a (id INTEGER PRIMARY KEY, status VARCHAR(50), locked_by INTEGER); \
                    CREATE INDEX idx_a_active ON a (status) WHERE status = 'active'; \
                    CREATE INDEX idx_a_locked ON a (status) WHERE locked_by IS NOT NULL";
        assert_clean(&assert_quiet(
            backend,
            Rule::VolatileIndexPredicate,
            vec![m("001", None, fine, "DROP TABLE a")],
        ));
    }
}

#[test]
fn index_not_concurrent_on_postgres_only() {
    let later = || {
        m(
            "002",
            Some("001"),
            "SET LOCAL lock_timeout = '5s'; CREATE INDEX idx_t_b ON t (b)",
            "DROP INDEX idx_t_b",
        )
    };
    let report = assert_fires(
        Backend::Postgres,
        Rule::IndexNotConcurrent,
        vec![base(), later()],
    );
    assert_eq!(
        report
            .of_rule(Rule::IndexNotConcurrent)
            .next()
            .unwrap()
            .revision,
        "002"
    );
    assert_quiet(
        Backend::Sqlite,
        Rule::IndexNotConcurrent,
        vec![base(), later()],
    );
    // CONCURRENTLY, and indexes on a table created in the same migration.
    assert_quiet(
        Backend::Postgres,
        Rule::IndexNotConcurrent,
        vec![
            base(),
            m(
                "002",
                Some("001"),
                "CREATE INDEX CONCURRENTLY idx_t_b ON t (b)",
                "DROP INDEX CONCURRENTLY idx_t_b",
            )
            .non_transactional(),
        ],
    );
    assert_clean(&assert_quiet(
        Backend::Postgres,
        Rule::IndexNotConcurrent,
        vec![m(
            "001",
            None,
            "CREATE TABLE a (id INTEGER PRIMARY KEY, b INTEGER); CREATE INDEX idx_a_b ON a (b)",
            "DROP TABLE a",
        )],
    ));
}

#[test]
fn missing_lock_timeout_on_postgres_only() {
    let alter = || {
        m(
            "002",
            Some("001"),
            "ALTER TABLE t ADD COLUMN c INTEGER",
            "ALTER TABLE t DROP COLUMN c",
        )
    };
    assert_fires(
        Backend::Postgres,
        Rule::MissingLockTimeout,
        vec![base(), alter()],
    );
    assert_quiet(
        Backend::Sqlite,
        Rule::MissingLockTimeout,
        vec![base(), alter()],
    );
    assert_clean(&assert_quiet(
        Backend::Postgres,
        Rule::MissingLockTimeout,
        vec![
            base(),
            m(
                "002",
                Some("001"),
                "SET LOCAL lock_timeout = '5s'; ALTER TABLE t ADD COLUMN c INTEGER",
                "ALTER TABLE t DROP COLUMN c",
            ),
        ],
    ));
    // Tables created by the same migration are not locked by anyone else.
    assert_quiet(Backend::Postgres, Rule::MissingLockTimeout, vec![base()]);
}

#[test]
fn downgrade_mismatch() {
    for backend in BOTH {
        let report = assert_fires(
            backend,
            Rule::DowngradeMismatch,
            vec![
                base(),
                m("002", Some("001"), "CREATE TABLE u (id INTEGER PRIMARY KEY); CREATE TABLE v (id INTEGER PRIMARY KEY)", "DROP TABLE u"),
            ],
        );
        let finding = report.of_rule(Rule::DowngradeMismatch).next().unwrap();
        assert_eq!(finding.revision, "002");
        assert!(
            finding.message.contains("table v is left behind"),
            "{}",
            finding.message
        );
        // A dropped index the downgrade does not recreate.
        assert_fires(
            backend,
            Rule::DowngradeMismatch,
            vec![
                m("001", None, "CREATE TABLE a (id INTEGER PRIMARY KEY, b INTEGER); CREATE INDEX idx_a_b ON a (b)", "DROP TABLE a"),
                m("002", Some("001"), "DROP INDEX idx_a_b", "SELECT 1"),
            ],
        );
        assert_quiet(
            backend,
            Rule::DowngradeMismatch,
            vec![
                base(),
                m("002", Some("001"), "CREATE TABLE u (id INTEGER PRIMARY KEY); CREATE TABLE v (id INTEGER PRIMARY KEY)", "DROP TABLE v; DROP TABLE u"),
                m("003", Some("002"), "ALTER TABLE t ADD COLUMN c INTEGER DEFAULT 0", "ALTER TABLE t DROP COLUMN c"),
            ],
        );
    }
}

#[test]
fn unknown_column_and_unknown_index() {
    for backend in BOTH {
        assert_fires(
            backend,
            Rule::UnknownColumn,
            vec![
                base(),
                m(
                    "002",
                    Some("001"),
                    "ALTER TABLE t DROP COLUMN nope",
                    "SELECT 1",
                ),
            ],
        );
        assert_quiet(
            backend,
            Rule::UnknownColumn,
            vec![
                base(),
                m(
                    "002",
                    Some("001"),
                    "ALTER TABLE t DROP COLUMN IF EXISTS nope",
                    "SELECT 1",
                ),
            ],
        );
        assert_fires(
            backend,
            Rule::UnknownIndex,
            vec![
                base(),
                m("002", Some("001"), "DROP INDEX idx_nope", "SELECT 1"),
            ],
        );
        assert_quiet(
            backend,
            Rule::UnknownIndex,
            vec![
                base(),
                m(
                    "002",
                    Some("001"),
                    "DROP INDEX IF EXISTS idx_nope",
                    "SELECT 1",
                ),
            ],
        );
    }
}

#[test]
fn statements_the_parser_cannot_read_are_info_and_never_block() {
    let sqlite = "CREATE TABLE a (id INTEGER PRIMARY KEY, b INTEGER); \
                  CREATE VIRTUAL TABLE a_geom USING rtree(id, minx, maxx, miny, maxy); \
                  CREATE TRIGGER a_sync AFTER INSERT ON a BEGIN INSERT INTO a_geom VALUES (new.id, 0, 0, 0, 0); END; \
                  CREATE INDEX idx_a_nope ON a (nope)";
    let report = run(
        Backend::Sqlite,
        vec![m("001", None, sqlite, "DROP TABLE a_geom; DROP TABLE a")],
    );
    // The statements after the unreadable one are still checked.
    assert!(
        fired(&report, Rule::IndexUnknownColumn),
        "{}",
        report.to_text()
    );
    for finding in report.of_rule(Rule::UnparsedStatement) {
        assert_eq!(finding.severity, Severity::Info);
    }
    let only_unreadable = run(
        Backend::Sqlite,
        vec![m(
            "001",
            None,
            "CREATE TABLE a (id INTEGER PRIMARY KEY); CREATE TRIGGER a_t AFTER INSERT ON a BEGIN SELECT RAISE(IGNORE); END; FROB THE WIDGETS",
            "DROP TABLE a",
        )],
    );
    assert!(
        fired(&only_unreadable, Rule::UnparsedStatement),
        "{}",
        only_unreadable.to_text()
    );
    assert!(
        !only_unreadable.has_errors(),
        "{}",
        only_unreadable.to_text()
    );
    assert_quiet(Backend::Sqlite, Rule::UnparsedStatement, vec![base()]);
}

#[test]
fn render_failures_are_errors() {
    for backend in BOTH {
        let report = assert_fires(
            backend,
            Rule::RenderFailed,
            vec![FnMigration::new(
                "001",
                &[],
                |_| Err(Error::custom("cannot build")),
                |_| Ok(()),
            )],
        );
        assert!(report.has_errors());
        assert_quiet(backend, Rule::RenderFailed, vec![base()]);
    }
}

#[test]
fn a_migration_allows_a_rule_for_itself_with_a_reason() {
    for backend in BOTH {
        let report = run(
            backend,
            vec![
                base(),
                m("002", Some("001"), "DROP TABLE t", BASE_UP)
                    .allow("drop-table", "t was replaced by u in 1.4"),
                m(
                    "003",
                    Some("002"),
                    "CREATE TABLE x (id INTEGER PRIMARY KEY)",
                    "DROP TABLE x",
                ),
            ],
        );
        let finding = report
            .of_rule(Rule::DropTable)
            .next()
            .expect("still reported");
        assert_eq!(
            finding.allowed.as_deref(),
            Some("t was replaced by u in 1.4")
        );
        assert!(!report.has_errors(), "{}", report.to_text());
        // Allowed only for the migration that says so.
        let report = run(
            backend,
            vec![
                base().allow("drop-table", "not this one"),
                m("002", Some("001"), "DROP TABLE t", BASE_UP),
            ],
        );
        assert!(report.has_errors());
    }
}

#[test]
fn invalid_allow_entries() {
    for backend in BOTH {
        let report = assert_fires(
            backend,
            Rule::InvalidAllow,
            vec![
                base(),
                m("002", Some("001"), "DROP TABLE t", BASE_UP).allow("drop-table", " "),
            ],
        );
        assert!(
            report.has_errors(),
            "an allow without a reason allows nothing"
        );
        assert_fires(
            backend,
            Rule::InvalidAllow,
            vec![base().allow("drop-everything", "because")],
        );
        assert_quiet(
            backend,
            Rule::InvalidAllow,
            vec![base().allow("drop-table", "fine")],
        );
    }
}

#[test]
fn sea_query_output_is_read_like_raw_sql() {
    use arx_migrate_core::sea_query::{ColumnDef, ForeignKey, Index, Table};
    let build = || {
        FnMigration::new(
            "001",
            &[],
            |op| {
                op.exec(
                    Table::create()
                        .table("p")
                        .col(ColumnDef::new("id").integer().not_null().primary_key()),
                )?;
                op.exec(
                    Table::create()
                        .table("c")
                        .col(ColumnDef::new("id").integer().not_null().primary_key())
                        .col(ColumnDef::new("p_id").integer())
                        .col(ColumnDef::new("status").string_len(50))
                        .foreign_key(ForeignKey::create().from("c", "p_id").to("p", "id")),
                )?;
                op.exec(Index::create().name("idx_c_p_id").table("c").col("p_id"))?;
                op.exec(Index::create().name("idx_c_status").table("c").col("nope"))
            },
            |op| {
                op.exec(Table::drop().table("c"))?;
                op.exec(Table::drop().table("p"))
            },
        )
    };
    for backend in BOTH {
        let report = run(backend, vec![build()]);
        let rules: Vec<Rule> = report.findings.iter().map(|f| f.rule).collect();
        assert_eq!(
            rules,
            [Rule::IndexUnknownColumn],
            "{backend}:\n{}",
            report.to_text()
        );
    }
}

#[test]
fn a_plain_sql_file_is_linted_as_one_migration() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("schema.sql");
    std::fs::write(
        &path,
        "CREATE TABLE walls (id VARCHAR(64) PRIMARY KEY, room_id VARCHAR(64) REFERENCES rooms (id), status VARCHAR(50));\n\
         CREATE TABLE rooms (id VARCHAR(64) PRIMARY KEY, building_id INTEGER, floor_id INTEGER, status VARCHAR(50), created_at TIMESTAMP);\n\
         CREATE INDEX idx_walls_room_id ON walls (room_id);\n\
         CREATE INDEX idx_building_floor ON rooms (building_id, floor_id);\n\
         CREATE INDEX idx_building_floor ON rooms (building_id, status);\n\
         CREATE TABLE zones (id VARCHAR(64) PRIMARY KEY, name VARCHAR(255));\n\
         CREATE INDEX idx_zones_room_id ON zones (room_id);\n\
         CREATE INDEX idx_rooms_recent ON rooms (status) WHERE created_at > NOW() - INTERVAL '7 days';\n",
    )
    .unwrap();
    let report = lint::lint_sql_file(&path, Backend::Postgres).unwrap();
    for rule in [
        Rule::UnknownTable,
        Rule::DuplicateName,
        Rule::IndexUnknownColumn,
        Rule::VolatileIndexPredicate,
    ] {
        assert!(fired(&report, rule), "{rule}:\n{}", report.to_text());
    }
    let shown = path.display().to_string();
    assert!(report
        .findings
        .iter()
        .all(|f| f.revision == shown && f.file.as_deref() == Some(shown.as_str())));
    // No "existing table" in a single file: no concurrency findings.
    assert!(!fired(&report, Rule::IndexNotConcurrent));
    assert!(lint::lint_sql_file(dir.path().join("missing.sql"), Backend::Postgres).is_err());
    let clean = lint::lint_sql(
        "ok.sql",
        "CREATE TABLE a (id INTEGER PRIMARY KEY); CREATE INDEX idx_a ON a (id);",
        Backend::Sqlite,
    );
    assert!(clean.findings.is_empty(), "{}", clean.to_text());
}

#[test]
fn reports_render_as_text_json_and_markdown() {
    let report = run(
        Backend::Postgres,
        vec![base(), m("002", Some("001"), "DROP TABLE t", BASE_UP)],
    );
    let text = report.to_text();
    assert!(
        text.contains("[drop-table]") && text.contains("1 error(s)"),
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["findings"][0]["rule"], "drop-table");
    assert_eq!(json["findings"][0]["severity"], "error");
    assert_eq!(json["backend"], "postgres");
    let markdown = report.to_markdown();
    assert!(
        markdown.contains("| ❌ error | 002 (upgrade) | `drop-table` |"),
        "{markdown}"
    );
    assert_eq!(lint::rules().len(), Rule::ALL.len());
    for rule in Rule::ALL {
        assert_eq!(Rule::from_id(rule.id()), Some(rule));
    }
}

#[test]
fn the_docs_list_every_rule() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let cli = std::fs::read_to_string(root.join("docs/cli.md")).unwrap();
    for rule in Rule::ALL {
        assert!(
            cli.contains(&format!("| `{}`", rule.id())),
            "docs/cli.md's rules table lacks {rule}; paste `lint --rules --format markdown`"
        );
    }
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(
        readme.contains(&format!("{} rules", Rule::ALL.len())),
        "README.md gives another number of rules than {}",
        Rule::ALL.len()
    );
}

fn file(name: &str, sql: &str) -> lint::SqlFile {
    lint::SqlFile {
        name: name.to_string(),
        sql: sql.to_string(),
    }
}

#[test]
fn an_allow_comment_covers_its_statement_or_its_whole_file() {
    let lint = |sql: &str| {
        lint::lint_files(
            &[
                file("base.sql", "CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (id int PRIMARY KEY); CREATE TABLE c (id int PRIMARY KEY);"),
                file("drop.sql", sql),
            ],
            Backend::Sqlite,
            lint::StartSchema::Unknown,
            &lint::LintConfig::default(),
        )
        .unwrap()
    };
    // Right before a statement (after the first): that statement only.
    let report = lint(
        "DROP TABLE a;\n-- arx-migrate: allow drop-table: b moved to the archive\nDROP TABLE b;\nDROP TABLE c;\n",
    );
    let allowed: Vec<(Option<usize>, bool)> = report
        .of_rule(Rule::DropTable)
        .map(|f| (f.line, f.allowed.is_some()))
        .collect();
    assert_eq!(
        allowed,
        [(Some(1), false), (Some(3), true), (Some(4), false)],
        "{}",
        report.to_text()
    );
    // Before the first statement: the whole file.
    let report = lint(
        "-- arx-migrate: allow drop-table: the three moved to the archive\nDROP TABLE a;\nDROP TABLE b;\nDROP TABLE c;\n",
    );
    assert!(!report.has_errors(), "{}", report.to_text());
    assert_eq!(report.of_rule(Rule::DropTable).count(), 3);
    // Any other comment allows nothing.
    let report = lint("-- drop-table is fine here, trust me\nDROP TABLE a;\n");
    assert!(report.has_errors(), "{}", report.to_text());
}

/// `lint --file` reads a file's header as the runner does: the options
/// line `revision --sql` writes (`rev`, `transactional`, `allow = [...]`
/// on one line) counts, and a file the runner cannot split is an error.
#[test]
fn a_file_is_read_with_the_runners_header_and_splitter() {
    let lint = |sql: &str| {
        lint::lint_files(
            &[
                file("base.sql", "CREATE TABLE a (id int PRIMARY KEY, x text);"),
                file("next.sql", sql),
            ],
            Backend::Postgres,
            lint::StartSchema::Unknown,
            &lint::LintConfig::default(),
        )
        .unwrap()
    };
    let report = lint(
        "-- arx-migrate: rev = \"002\", down_rev = \"001\", allow = [\"drop-table: a moved to the archive\"]\n-- Drop a\nDROP TABLE a;\n",
    );
    assert!(!report.has_errors(), "{}", report.to_text());
    assert_eq!(
        report
            .of_rule(Rule::DropTable)
            .next()
            .and_then(|f| f.allowed.as_deref()),
        Some("a moved to the archive")
    );
    let report = lint(
        "-- arx-migrate: rev = \"002\", transactional = false\nSET lock_timeout = '5s';\nCREATE INDEX CONCURRENTLY i ON a (x);\nCREATE INDEX CONCURRENTLY j ON a (id, x);\n",
    );
    assert!(!report.has_errors(), "{}", report.to_text());
    let report = lint("CREATE INDEX CONCURRENTLY i ON a (x);\nSELECT 'never closed;\n");
    let failed: Vec<Option<usize>> = report.of_rule(Rule::RenderFailed).map(|f| f.line).collect();
    assert_eq!(failed, [None], "{}", report.to_text());
    assert!(
        report.findings[0].message.contains("line 2"),
        "{}",
        report.to_text()
    );
}

#[test]
fn style_rules_are_off_until_switched_on() {
    let sql = "CREATE TABLE a (id serial PRIMARY KEY, name varchar(20), at timestamp)";
    let files = [file("a.sql", sql)];
    let default = lint::lint_files(
        &files,
        Backend::Postgres,
        lint::StartSchema::Unknown,
        &lint::LintConfig::default(),
    )
    .unwrap();
    assert!(default.findings.is_empty(), "{}", default.to_text());
    let config = lint::LintConfig::from_names(&["prefer-*"], &["prefer-identity"]).unwrap();
    let styled = lint::lint_files(
        &files,
        Backend::Postgres,
        lint::StartSchema::Unknown,
        &config,
    )
    .unwrap();
    let rules: Vec<Rule> = styled.findings.iter().map(|f| f.rule).collect();
    assert_eq!(
        rules,
        [
            Rule::PreferBigInt,
            Rule::PreferTextField,
            Rule::PreferTimestamptz
        ],
        "{}",
        styled.to_text()
    );
    assert!(styled
        .findings
        .iter()
        .all(|f| f.severity == Severity::Warning));
    assert!(!styled.has_errors());
    // They are PostgreSQL's: SQLite has no such types to prefer.
    let sqlite =
        lint::lint_files(&files, Backend::Sqlite, lint::StartSchema::Unknown, &config).unwrap();
    assert!(sqlite.findings.is_empty(), "{}", sqlite.to_text());
}

/// The safe forms of `Ops` on an existing table pass the rules that the
/// plain forms break, on PostgreSQL: each in the migration kind it is
/// safe in (validation and NOT NULL in a later or non-transactional one).
#[test]
fn the_safe_ops_forms_lint_clean_on_postgres() {
    use arx_migrate_core::sea_query::{Expr, ForeignKey, Index};
    let base = m(
        "001",
        None,
        "CREATE TABLE kinds (id INTEGER PRIMARY KEY); CREATE TABLE t (id INTEGER PRIMARY KEY, b INTEGER, kind_id INTEGER, code TEXT); CREATE INDEX idx_t_kind ON t (kind_id)",
        "DROP TABLE t; DROP TABLE kinds",
    );
    let add = FnMigration::new(
        "002",
        &["001"],
        |op| {
            op.postgres("SET LOCAL lock_timeout = '5s'")?;
            op.add_check_not_valid("t", "ck_t_b", Expr::cust("b >= 0"))?;
            op.add_foreign_key_not_valid(
                ForeignKey::create()
                    .name("fk_t_kind")
                    .from("t", "kind_id")
                    .to("kinds", "id"),
            )
        },
        |op| {
            op.postgres("SET LOCAL lock_timeout = '5s'")?;
            op.drop_foreign_key("t", "fk_t_kind")?;
            op.drop_check("t", "ck_t_b")
        },
    );
    let validate = FnMigration::new(
        "003",
        &["002"],
        |op| {
            op.postgres("SET LOCAL lock_timeout = '5s'")?;
            op.validate_constraint("t", "ck_t_b")?;
            op.validate_constraint("t", "fk_t_kind")
        },
        |_| Ok(()),
    );
    let concurrent = FnMigration::new(
        "004",
        &["003"],
        |op| {
            op.postgres("SET lock_timeout = '5s'")?;
            op.create_index(Index::create().name("idx_t_b").table("t").col("b"))?;
            op.add_unique("t", "uq_t_code", &["code"])?;
            op.set_not_null("t", "b")
        },
        |op| {
            op.postgres("SET lock_timeout = '5s'")?;
            op.drop_not_null("t", "b")?;
            op.drop_unique("t", "uq_t_code")?;
            op.drop_index("idx_t_b")
        },
    )
    .non_transactional();
    let report = run(Backend::Postgres, vec![base, add, validate, concurrent]);
    for rule in [
        Rule::IndexNotConcurrent,
        Rule::ConstraintMissingNotValid,
        Rule::AddingNotNullableField,
        Rule::AddingForeignKeyConstraint,
        Rule::DisallowedUniqueConstraint,
    ] {
        assert!(!fired(&report, rule), "{rule}:\n{}", report.to_text());
    }
    assert_clean(&report);
}

/// The rest of the safe forms, on PostgreSQL: a constraint added `NOT
/// VALID` and validated later in the same non-transactional migration (each
/// statement commits on its own), `SET NOT NULL` after a validated `CHECK
/// (col IS NOT NULL)`, a unique constraint attached `USING INDEX` to an
/// index built concurrently, and a batched backfill (`Ops::backfill`, which
/// renders no statement offline: its batches are its own) are clean. The
/// same validation inside the transaction of the add is reported, with
/// the fix naming the calls.
#[test]
fn validation_after_the_add_in_a_non_transactional_migration_and_backfills_lint_clean() {
    use arx_migrate_core::sea_query::{Expr, ForeignKey};
    use arx_migrate_core::Backfill;
    let base = || {
        m(
            "001",
            None,
            "CREATE TABLE kinds (id INTEGER PRIMARY KEY); CREATE TABLE t (id INTEGER PRIMARY KEY, b INTEGER, kind_id INTEGER, code TEXT); CREATE INDEX idx_t_kind ON t (kind_id)",
            "DROP TABLE t; DROP TABLE kinds",
        )
    };
    let add_and_validate = |transactional: bool| {
        let migration = FnMigration::new(
            "002",
            &["001"],
            |op| {
                op.postgres("SET lock_timeout = '5s'")?;
                op.add_check_not_valid("t", "ck_t_b", Expr::cust("b >= 0"))?;
                op.add_foreign_key_not_valid(
                    ForeignKey::create()
                        .name("fk_t_kind")
                        .from("t", "kind_id")
                        .to("kinds", "id"),
                )?;
                op.validate_constraint("t", "ck_t_b")?;
                op.validate_constraint("t", "fk_t_kind")
            },
            |op| {
                op.postgres("SET lock_timeout = '5s'")?;
                op.drop_foreign_key("t", "fk_t_kind")?;
                op.drop_check("t", "ck_t_b")
            },
        );
        if transactional {
            migration
        } else {
            migration.non_transactional()
        }
    };
    let by_hand = FnMigration::new(
        "003",
        &["002"],
        |op| {
            for statement in [
                "SET lock_timeout = '5s'",
                "ALTER TABLE t ADD CONSTRAINT ck_t_code CHECK (code IS NOT NULL) NOT VALID",
                "ALTER TABLE t VALIDATE CONSTRAINT ck_t_code",
                "ALTER TABLE t ALTER COLUMN code SET NOT NULL",
                "ALTER TABLE t DROP CONSTRAINT ck_t_code",
                "CREATE UNIQUE INDEX CONCURRENTLY uq_t_code ON t (code)",
                "ALTER TABLE t ADD CONSTRAINT uq_t_code UNIQUE USING INDEX uq_t_code",
            ] {
                op.postgres(statement)?;
            }
            Ok(())
        },
        |op| {
            op.postgres("SET lock_timeout = '5s'")?;
            op.postgres("ALTER TABLE t DROP CONSTRAINT uq_t_code")?;
            op.postgres("ALTER TABLE t ALTER COLUMN code DROP NOT NULL")
        },
    )
    .non_transactional();
    let backfill = FnMigration::new(
        "004",
        &["003"],
        |op| op.backfill(Backfill::new("t").set("b", "0").where_("b IS NULL")),
        |_| Ok(()),
    )
    .non_transactional();
    let report = run(
        Backend::Postgres,
        vec![base(), add_and_validate(false), by_hand, backfill],
    );
    assert_clean(&report);

    let report = assert_fires(
        Backend::Postgres,
        Rule::ConstraintMissingNotValid,
        vec![base(), add_and_validate(true)],
    );
    let finding = report
        .findings
        .iter()
        .find(|f| f.rule == Rule::ConstraintMissingNotValid)
        .unwrap();
    assert!(
        finding.message.contains("same transaction"),
        "{}",
        report.to_text()
    );
    assert!(
        Rule::ConstraintMissingNotValid
            .fix()
            .contains("op.validate_constraint(table, name)"),
        "{}",
        Rule::ConstraintMissingNotValid.fix()
    );
}

/// MariaDB/MySQL: the base table in MySQL's words.
fn mysql_base() -> FnMigration {
    m(
        "001",
        None,
        "CREATE TABLE t (id INT NOT NULL PRIMARY KEY, b INT, status VARCHAR(50))",
        "DROP TABLE t",
    )
}

#[test]
fn several_ddl_statements_on_mysql_only() {
    let two = || {
        vec![
            mysql_base(),
            FnMigration::new(
                "002",
                &["001"],
                |op| {
                    op.sql("CREATE TABLE u (id INT NOT NULL PRIMARY KEY)")?;
                    op.sql("ALTER TABLE u MODIFY id BIGINT NOT NULL")
                },
                |op| op.sql("DROP TABLE u"),
            ),
        ]
    };
    let report = assert_fires(Backend::Mysql, Rule::MysqlSeveralDdl, two());
    let finding = report.of_rule(Rule::MysqlSeveralDdl).next().unwrap();
    assert!(
        finding.message.contains("2 DDL statements"),
        "{}",
        finding.message
    );
    // The MODIFY has no reverse; the CREATE TABLE has one.
    assert!(
        finding
            .message
            .contains("statement(s) 2 have no known reverse"),
        "{}",
        finding.message
    );
    assert!(finding.fix.contains("split"), "{}", finding.fix);
    for backend in BOTH {
        assert_quiet(backend, Rule::MysqlSeveralDdl, two());
    }
    // One DDL statement a revision: quiet.
    assert_quiet(Backend::Mysql, Rule::MysqlSeveralDdl, vec![mysql_base()]);
}

#[test]
fn ddl_with_data_changes_on_mysql() {
    let mixed = vec![
        mysql_base(),
        FnMigration::new(
            "002",
            &["001"],
            |op| {
                op.sql("ALTER TABLE t ADD COLUMN c INT, ALGORITHM=INSTANT, LOCK=NONE")?;
                op.sql("UPDATE t SET c = b WHERE c IS NULL")
            },
            |op| op.sql("ALTER TABLE t DROP COLUMN c, ALGORITHM=INSTANT, LOCK=NONE"),
        ),
    ];
    assert_fires(Backend::Mysql, Rule::MysqlDdlWithDataChange, mixed);
    let data_only = vec![
        mysql_base(),
        m(
            "002",
            Some("001"),
            "UPDATE t SET b = 0 WHERE b IS NULL",
            "UPDATE t SET b = NULL WHERE b = 0",
        ),
    ];
    assert_quiet(Backend::Mysql, Rule::MysqlDdlWithDataChange, data_only);
}

#[test]
fn alter_table_algorithm_on_mysql() {
    let alter = |sql: &'static str| {
        vec![
            mysql_base(),
            m(
                "002",
                Some("001"),
                sql,
                "ALTER TABLE t DROP COLUMN c, ALGORITHM=INSTANT, LOCK=NONE",
            ),
        ]
    };
    let report = assert_fires(
        Backend::Mysql,
        Rule::MysqlAlgorithmCopy,
        alter("ALTER TABLE t ADD COLUMN c INT, ALGORITHM=COPY, LOCK=SHARED"),
    );
    assert_eq!(
        report
            .of_rule(Rule::MysqlAlgorithmCopy)
            .next()
            .unwrap()
            .severity,
        Severity::Error
    );
    let report = assert_fires(
        Backend::Mysql,
        Rule::MysqlAlterWithoutAlgorithm,
        alter("ALTER TABLE t ADD COLUMN c INT"),
    );
    let finding = report
        .of_rule(Rule::MysqlAlterWithoutAlgorithm)
        .next()
        .unwrap();
    assert!(
        finding.message.contains("neither ALGORITHM nor LOCK"),
        "{}",
        finding.message
    );
    assert!(finding.fix.contains("LOCK=NONE"), "{}", finding.fix);
    assert_fires(
        Backend::Mysql,
        Rule::MysqlAlterWithoutAlgorithm,
        alter("ALTER TABLE t ADD COLUMN c INT, ALGORITHM=INPLACE"),
    );
    for sql in [
        "ALTER TABLE t ADD COLUMN c INT, ALGORITHM=INSTANT, LOCK=NONE",
        "ALTER TABLE `t` ADD COLUMN c INT, ALGORITHM INPLACE, LOCK NONE",
    ] {
        assert_quiet(Backend::Mysql, Rule::MysqlAlterWithoutAlgorithm, alter(sql));
        assert_quiet(Backend::Mysql, Rule::MysqlAlgorithmCopy, alter(sql));
    }
    // A table created in the same revision has no rows: plain forms are fine.
    let fresh = vec![FnMigration::new(
        "001",
        &[],
        |op| {
            op.sql("CREATE TABLE t (id INT NOT NULL PRIMARY KEY)")?;
            op.sql("ALTER TABLE t ADD COLUMN c INT")
        },
        |op| op.sql("DROP TABLE t"),
    )];
    assert_quiet(Backend::Mysql, Rule::MysqlAlterWithoutAlgorithm, fresh);
    // Not a MySQL rule elsewhere.
    for backend in BOTH {
        assert_quiet(
            backend,
            Rule::MysqlAlterWithoutAlgorithm,
            vec![
                base(),
                m(
                    "002",
                    Some("001"),
                    "ALTER TABLE t ADD COLUMN c INTEGER",
                    "ALTER TABLE t DROP COLUMN c",
                ),
            ],
        );
    }
}
