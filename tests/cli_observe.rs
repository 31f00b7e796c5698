//! The command line's `[hooks]`, `--metrics-file` and `--watch`, on the
//! `cli_demo` chain (six revisions: a001, b002, c003, c004, d005, e006).

#[path = "cli/support.rs"]
mod support;

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use support::{demo, run_in, Db, Run};

/// The demo chain's revisions.
const CHAIN: [&str; 6] = ["a001", "b002", "c003", "c004", "d005", "e006"];

/// A password the URL carries (PostgreSQL's trust authentication ignores
/// it) that must appear in no hook's input, environment or output.
const PASSWORD: &str = "s3cret-pw-4711";

/// `db`'s URL with [`PASSWORD`] in it (PostgreSQL), or as it is.
fn url_with_password(db: &Db) -> String {
    match db {
        Db::Postgres { .. } => {
            db.url()
                .replacen("://postgres@", &format!("://postgres:{PASSWORD}@"), 1)
        }
        Db::Sqlite { .. } => db.url().to_string(),
    }
}

fn write_services(dir: &Path, hooks: &str) {
    std::fs::write(dir.join("arx-migrate.toml"), format!("[hooks]\n{hooks}\n")).unwrap();
}

/// Runs the demo in `db`'s folder on its URL with a password, and
/// `$DATABASE_URL` set to it too.
fn run(db: &Db, args: &[&str]) -> Run {
    let url = url_with_password(db);
    let mut all = vec!["--url", url.as_str()];
    all.extend_from_slice(args);
    run_in(demo(), db.dir(), &all, &[("DATABASE_URL", url.as_str())])
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

#[test]
fn hooks_get_the_report_on_stdin_and_in_variables_in_order() {
    for db in Db::each("hooks_get_the_report_on_stdin_and_in_variables_in_order") {
        write_services(
            db.dir(),
            r#"
before_run = 'echo "before_run $ARX_MIGRATE_DIRECTION $ARX_MIGRATE_TARGET $ARX_MIGRATE_BACKEND" >> hooks.log; env > env-before_run.txt'
before_step = 'echo "before_step $ARX_MIGRATE_REVISION" >> hooks.log'
after_step = 'cat > "step-$ARX_MIGRATE_REVISION.json"; echo "after_step $ARX_MIGRATE_REVISION $ARX_MIGRATE_OUTCOME" >> hooks.log'
after_run = 'cat > after_run.json; env > env-after_run.txt; echo "after_run $ARX_MIGRATE_OUTCOME $ARX_MIGRATE_STEPS $ARX_MIGRATE_HEADS" >> hooks.log'
on_error = 'echo on_error >> hooks.log'
"#,
        );
        let out = run(&db, &["--format", "json", "upgrade", "head"]).ok();
        let json = out.json();
        let applied: Vec<&str> = json["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["revision"].as_str().unwrap())
            .collect();
        assert_eq!(applied.len(), 6);
        let mut expected = vec![format!("before_run upgrade head {}", db.name())];
        for revision in &applied {
            expected.push(format!("before_step {revision}"));
            expected.push(format!("after_step {revision} applied"));
        }
        expected.push("after_run success 6 e006".to_string());
        let log = read(db.dir(), "hooks.log");
        assert_eq!(log.lines().collect::<Vec<_>>(), expected);

        // The report on stdin.
        let step: Value = serde_json::from_str(&read(db.dir(), "step-c004.json")).unwrap();
        assert_eq!(step["event"], "after_step");
        assert_eq!(step["step"]["revision"], "c004");
        assert_eq!(step["step"]["direction"], "upgrade");
        assert_eq!(step["run"]["backend"], db.name());
        let after: Value = serde_json::from_str(&read(db.dir(), "after_run.json")).unwrap();
        assert_eq!(after["outcome"], "success");
        assert_eq!(after["report"]["heads_after"], serde_json::json!(["e006"]));
        assert_eq!(after["report"]["steps"].as_array().unwrap().len(), 6);
        assert_eq!(after["report"]["steps"], json["steps"]);

        // The variables: the database without its password, never the
        // URL variables.
        let env = read(db.dir(), "env-after_run.txt");
        assert!(env.contains("ARX_MIGRATE_EVENT=after_run"), "{env}");
        assert!(
            env.contains(&format!("ARX_MIGRATE_BACKEND={}", db.name())),
            "{env}"
        );
        assert!(
            env.lines().any(|l| l.starts_with("ARX_MIGRATE_DATABASE=")),
            "{env}"
        );
        assert!(!env.contains("DATABASE_URL="), "{env}");
        for file in [
            "env-before_run.txt",
            "env-after_run.txt",
            "after_run.json",
            "step-a001.json",
        ] {
            assert!(
                !read(db.dir(), file).contains(PASSWORD),
                "{file} has the password"
            );
        }
        // Every hook that ran is in the JSON output.
        let hooks = json["hooks"].as_array().unwrap();
        assert_eq!(hooks.len(), 14);
        assert!(hooks.iter().all(|h| h["outcome"] == "ok"), "{hooks:?}");
        assert!(!out.all().contains(PASSWORD));
    }
}

#[test]
fn a_failing_after_hook_is_reported_and_changes_nothing() {
    for db in Db::each("a_failing_after_hook_is_reported_and_changes_nothing") {
        write_services(
            db.dir(),
            r#"after_step = 'echo "step hook broke on $ARX_MIGRATE_REVISION" >&2; exit 3'
after_run = 'exit 4'"#,
        );
        let out = run(&db, &["--format", "json", "upgrade", "b002"]).ok();
        assert!(
            out.stderr.contains("warning: the after_step hook of a001 exited with status 3: step hook broke on a001"),
            "{}",
            out.stderr
        );
        assert!(
            out.stderr
                .contains("warning: the after_run hook exited with status 4"),
            "{}",
            out.stderr
        );
        let json = out.json();
        assert_eq!(json["heads_after"], serde_json::json!(["b002"]));
        let outcomes: Vec<(&str, &str, i64)> = json["hooks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                (
                    h["event"].as_str().unwrap(),
                    h["outcome"].as_str().unwrap(),
                    h["exit_code"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            outcomes,
            [
                ("after_step", "failed", 3),
                ("after_step", "failed", 3),
                ("after_run", "failed", 4)
            ]
        );
        // Text output and --quiet say it too.
        let out = run(&db, &["--quiet", "upgrade", "c003"]).ok();
        assert!(
            out.stderr.contains("the after_step hook of c"),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn on_error_pages_and_the_migration_error_stays_the_outcome() {
    for db in Db::each("on_error_pages_and_the_migration_error_stays_the_outcome") {
        // a001's table is in the way: the run fails on its first step.
        db.execute("CREATE TABLE items (id INTEGER)");
        write_services(
            db.dir(),
            r#"on_error = 'cat > page.json; echo "$ARX_MIGRATE_OUTCOME $ARX_MIGRATE_ERROR_KIND $ARX_MIGRATE_REVISION" > page.txt; exit 1'"#,
        );
        let out = run(&db, &["--format", "json", "upgrade", "head"]).fails(1);
        let json = out.json();
        assert_eq!(json["error"]["kind"], "migration_failed");
        assert_eq!(
            read(db.dir(), "page.txt").trim(),
            "failure migration_failed a001"
        );
        let page: Value = serde_json::from_str(&read(db.dir(), "page.json")).unwrap();
        assert_eq!(page["event"], "on_error");
        assert_eq!(page["step"]["revision"], "a001");
        assert!(
            page["error"]["message"].as_str().unwrap().contains("a001"),
            "{page}"
        );
        assert!(!read(db.dir(), "page.json").contains(PASSWORD));
        // The failing hook is listed with the error, and said on stderr.
        assert_eq!(json["error"]["details"]["hooks"][0]["event"], "on_error");
        assert_eq!(json["error"]["details"]["hooks"][0]["outcome"], "failed");
        assert!(
            out.stderr
                .contains("the on_error hook of a001 exited with status 1"),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn a_failing_before_step_hook_stops_the_run_before_that_step() {
    for db in Db::each("a_failing_before_step_hook_stops_the_run_before_that_step") {
        write_services(
            db.dir(),
            r#"before_step = 'if [ "$ARX_MIGRATE_REVISION" = d005 ]; then echo "d005 needs a sign-off" >&2; exit 1; fi'
on_error = 'echo "$ARX_MIGRATE_ERROR_KIND $ARX_MIGRATE_REVISION" > page.txt'"#,
        );
        let out = run(&db, &["upgrade", "head"]).fails(1);
        assert!(
            out.stderr
                .contains("before_step hook of revision d005 failed"),
            "{}",
            out.stderr
        );
        assert!(
            out.stderr.contains("d005 needs a sign-off"),
            "{}",
            out.stderr
        );
        assert_eq!(read(db.dir(), "page.txt").trim(), "hook_failed d005");
        // c003 and c004 stay applied; d005 never ran.
        let mut current = db.versions("arx_migrate_version");
        current.sort();
        assert_eq!(current, ["c003", "c004"]);
        // And before_run refusing: nothing runs.
        write_services(db.dir(), "before_run = 'exit 9'");
        let out = run(&db, &["--format", "json", "upgrade", "head"]).fails(1);
        assert_eq!(out.json()["error"]["kind"], "hook_failed");
        let mut current = db.versions("arx_migrate_version");
        current.sort();
        assert_eq!(current, ["c003", "c004"]);
    }
}

#[test]
fn a_hanging_hook_is_killed_at_its_timeout() {
    let db = Db::sqlite();
    // The hook starts a child of its own: the whole group is killed.
    write_services(
        db.dir(),
        "after_run = 'sleep 60 & sleep 60'\nafter_step = 'sleep 60'\ntimeout = \"200ms\"",
    );
    let out = run(&db, &["--format", "json", "upgrade", "a001"]).ok();
    let json = out.json();
    assert_eq!(json["heads_after"], serde_json::json!(["a001"]));
    let outcomes: Vec<&str> = json["hooks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["timed_out", "timed_out"]);
    assert!(
        out.stderr
            .contains("the after_run hook was still running after 200 ms and was killed"),
        "{}",
        out.stderr
    );
    // A hanging before_run hook stops the run.
    write_services(db.dir(), "before_run = 'sleep 60'\ntimeout = 100");
    let out = run(&db, &["upgrade", "head"]).fails(1);
    assert!(out.stderr.contains("the before_run hook"), "{}", out.stderr);
    assert_eq!(db.versions("arx_migrate_version"), ["a001"]);
}

#[test]
fn a_bad_hooks_section_is_a_config_error() {
    let db = Db::sqlite();
    write_services(db.dir(), "after_runn = 'true'");
    let out = run(&db, &["upgrade", "head"]).fails(1);
    assert!(out.stderr.contains("[hooks]"), "{}", out.stderr);
    write_services(db.dir(), "timeout = \"soon\"");
    let out = run(&db, &["upgrade", "head"]).fails(1);
    assert!(out.stderr.contains("[hooks] timeout"), "{}", out.stderr);
}

#[test]
fn fleet_hooks_name_each_target() {
    let dbs: Vec<Db> = (0..3).map(|_| Db::sqlite()).collect();
    let dir = dbs[0].dir();
    let urls: String = dbs.iter().map(|d| format!("{}\n", d.url())).collect();
    std::fs::write(dir.join("urls.txt"), urls).unwrap();
    write_services(
        dir,
        r#"after_run = 'echo "$ARX_MIGRATE_DATABASE $ARX_MIGRATE_STEPS" >> fleet.log'"#,
    );
    let out = run_in(
        demo(),
        dir,
        &[
            "--format", "json", "fleet", "upgrade", "head", "--urls", "urls.txt",
        ],
        &[],
    )
    .ok();
    let mut lines: Vec<String> = read(dir, "fleet.log").lines().map(str::to_string).collect();
    lines.sort();
    let mut expected: Vec<String> = dbs
        .iter()
        .map(|d| format!("{} 6", d.url().trim_start_matches("sqlite://")))
        .collect();
    expected.sort();
    assert_eq!(lines.len(), 3, "{lines:?}");
    for (line, want) in lines.iter().zip(&expected) {
        assert!(
            line.ends_with(" 6") && line.contains(want.trim_end_matches(" 6")),
            "{line} vs {want}"
        );
    }
    assert_eq!(out.json()["hooks"].as_array().unwrap().len(), 3);
}

/// `--watch` on a database that is not at head, until another run
/// upgrades it: plain snapshots (stdout is no terminal), the last one done.
#[test]
fn status_watch_appends_snapshots_until_the_database_is_at_head() {
    let db = Db::sqlite();
    db.cli(&["upgrade", "b002"]).ok();
    let output = SharedOutput::default();
    let watcher = {
        let (url, dir, output) = (db.url().to_string(), db.dir().to_path_buf(), output.clone());
        std::thread::spawn(move || {
            let config = demo_config(&dir);
            let mut stdout = output.clone();
            let mut stderr = Vec::new();
            arx_migrate::cli::execute(
                [
                    "cli_demo",
                    "--url",
                    &url,
                    "status",
                    "--watch",
                    "--interval",
                    "20ms",
                ],
                &config,
                &mut stdout,
                &mut stderr,
            )
        })
    };
    until(|| output.text().contains("NOT at head"));
    db.cli(&["upgrade", "head"]).ok();
    assert_eq!(watcher.join().unwrap(), 0);
    let text = output.text();
    let snapshots: Vec<&str> = text.split_terminator("\n\n").collect();
    assert!(snapshots.len() >= 2, "{text}");
    assert!(
        !text.contains('\x1b'),
        "no terminal codes in a file: {text:?}"
    );
    for snapshot in &snapshots {
        assert!(
            snapshot.starts_with("status at ") && snapshot.contains(" UTC, every 20 ms"),
            "{snapshot}"
        );
    }
    assert!(
        snapshots[0].contains("NOT at head; pending:"),
        "{}",
        snapshots[0]
    );
    let last = snapshots.last().unwrap();
    assert!(last.lines().next().unwrap().ends_with(": done"), "{last}");
    assert!(last.contains("e006 at head"), "{last}");
}

#[test]
fn fleet_status_watch_stops_when_every_target_is_ready() {
    let dbs: Vec<Db> = (0..2).map(|_| Db::sqlite()).collect();
    let dir = dbs[0].dir();
    let urls: String = dbs.iter().map(|d| format!("{}\n", d.url())).collect();
    std::fs::write(dir.join("urls.txt"), urls).unwrap();
    dbs[0].cli(&["upgrade", "head"]).ok();
    dbs[1].cli(&["upgrade", "a001"]).ok();
    let output = SharedOutput::default();
    let watcher = {
        let (dir, output) = (dir.to_path_buf(), output.clone());
        std::thread::spawn(move || {
            let config = demo_config(&dir);
            let mut stdout = output.clone();
            let mut stderr = Vec::new();
            arx_migrate::cli::execute(
                [
                    "cli_demo",
                    "fleet",
                    "status",
                    "--watch",
                    "--interval",
                    "20ms",
                    "--urls",
                    "urls.txt",
                ],
                &config,
                &mut stdout,
                &mut stderr,
            )
        })
    };
    until(|| output.text().contains("not_ready"));
    dbs[1].cli(&["upgrade", "head"]).ok();
    assert_eq!(watcher.join().unwrap(), 0);
    let text = output.text();
    let snapshots: Vec<&str> = text.split_terminator("\n\n\n").collect();
    assert!(text.matches("fleet status at ").count() >= 2, "{text}");
    assert!(snapshots.last().unwrap().contains("2 ready"), "{text}");
    assert!(
        text.trim_end()
            .lines()
            .any(|l| l.starts_with("fleet status at ") && l.ends_with(": done")),
        "{text}"
    );
    // --watch is for people: JSON asks for one snapshot.
    let out = run_in(
        demo(),
        dir,
        &[
            "--format", "json", "fleet", "status", "--watch", "--urls", "urls.txt",
        ],
        &[],
    )
    .fails(2);
    assert!(
        out.all().contains("--watch draws a table for people"),
        "{}",
        out.all()
    );
}

fn demo_config(dir: &Path) -> arx_migrate::cli::CliConfig {
    arx_migrate::cli::CliConfig::default()
        .program_name("cli_demo")
        .migrations(demo().migrations())
        .current_dir(dir)
        .env_clear()
}

/// Polls `check` (a minute keeps a broken test from hanging).
fn until(mut check: impl FnMut() -> bool) {
    let started = std::time::Instant::now();
    while !check() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "gave up waiting"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// Output written on one thread and read on another.
#[derive(Clone, Default)]
struct SharedOutput(Arc<Mutex<Vec<u8>>>);

impl SharedOutput {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl Write for SharedOutput {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(feature = "metrics")]
mod metrics_file {
    use super::*;
    use std::collections::BTreeMap;

    /// One sample of a Prometheus text file.
    #[derive(Debug, Clone)]
    struct Sample {
        name: String,
        labels: BTreeMap<String, String>,
        value: f64,
    }

    /// Parses the Prometheus text format (0.0.4) strictly: HELP and TYPE
    /// lines, one TYPE per family before its samples, valid names, quoted
    /// and escaped label values, numbers; histogram buckets cumulative and
    /// ending in `+Inf` equal to `_count`.
    fn parse(text: &str) -> Vec<Sample> {
        assert!(text.ends_with('\n'), "the file ends with a newline");
        let mut types: BTreeMap<String, String> = BTreeMap::new();
        let mut samples = Vec::new();
        let valid_name = |name: &str| {
            !name.is_empty()
                && !name.starts_with(|c: char| c.is_ascii_digit())
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
        };
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# ") {
                let mut parts = rest.splitn(3, ' ');
                let (keyword, name, what) = (
                    parts.next().unwrap(),
                    parts.next().unwrap(),
                    parts.next().unwrap_or(""),
                );
                assert!(valid_name(name), "{line}");
                match keyword {
                    "HELP" => assert!(!what.is_empty(), "{line}"),
                    "TYPE" => {
                        assert!(
                            ["counter", "gauge", "histogram", "summary", "untyped"].contains(&what),
                            "{line}"
                        );
                        assert!(
                            types.insert(name.to_string(), what.to_string()).is_none(),
                            "TYPE twice: {line}"
                        );
                    }
                    other => panic!("unknown comment {other}: {line}"),
                }
                continue;
            }
            let name_end = line
                .find(['{', ' '])
                .unwrap_or_else(|| panic!("no value: {line}"));
            let name = &line[..name_end];
            assert!(valid_name(name), "{line}");
            let mut labels = BTreeMap::new();
            let mut rest = &line[name_end..];
            if let Some(inner) = rest.strip_prefix('{') {
                let (parsed, after) = parse_labels(inner, line);
                labels = parsed;
                rest = after;
            }
            let value = rest
                .strip_prefix(' ')
                .unwrap_or_else(|| panic!("no space before the value: {line}"));
            let value: f64 = match value {
                "+Inf" => f64::INFINITY,
                "-Inf" => f64::NEG_INFINITY,
                "NaN" => f64::NAN,
                number => number
                    .parse()
                    .unwrap_or_else(|_| panic!("not a number: {line}")),
            };
            let family = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|suffix| {
                    name.strip_suffix(suffix)
                        .filter(|f| types.get(*f).is_some_and(|t| t == "histogram"))
                })
                .unwrap_or(name);
            assert!(
                types.contains_key(family),
                "a sample before its TYPE: {line}"
            );
            samples.push(Sample {
                name: name.to_string(),
                labels,
                value,
            });
        }
        // Histograms: cumulative buckets, +Inf = count.
        for (family, kind) in &types {
            if kind != "histogram" {
                continue;
            }
            let counts: Vec<&Sample> = samples
                .iter()
                .filter(|s| s.name == format!("{family}_count"))
                .collect();
            assert!(!counts.is_empty(), "{family} has no _count");
            for count in counts {
                let buckets: Vec<&Sample> = samples
                    .iter()
                    .filter(|s| {
                        s.name == format!("{family}_bucket") && {
                            let mut labels = s.labels.clone();
                            labels.remove("le");
                            labels == count.labels
                        }
                    })
                    .collect();
                assert!(
                    buckets.windows(2).all(|w| w[0].value <= w[1].value),
                    "{family} buckets not cumulative"
                );
                let last = buckets.last().unwrap();
                assert_eq!(last.labels["le"], "+Inf");
                assert_eq!(last.value, count.value);
            }
        }
        samples
    }

    /// `key="value",…}` and what follows the `}`.
    fn parse_labels<'a>(inner: &'a str, line: &str) -> (BTreeMap<String, String>, &'a str) {
        let mut labels = BTreeMap::new();
        let mut rest = inner;
        loop {
            if let Some(after) = rest.strip_prefix('}') {
                return (labels, after);
            }
            let eq = rest
                .find('=')
                .unwrap_or_else(|| panic!("no = in labels: {line}"));
            let key = &rest[..eq];
            assert!(
                !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "label {key:?}: {line}"
            );
            let mut chars = rest[eq + 1..].char_indices();
            assert_eq!(chars.next().map(|(_, c)| c), Some('"'), "{line}");
            let mut value = String::new();
            let close = loop {
                match chars.next().unwrap_or_else(|| panic!("open value: {line}")) {
                    (_, '\\') => match chars.next().map(|(_, c)| c) {
                        Some('n') => value.push('\n'),
                        Some('\\') => value.push('\\'),
                        Some('"') => value.push('"'),
                        other => panic!("bad escape {other:?}: {line}"),
                    },
                    (i, '"') => break i,
                    (_, c) => value.push(c),
                }
            };
            labels.insert(key.to_string(), value);
            rest = &rest[eq + 1 + close + 1..];
            rest = rest.strip_prefix(',').unwrap_or(rest);
        }
    }

    fn sum(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
        samples
            .iter()
            .filter(|s| {
                s.name == name
                    && labels
                        .iter()
                        .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
            })
            .map(|s| s.value)
            .sum()
    }

    #[test]
    fn the_metrics_file_matches_the_run_on_success_and_failure() {
        for db in Db::each("the_metrics_file_matches_the_run_on_success_and_failure") {
            let backend = db.name();
            let out = run(
                &db,
                &[
                    "--format",
                    "json",
                    "--metrics-file",
                    "arx.prom",
                    "upgrade",
                    "head",
                ],
            )
            .ok();
            let json = out.json();
            let text = read(db.dir(), "arx.prom");
            let samples = parse(&text);
            assert!(
                !text.contains(PASSWORD)
                    && !text.contains("127.0.0.1")
                    && !text.contains("sqlite://"),
                "{text}"
            );
            let steps = json["steps"].as_array().unwrap();
            assert_eq!(
                sum(
                    &samples,
                    "arx_migrate_steps_total",
                    &[("outcome", "applied"), ("backend", backend)]
                ),
                steps.len() as f64
            );
            for step in steps {
                let revision = step["revision"].as_str().unwrap();
                let labels = [
                    ("revision", revision),
                    ("direction", "upgrade"),
                    ("backend", backend),
                ];
                assert_eq!(
                    sum(&samples, "arx_migrate_step_duration_seconds_count", &labels),
                    1.0,
                    "{revision}"
                );
                assert!(
                    sum(&samples, "arx_migrate_step_duration_seconds_sum", &labels) > 0.0,
                    "{revision}"
                );
            }
            assert_eq!(
                sum(
                    &samples,
                    "arx_migrate_runs_total",
                    &[("outcome", "success"), ("direction", "upgrade")]
                ),
                1.0
            );
            assert_eq!(
                sum(
                    &samples,
                    "arx_migrate_revisions_pending",
                    &[("backend", backend)]
                ),
                0.0
            );
            assert_eq!(
                sum(
                    &samples,
                    "arx_migrate_last_command_success",
                    &[("command", "upgrade")]
                ),
                1.0
            );
            assert!(sum(&samples, "arx_migrate_last_command_timestamp_seconds", &[]) > 1.7e9);
            assert!(
                text.contains("# TYPE arx_migrate_step_duration_seconds histogram"),
                "{text}"
            );
            assert!(text.contains("# HELP arx_migrate_runs_total "), "{text}");
            // No temporary file is left beside it.
            let left: Vec<String> = std::fs::read_dir(db.dir())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.contains(".tmp"))
                .collect();
            assert!(left.is_empty(), "{left:?}");

            // A failed run writes the file too, replacing the last one.
            run(&db, &["downgrade", "base"]).ok();
            db.execute("CREATE TABLE tags (id INTEGER)"); // in b002's way
            run(&db, &["--metrics-file", "arx.prom", "upgrade", "head"]).fails(1);
            let samples = parse(&read(db.dir(), "arx.prom"));
            assert_eq!(
                sum(
                    &samples,
                    "arx_migrate_steps_total",
                    &[("outcome", "applied")]
                ),
                1.0
            );
            assert_eq!(
                sum(
                    &samples,
                    "arx_migrate_steps_total",
                    &[("outcome", "failed"), ("revision", "b002")]
                ),
                1.0
            );
            assert_eq!(
                sum(
                    &samples,
                    "arx_migrate_runs_total",
                    &[("outcome", "failure")]
                ),
                1.0
            );
            assert_eq!(
                sum(
                    &samples,
                    "arx_migrate_runs_total",
                    &[("outcome", "success")]
                ),
                0.0
            );
            assert_eq!(
                sum(
                    &samples,
                    "arx_migrate_last_command_success",
                    &[("command", "upgrade")]
                ),
                0.0
            );
        }
    }

    #[test]
    fn a_command_that_fails_before_any_run_still_writes_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let out = run_in(
            demo(),
            dir.path(),
            &[
                "--url",
                "postgres://u:hunter2@127.0.0.1:1/nowhere",
                "--metrics-file",
                "m.prom",
                "upgrade",
                "head",
            ],
            &[],
        )
        .fails(1);
        let text = read(dir.path(), "m.prom");
        let samples = parse(&text);
        assert_eq!(
            sum(
                &samples,
                "arx_migrate_last_command_success",
                &[("command", "upgrade")]
            ),
            0.0
        );
        assert!(!text.contains("hunter2") && !out.all().contains("hunter2"));
        // An unwritable path is said, and the exit code stays the command's.
        let out = run_in(
            demo(),
            dir.path(),
            &["--metrics-file", "no/such/dir/m.prom", "heads"],
            &[],
        )
        .ok();
        assert!(
            out.stderr
                .contains("warning: cannot write the metrics file no/such/dir/m.prom"),
            "{}",
            out.stderr
        );
    }

    #[test]
    fn a_fleet_run_writes_its_targets_and_steps() {
        let dbs: Vec<Db> = (0..3).map(|_| Db::sqlite()).collect();
        let dir = dbs[0].dir();
        let urls: String = dbs.iter().map(|d| format!("{}\n", d.url())).collect();
        std::fs::write(dir.join("urls.txt"), urls).unwrap();
        run_in(
            demo(),
            dir,
            &[
                "--metrics-file",
                "fleet.prom",
                "fleet",
                "upgrade",
                "head",
                "--urls",
                "urls.txt",
                "-j",
                "2",
            ],
            &[],
        )
        .ok();
        let samples = parse(&read(dir, "fleet.prom"));
        assert_eq!(
            sum(&samples, "arx_migrate_fleet_targets", &[("state", "total")]),
            3.0
        );
        assert_eq!(
            sum(&samples, "arx_migrate_fleet_targets", &[("state", "done")]),
            3.0
        );
        assert_eq!(
            sum(
                &samples,
                "arx_migrate_fleet_targets",
                &[("state", "failed")]
            ),
            0.0
        );
        // Every worker thread's runs were recorded.
        assert_eq!(
            sum(
                &samples,
                "arx_migrate_runs_total",
                &[("outcome", "success")]
            ),
            3.0
        );
        assert_eq!(
            sum(
                &samples,
                "arx_migrate_steps_total",
                &[("outcome", "applied")]
            ),
            (3 * CHAIN.len()) as f64
        );
    }
}
