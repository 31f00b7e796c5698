//! arx-migrate against real Alembic: the graphs and commands of
//! `tests/alembic/scenarios.toml` run through both tools, and after every
//! command the exit status (success or failure), the version table's rows,
//! the marker tables present and, for `history`, `heads`, `current` and
//! `branches`, the revisions listed must be the same, except for the
//! deliberate differences of `tests/alembic/differences.toml` (each the last
//! step of its scenario; arx's result there is checked too, and an entry
//! whose results agree is stale and fails the test).
//!
//! Alembic runs in one Python process (`tests/alembic/run_alembic.py`), at the
//! version pinned in `tests/alembic/requirements.txt`:
//! `pip install -r tests/alembic/requirements.txt`. Without it the test says
//! it was skipped, except when `CI` is set, where that is a failure. The
//! arx side runs on SQLite, and on PostgreSQL too when
//! `ARX_MIGRATE_TEST_PG` names a server.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "support/alembic_python.rs"]
mod alembic_python;

use alembic_python::{folder, pinned, python};

use arx_migrate::cli::{execute, CliConfig};
use arx_migrate::testing::{postgres_test_url, PgTestDatabase};
use arx_migrate::{FnMigration, MigrationSet};
use serde_json::Value;

const TEST: &str = "alembic_parity";

/// What one command did.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Outcome {
    failed: bool,
    rows: Vec<String>,
    tables: Vec<String>,
    /// The revisions a listing verb printed; `None` for other verbs.
    listed: Option<Vec<String>>,
}

/// One side's run of one step, with what it said, for failure reports.
struct Ran {
    outcome: Outcome,
    said: String,
}

/// A deliberate difference, from differences.toml.
struct Difference {
    step: String,
    arx_failed: bool,
    arx_rows: Option<Vec<String>>,
}

