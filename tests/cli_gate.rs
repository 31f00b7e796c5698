//! The safety checks on the command line (`lint`, `check`, `validate`), run
//! in process on both backends: the `cli_demo` chain passes them, the
//! `cli_bad_chain` chain (a dropped column, a downgrade that leaves its table
//! behind) does not; text, JSON and markdown output.

#[path = "cli/support.rs"]
mod support;

use std::collections::BTreeSet;

use serde_json::Value;
use support::{bad_chain, demo, run_in, Db};

/// The rules of every finding in a `lint --format json` document.
fn rules(json: &Value) -> BTreeSet<String> {
    json["reports"]
        .as_array()
        .expect("reports")
        .iter()
        .flat_map(|r| r["findings"].as_array().expect("findings").iter())
        .map(|f| f["rule"].as_str().expect("rule").to_string())
        .collect()
}

fn error_findings(json: &Value) -> usize {
    json["reports"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["findings"].as_array().unwrap().iter())
        .filter(|f| f["severity"] == "error" && f["allowed"].is_null())
        .count()
}

#[test]
fn lint_passes_the_demo_chain_and_stops_the_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    let here = dir.path();

    let run = run_in(demo(), here, &["lint", "--backend", "all"], &[]).ok();
    assert!(
        run.stdout
            .contains("lint (sqlite): 6 revision(s), 0 error(s)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("lint (postgres): 6 revision(s), 0 error(s)"),
        "{}",
        run.stdout
    );
    let json = run_in(
        demo(),
        here,
        &["lint", "--backend", "all", "--format", "json"],
        &[],
    )
    .ok()
    .json();
    assert_eq!(json["passed"], true);
    assert_eq!(json["reports"].as_array().unwrap().len(), 2);
    assert_eq!(json["reports"][1]["backend"], "postgres");
    assert_eq!(error_findings(&json), 0);

    for backend in ["sqlite", "postgres"] {
        let run = run_in(bad_chain(), here, &["lint", "--backend", backend], &[]).fails(1);
        assert!(
            run.stdout.contains("error x002 (upgrade) [drop-column]"),
            "{backend}: {}",
            run.stdout
        );
        assert!(
            run.stdout
                .contains("error x003 (downgrade) [downgrade-mismatch]")
                && run.stdout.contains("audit_log is left behind"),
            "{backend}: {}",
            run.stdout
        );
        assert!(
            run.stderr.contains("2 blocking error(s)") && run.stderr.contains("allow"),
            "{backend}: {}",
            run.stderr
        );

        let json = run_in(
            bad_chain(),
            here,
            &["lint", "--backend", backend, "--format", "json"],
            &[],
        )
        .fails(1)
        .json();
        assert_eq!(json["passed"], false);
        assert_eq!(json["error"]["kind"], "lint_failed");
        assert_eq!(json["reports"][0]["backend"], backend);
        // (on PostgreSQL also a missing-lock-timeout warning for the DROP COLUMN)
        let found = rules(&json);
        assert!(
            found.contains("drop-column") && found.contains("downgrade-mismatch"),
            "{backend}: {found:?}"
        );
        assert_eq!(error_findings(&json), 2);

        let run = run_in(
            bad_chain(),
            here,
            &["lint", "--backend", backend, "--format", "markdown"],
            &[],
        )
        .fails(1);
        assert!(
            run.stdout.starts_with(&format!("### Lint ({backend})")),
            "{}",
            run.stdout
        );
        assert!(run.stdout.contains("**2 error(s)**"), "{}", run.stdout);
        assert!(
            run.stdout
                .contains("| ❌ error | x002 (upgrade) | `drop-column` |"),
            "{}",
            run.stdout
        );
        assert!(
            run.stdout
                .contains("| ❌ error | x003 (downgrade) | `downgrade-mismatch` |"),
            "{}",
            run.stdout
        );
    }

    // Without --backend, the URL's backend; lint never connects, so an
    // unreachable server is fine, and its password is not printed.
    let url = "postgres://arx:hunter2secret@127.0.0.1:1/arx";
    let run = run_in(bad_chain(), here, &["--url", url, "lint"], &[]).fails(1);
    assert!(
        run.stdout
            .contains("lint (postgres): 3 revision(s), 2 error(s)"),
        "{}",
        run.stdout
    );
    assert!(!run.all().contains("hunter2secret"), "{}", run.all());
    let run = run_in(bad_chain(), here, &["lint"], &[]).fails(1);
    assert!(run.stdout.contains("lint (sqlite)"), "{}", run.stdout);
    assert!(
        !here.join("data").exists(),
        "lint created the default database's folder"
    );

    // The rules, and the usage errors.
    let run = run_in(demo(), here, &["lint", "--rules"], &[]).ok();
    assert!(
        run.stdout.contains("drop-column") && run.stdout.contains("fix: "),
        "{}",
        run.stdout
    );
    let json = run_in(demo(), here, &["lint", "--rules", "--format", "json"], &[])
        .ok()
        .json();
    assert!(json["rules"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["id"] == "volatile-index-predicate"));
    let run = run_in(demo(), here, &["heads", "--format", "markdown"], &[]).fails(2);
    assert!(
        run.stderr
            .contains("--format markdown is for lint, check and validate"),
        "{}",
        run.stderr
    );
    let run = run_in(demo(), here, &["show", "a001", "--backend", "all"], &[]).fails(2);
    assert!(
        run.stderr.contains("--backend all is for `lint`"),
        "{}",
        run.stderr
    );
    run_in(demo(), here, &["lint", "--backend", "oracle"], &[]).fails(2);
}

