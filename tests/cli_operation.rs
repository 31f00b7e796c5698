//! The command line in operation (the `cli_demo` example, in process):
//! waiting for another run's lock, a run killed in the middle of a
//! statement (that run is a process of its own), deploy gates that see
//! edited migrations and interrupted steps, and input errors that say what
//! is wrong.

#[path = "cli/support.rs"]
mod support;

#[path = "cli/process.rs"]
mod process;

use arx_migrate_core::not_api::lock_key;
use process::{spawn_cli, until};
use support::{demo, run_in, Db};

#[test]
fn a_run_waits_for_the_lock_says_who_holds_it_and_gives_up_after_lock_wait() {
    for db in Db::each("a_run_waits_for_the_lock_says_who_holds_it") {
        let name = db.name();
        db.cli(&["upgrade", "b002"]).ok();
        // Another run holds the lock: on PostgreSQL the migration lock, on
        // SQLite the write lock.
        let (holder_pid, _holder): (i64, Box<dyn std::any::Any>) = match &db {
            Db::Postgres { db: pg, .. } => {
                let mut config: postgres::Config = pg.url().parse().unwrap();
                config.application_name("the other run");
                let mut client = config.connect(postgres::NoTls).unwrap();
                let key = lock_key("public", "arx_migrate_version");
                client
                    .batch_execute(&format!("SELECT pg_advisory_lock({key})"))
                    .unwrap();
                let pid: i32 = client
                    .query_one("SELECT pg_backend_pid()", &[])
                    .unwrap()
                    .get(0);
                (i64::from(pid), Box::new(client))
            }
            Db::Sqlite { dir, .. } => {
                let connection = rusqlite::Connection::open(dir.path().join("test.db")).unwrap();
                connection.execute_batch("BEGIN IMMEDIATE").unwrap();
                (i64::from(std::process::id()), Box::new(connection))
            }
        };
        let run = db
            .cli(&["--lock-wait", "1500ms", "upgrade", "head"])
            .fails(1);
        // A progress line while it waits, then the error, both naming the
        // holder where the database tells; the hint names the option.
        let waiting = run
            .stderr
            .lines()
            .find(|line| line.starts_with("cli_demo: waiting for "))
            .unwrap_or_else(|| panic!("{name}: no progress line: {}", run.stderr));
        assert!(
            run.stderr.contains("timed out after") && run.stderr.contains("--lock-wait"),
            "{name}: {}",
            run.stderr
        );
        if cfg!(target_os = "linux") || name == "postgres" {
            let pid = format!("pid {holder_pid}");
            assert!(waiting.contains(&pid), "{name}: {waiting}");
            assert!(run.stderr.contains(&pid), "{name}: {}", run.stderr);
        }
        if name == "postgres" {
            assert!(waiting.contains("\"the other run\""), "{name}: {waiting}");
            assert!(
                run.stderr
                    .contains(&format!("pg_terminate_backend({holder_pid})")),
                "{}",
                run.stderr
            );
        }
        let json = db
            .cli(&[
                "--lock-wait",
                "200ms",
                "upgrade",
                "head",
                "--format",
                "json",
            ])
            .fails(1)
            .json();
        assert_eq!(json["error"]["kind"], "lock_timeout", "{name}");
        // The services file sets the wait too.
        std::fs::write(
            db.dir().join("arx-migrate.toml"),
            format!(
                "[services.app]\nurl = \"{}\"\nlock_wait = \"300ms\"\n",
                db.url()
            ),
        )
        .unwrap();
        let run = run_in(demo(), db.dir(), &["-s", "app", "upgrade", "head"], &[]).fails(1);
        assert!(
            run.stderr.contains("of at most 0.3 s"),
            "{name}: {}",
            run.stderr
        );
        drop(_holder);
        db.cli(&["--lock-wait", "30s", "upgrade", "head"]).ok();
    }
}

