//! The portable alterations on MariaDB and MySQL.
//!
//! Each is one `ALTER TABLE` that names the least the server may do, so
//! that it refuses rather than quietly copying a busy table:
//!
//! - `ALGORITHM=INSTANT` where InnoDB changes only metadata (MariaDB 10.4+,
//!   MySQL 8.0.29+): adding a plain column, renaming a column or a table,
//!   setting or dropping a default, dropping a CHECK;
//! - `ALGORITHM=INPLACE, LOCK=NONE` where InnoDB works on the table while
//!   reads and writes go on (it may rebuild it): indexes, UNIQUE, dropping a
//!   column, NOT NULL, the primary key, dropping a foreign key, and a
//!   foreign key added without checking the rows already there
//!   ([`Ops::add_foreign_key_not_valid`]); MariaDB also takes INSTANT when it
//!   can (a dropped column that no index uses);
//! - `ALGORITHM=COPY, LOCK=SHARED` where only a copy of the table will do
//!   (a column's type, a CHECK or a foreign key checked against the rows
//!   there): writes wait until the copy is done. A `tracing` warning says
//!   so when the table was not created by the same migration.
//!
//! MySQL's `MODIFY COLUMN` restates the whole column. [`Ops::alter_column`]
//! reads what it does not change (type, NULL, default, collation, comment)
//! from `information_schema` on a live run; the checksum, lint and `show`
//! see the change as given, so they do not depend on the database.
//! Offline (`upgrade --sql`) a change that needs the current definition is
//! an error that says what to give. `DROP INDEX` names its table on MySQL:
//! a live run finds it by the index's name.

use super::context::Ops;
use crate::backend::quote_literal;
use crate::error::{Error, Result};

/// What an `ALTER TABLE` on MariaDB/MySQL lets the server do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Online {
    /// `ALGORITHM=INSTANT`: metadata only.
    Instant,
    /// `ALGORITHM=INPLACE, LOCK=NONE`: reads and writes go on.
    Inplace,
    /// `ALGORITHM=COPY, LOCK=SHARED`, with the reason a copy is needed.
    Copy(&'static str),
}

impl Online {
    fn clause(self) -> &'static str {
        match self {
            Online::Instant => "ALGORITHM=INSTANT",
            Online::Inplace => "ALGORITHM=INPLACE, LOCK=NONE",
            Online::Copy(_) => "ALGORITHM=COPY, LOCK=SHARED",
        }
    }
}

