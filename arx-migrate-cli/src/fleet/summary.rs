//! The report at the end of a fleet run: a table (target, from, to,
//! duration, outcome, error), the counts, and the same as JSON.

use std::time::Duration;

use arx_migrate_core::fleet::Outcome;
use arx_migrate_core::not_api::text::one_line;
use serde_json::{json, Value};

use super::Record;
use crate::output;

const OUTCOMES: [Outcome; 6] = [
    Outcome::Migrated,
    Outcome::Unchanged,
    Outcome::Ready,
    Outcome::NotReady,
    Outcome::Failed,
    Outcome::Skipped,
];

/// One target's record as JSON (one element of the summary's `targets`).
pub(crate) fn record_json(record: &Record) -> Value {
    json!({
        "target": record.target,
        "from": record.from,
        "to": record.to,
        "steps": record.steps,
        "duration_ms": u64::try_from(record.duration.as_millis()).unwrap_or(u64::MAX),
        "outcome": record.outcome.as_str(),
        "error": record.error.as_ref().map(|e| e.to_json()["error"].clone()),
        "backfills": record.backfills.iter().map(|b| json!({
            "revision": b.revision,
            "name": b.name,
            "table": b.table,
            "rows_done": b.rows_done,
            "rows_total_estimate": b.rows_total_estimate,
            "rows_per_second": b.rows_per_second(),
            "eta_seconds": b.eta().map(|eta| eta.as_secs()),
            "updated_at": b.updated_at,
        })).collect::<Vec<_>>(),
    })
}

/// How many targets had each outcome, as JSON (every outcome present).
pub(crate) fn counts_json(records: &[Record]) -> Value {
    let mut counts = serde_json::Map::new();
    counts.insert("total".into(), json!(records.len()));
    for outcome in OUTCOMES {
        counts.insert(outcome.as_str().into(), json!(count(records, outcome)));
    }
    Value::Object(counts)
}

/// How many targets had `outcome`.
pub(crate) fn count(records: &[Record], outcome: Outcome) -> usize {
    records.iter().filter(|r| r.outcome == outcome).count()
}

/// `12 migrated, 988 unchanged, 0 failed`: the outcomes that occurred,
/// and `failed` always.
pub(crate) fn counts_text(records: &[Record]) -> String {
    OUTCOMES
        .iter()
        .filter_map(|&outcome| {
            let n = count(records, outcome);
            (n > 0 || outcome == Outcome::Failed).then(|| format!("{n} {}", outcome.as_str()))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The error of a record in one line; a failure's hint after a `;`; and
/// the backfills in progress, each with its rows done of the total.
fn error_text(record: &Record) -> String {
    let error = record
        .error
        .as_ref()
        .map(|e| match (&e.hint, record.outcome) {
            (Some(hint), Outcome::Failed) => one_line(&format!("{}; hint: {hint}", e.message)),
            _ => one_line(&e.message),
        });
    let backfills = record
        .backfills
        .iter()
        .map(|backfill| format!("BACKFILL in progress: {backfill}"));
    error
        .into_iter()
        .chain(backfills)
        .collect::<Vec<_>>()
        .join("; ")
}

/// The revisions before and after, `-` where not known.
fn from_to(record: &Record) -> (String, String) {
    let shown =
        |heads: &Option<Vec<String>>| heads.as_deref().map_or("-".to_string(), output::heads);
    (shown(&record.from), shown(&record.to))
}

/// One finished target as a line: `tenant_7: migrated <base> -> c3 (12 ms)`.
pub(crate) fn outcome_line(record: &Record) -> String {
    let (from, to) = from_to(record);
    let mut line = format!(
        "{}: {} {from} -> {to} ({})",
        record.target,
        record.outcome.as_str(),
        output::duration(record.duration)
    );
    if record.outcome == Outcome::Failed || !record.backfills.is_empty() {
        line.push_str(": ");
        line.push_str(&error_text(record));
    }
    line
}

/// The table, one row per target, columns aligned.
pub(crate) fn table(records: &[Record]) -> Vec<String> {
    let rows: Vec<[String; 6]> = records
        .iter()
        .map(|record| {
            let (from, to) = from_to(record);
            [
                record.target.clone(),
                from,
                to,
                if record.outcome == Outcome::Skipped {
                    "-".into()
                } else {
                    output::duration(record.duration)
                },
                record.outcome.as_str().to_string(),
                error_text(record),
            ]
        })
        .collect();
    let header = ["TARGET", "FROM", "TO", "DURATION", "OUTCOME", "ERROR"].map(String::from);
    let mut widths = [0usize; 5];
    for row in std::iter::once(&header).chain(&rows) {
        for (width, cell) in widths.iter_mut().zip(row.iter()) {
            *width = (*width).max(cell.chars().count());
        }
    }
    std::iter::once(&header)
        .chain(&rows)
        .map(|row| {
            let mut line = String::new();
            for (cell, width) in row.iter().zip(widths) {
                line.push_str(&format!("{cell:<width$}  "));
            }
            line.push_str(&row[5]);
            line.trim_end().to_string()
        })
        .collect()
}

/// The whole run as JSON.
pub(crate) fn run_json(
    action: &str,
    target: Option<&str>,
    jobs: usize,
    elapsed: Duration,
    records: &[Record],
) -> Value {
    json!({
        "command": "fleet",
        "action": action,
        "target": target,
        "jobs": jobs,
        "duration_ms": output::millis(elapsed),
        "counts": counts_json(records),
        "targets": records.iter().map(record_json).collect::<Vec<_>>(),
    })
}
