//! The command line of the `cli_demo` example, run in process on both
//! backends: every verb, its JSON, the error paths, offline SQL.

#[path = "cli/support.rs"]
mod support;

use support::{demo, run_in, Db};

#[test]
fn every_verb_on_both_backends() {
    for db in Db::each("every_verb_on_both_backends") {
        let name = db.name();
        // Nothing applied yet.
        let run = db.cli(&["upgrade", "c003"]).ok();
        assert!(
            run.stdout
                .contains("upgrade   a001  Create the items table  ("),
            "{name}: {}",
            run.stdout
        );
        assert!(
            run.stdout.contains("applied 3 revision(s) in"),
            "{name}: {}",
            run.stdout
        );
        assert_eq!(db.versions("arx_migrate_version"), ["c003"], "{name}");

        let run = db.cli(&["current", "--check-heads"]).fails(1);
        assert!(run.stdout.contains("c003"), "{name}: {}", run.stdout);
        assert!(
            run.stderr.contains("not at head") && run.stderr.contains("upgrade heads"),
            "{name}: {}",
            run.stderr
        );
        let json = db
            .cli(&["current", "--check-heads", "--format", "json"])
            .fails(1)
            .json();
        assert_eq!(json["at_head"], false);
        assert_eq!(json["error"]["kind"], "not_at_head");
        assert_eq!(json["pending"], serde_json::json!(["c004", "d005", "e006"]));

        let run = db.cli(&["upgrade", "head"]).ok();
        assert_eq!(
            run.stdout
                .lines()
                .filter(|l| l.starts_with("upgrade "))
                .count(),
            3,
            "{name}: {}",
            run.stdout
        );
        assert!(
            run.stdout.contains("c003 -> e006"),
            "{name}: {}",
            run.stdout
        );
        assert_eq!(
            db.query("SELECT n FROM item_counts"),
            [["1"]],
            "{name}: the data migration ran"
        );

        let run = db.cli(&["current", "--verbose", "--check-heads"]).ok();
        assert!(
            run.stdout.contains("e006 (head), Count the items"),
            "{name}: {}",
            run.stdout
        );
        assert!(
            run.stdout.contains("upgrade ok at ") && run.stdout.contains(" by "),
            "{name}: {}",
            run.stdout
        );

        let json = db.cli(&["current", "--format", "json"]).ok().json();
        assert_eq!(json["heads"], serde_json::json!(["e006"]));
        assert_eq!(json["at_head"], true);

        let run = db.cli(&["history", "--verbose"]).ok();
        assert!(
            run.stdout.contains("Rev: d005 (mergepoint)"),
            "{name}: {}",
            run.stdout
        );
        assert!(
            run.stdout.contains("Rev: b002 (branchpoint)"),
            "{name}: {}",
            run.stdout
        );
        assert!(
            run.stdout.contains("Rev: e006 (head) (current)"),
            "{name}: {}",
            run.stdout
        );
        assert!(run.stdout.contains("took "), "{name}: {}", run.stdout);
        let json = db
            .cli(&["history", "--verbose", "--format", "json"])
            .ok()
            .json();
        let revisions = json["revisions"].as_array().unwrap();
        assert_eq!(revisions.len(), 6);
        assert_eq!(revisions[0]["revision"], "e006");
        assert_eq!(revisions[0]["history"][0]["operation"], "upgrade");
        assert!(revisions[0]["history"][0]["duration_ms"].is_i64());
        assert!(revisions[0]["history"][0]["executed_by"]
            .as_str()
            .unwrap()
            .contains('@'));

        let run = db.cli(&["history", "-r", "c004:current"]).ok();
        let ids: Vec<&str> = run
            .stdout
            .lines()
            .map(|l| l.split(", ").next().unwrap())
            .collect();
        assert_eq!(
            ids,
            ["d005 -> e006 (head) (current)", "c003", "b002 -> c004"],
            "{name}: {}",
            run.stdout
        );

        // -N walks down the branch, as in Alembic: below the merge d005 the
        // path forks, so -2 is refused; naming the revision is not.
        let run = db.cli(&["downgrade", "-2"]).fails(1);
        assert!(
            run.stderr.contains("d005 is a merge point of c003, c004"),
            "{name}: {}",
            run.stderr
        );
        let run = db.cli(&["downgrade", "c003"]).ok();
        assert!(
            run.stdout.contains("downgrade e006") && run.stdout.contains("downgrade d005"),
            "{name}: {}",
            run.stdout
        );
        assert!(
            run.stdout.contains("reverted 2 revision(s)"),
            "{name}: {}",
            run.stdout
        );
        assert_eq!(
            db.versions("arx_migrate_version"),
            ["c003", "c004"],
            "{name}"
        );
        let json = db.cli(&["status", "--format", "json"]).ok().json();
        assert_eq!(
            json["databases"][0]["heads"],
            serde_json::json!(["c003", "c004"])
        );
        assert_eq!(json["databases"][0]["at_head"], false);
        let run = db.cli(&["status"]).ok();
        assert!(
            run.stdout
                .contains("c003, c004 NOT at head; pending: d005, e006")
                && !run.stdout.contains("default URL"),
            "{name}: {}",
            run.stdout
        );

        let run = db.cli(&["stamp", "a001"]).ok();
        assert!(
            run.stdout.contains("c003, c004 -> a001"),
            "{name}: {}",
            run.stdout
        );
        assert_eq!(db.versions("arx_migrate_version"), ["a001"], "{name}");
        let json = db.cli(&["stamp", "c004", "--format", "json"]).ok().json();
        assert_eq!(json["heads_after"], serde_json::json!(["c004"]));

        // repair: an edited migration's checksum, accepted.
        let entry = "SELECT count(*) FROM arx_migrate_history WHERE operation = 'repair'";
        assert_eq!(db.query(entry), [["0"]]);
        db.query("UPDATE arx_migrate_history SET checksum = 'edited' WHERE revision = 'a001' AND operation = 'upgrade'");
        let run = db.cli(&["upgrade", "head"]).fails(1);
        assert!(
            run.stderr.contains("a001 was edited") && run.stderr.contains("repair"),
            "{name}: {}",
            run.stderr
        );
        let run = db.cli(&["repair"]).ok();
        assert!(
            run.stdout.contains("a001: checksum edited -> "),
            "{name}: {}",
            run.stdout
        );
        let json = db.cli(&["repair", "--format", "json"]).ok().json();
        assert_eq!(json["repaired"], serde_json::json!([]));

        let run = db.cli(&["downgrade", "base", "--quiet"]).ok();
        assert_eq!(run.stdout, "", "{name}: --quiet prints nothing");
        assert_eq!(
            db.versions("arx_migrate_version"),
            Vec::<String>::new(),
            "{name}"
        );
        let json = db
            .cli(&["upgrade", "heads", "--format", "json"])
            .ok()
            .json();
        assert_eq!(json["steps"].as_array().unwrap().len(), 6);
        assert_eq!(json["steps"][0]["revision"], "a001");
        assert!(json["steps"][0]["duration_ms"].is_u64());
        let json = db
            .cli(&["downgrade", "b002", "--format", "json"])
            .ok()
            .json();
        assert_eq!(json["heads_after"], serde_json::json!(["b002"]));
    }
}

