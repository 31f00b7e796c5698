//! Changing a busy table: each change of issue 22 (a foreign key, a NOT
//! NULL column with its backfill, a unique constraint, an index, a rename
//! through expand/contract) made naively, by hand-written safe SQL, and
//! through arx-migrate's `Ops` calls, on a fresh 1,000,000-row table per
//! variant under a steady pgbench load; prints the writers' latency,
//! transactions done against scheduled, aborted clients, failed
//! transactions and the longest lock wait of a writer, as a markdown table.
//!
//! ```sh
//! ARX_MIGRATE_TEST_PG=postgresql://postgres@127.0.0.1:5432/postgres \
//!     cargo bench --features testing --bench live_changes
//! ```
//!
//! `scripts/live-bench.sh` runs it with the settings of BENCHMARKS.md.
//! Settings (environment): `ARX_BENCH_ROWS` (default 1,000,000),
//! `ARX_BENCH_RATE` (transactions per second, default 200),
//! `ARX_BENCH_CLIENTS` (default 8), `ARX_BENCH_CHANGES` (a comma-separated
//! subset of foreign-key, not-null-backfill, unique, index, rename),
//! `ARX_BENCH_WARMUP` and `ARX_BENCH_BASELINE` (seconds, default 5 and
//! 10). Each variant gets a database of its own, dropped after it.

mod changes;
mod locks;
mod stats;
mod workload;

use std::time::Duration;

use changes::{Change, Variant};
use locks::LockSampler;
use stats::{ms, WindowFigures};
use workload::{now_epoch, Load, LoadShape};

type BoxError = Box<dyn std::error::Error>;

/// After the window, before pgbench is stopped: transactions scheduled in
/// the window and still queued finish (or time out) meanwhile, and the
/// log's last buffered second, lost when pgbench is stopped, falls after
/// the window.
const COOL_DOWN: Duration = Duration::from_secs(3);

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The URL of database `name` on the server of `server` (a URL whose path,
/// if any, names another database).
fn database_url(server: &str, name: &str) -> String {
    let (base, query) = server.split_once('?').unwrap_or((server, ""));
    let authority_end = base
        .find("://")
        .map(|scheme| scheme + 3)
        .and_then(|start| base[start..].find('/').map(|slash| start + slash))
        .unwrap_or(base.len());
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    format!("{}/{name}{query}", &base[..authority_end])
}

/// One row of the report.
struct Measured {
    change: Option<Change>,
    variant: Option<Variant>,
    outcome: Result<Outcome, String>,
}

struct Outcome {
    /// The median duration of the change.
    duration: Duration,
    /// How many times it was made (each making is one window).
    repetitions: usize,
    figures: WindowFigures,
    longest_lock_wait: Duration,
    lock_retries: u32,
    check: Result<(), String>,
}

struct Bench {
    server: String,
    shape: LoadShape,
    warmup: Duration,
    baseline: Duration,
    databases: u32,
}

impl Bench {
    /// Runs `what` (or nothing, for `baseline`) against the load on a
    /// fresh database.
    fn measure(&mut self, what: Option<(Change, Variant)>) -> Result<Outcome, BoxError> {
        self.databases += 1;
        let name = format!("arx_live_{}_{}", std::process::id(), self.databases);
        let mut admin = postgres::Client::connect(&self.server, postgres::NoTls)?;
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))?;
        admin.batch_execute(&format!("CREATE DATABASE {name}"))?;
        let url = database_url(&self.server, &name);
        let directory = std::env::temp_dir().join(&name);
        let result = self.measure_in(&url, &directory, what);
        let _ = std::fs::remove_dir_all(&directory);
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))?;
        result
    }

    fn measure_in(
        &self,
        url: &str,
        directory: &std::path::Path,
        what: Option<(Change, Variant)>,
    ) -> Result<Outcome, BoxError> {
        let mut client = postgres::Client::connect(url, postgres::NoTls)?;
        workload::load_tables(&mut client, &self.shape)?;
        let sampler = LockSampler::start(url)?;
        let mut load = Load::start(url, &self.shape, directory)?;
        std::thread::sleep(self.warmup);
        let mut windows = Vec::new();
        let made = match what {
            None => {
                let start = now_epoch();
                std::thread::sleep(self.baseline);
                windows.push((start, now_epoch()));
                Ok((changes::Made::default(), self.baseline))
            }
            Some((change, variant)) => {
                self.repeated(change, variant, &mut client, &mut load, &mut windows)
            }
        };
        std::thread::sleep(COOL_DOWN);
        let longest_lock_wait = sampler.stop()?;
        let logged = load.stop()?;
        let (made, duration) = made?;
        if logged.transactions.is_empty() {
            return Err(format!(
                "pgbench logged no transaction: see {}",
                directory.join("pgbench.stderr").display()
            )
            .into());
        }
        if let Some(abort) = &logged.first_abort {
            eprintln!("  first abort: {abort}");
        }
        let check = match what {
            Some((change, _)) => checks::made(change, &mut client, self.shape.rows),
            None => Ok(()),
        };
        Ok(Outcome {
            duration,
            figures: stats::window(&logged, &windows, self.shape.rate),
            repetitions: windows.len(),
            longest_lock_wait,
            lock_retries: made.lock_retries,
            check,
        })
    }
}

