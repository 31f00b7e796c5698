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

/// Databases named `<prefix>_<n>` on the server, dropped with the value.
struct Tenants {
    server: String,
    names: Vec<String>,
}

impl Tenants {
    fn create(server: &str, prefix: &str, count: usize) -> Tenants {
        let mut admin = arx_migrate::mysql::Conn::new(server).unwrap();
        let names: Vec<String> = (1..=count).map(|i| format!("{prefix}_{i:02}")).collect();
        for name in &names {
            admin
                .query_drop(format!("DROP DATABASE IF EXISTS `{name}`"))
                .unwrap();
            admin
                .query_drop(format!("CREATE DATABASE `{name}`"))
                .unwrap();
        }
        Tenants {
            server: server.to_string(),
            names,
        }
    }

    fn conn(&self, name: &str) -> arx_migrate::mysql::Conn {
        let url = format!("{}/{name}", self.server.rsplit_once('/').unwrap().0);
        arx_migrate::mysql::Conn::new(url.as_str()).unwrap()
    }

    fn version(&self, name: &str) -> Vec<String> {
        self.conn(name)
            .query("SELECT version_num FROM arx_migrate_version")
            .unwrap_or_default()
    }
}

impl Drop for Tenants {
    fn drop(&mut self) {
        if let Ok(opts) = mysql_opts(&self.server) {
            if let Ok(mut admin) = arx_migrate::mysql::Conn::new(opts) {
                for name in &self.names {
                    let _ = admin.query_drop(format!("DROP DATABASE IF EXISTS `{name}`"));
                }
            }
        }
    }
}

use arx_migrate::mysql::prelude::Queryable;

#[test]
fn a_fleet_over_the_databases_matching_a_pattern() {
    let Some(server) = mysql_test_url("a_fleet_over_the_databases_matching_a_pattern") else {
        return;
    };
    let prefix = format!("fleet{}", std::process::id());
    let tenants = Tenants::create(&server, &format!("{prefix}_shop"), 5);
    // Not matched: another prefix.
    let other = Tenants::create(&server, &format!("{prefix}_other"), 1);
    // A table in the way of 002 in one tenant.
    tenants
        .conn(&tenants.names[3])
        .query_drop("CREATE TABLE tags (legacy TEXT)")
        .unwrap();
    let pattern = format!("{prefix}_shop_*");
    let run = cli(&[
        "fleet",
        "upgrade",
        "head",
        "--databases",
        &pattern,
        "--url",
        &server,
        "--jobs",
        "3",
        "--format",
        "json",
    ])
    .fails(1);
    let json = run.json();
    assert_eq!(json["counts"]["total"], 5, "{json}");
    assert_eq!(json["counts"]["migrated"], 4, "{json}");
    let rows = json["targets"].as_array().unwrap();
    let broken = rows
        .iter()
        .find(|row| row["target"] == tenants.names[3].as_str())
        .unwrap_or_else(|| panic!("{json}"));
    assert_eq!(broken["outcome"], "failed");
    let message = broken["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("002") && message.contains("tags"),
        "{message}"
    );
    for (i, name) in tenants.names.iter().enumerate() {
        let expected = if i == 3 { vec!["001"] } else { vec!["003"] };
        assert_eq!(tenants.version(name), expected, "{name}");
    }
    assert!(other.version(&other.names[0]).is_empty(), "not matched");

    // Fixed, a rerun migrates the broken one and skips the others.
    tenants
        .conn(&tenants.names[3])
        .query_drop("DROP TABLE tags")
        .unwrap();
    let json = cli(&[
        "fleet",
        "upgrade",
        "head",
        "--schemas",
        &pattern,
        "--url",
        &server,
        "--format",
        "json",
    ])
    .ok()
    .json();
    assert_eq!(json["counts"]["migrated"], 1, "{json}");
    assert_eq!(json["counts"]["unchanged"], 4, "{json}");
    let status = cli(&["fleet", "check", "--databases", &pattern, "--url", &server]).ok();
    assert!(
        status.stdout.contains(&tenants.names[0]),
        "{}",
        status.stdout
    );

    // No match says so.
    let run = cli(&[
        "fleet",
        "status",
        "--databases",
        "nobody_here_*",
        "--url",
        &server,
    ])
    .fails(1);
    assert!(
        run.stderr.contains("no database on the server of"),
        "{}",
        run.stderr
    );
}

fn mysql_opts(url: &str) -> Result<arx_migrate::mysql::Opts, arx_migrate::mysql::UrlError> {
    arx_migrate::mysql::Opts::from_url(url)
}
