//! One call on [`Ops`] that a generated migration makes: applied here (to
//! test and lint a migration before it is written) and written as Rust by
//! [`super::rust`], built the same way in both places.

use arx_migrate_core::ops::AlterColumn;
use arx_migrate_core::sea_query::{
    ColumnDef, ColumnType, Expr, ForeignKey, ForeignKeyAction, ForeignKeyCreateStatement, Index,
    IntoIden, Keyword, Table,
};
use arx_migrate_core::{Backend, Ops, Result};

/// A foreign key's referential action other than `NO ACTION`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    /// `CASCADE`.
    Cascade,
    /// `SET NULL`.
    SetNull,
    /// `SET DEFAULT`.
    SetDefault,
    /// `RESTRICT`.
    Restrict,
}

impl Action {
    /// Reads `CASCADE`, `SET NULL`, …: `Some(None)` for `NO ACTION`,
    /// `None` for words that are no action.
    pub fn parse(words: &str) -> Option<Option<Action>> {
        match words.trim().to_ascii_uppercase().as_str() {
            "NO ACTION" => Some(None),
            "CASCADE" => Some(Some(Action::Cascade)),
            "SET NULL" => Some(Some(Action::SetNull)),
            "SET DEFAULT" => Some(Some(Action::SetDefault)),
            "RESTRICT" => Some(Some(Action::Restrict)),
            _ => None,
        }
    }

    pub(super) fn sea_query(self) -> ForeignKeyAction {
        match self {
            Action::Cascade => ForeignKeyAction::Cascade,
            Action::SetNull => ForeignKeyAction::SetNull,
            Action::SetDefault => ForeignKeyAction::SetDefault,
            Action::Restrict => ForeignKeyAction::Restrict,
        }
    }

    pub(super) fn rust(self) -> &'static str {
        match self {
            Action::Cascade => "ForeignKeyAction::Cascade",
            Action::SetNull => "ForeignKeyAction::SetNull",
            Action::SetDefault => "ForeignKeyAction::SetDefault",
            Action::Restrict => "ForeignKeyAction::Restrict",
        }
    }
}

/// A column as [`Ops::add_column`] gets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewColumn {
    /// Its name.
    pub name: String,
    /// Its type, as the backend spells it.
    pub data_type: String,
    /// Whether it is NOT NULL.
    pub not_null: bool,
    /// Its default, as the backend prints it.
    pub default: Option<String>,
}

/// A foreign key as [`Ops::add_foreign_key`] gets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewForeignKey {
    /// Its name.
    pub name: String,
    /// The table it belongs to.
    pub table: String,
    /// Its columns.
    pub columns: Vec<String>,
    /// The table it references.
    pub ref_table: String,
    /// The referenced columns.
    pub ref_columns: Vec<String>,
    /// `ON DELETE`.
    pub on_delete: Option<Action>,
    /// `ON UPDATE`.
    pub on_update: Option<Action>,
}

/// One call on [`Ops`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// Raw SQL on one backend ([`Ops::postgres`], [`Ops::sqlite`]).
    Sql {
        /// The backend it runs on.
        backend: Backend,
        /// The statement.
        sql: String,
    },
    /// [`Ops::require_extension`].
    RequireExtension(String),
    /// `op.exec(Table::drop().table(..))`.
    DropTable(String),
    /// [`Ops::rename_table`].
    RenameTable {
        /// The old name.
        from: String,
        /// The new name.
        to: String,
    },
    /// [`Ops::add_column`].
    AddColumn {
        /// The table.
        table: String,
        /// The column.
        column: NewColumn,
    },
    /// [`Ops::drop_column`].
    DropColumn {
        /// The table.
        table: String,
        /// The column.
        column: String,
    },
    /// [`Ops::rename_column`].
    RenameColumn {
        /// The table.
        table: String,
        /// The old name.
        from: String,
        /// The new name.
        to: String,
    },
    /// [`Ops::alter_column`]: only what is `Some` changes.
    AlterColumn {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// The new type.
        data_type: Option<String>,
        /// NOT NULL or not.
        not_null: Option<bool>,
        /// The new default, or `Some(None)` to drop it.
        default: Option<Option<String>>,
    },
    /// [`Ops::create_index`] over plain columns.
    CreateIndex {
        /// The index.
        name: String,
        /// Its table.
        table: String,
        /// Its columns.
        columns: Vec<String>,
        /// Whether it is unique.
        unique: bool,
    },
    /// [`Ops::drop_index`].
    DropIndex(String),
    /// [`Ops::add_foreign_key`].
    AddForeignKey(NewForeignKey),
    /// [`Ops::add_foreign_key_not_valid`]: on an existing table, validated
    /// by a later [`Call::ValidateConstraint`].
    AddForeignKeyNotValid(NewForeignKey),
    /// [`Ops::drop_foreign_key`].
    DropForeignKey {
        /// The table.
        table: String,
        /// The key.
        name: String,
    },
    /// [`Ops::add_check`].
    AddCheck {
        /// The table.
        table: String,
        /// The constraint.
        name: String,
        /// Its expression, as the backend prints it.
        expression: String,
    },
    /// [`Ops::add_check_not_valid`]: on an existing table, validated by a
    /// later [`Call::ValidateConstraint`].
    AddCheckNotValid {
        /// The table.
        table: String,
        /// The constraint.
        name: String,
        /// Its expression, as the backend prints it.
        expression: String,
    },
    /// [`Ops::validate_constraint`].
    ValidateConstraint {
        /// The table.
        table: String,
        /// The constraint.
        name: String,
    },
    /// [`Ops::set_not_null`]: on an existing table, through a validated
    /// check.
    SetNotNull {
        /// The table.
        table: String,
        /// The column.
        column: String,
    },
    /// [`Ops::drop_check`].
    DropCheck {
        /// The table.
        table: String,
        /// The constraint.
        name: String,
    },
    /// [`Ops::add_unique`].
    AddUnique {
        /// The table.
        table: String,
        /// The constraint.
        name: String,
        /// Its columns.
        columns: Vec<String>,
    },
    /// [`Ops::drop_unique`].
    DropUnique {
        /// The table.
        table: String,
        /// The constraint.
        name: String,
    },
    /// [`Ops::set_primary_key`].
    SetPrimaryKey {
        /// The table.
        table: String,
        /// The key's columns.
        columns: Vec<String>,
    },
}

