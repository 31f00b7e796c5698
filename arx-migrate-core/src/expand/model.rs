//! What an expand/contract change is, and where one stands in the
//! bookkeeping. Data only.

use std::fmt;
use std::time::Duration;

use crate::backfill::{Backfill, BackfillState};
use crate::not_api::text::quote_ident;

/// Which kind of change an [`Expand`] makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpandKind {
    /// A column gets a new name.
    RenameColumn,
    /// A column gets a new type.
    ChangeType,
    /// One column becomes several.
    Split,
    /// Several columns become one.
    Merge,
    /// A column becomes `NOT NULL`, its `NULL`s filled.
    SetNotNull,
}

impl ExpandKind {
    /// How the bookkeeping table and `status` spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            ExpandKind::RenameColumn => "rename column",
            ExpandKind::ChangeType => "change type",
            ExpandKind::Split => "split column",
            ExpandKind::Merge => "merge columns",
            ExpandKind::SetNotNull => "set not null",
        }
    }
}

impl fmt::Display for ExpandKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A column the expand adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewColumn {
    pub(crate) name: String,
    /// Its SQL type; `None`: the old column's (a rename).
    pub(crate) sql_type: Option<String>,
    /// Its value from the old column(s): SQL over the row's columns.
    pub(crate) forward: String,
}

/// A change to a column that running code still uses, made in two
/// revisions so that the old and the new code can run side by side:
///
/// - the **expand** revision ([`Ops::expand`](crate::Ops::expand)) adds the
///   new column(s), installs a trigger that keeps old and new in step in
///   both directions (a row written through either side gets the other
///   side's value), and fills the new column(s) of every existing row with
///   a durable [`Backfill`]; the old code keeps working;
/// - deploy the code that reads and writes the new column(s);
/// - the **contract** revision ([`Ops::contract`](crate::Ops::contract))
///   drops the trigger and the old column(s). It is refused while the
///   expand's backfill is not complete.
///
/// Both revisions build the same `Expand` (a function or constant shared
/// by them), and both are non-transactional (`transactional = false`):
/// the backfill commits batch by batch, and the contract's downgrade
/// backfills the old column again.
///
/// Expressions are SQL over the row's columns, written with bare column
/// names (`split_part(name, ' ', 1)`), evaluated per row by the backfill
/// and by the trigger.
///
/// ```
/// # extern crate arx_migrate_core as arx_migrate;
/// use arx_migrate::Expand;
///
/// let rename = Expand::rename_column("users", "name", "full_name");
/// let retype = Expand::change_type("rooms", "area", "area_num", "numeric(12,2)")
///     .backward("CAST(area_num AS double precision)");
/// let split = Expand::split("users", "name")
///     .into_column("first_name", "text", "split_part(name, ' ', 1)")
///     .into_column("last_name", "text", "split_part(name, ' ', 2)")
///     .backward("first_name || ' ' || last_name");
/// let merge = Expand::merge("users", &["first_name", "last_name"], "name", "text",
///     "first_name || ' ' || last_name")
///     .backward_for("first_name", "split_part(name, ' ', 1)")
///     .backward_for("last_name", "split_part(name, ' ', 2)");
/// let not_null = Expand::set_not_null("users", "email").fill("''");
/// assert_eq!(rename.name(), "name->full_name");
/// assert_eq!(not_null.name(), "email not null");
/// # let _ = (retype, split, merge);
/// ```
#[derive(Debug, Clone)]
pub struct Expand {
    pub(crate) kind: ExpandKind,
    pub(crate) table: String,
    /// The columns the old code uses (the one made NOT NULL, for
    /// [`ExpandKind::SetNotNull`]).
    pub(crate) old: Vec<String>,
    pub(crate) new: Vec<NewColumn>,
    /// Each old column's value from the new column(s).
    pub(crate) backward: Vec<(String, String)>,
    /// The value that replaces `NULL` ([`ExpandKind::SetNotNull`]).
    pub(crate) fill: Option<String>,
    /// The backfill's settings (key, batch target, pause, bounds).
    pub(crate) batches: Backfill,
}

impl Expand {
    fn with(kind: ExpandKind, table: &str, old: Vec<String>) -> Self {
        Expand {
            kind,
            table: table.to_string(),
            old,
            new: Vec::new(),
            backward: Vec::new(),
            fill: None,
            batches: Backfill::new(table),
        }
    }

