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
    // The downgrade recreates notes with SQLite's own CREATE TABLE (as
    // op.sqlite(…) in a module): SQLite's file only.
    let down = std::fs::read_to_string(folder.join("down.sqlite.sql")).unwrap();
    let down_postgres = std::fs::read_to_string(folder.join("down.postgres.sql")).unwrap();
    assert!(!down_postgres.contains("CREATE TABLE"), "{down_postgres}");
    assert!(!folder.join("down.sql").exists());
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

/// The demo chain with the `.sql` migrations of `dir` on top.
fn demo_with_sql_folder(dir: &std::path::Path) -> arx_migrate::Migrator {
    let mut set = support::demo().migrations();
    let read = arx_migrate::MigrationSet::from_sql_dir(dir).unwrap();
    for migration in arx_migrate::MigrationSource::migrations(&read) {
        set.push(migration);
    }
    arx_migrate::Migrator::new(set).unwrap()
}

/// `--format sql` from a PostgreSQL database: a GIN and an `INCLUDE`
/// index are PostgreSQL's own SQL (`op.postgres(…)` in a module), so they
/// go to `up.postgres.sql` only and SQLite gets `up.sqlite.sql` without
/// them; the header's options are in the first. The folder loads, and
/// upgrades and downgrades on PostgreSQL.
#[test]
fn postgres_only_indexes_go_to_up_postgres_sql() {
    let Some(db) = Db::postgres("postgres_only_indexes_go_to_up_postgres_sql") else {
        return;
    };
    db.cli(&["upgrade", "heads"]).ok();
    db.execute(
        "ALTER TABLE items ADD COLUMN labels jsonb;
         CREATE INDEX idx_items_labels ON items USING gin (labels);
         CREATE INDEX idx_items_id_cover ON items (id) INCLUDE (name);",
    );
    let json = db
        .cli(&[
            "--format",
            "json",
            "revision",
            "--autogenerate",
            "--sql",
            "-m",
            "Search items",
            "--rev-id",
            "f007",
            "--from",
            db.url(),
        ])
        .ok()
        .json();
    assert_eq!(
        json["per_backend"],
        serde_json::json!(["up", "down"]),
        "{json}"
    );
    let folder = db.dir().join("migrations/f007_search_items");
    let mut names: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "down.postgres.sql",
            "down.sqlite.sql",
            "up.postgres.sql",
            "up.sqlite.sql"
        ]
    );
    let read = |name: &str| std::fs::read_to_string(folder.join(name)).unwrap();
    let (up_postgres, up_sqlite) = (read("up.postgres.sql"), read("up.sqlite.sql"));
    assert!(
        up_postgres.starts_with("-- arx-migrate: rev = \"f007\", down_rev = \"e006\""),
        "{up_postgres}"
    );
    assert!(up_postgres.contains("USING gin (labels)"), "{up_postgres}");
    assert!(up_postgres.contains("INCLUDE (name)"), "{up_postgres}");
    assert!(up_sqlite.starts_with("-- Search items\n"), "{up_sqlite}");
    assert!(!up_sqlite.contains("arx-migrate:"), "{up_sqlite}");
    assert!(
        up_sqlite.contains("ADD COLUMN \"labels\" jsonb"),
        "{up_sqlite}"
    );
    for postgres_only in ["gin", "INCLUDE", "CREATE INDEX"] {
        assert!(!up_sqlite.contains(postgres_only), "{up_sqlite}");
    }

    let migrator = demo_with_sql_folder(&db.dir().join("migrations"));
    let f007 = migrator.graph().get("f007").unwrap();
    assert_eq!(f007.message(), "Search items");
    assert_eq!(f007.down_revisions(), ["e006"]);
    let server = arx_migrate::testing::postgres_test_url("postgres_only_indexes").unwrap();
    let source = arx_migrate::check::ScratchSource::Postgres { url: server };
    let mut scratch = arx_migrate::check::ScratchDatabase::create(&source).unwrap();
    let connection = scratch.connection().unwrap();
    let indexes = "SELECT indexdef FROM pg_indexes WHERE tablename = 'items' ORDER BY indexname";
    migrator.upgrade(connection, "heads").unwrap();
    let upgraded: Vec<String> = connection
        .query(indexes)
        .unwrap()
        .into_iter()
        .map(|row| row[0].clone().unwrap_or_default())
        .collect();
    assert!(
        upgraded.iter().any(|d| d.contains("USING gin (labels)")),
        "{upgraded:?}"
    );
    assert!(
        upgraded.iter().any(|d| d.contains("INCLUDE (name)")),
        "{upgraded:?}"
    );
    migrator.downgrade(connection, "e006").unwrap();
    let downgraded = connection.query(indexes).unwrap();
    assert_eq!(downgraded.len(), upgraded.len() - 2, "{downgraded:?}");
}

