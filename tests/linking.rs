//! A program whose migrations live in a library crate (the
//! `examples/acme-migrations` fixture: `.sql` folders and Rust modules in
//! one graph) and that names the crate's `migrations()`, as docs/cli.md
//! shows: it gets every revision, and they behave like Rust ones in every
//! verb, on both backends.

use arx_migrate::cli::{execute, CliConfig};
use arx_migrate::testing::{postgres_test_url, PgTestDatabase};
use arx_migrate::{Backend, Direction, Migrator};
use serde_json::Value;

fn config() -> CliConfig {
    CliConfig::default()
        .migrations(acme_migrations::migrations())
        .program_name("acme-migrate")
}

struct Run {
    code: u8,
    stdout: String,
    stderr: String,
}

fn cli(args: &[&str]) -> Run {
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let code = execute(
        std::iter::once("acme-migrate").chain(args.iter().copied()),
        &config(),
        &mut stdout,
        &mut stderr,
    );
    Run {
        code,
        stdout: String::from_utf8(stdout).unwrap(),
        stderr: String::from_utf8(stderr).unwrap(),
    }
}

fn json(args: &[&str]) -> Value {
    let run = cli(args);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    serde_json::from_str(&run.stdout).unwrap()
}

#[test]
fn naming_the_library_crate_links_its_sql_and_rust_migrations() {
    let migrations = acme_migrations::migrations();
    assert_eq!(migrations.crate_name(), "acme_migrations");
    let migrator = Migrator::new(migrations).unwrap();
    let graph = migrator.graph();
    let chain: Vec<(&str, Vec<&str>)> = graph
        .in_order()
        .map(|m| (m.revision(), m.down_revisions()))
        .collect();
    assert_eq!(
        chain,
        [
            ("001", vec![]),
            ("002", vec!["001"]),
            ("003", vec!["002"]),
            ("004", vec!["003"]),
            ("005", vec!["004"]),
        ]
    );
    let names: Vec<&str> = graph.in_order().map(|m| m.message()).collect();
    assert_eq!(
        names,
        [
            "Create the items table",
            "Create the tags table",
            "Tag items, and count each tag's items",
            "Index items by name, without locking the table",
            "Record each item's stock-keeping unit",
        ]
    );
    assert!(!graph.get("004").unwrap().transactional());
}

#[test]
fn sql_and_rust_revisions_run_on_both_backends() {
    let migrator = Migrator::new(acme_migrations::migrations()).unwrap();
    let mut sqlite = arx_migrate::rusqlite::Connection::open_in_memory().unwrap();
    exercise(&migrator, &mut sqlite);
    if let Some(server) = postgres_test_url("sql_and_rust_revisions_run_on_both_backends") {
        let database = PgTestDatabase::create(&server).unwrap();
        let mut client = database.connect().unwrap();
        exercise(&migrator, &mut client);
    }
}

/// Up, the trigger of the SQL revision 003 at work, a clean second run,
/// and down again.
fn exercise(migrator: &Migrator, conn: &mut dyn arx_migrate::Connection) {
    let report = migrator.upgrade(conn, "head").unwrap();
    let order: Vec<&str> = report.steps.iter().map(|s| s.revision.as_str()).collect();
    assert_eq!(order, ["001", "002", "003", "004", "005"]);
    conn.execute(
        "INSERT INTO items (id, name, sku) VALUES (1, 'bolt', 'B-1'); \
         INSERT INTO tags (id, name) VALUES (1, 'metal'); \
         INSERT INTO item_tags (item_id, tag_id) VALUES (1, 1)",
    )
    .unwrap();
    let counted = conn.query("SELECT item_count FROM tags").unwrap();
    assert_eq!(counted[0][0].as_deref(), Some("1"));
    let again = migrator.upgrade(conn, "head").unwrap();
    assert!(again.steps.is_empty() && again.warnings.is_empty());
    migrator.downgrade(conn, "base").unwrap();
    assert!(migrator.current(conn).unwrap().is_empty());
}

#[test]
fn every_verb_treats_sql_revisions_like_rust_ones() {
    let history = cli(&["history"]);
    assert_eq!(history.code, 0, "{}", history.stderr);
    assert!(
        history
            .stdout
            .contains("002 -> 003, Tag items, and count each tag's items"),
        "{}",
        history.stdout
    );

    // `show`: the statements of the backend's variant, split.
    let show = cli(&["show", "003", "--backend", "sqlite"]);
    assert!(
        show.stdout
            .contains("CREATE TRIGGER item_tags_count AFTER INSERT ON item_tags\nBEGIN"),
        "{}",
        show.stdout
    );
    let show = cli(&["show", "003", "--backend", "postgres"]);
    assert!(
        show.stdout.contains("LANGUAGE plpgsql AS $$"),
        "{}",
        show.stdout
    );
    assert!(!show.stdout.contains("arx-migrate:"), "{}", show.stdout);

    // Offline SQL: the non-transactional 004 outside a transaction.
    let script = cli(&["upgrade", "head", "--sql", "--backend", "postgres"]);
    assert_eq!(script.code, 0, "{}", script.stderr);
    assert!(
        script
            .stdout
            .contains("CREATE INDEX CONCURRENTLY idx_items_name ON items (name);"),
        "{}",
        script.stdout
    );

    // Lint reads the SQL of every revision, both backends.
    let lint = json(&["lint", "--backend", "all", "--format", "json"]);
    assert_eq!(lint["passed"], true, "{lint:#}");
    for report in lint["reports"].as_array().unwrap() {
        assert_eq!(report["revisions"], 5, "{lint:#}");
    }

    // Checksums: one per backend, from the rendered statements, different
    // where the backends' files differ.
    let migrator = Migrator::new(acme_migrations::migrations()).unwrap();
    let tags = migrator.graph().get("003").unwrap();
    let sqlite = arx_migrate::render(&**tags, Backend::Sqlite, Direction::Upgrade);
    let postgres = arx_migrate::render(&**tags, Backend::Postgres, Direction::Upgrade);
    assert_eq!(sqlite.statements.len(), 3);
    assert_eq!(postgres.statements.len(), 4);
    assert_ne!(sqlite.checksum, postgres.checksum);
}

#[test]
fn the_command_line_runs_them_on_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("acme.db").display());
    let up = cli(&["--url", &url, "upgrade", "head"]);
    assert_eq!(up.code, 0, "{}", up.stderr);
    assert!(up.stdout.contains("applied 5 revision(s)"), "{}", up.stdout);
    let current = json(&["--url", &url, "current", "--format", "json"]);
    assert_eq!(current["heads"], serde_json::json!(["005"]), "{current:#}");
    let check = cli(&["--url", &url, "check"]);
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);
}
