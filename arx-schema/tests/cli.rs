//! The `arx-migrate` binary is the `arx_migrate::cli` command line for the
//! Arxos chain: Alembic's verbs on `alembic_version`, with `./data/arx.db`
//! as the default database, passwords never printed, and the safety checks.
//!
//! One test runs the binary itself, as a process in a folder of its own:
//! the default database relative to the working directory, the program
//! name recorded in the history table and the exit codes are the real
//! process's. The others run the same command line in process, through
//! `arx_migrate::cli::execute`, each with its own folder and environment.

use std::path::Path;
use std::process::Command;

use arx_migrate::cli::{execute, CliConfig};

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn ok(self) -> Self {
        assert_eq!(self.code, Some(0), "{}{}", self.stdout, self.stderr);
        self
    }

    fn fails(self, code: i32) -> Self {
        assert_eq!(self.code, Some(code), "{}{}", self.stdout, self.stderr);
        self
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }
}

/// Runs the binary in `dir`, without `DATABASE_URL`.
fn arx_migrate_process(dir: &Path, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_arx-migrate"))
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs the binary's command line in process (its `main`'s config) as if
/// in `dir`, seeing only the environment variables in `env`.
fn arx_migrate(dir: &Path, args: &[&str], env: &[(&str, String)]) -> Run {
    let mut config = CliConfig::default()
        .version_table(arx_schema::VERSION_TABLE)
        .current_dir(dir)
        .env_clear();
    for (name, value) in env {
        config = config.env(*name, value);
    }
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let command_line = std::iter::once("arx-migrate").chain(args.iter().copied());
    let code = execute(command_line, &config, &mut stdout, &mut stderr);
    Run {
        code: Some(code.into()),
        stdout: String::from_utf8(stdout).unwrap(),
        stderr: String::from_utf8(stderr).unwrap(),
    }
}

const REVISIONS: [(&str, &str); 6] = [
    ("001", "Initial users and projects"),
    ("002", "Add buildings and floors"),
    ("003", "Create rooms schema with spatial geometry"),
    ("004", "Add BIM objects (walls, doors, windows)"),
    ("005", "Add devices, labels, and zones"),
    ("006", "Add collaboration and management tables"),
];

/// `upgrade head`'s output: each revision on its own line with a duration,
/// then the summary.
fn assert_upgraded(stdout: &str) {
    for (rev, message) in REVISIONS {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&format!("upgrade   {rev}  {message}  (")))
            .unwrap_or_else(|| panic!("no line for {rev} in:\n{stdout}"));
        assert!(
            line.ends_with(" ms)") || line.ends_with(" s)"),
            "no duration: {line}"
        );
    }
    assert!(
        stdout.contains("applied 6 revision(s) in ") && stdout.contains("<base> -> 006"),
        "{stdout}"
    );
}

#[test]
fn upgrade_head_without_set_up_migrates_data_arx_db() {
    let dir = tempfile::tempdir().unwrap();
    let here = dir.path();
    let run = arx_migrate_process(here, &["upgrade", "head"]).ok();
    assert_upgraded(&run.stdout);
    let db = here.join("data/arx.db");
    assert!(db.exists());
    let conn = rusqlite::Connection::open(&db).unwrap();
    let version: String = conn
        .query_row("SELECT version_num FROM alembic_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, "006");

    let run = arx_migrate_process(here, &["upgrade", "head"]).ok();
    assert_eq!(
        run.stdout.trim(),
        "nothing to do: sqlite://./data/arx.db is already at 006 (head)"
    );

    let run = arx_migrate_process(here, &["current"]).ok();
    assert_eq!(
        run.stdout.trim(),
        "006 (head), Add collaboration and management tables"
    );
    arx_migrate_process(here, &["current", "--check-heads"]).ok();

    let run = arx_migrate_process(here, &["history", "--verbose"]).ok();
    for (rev, message) in REVISIONS {
        assert!(
            run.stdout.contains(&format!("Rev: {rev}")),
            "{}",
            run.stdout
        );
        assert!(run.stdout.contains(message), "{}", run.stdout);
    }
    assert_eq!(
        run.stdout.matches("upgrade ok at ").count(),
        6,
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("(arx-migrate), took "),
        "{}",
        run.stdout
    );

    let run = arx_migrate_process(here, &["check"]).ok();
    assert!(
        run.stdout
            .contains("check (sqlite): the schema matches the migrations at 006"),
        "{}",
        run.stdout
    );
    conn.execute_batch("CREATE INDEX by_hand ON users (email)")
        .unwrap();
    let run = arx_migrate_process(here, &["check"]).fails(1);
    assert!(
        run.stdout.contains("extra-index: users.by_hand"),
        "{}",
        run.stdout
    );
    conn.execute_batch("DROP INDEX by_hand").unwrap();

    let run = arx_migrate_process(here, &["downgrade", "base"]).ok();
    assert!(
        run.stdout
            .contains("downgrade 001  Initial users and projects  (")
            && run.stdout.contains("reverted 6 revision(s) in ")
            && run.stdout.contains("006 -> <base>"),
        "{}",
        run.stdout
    );
    let tables: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             AND name NOT IN ('alembic_version', 'arx_migrate_history')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tables, 0, "downgrade base leaves only the bookkeeping");
    let run = arx_migrate_process(here, &["current"]).ok();
    assert!(run.stdout.contains("<base>"), "{}", run.stdout);
}