    /// Renames column `old` of `table` to `new`: the new column has the
    /// old one's type; at the contract it also takes the old one's
    /// `NOT NULL` and default.
    pub fn rename_column(table: &str, old: &str, new: &str) -> Self {
        let mut change = Self::with(ExpandKind::RenameColumn, table, vec![old.to_string()]);
        change.new.push(NewColumn {
            name: new.to_string(),
            sql_type: None,
            forward: quote_ident(old),
        });
        change.backward.push((old.to_string(), quote_ident(new)));
        change
    }

    /// Replaces column `old` of `table` by `new`, of type `sql_type` (as
    /// the backend spells it). The forward value is `CAST(old AS
    /// sql_type)` unless [`Expand::forward`] says otherwise; the backward
    /// value is the new column itself (assigned to the old column's type)
    /// unless [`Expand::backward`] says otherwise.
    pub fn change_type(table: &str, old: &str, new: &str, sql_type: &str) -> Self {
        let mut change = Self::with(ExpandKind::ChangeType, table, vec![old.to_string()]);
        change.new.push(NewColumn {
            name: new.to_string(),
            sql_type: Some(sql_type.to_string()),
            forward: format!("CAST({} AS {sql_type})", quote_ident(old)),
        });
        change.backward.push((old.to_string(), quote_ident(new)));
        change
    }

    /// Splits column `old` of `table` into the columns named by
    /// [`Expand::into_column`]; [`Expand::backward`] gives the old value
    /// from them.
    pub fn split(table: &str, old: &str) -> Self {
        Self::with(ExpandKind::Split, table, vec![old.to_string()])
    }

    /// Merges columns `old` of `table` into `new`, of type `sql_type`,
    /// whose value is `forward`; [`Expand::backward_for`] gives each old
    /// column's value from it.
    pub fn merge(table: &str, old: &[&str], new: &str, sql_type: &str, forward: &str) -> Self {
        let mut change = Self::with(
            ExpandKind::Merge,
            table,
            old.iter().map(|c| c.to_string()).collect(),
        );
        change.new.push(NewColumn {
            name: new.to_string(),
            sql_type: Some(sql_type.to_string()),
            forward: forward.to_string(),
        });
        change
    }

    /// Makes column `column` of `table` `NOT NULL`: the expand fills its
    /// `NULL`s with [`Expand::fill`] (and a trigger fills those the old
    /// code still writes); the contract sets `NOT NULL` through a
    /// validated check.
    pub fn set_not_null(table: &str, column: &str) -> Self {
        let mut change = Self::with(ExpandKind::SetNotNull, table, vec![column.to_string()]);
        change.fill = Some("NULL".to_string());
        change
    }

    /// A new column of a split: `name`, of type `sql_type`, whose value is
    /// `forward`.
    pub fn into_column(mut self, name: &str, sql_type: &str, forward: &str) -> Self {
        self.new.push(NewColumn {
            name: name.to_string(),
            sql_type: Some(sql_type.to_string()),
            forward: forward.to_string(),
        });
        self
    }

    /// The new column's value from the old column(s), where there is one
    /// new column.
    pub fn forward(mut self, expression: &str) -> Self {
        if let Some(column) = self.new.first_mut() {
            column.forward = expression.to_string();
        }
        self
    }

    /// The old column's value from the new column(s), where there is one
    /// old column.
    pub fn backward(self, expression: &str) -> Self {
        let old = self.old.first().cloned().unwrap_or_default();
        self.backward_for(&old, expression)
    }

    /// The value of old column `old` from the new column(s).
    pub fn backward_for(mut self, old: &str, expression: &str) -> Self {
        self.backward.retain(|(column, _)| column != old);
        self.backward
            .push((old.to_string(), expression.to_string()));
        self
    }

    /// What replaces `NULL` ([`Expand::set_not_null`]): SQL over the row.
    pub fn fill(mut self, expression: &str) -> Self {
        self.fill = Some(expression.to_string());
        self
    }

    /// The backfill walks `column` instead of the primary key
    /// ([`Backfill::key`]).
    pub fn key(mut self, column: &str) -> Self {
        self.batches = self.batches.key(column);
        self
    }