/// A step SQLite makes by rebuilding the table (a column's new type) has
/// no SQLite SQL: `up.sqlite.sql` says so, and holds a statement that
/// fails there with that advice, so that the revision never silently does
/// less on SQLite than the module would; PostgreSQL's file is complete.
#[test]
fn a_step_sqlite_rebuilds_fails_on_sqlite_with_the_advice() {
    let Some(db) = Db::postgres("a_step_sqlite_rebuilds_fails_on_sqlite_with_the_advice") else {
        return;
    };
    db.cli(&["upgrade", "heads"]).ok();
    db.execute("ALTER TABLE items ALTER COLUMN name TYPE varchar(200);");
    let out = db
        .cli(&[
            "--format",
            "sql",
            "revision",
            "--autogenerate",
            "-m",
            "Longer names",
            "--rev-id",
            "f007",
            "--from",
            db.url(),
        ])
        .ok();
    assert!(
        out.stdout
            .contains("1 step(s) have no SQLite SQL in up.sqlite.sql"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("--format rust"), "{}", out.stdout);
    let folder = db.dir().join("migrations/f007_longer_names");
    let up_postgres = std::fs::read_to_string(folder.join("up.postgres.sql")).unwrap();
    let up_sqlite = std::fs::read_to_string(folder.join("up.sqlite.sql")).unwrap();
    assert!(
        up_postgres.contains("ALTER COLUMN \"name\" TYPE character varying(200)"),
        "{up_postgres}"
    );
    assert!(
        up_sqlite.contains("No SQLite SQL was written for this step"),
        "{up_sqlite}"
    );
    assert!(!up_sqlite.contains("ALTER COLUMN"), "{up_sqlite}");

    let migrator = demo_with_sql_folder(&db.dir().join("migrations"));
    let source = arx_migrate::check::ScratchSource::SqliteMemory;
    let mut scratch = arx_migrate::check::ScratchDatabase::create(&source).unwrap();
    let connection = scratch.connection().unwrap();
    let error = migrator
        .upgrade(connection, "heads")
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("arx-migrate wrote no SQLite SQL for step \"Change the type of items.name"),
        "{error}"
    );
    assert!(
        error.contains("replace this statement in up.sqlite.sql"),
        "{error}"
    );
    assert!(error.contains("--format rust"), "{error}");
    // Nothing of f007 stays: it ran in a transaction.
    assert_eq!(migrator.current(connection).unwrap(), ["e006"]);
}