#[test]
fn the_url_comes_from_the_flag_or_database_url() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.db");
    arx_migrate(
        dir.path(),
        &[
            "--url",
            &format!("sqlite://{}", a.display()),
            "upgrade",
            "head",
        ],
        &[],
    )
    .ok();
    assert!(a.exists());
    let b = dir.path().join("b.db");
    arx_migrate(
        dir.path(),
        &["upgrade", "002"],
        &[("DATABASE_URL", format!("sqlite://{}", b.display()))],
    )
    .ok();
    assert!(b.exists());
    assert!(!dir.path().join("data").exists());
}

#[test]
fn failures_exit_1_without_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let url = "postgres://arx:hunter2secret@127.0.0.1:1/arx";
    for verb in [&["upgrade", "head"][..], &["current"], &["check"]] {
        let mut args = vec!["--url", url];
        args.extend_from_slice(verb);
        let run = arx_migrate(dir.path(), &args, &[]).fails(1);
        let all = format!("{}{}", run.stdout, run.stderr);
        assert!(!all.contains("hunter2secret"), "{verb:?}: {all}");
        assert!(
            all.contains("error: no database at postgres://arx:***@127.0.0.1:1/arx"),
            "{verb:?}: {all}"
        );
    }
    let run = arx_migrate(
        dir.path(),
        &["--url", url, "upgrade", "head", "--format", "json"],
        &[],
    )
    .fails(1);
    assert!(!run.stdout.contains("hunter2secret"), "{}", run.stdout);
    assert_eq!(run.json()["error"]["kind"], "no_database");

    let run = arx_migrate(dir.path(), &["--url", "oracle://x/y", "current"], &[]).fails(1);
    assert!(
        run.stderr.contains("cannot tell which database"),
        "{}",
        run.stderr
    );
    arx_migrate(dir.path(), &["--nope"], &[]).fails(2);
}

#[test]
fn the_arxos_chain_lints_clean() {
    let dir = tempfile::tempdir().unwrap();
    let run = arx_migrate(dir.path(), &["lint", "--backend", "all"], &[]).ok();
    for backend in ["sqlite", "postgres"] {
        assert!(
            run.stdout.contains(&format!(
                "lint ({backend}): 6 revision(s), 0 error(s), 0 warning(s)"
            )),
            "{}",
            run.stdout
        );
    }
    let json = arx_migrate(
        dir.path(),
        &["lint", "--backend", "all", "--format", "json"],
        &[],
    )
    .ok()
    .json();
    assert_eq!(json["passed"], true);
    for report in json["reports"].as_array().unwrap() {
        for finding in report["findings"].as_array().unwrap() {
            assert!(
                finding["severity"] == "info" || !finding["allowed"].is_null(),
                "{finding:#}"
            );
        }
    }
    assert!(!dir.path().join("data").exists(), "lint needs no database");
}