#[test]
fn code_verbs_need_no_database() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| run_in(demo(), dir.path(), args, &[]);
    let out = run(&["heads"]).ok();
    assert_eq!(
        out.stdout.trim(),
        "e006 (head), Count the items (a data migration: it reads through the connection)"
    );
    assert_eq!(
        run(&["heads", "--format", "json"]).ok().json()["heads"][0]["revision"],
        "e006"
    );
    let out = run(&["branches"]).ok();
    assert!(
        out.stdout
            .contains("b002 (branchpoint), Create the tags table")
            && out.stdout.contains("     -> c003, Index items by name")
            && out.stdout.contains("     -> c004, Create the notes table"),
        "{}",
        out.stdout
    );
    assert_eq!(
        run(&["branches", "--format", "json"]).ok().json()["branch_points"][0]["children"],
        serde_json::json!(["c003", "c004"])
    );
    let out = run(&["history"]).ok();
    assert_eq!(out.stdout.lines().count(), 6);
    assert!(
        out.stdout
            .contains("c003, c004 -> d005 (mergepoint), Merge the index and notes branches"),
        "{}",
        out.stdout
    );
    let out = run(&["history", "-r", "b002:d005", "--format", "json"])
        .ok()
        .json();
    let ids: Vec<&str> = out["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["revision"].as_str().unwrap())
        .collect();
    // Alembic's order: down the merge's first parent's branch, then the other.
    assert_eq!(ids, ["d005", "c003", "c004", "b002"]);
    let out = run(&["show", "c004"]).ok();
    assert!(
        out.stdout.contains("Parent: b002") && out.stdout.contains("CREATE TABLE notes"),
        "{}",
        out.stdout
    );
    let out = run(&["show", "c00", "--format", "json"]).fails(1).json();
    assert_eq!(out["error"]["kind"], "ambiguous_revision");
    let out = run(&["--backend", "postgres", "show", "e006", "--format", "json"])
        .ok()
        .json();
    assert_eq!(out["backend"], "postgres");
    assert!(out["upgrade_sql"]["error"]
        .as_str()
        .unwrap()
        .contains("cannot be rendered as an offline SQL script"));
    assert!(
        !dir.path().join("data").exists(),
        "reading the code created no database"
    );
}

