//! What lint found: findings, and a report renderable as text, JSON and
//! markdown (SARIF and GitHub annotations: [`super::ci`]).

use arx_migrate_core::not_api::text::md_cell;
use serde::Serialize;

use super::rules::{Rule, Severity};

/// One problem found in one statement (or migration) of one revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule.
    pub rule: Rule,
    /// The rule's severity.
    pub severity: Severity,
    /// The revision (or the file name, for a linted `.sql` file).
    pub revision: String,
    /// `upgrade` or `downgrade`.
    pub direction: String,
    /// The statement, when the finding is about one.
    pub statement: Option<String>,
    /// What is wrong, naming the objects involved.
    pub message: String,
    /// How to fix it.
    pub fix: String,
    /// The reason given by the allow (the migration's attribute, or an
    /// `-- arx-migrate: allow` comment) that allows this rule here; an
    /// allowed finding never blocks.
    pub allowed: Option<String>,
    /// The `.sql` file, for a finding of `lint --file`.
    pub file: Option<String>,
    /// The line in that file where the statement starts.
    pub line: Option<usize>,
}

impl Finding {
    /// Whether the finding blocks: an error that is not allowed.
    pub fn is_blocking(&self) -> bool {
        self.severity == Severity::Error && self.allowed.is_none()
    }

    /// Where it is: `file:line`, the file, or the revision and direction.
    pub fn location(&self) -> String {
        match (&self.file, self.line) {
            (Some(file), Some(line)) => format!("{file}:{line}"),
            (Some(file), None) => file.clone(),
            _ => format!("{} ({})", self.revision, self.direction),
        }
    }
}

/// Everything lint found for one backend.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LintReport {
    /// The backend the SQL was rendered for (`sqlite`, `postgres`).
    pub backend: String,
    /// How many revisions (or files) were linted.
    pub revisions: usize,
    /// The findings, in chain order.
    pub findings: Vec<Finding>,
}

/// A statement shown in reports is cut to about this many characters.
const STATEMENT_CHARS: usize = 200;

fn one_line(text: &str) -> String {
    arx_migrate_core::not_api::text::abbreviate(text, STATEMENT_CHARS)
}

impl LintReport {
    /// Whether any finding blocks (an error not allowed by its migration).
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(Finding::is_blocking)
    }

    /// The findings that are not allowed.
    pub fn unallowed(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.allowed.is_none())
    }

    /// The findings of one rule.
    pub fn of_rule(&self, rule: Rule) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.rule == rule)
    }

    /// How many findings there are of each severity (not counting allowed
    /// ones): (errors, warnings, infos).
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut counts = (0, 0, 0);
        for finding in self.unallowed() {
            match finding.severity {
                Severity::Error => counts.0 += 1,
                Severity::Warning => counts.1 += 1,
                Severity::Info => counts.2 += 1,
            }
        }
        counts
    }

    /// A report for people at a terminal.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for f in &self.findings {
            out.push_str(&format!(
                "{} {} [{}]: {}\n",
                f.severity,
                f.location(),
                f.rule,
                f.message
            ));
            if let Some(statement) = &f.statement {
                out.push_str(&format!("    statement: {}\n", one_line(statement)));
            }
            match &f.allowed {
                Some(reason) => out.push_str(&format!("    allowed: {reason}\n")),
                None => out.push_str(&format!("    fix: {}\n", f.fix)),
            }
        }
        let (errors, warnings, infos) = self.counts();
        let allowed = self.findings.iter().filter(|f| f.allowed.is_some()).count();
        out.push_str(&format!(
            "lint ({}): {} revision(s), {errors} error(s), {warnings} warning(s), {infos} info, {allowed} allowed\n",
            self.backend, self.revisions
        ));
        out
    }

    /// The report as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    /// The report as markdown, for a pull-request comment: errors, then
    /// warnings, then hints (info), each with its fix; long text is cut
    /// between words.
    pub fn to_markdown(&self) -> String {
        let (errors, warnings, infos) = self.counts();
        let allowed = self.findings.iter().filter(|f| f.allowed.is_some()).count();
        let mut out = format!(
            "### Lint ({})\n\n{} revision(s): **{errors} error(s)**, {warnings} warning(s), {infos} hint(s), {allowed} allowed\n\n",
            self.backend, self.revisions
        );
        if self.findings.is_empty() {
            out.push_str("No findings.\n");
            return out;
        }
        out.push_str("| severity | where | rule | message | fix |\n|---|---|---|---|---|\n");
        let mut ordered: Vec<&Finding> = self.findings.iter().collect();
        ordered.sort_by_key(|f| (f.allowed.is_some(), std::cmp::Reverse(f.severity)));
        for f in ordered {
            let severity = match (f.severity, &f.allowed) {
                (_, Some(_)) => "allowed",
                (Severity::Error, None) => "❌ error",
                (Severity::Warning, None) => "⚠️ warning",
                (Severity::Info, None) => "💡 hint",
            };
            let fix = match &f.allowed {
                Some(reason) => format!("allowed: {reason}"),
                None => f.fix.clone(),
            };
            out.push_str(&format!(
                "| {severity} | {} | `{}` | {} | {} |\n",
                md_cell(&f.location()),
                f.rule,
                md_cell(&f.message),
                md_cell(&fix)
            ));
        }
        out
    }
}
