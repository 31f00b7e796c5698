//! `fleet`: the `cli_demo` chain (six revisions) on tens of tenant schemas
//! of one PostgreSQL database, on lists of URLs and on services. Runs that
//! race or are killed are processes of their own (`process::spawn_cli`);
//! the others run in process.

#[path = "cli/support.rs"]
mod support;

#[path = "cli/process.rs"]
mod process;

use std::collections::BTreeMap;

use process::{spawn_cli, until};
use serde_json::Value;
use support::{demo, pg_query, run_in, Db, Run};

/// The demo chain, in order.
const CHAIN: [&str; 6] = ["a001", "b002", "c003", "c004", "d005", "e006"];

/// Each revision of the demo chain with its parents: a branch after b002
/// (c003, c004) that d005 merges.
const PARENTS: [(&str, &[&str]); 6] = [
    ("a001", &[]),
    ("b002", &["a001"]),
    ("c003", &["b002"]),
    ("c004", &["b002"]),
    ("d005", &["c003", "c004"]),
    ("e006", &["d005"]),
];

/// The revisions that version-table rows stand for: themselves and their
/// ancestors.
fn required(rows: &[String]) -> std::collections::BTreeSet<&'static str> {
    let mut found = std::collections::BTreeSet::new();
    let mut todo: Vec<&str> = rows.iter().map(String::as_str).collect();
    while let Some(revision) = todo.pop() {
        let (id, parents) = PARENTS
            .iter()
            .find(|(id, _)| *id == revision)
            .unwrap_or_else(|| panic!("{revision} is not a revision of the chain"));
        if found.insert(*id) {
            todo.extend_from_slice(parents);
        }
    }
    found
}

/// A fresh database with `tenants` empty schemas `tenant_01`, `tenant_02`, …
fn tenants(test: &str, tenants: usize) -> Option<Db> {
    let db = Db::postgres(test)?;
    let sql: String = (1..=tenants)
        .map(|i| format!("CREATE SCHEMA tenant_{i:02};"))
        .collect();
    db.execute(&sql);
    Some(db)
}

fn schema(i: usize) -> String {
    format!("tenant_{i:02}")
}

/// `fleet ARGS… --schemas 'tenant_*'` on `db`, in process.
fn fleet(db: &Db, args: &[&str]) -> Run {
    let mut all = vec!["fleet"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--schemas", "tenant_*"]);
    db.cli(&all)
}

/// The revisions in a schema's version table; `None` when it has none.
fn version(db: &Db, schema: &str) -> Option<Vec<String>> {
    let exists = db.query(&format!(
        "SELECT 1 FROM pg_tables WHERE schemaname = '{schema}' AND tablename = 'arx_migrate_version'"
    ));
    if exists.is_empty() {
        return None;
    }
    Some(
        db.query(&format!(
            "SELECT version_num FROM {schema}.arx_migrate_version ORDER BY 1"
        ))
        .into_iter()
        .map(|mut row| row.remove(0))
        .collect(),
    )
}

/// How many times each revision was applied (successful upgrades) in a
/// schema, by its history table.
fn applied(db: &Db, schema: &str) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for row in db.query(&format!(
        "SELECT revision FROM {schema}.arx_migrate_history WHERE operation = 'upgrade' AND outcome = 'ok'"
    )) {
        *counts.entry(row[0].clone()).or_insert(0) += 1;
    }
    counts
}

/// The tables of a schema.
fn tables(db: &Db, schema: &str) -> Vec<String> {
    db.query(&format!(
        "SELECT tablename FROM pg_tables WHERE schemaname = '{schema}' ORDER BY 1"
    ))
    .into_iter()
    .map(|mut row| row.remove(0))
    .collect()
}

fn row<'a>(json: &'a Value, target: &str) -> &'a Value {
    json["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["target"] == target)
        .unwrap_or_else(|| panic!("no row for {target}: {json}"))
}

