//! Runs the rules over one migration's parsed statements (in one direction)
//! while applying their effect to the schema model.

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use sqlparser::ast::{
    visit_expressions, AlterColumnOperation, AlterTableOperation, ColumnDef, ColumnOption,
    CreateIndex, CreateTable, Expr, Ident, IndexColumn, ObjectName, ObjectType,
    RenameTableNameKind, Statement as Ast, TableConstraint,
};

use super::model::{Column, ForeignKey, Index, Model, Table};
use super::parse::Parsed;
use super::report::Finding;
use super::rules::Rule;
use arx_migrate_core::backend::Backend;
use arx_migrate_core::error::Direction;

/// A name as both backends compare it: the last part, lowercased.
pub(crate) fn ident(ident: &Ident) -> String {
    ident.value.to_lowercase()
}

fn object_name(name: &ObjectName) -> String {
    name.0
        .last()
        .map(|part| match part.as_ident() {
            Some(i) => ident(i),
            None => part.to_string().to_lowercase(),
        })
        .unwrap_or_default()
}

/// The column an index column names, or the expression's text.
fn index_column(column: &IndexColumn) -> (String, bool) {
    match &column.column.expr {
        Expr::Identifier(i) => (ident(i), true),
        Expr::CompoundIdentifier(parts) => (parts.last().map(ident).unwrap_or_default(), true),
        other => (other.to_string().to_lowercase(), false),
    }
}

fn plain_columns(columns: &[IndexColumn]) -> Vec<String> {
    columns.iter().map(|c| index_column(c).0).collect()
}

/// Every column name an expression mentions.
fn identifiers(expr: &Expr) -> Vec<String> {
    let mut out = Vec::new();
    let _ = visit_expressions(expr, |e: &Expr| {
        match e {
            Expr::Identifier(i) if i.quote_style.is_some() || !is_keyword_value(&i.value) => {
                out.push(ident(i))
            }
            Expr::CompoundIdentifier(parts) => {
                if let Some(last) = parts.last() {
                    out.push(ident(last));
                }
            }
            _ => {}
        }
        ControlFlow::<()>::Continue(())
    });
    out
}

/// Bare words some dialects read as identifiers but that name no column.
fn is_keyword_value(word: &str) -> bool {
    matches!(
        word.to_ascii_lowercase().as_str(),
        "true"
            | "false"
            | "null"
            | "current_timestamp"
            | "current_date"
            | "current_time"
            | "localtime"
            | "localtimestamp"
    )
}

const VOLATILE: &[&str] = &[
    "now",
    "random",
    "current_timestamp",
    "current_date",
    "current_time",
    "localtime",
    "localtimestamp",
    "clock_timestamp",
    "statement_timestamp",
    "transaction_timestamp",
    "timeofday",
    "gen_random_uuid",
    "uuid_generate_v1",
    "uuid_generate_v4",
    "nextval",
    "currval",
    "setval",
    "txid_current",
    "randomblob",
    "changes",
    "total_changes",
    "last_insert_rowid",
];

const SQLITE_DATE_FUNCTIONS: &[&str] = &[
    "date",
    "time",
    "datetime",
    "julianday",
    "unixepoch",
    "strftime",
    "timediff",
];

/// The volatile functions an expression calls.
fn volatile_functions(expr: &Expr) -> Vec<String> {
    let mut out = Vec::new();
    let _ = visit_expressions(expr, |e: &Expr| {
        match e {
            Expr::Function(function) => {
                let name = object_name(&function.name);
                let text = function.to_string().to_lowercase();
                if VOLATILE.contains(&name.as_str())
                    || (SQLITE_DATE_FUNCTIONS.contains(&name.as_str())
                        && (text.contains("'now'") || text.ends_with("()")))
                {
                    out.push(name);
                }
            }
            Expr::Identifier(i) if i.quote_style.is_none() => {
                let word = i.value.to_lowercase();
                if VOLATILE.contains(&word.as_str()) {
                    out.push(word);
                }
            }
            _ => {}
        }
        ControlFlow::<()>::Continue(())
    });
    out.dedup();
    out
}

