//! What a command prints: lines for people, one JSON document for CI.

use std::time::Duration;

use serde_json::Value;

/// A finished command's output.
#[derive(Debug, Default)]
pub(crate) struct Done {
    /// Lines for `--format text`.
    pub(crate) lines: Vec<String>,
    /// The document for `--format json`.
    pub(crate) json: Value,
    /// Whether the lines are the product (a `--sql` script) and are printed
    /// even with `--quiet`.
    pub(crate) essential: bool,
    /// The document for `--format markdown` (lint, check, validate).
    pub(crate) markdown: Option<String>,
    /// The SARIF 2.1.0 log for `--format sarif` (lint).
    pub(crate) sarif: Option<String>,
    /// The GitHub Actions annotations for `--format github` (lint).
    pub(crate) github: Option<String>,
    /// A failure to report after the output (`current --check-heads`).
    pub(crate) failure: Option<super::error::CliError>,
}

impl Done {
    pub(crate) fn new(json: Value) -> Self {
        Done {
            json,
            ..Done::default()
        }
    }

    pub(crate) fn line(&mut self, line: impl Into<String>) {
        self.lines.push(line.into());
    }
}

/// `12 ms`, `1.25 s`.
pub(crate) fn duration(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.1} ms")
    } else if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}

pub(crate) fn millis(d: Duration) -> u64 {
    d.as_millis().try_into().unwrap_or(u64::MAX)
}

/// `a, b` or `<base>` for nothing.
pub(crate) fn heads(heads: &[String]) -> String {
    if heads.is_empty() {
        "<base>".to_string()
    } else {
        heads.join(", ")
    }
}