fn outcomes(json: &Value) -> Vec<String> {
    json["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["outcome"].as_str().unwrap().to_string())
        .collect()
}

/// Asserts that `text` contains `part`, showing `text` otherwise.
fn assert_contains(text: &str, part: &str) {
    assert!(text.contains(part), "{part:?} not in:\n{text}");
}

/// Asserts that `schema` is at head and that each revision of the chain
/// was applied there exactly once, by its history table.
fn assert_applied_once(db: &Db, schema: &str) {
    assert_eq!(
        version(db, schema),
        Some(vec!["e006".to_string()]),
        "{schema}"
    );
    assert_eq!(
        applied(db, schema),
        CHAIN.iter().map(|r| (r.to_string(), 1)).collect(),
        "{schema}"
    );
}

#[test]
fn a_fleet_migrates_each_schema_in_its_own_tables_and_a_rerun_skips_them() {
    let Some(db) = tenants("fleet_migrates_each_schema", 12) else {
        return;
    };
    db.execute("CREATE SCHEMA other");
    let run = fleet(&db, &["upgrade", "head", "--jobs", "3", "--format", "json"]).ok();
    // Progress on stderr: one JSON object per finished target.
    let events: Vec<Value> = run
        .stderr
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(events.len(), 12, "{}", run.stderr);
    assert!(events
        .iter()
        .all(|e| e["event"] == "finished" && e["of"] == 12));
    let json = run.json();
    assert_eq!(json["command"], "fleet");
    assert_eq!(json["action"], "upgrade");
    assert_eq!(json["target"], "head");
    assert_eq!(json["jobs"], 3);
    assert_eq!(json["counts"]["total"], 12);
    assert_eq!(json["counts"]["migrated"], 12);
    assert_eq!(json["counts"]["failed"], 0);
    let first = row(&json, "tenant_01");
    assert_eq!(first["from"], serde_json::json!([]));
    assert_eq!(first["to"], serde_json::json!(["e006"]));
    assert_eq!(first["steps"], 6);
    assert!(first["duration_ms"].is_u64());
    assert!(first["error"].is_null());
    for i in 1..=12 {
        assert_eq!(version(&db, &schema(i)), Some(vec!["e006".to_string()]));
        assert!(tables(&db, &schema(i)).contains(&"items".to_string()));
    }
    // Nothing outside the matching schemas.
    assert!(
        tables(&db, "public").is_empty(),
        "{:?}",
        tables(&db, "public")
    );
    assert!(tables(&db, "other").is_empty());

    // A rerun: every target unchanged.
    let json = fleet(&db, &["upgrade", "head", "--format", "json"])
        .ok()
        .json();
    assert!(outcomes(&json).iter().all(|o| o == "unchanged"), "{json}");
    let status = fleet(&db, &["check", "--format", "json"]).ok().json();
    assert!(outcomes(&status).iter().all(|o| o == "ready"), "{status}");

    // Down and up again; the text summary names every target.
    let json = fleet(&db, &["downgrade", "b002", "--format", "json"])
        .ok()
        .json();
    assert_eq!(row(&json, "tenant_07")["to"], serde_json::json!(["b002"]));
    let check = fleet(&db, &["check"]).fails(1);
    assert_contains(&check.stderr, "12 of 12 target(s) are not ready");
    let text = fleet(&db, &["upgrade", "head"]).ok();
    for i in 1..=12 {
        assert_contains(&text.stdout, &format!("{}  b002", schema(i)));
    }
    assert_contains(&text.stdout, "12 migrated, 0 failed");
}

#[test]
fn one_broken_tenant_is_reported_with_its_error_and_the_others_are_migrated() {
    let Some(db) = tenants("fleet_one_broken_tenant", 8) else {
        return;
    };
    // A table in the way of a001.
    db.execute("CREATE TABLE tenant_05.items (legacy TEXT)");
    let run = fleet(&db, &["upgrade", "head", "--jobs", "4", "--format", "json"]).fails(1);
    let json = run.json();
    assert_eq!(json["error"]["kind"], "fleet_failed");
    assert!(json["error"]["message"]
        .as_str()
        .unwrap()
        .contains("tenant_05"));
    let broken = row(&json, "tenant_05");
    assert_eq!(broken["outcome"], "failed");
    assert_eq!(broken["to"], serde_json::json!([]));
    let message = broken["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("a001") && message.contains("\"items\" already exists"),
        "{message}"
    );
    assert_eq!(json["counts"]["migrated"], 7);
    for i in (1..=8).filter(|i| *i != 5) {
        assert_eq!(version(&db, &schema(i)), Some(vec!["e006".to_string()]));
    }
    // Text: the table says it too, and the exit code is 1.
    let text = fleet(&db, &["upgrade", "head"]).fails(1);
    assert_contains(&text.stdout, "tenant_05");
    assert_contains(&text.stdout, "failed");
    assert_contains(&text.stderr, "1 of 8 target(s) failed: tenant_05");
}