/// The four mistakes of the old monolithic Arxos SQL file: a table
/// referencing `rooms` before it exists, an index name defined twice, an
/// index on a column `zones` does not have, and `NOW()` in an index
/// predicate.
const FOUR_MISTAKES: &str = "
CREATE TABLE zones (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL, floor_id INTEGER);
CREATE TABLE walls (id INTEGER PRIMARY KEY, room_id INTEGER REFERENCES rooms (id), created_at TIMESTAMP);
CREATE TABLE rooms (id INTEGER PRIMARY KEY, name VARCHAR(100));
CREATE INDEX idx_walls_room ON walls (room_id, created_at);
CREATE INDEX idx_walls_room ON walls (room_id, id);
CREATE INDEX idx_zones_room ON zones (room_id);
CREATE INDEX idx_walls_recent ON walls (created_at) WHERE created_at > NOW();
";

const CLEAN_SQL: &str = "
CREATE TABLE rooms (id INTEGER PRIMARY KEY, name VARCHAR(100));
CREATE TABLE walls (id INTEGER PRIMARY KEY, room_id INTEGER REFERENCES rooms (id), created_at TIMESTAMP);
CREATE INDEX idx_walls_room ON walls (room_id, created_at);
";

#[test]
fn lint_file_finds_the_four_mistakes_of_the_old_schema_file() {
    let dir = tempfile::tempdir().unwrap();
    let here = dir.path();
    std::fs::write(here.join("schema.sql"), FOUR_MISTAKES).unwrap();
    std::fs::write(here.join("clean.sql"), CLEAN_SQL).unwrap();
    let expected: BTreeSet<String> = [
        "duplicate-name",
        "index-unknown-column",
        "unknown-table",
        "volatile-index-predicate",
    ]
    .map(String::from)
    .into();
    for backend in ["sqlite", "postgres"] {
        let run = run_in(
            demo(),
            here,
            &["lint", "--file", "schema.sql", "--backend", backend],
            &[],
        )
        .fails(1);
        for rule in &expected {
            assert!(
                run.stdout.contains(&format!("[{rule}]")),
                "{backend}: no {rule} in:\n{}",
                run.stdout
            );
        }
        let json = run_in(
            demo(),
            here,
            &[
                "lint",
                "--file",
                "schema.sql",
                "--backend",
                backend,
                "--format",
                "json",
            ],
            &[],
        )
        .fails(1)
        .json();
        assert_eq!(json["file"], "schema.sql");
        let found = rules(&json);
        assert!(found.is_superset(&expected), "{backend}: {found:?}");
        assert_eq!(error_findings(&json), 4, "{backend}: {json:#}");

        let run = run_in(
            demo(),
            here,
            &["lint", "--file", "clean.sql", "--backend", backend],
            &[],
        )
        .ok();
        assert!(
            run.stdout.contains("0 error(s)"),
            "{backend}: {}",
            run.stdout
        );
    }
    // The backend from the URL; a missing file is an error naming it.
    let run = run_in(
        demo(),
        here,
        &[
            "--url",
            "postgres://u@127.0.0.1:1/x",
            "lint",
            "--file",
            "schema.sql",
        ],
        &[],
    )
    .fails(1);
    assert!(
        run.stdout
            .contains("lint (postgres): 1 revision(s), 4 error(s)"),
        "{}",
        run.stdout
    );
    let run = run_in(
        demo(),
        here,
        &["lint", "--file", "nope.sql", "--backend", "sqlite"],
        &[],
    )
    .fails(1);
    assert!(run.stderr.contains("nope.sql"), "{}", run.stderr);
}