/// Changes to tables an earlier revision created, on PostgreSQL: the
/// generated revision takes the safe forms (a foreign key and a CHECK
/// added `NOT VALID` and validated in statements of their own, an index
/// built `CONCURRENTLY`, a unique constraint from a concurrent index), is
/// `transactional = false` with a `lock_timeout`, and passes `lint` with
/// nothing to allow — as the module, as the `.sql` files (`lint --file`),
/// and in the chain. The `.sql` migration upgrades and downgrades a
/// database whose tables hold rows.
#[test]
fn changes_to_existing_tables_take_the_safe_forms_and_lint_clean() {
    let Some(db) = Db::postgres("changes_to_existing_tables_take_the_safe_forms") else {
        return;
    };
    db.cli(&["upgrade", "heads"]).ok();
    db.execute(
        "ALTER TABLE notes ADD COLUMN item_id integer;
         CREATE INDEX idx_notes_item ON notes (item_id);
         ALTER TABLE notes ADD CONSTRAINT fk_notes_item FOREIGN KEY (item_id) REFERENCES items (id);
         ALTER TABLE items ADD CONSTRAINT ck_items_name CHECK (length(name) > 0);
         ALTER TABLE tags ADD CONSTRAINT uq_tags_item_tag UNIQUE (item_id, tag);",
    );
    let generate = |rev: &str, sql: bool| {
        let mut args = vec!["--format", "json", "revision", "--autogenerate"];
        if sql {
            args.push("--sql");
        }
        args.extend([
            "-m",
            "Notes belong to items",
            "--rev-id",
            rev,
            "--from",
            db.url(),
        ]);
        db.cli(&args).ok().json()
    };

    let json = generate("f007", false);
    let module = std::fs::read_to_string(db.dir().join(json["path"].as_str().unwrap())).unwrap();
    for call in [
        "transactional = false",
        "op.postgres(\"SET lock_timeout = '5s'\")?;",
        "op.add_foreign_key_not_valid(&key)?;",
        "op.validate_constraint(\"notes\", \"fk_notes_item\")?;",
        "op.add_check_not_valid(",
        "op.validate_constraint(\"items\", \"ck_items_name\")?;",
        "op.add_unique(\"tags\", \"uq_tags_item_tag\", &[\"item_id\", \"tag\"])?;",
        "op.create_index(&index)?;",
    ] {
        assert!(module.contains(call), "{call} is missing:\n{module}");
    }
    assert!(!module.contains("allow = ["), "nothing to allow:\n{module}");
    // The same change again, as a .sql migration (the module is not built).
    std::fs::remove_dir_all(db.dir().join("src/migrations")).unwrap();

    generate("f008", true);
    let folder = db.dir().join("migrations/f008_notes_belong_to_items");
    let up = std::fs::read_to_string(folder.join("up.postgres.sql")).unwrap();
    assert!(
        up.starts_with(
            "-- arx-migrate: rev = \"f008\", down_rev = \"e006\", transactional = false\n"
        ),
        "{up}"
    );
    for statement in [
        "SET lock_timeout = '5s';",
        "CREATE INDEX CONCURRENTLY \"idx_notes_item\" ON \"notes\" (\"item_id\");",
        "FOREIGN KEY (\"item_id\") REFERENCES \"items\" (\"id\") NOT VALID;",
        "ALTER TABLE \"notes\" VALIDATE CONSTRAINT \"fk_notes_item\";",
        "CHECK ((length((name)::text) > 0)) NOT VALID;",
        "ALTER TABLE \"items\" VALIDATE CONSTRAINT \"ck_items_name\";",
        "CREATE UNIQUE INDEX CONCURRENTLY \"uq_tags_item_tag\" ON \"tags\" (\"item_id\", \"tag\");",
        "ADD CONSTRAINT \"uq_tags_item_tag\" UNIQUE USING INDEX \"uq_tags_item_tag\";",
    ] {
        assert!(up.contains(statement), "{statement} is missing:\n{up}");
    }

    // `lint --file` on the written file, on top of the chain at e006.
    let file = folder.join("up.postgres.sql");
    let lint = db
        .cli(&[
            "--backend",
            "postgres",
            "--format",
            "json",
            "lint",
            "--file",
            file.to_str().unwrap(),
            "--after",
            "e006",
        ])
        .ok()
        .json();
    assert_eq!(lint["passed"], true, "{lint}");
    assert_eq!(
        lint["reports"][0]["findings"],
        serde_json::json!([]),
        "{lint}"
    );

    // The chain with the .sql migration: lint reports nothing of f008, and
    // it upgrades and downgrades a database with rows.
    let migrator = demo_with_sql_folder(&db.dir().join("migrations"));
    let report =
        arx_migrate::lint::lint_migrations(migrator.graph(), arx_migrate::Backend::Postgres);
    let mine: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.revision == "f008")
        .collect();
    assert!(mine.is_empty(), "{}", report.to_text());
    assert!(!migrator.graph().get("f008").unwrap().transactional());

    let server = arx_migrate::testing::postgres_test_url("safe forms").unwrap();
    let source = arx_migrate::check::ScratchSource::Postgres { url: server };
    let mut scratch = arx_migrate::check::ScratchDatabase::create(&source).unwrap();
    let connection = scratch.connection().unwrap();
    migrator.upgrade(connection, "e006").unwrap();
    for rows in [
        "INSERT INTO items (id, name) VALUES (2, 'second')",
        "INSERT INTO notes (id, body) VALUES (1, 'a')",
        "INSERT INTO tags (id, item_id, tag) VALUES (1, 1, 'x')",
    ] {
        connection.execute(rows).unwrap();
    }
    migrator.upgrade(connection, "heads").unwrap();
    let constraints = "SELECT conname || ':' || convalidated FROM pg_constraint WHERE conname IN ('fk_notes_item', 'ck_items_name', 'uq_tags_item_tag') ORDER BY conname";
    let rows: Vec<String> = connection
        .query(constraints)
        .unwrap()
        .into_iter()
        .map(|row| row[0].clone().unwrap_or_default())
        .collect();
    assert_eq!(
        rows,
        [
            "ck_items_name:true",
            "fk_notes_item:true",
            "uq_tags_item_tag:true"
        ]
    );
    let invalid = connection
        .query("SELECT indexrelid::regclass::text FROM pg_index WHERE NOT indisvalid")
        .unwrap();
    assert!(invalid.is_empty(), "{invalid:?}");
    // The constraints hold from now on.
    assert!(connection
        .execute("INSERT INTO notes (id, body, item_id) VALUES (2, 'b', 99)")
        .is_err());
    migrator.downgrade(connection, "e006").unwrap();
    assert!(connection.query(constraints).unwrap().is_empty());
}

