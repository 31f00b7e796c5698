//! Comparing two snapshots: every difference, named.

use serde::Serialize;

use super::equivalence::Equivalence;
use super::snapshot::{ObjectSnapshot, SchemaSnapshot, TableSnapshot};
use arx_migrate_core::text::md_cell;

/// What kind of difference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DriftKind {
    /// A table the migrations create is not in the database.
    MissingTable,
    /// The database has a table the migrations do not create.
    ExtraTable,
    /// A column is missing.
    MissingColumn,
    /// The database has an extra column.
    ExtraColumn,
    /// A column's type differs.
    ColumnType,
    /// A column's nullability differs.
    Nullability,
    /// A column's default differs.
    Default,
    /// A column's identity (`GENERATED ALWAYS` / `BY DEFAULT AS IDENTITY`,
    /// or none) differs (PostgreSQL).
    Identity,
    /// An index is missing.
    MissingIndex,
    /// The database has an extra index.
    ExtraIndex,
    /// An index's columns, uniqueness, method or INCLUDE list differ.
    IndexDefinition,
    /// A partial index's predicate differs.
    IndexPredicate,
    /// A constraint is missing.
    MissingConstraint,
    /// The database has an extra constraint.
    ExtraConstraint,
    /// A constraint's definition differs.
    ConstraintDefinition,
    /// A view the migrations create is not in the database.
    MissingView,
    /// The database has a view the migrations do not create.
    ExtraView,
    /// A view's definition differs.
    ViewDefinition,
    /// A trigger the migrations create is not in the database.
    MissingTrigger,
    /// The database has a trigger the migrations do not create.
    ExtraTrigger,
    /// A trigger's definition differs.
    TriggerDefinition,
    /// A function the migrations create is not in the database.
    MissingFunction,
    /// The database has a function the migrations do not create.
    ExtraFunction,
    /// A function's definition differs.
    FunctionDefinition,
    /// A sequence the migrations create is not in the database.
    MissingSequence,
    /// The database has a sequence the migrations do not create.
    ExtraSequence,
    /// A sequence's definition differs.
    SequenceDefinition,
    /// A virtual table the migrations create is not in the database.
    MissingVirtualTable,
    /// The database has a virtual table the migrations do not create.
    ExtraVirtualTable,
    /// A virtual table's definition differs.
    VirtualTableDefinition,
}

impl DriftKind {
    /// The kebab-case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            DriftKind::MissingTable => "missing-table",
            DriftKind::ExtraTable => "extra-table",
            DriftKind::MissingColumn => "missing-column",
            DriftKind::ExtraColumn => "extra-column",
            DriftKind::ColumnType => "column-type",
            DriftKind::Nullability => "nullability",
            DriftKind::Default => "default",
            DriftKind::Identity => "identity",
            DriftKind::MissingIndex => "missing-index",
            DriftKind::ExtraIndex => "extra-index",
            DriftKind::IndexDefinition => "index-definition",
            DriftKind::IndexPredicate => "index-predicate",
            DriftKind::MissingConstraint => "missing-constraint",
            DriftKind::ExtraConstraint => "extra-constraint",
            DriftKind::ConstraintDefinition => "constraint-definition",
            DriftKind::MissingView => "missing-view",
            DriftKind::ExtraView => "extra-view",
            DriftKind::ViewDefinition => "view-definition",
            DriftKind::MissingTrigger => "missing-trigger",
            DriftKind::ExtraTrigger => "extra-trigger",
            DriftKind::TriggerDefinition => "trigger-definition",
            DriftKind::MissingFunction => "missing-function",
            DriftKind::ExtraFunction => "extra-function",
            DriftKind::FunctionDefinition => "function-definition",
            DriftKind::MissingSequence => "missing-sequence",
            DriftKind::ExtraSequence => "extra-sequence",
            DriftKind::SequenceDefinition => "sequence-definition",
            DriftKind::MissingVirtualTable => "missing-virtual-table",
            DriftKind::ExtraVirtualTable => "extra-virtual-table",
            DriftKind::VirtualTableDefinition => "virtual-table-definition",
        }
    }
}

