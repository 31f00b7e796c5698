//! `--watch`: a read-only verb shown again every interval until what it
//! shows is done. On a terminal each look replaces the last (ANSI clear);
//! otherwise (a log, a pipe) each is appended under a timestamped header,
//! so that the file reads as a history.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use super::args::{Format, WatchArgs};
use super::context::Context;
use super::error::CliError;
use super::output::Done;

/// Clears a terminal and puts the cursor at its top left.
const CLEAR: &str = "\x1b[H\x1b[2J";

/// Shows `look` every `args.interval` until `finished` says its output is
/// done; returns the last look (already shown, so without its lines).
pub(crate) fn watch(
    ctx: &Context<'_>,
    args: &WatchArgs,
    what: &str,
    look: impl Fn(&Context<'_>) -> Result<Done, CliError>,
    finished: impl Fn(&Done) -> bool,
) -> Result<Done, CliError> {
    if ctx.global.format != Format::Text {
        return Err(CliError::usage(format!(
            "--watch draws a table for people; without it, `{what} --format json` gives one snapshot to poll"
        )));
    }
    // The looks print nothing of their own (no progress, no bar).
    let quiet = Context {
        live: None,
        notice: None,
        stderr_is_terminal: false,
        ..*ctx
    };
    loop {
        let mut done = look(&quiet)?;
        let over = finished(&done);
        if !ctx.global.quiet {
            let mut text = String::new();
            if ctx.stdout_is_terminal {
                text.push_str(CLEAR);
            }
            text.push_str(&format!(
                "{what} at {} UTC, every {}{}\n",
                clock(SystemTime::now()),
                super::output::duration(args.interval),
                if over { ": done" } else { " (Ctrl-C to stop)" }
            ));
            for line in &done.lines {
                text.push_str(line);
                text.push('\n');
            }
            if let Some(failure) = &done.failure {
                text.push_str(&format!("{failure}\n"));
            }
            if !ctx.stdout_is_terminal {
                text.push('\n');
            }
            (ctx.out)(&text);
        }
        if over {
            done.lines.clear();
            return Ok(done);
        }
        std::thread::sleep(args.interval);
    }
}

/// `HH:MM:SS` of the day, UTC.
fn clock(at: SystemTime) -> String {
    let seconds = at
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs()
        % 86_400;
    format!(
        "{:02}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

/// `status`: done when every database is at head with no backfill
/// running or waiting to resume.
pub(crate) fn status_finished(done: &Done) -> bool {
    done.json["databases"].as_array().is_some_and(|databases| {
        databases.iter().all(|database| {
            database["at_head"] == Value::Bool(true)
                && database["backfills"].as_array().is_none_or(Vec::is_empty)
        })
    })
}

/// `fleet status`: done when every target is ready.
pub(crate) fn fleet_finished(done: &Done) -> bool {
    done.json["targets"]
        .as_array()
        .is_some_and(|targets| targets.iter().all(|t| t["outcome"] == "ready"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn status_is_done_at_head_with_no_backfill() {
        let done = |databases: Value| Done::new(json!({ "databases": databases }));
        assert!(status_finished(&done(
            json!([{ "at_head": true, "backfills": [] }])
        )));
        // A backfill still running (or killed, waiting to resume).
        assert!(!status_finished(&done(
            json!([{ "at_head": true, "backfills": [{ "rows_done": 10 }] }])
        )));
        assert!(!status_finished(&done(json!([
            { "at_head": true, "backfills": [] },
            { "at_head": false, "backfills": [] }
        ]))));
        // A database that could not be read is not done.
        assert!(!status_finished(&done(
            json!([{ "service": "a", "error": {} }])
        )));
    }

    #[test]
    fn fleet_status_is_done_when_every_target_is_ready() {
        let done = |targets: Value| Done::new(json!({ "targets": targets }));
        assert!(fleet_finished(&done(
            json!([{ "outcome": "ready" }, { "outcome": "ready" }])
        )));
        assert!(!fleet_finished(&done(
            json!([{ "outcome": "ready" }, { "outcome": "not_ready" }])
        )));
        assert!(!fleet_finished(&done(json!([{ "outcome": "failed" }]))));
    }

    #[test]
    fn the_clock_is_utc_hours_minutes_seconds() {
        assert_eq!(
            clock(UNIX_EPOCH + Duration::from_secs(86_400 * 3 + 3_723)),
            "01:02:03"
        );
    }
}