/// Quotes a name the MySQL way (`` `name` ``, inner backticks doubled): the
/// library does not turn on `ANSI_QUOTES`.
pub(super) fn backtick(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// `a`, `b`, … quoted with backticks.
pub(super) fn backtick_list(columns: &[impl AsRef<str>]) -> String {
    let quoted: Vec<String> = columns.iter().map(|c| backtick(c.as_ref())).collect();
    quoted.join(", ")
}

/// What `information_schema.COLUMNS` says of one column.
struct ColumnNow {
    column_type: String,
    nullable: bool,
    /// The default as SQL (a quoted literal or an expression), if any.
    default: Option<String>,
    collation: Option<String>,
    comment: String,
}

/// The parts of a `MODIFY COLUMN` an [`AlterColumn`](super::AlterColumn)
/// gives (rendered for MySQL); `None` keeps what the column has.
pub(super) struct ModifyColumn {
    pub(super) data_type: Option<String>,
    pub(super) not_null: Option<bool>,
    pub(super) default: Option<Option<String>>,
}

impl Ops<'_> {
    /// `ALTER TABLE table action, <algorithm clause>`, with a warning when
    /// the server must copy a table this migration did not create.
    pub(super) fn mysql_alter(&mut self, table: &str, action: &str, online: Online) -> Result<()> {
        if let Online::Copy(why) = online {
            if !self.created_here(table) {
                tracing::warn!(
                    revision = %self.revision,
                    table,
                    "{why}: MariaDB and MySQL copy the table (ALGORITHM=COPY, LOCK=SHARED); writes to it wait until the copy is done"
                );
            }
        }
        self.run(format!(
            "ALTER TABLE {} {action}, {}",
            backtick(table),
            online.clause()
        ))
    }

    /// `DROP INDEX name` on MySQL, which names the table: found by the
    /// index's name on a live run.
    pub(super) fn mysql_drop_index(&mut self, name: &str) -> Result<()> {
        let canonical = format!("DROP INDEX {}", backtick(name));
        let lookup = format!(
            "SELECT DISTINCT TABLE_NAME FROM information_schema.STATISTICS \
             WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME = {}",
            quote_literal(name)
        );
        let Some(rows) = self.live_query(&lookup)? else {
            if self.is_script() {
                return Err(self.unsupported(
                    format!("DROP INDEX {name}"),
                    "MySQL's DROP INDEX names the table, which an offline script cannot look up; write it with op.mysql(\"ALTER TABLE t DROP INDEX name, ALGORITHM=INPLACE, LOCK=NONE\")".to_string(),
                ));
            }
            return self.run_standing_for(canonical, None);
        };
        let tables: Vec<String> = rows
            .into_iter()
            .filter_map(|row| row.into_iter().next().flatten())
            .collect();
        let table = match tables.as_slice() {
            [table] => table.clone(),
            [] => {
                return Err(self.unsupported(
                    format!("DROP INDEX {name}"),
                    "no table of this database has an index of that name".to_string(),
                ))
            }
            several => {
                return Err(self.unsupported(
                    format!("DROP INDEX {name}"),
                    format!(
                        "index names are per table on MySQL and these tables each have one of that name: {}; write op.mysql(\"ALTER TABLE t DROP INDEX name, ALGORITHM=INPLACE, LOCK=NONE\")",
                        several.join(", ")
                    ),
                ))
            }
        };
        let actual = format!(
            "ALTER TABLE {} DROP INDEX {}, {}",
            backtick(&table),
            backtick(name),
            Online::Inplace.clause()
        );
        self.run_standing_for(canonical, Some(actual))
    }

    /// `MODIFY COLUMN` with `change` applied to what the column has now.
    pub(super) fn mysql_modify_column(
        &mut self,
        table: &str,
        column: &str,
        change: ModifyColumn,
    ) -> Result<()> {
        let online = if change.data_type.is_some() {
            Online::Copy("changing a column's type")
        } else {
            Online::Inplace
        };
        let prefix = format!(
            "ALTER TABLE {} MODIFY COLUMN {}",
            backtick(table),
            backtick(column)
        );
        let given = render_modify(
            change.data_type.as_deref(),
            change.not_null,
            change.default.as_ref().map(Option::as_deref),
            None,
            None,
        );
        let canonical = format!("{prefix} {given}, {}", online.clause());
        let complete =
            change.data_type.is_some() && change.not_null.is_some() && change.default.is_some();
        let now = match self.read_column(table, column)? {
            Some(now) => now,
            None if complete || !self.is_script() => {
                // Recorded (checksum, lint, show), or a script that needs
                // nothing from the database.
                return self.mysql_alter_standing_for(table, canonical.clone(), Some(canonical), online);
            }
            None => {
                return Err(self.unsupported(
                    format!("ALTER COLUMN {table}.{column}"),
                    "MySQL's MODIFY COLUMN restates the whole column, and an offline script cannot read what it has now; give AlterColumn the type, set_not_null or drop_not_null, and set_default or drop_default".to_string(),
                ))
            }
        };
        let actual = format!(
            "{prefix} {}, {}",
            render_modify(
                Some(change.data_type.as_deref().unwrap_or(&now.column_type)),
                Some(change.not_null.unwrap_or(!now.nullable)),
                Some(match &change.default {
                    Some(default) => default.as_deref(),
                    None => now.default.as_deref(),
                }),
                // A new type brings its own collation; the old one stays
                // only with the old type.
                now.collation
                    .as_deref()
                    .filter(|_| change.data_type.is_none()),
                Some(now.comment.as_str()).filter(|c| !c.is_empty()),
            ),
            online.clause()
        );
        self.mysql_alter_standing_for(table, canonical, Some(actual), online)
    }

    fn mysql_alter_standing_for(
        &mut self,
        table: &str,
        canonical: String,
        actual: Option<String>,
        online: Online,
    ) -> Result<()> {
        if let Online::Copy(why) = online {
            if !self.created_here(table) {
                tracing::warn!(
                    revision = %self.revision,
                    table,
                    "{why}: MariaDB and MySQL copy the table (ALGORITHM=COPY, LOCK=SHARED); writes to it wait until the copy is done"
                );
            }
        }
        self.run_standing_for(canonical, actual)
    }

    /// The column as `information_schema` has it; `None` offline.
    fn read_column(&mut self, table: &str, column: &str) -> Result<Option<ColumnNow>> {
        let sql = format!(
            "SELECT COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, COLLATION_NAME, COLUMN_COMMENT \
             FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() \
             AND TABLE_NAME = {} AND COLUMN_NAME = {}",
            quote_literal(table),
            quote_literal(column)
        );
        let Some(rows) = self.live_query(&sql)? else {
            return Ok(None);
        };
        let Some(row) = rows.into_iter().next() else {
            return Err(self.unsupported(
                format!("ALTER COLUMN {table}.{column}"),
                "the table has no column of that name in this database".to_string(),
            ));
        };
        let text = |i: usize| row.get(i).cloned().flatten();
        let extra = text(3).unwrap_or_default().to_ascii_lowercase();
        let default = text(2).and_then(|d| default_as_sql(&d, &extra));
        if extra.contains("auto_increment") || extra.contains("generated") {
            return Err(self.unsupported(
                format!("ALTER COLUMN {table}.{column}"),
                format!("the column is {extra}; write the MODIFY COLUMN yourself with op.mysql(…)"),
            ));
        }
        Ok(Some(ColumnNow {
            column_type: text(0).unwrap_or_default(),
            nullable: text(1).as_deref() == Some("YES"),
            default,
            collation: text(4),
            comment: text(5).unwrap_or_default(),
        }))
    }

    /// Checks, on a live run, that every row of `table` has its parent
    /// under the foreign key `name` (what PostgreSQL's `VALIDATE
    /// CONSTRAINT` does); a CHECK is always checked when added on MySQL.
    pub(super) fn mysql_validate_constraint(&mut self, table: &str, name: &str) -> Result<()> {
        self.checksum
            .add_marker(&format!("validate constraint {table}.{name}"));
        let sql = format!(
            "SELECT COLUMN_NAME, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME \
             FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE() \
             AND TABLE_NAME = {} AND CONSTRAINT_NAME = {} AND REFERENCED_TABLE_NAME IS NOT NULL \
             ORDER BY ORDINAL_POSITION",
            quote_literal(table),
            quote_literal(name)
        );
        let Some(rows) = self.live_query(&sql)? else {
            return Ok(());
        };
        let key: Vec<(String, String, String)> = rows
            .into_iter()
            .filter_map(|row| {
                let mut cells = row.into_iter();
                Some((cells.next()??, cells.next()??, cells.next()??))
            })
            .collect();
        let Some((_, parent, _)) = key.first().cloned() else {
            // A CHECK (or no constraint of that name): MySQL checked the
            // rows when it was added, or there is nothing to check.
            return Ok(());
        };
        let present: Vec<String> = key
            .iter()
            .map(|(c, _, _)| format!("child.{} IS NOT NULL", backtick(c)))
            .collect();
        let matching: Vec<String> = key
            .iter()
            .map(|(c, _, r)| format!("parent.{} = child.{}", backtick(r), backtick(c)))
            .collect();
        let orphans = format!(
            "SELECT count(*) FROM {} child WHERE {} AND NOT EXISTS (SELECT 1 FROM {} parent WHERE {})",
            backtick(table),
            present.join(" AND "),
            backtick(&parent),
            matching.join(" AND ")
        );
        let count = self
            .live_query(&orphans)?
            .and_then(|rows| rows.into_iter().next())
            .and_then(|row| row.into_iter().next().flatten())
            .unwrap_or_default();
        if count != "0" {
            return Err(Error::Migration {
                revision: self.revision.clone(),
                direction: self.direction,
                message: format!(
                    "foreign key {name} on {table}: {count} row(s) reference no row of {parent} (found with: {orphans}); fix or delete them, then run again"
                ),
            });
        }
        Ok(())
    }
}

