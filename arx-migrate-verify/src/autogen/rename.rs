//! `--rename`: renames are never guessed; those the developer names are
//! applied to the "before" schema first, so that the comparison sees the
//! renamed objects as the same ones.

use std::str::FromStr;

use super::source::Schema;
use arx_migrate_core::error::{Error, Result};

/// A rename the developer asked for: a table (`OLD=NEW`) or a column
/// (`TABLE.OLD=NEW`, the table by its new name when it is renamed too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rename {
    /// The column's table; `None` for a table rename.
    pub table: Option<String>,
    /// The old name.
    pub from: String,
    /// The new name.
    pub to: String,
}

impl FromStr for Rename {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<Self, String> {
        let bad = || {
            format!("--rename {text:?}: write OLD=NEW for a table or TABLE.OLD=NEW for a column")
        };
        let (old, to) = text.split_once('=').ok_or_else(bad)?;
        let (table, from) = match old.split_once('.') {
            Some((table, from)) => (Some(table.trim().to_string()), from.trim()),
            None => (None, old.trim()),
        };
        let to = to.trim();
        if from.is_empty() || to.is_empty() || table.as_deref() == Some("") || to.contains('.') {
            return Err(bad());
        }
        Ok(Rename {
            table,
            from: from.to_string(),
            to: to.to_string(),
        })
    }
}

impl std::fmt::Display for Rename {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.table {
            Some(table) => write!(f, "{table}.{}={}", self.from, self.to),
            None => write!(f, "{}={}", self.from, self.to),
        }
    }
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Whether `word` occurs in `text` as a whole word.
pub(super) fn contains_word(text: &str, word: &str) -> bool {
    replace_word(text, word, "") != text
}

/// `text` with every whole-word `from` replaced by `to`.
pub(super) fn replace_word(text: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut previous: Option<char> = None;
    while let Some(position) = rest.find(from) {
        let before = rest[..position].chars().last().or(previous);
        let after = rest[position + from.len()..].chars().next();
        out.push_str(&rest[..position]);
        if before.is_some_and(is_word) || after.is_some_and(is_word) {
            out.push_str(from);
        } else {
            out.push_str(to);
        }
        previous = from.chars().last();
        rest = &rest[position + from.len()..];
    }
    out.push_str(rest);
    out
}

/// `schema` as it is after the renames: what the rename steps produce.
pub(super) fn renamed(schema: &Schema, renames: &[Rename]) -> Result<Schema> {
    let mut schema = schema.clone();
    for rename in renames {
        match &rename.table {
            None => rename_table(&mut schema, &rename.from, &rename.to)?,
            Some(table) => rename_column(&mut schema, table, &rename.from, &rename.to)?,
        }
    }
    Ok(schema)
}

fn unknown(what: String) -> Error {
    Error::Config(format!(
        "--rename: {what} is not in the schema the migrations produce at head"
    ))
}

fn rename_table(schema: &mut Schema, from: &str, to: &str) -> Result<()> {
    let Some(mut table) = schema.snapshot.tables.remove(from) else {
        return Err(unknown(format!("table {from}")));
    };
    // PostgreSQL: Ops::rename_table renames the primary key with the table.
    let (old_key, new_key) = (format!("{from}_pkey"), format!("{to}_pkey"));
    if let Some(key) = table.constraints.remove(&old_key) {
        table.constraints.insert(new_key.clone(), key);
        if let Some(index) = table.indexes.remove(&old_key) {
            table.indexes.insert(new_key, index);
        }
    }
    // SQLite renames its automatic indexes with the table.
    let automatic = format!("sqlite_autoindex_{from}_");
    let names: Vec<String> = table
        .indexes
        .keys()
        .filter(|n| n.starts_with(&automatic))
        .cloned()
        .collect();
    for name in names {
        if let Some(index) = table.indexes.remove(&name) {
            let suffix = &name[automatic.len()..];
            table
                .indexes
                .insert(format!("sqlite_autoindex_{to}_{suffix}"), index);
        }
    }
    schema.snapshot.tables.insert(to.to_string(), table);
    if let Some(sql) = schema.create_sql.remove(from) {
        schema.create_sql.insert(to.to_string(), sql);
    }
    if let Some(order) = schema.column_order.remove(from) {
        schema.column_order.insert(to.to_string(), order);
    }
    // Every definition that names the table now names the new one.
    for table in schema.snapshot.tables.values_mut() {
        for constraint in table.constraints.values_mut() {
            constraint.definition = replace_word(&constraint.definition, from, to);
        }
        let keys: Vec<String> = table.constraints.keys().cloned().collect();
        for key in keys {
            let new = replace_word(&key, from, to);
            if new != key {
                if let Some(c) = table.constraints.remove(&key) {
                    table.constraints.insert(new, c);
                }
            }
        }
    }
    for sql in schema.create_sql.values_mut() {
        *sql = replace_word(sql, from, to);
    }
    for map in [
        &mut schema.snapshot.views,
        &mut schema.snapshot.triggers,
        &mut schema.snapshot.sequences,
    ] {
        let old: Vec<(String, _)> = std::mem::take(map).into_iter().collect();
        for (name, mut object) in old {
            object.definition = replace_word(&object.definition, from, to);
            if object.table.as_deref() == Some(from) {
                object.table = Some(to.to_string());
            }
            let name = match name.strip_prefix(&format!("{from}.")) {
                Some(trigger) => format!("{to}.{trigger}"),
                None => name,
            };
            map.insert(name, object);
        }
    }
    Ok(())
}

