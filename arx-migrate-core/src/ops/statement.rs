//! [`Statement`]: the sea-query statements [`Ops::exec`] renders, and the
//! checks that find, before sea-query is called, the statements it would
//! panic on.
//!
//! sea-query panics (rather than returning an error) on statements a
//! backend cannot express: most SQLite `ALTER TABLE` changes, foreign-key
//! statements and `TRUNCATE` on SQLite, column types a backend lacks,
//! expression indexes on SQLite. Each is caught here first and reported as
//! [`crate::Error::Unsupported`], with the portable call to use instead
//! where there is one. What the checks cannot see (a newer sea-query's
//! panic) is caught by [`crate::not_api::panic`], silently.
//!
//! Some statements keep their parts private; for those the checks read the
//! statement's `Debug` text (with every string literal blanked out first,
//! so that user text cannot look like a variant name).
//!
//! [`Ops::exec`]: super::Ops::exec

use sea_query::{
    ColumnType, MysqlQueryBuilder, PostgresQueryBuilder, SqliteQueryBuilder, TableName, TableRef,
};

use crate::backend::Backend;

/// A statement [`Ops::exec`](super::Ops::exec) can render: every sea-query
/// schema statement (tables, indexes, foreign keys) and every sea-query
/// data statement (insert, update, delete; values are inlined).
pub trait Statement {
    /// The SQL for `backend`. May panic where sea-query does, unless
    /// [`Statement::unsupported`] said why first.
    fn render(&self, backend: Backend) -> String;
    /// A short name of the operation, for errors ("ALTER TABLE").
    fn describe(&self) -> String;
    /// Why the statement cannot be rendered for `backend`, found without
    /// rendering it; `None` when it can (as far as can be seen).
    fn unsupported(&self, backend: Backend) -> Option<String> {
        let _ = backend;
        None
    }
}

macro_rules! schema_statements {
    ($($ty:ty => $name:literal, $check:path),* $(,)?) => {$(
        impl Statement for $ty {
            fn render(&self, backend: Backend) -> String {
                match backend {
                    Backend::Sqlite => self.build(SqliteQueryBuilder),
                    Backend::Postgres => self.build(PostgresQueryBuilder),
                    Backend::Mysql => self.build(MysqlQueryBuilder),
                }
            }
            fn describe(&self) -> String {
                $name.to_string()
            }
            fn unsupported(&self, backend: Backend) -> Option<String> {
                $check(self, backend)
            }
        }
    )*};
}

schema_statements! {
    sea_query::TableCreateStatement => "CREATE TABLE", check_create_table,
    sea_query::TableDropStatement => "DROP TABLE", no_check,
    sea_query::TableAlterStatement => "ALTER TABLE", check_alter_table,
    sea_query::TableRenameStatement => "ALTER TABLE … RENAME", no_check,
    sea_query::TableTruncateStatement => "TRUNCATE", check_truncate,
    sea_query::IndexCreateStatement => "CREATE INDEX", check_create_index,
    sea_query::IndexDropStatement => "DROP INDEX", no_check,
    sea_query::ForeignKeyCreateStatement => "ADD FOREIGN KEY", check_add_foreign_key,
    sea_query::ForeignKeyDropStatement => "DROP FOREIGN KEY", check_drop_foreign_key,
}

macro_rules! query_statements {
    ($($ty:ty => $name:literal),* $(,)?) => {$(
        impl Statement for $ty {
            fn render(&self, backend: Backend) -> String {
                match backend {
                    Backend::Sqlite => self.to_string(SqliteQueryBuilder),
                    Backend::Postgres => self.to_string(PostgresQueryBuilder),
                    Backend::Mysql => self.to_string(MysqlQueryBuilder),
                }
            }
            fn describe(&self) -> String {
                $name.to_string()
            }
        }
    )*};
}

query_statements! {
    sea_query::InsertStatement => "INSERT",
    sea_query::UpdateStatement => "UPDATE",
    sea_query::DeleteStatement => "DELETE",
}