impl std::fmt::Display for DriftKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One difference between the expected and the actual schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// What differs.
    pub kind: DriftKind,
    /// The table (for a view, function, sequence or virtual table: its
    /// name; for a trigger: its table).
    pub table: String,
    /// The column, index, constraint or trigger, when the difference is
    /// about one.
    pub object: Option<String>,
    /// What the migrations produce.
    pub expected: Option<String>,
    /// What the database has.
    pub actual: Option<String>,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let subject = match &self.object {
            Some(object) => format!("{}.{object}", self.table),
            None => self.table.clone(),
        };
        write!(f, "{}: {subject}", self.kind)?;
        match (&self.expected, &self.actual) {
            (Some(e), Some(a)) => write!(f, " (expected {e}, found {a})"),
            (Some(e), None) => write!(f, " (expected {e})"),
            (None, Some(a)) => write!(f, " (found {a})"),
            (None, None) => Ok(()),
        }
    }
}

fn show_opt(value: &Option<String>) -> String {
    value.clone().unwrap_or_else(|| "none".to_string())
}

/// Every difference between `expected` and `actual`.
pub fn diff(expected: &SchemaSnapshot, actual: &SchemaSnapshot) -> Vec<Difference> {
    let mut out = Vec::new();
    let d = |kind,
             table: &str,
             object: Option<&str>,
             expected: Option<String>,
             actual: Option<String>| Difference {
        kind,
        table: table.to_string(),
        object: object.map(str::to_string),
        expected,
        actual,
    };
    for (name, table) in &expected.tables {
        match actual.tables.get(name) {
            None => out.push(d(DriftKind::MissingTable, name, None, None, None)),
            Some(found) => diff_table(name, table, found, &mut out),
        }
    }
    for name in actual.tables.keys() {
        if !expected.tables.contains_key(name) {
            out.push(d(DriftKind::ExtraTable, name, None, None, None));
        }
    }
    for ((kind, wanted), (_, found)) in expected.objects().zip(actual.objects()) {
        diff_objects(kind, wanted, found, &mut out);
    }
    out
}

/// The drift kinds of one kind of object: missing, extra, definition.
fn object_kinds(kind: &str) -> (DriftKind, DriftKind, DriftKind) {
    match kind {
        "view" => (
            DriftKind::MissingView,
            DriftKind::ExtraView,
            DriftKind::ViewDefinition,
        ),
        "trigger" => (
            DriftKind::MissingTrigger,
            DriftKind::ExtraTrigger,
            DriftKind::TriggerDefinition,
        ),
        "function" => (
            DriftKind::MissingFunction,
            DriftKind::ExtraFunction,
            DriftKind::FunctionDefinition,
        ),
        "sequence" => (
            DriftKind::MissingSequence,
            DriftKind::ExtraSequence,
            DriftKind::SequenceDefinition,
        ),
        _ => (
            DriftKind::MissingVirtualTable,
            DriftKind::ExtraVirtualTable,
            DriftKind::VirtualTableDefinition,
        ),
    }
}

/// A trigger is reported on its table (`table.name` keys on PostgreSQL);
/// any other object by its name.
fn located(kind: &str, name: &str, object: &ObjectSnapshot) -> (String, Option<String>) {
    match (&object.table, kind) {
        (Some(table), "trigger") => (
            table.clone(),
            Some(
                name.strip_prefix(&format!("{table}."))
                    .unwrap_or(name)
                    .to_string(),
            ),
        ),
        _ => (name.to_string(), None),
    }
}