fn has_implicit_default(column: &ColumnDef) -> bool {
    let data_type = column.data_type.to_string().to_lowercase();
    matches!(
        data_type.as_str(),
        "serial" | "bigserial" | "smallserial" | "serial4" | "serial8" | "serial2"
    ) || column.options.iter().any(|o| {
        matches!(
            o.option,
            ColumnOption::Default(_) | ColumnOption::Generated { .. } | ColumnOption::Identity(_)
        )
    })
}

/// Lints one direction of one migration.
pub(crate) struct MigrationLint<'a> {
    backend: Backend,
    revision: &'a str,
    direction: Direction,
    /// Tables that existed before the migration started.
    existing: BTreeSet<String>,
    /// Names a later statement of the migration renames a table to: a
    /// DROP TABLE of one of them is half of a table rebuild.
    rebuilt: BTreeSet<String>,
    lock_timeout: bool,
    lock_reported: bool,
    /// Foreign keys added here: (table, columns, statement).
    pending_fks: Vec<(String, Vec<String>, String)>,
    /// What was found.
    pub findings: Vec<Finding>,
    /// How many statements could not be parsed.
    pub unparsed: usize,
}

impl<'a> MigrationLint<'a> {
    pub(crate) fn new(
        backend: Backend,
        revision: &'a str,
        direction: Direction,
        model: &Model,
    ) -> Self {
        MigrationLint {
            backend,
            revision,
            direction,
            existing: model.tables.keys().cloned().collect(),
            rebuilt: BTreeSet::new(),
            lock_timeout: false,
            lock_reported: false,
            pending_fks: Vec::new(),
            findings: Vec::new(),
            unparsed: 0,
        }
    }

    fn upgrade(&self) -> bool {
        self.direction == Direction::Upgrade
    }

    fn postgres(&self) -> bool {
        self.backend == Backend::Postgres
    }

    fn existing(&self, table: &str) -> bool {
        self.existing.contains(table)
    }

    pub(crate) fn find(&mut self, rule: Rule, statement: Option<&str>, message: String) {
        self.findings.push(Finding {
            rule,
            severity: rule.severity(),
            revision: self.revision.to_string(),
            direction: self.direction.as_str().to_string(),
            statement: statement.map(str::to_string),
            message,
            fix: rule.fix().to_string(),
            allowed: None,
        });
    }

    /// A statement that takes a strong lock on `table`.
    fn strong_lock(&mut self, table: &str, sql: &str, what: &str) {
        if self.postgres()
            && self.upgrade()
            && self.existing(table)
            && !self.lock_timeout
            && !self.lock_reported
        {
            self.lock_reported = true;
            self.find(
                Rule::MissingLockTimeout,
                Some(sql),
                format!("{what} locks existing table {table} and no lock_timeout is set before it in this migration"),
            );
        }
    }

    /// Applies and checks every statement, then the end-of-migration rules.
    pub(crate) fn run(&mut self, model: &mut Model, statements: &[Parsed]) {
        for parsed in statements {
            if let Parsed::Statement { ast, .. } = parsed {
                if let Ast::AlterTable(alter) = ast.as_ref() {
                    for op in &alter.operations {
                        if let AlterTableOperation::RenameTable {
                            table_name: RenameTableNameKind::To(n) | RenameTableNameKind::As(n),
                        } = op
                        {
                            self.rebuilt.insert(object_name(n));
                        }
                    }
                }
            }
        }
        for parsed in statements {
            match parsed {
                Parsed::Statement { sql, ast } => {
                    let lower = sql.to_lowercase();
                    if lower.contains("lock_timeout") {
                        self.lock_timeout = true;
                    }
                    self.statement(model, ast, sql);
                }
                Parsed::Unparsed { sql, error } => {
                    self.unparsed += 1;
                    if sql.to_lowercase().contains("lock_timeout") {
                        self.lock_timeout = true;
                    }
                    self.find(
                        Rule::UnparsedStatement,
                        Some(sql),
                        format!("not checked: the SQL parser cannot read this statement ({error})"),
                    );
                }
            }
        }
        if self.upgrade() {
            for (table, columns, sql) in std::mem::take(&mut self.pending_fks) {
                if model.tables.contains_key(&table)
                    && !model.has_index_starting_with(&table, &columns)
                {
                    self.find(
                        Rule::FkWithoutIndex,
                        Some(&sql),
                        format!(
                            "foreign key {table}({}) has no index starting with its column(s)",
                            columns.join(", ")
                        ),
                    );
                }
            }
        }
    }

