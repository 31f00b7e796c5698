//! The lint rules: a stable id, a severity, a one-line reason and a fix for
//! each.

use serde::Serialize;

/// How serious a finding is. Only [`Severity::Error`] findings that are not
/// allowed make [`super::LintReport::has_errors`] true.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; never blocks.
    Info,
    /// Risky; review it.
    Warning,
    /// Wrong or destructive; blocks until fixed or allowed with a reason.
    Error,
}

impl Severity {
    /// The lowercase name (`info`, `warning`, `error`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A lint rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(into = "&'static str")]
pub enum Rule {
    /// `DROP TABLE` of a table created by an earlier revision.
    DropTable,
    /// `DROP COLUMN` on a table created by an earlier revision.
    DropColumn,
    /// A column type change on a table created by an earlier revision.
    AlterColumnType,
    /// Renaming a table or column created by an earlier revision.
    Rename,
    /// Adding a `NOT NULL` column without a default to an existing table.
    NotNullWithoutDefault,
    /// A foreign key whose columns no index starts with.
    FkWithoutIndex,
    /// An index naming a column its table does not have.
    IndexUnknownColumn,
    /// A statement naming a column its table does not have.
    UnknownColumn,
    /// A table, index or column name defined twice.
    DuplicateName,
    /// A reference to a table not created at that point of the chain.
    UnknownTable,
    /// Dropping an index that does not exist.
    UnknownIndex,
    /// A volatile function in an index predicate or expression.
    VolatileIndexPredicate,
    /// PostgreSQL: `CREATE INDEX` without `CONCURRENTLY` on an existing table.
    IndexNotConcurrent,
    /// PostgreSQL: strong locks on existing tables without a `lock_timeout`.
    MissingLockTimeout,
    /// A downgrade that does not undo its upgrade.
    DowngradeMismatch,
    /// A statement the SQL parser cannot read; not checked.
    UnparsedStatement,
    /// The migration could not be rendered for the backend.
    RenderFailed,
    /// An `allow` entry with an unknown rule id or without a reason.
    InvalidAllow,
}

impl Rule {
    /// Every rule, in the order of the documentation.
    pub const ALL: [Rule; 18] = [
        Rule::DropTable,
        Rule::DropColumn,
        Rule::AlterColumnType,
        Rule::Rename,
        Rule::NotNullWithoutDefault,
        Rule::FkWithoutIndex,
        Rule::IndexUnknownColumn,
        Rule::UnknownColumn,
        Rule::DuplicateName,
        Rule::UnknownTable,
        Rule::UnknownIndex,
        Rule::VolatileIndexPredicate,
        Rule::IndexNotConcurrent,
        Rule::MissingLockTimeout,
        Rule::DowngradeMismatch,
        Rule::UnparsedStatement,
        Rule::RenderFailed,
        Rule::InvalidAllow,
    ];

    /// The stable id used in reports and in `allow = ["id: reason"]`.
    pub fn id(self) -> &'static str {
        match self {
            Rule::DropTable => "drop-table",
            Rule::DropColumn => "drop-column",
            Rule::AlterColumnType => "alter-column-type",
            Rule::Rename => "rename",
            Rule::NotNullWithoutDefault => "not-null-without-default",
            Rule::FkWithoutIndex => "fk-without-index",
            Rule::IndexUnknownColumn => "index-unknown-column",
            Rule::UnknownColumn => "unknown-column",
            Rule::DuplicateName => "duplicate-name",
            Rule::UnknownTable => "unknown-table",
            Rule::UnknownIndex => "unknown-index",
            Rule::VolatileIndexPredicate => "volatile-index-predicate",
            Rule::IndexNotConcurrent => "index-not-concurrent",
            Rule::MissingLockTimeout => "missing-lock-timeout",
            Rule::DowngradeMismatch => "downgrade-mismatch",
            Rule::UnparsedStatement => "unparsed-statement",
            Rule::RenderFailed => "render-failed",
            Rule::InvalidAllow => "invalid-allow",
        }
    }