fn diff_objects(
    kind: &str,
    expected: &std::collections::BTreeMap<String, ObjectSnapshot>,
    actual: &std::collections::BTreeMap<String, ObjectSnapshot>,
    out: &mut Vec<Difference>,
) {
    let (missing, extra, definition) = object_kinds(kind);
    let difference = |drift,
                      name: &str,
                      object: &ObjectSnapshot,
                      e: Option<&ObjectSnapshot>,
                      a: Option<&ObjectSnapshot>| {
        let (table, object) = located(kind, name, object);
        Difference {
            kind: drift,
            table,
            object,
            expected: e.map(|o| o.definition.clone()),
            actual: a.map(|o| o.definition.clone()),
        }
    };
    for (name, e) in expected {
        match actual.get(name) {
            None => out.push(difference(missing, name, e, None, None)),
            Some(a) if a.definition != e.definition => {
                out.push(difference(definition, name, e, Some(e), Some(a)))
            }
            Some(_) => {}
        }
    }
    for (name, a) in actual {
        if !expected.contains_key(name) {
            out.push(difference(extra, name, a, None, None));
        }
    }
}

fn diff_table(
    name: &str,
    expected: &TableSnapshot,
    actual: &TableSnapshot,
    out: &mut Vec<Difference>,
) {
    let d = |kind, object: &str, expected: Option<String>, actual: Option<String>| Difference {
        kind,
        table: name.to_string(),
        object: Some(object.to_string()),
        expected,
        actual,
    };
    for (column, e) in &expected.columns {
        let Some(a) = actual.columns.get(column) else {
            out.push(d(
                DriftKind::MissingColumn,
                column,
                Some(e.data_type.clone()),
                None,
            ));
            continue;
        };
        if e.data_type != a.data_type {
            out.push(d(
                DriftKind::ColumnType,
                column,
                Some(e.data_type.clone()),
                Some(a.data_type.clone()),
            ));
        }
        if e.nullable != a.nullable {
            let word = |nullable: bool| if nullable { "NULL" } else { "NOT NULL" }.to_string();
            out.push(d(
                DriftKind::Nullability,
                column,
                Some(word(e.nullable)),
                Some(word(a.nullable)),
            ));
        }
        if e.default != a.default {
            out.push(d(
                DriftKind::Default,
                column,
                Some(show_opt(&e.default)),
                Some(show_opt(&a.default)),
            ));
        }
        if e.identity != a.identity {
            let show = |identity: Option<super::snapshot::Identity>| {
                identity.map_or_else(|| "none".to_string(), |i| i.to_string())
            };
            out.push(d(
                DriftKind::Identity,
                column,
                Some(show(e.identity)),
                Some(show(a.identity)),
            ));
        }
    }
    for (column, a) in &actual.columns {
        if !expected.columns.contains_key(column) {
            out.push(d(
                DriftKind::ExtraColumn,
                column,
                None,
                Some(a.data_type.clone()),
            ));
        }
    }
    for (index, e) in &expected.indexes {
        let Some(a) = actual.indexes.get(index) else {
            out.push(d(
                DriftKind::MissingIndex,
                index,
                Some(e.columns.join(", ")),
                None,
            ));
            continue;
        };
        if e.columns != a.columns
            || e.include != a.include
            || e.unique != a.unique
            || e.method != a.method
        {
            let describe = |i: &super::snapshot::IndexSnapshot| {
                format!(
                    "{}{} ({}){}",
                    if i.unique { "unique " } else { "" },
                    i.method.as_deref().unwrap_or("index"),
                    i.columns.join(", "),
                    if i.include.is_empty() {
                        String::new()
                    } else {
                        format!(" include ({})", i.include.join(", "))
                    }
                )
            };
            out.push(d(
                DriftKind::IndexDefinition,
                index,
                Some(describe(e)),
                Some(describe(a)),
            ));
        }
        if e.predicate != a.predicate {
            out.push(d(
                DriftKind::IndexPredicate,
                index,
                Some(show_opt(&e.predicate)),
                Some(show_opt(&a.predicate)),
            ));
        }
    }
    for (index, a) in &actual.indexes {
        if !expected.indexes.contains_key(index) {
            out.push(d(
                DriftKind::ExtraIndex,
                index,
                None,
                Some(a.columns.join(", ")),
            ));
        }
    }
    for (constraint, e) in &expected.constraints {
        match actual.constraints.get(constraint) {
            None => out.push(d(
                DriftKind::MissingConstraint,
                constraint,
                Some(e.definition.clone()),
                None,
            )),
            Some(a) if a != e => out.push(d(
                DriftKind::ConstraintDefinition,
                constraint,
                Some(e.definition.clone()),
                Some(a.definition.clone()),
            )),
            Some(_) => {}
        }
    }
    for (constraint, a) in &actual.constraints {
        if !expected.constraints.contains_key(constraint) {
            out.push(d(
                DriftKind::ExtraConstraint,
                constraint,
                None,
                Some(a.definition.clone()),
            ));
        }
    }
}

