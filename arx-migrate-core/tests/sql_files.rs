//! `.sql` migrations read at run time (`MigrationSet::from_sql_dir`), in
//! each layout, on both backends, in one graph with Rust migrations.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arx_migrate_core::{render, Backend, Direction, Error, FnMigration, MigrationSet, Migrator};
use support::{backends, count, m, tables};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/sql")
        .join(name)
}

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

fn set(names: &[&str]) -> std::collections::BTreeSet<String> {
    names.iter().map(|n| n.to_string()).collect()
}

#[test]
fn a_sqlx_folder_migrates_both_backends_up_and_down() {
    let migrator = Migrator::new(MigrationSet::from_sql_dir(fixture("sqlx")).unwrap()).unwrap();
    let graph = migrator.graph();
    assert_eq!(graph.heads(), ["20240103000000"]);
    assert_eq!(graph.parents_of("20240102000000"), ["20240101000000"]);
    let index = graph.get("20240103000000").unwrap();
    assert!(!index.transactional(), "`-- no-transaction` is kept");
    assert_eq!(graph.get("20240102000000").unwrap().message(), "add posts");
    for db in backends("a_sqlx_folder_migrates_both_backends_up_and_down") {
        let mut conn = db.connect();
        let report = migrator.upgrade(&mut *conn, "head").unwrap();
        assert_eq!(report.steps.len(), 3, "{:?}", db.backend());
        assert_eq!(tables(&mut *conn), set(&["users", "posts"]));
        // The quoted `;` in a default stayed inside its statement.
        conn.execute("INSERT INTO users (id, email) VALUES (1, 'a@b.c')")
            .unwrap();
        conn.execute("INSERT INTO posts (id, user_id) VALUES (1, 1)")
            .unwrap();
        assert_eq!(
            conn.query("SELECT body FROM posts").unwrap()[0][0].as_deref(),
            Some("it's; empty")
        );
        // Checksums of the files are stable: a second run is a no-op
        // without warnings.
        let again = migrator.upgrade(&mut *conn, "head").unwrap();
        assert!(again.steps.is_empty() && again.warnings.is_empty());
        conn.execute("DELETE FROM posts").unwrap();
        migrator.downgrade(&mut *conn, "base").unwrap();
        assert!(tables(&mut *conn).is_empty());
    }
}

#[test]
fn a_refinery_folder_upgrades_and_says_why_it_cannot_downgrade() {
    let migrator = Migrator::new(MigrationSet::from_sql_dir(fixture("refinery")).unwrap()).unwrap();
    assert_eq!(migrator.graph().heads(), ["3"]);
    for db in backends("a_refinery_folder_upgrades_and_says_why_it_cannot_downgrade") {
        let mut conn = db.connect();
        migrator.upgrade(&mut *conn, "head").unwrap();
        assert_eq!(tables(&mut *conn), set(&["persons", "cars"]));
        let error = migrator.downgrade(&mut *conn, "-1").unwrap_err();
        let text = error.to_string();
        assert!(
            matches!(error, Error::Migration { ref revision, .. } if revision == "3"),
            "{text}"
        );
        assert!(
            text.contains("V3__add_brand.sql has no downgrade SQL"),
            "{text}"
        );
        assert!(text.contains("up.sql and down.sql"), "{text}");
        assert_eq!(migrator.current(&mut *conn).unwrap(), ["3"]);
    }
}

