//! Reading a `.sql` file the way the library runs it (`lint --file`).
//!
//! The runner splits a `.sql` migration into statements with
//! `arx_migrate_sqlfiles`'s splitter and sends each on its own, in a
//! transaction unless the header says `transactional = false` or the file
//! is made only of statements that cannot run in one and session `SET`s.
//! Lint reads a file with that same splitter, that same header parser and
//! that same decision, so the two cannot disagree: each statement is a SQL
//! string of its own (as an `op.sql` call is), never one multi-statement
//! string.

use arx_migrate_core::backend::Backend;
use arx_migrate_sqlfiles::header::leading_comment_lines;
use arx_migrate_sqlfiles::{
    parse_header, runs_outside_transaction, statement_spans, SplitError, StatementSpan,
};

use super::allow::{directives_in_comment, Directive, DirectiveKind, PREFIX};
use super::parse::{parse_text, SqlText};

/// A `.sql` file read for lint.
#[derive(Debug, Clone)]
pub(crate) struct FileSql {
    /// The directives before the first statement: they apply to the whole
    /// file.
    pub header: Vec<Directive>,
    /// One text per statement the runner sends (the comments before it
    /// carried as its directives).
    pub statements: Vec<SqlText>,
    /// Whether the runner wraps the file in a transaction.
    pub transactional: bool,
    /// Why the runner cannot split the file, if it cannot; the file is then
    /// read as one text.
    pub split_error: Option<SplitError>,
}

/// Reads `sql` as the runner would run it on `backend`.
pub(crate) fn read_file(sql: &str, backend: Backend) -> FileSql {
    let (mut statements, inferred, split_error) = match statement_spans(sql) {
        Ok(spans) => {
            let texts: Vec<&str> = spans.iter().map(|s| &sql[s.start..s.end]).collect();
            (
                spans
                    .iter()
                    .map(|span| statement(sql, span, backend))
                    .collect(),
                !runs_outside_transaction(&texts),
                None,
            )
        }
        Err(error) => (vec![parse_text(sql, backend)], true, Some(error)),
    };
    let mut header = match statements.first_mut() {
        Some(first) => std::mem::take(&mut first.header),
        None => Vec::new(),
    };
    let transactional = header_options(sql, &mut header).unwrap_or(inferred);
    FileSql {
        header,
        statements,
        transactional,
        split_error,
    }
}

/// One statement of the runner's, with the comments before it, read by the
/// parser; its lines are the file's.
fn statement(sql: &str, span: &StatementSpan, backend: Backend) -> SqlText {
    let mut text = parse_text(&sql[span.after_previous..span.end], backend);
    let lines_before = sql[..span.after_previous].matches('\n').count();
    for statement in &mut text.statements {
        statement.line += lines_before;
        for directive in &mut statement.directives {
            directive.line += lines_before;
        }
    }
    for directive in &mut text.header {
        directive.line += lines_before;
    }
    text
}

/// Reads the header's options as the runner does; adds its `allow = […]`
/// entries to `header`, and returns its `transactional`. Lint's own
/// directives (`-- arx-migrate: allow rule: reason`, `sqlite-rebuild`) are
/// not options: they are skipped here. A header the runner cannot read
/// falls back on lint's `transactional` directive.
fn header_options(sql: &str, header: &mut Vec<Directive>) -> Option<bool> {
    let comment_lines = leading_comment_lines(sql);
    let lint_directives: Vec<&str> = comment_lines
        .iter()
        .copied()
        .filter(|line| {
            line.starts_with(PREFIX)
                && directives_in_comment(line, 1)
                    .iter()
                    .any(|d| !matches!(d.kind, DirectiveKind::Transactional(_)))
        })
        .collect();
    let Ok(options) = parse_header(sql, &lint_directives) else {
        return header.iter().find_map(|d| match d.kind {
            DirectiveKind::Transactional(flag) => Some(flag),
            _ => None,
        });
    };
    let allow_line = comment_lines
        .iter()
        .position(|line| line.starts_with(PREFIX) && line.contains("allow"))
        .map_or(1, |i| i + 1);
    for (rule, reason) in options.allow.unwrap_or_default() {
        header.push(Directive {
            line: allow_line,
            kind: DirectiveKind::Allow { rule, reason },
        });
    }
    options.transactional
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_statement_is_its_own_text_with_its_lines_and_comments() {
        let sql = "-- arx-migrate: allow drop-table: archived\nSET lock_timeout = '5s';\n\n-- arx-migrate: allow drop-column: unused\nALTER TABLE a\n  DROP COLUMN b;\n";
        let file = read_file(sql, Backend::Postgres);
        assert_eq!(file.statements.len(), 2);
        assert!(file.statements.iter().all(|t| t.statements.len() == 1));
        assert_eq!(file.header.len(), 1);
        let second = &file.statements[1].statements[0];
        assert_eq!(second.line, 5);
        assert_eq!(second.sql, "ALTER TABLE a\n  DROP COLUMN b");
        assert_eq!(file.statements[1].header[0].line, 4);
        assert!(file.transactional);
    }

    #[test]
    fn the_runners_header_and_its_inference_decide_the_transaction() {
        let concurrent = "SET lock_timeout = '5s';\nCREATE INDEX CONCURRENTLY i ON t (x);";
        assert!(!read_file(concurrent, Backend::Postgres).transactional);
        let told = format!("-- arx-migrate: rev = \"003\", transactional = true\n{concurrent}");
        assert!(read_file(&told, Backend::Postgres).transactional);
        let mixed = "CREATE TABLE n (id int);\nCREATE INDEX CONCURRENTLY i ON t (x);";
        assert!(read_file(mixed, Backend::Postgres).transactional);
        // Options on one line with others, as `revision --sql` writes them.
        let combined = "-- arx-migrate: rev = \"003\", transactional = false, allow = [\"drop-table: archived\"]\nDROP TABLE t;";
        let file = read_file(combined, Backend::Postgres);
        assert!(!file.transactional);
        assert_eq!(
            file.header[0].kind,
            DirectiveKind::Allow {
                rule: "drop-table".into(),
                reason: "archived".into()
            }
        );
        // Lint's own directives beside the runner's options.
        let both = "-- arx-migrate: allow drop-table: archived\n-- arx-migrate: transactional = false\nDROP TABLE t;";
        let file = read_file(both, Backend::Postgres);
        assert!(!file.transactional);
        assert_eq!(file.header.len(), 2);
    }

    #[test]
    fn a_file_the_runner_cannot_split_is_read_whole() {
        let file = read_file("SELECT 1;\nSELECT 'open;\n", Backend::Postgres);
        assert_eq!(file.split_error.map(|e| e.line), Some(2));
        assert_eq!(file.statements.len(), 1);
    }
}
