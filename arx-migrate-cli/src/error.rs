//! [`CliError`]: what went wrong, and what to do about it.

use std::fmt;

use arx_migrate_core::not_api::text::abbreviate_words;
use serde_json::{json, Value};

use arx_migrate_core::error::Error;

/// A failure of a command: its cause, the fix where there is one, and the
/// exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    /// A stable machine-readable name (`no_database`, `unknown_revision`, …).
    pub kind: &'static str,
    /// What went wrong.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
    /// Extra fields for `--format json` (candidates, heads, …).
    pub details: Value,
    /// The process exit code (1 for errors, 2 for usage).
    pub exit_code: u8,
}

impl CliError {
    /// An error of `kind` with `message`.
    pub fn new(kind: &'static str, message: impl Into<String>) -> Self {
        CliError {
            kind,
            message: message.into(),
            hint: None,
            details: Value::Null,
            exit_code: 1,
        }
    }

    /// A usage error: exit code 2.
    pub fn usage(message: impl Into<String>) -> Self {
        CliError {
            exit_code: 2,
            ..CliError::new("usage", message)
        }
    }

    /// Adds the fix.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Adds fields for JSON output.
    pub fn details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    /// The error as a JSON object.
    pub fn to_json(&self) -> Value {
        json!({
            "error": {
                "kind": self.kind,
                "message": self.message,
                "hint": self.hint,
                "details": self.details,
            }
        })
    }

    /// Converts an engine error, adding the command line's own hints.
    pub(crate) fn from_core(error: Error, program: &str) -> Self {
        let message = error.to_string();
        let kind = error.kind();
        match error {
            // The engine's message ends with the suggestion; here it goes
            // to the hint, with the command that lists what exists.
            Error::UnknownRevision { target, candidates } => {
                CliError::new(kind, format!("unknown revision {target:?}"))
                    .hint(did_you_mean(
                        &candidates,
                        &format!("`{program} history` lists every revision"),
                    ))
                    .details(json!({ "target": target, "candidates": candidates }))
            }
            Error::UnknownBranch { branch, candidates } => CliError::new(
                kind,
                format!("unknown branch {branch:?}: it is neither a branch label nor a revision"),
            )
            .hint(did_you_mean(
                &candidates,
                &format!("`{program} heads` shows each head with its branch labels"),
            ))
            .details(json!({ "branch": branch, "candidates": candidates })),
            Error::AmbiguousRevision { prefix, candidates } => CliError::new(kind, message)
                .hint("type more characters of the id, or all of it")
                .details(json!({ "prefix": prefix, "candidates": candidates })),
            Error::MultipleHeads { heads } => CliError::new(kind, message)
                .hint(format!(
                    "name one (a revision, or a branch as LABEL@head), target all with `heads`, or join them with `{program} merge -m \"merge heads\" {}`",
                    heads.join(" ")
                ))
                .details(json!({ "heads": heads })),
            Error::InvalidTarget { target, .. } => {
                CliError::new(kind, message).details(json!({ "target": target }))
            }
            Error::NeedsConnection { revision } => CliError::new(kind, message)
                .hint(format!(
                    "end the script below it with `-r FROM:TO`, and run {revision} online with `{program} upgrade {revision}`"
                ))
                .details(json!({ "revision": revision })),
            Error::UnknownDatabaseRevision { unknown } => {
                CliError::new(kind, message)
                    .hint(format!(
                        "if those revisions are gone for good, `{program} stamp --purge REV` sets the version table without reading it"
                    ))
                    .details(json!({ "unknown": unknown }))
            }
            Error::ChecksumMismatch { revision, .. } => CliError::new(kind, message)
                .hint(format!("`{program} repair` records the new checksums once the change is deliberate"))
                .details(json!({ "revision": revision })),
            Error::Interrupted { revision, .. } => {
                CliError::new(kind, message).details(json!({ "revision": revision }))
            }
            Error::NoMigrations => CliError::new(
                kind,
                format!("{program} has no migration: none is registered in this program (`#[migration]` modules and `sql_migrations!` folders are found only in crates the program links)"),
            )
            .hint("if they live in a library crate, write `arx_migrate::export_migrations!();` in its lib.rs and name it in main: `arx_migrate::cli::run(arx_migrate::cli::CliConfig::default().migrations(my_crate::migrations()))` (see docs/cli.md)"),
            Error::SqlFiles { path, .. } => {
                CliError::new(kind, message).details(json!({ "path": path }))
            }
            Error::LockTimeout { holder, waited_ms, .. } => CliError::new(kind, message)
                .hint("wait longer with --lock-wait 30min, or lock_wait = \"30min\" in the service's section of the services file")
                .details(json!({
                    "waited_ms": waited_ms,
                    "holder": holder.map(|h| json!({
                        "pid": h.pid,
                        "program": h.program,
                        "user": h.user,
                        "client": h.client,
                        "connected_at": h.connected_at,
                        "state": h.state,
                        "waiting_on": h.waiting_on,
                        "statement": h.statement,
                    })),
                })),
            Error::Statement(failure) => CliError::new(kind, message)
                .details(json!({ "revision": failure.revision, "statement": failure.statement })),
            Error::Migration { revision, .. } => {
                CliError::new(kind, message).details(json!({ "revision": revision }))
            }
            // The blocking client cannot run on this thread; the command
            // line is usually called there by `execute` in a service.
            Error::InsideAsyncRuntime => CliError::new(
                "inside_async_runtime",
                format!("{program} was called on a thread that drives an async runtime, where the blocking PostgreSQL client cannot run; nothing was done"),
            )
            .hint("call arx_migrate::cli::execute inside tokio::task::spawn_blocking, and await its handle (see \"Running commands in process\" in docs/cli.md)"),
            _ => CliError::new(kind, message),
        }
    }

    /// The error with every overlong word of its texts cut (an input of
    /// 100,000 characters echoed back), so that it stays a few lines.
    pub(crate) fn shortened(mut self) -> Self {
        const LONGEST_WORD: usize = 300;
        self.message = abbreviate_words(&self.message, LONGEST_WORD);
        self.hint = self.hint.map(|h| abbreviate_words(&h, LONGEST_WORD));
        self
    }

    /// Replaces every occurrence of `secret` in the texts by `***`.
    pub(crate) fn scrub(mut self, secret: Option<&str>) -> Self {
        if let Some(secret) = secret.filter(|s| !s.is_empty()) {
            self.message = self.message.replace(secret, "***");
            self.hint = self.hint.map(|h| h.replace(secret, "***"));
        }
        self
    }
}

/// "did you mean a or b? then `rest`", or `rest` alone.
fn did_you_mean(candidates: &[String], rest: &str) -> String {
    if candidates.is_empty() {
        rest.to_string()
    } else {
        format!("did you mean {}? {rest}", candidates.join(" or "))
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for CliError {}