#[test]
fn lint_files_chain_start_from_a_schema_or_revision_and_print_for_ci() {
    let dir = tempfile::tempdir().unwrap();
    let here = dir.path();
    let write = |name: &str, sql: &str| std::fs::write(here.join(name), sql).unwrap();
    write(
        "a.sql",
        "CREATE TABLE accounts (id bigint PRIMARY KEY, name varchar(40));\n",
    );
    write(
        "b.sql",
        "SET lock_timeout = '5s';\nALTER TABLE accounts ADD COLUMN plan text NOT NULL;\n",
    );
    // Several files lint as a chain: b.sql alters a table a.sql created.
    let run = run_in(
        demo(),
        here,
        &["lint", "--file", "a.sql", "b.sql", "--backend", "postgres"],
        &[],
    )
    .fails(1);
    assert!(
        run.stdout
            .contains("error b.sql:2 [not-null-without-default]"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("unknown-schema"), "{}", run.stdout);
    // Alone, accounts is unknown: taken to exist, said once.
    let run = run_in(
        demo(),
        here,
        &["lint", "--file", "b.sql", "--backend", "postgres"],
        &[],
    )
    .fails(1);
    assert_eq!(
        run.stdout.matches("[unknown-schema]").count(),
        1,
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("unknown: give --schema"),
        "{}",
        run.stdout
    );

    // --schema: a live database's schema (read, not changed).
    let db = here.join("live.db");
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch("CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT); CREATE INDEX idx_accounts_name ON accounts (name);")
        .unwrap();
    write(
        "c.sql",
        "ALTER TABLE accounts DROP COLUMN name;\nALTER TABLE accounts DROP COLUMN nope;\n",
    );
    let url = format!("sqlite://{}", db.display());
    let json = run_in(
        demo(),
        here,
        &[
            "lint", "--file", "c.sql", "--schema", &url, "--format", "json",
        ],
        &[],
    )
    .fails(1)
    .json();
    assert_eq!(
        rules(&json),
        ["drop-column", "sqlite-unsupported-alter", "unknown-column"]
            .map(String::from)
            .into(),
        "{json:#}"
    );
    // --after: the program's chain at a revision.
    write("d.sql", "ALTER TABLE tags ADD COLUMN color TEXT;\n");
    run_in(
        demo(),
        here,
        &[
            "lint",
            "--file",
            "d.sql",
            "--after",
            "b002",
            "--backend",
            "sqlite",
        ],
        &[],
    )
    .ok();
    let run = run_in(
        demo(),
        here,
        &[
            "lint",
            "--file",
            "d.sql",
            "--after",
            "a001",
            "--backend",
            "sqlite",
        ],
        &[],
    )
    .fails(1);
    assert!(run.stdout.contains("[unknown-table]"), "{}", run.stdout);
    run_in(
        demo(),
        here,
        &["lint", "--file", "d.sql", "--after", "zz9"],
        &[],
    )
    .fails(1);
    run_in(demo(), here, &["lint", "--schema", &url], &[]).fails(2);

    // SARIF and GitHub annotations, for lint only.
    let sarif = run_in(
        demo(),
        here,
        &[
            "lint",
            "--file",
            "a.sql",
            "b.sql",
            "--backend",
            "postgres",
            "--format",
            "sarif",
        ],
        &[],
    )
    .fails(1)
    .json();
    assert_eq!(sarif["version"], "2.1.0");
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "not-null-without-default");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "b.sql"
    );
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["startLine"],
        2
    );
    let run = run_in(
        demo(),
        here,
        &[
            "lint",
            "--file",
            "a.sql",
            "b.sql",
            "--backend",
            "postgres",
            "--format",
            "github",
        ],
        &[],
    )
    .fails(1);
    assert!(
        run.stdout
            .starts_with("::error file=b.sql,line=2,title=not-null-without-default (postgres)::"),
        "{}",
        run.stdout
    );
    run_in(demo(), here, &["check", "--format", "sarif"], &[]).fails(2);

    // [lint] in arx-migrate.toml switches style rules on; a bad id is an error.
    let run = run_in(
        demo(),
        here,
        &["lint", "--file", "a.sql", "--backend", "postgres"],
        &[],
    )
    .ok();
    assert!(!run.stdout.contains("prefer-text-field"), "{}", run.stdout);
    write(
        "arx-migrate.toml",
        "[lint]\nenable = [\"prefer-text-field\"]\n",
    );
    let run = run_in(
        demo(),
        here,
        &["lint", "--file", "a.sql", "--backend", "postgres"],
        &[],
    )
    .ok();
    assert!(
        run.stdout.contains("warning a.sql:1 [prefer-text-field]"),
        "{}",
        run.stdout
    );
    write(
        "arx-migrate.toml",
        "[lint]\nenable = [\"prefer-txt-field\"]\n",
    );
    let run = run_in(
        demo(),
        here,
        &["lint", "--file", "a.sql", "--backend", "postgres"],
        &[],
    )
    .fails(1);
    assert!(
        run.stderr.contains("did you mean prefer-text-field"),
        "{}",
        run.stderr
    );
}

