//! The `arx-migrate` binary: migrates to head, prints each revision with
//! its duration, never prints a password, exits 1 on failure.

use std::process::Command;

fn arx_migrate() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_arx-migrate"));
    command.env_remove("DATABASE_URL");
    command
}

#[test]
fn without_a_url_it_migrates_data_arx_db_and_prints_each_revision() {
    let dir = tempfile::tempdir().unwrap();
    let output = arx_migrate().current_dir(dir.path()).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for (rev, message) in [
        ("001", "Initial users and projects"),
        ("006", "Add collaboration and management tables"),
    ] {
        let line = stdout
            .lines()
            .find(|l| l.contains(rev) && l.contains(message))
            .unwrap_or_else(|| panic!("no line for {rev} in:\n{stdout}"));
        assert!(
            line.contains(" ms)") || line.contains(" s)"),
            "no duration: {line}"
        );
    }
    assert!(stdout.contains("Applied 6 revisions"), "{stdout}");
    let db = dir.path().join("data/arx.db");
    assert!(db.exists());
    let conn = rusqlite::Connection::open(&db).unwrap();
    let version: String = conn
        .query_row("SELECT version_num FROM alembic_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, "006");

    // Again: nothing to do.
    let output = arx_migrate().current_dir(dir.path()).output().unwrap();
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("Already at head"));
}

#[test]
fn the_url_comes_from_the_flag_or_database_url() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.db");
    let output = arx_migrate()
        .arg("--url")
        .arg(format!("sqlite://{}", a.display()))
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(a.exists());
    let b = dir.path().join("sub/b.db");
    let output = arx_migrate()
        .env("DATABASE_URL", format!("sqlite://{}", b.display()))
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(b.exists());
}

#[test]
fn failures_exit_1_without_the_password() {
    let output = arx_migrate()
        .args(["--url", "postgres://arx:hunter2secret@127.0.0.1:1/arx"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!all.contains("hunter2secret"), "{all}");
    assert!(
        all.contains("error:") && all.contains("arx:***@127.0.0.1:1"),
        "{all}"
    );

    let output = arx_migrate()
        .args(["--url", "mysql://x/y"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let output = arx_migrate().arg("--nope").output().unwrap();
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn postgres_urls_are_migrated() {
    let Some(url) = arx_migrate::testing::postgres_test_url("postgres_urls_are_migrated") else {
        return;
    };
    let db = arx_migrate::testing::PgTestDatabase::create(&url).unwrap();
    let output = arx_migrate().args(["--url", db.url()]).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("Applied 6 revisions"), "{stdout}");
}