#[test]
fn backend_variants_and_a_non_transactional_file_run_statement_by_statement() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (
                "001_widgets/up.sql",
                "-- Create widgets\nCREATE TABLE widgets (id integer PRIMARY KEY, name text NOT NULL);",
            ),
            ("001_widgets/down.sql", "DROP TABLE widgets;"),
            // Two CONCURRENTLY builds in one file: PostgreSQL refuses them
            // in one multi-statement query (an implicit transaction).
            (
                "002_indexes/up.postgres.sql",
                "-- arx-migrate: transactional = false\n-- Index widgets\nCREATE INDEX CONCURRENTLY idx_widgets_name ON widgets (name);\nCREATE INDEX CONCURRENTLY idx_widgets_id_name ON widgets (id, name);\n",
            ),
            (
                "002_indexes/up.sqlite.sql",
                "-- arx-migrate: transactional = false\nCREATE INDEX idx_widgets_name ON widgets (name);\nCREATE INDEX idx_widgets_id_name ON widgets (id, name);\n",
            ),
            (
                "002_indexes/down.postgres.sql",
                "DROP INDEX CONCURRENTLY idx_widgets_id_name;\nDROP INDEX CONCURRENTLY idx_widgets_name;",
            ),
            (
                "002_indexes/down.sqlite.sql",
                "DROP INDEX idx_widgets_id_name;\nDROP INDEX idx_widgets_name;",
            ),
        ],
    );
    let migrator = Migrator::new(MigrationSet::from_sql_dir(dir.path()).unwrap()).unwrap();
    let indexes = migrator.graph().get("002").unwrap().clone();
    assert_eq!(indexes.message(), "Index widgets");
    assert!(!indexes.transactional());
    for (backend, expected) in [(Backend::Postgres, "CONCURRENTLY"), (Backend::Sqlite, "")] {
        let up = render(&*indexes, backend, Direction::Upgrade)
            .into_result()
            .unwrap();
        assert_eq!(up.len(), 2, "{up:?}");
        assert!(up.iter().all(|s| s.contains(expected)), "{up:?}");
    }
    for db in backends("backend_variants_and_a_non_transactional_file_run_statement_by_statement") {
        let mut conn = db.connect();
        migrator.upgrade(&mut *conn, "head").unwrap();
        let indexes = match db.backend() {
            Backend::Sqlite => "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name LIKE 'idx_widgets%'",
            Backend::Postgres => "SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'idx_widgets%'",
            Backend::Mysql => unreachable!("backends() gives no MySQL database"),
        };
        assert_eq!(count(&mut *conn, indexes), 2);
        migrator.downgrade(&mut *conn, "001").unwrap();
        assert_eq!(count(&mut *conn, indexes), 0);
    }
}

/// The three files of issue 20, without a header: made only of
/// `CONCURRENTLY` steps and a session `SET`, they run outside a
/// transaction, where PostgreSQL accepts them.
#[test]
fn header_less_concurrent_index_files_run_outside_a_transaction() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (
                "001_notes/up.sql",
                "CREATE TABLE notes (id integer PRIMARY KEY, body text);",
            ),
            ("001_notes/down.sql", "DROP TABLE notes;"),
            (
                "002_index/up.postgres.sql",
                "-- Index the notes\nSET lock_timeout = '5s';\nCREATE INDEX CONCURRENTLY idx_notes_body ON notes (body);",
            ),
            (
                "002_index/up.sqlite.sql",
                "CREATE INDEX idx_notes_body ON notes (body);",
            ),
            ("002_index/down.sql", "DROP INDEX idx_notes_body;"),
            (
                "003_unindex/up.postgres.sql",
                "SET lock_timeout = '5s';\nDROP INDEX CONCURRENTLY idx_notes_body;",
            ),
            ("003_unindex/up.sqlite.sql", "DROP INDEX idx_notes_body;"),
            (
                "003_unindex/down.sql",
                "CREATE INDEX idx_notes_body ON notes (body);",
            ),
            (
                "004_unique/up.postgres.sql",
                "SET lock_timeout = '5s';\nCREATE UNIQUE INDEX CONCURRENTLY uq_notes_id_body ON notes (id, body);",
            ),
            (
                "004_unique/up.sqlite.sql",
                "CREATE UNIQUE INDEX uq_notes_id_body ON notes (id, body);",
            ),
            ("004_unique/down.sql", "DROP INDEX uq_notes_id_body;"),
        ],
    );
    let migrator = Migrator::new(MigrationSet::from_sql_dir(dir.path()).unwrap()).unwrap();
    for id in ["002", "003", "004"] {
        assert!(!migrator.graph().get(id).unwrap().transactional(), "{id}");
    }
    assert!(migrator.graph().get("001").unwrap().transactional());
    for db in backends("header_less_concurrent_index_files_run_outside_a_transaction") {
        let mut conn = db.connect();
        migrator.upgrade(&mut *conn, "head").unwrap();
        let indexes = match db.backend() {
            Backend::Sqlite => "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name LIKE '%notes%'",
            Backend::Postgres => "SELECT count(*) FROM pg_indexes WHERE tablename = 'notes' AND indexname <> 'notes_pkey'",
            Backend::Mysql => unreachable!("backends() gives no MySQL database"),
        };
        assert_eq!(count(&mut *conn, indexes), 1, "{:?}", db.backend());
        migrator.downgrade(&mut *conn, "001").unwrap();
        assert_eq!(count(&mut *conn, indexes), 0, "{:?}", db.backend());
    }
}