#[test]
fn a_cli_run_killed_in_a_statement_does_not_block_the_next() {
    let Some(db) = Db::postgres("a_cli_run_killed_in_a_statement_does_not_block_the_next") else {
        return;
    };
    db.cli(&["upgrade", "b002"]).ok();
    let mut table_holder = postgres::Client::connect(db.url(), postgres::NoTls).unwrap();
    // An open transaction that wrote to items (as a service's would).
    table_holder
        .batch_execute("BEGIN; LOCK TABLE items IN ROW EXCLUSIVE MODE")
        .unwrap();
    // c003 builds an index on items: it waits for that transaction.
    let mut killed = spawn_cli(db.dir(), &["--url", db.url(), "upgrade", "c003"]);
    let mut watcher = postgres::Client::connect(db.url(), postgres::NoTls).unwrap();
    // The session says which program and verb it is.
    until("the CLI's statement waits for the table lock", || {
        !watcher
            .query(
                "SELECT 1 FROM pg_stat_activity WHERE application_name = 'cli_demo upgrade' AND wait_event_type = 'Lock'",
                &[],
            )
            .unwrap()
            .is_empty()
    });
    killed.kill().unwrap();
    killed.wait().unwrap();

    // The next run gets the migration lock (long before its 30 s are up)
    // and then fails on the table lock within its own lock timeout.
    let json = db
        .cli(&[
            "--lock-wait",
            "30s",
            "--lock-timeout",
            "300ms",
            "upgrade",
            "head",
            "--format",
            "json",
        ])
        .fails(1)
        .json();
    assert_eq!(json["error"]["kind"], "migration_failed", "{json}");
    assert!(
        json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("lock timeout"),
        "{json}"
    );
    table_holder.batch_execute("ROLLBACK").unwrap();
    db.cli(&["upgrade", "head"]).ok();
}

#[test]
fn deploy_gates_see_edited_migrations_and_interrupted_steps() {
    for db in Db::each("deploy_gates_see_edited_migrations_and_interrupted_steps") {
        let name = db.name();
        db.cli(&["upgrade", "head"]).ok();
        for gate in [
            &["current", "--check-heads"][..],
            &["status", "--check"],
            &["check"],
        ] {
            db.cli(gate).ok();
        }

        // An applied migration edited since (its recorded checksum differs).
        db.query("UPDATE arx_migrate_history SET checksum = 'edited' WHERE revision = 'a001' AND operation = 'upgrade'");
        let run = db.cli(&["current"]).ok();
        assert!(
            run.stdout.contains("warning: migration a001 was edited"),
            "{name}: {}",
            run.stdout
        );
        let run = db.cli(&["status"]).ok();
        assert!(
            run.stdout.contains("at head") && run.stdout.contains("EDITED since applied: a001"),
            "{name}: {}",
            run.stdout
        );
        for gate in [
            &["current", "--check-heads"][..],
            &["status", "--check"],
            &["check"],
        ] {
            let run = db.cli(gate).fails(1);
            assert!(
                run.stderr.contains("a001") && run.stderr.contains("repair"),
                "{name} {gate:?}: {}",
                run.stderr
            );
            let mut json_args = gate.to_vec();
            json_args.extend(["--format", "json"]);
            let json = db.cli(&json_args).fails(1).json();
            assert_eq!(
                json["error"]["kind"], "checksum_mismatch",
                "{name} {gate:?}"
            );
        }
        let json = db.cli(&["status", "--format", "json"]).ok().json();
        assert_eq!(json["databases"][0]["edited"][0]["revision"], "a001");
        assert_eq!(json["databases"][0]["ready"], false);
        db.cli(&["repair"]).ok();

        // A non-transactional step that never finished.
        db.execute(
            "INSERT INTO arx_migrate_history (version_table, revision, operation, started_at, outcome) \
             VALUES ('arx_migrate_version', 'e006', 'upgrade', '2026-01-01T00:00:00Z', 'started')",
        );
        let run = db.cli(&["current"]).ok();
        assert!(
            run.stdout
                .contains("e006 (upgrade) is not transactional and was interrupted"),
            "{name}: {}",
            run.stdout
        );
        for gate in [
            &["current", "--check-heads"][..],
            &["status", "--check"],
            &["check"],
        ] {
            let mut json_args = gate.to_vec();
            json_args.extend(["--format", "json"]);
            let json = db.cli(&json_args).fails(1).json();
            assert_eq!(json["error"]["kind"], "interrupted", "{name} {gate:?}");
        }
        // repair says what it changed, the marker included.
        let run = db.cli(&["repair"]).ok();
        assert!(
            run.stdout
                .contains("e006: the interrupted upgrade is marked as acknowledged"),
            "{name}: {}",
            run.stdout
        );
        let json = db.cli(&["repair", "--format", "json"]).ok().json();
        assert_eq!(json["interrupted"], serde_json::json!([]), "{name}");
        for gate in [
            &["current", "--check-heads"][..],
            &["status", "--check"],
            &["check"],
        ] {
            db.cli(gate).ok();
        }
    }
}

