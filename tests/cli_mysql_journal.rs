//! Half-applied revisions on MariaDB through the command line
//! (`ARX_MIGRATE_TEST_MYSQL`): `status`, `current --check-heads` and
//! `check` name the statement a revision stopped at and its error, in text
//! and JSON; `repair --roll-back` and `--mark-applied` settle it.

#[path = "cli/support.rs"]
mod support;

use arx_migrate::cli::{execute, CliConfig};
use arx_migrate::testing::{mysql_test_url, MysqlTestDatabase};
use arx_migrate::{FnMigration, MigrationSet, Ops};
use support::Run;

/// 001: three DDL statements; with `broken`, the second fails (1146).
fn chain(broken: bool) -> MigrationSet {
    let second = if broken {
        "ALTER TABLE nowhere ADD COLUMN name VARCHAR(100)"
    } else {
        "ALTER TABLE items ADD COLUMN name VARCHAR(100)"
    };
    MigrationSet::new().with(
        FnMigration::new(
            "001",
            &[],
            move |op: &mut Ops| {
                op.sql("CREATE TABLE items (id INT PRIMARY KEY)")?;
                op.sql(second)?;
                op.sql("CREATE INDEX items_by_name ON items (name)")
            },
            |op: &mut Ops| op.sql("DROP TABLE items"),
        )
        .message("Create the items table"),
    )
}

fn cli(broken: bool, args: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let config = CliConfig::default()
        .program_name("journal_demo")
        .migrations(chain(broken))
        .current_dir(dir.path())
        .env_clear();
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let command_line = std::iter::once("journal_demo").chain(args.iter().copied());
    let code = execute(command_line, &config, &mut stdout, &mut stderr);
    Run {
        code: code.into(),
        stdout: String::from_utf8(stdout).unwrap(),
        stderr: String::from_utf8(stderr).unwrap(),
    }
}

#[test]
fn a_half_applied_revision_is_reported_and_repaired_from_the_command_line() {
    let Some(server) = mysql_test_url("a_half_applied_revision_is_reported_and_repaired") else {
        return;
    };
    let db = MysqlTestDatabase::create(&server).unwrap();
    let url = db.url();
    let run = cli(true, &["--url", url, "upgrade", "head"]).fails(1);
    assert!(run.stderr.contains("nowhere"), "{}", run.stderr);
    assert!(run.stderr.contains("resumes"), "{}", run.stderr);

    // status: text and JSON name statement 2, its first line and error.
    let run = cli(true, &["--url", url, "status"]);
    let text = run.all();
    assert!(
        text.contains("revision 001 (upgrade) is half-applied: 1 statement(s) applied; statement 2 failed: ALTER TABLE nowhere ADD COLUMN name VARCHAR(100)"),
        "{text}"
    );
    assert!(text.contains("1146"), "{text}");
    assert!(text.contains("repair --mark-applied 001"), "{text}");
    let json = cli(true, &["--url", url, "status", "--format", "json"]).json();
    let half = find_half_applied(&json);
    assert_eq!(half["revision"], "001");
    assert_eq!(half["direction"], "upgrade");
    assert_eq!(half["applied"], 1);
    assert_eq!(half["resumes_at"], 2);
    assert_eq!(half["stopped_at"]["statement"], 2);
    assert_eq!(half["stopped_at"]["state"], "failed");
    assert!(half["stopped_at"]["error"]
        .as_str()
        .unwrap()
        .contains("1146"));
    assert_eq!(half["statements"][0]["reverse"], "DROP TABLE `items`");

    // current --check-heads fails, saying why.
    let run = cli(true, &["--url", url, "current", "--check-heads"]).fails(1);
    assert!(run.stderr.contains("half-applied"), "{}", run.stderr);
    let json = cli(
        true,
        &["--url", url, "current", "--check-heads", "--format", "json"],
    )
    .fails(1)
    .json();
    assert_eq!(json["error"]["kind"], "half_applied");
    assert_eq!(json["half_applied"][0]["stopped_at"]["statement"], 2);

    // check reports it too, and does not compare a schema that is
    // between two revisions.
    let run = cli(true, &["--url", url, "check"]).fails(1);
    assert!(run.all().contains("statement 2 failed"), "{}", run.all());
    assert!(run.stderr.contains("not compared"), "{}", run.stderr);
    let json = cli(true, &["--url", url, "check", "--format", "json"])
        .fails(1)
        .json();
    assert_eq!(json["half_applied"][0]["revision"], "001", "{json}");
    assert_eq!(json["error"]["kind"], "half_applied", "{json}");

    // repair --roll-back undoes statement 1 by its reverse.
    let run = cli(false, &["--url", url, "repair", "--roll-back", "001"]).ok();
    assert!(
        run.stdout.contains("undone: DROP TABLE `items`"),
        "{}",
        run.stdout
    );
    let json = cli(false, &["--url", url, "status", "--format", "json"]).json();
    assert_eq!(find_half_applied(&json), &serde_json::Value::Null);

    // Broken again, the rest done by hand, then --mark-applied.
    cli(true, &["--url", url, "upgrade", "head"]).fails(1);
    let mut conn = db.connect().unwrap();
    use arx_migrate::mysql::prelude::Queryable;
    conn.query_drop("ALTER TABLE items ADD COLUMN name VARCHAR(100)")
        .unwrap();
    conn.query_drop("CREATE INDEX items_by_name ON items (name)")
        .unwrap();
    let json = cli(
        false,
        &[
            "--url",
            url,
            "repair",
            "--mark-applied",
            "001",
            "--format",
            "json",
        ],
    )
    .ok()
    .json();
    assert_eq!(json["half_applied"]["action"], "mark_applied");
    assert_eq!(
        json["half_applied"]["heads_after"],
        serde_json::json!(["001"])
    );
    cli(false, &["--url", url, "current", "--check-heads"]).ok();
    // A repair of a revision that is not half-applied is an error.
    let run = cli(false, &["--url", url, "repair", "--forget", "001"]).fails(1);
    assert!(
        run.stderr.contains("no revision is half-applied"),
        "{}",
        run.stderr
    );
}

/// The first half-applied step of a `status` JSON, wherever the command
/// puts it (one database: at the top, or in its row).
fn find_half_applied(json: &serde_json::Value) -> &serde_json::Value {
    if let Some(list) = json["half_applied"].as_array() {
        return list.first().unwrap_or(&serde_json::Value::Null);
    }
    json["databases"][0]["half_applied"]
        .as_array()
        .and_then(|list| list.first())
        .unwrap_or(&serde_json::Value::Null)
}