    /// The rule with this id.
    pub fn from_id(id: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|rule| rule.id() == id.trim())
    }

    /// How serious a finding of this rule is.
    pub fn severity(self) -> Severity {
        match self {
            Rule::DropTable
            | Rule::DropColumn
            | Rule::NotNullWithoutDefault
            | Rule::IndexUnknownColumn
            | Rule::UnknownColumn
            | Rule::DuplicateName
            | Rule::UnknownTable
            | Rule::VolatileIndexPredicate
            | Rule::DowngradeMismatch
            | Rule::RenderFailed => Severity::Error,
            Rule::AlterColumnType
            | Rule::Rename
            | Rule::FkWithoutIndex
            | Rule::UnknownIndex
            | Rule::IndexNotConcurrent
            | Rule::MissingLockTimeout
            | Rule::InvalidAllow => Severity::Warning,
            Rule::UnparsedStatement => Severity::Info,
        }
    }

    /// Whether the rule applies on PostgreSQL only.
    pub fn postgres_only(self) -> bool {
        matches!(self, Rule::IndexNotConcurrent | Rule::MissingLockTimeout)
    }

    /// Why the rule exists, in one line.
    pub fn reason(self) -> &'static str {
        match self {
            Rule::DropTable => "dropping a table that earlier revisions created destroys its data",
            Rule::DropColumn => "dropping a column of an existing table destroys its data and breaks code still reading it",
            Rule::AlterColumnType => "changing a column's type rewrites the table under a strong lock and may fail or lose data on existing rows",
            Rule::Rename => "renaming an existing table or column breaks every deployed version of the code that uses the old name",
            Rule::NotNullWithoutDefault => "adding a NOT NULL column without a default fails on a table that has rows",
            Rule::FkWithoutIndex => "a foreign key whose columns no index starts with makes deletes on the referenced table scan this one",
            Rule::IndexUnknownColumn => "an index names a column its table does not have, so the migration fails",
            Rule::UnknownColumn => "the statement names a column its table does not have, so the migration fails",
            Rule::DuplicateName => "the name is already defined at this point of the chain, so the migration fails",
            Rule::UnknownTable => "the statement references a table that no earlier statement created, so the migration fails",
            Rule::UnknownIndex => "the statement drops an index that no earlier statement created",
            Rule::VolatileIndexPredicate => "index predicates and expressions must be immutable; the database rejects volatile functions such as now() or random()",
            Rule::IndexNotConcurrent => "CREATE INDEX without CONCURRENTLY blocks writes to an existing table for the whole build",
            Rule::MissingLockTimeout => "a statement waiting for a strong lock on a busy table blocks every query behind it; without lock_timeout it waits forever",
            Rule::DowngradeMismatch => "the downgrade does not bring the schema back to what it was before the upgrade",
            Rule::UnparsedStatement => "the SQL parser cannot read this statement, so lint did not check it",
            Rule::RenderFailed => "the migration could not be rendered for this backend, so it fails when run",
            Rule::InvalidAllow => "an allow entry must name a known rule and give a reason",
        }
    }

    /// How to fix a finding of this rule.
    pub fn fix(self) -> &'static str {
        match self {
            Rule::DropTable => "keep the table until no code uses it, back it up, or allow the rule in this migration with the reason",
            Rule::DropColumn => "stop reading the column in a release first, then drop it; or allow the rule in this migration with the reason",
            Rule::AlterColumnType => "add a new column, backfill it, switch the code, then drop the old one; or allow the rule with the reason",
            Rule::Rename => "add the new name alongside the old (a view or a new column), migrate the code, then remove the old name; or allow the rule",
            Rule::NotNullWithoutDefault => "give the column a DEFAULT, or add it nullable, backfill, then SET NOT NULL",
            Rule::FkWithoutIndex => "create an index whose first columns are the foreign key's columns",
            Rule::IndexUnknownColumn => "fix the column name, or index a table that has the column",
            Rule::UnknownColumn => "fix the column name, or add the column in an earlier statement",
            Rule::DuplicateName => "give the table or index a name of its own, or drop the old one first",
            Rule::UnknownTable => "create the referenced table first (in an earlier statement or revision), or fix the name",
            Rule::UnknownIndex => "fix the index name, or use DROP INDEX IF EXISTS",
            Rule::VolatileIndexPredicate => "remove the volatile function from the index; filter by time in the query instead",
            Rule::IndexNotConcurrent => "use CREATE INDEX CONCURRENTLY in a migration marked transactional = false",
            Rule::MissingLockTimeout => "start the migration with SET LOCAL lock_timeout = '5s' (or run with Migrator::lock_timeout and allow this rule)",
            Rule::DowngradeMismatch => "make the downgrade the exact reverse of the upgrade",
            Rule::UnparsedStatement => "review the statement by hand; lint does not track its effect on the schema",
            Rule::RenderFailed => "fix the migration so that it renders for this backend (on SQLite rebuild the table instead of altering it)",
            Rule::InvalidAllow => "write allow entries as \"rule-id: reason\" with a rule id from `lint --rules`",
        }
    }
}

impl From<Rule> for &'static str {
    fn from(rule: Rule) -> Self {
        rule.id()
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// The description of one rule, for `lint --rules` and documentation.
#[derive(Debug, Clone, Serialize)]
pub struct RuleInfo {
    /// The stable id.
    pub id: &'static str,
    /// The severity of its findings.
    pub severity: Severity,
    /// Whether it applies on PostgreSQL only.
    pub postgres_only: bool,
    /// Why it exists.
    pub reason: &'static str,
    /// How to fix a finding.
    pub fix: &'static str,
}

/// Every rule with its id, severity, reason and fix.
pub fn rules() -> Vec<RuleInfo> {
    Rule::ALL
        .into_iter()
        .map(|rule| RuleInfo {
            id: rule.id(),
            severity: rule.severity(),
            postgres_only: rule.postgres_only(),
            reason: rule.reason(),
            fix: rule.fix(),
        })
        .collect()
}