#[test]
fn input_errors_say_which_part_is_wrong_and_stay_short() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| run_in(demo(), dir.path(), args, &[]);
    let cases: [(&str, &str); 6] = [
        ("postgresql://u@127.0.0.1:54x2/d", "the port \"54x2\""),
        (
            "postgresql://u@h/d?sslmode=bogus",
            "disable, prefer, require",
        ),
        (
            "postgresql://u@h/d?sslmdoe=disable",
            "did you mean sslmode?",
        ),
        ("postgresql://u@h/d?foo=1", "unknown parameter \"foo\""),
        ("postgresql://[::1", "no closing `]`"),
        ("postgresql://u:Sup3rSecret@h:0/d", "the port \"0\""),
    ];
    for (url, says) in cases {
        let out = run(&["--url", url, "current"]).fails(1);
        assert!(out.stderr.contains(says), "{url}: {}", out.stderr);
        assert!(out.stderr.contains("hint: "), "{url}: {}", out.stderr);
        assert!(!out.stderr.contains("Sup3rSecret"), "{}", out.stderr);
    }
    let out = run(&["--url", "", "current"]).fails(2);
    assert!(out.stderr.contains("--url is empty"), "{}", out.stderr);

    // Long inputs are cut, wherever they are echoed.
    let long = "x".repeat(100_000);
    let sqlite = format!("sqlite://{}/db.sqlite", dir.path().display());
    let long_url = format!("postgresql://u@h:{long}/d");
    let long_scheme = format!("{long}://u@h/d");
    let long_service = format!("-s{long}");
    std::fs::write(
        dir.path().join("arx-migrate.toml"),
        "[services.a]\nurl = \"sqlite::memory:\"\n",
    )
    .unwrap();
    for args in [
        vec!["--url", &long_url, "current"],
        vec!["--url", &long_scheme, "current"],
        vec!["--url", &sqlite, "upgrade", &long],
        vec!["--url", &sqlite, "stamp", &long],
        vec!["--format", &long, "current"],
        vec![&long_service, "current"],
        vec!["--lock-wait", &long, "current"],
        vec!["show", &long],
    ] {
        let out = run(&args);
        assert_ne!(out.code, 0);
        assert!(
            out.stderr.len() < 2_000 && out.stdout.len() < 2_000,
            "{} bytes of stderr for {:?}…",
            out.stderr.len(),
            &args.concat()[..40]
        );
    }

    // A file name too long for the file system is not a missing file.
    let too_long = format!("sqlite://{}/{}.db", dir.path().display(), "n".repeat(300));
    let out = run(&["--url", &too_long, "current"]).fails(1);
    assert!(
        !out.stderr.contains("does not exist") && out.stderr.contains("too long"),
        "{}",
        out.stderr
    );
    let out = run(&["--url", &too_long, "upgrade", "head"]).fails(1);
    assert!(out.stderr.contains("too long"), "{}", out.stderr);

    let out = run(&["--lock-wait", "soon", "current"]).fails(2);
    assert!(out.stderr.contains("not a duration"), "{}", out.stderr);
}

/// A role that may log in but not create databases, dropped at the end.
struct PlainRole {
    admin: postgres::Client,
    name: String,
}

impl Drop for PlainRole {
    fn drop(&mut self) {
        let _ = self.admin.batch_execute(&format!(
            "DROP OWNED BY {0}; DROP ROLE IF EXISTS {0}",
            self.name
        ));
    }
}