    fn statement(&mut self, model: &mut Model, ast: &Ast, sql: &str) {
        match ast {
            Ast::CreateTable(create) => self.create_table(model, create, sql),
            Ast::CreateVirtualTable {
                name,
                if_not_exists,
                module_args,
                ..
            } => {
                let name = object_name(name);
                if model.tables.contains_key(&name) {
                    if !if_not_exists {
                        self.find(
                            Rule::DuplicateName,
                            Some(sql),
                            format!("table {name} already exists"),
                        );
                    }
                    return;
                }
                let mut table = Table::new();
                table.columns_known = false;
                table.columns = module_args
                    .iter()
                    .map(|a| Column {
                        name: ident(a),
                        data_type: String::new(),
                        not_null: false,
                        default: None,
                    })
                    .collect();
                model.tables.insert(name, table);
            }
            Ast::CreateIndex(create) => self.create_index(model, create, sql),
            Ast::AlterTable(alter) => {
                let table = object_name(&alter.name);
                if !model.tables.contains_key(&table) {
                    if !alter.if_exists {
                        self.find(
                            Rule::UnknownTable,
                            Some(sql),
                            format!("ALTER TABLE {table}: no table {table} exists at this point of the chain"),
                        );
                    }
                    return;
                }
                self.strong_lock(&table, sql, "ALTER TABLE");
                for op in &alter.operations {
                    self.alter(model, &table, op, sql);
                }
            }
            Ast::Drop {
                object_type,
                if_exists,
                names,
                ..
            } => self.drop(model, *object_type, *if_exists, names, sql),
            Ast::Truncate(truncate) => {
                for target in &truncate.table_names {
                    let table = object_name(&target.name);
                    if !model.tables.contains_key(&table) {
                        self.find(
                            Rule::UnknownTable,
                            Some(sql),
                            format!("TRUNCATE {table}: no such table"),
                        );
                    } else {
                        self.strong_lock(&table, sql, "TRUNCATE");
                    }
                }
            }
            _ => {}
        }
    }

    fn foreign_key_target(&mut self, model: &Model, table: &str, ref_table: &str, sql: &str) {
        if ref_table != table && !model.tables.contains_key(ref_table) {
            self.find(
                Rule::UnknownTable,
                Some(sql),
                format!("{table} references table {ref_table}, which is not created at this point of the chain"),
            );
        }
    }