impl<T: Statement + ?Sized> Statement for &T {
    fn render(&self, backend: Backend) -> String {
        (**self).render(backend)
    }
    fn describe(&self) -> String {
        (**self).describe()
    }
    fn unsupported(&self, backend: Backend) -> Option<String> {
        (**self).unsupported(backend)
    }
}

impl<T: Statement + ?Sized> Statement for &mut T {
    fn render(&self, backend: Backend) -> String {
        (**self).render(backend)
    }
    fn describe(&self) -> String {
        (**self).describe()
    }
    fn unsupported(&self, backend: Backend) -> Option<String> {
        (**self).unsupported(backend)
    }
}

fn no_check<T>(_: &T, _: Backend) -> Option<String> {
    None
}

/// Why sea-query cannot write `column_type` for `backend`.
pub(crate) fn column_type_unsupported(
    backend: Backend,
    column_type: &ColumnType,
    auto_increment: bool,
) -> Option<String> {
    let missing = match (backend, column_type) {
        (Backend::Sqlite, ColumnType::Interval(..)) => Some("interval"),
        (Backend::Sqlite, ColumnType::Array(_)) => Some("array"),
        (Backend::Sqlite, ColumnType::Vector(_)) => Some("vector"),
        (Backend::Sqlite, ColumnType::Cidr) => Some("cidr"),
        (Backend::Sqlite, ColumnType::Inet) => Some("inet"),
        (Backend::Sqlite, ColumnType::MacAddr) => Some("macaddr"),
        (Backend::Sqlite, ColumnType::Year) | (Backend::Postgres, ColumnType::Year) => Some("year"),
        (Backend::Sqlite, ColumnType::Bit(_)) => Some("bit"),
        (Backend::Sqlite, ColumnType::VarBit(_)) => Some("varbit"),
        (Backend::Sqlite, ColumnType::LTree) => Some("ltree"),
        (Backend::Mysql, ColumnType::Interval(..)) => Some("interval"),
        (Backend::Mysql, ColumnType::Array(_)) => Some("array"),
        (Backend::Mysql, ColumnType::Vector(_)) => Some("vector"),
        (Backend::Mysql, ColumnType::Cidr) => Some("cidr"),
        (Backend::Mysql, ColumnType::Inet) => Some("inet"),
        (Backend::Mysql, ColumnType::MacAddr) => Some("macaddr"),
        (Backend::Mysql, ColumnType::LTree) => Some("ltree"),
        _ => None,
    };
    if let Some(name) = missing {
        return Some(format!(
            "{backend} has no {name} type; give the column a type of this backend (ColumnDef::custom) or write per-backend SQL (op.postgres / op.sqlite / op.mysql)"
        ));
    }
    let integer = matches!(
        column_type,
        ColumnType::SmallInteger | ColumnType::Integer | ColumnType::BigInteger
    );
    if backend == Backend::Postgres && auto_increment && !integer {
        return Some(format!(
            "only smallint, integer and bigint columns can auto-increment on PostgreSQL, not {column_type:?}"
        ));
    }
    None
}

/// Whether sea-query can write `table` where a table name goes: a plain
/// name, without alias (and on SQLite without schema where `naked` is
/// asked for).
fn plain_table(table: &TableRef, naked: bool) -> bool {
    match table {
        TableRef::Table(TableName(schema, _), None) => !naked || schema.is_none(),
        _ => false,
    }
}

const ALIASED_TABLE: &str =
    "a table given with an alias, a subquery or a function cannot be rendered here; name the table plainly";