#[test]
fn sql_and_rust_migrations_revise_each_other() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("a1_accounts/up.sql", "CREATE TABLE accounts (id integer PRIMARY KEY);"),
            ("a1_accounts/down.sql", "DROP TABLE accounts;"),
            // Revises the Rust migration r2, which revises a1.
            (
                "a3_audit/up.sql",
                "-- arx-migrate: down_rev = \"r2\"\nCREATE TABLE audit (id integer PRIMARY KEY, account_id integer REFERENCES accounts (id));",
            ),
            ("a3_audit/down.sql", "DROP TABLE audit;"),
        ],
    );
    let mut migrations = MigrationSet::from_sql_dir(dir.path()).unwrap();
    migrations.push(Arc::new(m(
        "r2",
        Some("a1"),
        "CREATE TABLE settings (id integer PRIMARY KEY)",
        "DROP TABLE settings",
    )));
    migrations.push(Arc::new(FnMigration::new(
        "r4",
        &["a3"],
        |op| op.sql("CREATE INDEX idx_audit_account_id ON audit (account_id)"),
        |op| op.sql("DROP INDEX idx_audit_account_id"),
    )));
    let migrator = Migrator::new(migrations).unwrap();
    assert_eq!(migrator.graph().heads(), ["r4"]);
    for db in backends("sql_and_rust_migrations_revise_each_other") {
        let mut conn = db.connect();
        let report = migrator.upgrade(&mut *conn, "head").unwrap();
        let order: Vec<&str> = report.steps.iter().map(|s| s.revision.as_str()).collect();
        assert_eq!(order, ["a1", "r2", "a3", "r4"]);
        assert_eq!(tables(&mut *conn), set(&["accounts", "settings", "audit"]));
        migrator.downgrade(&mut *conn, "r2").unwrap();
        assert_eq!(tables(&mut *conn), set(&["accounts", "settings"]));
    }
}

#[test]
fn a_failing_statement_is_named_and_its_revision_rolled_back() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (
                "001_broken/up.sql",
                "CREATE TABLE fine (id integer);\nCREATE TABLE broken (id integer REFERENCES);\n",
            ),
            ("001_broken/down.sql", "DROP TABLE fine;"),
        ],
    );
    let migrator = Migrator::new(MigrationSet::from_sql_dir(dir.path()).unwrap()).unwrap();
    for db in backends("a_failing_statement_is_named_and_its_revision_rolled_back") {
        let mut conn = db.connect();
        let error = migrator.upgrade(&mut *conn, "head").unwrap_err();
        let failure = error.statement_failure().expect("a statement failure");
        assert_eq!(failure.revision, "001");
        // SQLite runs the statements in turn and names the one that fails;
        // PostgreSQL rejects a batch with a syntax error whole, before
        // running any of it.
        assert!(
            failure
                .statement
                .ends_with("CREATE TABLE broken (id integer REFERENCES)"),
            "{error}"
        );
        assert!(failure.source.message.contains("syntax error"), "{error}");
        assert!(failure.rolled_back);
        assert!(tables(&mut *conn).is_empty());
    }
}