#[test]
fn check_explains_what_it_needs_and_where_the_database_stands() {
    let Some(db) = Db::postgres("check_explains_what_it_needs") else {
        return;
    };
    // At base there is nothing to build: no scratch database needed.
    let name = format!("arx_plain_{}", std::process::id());
    let mut admin = postgres::Client::connect(db.url(), postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!("CREATE ROLE {name} LOGIN NOCREATEDB"))
        .unwrap();
    let role = PlainRole { admin, name };
    let as_role = db
        .url()
        .replacen("postgres@", &format!("{}@", role.name), 1);
    assert_ne!(as_role, db.url(), "the test URL names the user postgres");
    let run = |args: &[&str]| {
        let mut all = vec!["--url", as_role.as_str()];
        all.extend_from_slice(args);
        run_in(demo(), db.dir(), &all, &[])
    };
    run(&["check"]).ok();

    // At a revision, the role cannot create the scratch database: check
    // says what it needs and what to do.
    db.cli(&["upgrade", "head"]).ok();
    db.execute(&format!(
        "GRANT SELECT ON ALL TABLES IN SCHEMA public TO {}",
        role.name
    ));
    let out = run(&["check"]).fails(1);
    assert!(
        out.stderr.contains("scratch database")
            && out.stderr.contains("CREATEDB")
            && out.stderr.contains("--scratch-url"),
        "{}",
        out.stderr
    );
    let server = arx_migrate::testing::postgres_test_url("check_explains_what_it_needs").unwrap();
    run(&["check", "--scratch-url", &server]).ok();

    // A revision this code does not know is explained as every verb does.
    db.execute("UPDATE arx_migrate_version SET version_num = 'zz99'");
    let out = db.cli(&["check", "--format", "json"]).fails(1).json();
    assert_eq!(out["error"]["kind"], "unknown_database_revision", "{out}");
    let out = db.cli(&["check"]).fails(1);
    assert!(out.stderr.contains("does not know"), "{}", out.stderr);
}

#[test]
fn status_shows_a_backfill_in_progress_as_one_an_upgrade_resumes() {
    for db in Db::each("status_shows_a_backfill_in_progress_as_one_an_upgrade_resumes") {
        let name = db.name();
        db.cli(&["upgrade", "d005"]).ok();
        // e006 was killed in its backfill: its started marker, and the
        // position its last committed batch reached.
        let timestamp = match &db {
            Db::Postgres { .. } => "TIMESTAMPTZ",
            Db::Sqlite { .. } => "TEXT",
        };
        db.execute(&format!(
            "CREATE TABLE arx_migrate_backfill (version_table VARCHAR(128) NOT NULL, revision VARCHAR(32) NOT NULL, \
             name VARCHAR(255) NOT NULL, table_name VARCHAR(255) NOT NULL, last_key TEXT, rows_done BIGINT NOT NULL, \
             rows_total_estimate BIGINT, started_at {timestamp} NOT NULL, updated_at {timestamp} NOT NULL, \
             finished_at {timestamp}, PRIMARY KEY (version_table, revision, name))"
        ));
        db.execute(
            "INSERT INTO arx_migrate_backfill VALUES ('arx_migrate_version', 'e006', 'items', 'items', '400', 400, 1000, \
             '2026-01-01T00:00:00Z', '2026-01-01T00:01:00Z', NULL)",
        );
        db.execute(
            "INSERT INTO arx_migrate_history (version_table, revision, operation, started_at, outcome) \
             VALUES ('arx_migrate_version', 'e006', 'upgrade', '2026-01-01T00:00:00Z', 'started')",
        );
        let run = db.cli(&["status"]).ok();
        assert!(
            run.stdout.contains("BACKFILL in progress")
                && run
                    .stdout
                    .contains("backfill items of items in revision e006: 400 of ~1000 rows (40%)")
                && !run.stdout.contains("INTERRUPTED"),
            "{name}: {}",
            run.stdout
        );
        let json = db.cli(&["status", "--format", "json"]).ok().json();
        let row = &json["databases"][0];
        assert_eq!(row["backfills"][0]["revision"], "e006", "{name}: {json}");
        assert_eq!(row["backfills"][0]["rows_done"], 400, "{name}: {json}");
        assert_eq!(
            row["interrupted"].as_array().map(Vec::len),
            Some(0),
            "{name}: {json}"
        );
    }
}