#[test]
fn a_rename_with_expand_becomes_an_expand_contract_pair() {
    for db in Db::each("a_rename_with_expand_becomes_an_expand_contract_pair") {
        let name = db.name();
        db.cli(&["upgrade", "heads"]).ok();
        db.execute("ALTER TABLE notes RENAME COLUMN body TO content");
        let json = db
            .cli(&[
                "--migrations-dir",
                "src/migrations",
                "--format",
                "json",
                "revision",
                "--autogenerate",
                "--expand",
                "-m",
                "Notes have content",
                "--rev-id",
                "f007",
                "--from",
                db.url(),
                "--rename",
                "notes.body=content",
            ])
            .ok()
            .json();
        let pair = &json["expand"];
        assert_eq!(pair["expand_revision"], "f007", "{name}: {json}");
        assert_eq!(pair["changes"][0]["old"], "body", "{name}: {json}");
        let expand =
            std::fs::read_to_string(db.dir().join(json["path"].as_str().unwrap())).unwrap();
        assert!(
            expand.contains(r#"#[arx_migrate::migration(rev = "f007", down_rev = "e006", transactional = false)]"#)
                && expand.contains(r#"Expand::rename_column("notes", "body", "content"),"#)
                && expand.contains("op.expand(&change)?;"),
            "{name}: {expand}"
        );
        let contract_path = pair["contract_path"].as_str().unwrap();
        let contract = std::fs::read_to_string(db.dir().join(contract_path)).unwrap();
        assert!(
            contract.contains(r#"down_rev = "f007", transactional = false)]"#)
                && contract.contains("op.contract(&change)?;")
                && contract.contains("op.undo_contract(change)?;"),
            "{name}: {contract}"
        );

        // Without the rename, the planner sees a drop and an add: no pair.
        db.execute("CREATE TABLE other (id INTEGER PRIMARY KEY)");
        let out = db
            .cli(&[
                "--migrations-dir",
                "src/other",
                "revision",
                "--autogenerate",
                "--expand",
                "-m",
                "Not a pair",
                "--head",
                "e006",
                "--from",
                db.url(),
            ])
            .fails(1);
        assert!(
            out.stderr.contains("--expand writes column renames"),
            "{name}: {}",
            out.stderr
        );
    }
}