    fn create_table(&mut self, model: &mut Model, create: &CreateTable, sql: &str) {
        let name = object_name(&create.name);
        if model.tables.contains_key(&name) {
            if !create.if_not_exists {
                self.find(
                    Rule::DuplicateName,
                    Some(sql),
                    format!("table {name} already exists"),
                );
            }
            return;
        }
        if model.indexes.contains_key(&name) && self.postgres() {
            self.find(
                Rule::DuplicateName,
                Some(sql),
                format!("{name} is already the name of an index"),
            );
        }
        let mut table = Table::new();
        table.columns_known =
            create.query.is_none() && create.like.is_none() && create.clone.is_none();
        let mut fks: Vec<ForeignKey> = Vec::new();
        for column in &create.columns {
            let column_name = ident(&column.name);
            if table.column(&column_name).is_some() {
                self.find(
                    Rule::DuplicateName,
                    Some(sql),
                    format!("column {name}.{column_name} is defined twice"),
                );
            }
            let mut def = Column {
                name: column_name.clone(),
                data_type: column.data_type.to_string().to_lowercase(),
                not_null: false,
                default: None,
            };
            for option in &column.options {
                match &option.option {
                    ColumnOption::NotNull => def.not_null = true,
                    ColumnOption::Default(expr) => def.default = Some(expr.to_string()),
                    ColumnOption::PrimaryKey(_) => {
                        def.not_null = true;
                        table.primary_key = vec![column_name.clone()];
                    }
                    ColumnOption::Unique(_) => {
                        table.uniques.push((None, vec![column_name.clone()]))
                    }
                    ColumnOption::ForeignKey(fk) => fks.push(ForeignKey {
                        name: option.name.as_ref().map(ident),
                        columns: vec![column_name.clone()],
                        ref_table: object_name(&fk.foreign_table),
                    }),
                    _ => {}
                }
            }
            table.columns.push(def);
        }
        for constraint in &create.constraints {
            match constraint {
                TableConstraint::PrimaryKey(pk) => {
                    table.primary_key = plain_columns(&pk.columns);
                    for column in &table.primary_key.clone() {
                        if let Some(c) = table.column_mut(column) {
                            c.not_null = true;
                        }
                    }
                }
                TableConstraint::Unique(unique) => table.uniques.push((
                    unique.name.as_ref().map(ident),
                    plain_columns(&unique.columns),
                )),
                TableConstraint::ForeignKey(fk) => fks.push(ForeignKey {
                    name: fk.name.as_ref().map(ident),
                    columns: fk.columns.iter().map(ident).collect(),
                    ref_table: object_name(&fk.foreign_table),
                }),
                _ => {}
            }
        }
        for key in table.primary_key.clone().iter().chain(
            table
                .uniques
                .iter()
                .flat_map(|u| u.1.iter())
                .cloned()
                .collect::<Vec<_>>()
                .iter(),
        ) {
            if table.lacks(key) {
                self.find(
                    Rule::UnknownColumn,
                    Some(sql),
                    format!("key column {name}.{key} is not a column of the table"),
                );
            }
        }
        for fk in &fks {
            self.foreign_key_target(model, &name, &fk.ref_table, sql);
            for column in &fk.columns {
                if table.lacks(column) {
                    self.find(
                        Rule::UnknownColumn,
                        Some(sql),
                        format!("foreign key column {name}.{column} is not a column of the table"),
                    );
                }
            }
            self.pending_fks
                .push((name.clone(), fk.columns.clone(), sql.to_string()));
        }
        table.foreign_keys = fks;
        model.tables.insert(name, table);
    }

