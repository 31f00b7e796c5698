//! The portable alterations: one call on [`Ops`] changes an existing table
//! on both backends.
//!
//! On PostgreSQL each is its native `ALTER TABLE` (or `CREATE`/`DROP
//! INDEX`), sent at once. On SQLite, renames and indexes are native too;
//! the other alterations of a table are queued and made together
//! ([`super::sqlite_batch`]): by SQLite's own `ALTER TABLE` when it can
//! (adding a plain column, dropping an unused one), else by one rebuild of
//! the table ([`super::sqlite_rebuild`]).
//!
//! On MariaDB and MySQL each is one `ALTER TABLE` with the `ALGORITHM` and
//! `LOCK` clauses the change allows ([`super::mysql_alter`]).
//!
//! Checksums, `lint` and `show` see each SQLite alteration as the ALTER
//! statement it stands for, so they do not depend on the database. An
//! offline script (`upgrade --sql`) cannot contain a rebuild, which needs
//! the live table: rendering one is an error that says so.

use sea_query::{
    ColumnDef, ColumnType, Expr, ForeignKeyAction, ForeignKeyCreateStatement, IndexCreateStatement,
    MysqlQueryBuilder, PostgresQueryBuilder, QueryBuilder, SqliteQueryBuilder, Table, TableBuilder,
    TableName, TableRef,
};

use super::context::Ops;
use super::mysql_alter::{backtick, backtick_list, ModifyColumn, Online};
use super::sqlite_batch::Native;
use super::sqlite_ddl::{Column, ColumnConstraintKind, ConstraintKind};
use super::sqlite_rebuild::TableChange;
use super::statement::column_type_unsupported;
use crate::backend::{quote_literal, Backend};
use crate::error::Result;
use crate::not_api::panic::catch_quietly;
use crate::not_api::text::quote_ident;

/// How [`Ops::alter_column`] changes a column: only what is set changes.
///
/// ```
/// # extern crate arx_migrate_core as arx_migrate;
/// use arx_migrate::AlterColumn;
/// use arx_migrate::{render, Backend, Direction, FnMigration};
/// use arx_migrate::sea_query::{ColumnType, StringLen};
///
/// let widen_names = FnMigration::new(
///     "r2",
///     &["r1"],
///     |op| {
///         let change = AlterColumn::new().set_type(ColumnType::Text).set_not_null().set_default("");
///         op.alter_column("rooms", "name", change)
///     },
///     |op| {
///         let back = AlterColumn::new()
///             .set_type(ColumnType::String(StringLen::N(255)))
///             .drop_not_null()
///             .drop_default();
///         op.alter_column("rooms", "name", back)
///     },
/// );
/// let sql = render(&widen_names, Backend::Postgres, Direction::Upgrade).into_result()?;
/// assert_eq!(
///     sql,
///     [r#"ALTER TABLE "rooms" ALTER COLUMN "name" TYPE text USING "name"::text, ALTER COLUMN "name" SET NOT NULL, ALTER COLUMN "name" SET DEFAULT ''"#]
/// );
/// # Ok::<(), arx_migrate_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct AlterColumn {
    data_type: Option<ColumnType>,
    not_null: Option<bool>,
    default: Option<Option<Expr>>,
    postgres_using: Option<String>,
    /// Set by [`AlterColumn::matching`] for a definition with more than a
    /// column change (a key, a CHECK, …), which is refused.
    more_than_a_column_change: bool,
}

impl AlterColumn {
    /// No change yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Changes the column's type. Existing values are converted:
    /// PostgreSQL with `USING "column"::type` (see
    /// [`AlterColumn::postgres_using`]), SQLite by its type affinity; a
    /// value that does not convert is an error and nothing changes.
    pub fn set_type(mut self, data_type: ColumnType) -> Self {
        self.data_type = Some(data_type);
        self
    }

    /// Makes the column NOT NULL; an error if a row holds NULL in it.
    pub fn set_not_null(mut self) -> Self {
        self.not_null = Some(true);
        self
    }

    /// Lets the column hold NULL.
    pub fn drop_not_null(mut self) -> Self {
        self.not_null = Some(false);
        self
    }

    /// Sets the default for new rows (existing rows keep their values).
    pub fn set_default(mut self, value: impl Into<Expr>) -> Self {
        self.default = Some(Some(value.into()));
        self
    }

    /// Removes the default.
    pub fn drop_default(mut self) -> Self {
        self.default = Some(None);
        self
    }

    /// The expression PostgreSQL converts existing values with, in place of
    /// `"column"::newtype` (for example `"to_number(code, '999')"`). SQLite
    /// ignores it.
    pub fn postgres_using(mut self, expression: impl Into<String>) -> Self {
        self.postgres_using = Some(expression.into());
        self
    }