impl Bench {
    /// Makes the change, and for a repeatable one, undoes it (outside the
    /// windows) and makes it again until the windows add up to
    /// `MIN_WINDOWS` (at most `MAX_REPETITIONS` times, and not once the
    /// load is gone). The median duration and the lock retries in all.
    fn repeated(
        &self,
        change: Change,
        variant: Variant,
        client: &mut postgres::Client,
        load: &mut Load,
        windows: &mut Vec<(f64, f64)>,
    ) -> Result<(changes::Made, Duration), BoxError> {
        let mut durations = Vec::new();
        let mut made = changes::Made::default();
        loop {
            let start = now_epoch();
            let (once, duration) = changes::timed(change, variant, client)?;
            windows.push((start, now_epoch()));
            durations.push(duration);
            made.lock_retries += once.lock_retries;
            let covered: f64 = windows.iter().map(|(s, e)| e - s).sum();
            if !changes::repeatable(change)
                || covered >= MIN_WINDOWS.as_secs_f64()
                || durations.len() >= MAX_REPETITIONS
                || !load.running()
            {
                break;
            }
            changes::undo(change, variant, client)?;
            // What the undo disturbed settles before the next window.
            std::thread::sleep(Duration::from_secs(1));
        }
        durations.sort();
        Ok((made, durations[durations.len() / 2]))
    }
}

/// The windows of a repeatable change add up to at least this.
const MIN_WINDOWS: Duration = Duration::from_secs(5);
/// A repeatable change is made at most this many times.
const MAX_REPETITIONS: usize = 12;

mod checks {
    //! That a variant made its change: the end state read back.

    use super::Change;

    /// `Ok` when the change is in place, else what is missing.
    pub fn made(change: Change, client: &mut postgres::Client, rows: i64) -> Result<(), String> {
        let filled = format!(
            "SELECT count(*) FROM pg_attribute WHERE attrelid = 'items'::regclass AND attname = 'score' AND attnotnull
             AND NOT EXISTS (SELECT 1 FROM items WHERE id <= {rows} AND score <> parent_id * 2)"
        );
        let (sql, what) = match change {
            Change::ForeignKey => (
                "SELECT count(*) FROM pg_constraint WHERE conname = 'items_parent_fk' AND contype = 'f' AND convalidated",
                "a validated foreign key items_parent_fk",
            ),
            Change::NotNullBackfill => (filled.as_str(), "items.score NOT NULL, filled"),
            Change::Unique => (
                "SELECT count(*) FROM pg_constraint c JOIN pg_index i ON i.indexrelid = c.conindid
                 WHERE c.conname = 'items_code_key' AND c.contype = 'u' AND i.indisvalid",
                "a unique constraint items_code_key on a valid index",
            ),
            Change::Index => (
                "SELECT count(*) FROM pg_index WHERE indexrelid = 'items_qty_idx'::regclass AND indisvalid",
                "a valid index items_qty_idx",
            ),
            Change::Rename => (
                "SELECT count(*) FROM pg_attribute WHERE attrelid = 'items'::regclass AND attname = 'remark' AND NOT attisdropped
                 AND NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'items'::regclass AND attname = 'note' AND NOT attisdropped)
                 AND NOT EXISTS (SELECT 1 FROM items WHERE remark IS NULL)",
                "items.remark filled and no items.note",
            ),
        };
        match client.query_one(sql, &[]) {
            Ok(row) if row.get::<_, i64>(0) == 1 => Ok(()),
            Ok(_) => Err(format!("not made: {what}")),
            Err(error) => Err(format!("not made: {what} ({error})")),
        }
    }
}

fn main() {
    let Ok(server) = std::env::var("ARX_MIGRATE_TEST_PG") else {
        eprintln!("set ARX_MIGRATE_TEST_PG to a PostgreSQL server URL to run this bench");
        return;
    };
    if let Err(error) = run(server) {
        eprintln!("live_changes: {error}");
        std::process::exit(1);
    }
}