#[test]
fn a_failing_canary_changes_nothing_beyond_it() {
    let Some(db) = tenants("fleet_failing_canary", 10) else {
        return;
    };
    db.execute("CREATE TABLE tenant_02.items (legacy TEXT)");
    let json = fleet(
        &db,
        &[
            "upgrade", "head", "--canary", "3", "--jobs", "4", "--format", "json",
        ],
    )
    .fails(1)
    .json();
    let message = json["error"]["message"].as_str().unwrap();
    assert!(message.contains("the canary failed"), "{message}");
    assert_eq!(row(&json, "tenant_02")["outcome"], "failed");
    for i in 4..=10 {
        assert_eq!(row(&json, &schema(i))["outcome"], "skipped");
        assert!(
            tables(&db, &schema(i)).is_empty(),
            "{} was changed",
            schema(i)
        );
    }
    // A canary that passes lets the rest follow.
    db.execute("DROP TABLE tenant_02.items");
    let json = fleet(
        &db,
        &["upgrade", "head", "--canary", "3", "--format", "json"],
    )
    .ok()
    .json();
    assert!(
        outcomes(&json)
            .iter()
            .all(|o| o == "migrated" || o == "unchanged"),
        "{json}"
    );
}

#[test]
fn fail_fast_starts_no_target_after_a_failure() {
    let Some(db) = tenants("fleet_fail_fast", 6) else {
        return;
    };
    db.execute("CREATE TABLE tenant_02.items (legacy TEXT)");
    let json = fleet(
        &db,
        &[
            "upgrade",
            "head",
            "--jobs",
            "1",
            "--fail-fast",
            "--format",
            "json",
        ],
    )
    .fails(1)
    .json();
    assert_eq!(
        outcomes(&json),
        ["migrated", "failed", "skipped", "skipped", "skipped", "skipped"]
    );
    assert!(tables(&db, "tenant_03").is_empty());
    // Without it, the others go on.
    let json = fleet(&db, &["upgrade", "head", "--jobs", "1", "--format", "json"])
        .fails(1)
        .json();
    assert_eq!(json["counts"]["migrated"], 4);
}

#[test]
fn two_fleet_runs_and_a_service_racing_apply_each_revision_once_per_schema() {
    let Some(db) = tenants("fleet_two_runs_racing", 20) else {
        return;
    };
    let args = [
        "--url",
        db.url(),
        "fleet",
        "upgrade",
        "head",
        "--schemas",
        "tenant_*",
        "--jobs",
        "4",
    ];
    let mut first = spawn_cli(db.dir(), &args);
    let mut second = spawn_cli(db.dir(), &args);
    // And a service starting up on one tenant's schema (its search_path in
    // the URL), as a single-database run.
    let tenant_url = format!("{}?options=-csearch_path%3Dtenant_20", db.url());
    let mut service = spawn_cli(db.dir(), &["--url", &tenant_url, "upgrade", "head"]);
    assert!(first.wait().unwrap().success());
    assert!(second.wait().unwrap().success());
    assert!(service.wait().unwrap().success());
    for i in 1..=20 {
        assert_applied_once(&db, &schema(i));
    }
}