/// `--lock-retries`: a statement that times out waiting for a table lock
/// (held by a service's open transaction) is tried again, each retry said
/// on stderr, and the run succeeds once the lock is free. Without retries
/// it fails at the first timeout; a retry setting without retries is an
/// input error. The services file takes the same settings.
#[test]
fn lock_retries_try_a_statement_again_until_the_table_lock_is_free() {
    let Some(db) = Db::postgres("lock_retries_try_a_statement_again") else {
        return;
    };
    db.cli(&["upgrade", "b002"]).ok();
    let mut holder = postgres::Client::connect(db.url(), postgres::NoTls).unwrap();
    holder
        .batch_execute("BEGIN; LOCK TABLE items IN ROW EXCLUSIVE MODE")
        .unwrap();

    // Off: the first timeout fails the run.
    let json = db
        .cli(&[
            "--lock-timeout",
            "100ms",
            "--format",
            "json",
            "upgrade",
            "c003",
        ])
        .fails(1)
        .json();
    assert!(
        json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("lock timeout"),
        "{json}"
    );
    let out = db
        .cli(&["--lock-retry-timeout", "100ms", "upgrade", "c003"])
        .fails(2);
    assert!(out.stderr.contains("--lock-retries N"), "{}", out.stderr);

    let run = std::thread::scope(|scope| {
        let upgrade = scope.spawn(|| {
            db.cli(&[
                "--lock-retries",
                "1000",
                "--lock-retry-timeout",
                "100ms",
                "--lock-retry-max-wait",
                "200ms",
                "upgrade",
                "c003",
            ])
        });
        // Two attempts seen waiting (each a statement started anew) mean
        // at least one retry; then the service's transaction ends.
        let mut watcher = postgres::Client::connect(db.url(), postgres::NoTls).unwrap();
        let mut starts = std::collections::BTreeSet::new();
        until("the CLI's statement is retried", || {
            for row in watcher
                .query(
                    "SELECT query_start::text FROM pg_stat_activity WHERE application_name = 'cli_demo upgrade' AND wait_event_type = 'Lock'",
                    &[],
                )
                .unwrap()
            {
                starts.insert(row.get::<_, String>(0));
            }
            starts.len() >= 2
        });
        holder.batch_execute("ROLLBACK").unwrap();
        upgrade.join().unwrap()
    })
    .ok();
    assert!(
        run.stderr
            .contains("a statement of c003 timed out waiting for a table lock (attempt 1 of 1001)"),
        "{}",
        run.stderr
    );
    assert_eq!(db.versions("arx_migrate_version"), ["c003"]);

    // The same from the services file.
    db.cli(&["downgrade", "b002"]).ok();
    std::fs::write(
        db.dir().join("arx-migrate.toml"),
        format!(
            "[services.app]\nurl = \"{}\"\nlock_retries = 2\nlock_retry_timeout = \"100ms\"\nlock_retry_max_wait = \"100ms\"\n",
            db.url()
        ),
    )
    .unwrap();
    holder
        .batch_execute("BEGIN; LOCK TABLE items IN ROW EXCLUSIVE MODE")
        .unwrap();
    let out = run_in(
        demo(),
        db.dir(),
        &["-s", "app", "--format", "json", "upgrade", "c003"],
        &[],
    )
    .fails(1);
    assert!(
        out.stderr.contains("(attempt 2 of 3)") && out.stdout.contains("gave up after 3 attempts"),
        "{}\n{}",
        out.stderr,
        out.stdout
    );
    holder.batch_execute("ROLLBACK").unwrap();
}