#[test]
fn a_folder_that_cannot_be_read_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("001_a/up.sql", "SELECT 1;\nSELECT 'never closed;\n"),
            ("001_a/down.sql", ""),
        ],
    );
    let error = MigrationSet::from_sql_dir(dir.path()).unwrap_err();
    let text = error.to_string();
    assert!(matches!(error, Error::SqlFiles { .. }), "{text}");
    assert!(text.contains("001_a/up.sql: line 2"), "{text}");
    let error = MigrationSet::from_sql_dir(dir.path().join("missing")).unwrap_err();
    assert!(error
        .to_string()
        .contains("cannot read the migrations folder"));
}

#[test]
fn allowed_lints_and_messages_come_from_the_header() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (
                "001_drop/up.sql",
                "-- arx-migrate: rev = \"d1\", allow = [\"drop-table: legacy was never read\"]\n-- Drop the legacy table\n--\n-- Details that are not the message.\nDROP TABLE legacy;",
            ),
            ("001_drop/down.sql", "CREATE TABLE legacy (id integer);"),
        ],
    );
    let set = MigrationSet::from_sql_dir(dir.path()).unwrap();
    let migrator = Migrator::new(set).unwrap();
    let migration = migrator.graph().get("d1").unwrap();
    assert_eq!(migration.message(), "Drop the legacy table");
    assert_eq!(
        migration.allowed_lints(),
        [("drop-table", "legacy was never read")]
    );
    let script = migrator
        .offline_script(Backend::Sqlite, &[], "head", Direction::Upgrade)
        .unwrap();
    assert!(script.contains("DROP TABLE legacy;"), "{script}");
    assert!(
        !script.contains("arx-migrate:"),
        "the header is not SQL: {script}"
    );
}

/// `up.mysql.sql` and `down.mysql.sql` are what MariaDB runs, beside an
/// `up.sql` the other backends run; a trigger's `BEGIN … END` body in them
/// stays one statement.
#[test]
fn mysql_variants_are_picked_on_mariadb() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (
                "001_notes/up.sql",
                "-- Create notes\nCREATE TABLE notes (id integer PRIMARY KEY, body text NOT NULL);",
            ),
            (
                "001_notes/up.mysql.sql",
                "CREATE TABLE notes (id INT NOT NULL PRIMARY KEY, body LONGTEXT NOT NULL) ENGINE=InnoDB;\n\
                 CREATE TABLE note_log (id INT NOT NULL) ENGINE=InnoDB;\n\
                 CREATE TRIGGER notes_log AFTER INSERT ON notes FOR EACH ROW BEGIN IF NEW.id > 0 THEN INSERT INTO note_log VALUES (NEW.id); END IF; END;\n",
            ),
            ("001_notes/down.sql", "DROP TABLE notes;"),
            (
                "001_notes/down.mysql.sql",
                "DROP TABLE notes;\nDROP TABLE note_log;",
            ),
        ],
    );
    let migrator = Migrator::new(MigrationSet::from_sql_dir(dir.path()).unwrap()).unwrap();
    let notes = migrator.graph().get("001").unwrap().clone();
    let up = |backend| {
        render(&*notes, backend, Direction::Upgrade)
            .into_result()
            .unwrap()
    };
    assert_eq!(up(Backend::Sqlite).len(), 1);
    let mysql = up(Backend::Mysql);
    assert_eq!(mysql.len(), 3, "{mysql:?}");
    assert!(mysql[2].ends_with("END IF; END"), "{mysql:?}");

    let Some(url) = arx_migrate_testing::mysql_test_url("mysql_variants_are_picked_on_mariadb")
    else {
        return;
    };
    let db = arx_migrate_testing::MysqlTestDatabase::create(&url).unwrap();
    let mut conn = db.connect().unwrap();
    migrator.upgrade(&mut conn, "head").unwrap();
    arx_migrate_core::Connection::execute(&mut conn, "INSERT INTO notes VALUES (7, 'x')").unwrap();
    assert_eq!(
        count(&mut conn, "SELECT count(*) FROM note_log WHERE id = 7"),
        1
    );
    migrator.downgrade(&mut conn, "base").unwrap();
    assert_eq!(tables(&mut conn), set(&[]));
}
