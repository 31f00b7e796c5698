//! Comparing two snapshots: every difference, named.

use serde::Serialize;

use super::difference::{Difference, DriftKind};
use super::equivalence::Equivalence;
use super::snapshot::{ObjectSnapshot, SchemaSnapshot, TableSnapshot};
use arx_migrate_core::not_api::text::md_cell;

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
