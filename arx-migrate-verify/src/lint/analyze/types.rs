//! Column types: which type changes PostgreSQL makes without rewriting the
//! table (known from the type the chain gave the column, which a
//! single-file linter cannot know), and the style rules on types.

use sqlparser::ast::DataType;

use super::names::is_serial;
use super::state::MigrationLint;
use crate::lint::rules::Rule;

/// A type name split into its base and its parameters:
/// `character varying(64)` → (`varchar`, [64]).
fn split_type(data_type: &str) -> (String, Vec<u32>) {
    let text = data_type.trim().to_lowercase();
    let (base, params) = match text.find('(') {
        Some(at) => (
            text[..at].trim().to_string(),
            text[at + 1..]
                .trim_end_matches(')')
                .split(',')
                .filter_map(|p| p.trim().parse().ok())
                .collect(),
        ),
        None => (text, Vec::new()),
    };
    let base = match base.as_str() {
        "character varying" => "varchar".to_string(),
        "decimal" => "numeric".to_string(),
        _ => base,
    };
    (base, params)
}

/// Whether PostgreSQL changes a column from `old` to `new` without
/// rewriting the table: the same type, a longer (or unlimited) `varchar`,
/// `varchar` to `text`, a wider `numeric` of the same scale, `cidr` to
/// `inet`.
pub(super) fn rewrite_free(old: &str, new: &str) -> bool {
    let (old_base, old_params) = split_type(old);
    let (new_base, new_params) = split_type(new);
    if old_base == new_base && old_params == new_params {
        return true;
    }
    match (old_base.as_str(), new_base.as_str()) {
        ("varchar", "text") | ("text", "varchar") if new_params.is_empty() => true,
        ("varchar", "varchar") => match (old_params.first(), new_params.first()) {
            (_, None) => true,
            (Some(old), Some(new)) => new >= old,
            (None, Some(_)) => false,
        },
        ("numeric", "numeric") => match (old_params.as_slice(), new_params.as_slice()) {
            (_, []) => true,
            ([p], [q]) => q >= p,
            ([p, s], [q, t]) => q >= p && s == t,
            _ => false,
        },
        ("cidr", "inet") => true,
        _ => false,
    }
}

impl MigrationLint<'_> {
    /// The style rules (off by default) on a column's type.
    pub(super) fn style_of_type(&mut self, table: &str, column: &str, data_type: &DataType) {
        if !self.upgrade() {
            return;
        }
        let text = data_type.to_string().to_lowercase();
        // An array's element type counts (`char[]`, `varchar(20)[]`).
        let element = text.trim_end_matches("[]").trim();
        let (base, params) = split_type(element);
        let subject = format!("column {table}.{column}");
        match base.as_str() {
            "int" | "integer" | "int4" | "smallint" | "int2" | "serial" | "serial4"
            | "smallserial" | "serial2" => self.find(
                Rule::PreferBigInt,
                format!("{subject} is {text}, a 32- or 16-bit integer"),
            ),
            _ => {}
        }
        if is_serial(&base) {
            self.find(
                Rule::PreferIdentity,
                format!("{subject} is {text}; identity columns replace serial"),
            );
        }
        if base == "varchar" && !params.is_empty() {
            self.find(
                Rule::PreferTextField,
                format!("{subject} is {text}; its length cannot be raised later without a lock"),
            );
        }
        if base == "timestamp" || base == "timestamp without time zone" || base == "datetime" {
            self.find(
                Rule::PreferTimestamptz,
                format!("{subject} is {text}, without a time zone"),
            );
        }
        if matches!(
            base.as_str(),
            "char" | "character" | "bpchar" | "nchar" | "national character"
        ) {
            self.find(
                Rule::BanCharField,
                format!("{subject} is {text}, blank-padded"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::rewrite_free;

    #[test]
    fn widening_needs_no_rewrite() {
        assert!(rewrite_free("varchar(50)", "varchar(100)"));
        assert!(rewrite_free("character varying(50)", "text"));
        assert!(rewrite_free("varchar(50)", "varchar"));
        assert!(rewrite_free("numeric(10,2)", "numeric(12,2)"));
        assert!(!rewrite_free("varchar(100)", "varchar(50)"));
        assert!(!rewrite_free("integer", "bigint"));
        assert!(!rewrite_free("numeric(10,2)", "numeric(12,3)"));
        assert!(!rewrite_free("text", "integer"));
    }
}