#[test]
fn a_fleet_run_killed_mid_run_leaves_recorded_revisions_and_a_rerun_finishes() {
    let Some(db) = tenants("fleet_killed_mid_run", 30) else {
        return;
    };
    let mut killed = spawn_cli(
        db.dir(),
        &[
            "--url",
            db.url(),
            "fleet",
            "upgrade",
            "head",
            "--schemas",
            "tenant_*",
            "--jobs",
            "2",
        ],
    );
    // Killed once a few schemas are done and others are not.
    until("some schemas are migrated", || {
        pg_query(
            db.url(),
            "SELECT count(*) FROM pg_tables WHERE tablename = 'item_counts'",
        )[0][0]
            != "0"
    });
    killed.kill().unwrap(); // SIGKILL
    killed.wait().unwrap();
    let mut untouched = 0;
    for i in 1..=30 {
        let schema = schema(i);
        match version(&db, &schema) {
            None => untouched += 1,
            Some(rows) => {
                // At revisions of the chain (two rows between the branch
                // and the merge), and the history table records exactly
                // them and what they require as applied, once each.
                let expected: BTreeMap<String, usize> = required(&rows)
                    .into_iter()
                    .map(|r| (r.to_string(), 1))
                    .collect();
                assert_eq!(applied(&db, &schema), expected, "{schema}: {rows:?}");
            }
        }
    }
    assert!(untouched > 0, "the run finished before it was killed");
    // The rerun: every schema at head, each revision applied once.
    let json = fleet(&db, &["upgrade", "head", "--format", "json"])
        .ok()
        .json();
    assert!(json["counts"]["unchanged"].as_u64().unwrap() > 0, "{json}");
    for i in 1..=30 {
        assert_applied_once(&db, &schema(i));
    }
}

#[test]
fn urls_and_services_are_fleets_and_passwords_stay_out() {
    let (Some(one), Some(two)) = (
        Db::postgres("fleet_urls_one"),
        Db::postgres("fleet_urls_two"),
    ) else {
        return;
    };
    let sqlite = Db::sqlite();
    let dir = one.dir();
    std::fs::write(
        dir.join("tenants.txt"),
        format!(
            "# the fleet\n{}\n\n{}\n{}\npostgresql://postgres:hunter2@127.0.0.1:1/nowhere\n",
            one.url(),
            two.url(),
            sqlite.url()
        ),
    )
    .unwrap();
    let run = run_in(
        demo(),
        dir,
        &[
            "fleet",
            "upgrade",
            "head",
            "--urls",
            "tenants.txt",
            "--format",
            "json",
        ],
        &[],
    )
    .fails(1);
    assert!(!run.all().contains("hunter2"), "{}", run.all());
    let json = run.json();
    assert_eq!(
        outcomes(&json),
        ["migrated", "migrated", "migrated", "failed"]
    );
    assert_eq!(json["targets"][0]["target"], one.url());
    assert_eq!(json["targets"][3]["error"]["kind"], "no_database");
    assert_eq!(one.versions("arx_migrate_version"), ["e006"]);
    assert_eq!(sqlite.versions("arx_migrate_version"), ["e006"]);

    // The services file: all of them, or those named.
    std::fs::write(
        dir.join("arx-migrate.toml"),
        format!(
            "[services.billing]\nurl = \"{}\"\n\n[services.catalog]\nurl = \"{}\"\n\n[services.fresh]\nurl = \"{}\"\nversion_table = \"fresh_version\"\n",
            one.url(),
            two.url(),
            sqlite.url(),
        ),
    )
    .unwrap();
    let json = run_in(
        demo(),
        dir,
        &["fleet", "status", "--services", "all", "--format", "json"],
        &[],
    )
    .ok()
    .json();
    assert_eq!(outcomes(&json), ["ready", "ready", "not_ready"]);
    assert_eq!(json["targets"][1]["target"], "catalog");
    let run = run_in(
        demo(),
        dir,
        &["fleet", "check", "--services", "billing,catalog"],
        &[],
    )
    .ok();
    assert_contains(&run.stdout, "2 ready, 0 failed");
    run_in(demo(), dir, &["fleet", "check", "--services", "all"], &[]).fails(1);
}