#[test]
fn alembic_habits_and_wording() {
    let db = Db::sqlite();
    // --version names the program.
    let out = db.cli(&["--version"]).ok();
    assert!(out.stdout.starts_with("cli_demo "), "{}", out.stdout);
    // A linear chain has no branch point, and `branches` says so.
    let out = db.run(support::bad_chain(), &["branches"]).ok();
    assert!(
        out.stdout
            .contains("no branch points: no revision has more than one child"),
        "{}",
        out.stdout
    );
    // A relative target written wrong says how to write it.
    let out = db.cli(&["upgrade", "+-1"]).fails(1);
    assert!(
        out.stderr.contains("a relative target is +N or -N"),
        "{}",
        out.stderr
    );
    // stamp replaces the rows of its own line only, takes several targets,
    // and --purge empties the table whatever it holds.
    db.cli(&["stamp", "c003"]).ok();
    db.cli(&["stamp", "c004"]).ok();
    assert_eq!(db.versions("arx_migrate_version"), ["c003", "c004"]);
    db.cli(&["stamp", "a001", "c004"]).fails(1);
    db.cli(&["stamp", "base"]).ok();
    db.cli(&["stamp", "c003", "c004"]).ok();
    assert_eq!(db.versions("arx_migrate_version"), ["c003", "c004"]);
    db.execute("INSERT INTO arx_migrate_version (version_num) VALUES ('zz999')");
    let out = db.cli(&["stamp", "a001"]).fails(1);
    assert!(
        out.stderr.contains("cli_demo stamp --purge REV"),
        "{}",
        out.stderr
    );
    db.cli(&["stamp", "--purge", "a001"]).ok();
    assert_eq!(db.versions("arx_migrate_version"), ["a001"]);
    // `lint --rules` in aligned columns: every reason and every fix starts
    // at one column.
    let out = db.cli(&["lint", "--rules"]).ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    let fix_column: Vec<usize> = lines.iter().filter_map(|l| l.find("fix: ")).collect();
    assert!(fix_column.len() > 5 && fix_column.iter().all(|&c| c == fix_column[0]));
    for rule in lines
        .iter()
        .filter(|l| !l.starts_with(' ') && !l.contains(" rules, "))
    {
        let at = rule.as_bytes();
        assert!(
            at[fix_column[0] - 1] == b' ' && at[fix_column[0]] != b' ',
            "reason not at column {}: {rule:?}",
            fix_column[0]
        );
    }
}