fn strings(value: &toml::Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| a.iter().map(|v| v.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

fn as_str(strings: &[String]) -> Vec<&str> {
    strings.iter().map(String::as_str).collect()
}

/// The migrations of a graph: each creates its marker table.
fn migrations(graph: &toml::Value) -> MigrationSet {
    let mut set = MigrationSet::new();
    for revision in graph["revisions"].as_array().unwrap() {
        let id = revision["rev"].as_str().unwrap().to_string();
        let list = |key: &str| revision.get(key).map(strings).unwrap_or_default();
        let (down, labels, depends) = (list("down"), list("labels"), list("depends_on"));
        let (create, drop) = (
            format!("CREATE TABLE t_{id} (id INTEGER)"),
            format!("DROP TABLE t_{id}"),
        );
        set = set.with(
            FnMigration::new(
                id.clone(),
                &as_str(&down),
                move |op| op.sql(create.clone()),
                move |op| op.sql(drop.clone()),
            )
            .message(format!("create t_{id}"))
            .branch_labels(&as_str(&labels))
            .depends_on(&as_str(&depends)),
        );
    }
    set
}

/// The database the arx side runs on.
enum Database {
    Sqlite(PathBuf),
    Postgres(PgTestDatabase),
}

impl Database {
    fn url(&self) -> String {
        match self {
            Database::Sqlite(path) => format!("sqlite://{}", path.display()),
            Database::Postgres(db) => db.url().to_string(),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Database::Sqlite(_) => "sqlite",
            Database::Postgres(_) => "postgres",
        }
    }

    /// Runs `work` with a function that returns the rows of a query whose
    /// column is text, all on one connection.
    fn with_queries<T>(&self, work: impl FnOnce(&mut dyn FnMut(&str) -> Vec<String>) -> T) -> T {
        match self {
            Database::Sqlite(path) => {
                let connection = rusqlite::Connection::open(path).unwrap();
                work(&mut |sql| {
                    let mut statement = connection.prepare(sql).unwrap();
                    let rows = statement
                        .query_map([], |row| row.get::<_, String>(0))
                        .unwrap()
                        .collect::<Result<Vec<_>, _>>()
                        .unwrap();
                    rows
                })
            }
            Database::Postgres(db) => {
                let mut client = db.connect().unwrap();
                work(&mut |sql| {
                    client
                        .query(sql, &[])
                        .unwrap()
                        .iter()
                        .map(|row| row.get::<_, String>(0))
                        .collect()
                })
            }
        }
    }

    fn execute(&self, sql: &str) {
        match self {
            Database::Sqlite(path) => rusqlite::Connection::open(path)
                .unwrap()
                .execute_batch(sql)
                .unwrap(),
            Database::Postgres(db) => db.connect().unwrap().batch_execute(sql).unwrap(),
        }
    }

    fn tables(&self, query: &mut dyn FnMut(&str) -> Vec<String>) -> Vec<String> {
        let sql = match self {
            Database::Sqlite(_) => "SELECT name FROM sqlite_master WHERE type = 'table'",
            Database::Postgres(_) => {
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema()"
            }
        };
        let mut tables = query(sql);
        tables.sort();
        tables
    }

    /// Whether this database runs `scenario`: SQLite runs them all;
    /// PostgreSQL, where each step costs a few round trips and commits,
    /// those marked `postgres = true`, which cover the version table's
    /// handling (stamp, purge, unknown rows, rows a dependency covers).
    fn runs(&self, scenario: &toml::Value) -> bool {
        match self {
            Database::Sqlite(_) => true,
            Database::Postgres(_) => scenario
                .get("postgres")
                .and_then(toml::Value::as_bool)
                .unwrap_or(false),
        }
    }

    /// An empty database for the next scenario.
    fn reset(&self) {
        match self {
            Database::Sqlite(path) => {
                let _ = std::fs::remove_file(path);
            }
            Database::Postgres(_) => {
                let drops: String = self
                    .with_queries(|query| self.tables(query))
                    .iter()
                    .map(|t| format!("DROP TABLE \"{t}\";"))
                    .collect();
                self.execute(&drops);
            }
        }
    }

    /// The version rows and the marker tables, sorted.
    fn state(&self) -> (Vec<String>, Vec<String>) {
        self.with_queries(|query| {
            let tables = self.tables(query);
            let mut rows = if tables.iter().any(|t| t == "alembic_version") {
                query("SELECT CAST(version_num AS TEXT) FROM alembic_version")
            } else {
                Vec::new()
            };
            rows.sort();
            let markers = tables.into_iter().filter(|t| t.starts_with("t_")).collect();
            (rows, markers)
        })
    }
}

/// The revisions a listing verb printed (its JSON), in Alembic's order for
/// `history`; sorted for the others, whose order Alembic leaves to a set.
fn listed(verb: &str, json: &Value) -> Option<Vec<String>> {
    let ids = |items: &Value| -> Vec<String> {
        items
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| r["revision"].as_str().unwrap_or("?").to_string())
            .collect()
    };
    let mut ids = match verb {
        "history" => return Some(ids(&json["revisions"])),
        "heads" => ids(&json["heads"]),
        "current" => ids(&json["revisions"]),
        "branches" => json["branch_points"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|point| {
                std::iter::once(point["revision"].as_str().unwrap_or("?").to_string()).chain(
                    point["children"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|c| c.as_str().unwrap_or("?").to_string()),
                )
            })
            .collect(),
        _ => return None,
    };
    ids.sort();
    Some(ids)
}

fn is_listing(verb: &str) -> bool {
    matches!(verb, "history" | "heads" | "current" | "branches")
}

/// Runs one step through arx-migrate's command line, in this process.
fn run_arx(config: &CliConfig, database: &Database, step: &str) -> Ran {
    if let Some(sql) = step.strip_prefix('!') {
        database.execute(sql);
        let (rows, tables) = database.state();
        return Ran {
            outcome: Outcome {
                failed: false,
                rows,
                tables,
                listed: None,
            },
            said: String::new(),
        };
    }
    let words: Vec<&str> = step.split_whitespace().collect();
    let url = database.url();
    let mut args = vec!["arx", "--url", &url];
    if is_listing(words[0]) {
        args.extend(["--format", "json"]);
    }
    args.extend(&words);
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let code = execute(args, config, &mut stdout, &mut stderr);
    let stdout = String::from_utf8_lossy(&stdout).into_owned();
    let stderr = String::from_utf8_lossy(&stderr).into_owned();
    let listed = if is_listing(words[0]) && code == 0 {
        listed(words[0], &serde_json::from_str(&stdout).unwrap())
    } else {
        None
    };
    let (rows, tables) = database.state();
    Ran {
        outcome: Outcome {
            failed: code != 0,
            rows,
            tables,
            listed,
        },
        // A listing's JSON is long; its revisions are in `listed`.
        said: if is_listing(words[0]) {
            stderr.trim().to_string()
        } else {
            format!("{stdout}{stderr}").trim().to_string()
        },
    }
}

/// Alembic's record of one step (from run_alembic.py's JSON).
fn alembic_ran(step: &Value) -> Ran {
    let list = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    let command = step["command"].as_str().unwrap();
    let verb = command.split_whitespace().next().unwrap_or_default();
    let failed = step["code"].as_i64() != Some(0);
    let listed = (is_listing(verb) && !failed).then(|| {
        let mut ids = list(&step["listed"]);
        if verb != "history" {
            ids.sort();
        }
        ids
    });
    Ran {
        outcome: Outcome {
            failed,
            rows: list(&step["rows"]),
            tables: list(&step["tables"]),
            listed,
        },
        said: format!(
            "{}{}",
            step["output"].as_str().unwrap_or_default(),
            step["error"].as_str().unwrap_or_default()
        )
        .trim()
        .to_string(),
    }
}

/// Every scenario's steps through arx on `database`, in order.
fn run_all(spec: &toml::Table, scenarios: &[toml::Value], database: &Database) -> Vec<Vec<Ran>> {
    scenarios
        .iter()
        .filter(|scenario| database.runs(scenario))
        .map(|scenario| {
            let graph = &spec["graph"][scenario["graph"].as_str().unwrap()];
            let config = CliConfig::default()
                .program_name("arx")
                .version_table("alembic_version")
                .migrations(migrations(graph));
            database.reset();
            strings(&scenario["steps"])
                .iter()
                .map(|step| run_arx(&config, database, step))
                .collect()
        })
        .collect()
}

fn differences() -> BTreeMap<String, Difference> {
    let text = std::fs::read_to_string(folder().join("differences.toml")).unwrap();
    let file: toml::Table = text.parse().unwrap();
    file["difference"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let field = |key: &str| {
                d.get(key)
                    .and_then(|v| v.as_str())
                    .unwrap_or_else(|| panic!("a difference without {key}: {d:?}"))
                    .to_string()
            };
            // Each entry says what Alembic does and why arx does otherwise.
            assert!(!field("alembic").is_empty() && !field("why").is_empty());
            (
                field("scenario"),
                Difference {
                    step: field("step"),
                    arx_failed: d["arx_fails"].as_bool().unwrap(),
                    arx_rows: d.get("arx_rows").map(strings),
                },
            )
        })
        .collect()
}

