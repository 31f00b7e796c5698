//! The MariaDB and MySQL rules: DDL commits by itself there, so a
//! revision of several DDL statements, or of DDL and data changes, can
//! stop half-applied ([`Rule::MysqlSeveralDdl`],
//! [`Rule::MysqlDdlWithDataChange`]); and an `ALTER TABLE` of an existing
//! table may copy it whole ([`Rule::MysqlAlgorithmCopy`],
//! [`Rule::MysqlAlterWithoutAlgorithm`]).
//!
//! The rules read the statement's words rather than its syntax tree, so
//! that a statement the SQL parser cannot read (MariaDB's own clauses) is
//! checked too.

use arx_migrate_core::backend::Backend;
use arx_migrate_core::journal::reverse_of;

use super::super::rules::Rule;
use super::MigrationLint;

/// The statement's words, upper-cased, quoted text and comments left out;
/// a backquoted name is one word without its quotes; `=` is its own word.
fn words(sql: &str) -> Vec<String> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '-' && chars.get(i + 1) == Some(&'-') || c == '#' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && chars.get(i + 1) == Some(&'*') {
            i += 2;
            while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                i += 1;
            }
            i += 2;
        } else if c == '\'' || c == '"' || c == '`' {
            let start = i + 1;
            i += 1;
            while i < chars.len() && chars[i] != c {
                i += if chars[i] == '\\' && c != '`' { 2 } else { 1 };
            }
            if c == '`' {
                let end = i.min(chars.len());
                out.push(chars[start..end].iter().collect::<String>());
            }
            i += 1;
        } else if c.is_alphanumeric() || c == '_' || c == '$' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$')
            {
                i += 1;
            }
            out.push(
                chars[start..i]
                    .iter()
                    .collect::<String>()
                    .to_ascii_uppercase(),
            );
        } else {
            if c == '=' || c == '.' {
                out.push(c.to_string());
            }
            i += 1;
        }
    }
    out
}

/// What a statement is to the MySQL rules.
#[derive(PartialEq)]
enum Kind {
    /// It commits by itself.
    Ddl,
    /// It changes rows.
    DataChange,
    Other,
}

fn kind(words: &[String]) -> Kind {
    match words.first().map(String::as_str) {
        Some("CREATE" | "ALTER" | "DROP" | "RENAME" | "TRUNCATE") => Kind::Ddl,
        Some("INSERT" | "UPDATE" | "DELETE" | "REPLACE" | "LOAD") => Kind::DataChange,
        _ => Kind::Other,
    }
}

/// The table an `ALTER [ONLINE] [IGNORE] TABLE` names (the last part of a
/// qualified name), and the words after it.
fn altered_table(words: &[String]) -> Option<(&str, &[String])> {
    let mut i = 1;
    while words.get(i).is_some_and(|w| w == "ONLINE" || w == "IGNORE") {
        i += 1;
    }
    if words.get(i)? != "TABLE" {
        return None;
    }
    i += 1;
    if words.get(i).is_some_and(|w| w == "IF") {
        i += 2; // IF EXISTS
    }
    let mut name = words.get(i)?.as_str();
    while words.get(i + 1).is_some_and(|w| w == ".") {
        i += 2;
        name = words.get(i)?.as_str();
    }
    Some((name, &words[i + 1..]))
}

/// The value of `CLAUSE = VALUE` among `words`.
fn clause<'w>(words: &'w [String], name: &str) -> Option<&'w str> {
    words
        .windows(3)
        .find(|w| w[0] == name && w[1] == "=")
        .map(|w| w[2].as_str())
        .or_else(|| {
            // `ALGORITHM INPLACE` (the = is optional).
            words
                .windows(2)
                .find(|w| w[0] == name && w[1] != "=")
                .map(|w| w[1].as_str())
        })
}