    fn create_index(&mut self, model: &mut Model, create: &CreateIndex, sql: &str) {
        let table_name = object_name(&create.table_name);
        let name = create.name.as_ref().map(object_name);
        if let Some(name) = &name {
            if model.indexes.contains_key(name) {
                if !create.if_not_exists {
                    self.find(
                        Rule::DuplicateName,
                        Some(sql),
                        format!("index {name} already exists"),
                    );
                }
                return;
            }
            if model.tables.contains_key(name) {
                self.find(
                    Rule::DuplicateName,
                    Some(sql),
                    format!("{name} is already the name of a table"),
                );
            }
        }
        let label = name.clone().unwrap_or_else(|| format!("on {table_name}"));
        let Some(table) = model.tables.get(&table_name) else {
            self.find(
                Rule::UnknownTable,
                Some(sql),
                format!(
                    "index {label}: table {table_name} does not exist at this point of the chain"
                ),
            );
            return;
        };
        let mut unknown: Vec<String> = Vec::new();
        let mut columns = Vec::new();
        let mut volatile = Vec::new();
        for column in &create.columns {
            let (text, plain) = index_column(column);
            if plain {
                if table.lacks(&text) {
                    unknown.push(text.clone());
                }
            } else {
                unknown.extend(
                    identifiers(&column.column.expr)
                        .into_iter()
                        .filter(|c| table.lacks(c)),
                );
                volatile.extend(volatile_functions(&column.column.expr));
            }
            columns.push(text);
        }
        for include in &create.include {
            let column = ident(include);
            if table.lacks(&column) {
                unknown.push(column);
            }
        }
        if let Some(predicate) = &create.predicate {
            unknown.extend(
                identifiers(predicate)
                    .into_iter()
                    .filter(|c| table.lacks(c)),
            );
            volatile.extend(volatile_functions(predicate));
        }
        unknown.dedup();
        if !unknown.is_empty() {
            self.find(
                Rule::IndexUnknownColumn,
                Some(sql),
                format!(
                    "index {label} names column(s) {} that table {table_name} does not have",
                    unknown.join(", ")
                ),
            );
        }
        if !volatile.is_empty() {
            volatile.sort();
            volatile.dedup();
            self.find(
                Rule::VolatileIndexPredicate,
                Some(sql),
                format!("index {label} uses volatile function(s) {}; index predicates and expressions must be immutable", volatile.join(", ")),
            );
        }
        if !create.concurrently {
            if self.postgres() && self.upgrade() && self.existing(&table_name) {
                self.find(
                    Rule::IndexNotConcurrent,
                    Some(sql),
                    format!("index {label} is built without CONCURRENTLY on existing table {table_name}, blocking its writes"),
                );
            }
            self.strong_lock(&table_name, sql, "CREATE INDEX");
        }
        if let Some(name) = name {
            model.indexes.insert(
                name,
                Index {
                    table: table_name,
                    columns,
                    unique: create.unique,
                    predicate: create.predicate.as_ref().map(|p| p.to_string()),
                },
            );
        }
    }