/// The result of [`super::check`]: how the live schema differs from the one
/// the migrations produce at the database's revision.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DriftReport {
    /// The backend (`sqlite`, `postgres`).
    pub backend: String,
    /// The database's revision(s) the expected schema was built for.
    pub heads: Vec<String>,
    /// Every difference.
    pub differences: Vec<Difference>,
    /// The differences of spelling the schema allows either way, which are
    /// not drift (empty in strict mode, where they are differences).
    pub equivalences: Vec<Equivalence>,
}

impl DriftReport {
    /// Whether the live schema is exactly the expected one.
    pub fn is_clean(&self) -> bool {
        self.differences.is_empty()
    }

    /// The differences of one kind.
    pub fn of_kind(&self, kind: DriftKind) -> impl Iterator<Item = &Difference> {
        self.differences.iter().filter(move |d| d.kind == kind)
    }

    fn at(&self) -> String {
        if self.heads.is_empty() {
            "base".to_string()
        } else {
            self.heads.join(", ")
        }
    }

    /// A report for people at a terminal.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for difference in &self.differences {
            out.push_str(&format!("{difference}\n"));
        }
        for equivalence in &self.equivalences {
            out.push_str(&format!("{equivalence}\n"));
        }
        if self.is_clean() {
            out.push_str(&format!(
                "check ({}): the schema matches the migrations at {}{}\n",
                self.backend,
                self.at(),
                self.equivalent_note()
            ));
        } else {
            out.push_str(&format!(
                "check ({}): {} difference(s) from the schema the migrations produce at {}{}\n",
                self.backend,
                self.differences.len(),
                self.at(),
                self.equivalent_note()
            ));
        }
        out
    }

    /// The report as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    /// The report as markdown.
    pub fn to_markdown(&self) -> String {
        let mut out = format!("### Schema check ({}) at {}\n\n", self.backend, self.at());
        if self.is_clean() {
            out.push_str("No drift.\n");
        } else {
            out.push_str("| kind | table | object | expected | found |\n|---|---|---|---|---|\n");
            for d in &self.differences {
                out.push_str(&format!(
                    "| {} | {} | {} | {} | {} |\n",
                    d.kind,
                    md_cell(&d.table),
                    md_cell(d.object.as_deref().unwrap_or("")),
                    md_cell(d.expected.as_deref().unwrap_or("")),
                    md_cell(d.actual.as_deref().unwrap_or(""))
                ));
            }
        }
        if !self.equivalences.is_empty() {
            out.push_str(
                "\nEquivalent (spelled differently, the same schema; not drift):\n\n\
                 | rule | table | object | expected | found |\n|---|---|---|---|---|\n",
            );
            for e in &self.equivalences {
                out.push_str(&format!(
                    "| {} | {} | {} | {} | {} |\n",
                    e.rule,
                    md_cell(&e.table),
                    md_cell(&e.object),
                    md_cell(&e.expected),
                    md_cell(&e.actual)
                ));
            }
        }
        out
    }

    /// After "matches": how many equivalent spellings were let through.
    fn equivalent_note(&self) -> String {
        match self.equivalences.len() {
            0 => String::new(),
            n => format!(" ({n} equivalent spelling(s), not drift)"),
        }
    }
}