fn check_create_table(
    create: &sea_query::TableCreateStatement,
    backend: Backend,
) -> Option<String> {
    if let Some(table) = create.get_table_name() {
        if !plain_table(table, false) {
            return Some(ALIASED_TABLE.to_string());
        }
    }
    for column in create.get_columns() {
        if let Some(column_type) = column.get_column_type() {
            if let Some(reason) = column_type_unsupported(
                backend,
                column_type,
                column.get_column_spec().auto_increment,
            ) {
                return Some(format!("column {}: {reason}", column.get_column_name()));
            }
        }
    }
    for foreign_key in create.get_foreign_key_create_stmts() {
        if let Some(table) = foreign_key.get_foreign_key().get_ref_table() {
            if !plain_table(table, false) {
                return Some(ALIASED_TABLE.to_string());
            }
        }
    }
    if backend == Backend::Sqlite {
        for index in create.get_indexes() {
            if let Some(reason) = check_create_index(index, backend) {
                return Some(reason);
            }
        }
    }
    None
}

fn check_alter_table(alter: &sea_query::TableAlterStatement, backend: Backend) -> Option<String> {
    let text = DebugText::of(alter);
    let options = text.list_items("options: [");
    if options.is_empty() {
        return Some("the ALTER TABLE names no change".to_string());
    }
    if let Some(reason) = text.column_types_unsupported(backend) {
        return Some(reason);
    }
    if backend != Backend::Sqlite {
        return None;
    }
    for option in &options {
        let instead = match option.as_str() {
            "ModifyColumn" => "op.alter_column(table, column, AlterColumn::new()…)",
            "AddForeignKey" => "op.add_foreign_key(…)",
            "DropForeignKey" => "op.drop_foreign_key(table, name)",
            "DropConstraint" => "op.drop_check / op.drop_unique (table, name)",
            _ => continue,
        };
        return Some(format!(
            "SQLite's ALTER TABLE cannot make this change ({option}); use {instead}, which rebuilds the table on SQLite and alters it in place on PostgreSQL"
        ));
    }
    if options.len() > 1 {
        return Some(format!(
            "SQLite's ALTER TABLE makes one change per statement, this one has {} ({}); use one op.exec per change, or the portable calls (op.add_column, op.drop_column, …)",
            options.len(),
            options.join(", ")
        ));
    }
    None
}

fn check_truncate(_: &sea_query::TableTruncateStatement, backend: Backend) -> Option<String> {
    (backend == Backend::Sqlite).then(|| {
        "SQLite has no TRUNCATE; delete the rows instead (sea_query::Query::delete().from_table(…))"
            .to_string()
    })
}

fn check_create_index(index: &sea_query::IndexCreateStatement, backend: Backend) -> Option<String> {
    let text = DebugText::of(index);
    if text.contains("table: Some(SubQuery(")
        || text.contains("table: Some(ValuesList(")
        || text.contains("table: Some(FunctionCall(")
    {
        return Some(ALIASED_TABLE.to_string());
    }
    match backend {
        // An index names its table with at most a database (MySQL's
        // schema), which sea-query writes.
        Backend::Mysql => {}
        Backend::Sqlite => {
            if text.contains("Expr(IndexColumnExpr") {
                return Some(
                    "sea-query cannot write an expression index for SQLite; write it as raw SQL with op.sqlite(\"CREATE INDEX …\")"
                        .to_string(),
                );
            }
            if text.contains("table: Some(Table(TableName(Some(") {
                return Some(
                    "an SQLite index names its table without a schema; drop the schema from the table name"
                        .to_string(),
                );
            }
        }
        Backend::Postgres => {
            if text.contains("SchemaName(Some(") {
                return Some(
                    "a PostgreSQL index names its table as table or schema.table, not database.schema.table"
                        .to_string(),
                );
            }
        }
    }
    None
}

fn check_add_foreign_key(
    _: &sea_query::ForeignKeyCreateStatement,
    backend: Backend,
) -> Option<String> {
    (backend == Backend::Sqlite).then(|| {
        "SQLite cannot add a foreign key to an existing table with ALTER TABLE; use op.add_foreign_key(…), which rebuilds the table on SQLite (or declare the key in CREATE TABLE)"
            .to_string()
    })
}