    /// Every change that makes the column match `column`, a sea-query
    /// definition: its type (if it has one), NOT NULL or not, its default
    /// or none. Its name is not used. PRIMARY KEY, UNIQUE, a CHECK and the
    /// like are not column changes ([`Ops::set_primary_key`],
    /// [`Ops::add_unique`], [`Ops::add_check`]): [`Ops::alter_column`]
    /// refuses a definition that has them.
    ///
    /// ```
    /// use arx_migrate_core::ops::AlterColumn;
    /// use sea_query::ColumnDef;
    ///
    /// // The same as set_type(Text), set_not_null(), set_default("").
    /// let change = AlterColumn::matching(ColumnDef::new("name").text().not_null().default(""));
    /// ```
    pub fn matching(column: &ColumnDef) -> Self {
        let spec = column.get_column_spec();
        AlterColumn {
            data_type: column.get_column_type().cloned(),
            not_null: Some(spec.nullable == Some(false)),
            default: Some(spec.default.clone()),
            postgres_using: None,
            more_than_a_column_change: spec.primary_key
                || spec.unique
                || spec.auto_increment
                || spec.check.is_some()
                || spec.generated.is_some()
                || spec.extra.is_some(),
        }
    }

    fn is_empty(&self) -> bool {
        self.data_type.is_none() && self.not_null.is_none() && self.default.is_none()
    }
}

fn type_sql(backend: Backend, data_type: &ColumnType) -> std::result::Result<String, String> {
    if let Some(reason) = column_type_unsupported(backend, data_type, false) {
        return Err(reason);
    }
    catch_quietly(|| {
        let mut sql = String::new();
        match backend {
            Backend::Sqlite => {
                TableBuilder::prepare_column_type(&SqliteQueryBuilder, data_type, &mut sql)
            }
            Backend::Postgres => {
                TableBuilder::prepare_column_type(&PostgresQueryBuilder, data_type, &mut sql)
            }
            Backend::Mysql => {
                TableBuilder::prepare_column_type(&MysqlQueryBuilder, data_type, &mut sql)
            }
        }
        sql
    })
}

fn expr_sql(backend: Backend, expr: &Expr) -> std::result::Result<String, String> {
    catch_quietly(|| {
        let mut sql = String::new();
        match backend {
            Backend::Sqlite => QueryBuilder::prepare_expr(&SqliteQueryBuilder, expr, &mut sql),
            Backend::Postgres => QueryBuilder::prepare_expr(&PostgresQueryBuilder, expr, &mut sql),
            Backend::Mysql => QueryBuilder::prepare_expr(&MysqlQueryBuilder, expr, &mut sql),
        }
        sql
    })
}

/// A default as a column definition writes it: values and keywords as
/// they are, other expressions in parentheses (as sea-query does).
fn default_sql(backend: Backend, expr: &Expr) -> std::result::Result<String, String> {
    let sql = expr_sql(backend, expr)?;
    Ok(match expr {
        Expr::Value(_) | Expr::Constant(_) | Expr::Keyword(_) => sql,
        _ => format!("({sql})"),
    })
}

fn column_sql(backend: Backend, column: &ColumnDef) -> std::result::Result<String, String> {
    if let Some(data_type) = column.get_column_type() {
        if let Some(reason) =
            column_type_unsupported(backend, data_type, column.get_column_spec().auto_increment)
        {
            return Err(reason);
        }
    }
    catch_quietly(|| {
        let mut sql = String::new();
        match backend {
            Backend::Sqlite => SqliteQueryBuilder.prepare_column_def(column, &mut sql),
            Backend::Postgres => PostgresQueryBuilder.prepare_column_def(column, &mut sql),
            Backend::Mysql => MysqlQueryBuilder.prepare_column_def(column, &mut sql),
        }
        sql
    })
}

fn table_name(table: Option<&TableRef>) -> Option<String> {
    match table? {
        TableRef::Table(TableName(_, name), _) => Some(name.to_string()),
        _ => None,
    }
}

fn action_sql(action: ForeignKeyAction) -> Option<&'static str> {
    Some(match action {
        ForeignKeyAction::Restrict => "RESTRICT",
        ForeignKeyAction::Cascade => "CASCADE",
        ForeignKeyAction::SetNull => "SET NULL",
        ForeignKeyAction::NoAction => "NO ACTION",
        ForeignKeyAction::SetDefault => "SET DEFAULT",
        _ => return None,
    })
}

fn column_list(columns: &[impl AsRef<str>]) -> String {
    let quoted: Vec<String> = columns.iter().map(|c| quote_ident(c.as_ref())).collect();
    quoted.join(", ")
}