#[test]
fn check_is_clean_after_upgrade_and_reports_drift_made_by_hand() {
    for db in Db::each("check_is_clean_after_upgrade_and_reports_drift_made_by_hand") {
        let name = db.name();
        // A database that is not there is an error, not a clean check.
        if let Db::Sqlite { .. } = db {
            let run = db.cli(&["check"]).fails(1);
            assert!(run.stderr.contains("no database"), "{}", run.stderr);
        }
        db.cli(&["upgrade", "head"]).ok();
        let run = db.cli(&["check"]).ok();
        assert!(
            run.stdout.contains(&format!(
                "check ({name}): the schema matches the migrations at e006"
            )),
            "{name}: {}",
            run.stdout
        );
        let json = db.cli(&["check", "--format", "json"]).ok().json();
        assert_eq!(json["clean"], true);
        assert_eq!(json["heads"], serde_json::json!(["e006"]));
        assert_eq!(json["differences"], serde_json::json!([]));
        let run = db.cli(&["check", "--format", "markdown"]).ok();
        assert!(run.stdout.contains("No drift."), "{name}: {}", run.stdout);

        db.execute("ALTER TABLE items ADD COLUMN extra TEXT");
        let run = db.cli(&["check"]).fails(1);
        assert!(
            run.stdout.contains("extra-column: items.extra"),
            "{name}: {}",
            run.stdout
        );
        assert!(
            run.stdout.contains("1 difference(s)"),
            "{name}: {}",
            run.stdout
        );
        assert!(
            run.stderr
                .contains("differs from the one the migrations produce at e006"),
            "{name}: {}",
            run.stderr
        );
        let json = db.cli(&["check", "--format", "json"]).fails(1).json();
        assert_eq!(json["clean"], false);
        assert_eq!(json["error"]["kind"], "drift");
        let differences = json["differences"].as_array().unwrap();
        assert_eq!(differences.len(), 1, "{name}: {json:#}");
        assert_eq!(differences[0]["kind"], "extra-column");
        assert_eq!(differences[0]["table"], "items");
        assert_eq!(differences[0]["object"], "extra");
        let run = db.cli(&["check", "--format", "markdown"]).fails(1);
        assert!(
            run.stdout.contains("| extra-column | items | extra |"),
            "{name}: {}",
            run.stdout
        );
    }
}

