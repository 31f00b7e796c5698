//! `revision --autogenerate` through the command line, in process, on the
//! `cli_demo` chain: from a database changed by hand, from a schema file,
//! as a module and as a `.sql` migration, and "No changes in schema
//! detected" when there is nothing to write.

#[path = "cli/support.rs"]
mod support;

use support::Db;

#[test]
fn a_database_changed_by_hand_becomes_a_module() {
    for db in Db::each("a_database_changed_by_hand_becomes_a_module") {
        db.cli(&["upgrade", "heads"]).ok();
        // At head: nothing to write, exit 0, no file.
        let out = db
            .cli(&[
                "--migrations-dir",
                "src/migrations",
                "revision",
                "--autogenerate",
                "-m",
                "nothing yet",
                "--from",
                db.url(),
            ])
            .ok();
        assert_eq!(
            out.stdout,
            "No changes in schema detected.\n",
            "{}",
            db.name()
        );
        assert!(!db.dir().join("src/migrations").exists());

        db.execute(
            "CREATE TABLE stickies (id INTEGER PRIMARY KEY, item_id INTEGER REFERENCES items (id), body TEXT NOT NULL);
             CREATE INDEX idx_stickies_item ON stickies (item_id);",
        );
        let json = db
            .cli(&[
                "--migrations-dir",
                "src/migrations",
                "--format",
                "json",
                "revision",
                "--autogenerate",
                "-m",
                "Add stickies",
                "--rev-id",
                "f007",
                "--from",
                db.url(),
            ])
            .ok()
            .json();
        assert_eq!(json["steps"], 1, "{json}");
        assert_eq!(json["destructive_steps"], 0);
        assert_eq!(json["down_revisions"], serde_json::json!(["e006"]));
        let text = std::fs::read_to_string(db.dir().join(json["path"].as_str().unwrap())).unwrap();
        assert!(
            text.contains("#[arx_migrate::migration(rev = \"f007\", down_rev = \"e006\""),
            "{text}"
        );
        assert!(text.contains("// Create table stickies."), "{text}");
        assert!(
            text.contains("op.exec(Table::drop().table(\"stickies\"))?;"),
            "{text}"
        );
    }
}

#[test]
fn a_schema_file_becomes_a_sql_migration_with_destructive_steps_to_review() {
    let db = Db::sqlite();
    db.cli(&["upgrade", "heads"]).ok();
    // The schema wanted, as a file: a dump of the database (bookkeeping
    // tables and all: they are left out), with a table dropped and a
    // column added.
    let mut schema = String::new();
    for row in support::sqlite_query(
        &db.dir().join("test.db"),
        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' \
         AND name <> 'notes' ORDER BY type = 'index', name",
    ) {
        schema.push_str(&row[0]);
        schema.push_str(";\n");
    }
    schema.push_str("ALTER TABLE items ADD COLUMN rating INTEGER;\n");
    std::fs::write(db.dir().join("schema.sql"), schema).unwrap();

    let out = db
        .cli(&[
            "--format",
            "sql",
            "revision",
            "--autogenerate",
            "-m",
            "Drop notes, rate items",
            "--rev-id",
            "f007",
            "--from",
            "schema.sql",
        ])
        .ok();
    assert!(out.stdout.contains("lose data"), "{}", out.stdout);
    let folder = db.dir().join("migrations/f007_drop_notes_rate_items");
    let up = std::fs::read_to_string(folder.join("up.sql")).unwrap();
    let down = std::fs::read_to_string(folder.join("down.sql")).unwrap();
    assert!(
        up.starts_with(
            "-- arx-migrate: rev = \"f007\", down_rev = \"e006\", allow = [\"drop-table: FILL IN"
        ),
        "{up}"
    );
    assert!(up.contains("DROP TABLE \"notes\";"), "{up}");
    assert!(up.contains("ADD COLUMN \"rating\" INTEGER"), "{up}");
    assert!(down.contains("CREATE TABLE notes"), "{down}");
    // The files are a migration the reader takes.
    let read = arx_migrate::MigrationSet::from_sql_dir(db.dir().join("migrations")).unwrap();
    let migrations = arx_migrate::MigrationSource::migrations(&read);
    assert_eq!(migrations[0].revision(), "f007");
    assert_eq!(migrations[0].down_revisions(), ["e006"]);

    // f007 is not compiled into the program: its schema at head would be
    // wrong, so the next one waits for a build.
    let args = [
        "revision",
        "--autogenerate",
        "-m",
        "x",
        "--from",
        "schema.sql",
    ];
    let out = db.cli(&args).fails(1);
    assert!(out.stderr.contains("cargo build"), "{}", out.stderr);
    // --format rust and sql are for --autogenerate only; a rename that
    // names nothing is refused.
    assert_eq!(db.cli(&["--format", "sql", "heads"]).code, 2);
    let mut args = args.to_vec();
    args.extend(["--head", "e006", "--rename", "nowhere.a=b"]);
    let out = db.cli(&args).fails(1);
    assert!(
        out.stderr.contains("--rename: table nowhere"),
        "{}",
        out.stderr
    );
}

/// A change SQLite makes by rebuilding the table has no plain SQL: the
/// refusal names the program and the step, and says what to type.
#[test]
fn a_rebuild_is_refused_as_sql_with_the_command_that_writes_it() {
    let db = Db::sqlite();
    db.cli(&["upgrade", "heads"]).ok();
    let mut schema = String::new();
    for row in support::sqlite_query(
        &db.dir().join("test.db"),
        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' \
         ORDER BY type = 'index', name",
    ) {
        // notes.body: TEXT NOT NULL becomes INTEGER NOT NULL.
        schema.push_str(&row[0].replace("body TEXT NOT NULL", "body INTEGER NOT NULL"));
        schema.push_str(";\n");
    }
    assert!(schema.contains("body INTEGER"), "{schema}");
    std::fs::write(db.dir().join("schema.sql"), schema).unwrap();
    let out = db
        .cli(&[
            "--format",
            "sql",
            "revision",
            "--autogenerate",
            "-m",
            "Numeric notes",
            "--from",
            "schema.sql",
        ])
        .fails(1);
    let program = out.stderr.split_whitespace().nth(1).unwrap_or_default();
    assert!(
        out.stderr.starts_with(&format!(
            "error: {program} revision --autogenerate cannot write step \"Change the type of notes.body"
        )),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("invalid configuration"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("--sql"), "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "hint: write it as a Rust module: {program} revision --autogenerate --format rust -m \"Numeric notes\" --from schema.sql"
        )),
        "{}",
        out.stderr
    );
    assert!(!db.dir().join("migrations").exists());
}
