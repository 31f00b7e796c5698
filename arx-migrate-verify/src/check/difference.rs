//! One difference between the schema the migrations produce and the
//! database's: its kind and where it is. The types both the comparison
//! (`diff`) and the equivalences (`equivalence`) speak.

use serde::Serialize;

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