#[test]
fn errors_name_the_cause_and_the_fix() {
    for db in Db::each("errors_name_the_cause_and_the_fix") {
        let name = db.name();
        db.cli(&["upgrade", "b002"]).ok();
        // Unknown target: the closest ids.
        let run = db.cli(&["upgrade", "c03"]).fails(1);
        assert!(
            run.stderr.contains("unknown revision \"c03\"")
                && run
                    .stderr
                    .contains("hint: did you mean c003? `cli_demo history`"),
            "{name}: {}",
            run.stderr
        );
        let json = db
            .cli(&["upgrade", "c03", "--format", "json"])
            .fails(1)
            .json();
        assert_eq!(json["error"]["kind"], "unknown_revision");
        // The suggestion is the hint, not part of the message.
        assert_eq!(json["error"]["message"], "unknown revision \"c03\"");
        assert!(json["error"]["hint"]
            .as_str()
            .unwrap()
            .starts_with("did you mean c003?"));
        assert!(json["error"]["details"]["candidates"]
            .as_array()
            .unwrap()
            .contains(&"c003".into()));
        // Ambiguous prefix: the candidates.
        let run = db.cli(&["upgrade", "c"]).fails(1);
        assert!(
            run.stderr.contains("ambiguous: it matches c003, c004"),
            "{name}: {}",
            run.stderr
        );
        let json = db
            .cli(&["upgrade", "c", "--format", "json"])
            .fails(1)
            .json();
        assert_eq!(
            json["error"]["details"]["candidates"],
            serde_json::json!(["c003", "c004"])
        );
        // Two ways up, one step asked for.
        let run = db.cli(&["upgrade", "+1"]).fails(1);
        assert!(run.stderr.contains("c003, c004"), "{name}: {}", run.stderr);
        // Nothing changed.
        assert_eq!(db.versions("arx_migrate_version"), ["b002"], "{name}");
        // Usage errors exit with 2.
        assert_eq!(db.cli(&["upgrade"]).code, 2);
        assert_eq!(db.cli(&["fly"]).code, 2);
        assert_eq!(
            db.cli(&["upgrade", "head", "-r", "a:b"]).code,
            2,
            "{name}: -r needs --sql"
        );
        assert_eq!(
            db.cli(&["upgrade", "a001:b002"]).code,
            2,
            "{name}: ranges are for --sql"
        );
        let help = db.cli(&["--help"]).ok();
        assert!(
            help.stdout.contains("Usage: cli_demo") && help.stdout.contains("revision"),
            "{}",
            help.stdout
        );
    }
}

#[test]
fn no_database_at_the_url_and_no_password_shown() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| run_in(demo(), dir.path(), args, &[]);
    // SQLite: a missing file or folder.
    let missing = format!("sqlite://{}/nope/x.db", dir.path().display());
    for verb in [
        &["current"][..],
        &["upgrade", "head"],
        &["history", "--verbose"],
        &["status"],
        &["repair"],
    ] {
        let mut args = vec!["--url", missing.as_str()];
        args.extend_from_slice(verb);
        let out = run(&args).fails(1);
        assert!(
            out.stderr.contains(&format!("no database at {missing}")),
            "{verb:?}: {}",
            out.stderr
        );
        assert!(out.stderr.contains("hint: "), "{}", out.stderr);
    }
    // PostgreSQL: nothing listens on port 1; the password never shows.
    let secret_url = "postgresql://app:Sup3rSecretPw@127.0.0.1:1/prod";
    for args in [
        vec!["--url", secret_url, "current"],
        vec!["--url", secret_url, "upgrade", "head", "--format", "json"],
        vec!["--url", secret_url, "status"],
    ] {
        let out = run(&args).fails(1);
        assert!(!out.all().contains("Sup3rSecretPw"), "{}", out.all());
        assert!(
            out.all()
                .contains("no database at postgresql://app:***@127.0.0.1:1/prod"),
            "{}",
            out.all()
        );
        assert!(
            out.all().contains("check that the server is running"),
            "{}",
            out.all()
        );
    }
    let out = run_in(
        demo(),
        dir.path(),
        &["current"],
        &[("DATABASE_URL", secret_url)],
    )
    .fails(1);
    assert!(
        !out.all().contains("Sup3rSecretPw") && out.stderr.contains("DATABASE_URL"),
        "{}",
        out.all()
    );
    // PostgreSQL: a database that does not exist on a running server.
    if let Some(server) = arx_migrate::testing::postgres_test_url("no_database_at_the_url") {
        let url = arx_migrate::testing::with_database(&server, "arx_no_such_database");
        let out = run(&["--url", &url, "current"]).fails(1);
        assert!(
            out.stderr.contains("no database at ") && out.stderr.contains("arx_no_such_database"),
            "{}",
            out.stderr
        );
    }
    // An unknown scheme.
    let out = run(&["--url", "mysql://u:pw@h/d", "current"]).fails(1);
    assert!(
        out.stderr.contains("mysql://u:***@h/d") && !out.stderr.contains(":pw@"),
        "{}",
        out.stderr
    );
}