/// An expression written as it is (a default, a CHECK), never wrapped or
/// quoted: the backend printed it, and reads it back the same.
pub fn raw(sql: &str) -> Expr {
    Expr::Keyword(Keyword::Custom(sql.to_string().into_iden()))
}

fn strs(list: &[String]) -> Vec<&str> {
    list.iter().map(String::as_str).collect()
}

impl Call {
    /// Makes the call on `op`, as the generated Rust code makes it.
    pub fn apply(&self, op: &mut Ops<'_>) -> Result<()> {
        match self {
            Call::Sql {
                backend: Backend::Postgres,
                sql,
            } => op.postgres(sql.as_str()),
            Call::Sql {
                backend: Backend::Sqlite,
                sql,
            } => op.sqlite(sql.as_str()),
            Call::Sql {
                backend: Backend::Mysql,
                sql,
            } => op.mysql(sql.as_str()),
            Call::RequireExtension(name) => op.require_extension(name),
            Call::DropTable(table) => op.exec(Table::drop().table(table.clone())),
            Call::RenameTable { from, to } => op.rename_table(from, to),
            Call::AddColumn { table, column } => {
                let mut def = ColumnDef::new(column.name.clone());
                def.custom(column.data_type.clone());
                if column.not_null {
                    def.not_null();
                }
                if let Some(default) = &column.default {
                    def.default(raw(default));
                }
                op.add_column(table, &def)
            }
            Call::DropColumn { table, column } => op.drop_column(table, column),
            Call::RenameColumn { table, from, to } => op.rename_column(table, from, to),
            Call::AlterColumn {
                table,
                column,
                data_type,
                not_null,
                default,
            } => {
                let mut change = AlterColumn::new();
                if let Some(data_type) = data_type {
                    change = change.set_type(ColumnType::custom(data_type.clone()));
                }
                match not_null {
                    Some(true) => change = change.set_not_null(),
                    Some(false) => change = change.drop_not_null(),
                    None => {}
                }
                match default {
                    Some(Some(default)) => change = change.set_default(raw(default)),
                    Some(None) => change = change.drop_default(),
                    None => {}
                }
                op.alter_column(table, column, change)
            }
            Call::CreateIndex {
                name,
                table,
                columns,
                unique,
            } => {
                let mut index = Index::create();
                index.name(name.clone());
                index.table(table.clone());
                for column in columns {
                    index.col(column.clone());
                }
                if *unique {
                    index.unique();
                }
                op.create_index(&index)
            }
            Call::DropIndex(name) => op.drop_index(name),
            Call::AddForeignKey(key) => op.add_foreign_key(&key.sea_query()),
            Call::AddForeignKeyNotValid(key) => op.add_foreign_key_not_valid(&key.sea_query()),
            Call::DropForeignKey { table, name } => op.drop_foreign_key(table, name),
            Call::AddCheck {
                table,
                name,
                expression,
            } => op.add_check(table, name, raw(expression)),
            Call::AddCheckNotValid {
                table,
                name,
                expression,
            } => op.add_check_not_valid(table, name, raw(expression)),
            Call::ValidateConstraint { table, name } => op.validate_constraint(table, name),
            Call::SetNotNull { table, column } => op.set_not_null(table, column),
            Call::DropCheck { table, name } => op.drop_check(table, name),
            Call::AddUnique {
                table,
                name,
                columns,
            } => op.add_unique(table, name, &strs(columns)),
            Call::DropUnique { table, name } => op.drop_unique(table, name),
            Call::SetPrimaryKey { table, columns } => op.set_primary_key(table, &strs(columns)),
        }
    }
}

impl NewForeignKey {
    /// The key as the sea-query statement `Ops` takes.
    fn sea_query(&self) -> ForeignKeyCreateStatement {
        let mut fk = ForeignKey::create();
        fk.name(self.name.clone());
        fk.from_tbl(self.table.clone());
        for column in &self.columns {
            fk.from_col(column.clone());
        }
        fk.to_tbl(self.ref_table.clone());
        for column in &self.ref_columns {
            fk.to_col(column.clone());
        }
        if let Some(action) = self.on_delete {
            fk.on_delete(action.sea_query());
        }
        if let Some(action) = self.on_update {
            fk.on_update(action.sea_query());
        }
        fk
    }
}
