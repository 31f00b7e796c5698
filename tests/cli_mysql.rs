//! The command line on MariaDB/MySQL (`ARX_MIGRATE_TEST_MYSQL`): `--url
//! mysql://…` and `mariadb://…` with upgrade, current, status, history and
//! downgrade, and URL errors that never show the password.

#[path = "cli/support.rs"]
mod support;

use arx_migrate::cli::{execute, CliConfig};
use arx_migrate::testing::{mysql_test_url, MysqlTestDatabase};
use arx_migrate::{FnMigration, MigrationSet, Ops};
use support::Run;

/// 001 → 002 → 003: a table, a second one, an index.
fn chain() -> MigrationSet {
    MigrationSet::new()
        .with(
            FnMigration::new(
                "001",
                &[],
                |op: &mut Ops| {
                    op.sql("CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(100) NOT NULL)")
                },
                |op: &mut Ops| op.sql("DROP TABLE items"),
            )
            .message("Create the items table"),
        )
        .with(
            FnMigration::new(
                "002",
                &["001"],
                |op: &mut Ops| op.sql("CREATE TABLE tags (id INT PRIMARY KEY, tag VARCHAR(40))"),
                |op: &mut Ops| op.sql("DROP TABLE tags"),
            )
            .message("Create the tags table"),
        )
        .with(
            FnMigration::new(
                "003",
                &["002"],
                |op: &mut Ops| op.mysql("CREATE INDEX items_by_name ON items (name)"),
                |op: &mut Ops| op.mysql("DROP INDEX items_by_name ON items"),
            )
            .message("Index items by name"),
        )
}

fn cli(args: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let config = CliConfig::default()
        .program_name("mysql_demo")
        .migrations(chain())
        .current_dir(dir.path())
        .env_clear();
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let command_line = std::iter::once("mysql_demo").chain(args.iter().copied());
    let code = execute(command_line, &config, &mut stdout, &mut stderr);
    Run {
        code: code.into(),
        stdout: String::from_utf8(stdout).unwrap(),
        stderr: String::from_utf8(stderr).unwrap(),
    }
}

#[test]
fn the_verbs_on_mariadb() {
    let Some(server) = mysql_test_url("the_verbs_on_mariadb") else {
        return;
    };
    let db = MysqlTestDatabase::create(&server).unwrap();
    let url = db.url();
    let run = cli(&["--url", url, "upgrade", "head"]).ok();
    assert!(
        run.stdout
            .contains("upgrade   001  Create the items table  ("),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("applied 3 revision(s) in"),
        "{}",
        run.stdout
    );

    let run = cli(&["--url", url, "current", "--check-heads"]).ok();
    assert!(run.stdout.contains("003"), "{}", run.stdout);
    let json = cli(&["--url", url, "status", "--format", "json"])
        .ok()
        .json();
    assert_eq!(json["databases"][0]["ready"], true, "{json}");
    let run = cli(&["--url", url, "history", "--verbose"]).ok();
    for revision in ["001", "002", "003"] {
        assert!(run.stdout.contains(revision), "{}", run.stdout);
    }

    // mariadb:// names the same server.
    let maria = url.replacen("mysql://", "mariadb://", 1);
    let run = cli(&["--url", &maria, "downgrade", "001"]).ok();
    assert!(run.stdout.contains("downgrade"), "{}", run.stdout);
    let json = cli(&["--url", url, "current", "--format", "json"])
        .ok()
        .json();
    assert_eq!(json["heads"], serde_json::json!(["001"]));
    cli(&["--url", url, "downgrade", "base"]).ok();
    let json = cli(&["--url", url, "current", "--format", "json"])
        .ok()
        .json();
    assert_eq!(json["heads"], serde_json::json!([]));
}

#[test]
fn url_errors_name_the_problem_and_not_the_password() {
    let run = cli(&["--url", "mysql://app:hunter2@db:port/prod", "current"]);
    assert_ne!(run.code, 0);
    assert!(run.all().contains("port \"port\""), "{}", run.all());
    assert!(!run.all().contains("hunter2"), "{}", run.all());

    let run = cli(&["--url", "mariadb://app:hunter2@db:3306", "current"]);
    assert_ne!(run.code, 0);
    assert!(run.all().contains("no database"), "{}", run.all());
    assert!(!run.all().contains("hunter2"), "{}", run.all());

    // Nothing listens on port 1: no database there, and no password shown.
    let run = cli(&["--url", "mysql://app:hunter2@127.0.0.1:1/prod", "current"]);
    assert_ne!(run.code, 0);
    assert!(
        run.all()
            .contains("no database at mysql://app:***@127.0.0.1:1/prod"),
        "{}",
        run.all()
    );
    assert!(!run.all().contains("hunter2"), "{}", run.all());
}