/// Whether SQLite's own `ADD COLUMN` takes this definition
/// (<https://www.sqlite.org/lang_altertable.html#alter_table_add_column>).
fn sqlite_can_add(definition: &str) -> bool {
    let Ok(column) = Column::parse(definition) else {
        return false;
    };
    let default = column.default_text().map(|d| {
        d.trim_start_matches(|c: char| c.is_ascii_alphabetic())
            .trim()
            .to_ascii_uppercase()
    });
    let constant_default = default
        .as_deref()
        .is_none_or(|d| !d.starts_with('(') && !d.starts_with("CURRENT_"));
    let null_default = default.as_deref().is_none_or(|d| d == "NULL");
    let allowed = column.constraints.iter().all(|c| match &c.kind {
        ColumnConstraintKind::PrimaryKey { .. }
        | ColumnConstraintKind::Unique
        | ColumnConstraintKind::Generated => false,
        ColumnConstraintKind::NotNull => !null_default,
        ColumnConstraintKind::References { .. } => null_default,
        _ => true,
    });
    allowed && constant_default
}

impl Ops<'_> {
    /// Adds a column, described with sea-query.
    ///
    /// On SQLite this is `ALTER TABLE … ADD COLUMN` where SQLite allows it
    /// (no PRIMARY KEY or UNIQUE, a constant default, NOT NULL only with a
    /// default); otherwise (say `DEFAULT CURRENT_TIMESTAMP`) the table is
    /// rebuilt. On MariaDB/MySQL it is `ALGORITHM=INSTANT`; with UNIQUE or
    /// PRIMARY KEY `INPLACE, LOCK=NONE`; an AUTO_INCREMENT column needs a
    /// copy of the table (`COPY`, with a warning).
    ///
    /// ```
    /// # extern crate arx_migrate_core as arx_migrate;
    /// use arx_migrate::{render, Backend, Direction, FnMigration};
    /// use arx_migrate::sea_query::ColumnDef;
    ///
    /// let area = FnMigration::new(
    ///     "r2",
    ///     &["r1"],
    ///     |op| op.add_column("rooms", ColumnDef::new("area_m2").double()),
    ///     |op| op.drop_column("rooms", "area_m2"),
    /// );
    /// let up = |backend| render(&area, backend, Direction::Upgrade).into_result();
    /// assert_eq!(up(Backend::Sqlite)?, [r#"ALTER TABLE "rooms" ADD COLUMN "area_m2" double"#]);
    /// assert_eq!(
    ///     up(Backend::Postgres)?,
    ///     [r#"ALTER TABLE "rooms" ADD COLUMN "area_m2" double precision"#]
    /// );
    /// # Ok::<(), arx_migrate_core::Error>(())
    /// ```
    pub fn add_column(&mut self, table: &str, column: &ColumnDef) -> Result<()> {
        let operation = format!("ADD COLUMN {table}.{}", column.get_column_name());
        match self.backend {
            Backend::Mysql => {
                let definition = column_sql(Backend::Mysql, column)
                    .map_err(|reason| self.unsupported(&operation, reason))?;
                let spec = column.get_column_spec();
                let online = if spec.auto_increment {
                    Online::Copy("adding an AUTO_INCREMENT column")
                } else if spec.primary_key || spec.unique {
                    // The key's index is built while writes go on.
                    Online::Inplace
                } else {
                    Online::Instant
                };
                self.mysql_alter(table, &format!("ADD COLUMN {definition}"), online)
            }
            Backend::Postgres => self.exec(
                Table::alter()
                    .table(table.to_string())
                    .add_column(column.clone()),
            ),
            Backend::Sqlite => {
                let definition = column_sql(Backend::Sqlite, column)
                    .map_err(|reason| self.unsupported(&operation, reason))?;
                let sql = format!("ALTER TABLE {} ADD COLUMN {definition}", quote_ident(table));
                let native = if sqlite_can_add(&definition) {
                    Native::Certain(sql.clone())
                } else {
                    Native::Never
                };
                self.alter_sqlite(
                    table,
                    &operation,
                    sql,
                    TableChange::AddColumn { definition },
                    native,
                )
            }
        }
    }

    /// Drops a column. As PostgreSQL does, the indexes and the table's
    /// constraints that use the column are dropped with it; a view, a
    /// trigger or another table's foreign key that uses it is an error
    /// (drop those first).
    ///
    /// On SQLite this is SQLite's `DROP COLUMN` where it allows it, else a
    /// rebuild. On MariaDB/MySQL `ALGORITHM=INPLACE, LOCK=NONE` (instant on
    /// MariaDB when no index uses the column).
    pub fn drop_column(&mut self, table: &str, column: &str) -> Result<()> {
        let sql = format!(
            "ALTER TABLE {} DROP COLUMN {}",
            quote_ident(table),
            quote_ident(column)
        );
        match self.backend {
            // INSTANT where no index uses the column (MariaDB takes it
            // under INPLACE), else an online rebuild.
            Backend::Mysql => self.mysql_alter(
                table,
                &format!("DROP COLUMN {}", backtick(column)),
                Online::Inplace,
            ),
            Backend::Postgres => self.run(sql),
            Backend::Sqlite => {
                let change = TableChange::DropColumn {
                    column: column.to_string(),
                };
                let operation = format!("DROP COLUMN {table}.{column}");
                self.alter_sqlite(table, &operation, sql.clone(), change, Native::Attempt(sql))
            }
        }
    }

    /// Renames a column; indexes, constraints, views and triggers follow
    /// (SQLite ≥ 3.25 rewrites them, PostgreSQL refers by id; MariaDB 10.5+
    /// and MySQL 8 rename with `ALGORITHM=INSTANT`).
    pub fn rename_column(&mut self, table: &str, from: &str, to: &str) -> Result<()> {
        if self.backend == Backend::Mysql {
            return self.mysql_alter(
                table,
                &format!("RENAME COLUMN {} TO {}", backtick(from), backtick(to)),
                Online::Instant,
            );
        }
        self.run(format!(
            "ALTER TABLE {} RENAME COLUMN {} TO {}",
            quote_ident(table),
            quote_ident(from),
            quote_ident(to)
        ))
    }

    /// Changes a column's type, nullability or default: see
    /// [`AlterColumn`]. On SQLite the table is rebuilt.
    ///
    /// On MariaDB/MySQL a default alone changes with `ALGORITHM=INSTANT`;
    /// NULL or NOT NULL with `MODIFY COLUMN … ALGORITHM=INPLACE, LOCK=NONE`
    /// (an online rebuild); a new type needs a copy of the table
    /// (`ALGORITHM=COPY, LOCK=SHARED`, with a `tracing` warning). `MODIFY
    /// COLUMN` restates the column: what the change leaves alone is read
    /// from `information_schema` on a live run; an offline script needs the
    /// type, the nullability and the default all given.
    pub fn alter_column(&mut self, table: &str, column: &str, change: AlterColumn) -> Result<()> {
        let operation = format!("ALTER COLUMN {table}.{column}");
        if change.is_empty() {
            return Err(self.unsupported(
                &operation,
                "the AlterColumn changes nothing; set a type, the nullability or the default"
                    .into(),
            ));
        }
        if change.more_than_a_column_change {
            return Err(self.unsupported(
                &operation,
                "the column definition has more than a type, NOT NULL and a default (a key, UNIQUE, a CHECK, …); alter_column changes only those: use set_primary_key, add_unique or add_check for the rest".into(),
            ));
        }
        let backend = self.backend;
        if backend == Backend::Mysql {
            return self.mysql_alter_column(table, column, &operation, change);
        }
        let c = quote_ident(column);
        let mut actions = Vec::new();
        let mut data_type = None;
        if let Some(new_type) = &change.data_type {
            let sql = type_sql(backend, new_type).map_err(|r| self.unsupported(&operation, r))?;
            match backend {
                Backend::Mysql => {}
                Backend::Postgres => {
                    let using = change
                        .postgres_using
                        .clone()
                        .unwrap_or_else(|| format!("{c}::{sql}"));
                    actions.push(format!("ALTER COLUMN {c} TYPE {sql} USING {using}"));
                }
                Backend::Sqlite => actions.push(format!("ALTER COLUMN {c} TYPE {sql}")),
            }
            data_type = Some(sql);
        }
        match change.not_null {
            Some(true) => actions.push(format!("ALTER COLUMN {c} SET NOT NULL")),
            Some(false) => actions.push(format!("ALTER COLUMN {c} DROP NOT NULL")),
            None => {}
        }
        let mut default = None;
        match &change.default {
            Some(Some(value)) => {
                let sql =
                    default_sql(backend, value).map_err(|r| self.unsupported(&operation, r))?;
                actions.push(format!("ALTER COLUMN {c} SET DEFAULT {sql}"));
                default = Some(Some(sql));
            }
            Some(None) => {
                actions.push(format!("ALTER COLUMN {c} DROP DEFAULT"));
                default = Some(None);
            }
            None => {}
        }
        let sql = format!("ALTER TABLE {} {}", quote_ident(table), actions.join(", "));
        match backend {
            Backend::Mysql => Ok(()),
            Backend::Postgres => self.run(sql),
            Backend::Sqlite => {
                let change = TableChange::AlterColumn {
                    column: column.to_string(),
                    data_type,
                    not_null: change.not_null,
                    default,
                };
                self.alter_sqlite(table, &operation, sql, change, Native::Never)
            }
        }
    }

    /// Creates an index, described with sea-query. On PostgreSQL, in a
    /// migration declared `transactional = false`, it is built
    /// `CONCURRENTLY` (without blocking writes to the table).
    ///
    /// Built concurrently, an index whose build fails is left `INVALID` by
    /// PostgreSQL; this drops it and builds again, up to three attempts in
    /// all, and drops a leftover `INVALID` index of the same name (from an
    /// earlier failed run) before building. A build that fails every time
    /// leaves no index behind.
    ///
    /// On MariaDB/MySQL the build is `ALGORITHM=INPLACE LOCK=NONE`: writes
    /// go on meanwhile (a SPATIAL or FULLTEXT index only with `LOCK=SHARED`).
    pub fn create_index(&mut self, index: &IndexCreateStatement) -> Result<()> {
        let mut index = index.clone();
        if self.backend == Backend::Mysql {
            return self.mysql_create_index(&index);
        }
        if self.backend == Backend::Postgres && !self.in_transaction {
            index.concurrently();
            let name = index.get_index_spec().get_name().map(str::to_string);
            let sql = match catch_quietly(|| index.to_string(PostgresQueryBuilder)) {
                Ok(sql) => sql,
                // What `exec` says of a statement sea-query cannot render.
                Err(_) => return self.exec(&index),
            };
            return self.build_index_concurrently(name.as_deref(), sql);
        }
        self.exec(&index)
    }

    /// Drops an index by name (`CONCURRENTLY` on PostgreSQL in a migration
    /// declared `transactional = false`). On MariaDB/MySQL, where index
    /// names are per table, a live run finds the one table with an index of
    /// that name and drops it with `ALGORITHM=INPLACE, LOCK=NONE`; an
    /// offline script cannot, and says so.
    pub fn drop_index(&mut self, name: &str) -> Result<()> {
        if self.backend == Backend::Mysql {
            return self.mysql_drop_index(name);
        }
        let concurrently = if self.backend == Backend::Postgres && !self.in_transaction {
            "CONCURRENTLY "
        } else {
            ""
        };
        self.run(format!("DROP INDEX {concurrently}{}", quote_ident(name)))
    }

    /// Adds a foreign key, described with sea-query: it needs a name
    /// (`.name(…)`), its table and columns (`.from(table, columns)`) and
    /// the referenced ones (`.to(table, columns)`). On SQLite the table is
    /// rebuilt, and rows that reference missing rows are an error. On
    /// MariaDB/MySQL checking the rows there needs a copy of the table
    /// (`ALGORITHM=COPY`, with a warning); [`Ops::add_foreign_key_not_valid`]
    /// adds it online instead.
    pub fn add_foreign_key(&mut self, foreign_key: &ForeignKeyCreateStatement) -> Result<()> {
        self.add_foreign_key_with(foreign_key, false)
    }

    pub(super) fn add_foreign_key_with(
        &mut self,
        foreign_key: &ForeignKeyCreateStatement,
        not_valid: bool,
    ) -> Result<()> {
        let key = foreign_key.get_foreign_key();
        let table = table_name(key.get_table());
        let ref_table = table_name(key.get_ref_table());
        let (columns, ref_columns) = (key.get_columns(), key.get_ref_columns());
        let (Some(name), Some(table), Some(ref_table)) = (key.get_name(), table, ref_table) else {
            return Err(self.unsupported(
                "ADD FOREIGN KEY",
                "give the foreign key a name (.name(…)), its table (.from(table, columns)) and the table it references (.to(table, columns))".into(),
            ));
        };
        let operation = format!("ADD FOREIGN KEY {name} ON {table}");
        if columns.is_empty() || columns.len() != ref_columns.len() {
            return Err(self.unsupported(
                &operation,
                "give as many referenced columns as columns, at least one (.from(table, columns), .to(table, columns))".into(),
            ));
        }
        // PostgreSQL's plain form is sea-query's, as it always was (the
        // checksums of applied migrations depend on it); NOT VALID and
        // SQLite's rebuild take the definition written here.
        if self.backend == Backend::Postgres && !not_valid {
            return self.exec(foreign_key);
        }
        let mut definition = if self.backend == Backend::Mysql {
            format!(
                "CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({})",
                backtick(name),
                backtick_list(&columns),
                backtick(&ref_table),
                backtick_list(&ref_columns)
            )
        } else {
            format!(
                "CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({})",
                quote_ident(name),
                column_list(&columns),
                quote_ident(&ref_table),
                column_list(&ref_columns)
            )
        };
        for (event, action) in [
            ("DELETE", key.get_on_delete()),
            ("UPDATE", key.get_on_update()),
        ] {
            let Some(action) = action else { continue };
            let Some(words) = action_sql(action) else {
                return Err(
                    self.unsupported(&operation, format!("unknown ON {event} action {action:?}"))
                );
            };
            definition.push_str(&format!(" ON {event} {words}"));
        }
        self.add_constraint_with(&table, &operation, definition, not_valid)
    }

    /// Drops a foreign key by name. On SQLite the table is rebuilt; an
    /// unnamed key is found by the name PostgreSQL would have given it
    /// (`<table>_<columns>_fkey`).
    pub fn drop_foreign_key(&mut self, table: &str, name: &str) -> Result<()> {
        if self.backend == Backend::Mysql {
            // The index InnoDB made for the key stays, as on PostgreSQL.
            return self.mysql_alter(
                table,
                &format!("DROP FOREIGN KEY {}", backtick(name)),
                Online::Inplace,
            );
        }
        self.drop_constraint(table, name, ConstraintKind::ForeignKey)
    }

    /// Adds a named CHECK constraint; existing rows must pass it. On SQLite
    /// the table is rebuilt; on MariaDB/MySQL it is copied
    /// (`ALGORITHM=COPY, LOCK=SHARED`, with a warning: neither checks the
    /// rows in place).
    ///
    /// ```
    /// # extern crate arx_migrate_core as arx_migrate;
    /// use arx_migrate::{render, Backend, Direction, FnMigration};
    /// use arx_migrate::sea_query::{Expr, ExprTrait};
    ///
    /// let check = FnMigration::new(
    ///     "r2",
    ///     &["r1"],
    ///     |op| op.add_check("rooms", "ck_rooms_floor", Expr::col("floor_id").gte(0)),
    ///     |op| op.drop_check("rooms", "ck_rooms_floor"),
    /// );
    /// let sql = render(&check, Backend::Postgres, Direction::Upgrade).into_result()?;
    /// assert_eq!(sql, [r#"ALTER TABLE "rooms" ADD CONSTRAINT "ck_rooms_floor" CHECK ("floor_id" >= 0)"#]);
    /// # Ok::<(), arx_migrate_core::Error>(())
    /// ```
    pub fn add_check(&mut self, table: &str, name: &str, check: Expr) -> Result<()> {
        self.add_check_with(table, name, check, false)
    }

    pub(super) fn add_check_with(
        &mut self,
        table: &str,
        name: &str,
        check: Expr,
        not_valid: bool,
    ) -> Result<()> {
        let operation = format!("ADD CHECK {name} ON {table}");
        let expr = expr_sql(self.backend, &check).map_err(|r| self.unsupported(&operation, r))?;
        let quoted = if self.backend == Backend::Mysql {
            backtick(name)
        } else {
            quote_ident(name)
        };
        let definition = format!("CONSTRAINT {quoted} CHECK ({expr})");
        self.add_constraint_with(table, &operation, definition, not_valid)
    }

    /// Drops a CHECK constraint by name (on SQLite by rebuilding; an
    /// unnamed column CHECK is found as `<table>_<column>_check`).
    pub fn drop_check(&mut self, table: &str, name: &str) -> Result<()> {
        self.drop_constraint(table, name, ConstraintKind::Check)
    }

    /// Adds a named UNIQUE constraint over `columns`; duplicate rows are an
    /// error. On SQLite the table is rebuilt.
    ///
    /// On PostgreSQL, in a migration declared `transactional = false`, on
    /// a table that this migration did not create, the constraint's index
    /// is built first with `CREATE UNIQUE INDEX CONCURRENTLY` (writes go
    /// on meanwhile; see [`Ops::create_index`] for a failed build), then
    /// attached with `ADD CONSTRAINT … UNIQUE USING INDEX`, which takes its
    /// lock only for an instant. On MariaDB/MySQL the index is built with
    /// `ALGORITHM=INPLACE, LOCK=NONE`.
    ///
    /// ```
    /// # extern crate arx_migrate_core as arx_migrate;
    /// use arx_migrate::{render, Backend, Direction, FnMigration};
    ///
    /// let unique = FnMigration::new(
    ///     "r2",
    ///     &["r1"],
    ///     |op| op.add_unique("rooms", "uq_rooms_code", &["code"]),
    ///     |op| op.drop_unique("rooms", "uq_rooms_code"),
    /// )
    /// .non_transactional();
    /// let sql = render(&unique, Backend::Postgres, Direction::Upgrade).into_result()?;
    /// assert_eq!(
    ///     sql,
    ///     [
    ///         r#"CREATE UNIQUE INDEX CONCURRENTLY "uq_rooms_code" ON "rooms" ("code")"#,
    ///         r#"ALTER TABLE "rooms" ADD CONSTRAINT "uq_rooms_code" UNIQUE USING INDEX "uq_rooms_code""#,
    ///     ]
    /// );
    /// # Ok::<(), arx_migrate_core::Error>(())
    /// ```
    pub fn add_unique(&mut self, table: &str, name: &str, columns: &[&str]) -> Result<()> {
        let operation = format!("ADD UNIQUE {name} ON {table}");
        if self.backend == Backend::Mysql {
            let definition = format!(
                "CONSTRAINT {} UNIQUE ({})",
                backtick(name),
                backtick_list(columns)
            );
            return self.add_constraint(table, &operation, definition);
        }
        if self.backend == Backend::Postgres && !self.in_transaction && !self.created_here(table) {
            let (t, n) = (quote_ident(table), quote_ident(name));
            self.build_index_concurrently(
                Some(name),
                format!(
                    "CREATE UNIQUE INDEX CONCURRENTLY {n} ON {t} ({})",
                    column_list(columns)
                ),
            )?;
            return self.run(format!(
                "ALTER TABLE {t} ADD CONSTRAINT {n} UNIQUE USING INDEX {n}"
            ));
        }
        let definition = format!(
            "CONSTRAINT {} UNIQUE ({})",
            quote_ident(name),
            column_list(columns)
        );
        self.add_constraint(table, &operation, definition)
    }

    /// Drops a UNIQUE constraint by name (on SQLite by rebuilding; an
    /// unnamed one is found as `<table>_<columns>_key`, PostgreSQL's name).
    pub fn drop_unique(&mut self, table: &str, name: &str) -> Result<()> {
        self.drop_constraint(table, name, ConstraintKind::Unique)
    }

    /// Makes `columns` the table's primary key, in place of the one it has.
    /// On PostgreSQL the key is the constraint `<table>_pkey` (the name
    /// PostgreSQL gives a primary key by default). On SQLite the table is
    /// rebuilt; the values of a former `INTEGER PRIMARY KEY` are kept. On
    /// MariaDB/MySQL (`ALGORITHM=INPLACE, LOCK=NONE`) the table must have a
    /// primary key already, as InnoDB tables do.
    pub fn set_primary_key(&mut self, table: &str, columns: &[&str]) -> Result<()> {
        let key = quote_ident(&format!("{table}_pkey"));
        let sql = format!(
            "ALTER TABLE {} DROP CONSTRAINT IF EXISTS {key}, ADD CONSTRAINT {key} PRIMARY KEY ({})",
            quote_ident(table),
            column_list(columns)
        );
        match self.backend {
            Backend::Mysql => self.mysql_alter(
                table,
                &format!(
                    "DROP PRIMARY KEY, ADD PRIMARY KEY ({})",
                    backtick_list(columns)
                ),
                Online::Inplace,
            ),
            Backend::Postgres => self.run(sql),
            Backend::Sqlite => {
                let change = TableChange::SetPrimaryKey {
                    columns: columns.iter().map(|c| c.to_string()).collect(),
                };
                let operation = format!("SET PRIMARY KEY ON {table}");
                self.alter_sqlite(table, &operation, sql, change, Native::Never)
            }
        }
    }

    /// Renames a table (on SQLite ≥ 3.26 the foreign keys, triggers and
    /// views that name it follow).
    ///
    /// On PostgreSQL its primary key `<from>_pkey`, if it has one by that
    /// name, becomes `<to>_pkey`, as if the table had been created under
    /// the new name (and as [`Ops::set_primary_key`] expects). Other names
    /// derived from the old table name (`<from>_<column>_key`, a serial's
    /// `<from>_<column>_seq`) are kept, as PostgreSQL keeps them.
    pub fn rename_table(&mut self, from: &str, to: &str) -> Result<()> {
        if self.backend == Backend::Mysql {
            return self.mysql_alter(
                from,
                &format!("RENAME TO {}", backtick(to)),
                Online::Instant,
            );
        }
        self.run(format!(
            "ALTER TABLE {} RENAME TO {}",
            quote_ident(from),
            quote_ident(to)
        ))?;
        if self.backend == Backend::Postgres {
            let (old_key, new_key) = (format!("{from}_pkey"), format!("{to}_pkey"));
            self.run(format!(
                "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = {}::regclass AND conname = {}) \
                 THEN ALTER TABLE {} RENAME CONSTRAINT {} TO {}; END IF; END $$",
                quote_literal(&quote_ident(to)),
                quote_literal(&old_key),
                quote_ident(to),
                quote_ident(&old_key),
                quote_ident(&new_key)
            ))?;
        }
        Ok(())
    }

    fn add_constraint(&mut self, table: &str, operation: &str, definition: String) -> Result<()> {
        self.add_constraint_with(table, operation, definition, false)
    }

    /// Adds a constraint; `not_valid` (PostgreSQL) skips checking the
    /// rows there now. SQLite has no such form: its rebuild checks them.
    pub(super) fn add_constraint_with(
        &mut self,
        table: &str,
        operation: &str,
        definition: String,
        not_valid: bool,
    ) -> Result<()> {
        let sql = format!("ALTER TABLE {} ADD {definition}", quote_ident(table));
        match self.backend {
            // Without checking the rows there: online (foreign keys only;
            // MySQL has no NOT VALID, and a CHECK is always checked).
            Backend::Mysql if not_valid && definition.contains(" FOREIGN KEY ") => {
                self.run("SET foreign_key_checks = 0".to_string())?;
                let added = self.mysql_alter(table, &format!("ADD {definition}"), Online::Inplace);
                let restored = self.run("SET foreign_key_checks = 1".to_string());
                added.and(restored)
            }
            Backend::Mysql if definition.contains(" UNIQUE (") => {
                self.mysql_alter(table, &format!("ADD {definition}"), Online::Inplace)
            }
            Backend::Mysql => {
                let why = if definition.contains(" FOREIGN KEY ") {
                    "adding a foreign key checked against the rows there (add_foreign_key_not_valid adds it online)"
                } else {
                    "adding a CHECK constraint"
                };
                self.mysql_alter(table, &format!("ADD {definition}"), Online::Copy(why))
            }
            Backend::Postgres if not_valid => self.run(format!("{sql} NOT VALID")),
            Backend::Postgres => self.run(sql),
            Backend::Sqlite => {
                let change = TableChange::AddConstraint { definition };
                self.alter_sqlite(table, operation, sql, change, Native::Never)
            }
        }
    }

    fn drop_constraint(&mut self, table: &str, name: &str, kind: ConstraintKind) -> Result<()> {
        let sql = format!(
            "ALTER TABLE {} DROP CONSTRAINT {}",
            quote_ident(table),
            quote_ident(name)
        );
        match self.backend {
            Backend::Mysql => {
                let (action, online) = match kind {
                    ConstraintKind::ForeignKey => ("DROP FOREIGN KEY", Online::Inplace),
                    ConstraintKind::Unique => ("DROP INDEX", Online::Inplace),
                    _ => ("DROP CONSTRAINT", Online::Instant),
                };
                self.mysql_alter(table, &format!("{action} {}", backtick(name)), online)
            }
            Backend::Postgres => self.run(sql),
            Backend::Sqlite => {
                let change = TableChange::DropConstraint {
                    name: name.to_string(),
                    kind,
                };
                let operation = format!("DROP {} {name} ON {table}", kind.words().to_uppercase());
                self.alter_sqlite(table, &operation, sql, change, Native::Never)
            }
        }
    }
}