    fn alter(&mut self, model: &mut Model, table_name: &str, op: &AlterTableOperation, sql: &str) {
        let existing = self.existing(table_name);
        let upgrade = self.upgrade();
        let Some(table) = model.tables.get(table_name) else {
            return;
        };
        match op {
            AlterTableOperation::AddColumn {
                if_not_exists,
                column_def,
                ..
            } => {
                let column = ident(&column_def.name);
                if table.column(&column).is_some() {
                    if !if_not_exists {
                        self.find(
                            Rule::DuplicateName,
                            Some(sql),
                            format!("column {table_name}.{column} already exists"),
                        );
                    }
                    return;
                }
                let not_null = column_def.options.iter().any(|o| {
                    matches!(
                        o.option,
                        ColumnOption::NotNull | ColumnOption::PrimaryKey(_)
                    )
                });
                if not_null && !has_implicit_default(column_def) && existing && upgrade {
                    self.find(
                        Rule::NotNullWithoutDefault,
                        Some(sql),
                        format!("column {table_name}.{column} is added NOT NULL without a default to an existing table"),
                    );
                }
                let mut def = Column {
                    name: column.clone(),
                    data_type: column_def.data_type.to_string().to_lowercase(),
                    not_null,
                    default: None,
                };
                let mut fk = None;
                for option in &column_def.options {
                    match &option.option {
                        ColumnOption::Default(expr) => def.default = Some(expr.to_string()),
                        ColumnOption::ForeignKey(f) => fk = Some(object_name(&f.foreign_table)),
                        _ => {}
                    }
                }
                if let Some(ref_table) = fk {
                    self.foreign_key_target(model, table_name, &ref_table, sql);
                    self.pending_fks.push((
                        table_name.to_string(),
                        vec![column.clone()],
                        sql.to_string(),
                    ));
                    if let Some(t) = model.tables.get_mut(table_name) {
                        t.foreign_keys.push(ForeignKey {
                            name: None,
                            columns: vec![column.clone()],
                            ref_table,
                        });
                    }
                }
                if let Some(t) = model.tables.get_mut(table_name) {
                    t.columns.push(def);
                }
            }
            AlterTableOperation::DropColumn {
                column_names,
                if_exists,
                ..
            } => {
                for column in column_names.iter().map(ident) {
                    let Some(t) = model.tables.get(table_name) else {
                        return;
                    };
                    if t.lacks(&column) {
                        if !if_exists {
                            self.find(
                                Rule::UnknownColumn,
                                Some(sql),
                                format!("DROP COLUMN {table_name}.{column}: no such column"),
                            );
                        }
                        continue;
                    }
                    if existing && upgrade {
                        self.find(Rule::DropColumn, Some(sql), format!("column {table_name}.{column} of an existing table is dropped with its data"));
                    }
                    if let Some(t) = model.tables.get_mut(table_name) {
                        t.columns.retain(|c| c.name != column);
                        t.foreign_keys.retain(|fk| !fk.columns.contains(&column));
                        t.uniques.retain(|u| !u.1.contains(&column));
                    }
                    model.indexes.retain(|_, index| {
                        !(index.table == table_name && index.columns.contains(&column))
                    });
                }
            }
            AlterTableOperation::RenameColumn {
                old_column_name,
                new_column_name,
            } => {
                let (old, new) = (ident(old_column_name), ident(new_column_name));
                if table.lacks(&old) {
                    self.find(
                        Rule::UnknownColumn,
                        Some(sql),
                        format!("RENAME COLUMN {table_name}.{old}: no such column"),
                    );
                    return;
                }
                if table.column(&new).is_some() {
                    self.find(
                        Rule::DuplicateName,
                        Some(sql),
                        format!("column {table_name}.{new} already exists"),
                    );
                    return;
                }
                if existing && upgrade {
                    self.find(
                        Rule::Rename,
                        Some(sql),
                        format!(
                            "column {table_name}.{old} of an existing table is renamed to {new}"
                        ),
                    );
                }
                if let Some(t) = model.tables.get_mut(table_name) {
                    if let Some(c) = t.column_mut(&old) {
                        c.name = new.clone();
                    }
                    for list in std::iter::once(&mut t.primary_key)
                        .chain(t.uniques.iter_mut().map(|u| &mut u.1))
                        .chain(t.foreign_keys.iter_mut().map(|f| &mut f.columns))
                    {
                        for c in list.iter_mut() {
                            if *c == old {
                                *c = new.clone();
                            }
                        }
                    }
                }
                for index in model.indexes.values_mut().filter(|i| i.table == table_name) {
                    for c in index.columns.iter_mut() {
                        if *c == old {
                            *c = new.clone();
                        }
                    }
                }
            }
            AlterTableOperation::RenameTable {
                table_name: RenameTableNameKind::To(n) | RenameTableNameKind::As(n),
            } => {
                let new = object_name(n);
                if model.tables.contains_key(&new) {
                    self.find(
                        Rule::DuplicateName,
                        Some(sql),
                        format!("table {new} already exists"),
                    );
                    return;
                }
                if existing && upgrade {
                    self.find(
                        Rule::Rename,
                        Some(sql),
                        format!("existing table {table_name} is renamed to {new}"),
                    );
                }
                model.rename_table(table_name, &new);
            }
            AlterTableOperation::AlterColumn { column_name, op } => {
                let column = ident(column_name);
                if table.lacks(&column) {
                    self.find(
                        Rule::UnknownColumn,
                        Some(sql),
                        format!("ALTER COLUMN {table_name}.{column}: no such column"),
                    );
                    return;
                }
                if let AlterColumnOperation::SetDataType { data_type, .. } = op {
                    if existing && upgrade {
                        self.find(
                            Rule::AlterColumnType,
                            Some(sql),
                            format!("column {table_name}.{column} of an existing table changes type to {data_type}"),
                        );
                    }
                }
                let Some(c) = model
                    .tables
                    .get_mut(table_name)
                    .and_then(|t| t.column_mut(&column))
                else {
                    return;
                };
                match op {
                    AlterColumnOperation::SetNotNull => c.not_null = true,
                    AlterColumnOperation::DropNotNull => c.not_null = false,
                    AlterColumnOperation::SetDefault { value } => {
                        c.default = Some(value.to_string())
                    }
                    AlterColumnOperation::DropDefault => c.default = None,
                    AlterColumnOperation::SetDataType { data_type, .. } => {
                        c.data_type = data_type.to_string().to_lowercase()
                    }
                    _ => {}
                }
            }
            AlterTableOperation::AddConstraint { constraint, .. } => match constraint {
                TableConstraint::ForeignKey(fk) => {
                    let ref_table = object_name(&fk.foreign_table);
                    let columns: Vec<String> = fk.columns.iter().map(ident).collect();
                    self.foreign_key_target(model, table_name, &ref_table, sql);
                    for column in &columns {
                        if table.lacks(column) {
                            self.find(
                                Rule::UnknownColumn,
                                Some(sql),
                                format!("foreign key column {table_name}.{column}: no such column"),
                            );
                        }
                    }
                    self.pending_fks.push((
                        table_name.to_string(),
                        columns.clone(),
                        sql.to_string(),
                    ));
                    if let Some(t) = model.tables.get_mut(table_name) {
                        t.foreign_keys.push(ForeignKey {
                            name: fk.name.as_ref().map(ident),
                            columns,
                            ref_table,
                        });
                    }
                }
                TableConstraint::Unique(unique) => {
                    if let Some(t) = model.tables.get_mut(table_name) {
                        t.uniques.push((
                            unique.name.as_ref().map(ident),
                            plain_columns(&unique.columns),
                        ));
                    }
                }
                TableConstraint::PrimaryKey(pk) => {
                    if let Some(t) = model.tables.get_mut(table_name) {
                        t.primary_key = plain_columns(&pk.columns);
                    }
                }
                _ => {}
            },
            AlterTableOperation::DropConstraint { name, .. }
            | AlterTableOperation::DropForeignKey { name, .. } => {
                let name = ident(name);
                if let Some(t) = model.tables.get_mut(table_name) {
                    t.foreign_keys
                        .retain(|fk| fk.name.as_deref() != Some(name.as_str()));
                    t.uniques.retain(|u| u.0.as_deref() != Some(name.as_str()));
                    if name == format!("{table_name}_pkey") {
                        t.primary_key.clear();
                    }
                }
            }
            AlterTableOperation::DropPrimaryKey { .. } => {
                if let Some(t) = model.tables.get_mut(table_name) {
                    t.primary_key.clear();
                }
            }
            _ => {}
        }
    }

