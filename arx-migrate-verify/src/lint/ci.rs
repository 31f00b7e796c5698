//! Reports for CI: SARIF 2.1.0 (GitHub code scanning, GitLab, Azure
//! DevOps) and GitHub Actions workflow annotations
//! (`::error file=…,line=…::message`).

use serde_json::{json, Value};

use super::report::{Finding, LintReport};
use super::rules::{rules, Rule, Severity};

/// The SARIF level of a severity.
fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A path as a SARIF `uri`: forward slashes, spaces and `%` escaped.
fn uri(path: &str) -> String {
    path.replace('\\', "/")
        .replace('%', "%25")
        .replace(' ', "%20")
}

fn result(finding: &Finding, backend: &str) -> Value {
    let rule_index = Rule::ALL.iter().position(|r| *r == finding.rule);
    let location = match (&finding.file, finding.line) {
        (Some(file), line) => {
            let mut physical = json!({ "artifactLocation": { "uri": uri(file) } });
            if let Some(line) = line {
                physical["region"] = json!({ "startLine": line });
            }
            json!({ "physicalLocation": physical })
        }
        _ => json!({
            "logicalLocations": [{
                "name": finding.revision,
                "fullyQualifiedName": format!("{}/{}", finding.revision, finding.direction),
                "kind": "module",
            }]
        }),
    };
    let mut value = json!({
        "ruleId": finding.rule.id(),
        "ruleIndex": rule_index,
        "level": level(finding.severity),
        "message": { "text": format!("{} ({backend}). Fix: {}", finding.message, finding.fix) },
        "locations": [location],
        "properties": {
            "backend": backend,
            "revision": finding.revision,
            "direction": finding.direction,
            "statement": finding.statement,
        },
    });
    if let Some(reason) = &finding.allowed {
        value["suppressions"] = json!([{ "kind": "inSource", "justification": reason }]);
    }
    value
}

/// One SARIF 2.1.0 log of `reports` (one run; each result names its
/// backend). Allowed findings are results with an in-source suppression.
///
/// ```
/// use arx_migrate_core::Backend;
/// use arx_migrate_verify::lint;
///
/// let report = lint::lint_sql("a.sql", "ALTER TABLE t ADD COLUMN c int NOT NULL", Backend::Postgres);
/// let log = lint::sarif_log(&[report]);
/// assert_eq!(log["version"], "2.1.0");
/// let results = log["runs"][0]["results"].as_array().unwrap();
/// assert!(results.iter().any(|r| r["ruleId"] == "not-null-without-default"));
/// ```
pub fn sarif_log(reports: &[LintReport]) -> Value {
    let descriptors: Vec<Value> = rules()
        .into_iter()
        .map(|rule| {
            json!({
                "id": rule.id,
                "shortDescription": { "text": rule.reason },
                "help": { "text": rule.fix },
                "defaultConfiguration": {
                    "level": level(rule.severity),
                    "enabled": rule.default_enabled,
                },
                "properties": { "backends": rule.backends.as_str(), "aliases": rule.aliases },
            })
        })
        .collect();
    let results: Vec<Value> = reports
        .iter()
        .flat_map(|report| {
            report
                .findings
                .iter()
                .map(|finding| result(finding, &report.backend))
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "arx-migrate",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://example.invalid/arx-migrate",
                "rules": descriptors,
            }},
            "results": results,
        }],
    })
}

/// Escapes an annotation's message (GitHub's workflow-command encoding).
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes an annotation's property value.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// GitHub Actions annotations, one line per finding that is not allowed:
/// `::error file=migrations/007.sql,line=3,title=drop-column::message`.
///
/// ```
/// use arx_migrate_core::Backend;
/// use arx_migrate_verify::lint;
///
/// let report = lint::lint_sql("a.sql", "\nDROP DATABASE prod", Backend::Postgres);
/// let lines = lint::github_annotations(&[report]);
/// assert!(lines[0].starts_with("::error file=a.sql,line=2,title=ban-drop-database (postgres)::"), "{}", lines[0]);
/// ```
pub fn github_annotations(reports: &[LintReport]) -> Vec<String> {
    let mut lines = Vec::new();
    for report in reports {
        for f in report.unallowed() {
            let command = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "notice",
            };
            let mut properties = Vec::new();
            if let Some(file) = &f.file {
                properties.push(format!("file={}", escape_property(file)));
                if let Some(line) = f.line {
                    properties.push(format!("line={line}"));
                }
            }
            properties.push(format!(
                "title={}",
                escape_property(&format!("{} ({})", f.rule, report.backend))
            ));
            let place = if f.file.is_some() {
                String::new()
            } else {
                format!("{} {}: ", f.revision, f.direction)
            };
            lines.push(format!(
                "::{command} {}::{}",
                properties.join(","),
                escape_data(&format!("{place}{} — fix: {}", f.message, f.fix))
            ));
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotation_text_is_escaped() {
        assert_eq!(escape_data("a%b\nc"), "a%25b%0Ac");
        assert_eq!(escape_property("x:y,z"), "x%3Ay%2Cz");
        assert_eq!(uri("dir with space\\a.sql"), "dir%20with%20space/a.sql");
    }
}
