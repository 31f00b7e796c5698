//! Which table a statement changes, read from its text, so that the
//! history table can record the size of the one table a step touches.
//!
//! The rule: a step "touches one table" when every statement it runs
//! names the same table as the object it changes (`CREATE TABLE t`,
//! `ALTER TABLE t`, `DROP TABLE t`, `CREATE INDEX … ON t`, `CREATE
//! TRIGGER … ON t`, `INSERT INTO t`, `UPDATE t`, `DELETE FROM t`, `COMMENT
//! ON TABLE t` / `COLUMN t.c`, `ANALYZE t`). Session statements (`SET`,
//! savepoints) name none and do not count. Any other statement (a
//! `DROP INDEX`, a `DO` block, a function) may touch anything, so the step
//! then has no table of its own. The SQLite rebuild's work tables
//! (`_arx_migrate_…`) belong to the table being rebuilt and do not count.

use super::sqlite_tokens::{Kind, Tokens};

/// What one statement changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Touch {
    /// It changes no table (a session setting, a savepoint).
    Nothing,
    /// It changes this table: `(schema, name)`, names unquoted and, when
    /// written bare, folded to lower case as PostgreSQL does.
    Table(Option<String>, String),
    /// It may change any table.
    Unknown,
}

/// A table as `(schema, name)`.
pub(crate) type TableName = (Option<String>, String);

/// A table with its size before the step, where it was measured.
pub(crate) type Measured = (TableName, Option<i64>);

/// The tables a step's statements touched, in the order first met.
#[derive(Debug, Clone, Default)]
pub(crate) struct TouchedTables {
    /// Each table with its size (bytes, indexes included) before the
    /// step's first statement on it, where it was measured.
    pub(crate) tables: Vec<Measured>,
    /// A statement that may touch anything was run.
    pub(crate) unknown: bool,
}

impl TouchedTables {
    /// The one table the step touched, with its size before, or `None`
    /// when it touched none, several or some it cannot name.
    pub(crate) fn single(&self) -> Option<Measured> {
        match (self.unknown, self.tables.as_slice()) {
            (false, [one]) => Some(one.clone()),
            _ => None,
        }
    }

    /// Whether measuring another table is worth it: not once the step is
    /// known to touch more than one.
    pub(crate) fn still_single(&self) -> bool {
        !self.unknown && self.tables.len() < 2
    }

    /// Whether `table` was met already.
    pub(crate) fn contains(&self, table: &TableName) -> bool {
        self.tables.iter().any(|(seen, _)| seen == table)
    }
}

/// The table `sql` changes.
pub(crate) fn touched_table(sql: &str) -> Touch {
    let Ok(tokens) = Tokens::new(sql) else {
        return Touch::Unknown;
    };
    let word = |i: usize, w: &str| tokens.is_word(i, w);
    if tokens.tokens.is_empty()
        || [
            "SET",
            "RESET",
            "SAVEPOINT",
            "RELEASE",
            "BEGIN",
            "COMMIT",
            "SELECT",
        ]
        .iter()
        .any(|w| word(0, w))
    {
        return Touch::Nothing;
    }
    let at = if word(0, "CREATE") {
        let mut i = 1;
        while [
            "TEMP",
            "TEMPORARY",
            "UNLOGGED",
            "GLOBAL",
            "LOCAL",
            "UNIQUE",
            "OR",
            "REPLACE",
        ]
        .iter()
        .any(|w| word(i, w))
        {
            i += 1;
        }
        if word(i, "TABLE") {
            Some(skip_if_exists(&tokens, i + 1))
        } else if word(i, "INDEX") || word(i, "TRIGGER") {
            // The table follows the first `ON`.
            (i + 1..tokens.tokens.len())
                .find(|&j| word(j, "ON"))
                .map(|j| skip_only(&tokens, j + 1))
        } else {
            None
        }
    } else if word(0, "ALTER") && word(1, "TABLE") {
        Some(skip_only(&tokens, skip_if_exists(&tokens, 2)))
    } else if word(0, "DROP") && word(1, "TABLE") {
        let i = skip_if_exists(&tokens, 2);
        // `DROP TABLE a, b` touches two.
        if tokens.is_punct(name_end(&tokens, i), ',') {
            return Touch::Unknown;
        }
        Some(i)
    } else if word(0, "INSERT") && word(1, "INTO") {
        Some(2)
    } else if word(0, "UPDATE") {
        Some(skip_only(&tokens, 1))
    } else if word(0, "DELETE") && word(1, "FROM") {
        Some(skip_only(&tokens, 2))
    } else if word(0, "ANALYZE") && tokens.tokens.len() > 1 {
        Some(1)
    } else if word(0, "COMMENT") && word(1, "ON") && word(2, "TABLE") {
        Some(3)
    } else if word(0, "COMMENT") && word(1, "ON") && word(2, "COLUMN") {
        // `t.c` or `s.t.c`: the table is the part before the column.
        let parts = dotted(&tokens, 3);
        return match parts.len() {
            2 => table(None, parts[0].clone()),
            3 => table(Some(parts[0].clone()), parts[1].clone()),
            _ => Touch::Unknown,
        };
    } else {
        None
    };
    let Some(at) = at else {
        return Touch::Unknown;
    };
    let parts = dotted(&tokens, at);
    match parts.as_slice() {
        [name] => table(None, name.clone()),
        [schema, name] => table(Some(schema.clone()), name.clone()),
        _ => Touch::Unknown,
    }
}