fn rename_column(schema: &mut Schema, table_name: &str, from: &str, to: &str) -> Result<()> {
    let Some(table) = schema.snapshot.tables.get_mut(table_name) else {
        return Err(unknown(format!("table {table_name}")));
    };
    let Some(column) = table.columns.remove(from) else {
        return Err(unknown(format!("column {table_name}.{from}")));
    };
    table.columns.insert(to.to_string(), column);
    for index in table.indexes.values_mut() {
        for column in index.columns.iter_mut().chain(index.include.iter_mut()) {
            *column = replace_word(column, from, to);
        }
        index.predicate = index.predicate.as_ref().map(|p| replace_word(p, from, to));
    }
    let old: Vec<(String, _)> = std::mem::take(&mut table.constraints).into_iter().collect();
    for (key, mut constraint) in old {
        // The local side of a key only: `REFERENCES t(from)` is another
        // table's column.
        let local = |text: &str| match text.split_once(" REFERENCES ") {
            Some((own, referenced)) => {
                format!("{} REFERENCES {referenced}", replace_word(own, from, to))
            }
            None => replace_word(text, from, to),
        };
        constraint.definition = local(&constraint.definition);
        table.constraints.insert(local(&key), constraint);
    }
    // Keys of other tables that reference the renamed column.
    let reference = format!("REFERENCES {table_name}(");
    for other in schema.snapshot.tables.values_mut() {
        let old: Vec<(String, _)> = std::mem::take(&mut other.constraints).into_iter().collect();
        for (key, mut constraint) in old {
            let fix = |text: &str| match text.split_once(&reference) {
                Some((own, rest)) => match rest.split_once(')') {
                    Some((columns, tail)) => {
                        format!("{own}{reference}{}){tail}", replace_word(columns, from, to))
                    }
                    None => text.to_string(),
                },
                None => text.to_string(),
            };
            constraint.definition = fix(&constraint.definition);
            other.constraints.insert(fix(&key), constraint);
        }
    }
    if let Some(sql) = schema.create_sql.get_mut(table_name) {
        *sql = replace_word(sql, from, to);
    }
    for column in schema
        .column_order
        .get_mut(table_name)
        .into_iter()
        .flatten()
    {
        if column == from {
            *column = to.to_string();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames_are_parsed() {
        assert_eq!(
            "rooms.name=title".parse::<Rename>(),
            Ok(Rename {
                table: Some("rooms".into()),
                from: "name".into(),
                to: "title".into()
            })
        );
        assert_eq!("a=b".parse::<Rename>().map(|r| r.table), Ok(None));
        assert!("a".parse::<Rename>().is_err());
        assert!("a.=b".parse::<Rename>().is_err());
        assert!("a=b.c".parse::<Rename>().is_err());
    }

    #[test]
    fn only_whole_words_are_replaced() {
        assert_eq!(
            replace_word("rooms room_id \"room\" room", "room", "space"),
            "rooms room_id \"space\" space"
        );
    }
}