#[test]
fn a_fleet_needs_exactly_one_kind_of_target() {
    let Some(db) = tenants("fleet_needs_targets", 1) else {
        return;
    };
    let run = db.cli(&["fleet", "status"]).fails(2);
    assert_contains(&run.stderr, "--schemas PATTERN");
    let run = db
        .cli(&["fleet", "status", "--schemas", "nobody_*"])
        .fails(1);
    assert_contains(&run.stderr, "no schema");
    let run = db
        .cli(&["fleet", "upgrade", "nonsense:", "--schemas", "tenant_*"])
        .fails(1);
    assert!(run.stderr.starts_with("error:"), "{}", run.stderr);
}

/// A target with a backfill in progress (running, or killed with its run)
/// shows it in `fleet status`: its rows done of the total in the table
/// and in each target's JSON record; the others have none.
#[test]
fn fleet_status_reports_a_backfill_in_progress_per_target() {
    let Some(db) = tenants("fleet_status_reports_a_backfill_in_progress", 2) else {
        return;
    };
    fleet(&db, &["upgrade", "d005"]).ok();
    // tenant_02's e006 was killed in its backfill: its started marker and
    // the position its last batch reached, in the schema's bookkeeping.
    db.execute(
        "CREATE TABLE tenant_02.arx_migrate_backfill (version_table VARCHAR(128) NOT NULL, revision VARCHAR(32) NOT NULL, \
         name VARCHAR(255) NOT NULL, table_name VARCHAR(255) NOT NULL, last_key TEXT, rows_done BIGINT NOT NULL, \
         rows_total_estimate BIGINT, started_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL, \
         finished_at TIMESTAMPTZ, PRIMARY KEY (version_table, revision, name));
         INSERT INTO tenant_02.arx_migrate_backfill VALUES ('arx_migrate_version', 'e006', 'items', 'items', '400', 400, 1000, \
         '2026-01-01T00:00:00Z', '2026-01-01T00:01:00Z', NULL);
         INSERT INTO tenant_02.arx_migrate_history (version_table, revision, operation, started_at, outcome) \
         VALUES ('arx_migrate_version', 'e006', 'upgrade', '2026-01-01T00:00:00Z', 'started');",
    );
    let json = fleet(&db, &["status", "--format", "json"]).ok().json();
    assert_eq!(
        row(&json, "tenant_01")["backfills"],
        serde_json::json!([]),
        "{json}"
    );
    let backfill = &row(&json, "tenant_02")["backfills"][0];
    assert_eq!(backfill["revision"], "e006", "{json}");
    assert_eq!(backfill["rows_done"], 400, "{json}");
    assert_eq!(backfill["rows_total_estimate"], 1000, "{json}");
    assert_eq!(backfill["eta_seconds"], 90, "{json}");

    let text = fleet(&db, &["status"]).ok();
    let line = text
        .stdout
        .lines()
        .find(|l| l.starts_with("tenant_02"))
        .unwrap_or_default();
    assert_contains(
        line,
        "BACKFILL in progress: backfill items of items in revision e006: 400 of ~1000 rows (40%)",
    );
    let other = text
        .stdout
        .lines()
        .find(|l| l.starts_with("tenant_01"))
        .unwrap_or_default();
    assert!(!other.contains("BACKFILL"), "{other}");
}