    /// The duration each backfill batch aims at ([`Backfill::target_batch`]).
    pub fn target_batch(mut self, duration: Duration) -> Self {
        self.batches = self.batches.target_batch(duration);
        self
    }

    /// The backfill's first batch size and bounds ([`Backfill::batch_size`]).
    pub fn batch_size(mut self, first: u64, min: u64, max: u64) -> Self {
        self.batches = self.batches.batch_size(first, min, max);
        self
    }

    /// A pause between backfill batches ([`Backfill::pause`]).
    pub fn pause(mut self, pause: Duration) -> Self {
        self.batches = self.batches.pause(pause);
        self
    }

    /// The table.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// The kind of change.
    pub fn kind(&self) -> ExpandKind {
        self.kind
    }

    /// The name the bookkeeping keeps it under, with its table: `old->new`
    /// (columns joined by `,`), or `column not null`.
    pub fn name(&self) -> String {
        match self.kind {
            ExpandKind::SetNotNull => format!("{} not null", self.old.join(",")),
            _ => format!(
                "{}->{}",
                self.old.join(","),
                self.new
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        }
    }

    /// What is wrong with it, if anything: no new column, an old column
    /// without its backward value, a name on both sides.
    pub(crate) fn problem(&self) -> Option<String> {
        if self.kind == ExpandKind::SetNotNull {
            return None;
        }
        if self.new.is_empty() {
            return Some("it adds no column; a split names its columns with .into_column(name, type, forward)".to_string());
        }
        if let Some(old) = self
            .old
            .iter()
            .find(|old| !self.backward.iter().any(|(c, _)| c == *old))
        {
            return Some(format!(
                "old column {old} has no backward value, so rows the new code writes would leave it empty; give it with .backward(…) or .backward_for(\"{old}\", …)"
            ));
        }
        if let Some(both) = self.new.iter().find(|new| self.old.contains(&new.name)) {
            return Some(format!(
                "column {} is both old and new; the new column needs a name of its own",
                both.name
            ));
        }
        None
    }
}

/// How far an expand/contract change has gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpansionPhase {
    /// The expand revision is adding the column(s) or backfilling (or was
    /// killed doing it, or the contract's downgrade is refilling the old
    /// column): the contract is refused.
    Expanding,
    /// Expanded and backfilled: old and new are kept in step by the
    /// trigger, awaiting the contract.
    Expanded,
    /// The contract revision dropped the trigger and the old column(s).
    Contracted,
}

impl ExpansionPhase {
    /// How the bookkeeping table spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ExpansionPhase::Expanding => "expanding",
            ExpansionPhase::Expanded => "expanded",
            ExpansionPhase::Contracted => "contracted",
        }
    }

    pub(crate) fn parse(text: &str) -> Self {
        match text {
            "expanded" => ExpansionPhase::Expanded,
            "contracted" => ExpansionPhase::Contracted,
            _ => ExpansionPhase::Expanding,
        }
    }
}

/// An expand/contract change as the bookkeeping table records it
/// ([`Status::expansions`](crate::Status::expansions)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpansionState {
    /// The table.
    pub table: String,
    /// The change's name ([`Expand::name`]).
    pub change: String,
    /// What kind of change it is.
    pub kind: String,
    /// The revision that expanded it.
    pub expand_revision: String,
    /// The revision contracting it, once one started.
    pub contract_revision: Option<String>,
    /// How far it has gone.
    pub phase: ExpansionPhase,
    /// Its backfill while that runs (or was killed): `None` once done.
    pub backfill: Option<BackfillState>,
    /// When the phase last changed (UTC, RFC 3339).
    pub updated_at: String,
}

impl fmt::Display for ExpansionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({})", self.table, self.change, self.kind)?;
        match self.phase {
            ExpansionPhase::Expanded => write!(
                f,
                ", expanded in revision {}, awaiting contract",
                self.expand_revision
            ),
            ExpansionPhase::Contracted => write!(
                f,
                ", contracted in revision {}",
                self.contract_revision.as_deref().unwrap_or("?")
            ),
            ExpansionPhase::Expanding => {
                write!(f, ", expanding in revision {}", self.expand_revision)?;
                match &self.backfill {
                    Some(backfill) => write!(f, "; {backfill}"),
                    None => f.write_str("; backfill not started"),
                }
            }
        }
    }
}