impl MigrationLint<'_> {
    fn on_mysql(&self) -> bool {
        self.settings.backend == Backend::Mysql
    }

    /// Counts the statement for the end-of-migration rules and checks an
    /// `ALTER TABLE` of an existing table.
    pub(super) fn mysql_statement(&mut self, sql: &str) {
        if !self.on_mysql() {
            return;
        }
        let words = words(sql);
        match kind(&words) {
            Kind::Ddl => self.mysql_ddl.push(sql.trim().to_string()),
            Kind::DataChange => self.mysql_data_changes += 1,
            Kind::Other => return,
        }
        if words.first().map(String::as_str) != Some("ALTER") {
            return;
        }
        let Some((table, rest)) = altered_table(&words) else {
            return;
        };
        // A lower-cased name as the model keeps it; MySQL's names are
        // case-insensitive on most systems.
        let table = table.to_string();
        let known = [table.clone(), table.to_ascii_lowercase()]
            .iter()
            .any(|name| self.holds_data(name));
        if !known {
            return;
        }
        let algorithm = clause(rest, "ALGORITHM");
        let lock = clause(rest, "LOCK");
        if algorithm == Some("COPY") {
            self.find(
                Rule::MysqlAlgorithmCopy,
                format!("ALTER TABLE {table} asks for ALGORITHM=COPY: the table is rebuilt into a copy, and writes to it wait until the copy is done"),
            );
        } else if algorithm.is_none() || lock.is_none() {
            let missing = match (algorithm, lock) {
                (None, None) => "neither ALGORITHM nor LOCK",
                (None, Some(_)) => "no ALGORITHM",
                _ => "no LOCK",
            };
            self.find(
                Rule::MysqlAlterWithoutAlgorithm,
                format!("ALTER TABLE {table} alters an existing table with {missing}: the server may copy the table and block writes to it without saying so"),
            );
        }
    }

    /// The end-of-migration rules: several DDL statements, DDL with data
    /// changes.
    pub(super) fn mysql_end(&mut self) {
        if !self.on_mysql() {
            return;
        }
        let ddl = std::mem::take(&mut self.mysql_ddl);
        let data_changes = std::mem::take(&mut self.mysql_data_changes);
        if ddl.len() > 1 {
            let without: Vec<String> = ddl
                .iter()
                .enumerate()
                .filter(|(_, sql)| reverse_of(sql).is_none())
                .map(|(i, _)| format!("{}", i + 1))
                .collect();
            let reverses = if without.is_empty() {
                "each has a known reverse, so `repair --roll-back` can undo a half-applied run"
                    .to_string()
            } else {
                format!(
                    "DDL statement(s) {} have no known reverse, so a run that fails after them cannot be rolled back by `repair --roll-back`",
                    without.join(", ")
                )
            };
            self.find_general(
                Rule::MysqlSeveralDdl,
                format!(
                    "this {} has {} DDL statements, each committed by itself on MariaDB and MySQL: a failure between them leaves the revision half-applied; {reverses}",
                    self.direction,
                    ddl.len()
                ),
            );
        }
        if !ddl.is_empty() && data_changes > 0 {
            self.find_general(
                Rule::MysqlDdlWithDataChange,
                format!(
                    "this {} mixes {} DDL statement(s) with {data_changes} data change(s): on MariaDB and MySQL each DDL statement commits what came before it, and a data change has no reverse",
                    self.direction,
                    ddl.len()
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{altered_table, clause, words};

    #[test]
    fn clauses_are_read_outside_quotes_and_comments() {
        let w = words("ALTER TABLE `db`.`Orders` ADD COLUMN n INT DEFAULT 'ALGORITHM=COPY', ALGORITHM = inplace, LOCK=NONE -- ALGORITHM=COPY");
        let (table, rest) = altered_table(&w).unwrap();
        assert_eq!(table, "Orders");
        assert_eq!(clause(rest, "ALGORITHM"), Some("INPLACE"));
        assert_eq!(clause(rest, "LOCK"), Some("NONE"));
        let w = words("alter online table t add index i (a)");
        assert_eq!(altered_table(&w).unwrap().0, "T");
        assert_eq!(clause(&w, "ALGORITHM"), None);
    }
}
