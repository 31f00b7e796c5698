//! Whether a `.sql` file runs in a transaction when its header does not
//! say.
//!
//! A file runs in a transaction unless it is made only of statements that
//! cannot run in one — `CREATE [UNIQUE] INDEX CONCURRENTLY`, `DROP INDEX
//! CONCURRENTLY`, `REINDEX … CONCURRENTLY`, `VACUUM` — and session settings
//! (`SET`, `SET SESSION`, `RESET`; not `SET LOCAL`, which lasts only for a
//! transaction), with at least one of the former. In a transaction such a
//! file can only fail, and a transaction would protect nothing in it. The
//! runner (when it reads a migrations folder) and `lint --file` both decide
//! with [`runs_outside_transaction`], so they cannot disagree.
//!
//! The statements are recognised by their first words only: this crate has
//! no SQL parser, and needs none for these few forms.

/// How many leading words decide what a statement is.
const LEADING_WORDS: usize = 6;

/// The first words of a statement, upper-cased: comments are skipped, and
/// so is a parenthesised option list (`REINDEX (VERBOSE) INDEX …`); a
/// quote or any other symbol ends them.
fn leading_words(statement: &str) -> Vec<String> {
    let bytes = statement.as_bytes();
    let mut words = Vec::new();
    let mut i = 0;
    while i < bytes.len() && words.len() < LEADING_WORDS {
        let rest = &statement[i..];
        if rest.starts_with("--") {
            i += rest.find('\n').unwrap_or(rest.len());
        } else if rest.starts_with("/*") {
            i += rest.find("*/").map_or(rest.len(), |end| end + 2);
        } else if bytes[i].is_ascii_whitespace() {
            i += 1;
        } else if bytes[i] == b'(' {
            // Options hold no `)` of their own worth looking inside.
            i += rest.find(')').map_or(rest.len(), |end| end + 1);
        } else if bytes[i].is_ascii_alphabetic() || bytes[i] == b'_' {
            let len = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            words.push(rest[..len].to_ascii_uppercase());
            i += len;
        } else {
            break;
        }
    }
    words
}

/// Whether PostgreSQL (or SQLite, for `VACUUM`) refuses `statement` inside
/// a transaction block: `CREATE [UNIQUE] INDEX CONCURRENTLY`, `DROP INDEX
/// CONCURRENTLY`, `REINDEX … CONCURRENTLY`, `VACUUM`.
///
/// ```
/// use arx_migrate_sqlfiles::cannot_run_in_transaction;
/// assert!(cannot_run_in_transaction("CREATE UNIQUE INDEX CONCURRENTLY i ON t (x)"));
/// assert!(!cannot_run_in_transaction("CREATE INDEX i ON t (x)"));
/// ```
pub fn cannot_run_in_transaction(statement: &str) -> bool {
    let words = leading_words(statement);
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["VACUUM", ..] => true,
        ["CREATE", "INDEX", "CONCURRENTLY", ..]
        | ["CREATE", "UNIQUE", "INDEX", "CONCURRENTLY", ..]
        | ["DROP", "INDEX", "CONCURRENTLY", ..] => true,
        ["REINDEX", rest @ ..] => rest.contains(&"CONCURRENTLY"),
        _ => false,
    }
}

/// Whether `statement` changes a setting of the session — `SET name …`,
/// `SET SESSION …`, `RESET …` — which holds outside a transaction too.
/// `SET LOCAL`, `SET TRANSACTION` and `SET CONSTRAINTS` last only for a
/// transaction, and are not.
///
/// ```
/// use arx_migrate_sqlfiles::is_session_setting;
/// assert!(is_session_setting("SET lock_timeout = '5s'"));
/// assert!(!is_session_setting("SET LOCAL lock_timeout = '5s'"));
/// ```
pub fn is_session_setting(statement: &str) -> bool {
    let words = leading_words(statement);
    match words.first().map(String::as_str) {
        Some("RESET") => true,
        Some("SET") => !matches!(
            words.get(1).map(String::as_str),
            None | Some("LOCAL" | "TRANSACTION" | "CONSTRAINTS")
        ),
        _ => false,
    }
}

/// Whether a file of these statements runs outside a transaction when its
/// header does not say: at least one statement cannot run in a transaction
/// ([`cannot_run_in_transaction`]) and every other one is a session
/// setting ([`is_session_setting`]).
///
/// ```
/// use arx_migrate_sqlfiles::runs_outside_transaction;
/// assert!(runs_outside_transaction(&[
///     "SET lock_timeout = '5s'",
///     "CREATE INDEX CONCURRENTLY idx_orders_note ON orders (note)",
/// ]));
/// // Other DDL needs the transaction; CONCURRENTLY then fails in it.
/// assert!(!runs_outside_transaction(&[
///     "CREATE TABLE notes (id integer)",
///     "CREATE INDEX CONCURRENTLY idx_orders_note ON orders (note)",
/// ]));
/// ```
pub fn runs_outside_transaction<S: AsRef<str>>(statements: &[S]) -> bool {
    let cannot = |s: &S| cannot_run_in_transaction(s.as_ref());
    statements.iter().any(cannot)
        && statements
            .iter()
            .all(|s| cannot(s) || is_session_setting(s.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_that_cannot_run_in_a_transaction() {
        for statement in [
            "create index concurrently i on t (x)",
            "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON t (x)",
            "DROP INDEX CONCURRENTLY IF EXISTS i",
            "REINDEX (VERBOSE) INDEX CONCURRENTLY i",
            "REINDEX TABLE CONCURRENTLY t",
            "VACUUM (ANALYZE) t",
            "/* why */ CREATE -- the index\n INDEX CONCURRENTLY i ON t (x)",
        ] {
            assert!(cannot_run_in_transaction(statement), "{statement}");
        }
        for statement in [
            "CREATE INDEX i ON t (x)",
            "CREATE INDEX \"concurrently\" ON t (x)",
            "DROP INDEX i",
            "REINDEX INDEX i",
            "SELECT 'VACUUM'",
            "",
        ] {
            assert!(!cannot_run_in_transaction(statement), "{statement}");
        }
    }

    #[test]
    fn session_settings() {
        for statement in [
            "SET lock_timeout = '5s'",
            "set session statement_timeout to 0",
            "RESET lock_timeout",
        ] {
            assert!(is_session_setting(statement), "{statement}");
        }
        for statement in [
            "SET LOCAL lock_timeout = '5s'",
            "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE",
            "SET CONSTRAINTS ALL DEFERRED",
            "SELECT set_config('lock_timeout', '5s', false)",
        ] {
            assert!(!is_session_setting(statement), "{statement}");
        }
    }

    #[test]
    fn a_file_runs_outside_only_when_nothing_in_it_needs_a_transaction() {
        assert!(runs_outside_transaction(&["DROP INDEX CONCURRENTLY i"]));
        assert!(runs_outside_transaction(&[
            "SET lock_timeout = '5s'",
            "CREATE UNIQUE INDEX CONCURRENTLY i ON t (x)",
            "RESET lock_timeout",
        ]));
        assert!(!runs_outside_transaction::<&str>(&[]));
        assert!(!runs_outside_transaction(&["SET lock_timeout = '5s'"]));
        assert!(!runs_outside_transaction(&[
            "SET LOCAL lock_timeout = '5s'",
            "CREATE INDEX CONCURRENTLY i ON t (x)",
        ]));
        assert!(!runs_outside_transaction(&[
            "ALTER TABLE t ADD COLUMN y int",
            "CREATE INDEX CONCURRENTLY i ON t (y)",
        ]));
    }
}
