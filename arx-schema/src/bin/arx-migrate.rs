//! `arx-migrate`: brings an Arxos database to head.
//!
//! ```text
//! arx-migrate [--url URL]
//! ```
//!
//! The URL comes from `--url`, else `DATABASE_URL`, else
//! `sqlite://./data/arx.db` (the directory is created). `postgres://` and
//! `postgresql://` URLs connect without TLS. Prints each applied revision
//! with its duration, then a summary; exits 1 with the error on failure.
//! Passwords never appear in the output.
//!
//! This is the minimal binary of the schema crate; the full command line
//! (Alembic's verbs) replaces it.

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use arx_migrate::redact::redact_url;

/// The database used when no URL is given.
const DEFAULT_URL: &str = "sqlite://./data/arx.db";

const USAGE: &str = "usage: arx-migrate [--url URL]

Migrates the Arxos database at URL to head.
URL: --url, else $DATABASE_URL, else sqlite://./data/arx.db
     (sqlite://PATH, postgres://… or postgresql://…)";

fn main() -> ExitCode {
    let url = match parse_args(std::env::args().skip(1)) {
        Ok(Some(url)) => url,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("error: {message}\n\n{USAGE}");
            return ExitCode::FAILURE;
        }
    };
    match run(&url) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            // Errors may quote the URL; keep passwords out of them.
            eprintln!("error: {}", message.replace(&url, &redact_url(&url)));
            ExitCode::FAILURE
        }
    }
}

/// The URL to use, or `None` when help was asked for.
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<String>, String> {
    let mut url = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--url" => match args.next() {
                Some(value) => url = Some(value),
                None => return Err("--url needs a value".into()),
            },
            other => match other.strip_prefix("--url=") {
                Some(value) => url = Some(value.to_string()),
                None => return Err(format!("unexpected argument {other:?}")),
            },
        }
    }
    let url = url
        .or_else(|| std::env::var("DATABASE_URL").ok())
        .filter(|url| !url.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_URL.to_string());
    Ok(Some(url))
}

fn run(url: &str) -> Result<(), String> {
    let shown = redact_url(url);
    let started = Instant::now();
    let report = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let mut client = postgres::Client::connect(url, postgres::NoTls)
            .map_err(|error| format!("cannot connect to {shown}: {}", with_sources(&error)))?;
        println!("Migrating {shown}");
        arx_schema::migrate_to_head(&mut client)
    } else if let Some(path) = url
        .strip_prefix("sqlite://")
        .or(url.strip_prefix("sqlite:"))
    {
        let mut conn =
            open_sqlite(path).map_err(|error| format!("cannot open {shown}: {error}"))?;
        println!("Migrating {shown}");
        arx_schema::migrate_to_head(&mut conn)
    } else {
        return Err(format!(
            "unsupported database URL {shown}: use sqlite://PATH, postgres://… or postgresql://…"
        ));
    }
    .map_err(|error| error.to_string())?;

    for step in &report.steps {
        println!(
            "  {} {} {} ({})",
            step.direction.as_str(),
            step.revision,
            step.message,
            format_duration(step.duration)
        );
    }
    let now_at = if report.heads_after.is_empty() {
        "base".to_string()
    } else {
        report.heads_after.join(", ")
    };
    if report.steps.is_empty() {
        println!("Already at head ({now_at}); nothing to do.");
    } else {
        println!(
            "Applied {} revision{} in {}; now at {now_at}.",
            report.steps.len(),
            if report.steps.len() == 1 { "" } else { "s" },
            format_duration(started.elapsed())
        );
    }
    for warning in &report.warnings {
        println!("warning: {warning}");
    }
    Ok(())
}

/// Opens the SQLite database at `path` (`:memory:` for a throw-away one),
/// creating its directory.
fn open_sqlite(path: &str) -> Result<rusqlite::Connection, String> {
    if path == ":memory:" {
        return rusqlite::Connection::open_in_memory().map_err(|e| e.to_string());
    }
    if let Some(dir) = Path::new(path)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    rusqlite::Connection::open(path).map_err(|e| e.to_string())
}

/// `error` followed by its sources (`postgres::Error` shows only the
/// outermost one).
fn with_sources(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

fn format_duration(duration: Duration) -> String {
    let millis = duration.as_secs_f64() * 1000.0;
    if millis < 1000.0 {
        format!("{millis:.1} ms")
    } else {
        format!("{:.2} s", millis / 1000.0)
    }
}