    fn drop(
        &mut self,
        model: &mut Model,
        object_type: ObjectType,
        if_exists: bool,
        names: &[ObjectName],
        sql: &str,
    ) {
        match object_type {
            ObjectType::Table => {
                for name in names.iter().map(object_name) {
                    if !model.tables.contains_key(&name) {
                        if !if_exists {
                            self.find(Rule::UnknownTable, Some(sql), format!("DROP TABLE {name}: no table {name} exists at this point of the chain"));
                        }
                        continue;
                    }
                    if self.existing(&name) && self.upgrade() && !self.rebuilt.contains(&name) {
                        self.find(
                            Rule::DropTable,
                            Some(sql),
                            format!("existing table {name} is dropped with its data"),
                        );
                    }
                    self.strong_lock(&name, sql, "DROP TABLE");
                    model.drop_table(&name);
                }
            }
            ObjectType::Index => {
                for name in names.iter().map(object_name) {
                    match model.indexes.remove(&name) {
                        None => {
                            if !if_exists {
                                self.find(Rule::UnknownIndex, Some(sql), format!("DROP INDEX {name}: no index {name} exists at this point of the chain"));
                            }
                        }
                        Some(index) => {
                            if !sql.to_lowercase().contains("concurrently") {
                                self.strong_lock(&index.table, sql, "DROP INDEX");
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
}