/// `type [COLLATE c] [NOT] NULL [DEFAULT x] [COMMENT '…']`, from the parts
/// given.
fn render_modify(
    data_type: Option<&str>,
    not_null: Option<bool>,
    default: Option<Option<&str>>,
    collation: Option<&str>,
    comment: Option<&str>,
) -> String {
    let mut parts = Vec::new();
    if let Some(data_type) = data_type {
        parts.push(data_type.to_string());
    }
    if let Some(collation) = collation {
        parts.push(format!("COLLATE {collation}"));
    }
    match not_null {
        Some(true) => parts.push("NOT NULL".to_string()),
        Some(false) => parts.push("NULL".to_string()),
        None => {}
    }
    // No default is no DEFAULT clause: MODIFY COLUMN drops what it does
    // not restate (`DEFAULT NULL` would be refused on a NOT NULL column).
    if let Some(Some(default)) = default {
        parts.push(format!("DEFAULT {default}"));
    }
    if let Some(comment) = comment {
        parts.push(format!("COMMENT {}", quote_literal(comment)));
    }
    parts.join(" ")
}

/// `COLUMN_DEFAULT` as SQL. MariaDB writes it as SQL already (`'user'`,
/// `current_timestamp(6)`, `NULL`); MySQL 8 writes a literal bare and marks
/// an expression `DEFAULT_GENERATED` in `EXTRA`.
fn default_as_sql(default: &str, extra: &str) -> Option<String> {
    if default == "NULL" {
        return None;
    }
    let is_sql = default.starts_with('\'')
        || extra.contains("default_generated")
        || default.parse::<f64>().is_ok()
        || default
            .to_ascii_lowercase()
            .starts_with("current_timestamp");
    Some(if is_sql {
        default.to_string()
    } else {
        quote_literal(default)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_read_back_as_sql() {
        assert_eq!(default_as_sql("NULL", ""), None);
        assert_eq!(default_as_sql("'user'", "").as_deref(), Some("'user'"));
        assert_eq!(default_as_sql("user", "").as_deref(), Some("'user'"));
        assert_eq!(default_as_sql("0", "").as_deref(), Some("0"));
        assert_eq!(
            default_as_sql("current_timestamp(6)", "").as_deref(),
            Some("current_timestamp(6)")
        );
        assert_eq!(
            default_as_sql("(now() + 1)", "default_generated").as_deref(),
            Some("(now() + 1)")
        );
    }

    #[test]
    fn a_modify_restates_the_column() {
        assert_eq!(
            render_modify(
                Some("int(11)"),
                Some(true),
                Some(Some("0")),
                None,
                Some("n")
            ),
            "int(11) NOT NULL DEFAULT 0 COMMENT 'n'"
        );
        assert_eq!(
            render_modify(
                Some("varchar(9)"),
                Some(false),
                Some(None),
                Some("utf8mb4_bin"),
                None
            ),
            "varchar(9) COLLATE utf8mb4_bin NULL"
        );
        assert_eq!(
            render_modify(None, Some(true), None, None, None),
            "NOT NULL"
        );
    }

    #[test]
    fn names_are_quoted_with_backticks() {
        assert_eq!(backtick("a`b"), "`a``b`");
        assert_eq!(backtick_list(&["a", "b"]), "`a`, `b`");
    }
}