fn run(server: String) -> Result<(), BoxError> {
    let shape = LoadShape {
        rows: env_number("ARX_BENCH_ROWS", 1_000_000) as i64,
        parents: 10_000,
        rate: env_number("ARX_BENCH_RATE", 200) as u32,
        clients: env_number("ARX_BENCH_CLIENTS", 8) as u32,
        statement_timeout: Duration::from_secs(2),
    };
    let selected: Vec<Change> = match std::env::var("ARX_BENCH_CHANGES") {
        Ok(list) => Change::ALL
            .into_iter()
            .filter(|c| list.split(',').any(|n| n.trim() == c.name()))
            .collect(),
        Err(_) => Change::ALL.to_vec(),
    };
    let mut bench = Bench {
        server,
        shape,
        warmup: Duration::from_secs(env_number("ARX_BENCH_WARMUP", 5)),
        baseline: Duration::from_secs(env_number("ARX_BENCH_BASELINE", 10)),
        databases: 0,
    };
    let version: String = postgres::Client::connect(&bench.server, postgres::NoTls)?
        .query_one("SHOW server_version", &[])?
        .get(0);
    println!(
        "live changes: {} rows, pgbench -R {} -c {}, statement_timeout {} ms, lock_timeout {} ms; PostgreSQL {version}; {} cores; load {}",
        bench.shape.rows,
        bench.shape.rate,
        bench.shape.clients,
        bench.shape.statement_timeout.as_millis(),
        changes::LOCK_TIMEOUT.as_millis(),
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        loadavg(),
    );
    let mut rows = Vec::new();
    let baseline = |bench: &mut Bench| {
        eprintln!("no migration (load {})", loadavg());
        Measured {
            change: None,
            variant: None,
            outcome: bench.measure(None).map_err(|e| e.to_string()),
        }
    };
    rows.push(baseline(&mut bench));
    for change in selected {
        for variant in Variant::ALL {
            if !changes::applies(change, variant) {
                continue;
            }
            eprintln!(
                "{} / {} (load {})",
                change.name(),
                variant.name(),
                loadavg()
            );
            let outcome = bench
                .measure(Some((change, variant)))
                .map_err(|e| e.to_string());
            rows.push(Measured {
                change: Some(change),
                variant: Some(variant),
                outcome,
            });
        }
    }
    rows.push(baseline(&mut bench));
    print_table(&rows);
    println!("load at the end: {}", loadavg());
    Ok(())
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn print_table(rows: &[Measured]) {
    println!();
    println!("| change | variant | migration (median × times) | writers p50 | p99 | max | p99 ÷ hand-safe | done / scheduled | aborted clients | failed tx | longest writer lock wait | lock retries |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        let change = row.change.map_or("no migration", Change::name);
        let variant = row.variant.map_or("", Variant::name);
        let outcome = match &row.outcome {
            Ok(outcome) => outcome,
            Err(reason) => {
                println!("| {change} | {variant} | {reason} | | | | | | | | | |");
                continue;
            }
        };
        let hand_safe_p99 = rows
            .iter()
            .find(|r| r.change == row.change && r.variant == Some(Variant::HandSafe))
            .and_then(|r| r.outcome.as_ref().ok())
            .map(|r| r.figures.p99);
        let ratio = match (row.change, hand_safe_p99) {
            // Where every writer aborted, the few that committed first say
            // nothing of the change.
            (Some(_), Some(safe))
                if !safe.is_zero() && outcome.figures.done > 0 && !outcome.figures.all_aborted =>
            {
                format!(
                    "{:.2}",
                    outcome.figures.p99.as_secs_f64() / safe.as_secs_f64()
                )
            }
            _ => String::new(),
        };
        let f = &outcome.figures;
        let checked = match &outcome.check {
            Ok(()) => String::new(),
            Err(missing) => format!(" ({missing})"),
        };
        let all = if f.all_aborted { " (all)" } else { "" };
        let latency = |d| {
            if f.done == 0 {
                "–".to_string()
            } else {
                ms(d)
            }
        };
        println!(
            "| {change} | {variant} | {} ms × {}{checked} | {} | {} | {} | {ratio} | {} / {:.0} | {}{all} | {} | {} ms | {} |",
            outcome.duration.as_millis(),
            outcome.repetitions,
            latency(f.p50),
            latency(f.p99),
            latency(f.max),
            f.done,
            f.scheduled,
            f.aborted_clients,
            f.failed,
            outcome.longest_lock_wait.as_millis(),
            outcome.lock_retries,
        );
    }
}