fn describe(outcome: &Outcome) -> String {
    format!(
        "{} rows {:?} tables {:?}{}",
        if outcome.failed { "FAILED" } else { "ok" },
        outcome.rows,
        outcome.tables,
        outcome
            .listed
            .as_ref()
            .map(|l| format!(" listed {l:?}"))
            .unwrap_or_default()
    )
}

#[test]
fn the_same_commands_give_the_same_results_as_alembic() {
    let python = match python(&[]) {
        Ok(python) => python,
        Err(why) if std::env::var_os("CI").is_some() => panic!(
            "{TEST}: {why}; CI requires the comparison with Alembic: pip install -r tests/alembic/requirements.txt"
        ),
        Err(why) => {
            eprintln!(
                "skipped {TEST}: {why} (pip install -r tests/alembic/requirements.txt to run it)"
            );
            return;
        }
    };
    let spec: toml::Table = std::fs::read_to_string(folder().join("scenarios.toml"))
        .unwrap()
        .parse()
        .unwrap();
    // Scratch files, in memory where the system has a tmpfs: the test is
    // about which revisions move, not about durability, and a commit that
    // waits for the disk costs more than the rest of a step.
    let shm = Path::new("/dev/shm");
    let work = if shm.is_dir() {
        tempfile::tempdir_in(shm)
    } else {
        tempfile::tempdir()
    }
    .unwrap();
    // Alembic runs in its own process while arx runs here.
    let alembic_run = Command::new(&python)
        .arg(folder().join("run_alembic.py"))
        .arg(folder().join("scenarios.toml"))
        .arg(work.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python runs");

    let mut databases = vec![Database::Sqlite(work.path().join("arx.db"))];
    if let Some(server) = postgres_test_url(TEST) {
        let db = PgTestDatabase::create(&server).unwrap();
        // For the connections each command opens: no wait for the WAL.
        db.connect()
            .unwrap()
            .batch_execute(&format!(
                "ALTER DATABASE \"{}\" SET synchronous_commit = off",
                db.name()
            ))
            .unwrap();
        databases.push(Database::Postgres(db));
    }
    let scenarios = spec["scenario"].as_array().unwrap();
    // Each database in a thread of its own: PostgreSQL's side mostly waits
    // for the server.
    let ours: Vec<Vec<Vec<Ran>>> = std::thread::scope(|scope| {
        let runs: Vec<_> = databases
            .iter()
            .map(|database| scope.spawn(|| run_all(&spec, scenarios, database)))
            .collect();
        runs.into_iter().map(|run| run.join().unwrap()).collect()
    });
    let output = alembic_run.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "run_alembic.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let alembic: Value = serde_json::from_slice(&output.stdout).unwrap();
    let differences = differences();
    let mut problems = Vec::new();
    let mut compared = 0;
    for (database, ours) in databases.iter().zip(&ours) {
        let run = scenarios
            .iter()
            .zip(alembic.as_array().unwrap())
            .filter(|(scenario, _)| database.runs(scenario));
        for ((scenario, alembic), ours) in run.zip(ours) {
            let name = scenario["name"].as_str().unwrap();
            let steps = strings(&scenario["steps"]);
            let difference = differences.get(name);
            if let Some(difference) = difference {
                assert_eq!(
                    steps.last(),
                    Some(&difference.step),
                    "differences.toml: the difference of {name:?} must be its last step"
                );
            }
            for (number, ((step, theirs), ours)) in steps
                .iter()
                .zip(alembic["steps"].as_array().unwrap())
                .zip(ours)
                .enumerate()
            {
                let theirs = alembic_ran(theirs);
                compared += 1;
                let last = number + 1 == steps.len();
                let place = format!(
                    "[{}] {name:?}, step {} `{step}`",
                    database.name(),
                    number + 1
                );
                match difference.filter(|_| last) {
                    None if ours.outcome != theirs.outcome => problems.push(format!(
                        "{place}:\n    arx:     {}\n             {}\n    alembic: {}\n             {}",
                        describe(&ours.outcome),
                        ours.said.replace('\n', "\n             "),
                        describe(&theirs.outcome),
                        theirs.said.replace('\n', "\n             "),
                    )),
                    None => {}
                    Some(_) if ours.outcome == theirs.outcome => problems.push(format!(
                        "{place}: listed in differences.toml, but arx and Alembic agree now ({}); remove the entry",
                        describe(&ours.outcome)
                    )),
                    Some(expected)
                        if ours.outcome.failed != expected.arx_failed
                            || expected
                                .arx_rows
                                .as_ref()
                                .is_some_and(|r| *r != ours.outcome.rows) =>
                    {
                        problems.push(format!(
                            "{place}: a deliberate difference, but arx did not do what differences.toml says: {}\n             {}",
                            describe(&ours.outcome),
                            ours.said
                        ))
                    }
                    Some(_) => {}
                }
            }
        }
    }
    assert!(compared > 100, "only {compared} steps compared");
    assert!(
        problems.is_empty(),
        "{} step(s) differ from Alembic {}:\n\n{}",
        problems.len(),
        pinned("alembic"),
        problems.join("\n\n")
    );
}