#[test]
fn postgres_via_url() {
    let Some(server) = arx_migrate::testing::postgres_test_url("postgres_via_url") else {
        return;
    };
    let db = arx_migrate::testing::PgTestDatabase::create(&server).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let here = dir.path();
    let url = db.url().to_string();
    let run = arx_migrate(here, &["--url", &url, "upgrade", "head"], &[]).ok();
    assert_upgraded(&run.stdout);
    let run = arx_migrate(here, &["--url", &url, "upgrade", "head"], &[]).ok();
    assert!(
        run.stdout.contains("is already at 006 (head)"),
        "{}",
        run.stdout
    );
    let json = arx_migrate(here, &["--url", &url, "current", "--format", "json"], &[])
        .ok()
        .json();
    assert_eq!(json["heads"], serde_json::json!(["006"]));
    assert_eq!(json["version_table"], "alembic_version");
    let run = arx_migrate(here, &["--url", &url, "history", "--verbose"], &[]).ok();
    assert_eq!(
        run.stdout.matches("upgrade ok at ").count(),
        6,
        "{}",
        run.stdout
    );
    let run = arx_migrate(here, &["--url", &url, "check"], &[]).ok();
    assert!(
        run.stdout
            .contains("check (postgres): the schema matches the migrations at 006"),
        "{}",
        run.stdout
    );
    let run = arx_migrate(here, &["--url", &url, "lint"], &[]).ok();
    assert!(
        run.stdout
            .contains("lint (postgres): 6 revision(s), 0 error(s)"),
        "{}",
        run.stdout
    );
    let run = arx_migrate(here, &["--url", &url, "downgrade", "base"], &[]).ok();
    assert!(
        run.stdout.contains("reverted 6 revision(s)"),
        "{}",
        run.stdout
    );
    assert!(!here.join("data").exists());
}

#[test]
fn check_and_validate_reuse_the_schema_cache_on_postgres_unless_told_not_to() {
    let Some(server) = arx_migrate::testing::postgres_test_url(
        "check_and_validate_reuse_the_schema_cache_on_postgres_unless_told_not_to",
    ) else {
        return;
    };
    let db = arx_migrate::testing::PgTestDatabase::create(&server).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let here = dir.path();
    let url = db.url().to_string();
    arx_migrate(here, &["--url", &url, "upgrade", "head"], &[]).ok();
    let scratch = |args: &[&str], env: &[(&str, String)]| {
        let mut all = vec!["--url", url.as_str(), "check", "--format", "json"];
        all.extend_from_slice(args);
        let json = arx_migrate(here, &all, env).ok().json();
        assert_eq!(json["clean"], true, "{json:#}");
        json["scratch"].clone()
    };
    // The first run builds the chain's entry (unless an earlier run did);
    // the next one reads it.
    let first = scratch(&[], &[]);
    let entry = first["database"]
        .as_str()
        .unwrap_or_else(|| panic!("a cache entry: {first:#}"))
        .to_string();
    assert!(entry.starts_with("arx_cache_"), "{first:#}");
    assert_eq!(
        scratch(&[], &[]),
        serde_json::json!({"source": "cache_reused", "database": entry})
    );
    let fresh = serde_json::json!({"source": "fresh"});
    assert_eq!(scratch(&["--no-scratch-cache"], &[]), fresh);
    let off = [("ARX_MIGRATE_NO_SCRATCH_CACHE", "1".to_string())];
    assert_eq!(scratch(&[], &off), fresh);
    let on = [("ARX_MIGRATE_NO_SCRATCH_CACHE", "0".to_string())];
    assert_eq!(scratch(&[], &on)["source"], "cache_reused");

    let check_step = |args: &[&str]| {
        let mut all = vec!["--url", url.as_str(), "validate", "--format", "json"];
        all.extend_from_slice(args);
        let json = arx_migrate(here, &all, &[]).ok().json();
        assert_eq!(json["passed"], true, "{json:#}");
        json["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == "check schema")
            .unwrap()
            .clone()
    };
    let cached = check_step(&[]);
    assert!(
        cached["details"][0]
            .as_str()
            .unwrap_or_default()
            .contains(&format!("read from the schema cache (database {entry})")),
        "{cached:#}"
    );
    let uncached = check_step(&["--no-scratch-cache"]);
    assert_eq!(uncached["details"], serde_json::json!([]), "{uncached:#}");
}