#[test]
fn default_database_is_created_under_data() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| run_in(demo(), dir.path(), args, &[]);
    let out = run(&["current"]).fails(1);
    assert!(
        out.stderr.contains("no database at sqlite://./data/arx.db"),
        "{}",
        out.stderr
    );
    run(&["upgrade", "d005"]).ok();
    assert!(dir.path().join("data/arx.db").exists());
    assert_eq!(
        run(&["current", "--format", "json"]).ok().json()["heads"],
        serde_json::json!(["d005"])
    );
    // DATABASE_URL comes before the default.
    let other = format!("sqlite://{}/other.db", dir.path().display());
    run_in(
        demo(),
        dir.path(),
        &["upgrade", "a001"],
        &[("DATABASE_URL", &other)],
    )
    .ok();
    assert!(dir.path().join("other.db").exists());
}

#[test]
fn offline_sql_gives_the_same_schema_as_the_online_run() {
    // SQLite: the script through rusqlite's execute_batch.
    let online = Db::sqlite();
    online.cli(&["upgrade", "d005"]).ok();
    let script = online
        .cli(&["upgrade", "--sql", "-r", "base:d005"])
        .ok()
        .stdout;
    assert!(
        script.contains("INSERT INTO \"arx_migrate_version\" (version_num) VALUES ('d005')"),
        "{script}"
    );
    let offline_dir = tempfile::tempdir().unwrap();
    let offline_path = offline_dir.path().join("offline.db");
    rusqlite::Connection::open(&offline_path)
        .unwrap()
        .execute_batch(&script)
        .unwrap();
    assert_eq!(online.schema(), support::sqlite_schema(&offline_path));
    assert_eq!(
        support::sqlite_query(&offline_path, "SELECT version_num FROM arx_migrate_version"),
        [["d005"]]
    );
    assert_eq!(
        support::sqlite_query(&offline_path, "SELECT name FROM items"),
        [["first"]]
    );
    // And down again: FROM:TO, the same as online.
    let down = online.cli(&["downgrade", "--sql", "d005:a001"]).ok().stdout;
    rusqlite::Connection::open(&offline_path)
        .unwrap()
        .execute_batch(&down)
        .unwrap();
    online.cli(&["downgrade", "a001"]).ok();
    assert_eq!(online.schema(), support::sqlite_schema(&offline_path));
    assert_eq!(
        support::sqlite_query(&offline_path, "SELECT version_num FROM arx_migrate_version"),
        [["a001"]]
    );
    // A script that starts at a revision: no bookkeeping tables created.
    let partial = online
        .cli(&["upgrade", "--sql", "-r", "a001:c003"])
        .ok()
        .stdout;
    assert!(
        !partial.contains("CREATE TABLE IF NOT EXISTS")
            && partial.contains("CREATE INDEX items_by_name"),
        "{partial}"
    );

    // PostgreSQL: the script through psql -v ON_ERROR_STOP=1 -f.
    let Some(online) = Db::postgres("offline_sql_round_trip_postgres") else {
        return;
    };
    let Some(offline) = Db::postgres("offline_sql_round_trip_postgres") else {
        return;
    };
    online.cli(&["upgrade", "d005"]).ok();
    let json = offline
        .cli(&["upgrade", "--sql", "-r", "base:d005", "--format", "json"])
        .ok()
        .json();
    assert_eq!(json["backend"], "postgres", "the URL names the backend");
    let script = json["sql"].as_str().unwrap().to_string();
    let file = offline.dir().join("up.sql");
    std::fs::write(&file, &script).unwrap();
    psql(offline.url(), &file);
    assert_eq!(online.schema(), offline.schema());
    assert_eq!(offline.versions("arx_migrate_version"), ["d005"]);
    let down = offline
        .cli(&["downgrade", "--sql", "-r", "d005:b002"])
        .ok()
        .stdout;
    std::fs::write(&file, &down).unwrap();
    psql(offline.url(), &file);
    online.cli(&["downgrade", "b002"]).ok();
    assert_eq!(online.schema(), offline.schema());
    assert_eq!(offline.versions("arx_migrate_version"), ["b002"]);
    // The offline database is usable online afterwards.
    offline.cli(&["upgrade", "head"]).ok();
    assert_eq!(offline.versions("arx_migrate_version"), ["e006"]);
}