#[test]
fn validate_passes_the_demo_and_names_the_bad_chains_revision() {
    for db in Db::each("validate_passes_the_demo_and_names_the_bad_chains_revision") {
        let name = db.name();
        let run = db.cli(&["validate"]).ok();
        assert!(
            run.stdout
                .contains(&format!("validate ({name}), 6 revision(s)")),
            "{}",
            run.stdout
        );
        assert!(
            run.stdout.contains("validate: passed"),
            "{name}: {}",
            run.stdout
        );
        for step in [
            "upgrade base → head",
            "stairway",
            "downgrade head → base",
            "lint",
            "single head",
        ] {
            let line = run
                .stdout
                .lines()
                .find(|l| l.contains(step))
                .unwrap_or_else(|| panic!("{name}: no step {step} in {}", run.stdout));
            assert!(
                line.contains("passed") && line.trim_end().ends_with(" ms"),
                "{name}: {line}"
            );
        }
        let json = db.cli(&["validate", "--format", "json"]).ok().json();
        assert_eq!(json["passed"], true);
        assert_eq!(json["backend"], name);
        let steps = json["steps"].as_array().unwrap();
        assert_eq!(steps.len(), 7);
        assert!(steps
            .iter()
            .all(|s| s["outcome"] == "passed" && s["duration_ms"].is_u64()));
        let run = db.cli(&["validate", "--format", "markdown"]).ok();
        assert!(
            run.stdout
                .starts_with(&format!("### Migration validation ({name}): ✅ passed")),
            "{}",
            run.stdout
        );
        assert!(
            run.stdout.contains("| stairway | ✅ passed |"),
            "{}",
            run.stdout
        );

        let run = db.run(bad_chain(), &["validate"]).fails(1);
        assert!(
            run.stdout.contains("validate: FAILED"),
            "{name}: {}",
            run.stdout
        );
        assert!(
            run.stderr.contains("validation failed")
                && run.stderr.contains("stairway: downgrade of x003"),
            "{name}: {}",
            run.stderr
        );
        let json = db
            .run(bad_chain(), &["validate", "--format", "json"])
            .fails(1)
            .json();
        assert_eq!(json["passed"], false);
        assert_eq!(json["error"]["kind"], "validation_failed");
        let failed: Vec<&str> = json["error"]["details"]["failed_steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        assert!(
            failed.contains(&"stairway") && failed.contains(&"lint"),
            "{failed:?}"
        );
        let stairway = json["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == "stairway")
            .unwrap();
        assert_eq!(stairway["outcome"], "failed");
        assert!(
            stairway["details"][0].as_str().unwrap().contains("x003"),
            "{stairway:#}"
        );
        let run = db
            .run(bad_chain(), &["validate", "--format", "markdown"])
            .fails(1);
        assert!(run.stdout.contains("❌ failed"), "{}", run.stdout);
        assert!(run.stdout.contains("downgrade of x003"), "{}", run.stdout);

        // The database at the URL is not touched: validate works on a scratch one.
        match &db {
            Db::Sqlite { dir, .. } => assert!(!dir.path().join("test.db").exists()),
            Db::Postgres { .. } => assert_eq!(db.schema(), Vec::<Vec<String>>::new(), "{name}"),
        }
    }
    let run = Db::sqlite()
        .cli(&["validate", "--backend", "postgres"])
        .fails(2);
    assert!(run.stderr.contains("needs a server"), "{}", run.stderr);
}

#[test]
fn a_chain_with_a_data_migration_is_checked_on_a_fresh_scratch_database() {
    // The demo's 005 reads rows through the connection: code the checksums
    // do not cover, so its schema is never taken from the cache.
    for db in Db::each("a_chain_with_a_data_migration_is_checked_on_a_fresh_scratch_database") {
        db.cli(&["upgrade", "head"]).ok();
        for _ in 0..2 {
            let json = db.cli(&["check", "--format", "json"]).ok().json();
            assert_eq!(
                json["scratch"],
                serde_json::json!({"source": "fresh"}),
                "{}: {json:#}",
                db.name()
            );
        }
    }
}