impl Ops<'_> {
    /// [`Ops::alter_column`] on MariaDB/MySQL: defaults by `ALTER COLUMN`
    /// (instant), the rest by `MODIFY COLUMN` ([`Ops::mysql_modify_column`]).
    fn mysql_alter_column(
        &mut self,
        table: &str,
        column: &str,
        operation: &str,
        change: AlterColumn,
    ) -> Result<()> {
        let data_type = match &change.data_type {
            Some(new_type) => Some(
                type_sql(Backend::Mysql, new_type).map_err(|r| self.unsupported(operation, r))?,
            ),
            None => None,
        };
        let default = match &change.default {
            Some(Some(value)) => Some(Some(
                default_sql(Backend::Mysql, value).map_err(|r| self.unsupported(operation, r))?,
            )),
            Some(None) => Some(None),
            None => None,
        };
        if data_type.is_none() && change.not_null.is_none() {
            let action = match &default {
                Some(Some(sql)) => format!("ALTER COLUMN {} SET DEFAULT {sql}", backtick(column)),
                _ => format!("ALTER COLUMN {} DROP DEFAULT", backtick(column)),
            };
            return self.mysql_alter(table, &action, Online::Instant);
        }
        self.mysql_modify_column(
            table,
            column,
            ModifyColumn {
                data_type,
                not_null: change.not_null,
                default,
            },
        )
    }

    /// [`Ops::create_index`] on MariaDB/MySQL: sea-query's statement with
    /// the online clauses.
    fn mysql_create_index(&mut self, index: &IndexCreateStatement) -> Result<()> {
        if let Some(reason) = super::statement::Statement::unsupported(index, Backend::Mysql) {
            return Err(self.unsupported("CREATE INDEX", reason));
        }
        let sql = catch_quietly(|| index.to_string(MysqlQueryBuilder)).map_err(|_| {
            self.unsupported(
                "CREATE INDEX",
                "sea-query cannot write this index for MySQL (a table named with its schema?); write it with op.mysql(\"CREATE INDEX …\")".to_string(),
            )
        })?;
        // sea-query keeps the index type private; its Debug text shows it.
        let debug = format!("{index:?}");
        let lock = if debug.contains("index_type: Some(FullText")
            || debug.contains("index_type: Some(Custom")
        {
            "LOCK=SHARED"
        } else {
            "LOCK=NONE"
        };
        self.run(format!("{sql} ALGORITHM=INPLACE {lock}"))
    }
}