fn check_drop_foreign_key(
    _: &sea_query::ForeignKeyDropStatement,
    backend: Backend,
) -> Option<String> {
    (backend == Backend::Sqlite).then(|| {
        "SQLite cannot drop a foreign key with ALTER TABLE; use op.drop_foreign_key(table, name), which rebuilds the table on SQLite"
            .to_string()
    })
}

/// A statement's `Debug` text with the contents of every string literal
/// blanked, so that searching it finds only the statement's structure.
struct DebugText(String);

impl DebugText {
    fn of(value: &impl std::fmt::Debug) -> Self {
        let raw = format!("{value:?}");
        let mut out = String::with_capacity(raw.len());
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            out.push(c);
            if c == '"' {
                // Debug escapes quotes and backslashes inside strings.
                while let Some(inner) = chars.next() {
                    match inner {
                        '\\' => {
                            chars.next();
                        }
                        '"' => {
                            out.push('"');
                            break;
                        }
                        _ => {}
                    }
                }
            }
        }
        DebugText(out)
    }

    fn contains(&self, pattern: &str) -> bool {
        self.0.contains(pattern)
    }

    /// The variant names of the items of the list that follows `marker`.
    fn list_items(&self, marker: &str) -> Vec<String> {
        let Some(start) = self.0.find(marker) else {
            return Vec::new();
        };
        let text = &self.0[start + marker.len()..];
        let mut items = Vec::new();
        let mut depth = 0usize;
        let mut expecting = true;
        for (i, c) in text.char_indices() {
            match c {
                '(' | '[' | '{' => depth += 1,
                ')' | '}' => depth = depth.saturating_sub(1),
                ']' if depth == 0 => break,
                ']' => depth -= 1,
                ',' if depth == 0 => expecting = true,
                c if expecting && depth == 0 && c.is_ascii_alphabetic() => {
                    let name: String = text[i..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    items.push(name);
                    expecting = false;
                }
                _ => {}
            }
        }
        items
    }

    /// Checks every `types: Some(…)` of the statement's column definitions.
    fn column_types_unsupported(&self, backend: Backend) -> Option<String> {
        let unsupported: &[&str] = match backend {
            Backend::Sqlite => &[
                "Interval", "Array", "Vector", "Cidr", "Inet", "MacAddr", "Year", "Bit", "VarBit",
                "LTree",
            ],
            Backend::Postgres => &["Year"],
            Backend::Mysql => &[
                "Interval", "Array", "Vector", "Cidr", "Inet", "MacAddr", "LTree",
            ],
        };
        for (at, _) in self.0.match_indices("types: Some(") {
            let rest = &self.0[at + "types: Some(".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            if unsupported.contains(&name.as_str()) {
                return Some(format!(
                    "{backend} has no {} type; give the column a type of this backend (ColumnDef::custom) or write per-backend SQL (op.postgres / op.sqlite / op.mysql)",
                    name.to_lowercase()
                ));
            }
        }
        if backend == Backend::Postgres && self.0.contains("auto_increment: true") {
            for (at, _) in self.0.match_indices("types: Some(") {
                let rest = &self.0[at + "types: Some(".len()..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .collect();
                let spec = rest.find("auto_increment: ").map(|i| &rest[i..]);
                let auto = spec.is_some_and(|s| s.starts_with("auto_increment: true"));
                if auto && !matches!(name.as_str(), "SmallInteger" | "Integer" | "BigInteger") {
                    return Some(format!(
                        "only smallint, integer and bigint columns can auto-increment on PostgreSQL, not {name}"
                    ));
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_query::{ColumnDef, ExprTrait, ForeignKey, Index, Table, TableForeignKey};

    fn rendered_or_reason(statement: &impl Statement, backend: Backend) -> Result<String, String> {
        match statement.unsupported(backend) {
            Some(reason) => Err(reason),
            None => crate::not_api::panic::catch_quietly(|| statement.render(backend)),
        }
    }

    #[test]
    fn every_sqlite_alter_that_sea_query_panics_on_is_found_first() {
        let statements = [
            Table::alter()
                .table("t")
                .modify_column(ColumnDef::new("c").text())
                .take(),
            Table::alter()
                .table("t")
                .add_foreign_key(
                    TableForeignKey::new()
                        .name("f")
                        .from_col("c")
                        .to_tbl("u")
                        .to_col("id"),
                )
                .take(),
            Table::alter().table("t").drop_foreign_key("f").take(),
            Table::alter()
                .table("t")
                .add_column(ColumnDef::new("a").text())
                .add_column(ColumnDef::new("b").text())
                .take(),
            Table::alter().table("t").take(),
            Table::alter()
                .table("t")
                .add_column(ColumnDef::new("a").interval(None, None))
                .take(),
        ];
        for statement in &statements {
            let reason = statement.unsupported(Backend::Sqlite);
            assert!(reason.is_some(), "not caught: {statement:?}");
            assert!(
                crate::not_api::panic::catch_quietly(|| statement.render(Backend::Sqlite)).is_err(),
                "sea-query renders it after all: {statement:?}"
            );
        }
    }

    #[test]
    fn what_sea_query_renders_passes_the_checks() {
        let fine = [
            Table::alter()
                .table("t")
                .add_column(ColumnDef::new("a").text())
                .take(),
            Table::alter().table("t").drop_column("a").take(),
            Table::alter().table("t").rename_column("a", "b").take(),
        ];
        for statement in &fine {
            for backend in [Backend::Sqlite, Backend::Postgres] {
                assert!(
                    rendered_or_reason(statement, backend).is_ok(),
                    "{statement:?}"
                );
            }
        }
        let several = Table::alter()
            .table("t")
            .add_column(ColumnDef::new("a").text())
            .modify_column(ColumnDef::new("b").integer())
            .take();
        assert!(rendered_or_reason(&several, Backend::Postgres).is_ok());
    }

    #[test]
    fn user_text_that_looks_like_a_variant_is_not_mistaken_for_one() {
        let statement = Table::alter()
            .table("t")
            .add_column(
                ColumnDef::new("a")
                    .text()
                    .default("ModifyColumn(\" x, AddForeignKey("),
            )
            .take();
        assert_eq!(statement.unsupported(Backend::Sqlite), None);
    }

    #[test]
    fn foreign_keys_truncate_and_expression_indexes_on_sqlite() {
        let fk = ForeignKey::create()
            .name("f")
            .from("t", "c")
            .to("u", "id")
            .take();
        assert!(fk.unsupported(Backend::Sqlite).is_some());
        assert!(rendered_or_reason(&fk, Backend::Postgres).is_ok());
        let drop = ForeignKey::drop().name("f").table("t").to_owned();
        assert!(drop.unsupported(Backend::Sqlite).is_some());
        let truncate = Table::truncate().table("t").take();
        assert!(truncate.unsupported(Backend::Sqlite).is_some());
        let index = Index::create()
            .name("i")
            .table("t")
            .col(sea_query::Expr::col("a").add(1))
            .take();
        assert!(index.unsupported(Backend::Sqlite).is_some());
        assert!(rendered_or_reason(&index, Backend::Postgres).is_ok());
    }

    #[test]
    fn column_types_a_backend_lacks() {
        let create = Table::create()
            .table("t")
            .col(ColumnDef::new("a").inet())
            .take();
        assert!(create.unsupported(Backend::Sqlite).is_some());
        assert!(rendered_or_reason(&create, Backend::Postgres).is_ok());
        let serial_text = Table::create()
            .table("t")
            .col(ColumnDef::new("a").text().auto_increment())
            .take();
        assert!(serial_text.unsupported(Backend::Postgres).is_some());
        assert!(
            crate::not_api::panic::catch_quietly(|| serial_text.render(Backend::Postgres)).is_err()
        );
    }
}