/// The deploy gate told to wait for backfills: `status --check
/// --wait-for-backfills=TIMEOUT` waits while one is in progress, saying
/// where it is (rows, rate, time left), and fails naming it when it is
/// still in progress at the timeout; once it is done and its revision
/// applied, the gate passes. `--wait-for-backfills` needs `--check`.
#[test]
fn the_deploy_gate_waits_for_a_backfill_in_progress() {
    for db in Db::each("the_deploy_gate_waits_for_a_backfill_in_progress") {
        let name = db.name();
        db.cli(&["upgrade", "d005"]).ok();
        let timestamp = match &db {
            Db::Postgres { .. } => "TIMESTAMPTZ",
            Db::Sqlite { .. } => "TEXT",
        };
        db.execute(&format!(
            "CREATE TABLE arx_migrate_backfill (version_table VARCHAR(128) NOT NULL, revision VARCHAR(32) NOT NULL, \
             name VARCHAR(255) NOT NULL, table_name VARCHAR(255) NOT NULL, last_key TEXT, rows_done BIGINT NOT NULL, \
             rows_total_estimate BIGINT, started_at {timestamp} NOT NULL, updated_at {timestamp} NOT NULL, \
             finished_at {timestamp}, PRIMARY KEY (version_table, revision, name))"
        ));
        db.execute(
            "INSERT INTO arx_migrate_backfill VALUES ('arx_migrate_version', 'e006', 'items', 'items', '400', 400, 1000, \
             '2026-01-01T00:00:00Z', '2026-01-01T00:01:00Z', NULL)",
        );
        db.execute(
            "INSERT INTO arx_migrate_history (version_table, revision, operation, started_at, outcome) \
             VALUES ('arx_migrate_version', 'e006', 'upgrade', '2026-01-01T00:00:00Z', 'started')",
        );

        // status shows the rate and the time left (400 rows in 60 s).
        let run = db.cli(&["status"]).ok();
        assert!(
            run.stdout
                .contains("400 of ~1000 rows (40%), 7 rows/s, about 90s left"),
            "{name}: {}",
            run.stdout
        );

        let out = db
            .cli(&[
                "--format",
                "json",
                "status",
                "--check",
                "--wait-for-backfills=1s",
            ])
            .fails(1);
        let json = out.json();
        assert_eq!(
            json["error"]["kind"], "backfill_in_progress",
            "{name}: {json}"
        );
        let message = json["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("backfill items of items in revision e006: 400 of ~1000 rows")
                && message.contains("still in progress after waiting 1 s"),
            "{name}: {message}"
        );
        assert!(
            json["error"]["hint"]
                .as_str()
                .unwrap()
                .contains("--wait-for-backfills=60s"),
            "{name}: {json}"
        );
        assert!(
            out.stderr
                .contains("waiting for backfill items of items in revision e006"),
            "{name}: {}",
            out.stderr
        );
        let row = &json["databases"][0]["backfills"][0];
        assert_eq!(row["eta_seconds"], 90, "{name}: {json}");

        // Without --check the option is refused.
        db.cli(&["status", "--wait-for-backfills=1s"]).fails(2);

        // The backfill's run finishes while the gate waits: it passes.
        let gate = std::thread::scope(|scope| {
            let gate = scope.spawn(|| {
                db.cli(&[
                    "--format",
                    "json",
                    "status",
                    "--check",
                    "--wait-for-backfills=60s",
                ])
            });
            std::thread::sleep(std::time::Duration::from_millis(1500));
            db.execute("DELETE FROM arx_migrate_backfill");
            db.execute("DELETE FROM arx_migrate_history WHERE revision = 'e006'");
            db.execute("UPDATE arx_migrate_version SET version_num = 'e006'");
            gate.join().unwrap()
        })
        .ok()
        .json();
        assert_eq!(json_ready(&gate), Some(true), "{name}: {gate}");
    }
}

fn json_ready(json: &serde_json::Value) -> Option<bool> {
    json["databases"][0]["ready"].as_bool()
}

#[test]
fn status_shows_an_expansion_awaiting_its_contract() {
    for db in Db::each("status_shows_an_expansion_awaiting_its_contract") {
        let name = db.name();
        db.cli(&["upgrade", "d005"]).ok();
        // d005 expanded items.name into items.title (as `Ops::expand`
        // records it), and nothing has contracted it yet.
        let timestamp = match &db {
            Db::Postgres { .. } => "TIMESTAMPTZ",
            Db::Sqlite { .. } => "TEXT",
        };
        db.execute(&format!(
            "CREATE TABLE arx_migrate_expand (version_table VARCHAR(128) NOT NULL, table_name VARCHAR(255) NOT NULL, \
             change VARCHAR(255) NOT NULL, kind VARCHAR(32) NOT NULL, expand_revision VARCHAR(32) NOT NULL, \
             contract_revision VARCHAR(32), phase VARCHAR(16) NOT NULL, old_columns TEXT NOT NULL, \
             updated_at {timestamp} NOT NULL, PRIMARY KEY (version_table, table_name, change))"
        ));
        db.execute(
            "INSERT INTO arx_migrate_expand VALUES ('arx_migrate_version', 'items', 'name->title', 'rename column', \
             'd005', NULL, 'expanded', 'name\ttext\t0\t', '2026-01-01T00:00:00Z')",
        );
        let run = db.cli(&["status"]).ok();
        assert!(
            run.stdout.contains(
                "EXPAND/CONTRACT items: name->title (rename column), expanded in revision d005, awaiting contract"
            ),
            "{name}: {}",
            run.stdout
        );
        let json = db.cli(&["status", "--format", "json"]).ok().json();
        let expansion = &json["databases"][0]["expansions"][0];
        assert_eq!(expansion["phase"], "expanded", "{name}: {json}");
        assert_eq!(expansion["expand_revision"], "d005", "{name}: {json}");
        assert_eq!(expansion["table"], "items", "{name}: {json}");
        assert!(expansion["backfill"].is_null(), "{name}: {json}");
    }
}