fn table(schema: Option<String>, name: String) -> Touch {
    if name.starts_with("_arx_migrate_") {
        return Touch::Nothing;
    }
    Touch::Table(schema, name)
}

fn skip_if_exists(tokens: &Tokens<'_>, i: usize) -> usize {
    if tokens.is_word(i, "IF") && tokens.is_word(i + 1, "NOT") && tokens.is_word(i + 2, "EXISTS") {
        i + 3
    } else if tokens.is_word(i, "IF") && tokens.is_word(i + 1, "EXISTS") {
        i + 2
    } else {
        i
    }
}

fn skip_only(tokens: &Tokens<'_>, i: usize) -> usize {
    if tokens.is_word(i, "ONLY") {
        i + 1
    } else {
        i
    }
}

/// The token after a (possibly dotted) name starting at `i`.
fn name_end(tokens: &Tokens<'_>, mut i: usize) -> usize {
    i += 1;
    while tokens.is_punct(i, '.') {
        i += 2;
    }
    i
}

/// The parts of the dotted name at `i`, unquoted, bare ones folded.
fn dotted(tokens: &Tokens<'_>, mut i: usize) -> Vec<String> {
    let mut parts = Vec::new();
    loop {
        let Some(name) = tokens.ident(i) else {
            return Vec::new();
        };
        parts.push(if tokens.tokens[i].kind == Kind::Word {
            name.to_lowercase()
        } else {
            name
        });
        if !tokens.is_punct(i + 1, '.') {
            return parts;
        }
        i += 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(name: &str) -> Touch {
        Touch::Table(None, name.to_string())
    }

    #[test]
    fn statements_name_the_table_they_change() {
        for (sql, touch) in [
            ("CREATE TABLE IF NOT EXISTS \"Notes\" (id int)", t("Notes")),
            ("create unlogged table Notes (id int)", t("notes")),
            (
                "ALTER TABLE IF EXISTS ONLY public.notes ADD COLUMN a int",
                Touch::Table(Some("public".into()), "notes".into()),
            ),
            (
                "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON ONLY notes (a)",
                t("notes"),
            ),
            ("CREATE INDEX ON notes USING gist (g)", t("notes")),
            (
                "CREATE OR REPLACE TRIGGER x AFTER INSERT ON notes FOR EACH ROW EXECUTE FUNCTION f()",
                t("notes"),
            ),
            ("DROP TABLE IF EXISTS notes CASCADE", t("notes")),
            ("DROP TABLE a, b", Touch::Unknown),
            ("INSERT INTO notes (a) VALUES (1)", t("notes")),
            ("UPDATE notes SET a = 1", t("notes")),
            ("DELETE FROM ONLY notes WHERE a = 1", t("notes")),
            ("COMMENT ON COLUMN notes.a IS 'x'", t("notes")),
            ("COMMENT ON TABLE notes IS 'x'", t("notes")),
            ("SET LOCAL lock_timeout = '1s'", Touch::Nothing),
            ("DROP INDEX i", Touch::Unknown),
            ("DO $$ BEGIN END $$", Touch::Unknown),
            ("CREATE EXTENSION postgis", Touch::Unknown),
            ("CREATE TABLE _arx_migrate_new_notes (a int)", Touch::Nothing),
        ] {
            assert_eq!(touched_table(sql), touch, "{sql}");
        }
    }
}