fn psql(url: &str, file: &std::path::Path) {
    let out = std::process::Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f"])
        .arg(file)
        .output()
        .expect("psql runs");
    assert!(
        out.status.success(),
        "psql failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn offline_sql_refuses_data_migrations_and_needs_a_start_for_downgrades() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| run_in(demo(), dir.path(), args, &[]);
    for backend in ["sqlite", "postgres"] {
        let out = run(&["--backend", backend, "upgrade", "head", "--sql"]).fails(1);
        assert!(
            out.stderr
                .contains("revision e006 reads or writes data through the connection"),
            "{}",
            out.stderr
        );
        assert!(out.stderr.contains("-r FROM:TO"), "{}", out.stderr);
        let json = run(&[
            "--backend",
            backend,
            "upgrade",
            "head",
            "--sql",
            "--format",
            "json",
        ])
        .fails(1)
        .json();
        assert_eq!(json["error"]["kind"], "needs_connection");
    }
    let out = run(&["downgrade", "base", "--sql"]).fails(2);
    assert!(out.stderr.contains("-r FROM:base"), "{}", out.stderr);
    // --quiet keeps the script: it is the product.
    let out = run(&["upgrade", "a001", "--sql", "--quiet"]).ok();
    assert!(out.stdout.contains("CREATE TABLE items"));
    assert!(!dir.path().join("data").exists(), "--sql never connects");
}

#[test]
fn services_file() {
    let dir = tempfile::tempdir().unwrap();
    let pg = Db::postgres("services_file");
    let beta_url = match &pg {
        Some(db) => db.url().to_string(),
        None => format!("sqlite://{}/beta.db", dir.path().display()),
    };
    std::fs::write(
        dir.path().join("arx-migrate.toml"),
        format!(
            "[services.alpha]\nurl = \"sqlite://{}/alpha.db\"\nversion_table = \"alpha_version\"\n\n\
             [services.beta]\nurl_env = \"BETA_DATABASE_URL\"\nlock_timeout = \"5s\"\nstatement_timeout = 60000\n",
            dir.path().display()
        ),
    )
    .unwrap();
    let env = [("BETA_DATABASE_URL", beta_url.as_str())];
    let run = |args: &[&str]| run_in(demo(), dir.path(), args, &env);

    let out = run(&["-s", "alpha", "upgrade", "head"]).ok();
    assert!(
        out.stdout.contains("applied 6 revision(s)"),
        "{}",
        out.stdout
    );
    assert_eq!(
        support::sqlite_query(
            &dir.path().join("alpha.db"),
            "SELECT version_num FROM alpha_version"
        ),
        [["e006"]],
        "the service's version table"
    );
    run(&["-s", "beta", "upgrade", "b002"]).ok();

    let out = run(&["status", "--all"]).ok();
    assert!(out.stdout.contains("alpha: e006 at head"), "{}", out.stdout);
    assert!(
        out.stdout.contains("beta: b002 NOT at head"),
        "{}",
        out.stdout
    );
    let json = run(&["status", "--all", "--format", "json"]).ok().json();
    assert_eq!(json["databases"][0]["service"], "alpha");
    assert_eq!(json["databases"][0]["version_table"], "alpha_version");
    assert_eq!(json["databases"][1]["at_head"], false);
    assert_eq!(json["code_heads"], serde_json::json!(["e006"]));

    // An unknown service lists the known ones; a missing variable says so.
    let out = run(&["-s", "gamma", "current"]).fails(1);
    assert!(
        out.stderr.contains("no service \"gamma\"") && out.stderr.contains("alpha, beta"),
        "{}",
        out.stderr
    );
    let out = run_in(demo(), dir.path(), &["-s", "beta", "current"], &[]).fails(1);
    assert!(
        out.stderr.contains("$BETA_DATABASE_URL, which is not set"),
        "{}",
        out.stderr
    );
    let out = run_in(demo(), dir.path(), &["status", "--all"], &[]).fails(1);
    assert!(
        out.stdout.contains("alpha: e006 at head") && out.stdout.contains("beta: ERROR"),
        "{}",
        out.stdout
    );

    // Explicit options beat the environment: -s over DATABASE_URL.
    let elsewhere = format!("sqlite://{}/elsewhere.db", dir.path().display());
    let out = run_in(
        demo(),
        dir.path(),
        &["-s", "alpha", "current", "--format", "json"],
        &[("DATABASE_URL", elsewhere.as_str())],
    )
    .ok();
    assert_eq!(out.json()["heads"], serde_json::json!(["e006"]));

    // A broken file is an error naming it.
    std::fs::write(
        dir.path().join("bad.toml"),
        "[services.x]\nurl = \"sqlite::memory:\"\ncolour = 1\n",
    )
    .unwrap();
    let out = run(&["--config", "bad.toml", "-s", "x", "current"]).fails(1);
    assert!(
        out.stderr.contains("bad.toml is not valid") && out.stderr.contains("colour"),
        "{}",
        out.stderr
    );
    let out = run(&["--config", "none.toml", "status", "--all"]).fails(1);
    assert!(
        out.stderr.contains("no services file at none.toml"),
        "{}",
        out.stderr
    );
}

/// Runs `body` on a thread that drives a tokio runtime, as an `async fn`
/// handler of a service does (`flavor` one thread, or the worker pool).
fn on_runtime_thread<T>(multi_thread: bool, body: impl std::future::Future<Output = T>) -> T {
    let runtime = if multi_thread {
        tokio::runtime::Builder::new_multi_thread().build()
    } else {
        tokio::runtime::Builder::new_current_thread().build()
    };
    runtime.unwrap().block_on(body)
}

#[test]
fn postgres_commands_on_an_async_runtime_thread_are_refused_without_a_panic() {
    let Some(db) =
        Db::postgres("postgres_commands_on_an_async_runtime_thread_are_refused_without_a_panic")
    else {
        return;
    };
    let url = db.url().to_string();
    let scratch = format!("--scratch-url={url}");
    std::fs::write(db.dir().join("step.sql"), "CREATE TABLE step (id int);").unwrap();
    // Each way the command line opens a PostgreSQL session: the database,
    // a scratch database of `check`, `validate` and autogenerate, the live
    // schema `lint` starts from.
    let commands: [&[&str]; 6] = [
        &["current"],
        &["upgrade", "head"],
        &["check", &scratch],
        &["validate"],
        &["lint", "--file", "step.sql", "--schema", &url],
        &[
            "revision",
            "--autogenerate",
            "-m",
            "from async",
            "--from",
            &url,
        ],
    ];
    for multi_thread in [false, true] {
        for command in commands {
            let run = on_runtime_thread(multi_thread, async { db.cli(command) }).fails(1);
            assert!(
                run.stderr
                    .contains("cli_demo was called on a thread that drives an async runtime")
                    && run.stderr.contains("tokio::task::spawn_blocking"),
                "{command:?}: says what is wrong and what to do: {}",
                run.stderr
            );
            assert!(
                !run.all().contains("panicked"),
                "{command:?}: no panic: {}",
                run.all()
            );
        }
    }
    // The JSON error has a kind of its own.
    let run = on_runtime_thread(false, async { db.cli(&["--format", "json", "current"]) });
    assert_eq!(run.json()["error"]["kind"], "inside_async_runtime");
    // Nothing was done: the database has no version table.
    assert_eq!(
        db.query("SELECT count(*) FROM pg_tables WHERE tablename = 'arx_migrate_version'"),
        [["0"]]
    );
}

#[test]
fn postgres_commands_run_in_spawn_blocking() {
    let Some(db) = Db::postgres("postgres_commands_run_in_spawn_blocking") else {
        return;
    };
    let db = std::sync::Arc::new(db);
    for multi_thread in [false, true] {
        let db = std::sync::Arc::clone(&db);
        let run = on_runtime_thread(multi_thread, async move {
            tokio::task::spawn_blocking(move || db.cli(&["upgrade", "head"]))
                .await
                .unwrap()
        });
        run.ok();
    }
    assert_eq!(db.versions("arx_migrate_version"), ["e006"]);
}
