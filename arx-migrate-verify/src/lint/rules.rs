//! The lint rules: a stable id, a severity, the backends it applies to,
//! whether it is on by default, a one-line reason and a fix for each.
//!
//! Severities follow one line: [`Severity::Error`] (blocks) where a running
//! system breaks or the migration fails — data destroyed, code still
//! running broken, a busy table locked for a time that grows with its size,
//! a statement the database rejects; [`Severity::Warning`] for risks worth
//! a review; [`Severity::Info`] for notes. Style rules (`prefer-*`,
//! `ban-char-field`) are off by default; `[lint]` in `arx-migrate.toml`
//! switches rules on and off ([`super::LintConfig`]).

use serde::Serialize;

use arx_migrate_core::backend::Backend;

/// How serious a finding is. Only [`Severity::Error`] findings that are not
/// allowed make [`super::LintReport::has_errors`] true.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; never blocks.
    Info,
    /// Risky; review it.
    Warning,
    /// Breaks a running system or fails; blocks until fixed or allowed with
    /// a reason.
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

/// The backends a rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// SQLite and PostgreSQL.
    Both,
    /// PostgreSQL only.
    Postgres,
    /// SQLite only.
    Sqlite,
    /// MariaDB and MySQL only.
    Mysql,
}

impl Scope {
    /// Whether a rule of this scope applies to `backend`.
    pub fn includes(self, backend: Backend) -> bool {
        match self {
            Scope::Both => true,
            Scope::Postgres => backend == Backend::Postgres,
            Scope::Sqlite => backend == Backend::Sqlite,
            Scope::Mysql => backend == Backend::Mysql,
        }
    }

    /// `both`, `postgres`, `sqlite` or `mysql`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Both => "both",
            Scope::Postgres => "postgres",
            Scope::Sqlite => "sqlite",
            Scope::Mysql => "mysql",
        }
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
    /// PostgreSQL: a column type change on an existing table that rewrites it (widening a `varchar` or making it `text` does not).
    AlterColumnType,
    /// Renaming a table or column created by an earlier revision.
    Rename,
    /// Adding a `NOT NULL` column without a default to an existing table.
    NotNullWithoutDefault,
    /// PostgreSQL: adding a column with a volatile default (`now()`, `gen_random_uuid()`, `serial`) or a stored generated column to an existing table.
    AddingFieldWithDefault,
    /// PostgreSQL: `SET NOT NULL` on an existing column without a validated `CHECK (col IS NOT NULL)`.
    AddingNotNullableField,
    /// PostgreSQL: a foreign key added to an existing table without `NOT VALID`.
    AddingForeignKeyConstraint,
    /// PostgreSQL: a `CHECK` or foreign key added to an existing table without `NOT VALID`, or validated in the migration that added it.
    ConstraintMissingNotValid,
    /// PostgreSQL: a `UNIQUE` constraint added to an existing table without `USING INDEX`.
    DisallowedUniqueConstraint,
    /// PostgreSQL: a primary key added to an existing table without `USING INDEX`.
    AddingSerialPrimaryKeyField,
    /// PostgreSQL: `DROP NOT NULL` on an existing column.
    BanDropNotNull,
    /// A foreign key whose columns no index starts with.
    FkWithoutIndex,
    /// An index naming a column its table does not have.
    IndexUnknownColumn,
    /// A statement naming a column its table does not have.
    UnknownColumn,
    /// A table, index, view, trigger or column name defined twice.
    DuplicateName,
    /// A reference to a table not created at that point of the chain.
    UnknownTable,
    /// Dropping an index (or view, trigger) that does not exist.
    UnknownIndex,
    /// `lint --file` without `--schema` or `--after`: tables the files use but do not create, reported once.
    UnknownSchema,
    /// A volatile function in an index predicate or expression.
    VolatileIndexPredicate,
    /// PostgreSQL: `CREATE INDEX` without `CONCURRENTLY` on an existing table.
    IndexNotConcurrent,
    /// PostgreSQL: `DROP INDEX` without `CONCURRENTLY` of an index on an existing table.
    RequireConcurrentIndexDeletion,
    /// PostgreSQL: `CREATE`/`DROP`/`REINDEX ... CONCURRENTLY` in a transactional migration or after `BEGIN`.
    BanConcurrentIndexCreationInTransaction,
    /// PostgreSQL: a `CONCURRENTLY` statement sent in one SQL string together with other statements.
    ConcurrentlyInMultiStatement,
    /// `BEGIN`, `COMMIT`, `ROLLBACK` or `END` inside a migration.
    TransactionNesting,
    /// PostgreSQL: strong locks on existing tables without a `lock_timeout`.
    MissingLockTimeout,
    /// `TRUNCATE` of an existing table.
    TruncateTable,
    /// `DELETE` without `WHERE` on an existing table.
    DeleteWithoutWhere,
    /// `UPDATE` without `WHERE` on an existing table.
    UpdateWithoutWhere,
    /// PostgreSQL: `VACUUM FULL`.
    VacuumFull,
    /// `DROP DATABASE`.
    BanDropDatabase,
    /// PostgreSQL: `CREATE EXTENSION` without `IF NOT EXISTS`.
    ExtensionWithoutIfNotExists,
    /// PostgreSQL: a statement only a superuser may run (an untrusted extension, `ALTER SYSTEM`, an untrusted language, …).
    NeedsSuperuser,
    /// SQLite: an `ALTER TABLE` SQLite cannot run (ALTER COLUMN, ADD/DROP CONSTRAINT, ADD COLUMN with a key or a non-constant default, DROP COLUMN of a key or an indexed column).
    SqliteUnsupportedAlter,
    /// A downgrade that does not undo its upgrade.
    DowngradeMismatch,
    /// Style, PostgreSQL: 32-bit or 16-bit integer columns (`integer`, `serial`, `smallint`).
    PreferBigInt,
    /// Style, PostgreSQL: `serial` columns.
    PreferIdentity,
    /// Style, PostgreSQL: `varchar(n)` columns.
    PreferTextField,
    /// Style, PostgreSQL: `timestamp` without time zone.
    PreferTimestamptz,
    /// Style, PostgreSQL: `char(n)` columns.
    BanCharField,
    /// Style: in a non-transactional migration, statements without `IF [NOT] EXISTS`.
    PreferRobustStmts,
    /// MariaDB/MySQL: a revision with several DDL statements, each committed by itself.
    MysqlSeveralDdl,
    /// MariaDB/MySQL: a revision that mixes DDL with data changes (INSERT, UPDATE, DELETE).
    MysqlDdlWithDataChange,
    /// MariaDB/MySQL: `ALTER TABLE ... ALGORITHM=COPY` on an existing table.
    MysqlAlgorithmCopy,
    /// MariaDB/MySQL: `ALTER TABLE` of an existing table without an `ALGORITHM` and a `LOCK` clause.
    MysqlAlterWithoutAlgorithm,
    /// A statement the SQL parser cannot read; not checked.
    UnparsedStatement,
    /// The migration could not be rendered for the backend.
    RenderFailed,
    /// An allow with an unknown rule id or without a reason.
    InvalidAllow,
}

impl Rule {
    /// Every rule, in the order of the documentation.
    pub const ALL: [Rule; 48] = [
        Rule::DropTable,
        Rule::DropColumn,
        Rule::AlterColumnType,
        Rule::Rename,
        Rule::NotNullWithoutDefault,
        Rule::AddingFieldWithDefault,
        Rule::AddingNotNullableField,
        Rule::AddingForeignKeyConstraint,
        Rule::ConstraintMissingNotValid,
        Rule::DisallowedUniqueConstraint,
        Rule::AddingSerialPrimaryKeyField,
        Rule::BanDropNotNull,
        Rule::FkWithoutIndex,
        Rule::IndexUnknownColumn,
        Rule::UnknownColumn,
        Rule::DuplicateName,
        Rule::UnknownTable,
        Rule::UnknownIndex,
        Rule::UnknownSchema,
        Rule::VolatileIndexPredicate,
        Rule::IndexNotConcurrent,
        Rule::RequireConcurrentIndexDeletion,
        Rule::BanConcurrentIndexCreationInTransaction,
        Rule::ConcurrentlyInMultiStatement,
        Rule::TransactionNesting,
        Rule::MissingLockTimeout,
        Rule::TruncateTable,
        Rule::DeleteWithoutWhere,
        Rule::UpdateWithoutWhere,
        Rule::VacuumFull,
        Rule::BanDropDatabase,
        Rule::ExtensionWithoutIfNotExists,
        Rule::NeedsSuperuser,
        Rule::SqliteUnsupportedAlter,
        Rule::DowngradeMismatch,
        Rule::PreferBigInt,
        Rule::PreferIdentity,
        Rule::PreferTextField,
        Rule::PreferTimestamptz,
        Rule::BanCharField,
        Rule::PreferRobustStmts,
        Rule::MysqlSeveralDdl,
        Rule::MysqlDdlWithDataChange,
        Rule::MysqlAlgorithmCopy,
        Rule::MysqlAlterWithoutAlgorithm,
        Rule::UnparsedStatement,
        Rule::RenderFailed,
        Rule::InvalidAllow,
    ];

    /// The stable id used in reports, in allows and in `[lint]`.
    pub fn id(self) -> &'static str {
        match self {
            Rule::DropTable => "drop-table",
            Rule::DropColumn => "drop-column",
            Rule::AlterColumnType => "alter-column-type",
            Rule::Rename => "rename",
            Rule::NotNullWithoutDefault => "not-null-without-default",
            Rule::AddingFieldWithDefault => "adding-field-with-default",
            Rule::AddingNotNullableField => "adding-not-nullable-field",
            Rule::AddingForeignKeyConstraint => "adding-foreign-key-constraint",
            Rule::ConstraintMissingNotValid => "constraint-missing-not-valid",
            Rule::DisallowedUniqueConstraint => "disallowed-unique-constraint",
            Rule::AddingSerialPrimaryKeyField => "adding-serial-primary-key-field",
            Rule::BanDropNotNull => "ban-drop-not-null",
            Rule::FkWithoutIndex => "fk-without-index",
            Rule::IndexUnknownColumn => "index-unknown-column",
            Rule::UnknownColumn => "unknown-column",
            Rule::DuplicateName => "duplicate-name",
            Rule::UnknownTable => "unknown-table",
            Rule::UnknownIndex => "unknown-index",
            Rule::UnknownSchema => "unknown-schema",
            Rule::VolatileIndexPredicate => "volatile-index-predicate",
            Rule::IndexNotConcurrent => "index-not-concurrent",
            Rule::RequireConcurrentIndexDeletion => "require-concurrent-index-deletion",
            Rule::BanConcurrentIndexCreationInTransaction => {
                "ban-concurrent-index-creation-in-transaction"
            }
            Rule::ConcurrentlyInMultiStatement => "concurrently-in-multi-statement",
            Rule::TransactionNesting => "transaction-nesting",
            Rule::MissingLockTimeout => "missing-lock-timeout",
            Rule::TruncateTable => "truncate-table",
            Rule::DeleteWithoutWhere => "delete-without-where",
            Rule::UpdateWithoutWhere => "update-without-where",
            Rule::VacuumFull => "vacuum-full",
            Rule::BanDropDatabase => "ban-drop-database",
            Rule::ExtensionWithoutIfNotExists => "extension-without-if-not-exists",
            Rule::NeedsSuperuser => "needs-superuser",
            Rule::SqliteUnsupportedAlter => "sqlite-unsupported-alter",
            Rule::DowngradeMismatch => "downgrade-mismatch",
            Rule::PreferBigInt => "prefer-big-int",
            Rule::PreferIdentity => "prefer-identity",
            Rule::PreferTextField => "prefer-text-field",
            Rule::PreferTimestamptz => "prefer-timestamptz",
            Rule::BanCharField => "ban-char-field",
            Rule::PreferRobustStmts => "prefer-robust-stmts",
            Rule::MysqlSeveralDdl => "mysql-several-ddl",
            Rule::MysqlDdlWithDataChange => "mysql-ddl-with-data-change",
            Rule::MysqlAlgorithmCopy => "mysql-algorithm-copy",
            Rule::MysqlAlterWithoutAlgorithm => "mysql-alter-without-algorithm",
            Rule::UnparsedStatement => "unparsed-statement",
            Rule::RenderFailed => "render-failed",
            Rule::InvalidAllow => "invalid-allow",
        }
    }

    /// How serious a finding of this rule is.
    pub fn severity(self) -> Severity {
        match self {
            Rule::DropTable => Severity::Error,
            Rule::DropColumn => Severity::Error,
            Rule::AlterColumnType => Severity::Error,
            Rule::Rename => Severity::Error,
            Rule::NotNullWithoutDefault => Severity::Error,
            Rule::AddingFieldWithDefault => Severity::Error,
            Rule::AddingNotNullableField => Severity::Error,
            Rule::AddingForeignKeyConstraint => Severity::Error,
            Rule::ConstraintMissingNotValid => Severity::Error,
            Rule::DisallowedUniqueConstraint => Severity::Error,
            Rule::AddingSerialPrimaryKeyField => Severity::Error,
            Rule::BanDropNotNull => Severity::Warning,
            Rule::FkWithoutIndex => Severity::Warning,
            Rule::IndexUnknownColumn => Severity::Error,
            Rule::UnknownColumn => Severity::Error,
            Rule::DuplicateName => Severity::Error,
            Rule::UnknownTable => Severity::Error,
            Rule::UnknownIndex => Severity::Warning,
            Rule::UnknownSchema => Severity::Info,
            Rule::VolatileIndexPredicate => Severity::Error,
            Rule::IndexNotConcurrent => Severity::Error,
            Rule::RequireConcurrentIndexDeletion => Severity::Warning,
            Rule::BanConcurrentIndexCreationInTransaction => Severity::Error,
            Rule::ConcurrentlyInMultiStatement => Severity::Error,
            Rule::TransactionNesting => Severity::Error,
            Rule::MissingLockTimeout => Severity::Warning,
            Rule::TruncateTable => Severity::Error,
            Rule::DeleteWithoutWhere => Severity::Error,
            Rule::UpdateWithoutWhere => Severity::Warning,
            Rule::VacuumFull => Severity::Error,
            Rule::BanDropDatabase => Severity::Error,
            Rule::ExtensionWithoutIfNotExists => Severity::Warning,
            Rule::NeedsSuperuser => Severity::Warning,
            Rule::SqliteUnsupportedAlter => Severity::Error,
            Rule::DowngradeMismatch => Severity::Error,
            Rule::PreferBigInt => Severity::Warning,
            Rule::PreferIdentity => Severity::Warning,
            Rule::PreferTextField => Severity::Warning,
            Rule::PreferTimestamptz => Severity::Warning,
            Rule::BanCharField => Severity::Warning,
            Rule::PreferRobustStmts => Severity::Warning,
            Rule::MysqlSeveralDdl => Severity::Warning,
            Rule::MysqlDdlWithDataChange => Severity::Warning,
            Rule::MysqlAlgorithmCopy => Severity::Error,
            Rule::MysqlAlterWithoutAlgorithm => Severity::Warning,
            Rule::UnparsedStatement => Severity::Info,
            Rule::RenderFailed => Severity::Error,
            Rule::InvalidAllow => Severity::Error,
        }
    }

    /// The backends the rule applies to.
    pub fn scope(self) -> Scope {
        match self {
            Rule::DropTable => Scope::Both,
            Rule::DropColumn => Scope::Both,
            Rule::AlterColumnType => Scope::Postgres,
            Rule::Rename => Scope::Both,
            Rule::NotNullWithoutDefault => Scope::Both,
            Rule::AddingFieldWithDefault => Scope::Postgres,
            Rule::AddingNotNullableField => Scope::Postgres,
            Rule::AddingForeignKeyConstraint => Scope::Postgres,
            Rule::ConstraintMissingNotValid => Scope::Postgres,
            Rule::DisallowedUniqueConstraint => Scope::Postgres,
            Rule::AddingSerialPrimaryKeyField => Scope::Postgres,
            Rule::BanDropNotNull => Scope::Postgres,
            Rule::FkWithoutIndex => Scope::Both,
            Rule::IndexUnknownColumn => Scope::Both,
            Rule::UnknownColumn => Scope::Both,
            Rule::DuplicateName => Scope::Both,
            Rule::UnknownTable => Scope::Both,
            Rule::UnknownIndex => Scope::Both,
            Rule::UnknownSchema => Scope::Both,
            Rule::VolatileIndexPredicate => Scope::Both,
            Rule::IndexNotConcurrent => Scope::Postgres,
            Rule::RequireConcurrentIndexDeletion => Scope::Postgres,
            Rule::BanConcurrentIndexCreationInTransaction => Scope::Postgres,
            Rule::ConcurrentlyInMultiStatement => Scope::Postgres,
            Rule::TransactionNesting => Scope::Both,
            Rule::MissingLockTimeout => Scope::Postgres,
            Rule::TruncateTable => Scope::Both,
            Rule::DeleteWithoutWhere => Scope::Both,
            Rule::UpdateWithoutWhere => Scope::Both,
            Rule::VacuumFull => Scope::Postgres,
            Rule::BanDropDatabase => Scope::Both,
            Rule::ExtensionWithoutIfNotExists => Scope::Postgres,
            Rule::NeedsSuperuser => Scope::Postgres,
            Rule::SqliteUnsupportedAlter => Scope::Sqlite,
            Rule::DowngradeMismatch => Scope::Both,
            Rule::PreferBigInt => Scope::Postgres,
            Rule::PreferIdentity => Scope::Postgres,
            Rule::PreferTextField => Scope::Postgres,
            Rule::PreferTimestamptz => Scope::Postgres,
            Rule::BanCharField => Scope::Postgres,
            Rule::PreferRobustStmts => Scope::Both,
            Rule::MysqlSeveralDdl => Scope::Mysql,
            Rule::MysqlDdlWithDataChange => Scope::Mysql,
            Rule::MysqlAlgorithmCopy => Scope::Mysql,
            Rule::MysqlAlterWithoutAlgorithm => Scope::Mysql,
            Rule::UnparsedStatement => Scope::Both,
            Rule::RenderFailed => Scope::Both,
            Rule::InvalidAllow => Scope::Both,
        }
    }

    /// Whether the rule is on without a `[lint]` setting (style rules are off).
    pub fn default_enabled(self) -> bool {
        match self {
            Rule::DropTable => true,
            Rule::DropColumn => true,
            Rule::AlterColumnType => true,
            Rule::Rename => true,
            Rule::NotNullWithoutDefault => true,
            Rule::AddingFieldWithDefault => true,
            Rule::AddingNotNullableField => true,
            Rule::AddingForeignKeyConstraint => true,
            Rule::ConstraintMissingNotValid => true,
            Rule::DisallowedUniqueConstraint => true,
            Rule::AddingSerialPrimaryKeyField => true,
            Rule::BanDropNotNull => true,
            Rule::FkWithoutIndex => true,
            Rule::IndexUnknownColumn => true,
            Rule::UnknownColumn => true,
            Rule::DuplicateName => true,
            Rule::UnknownTable => true,
            Rule::UnknownIndex => true,
            Rule::UnknownSchema => true,
            Rule::VolatileIndexPredicate => true,
            Rule::IndexNotConcurrent => true,
            Rule::RequireConcurrentIndexDeletion => true,
            Rule::BanConcurrentIndexCreationInTransaction => true,
            Rule::ConcurrentlyInMultiStatement => true,
            Rule::TransactionNesting => true,
            Rule::MissingLockTimeout => true,
            Rule::TruncateTable => true,
            Rule::DeleteWithoutWhere => true,
            Rule::UpdateWithoutWhere => true,
            Rule::VacuumFull => true,
            Rule::BanDropDatabase => true,
            Rule::ExtensionWithoutIfNotExists => true,
            Rule::NeedsSuperuser => true,
            Rule::SqliteUnsupportedAlter => true,
            Rule::DowngradeMismatch => true,
            Rule::PreferBigInt => false,
            Rule::PreferIdentity => false,
            Rule::PreferTextField => false,
            Rule::PreferTimestamptz => false,
            Rule::BanCharField => false,
            Rule::PreferRobustStmts => false,
            Rule::MysqlSeveralDdl => true,
            Rule::MysqlDdlWithDataChange => true,
            Rule::MysqlAlgorithmCopy => true,
            Rule::MysqlAlterWithoutAlgorithm => true,
            Rule::UnparsedStatement => true,
            Rule::RenderFailed => true,
            Rule::InvalidAllow => true,
        }
    }

    /// Other names of the rule (squawk's), accepted wherever an id is.
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            Rule::DropTable => &["ban-drop-table"],
            Rule::DropColumn => &["ban-drop-column"],
            Rule::AlterColumnType => &["changing-column-type"],
            Rule::Rename => &["renaming-column", "renaming-table"],
            Rule::NotNullWithoutDefault => &["adding-required-field"],
            Rule::AddingFieldWithDefault => &[],
            Rule::AddingNotNullableField => &[],
            Rule::AddingForeignKeyConstraint => &[],
            Rule::ConstraintMissingNotValid => &[],
            Rule::DisallowedUniqueConstraint => &[],
            Rule::AddingSerialPrimaryKeyField => &["adding-primary-key-constraint"],
            Rule::BanDropNotNull => &[],
            Rule::FkWithoutIndex => &[],
            Rule::IndexUnknownColumn => &[],
            Rule::UnknownColumn => &[],
            Rule::DuplicateName => &[],
            Rule::UnknownTable => &[],
            Rule::UnknownIndex => &[],
            Rule::UnknownSchema => &[],
            Rule::VolatileIndexPredicate => &[],
            Rule::IndexNotConcurrent => &["require-concurrent-index-creation"],
            Rule::RequireConcurrentIndexDeletion => &[],
            Rule::BanConcurrentIndexCreationInTransaction => &[],
            Rule::ConcurrentlyInMultiStatement => &[],
            Rule::TransactionNesting => &[],
            Rule::MissingLockTimeout => &["require-timeout-settings"],
            Rule::TruncateTable => &["ban-truncate-cascade"],
            Rule::DeleteWithoutWhere => &[],
            Rule::UpdateWithoutWhere => &[],
            Rule::VacuumFull => &[],
            Rule::BanDropDatabase => &[],
            Rule::ExtensionWithoutIfNotExists => &[],
            Rule::NeedsSuperuser => &[],
            Rule::SqliteUnsupportedAlter => &[],
            Rule::DowngradeMismatch => &[],
            Rule::PreferBigInt => &["prefer-bigint-over-int", "prefer-bigint-over-smallint"],
            Rule::PreferIdentity => &[],
            Rule::PreferTextField => &[],
            Rule::PreferTimestamptz => &[],
            Rule::BanCharField => &[],
            Rule::PreferRobustStmts => &[],
            Rule::MysqlSeveralDdl => &[],
            Rule::MysqlDdlWithDataChange => &[],
            Rule::MysqlAlgorithmCopy => &[],
            Rule::MysqlAlterWithoutAlgorithm => &[],
            Rule::UnparsedStatement => &[],
            Rule::RenderFailed => &[],
            Rule::InvalidAllow => &[],
        }
    }

    /// Why the rule exists, in one line.
    pub fn reason(self) -> &'static str {
        match self {
            Rule::DropTable => "dropping a table that earlier revisions created destroys its data and breaks code still reading it",
            Rule::DropColumn => "dropping a column of an existing table destroys its data and breaks code still reading it",
            Rule::AlterColumnType => "changing a column's type rewrites the table under an ACCESS EXCLUSIVE lock, blocking reads and writes, and may fail on existing rows",
            Rule::Rename => "renaming an existing table or column breaks every running version of the code that uses the old name",
            Rule::NotNullWithoutDefault => "adding a NOT NULL column without a default fails on a table that has rows, and old code that does not set it fails to insert",
            Rule::AddingFieldWithDefault => "a volatile default or a stored generated column rewrites the whole table under an ACCESS EXCLUSIVE lock, blocking reads and writes",
            Rule::AddingNotNullableField => "SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock, blocking reads and writes, and fails if a row holds NULL",
            Rule::AddingForeignKeyConstraint => "adding a foreign key scans the table while holding a SHARE ROW EXCLUSIVE lock on both tables, blocking their writes",
            Rule::ConstraintMissingNotValid => "a new constraint scans the whole table under a lock that blocks writes (ACCESS EXCLUSIVE for a CHECK); validating it in the same transaction keeps that lock",
            Rule::DisallowedUniqueConstraint => "adding a UNIQUE constraint builds its index under an ACCESS EXCLUSIVE lock, blocking reads and writes",
            Rule::AddingSerialPrimaryKeyField => "adding a primary key builds its index under an ACCESS EXCLUSIVE lock, blocking reads and writes",
            Rule::BanDropNotNull => "code that relies on the column never being NULL breaks when NULLs appear",
            Rule::FkWithoutIndex => "a foreign key whose columns no index starts with makes deletes on the referenced table scan this one",
            Rule::IndexUnknownColumn => "an index names a column its table does not have, so the migration fails",
            Rule::UnknownColumn => "the statement names a column its table does not have, so the migration fails",
            Rule::DuplicateName => "the name is already defined at this point of the chain, so the migration fails",
            Rule::UnknownTable => "the statement references a table that no earlier statement created, so the migration fails",
            Rule::UnknownIndex => "the statement drops an object that no earlier statement created",
            Rule::UnknownSchema => "the files use tables they do not create, and no schema was given: those tables are taken to exist, their columns unchecked",
            Rule::VolatileIndexPredicate => "index predicates and expressions must be immutable; the database rejects volatile functions such as now() or random()",
            Rule::IndexNotConcurrent => "CREATE INDEX without CONCURRENTLY blocks writes to an existing table for the whole build",
            Rule::RequireConcurrentIndexDeletion => "DROP INDEX takes an ACCESS EXCLUSIVE lock on the table, blocking reads and writes while it waits for running queries",
            Rule::BanConcurrentIndexCreationInTransaction => "CONCURRENTLY cannot run inside a transaction block, so the migration fails",
            Rule::ConcurrentlyInMultiStatement => "PostgreSQL runs a string of several statements in one implicit transaction, where CONCURRENTLY fails",
            Rule::TransactionNesting => "the runner already wraps the migration in a transaction; a COMMIT inside ends it early, so a later failure leaves half a migration applied and the version table behind",
            Rule::MissingLockTimeout => "a statement waiting for a strong lock on a busy table blocks every query behind it; without lock_timeout it waits forever",
            Rule::TruncateTable => "TRUNCATE deletes every row of an existing table (and, with CASCADE, of the tables referencing it)",
            Rule::DeleteWithoutWhere => "DELETE without WHERE removes every row of an existing table",
            Rule::UpdateWithoutWhere => "UPDATE without WHERE rewrites and locks every row of an existing table in one transaction",
            Rule::VacuumFull => "VACUUM FULL rewrites the table under an ACCESS EXCLUSIVE lock, and cannot run inside a transaction",
            Rule::BanDropDatabase => "dropping a database destroys everything in it",
            Rule::ExtensionWithoutIfNotExists => "CREATE EXTENSION fails where the extension is already installed (by an administrator, or in the template database)",
            Rule::NeedsSuperuser => "a least-privilege migration role cannot run it: the migration fails in production where it passed as a superuser in CI",
            Rule::SqliteUnsupportedAlter => "SQLite's ALTER TABLE can only rename a table, rename, add or drop a column (with limits), so the migration fails",
            Rule::DowngradeMismatch => "the downgrade does not bring the schema back to what it was before the upgrade",
            Rule::PreferBigInt => "32-bit keys and counters run out (2^31), and widening them later rewrites the table",
            Rule::PreferIdentity => "serial types make permissions and schema changes harder than standard identity columns",
            Rule::PreferTextField => "changing the length of a varchar(n) later takes an ACCESS EXCLUSIVE lock; text with a CHECK is easier to change",
            Rule::PreferTimestamptz => "timestamp without time zone drops the UTC offset, so times from different zones compare wrongly",
            Rule::BanCharField => "char(n) pads values with blanks and is slower than text or varchar",
            Rule::PreferRobustStmts => "a non-transactional migration that fails part way cannot be run again if its statements are not idempotent",
            Rule::MysqlSeveralDdl => "MariaDB and MySQL commit each DDL statement by itself: a revision of several DDL statements that fails half way stays half-applied (the run journals each statement and resumes, but until it is fixed or repaired every run stops, and `repair --roll-back` needs a reverse for each applied statement)",
            Rule::MysqlDdlWithDataChange => "a data change commits with the DDL around it on MariaDB and MySQL and has no reverse: a revision that fails after it cannot be rolled back by `repair --roll-back`, and its rows stay changed",
            Rule::MysqlAlgorithmCopy => "ALGORITHM=COPY rebuilds the whole table into a copy and blocks writes to it for as long as the copy takes, which grows with the table",
            Rule::MysqlAlterWithoutAlgorithm => "without ALGORITHM and LOCK the server silently picks the algorithm, and for some changes that is a table copy that blocks writes to a large table",
            Rule::UnparsedStatement => "the SQL parser cannot read this statement, so lint did not check it",
            Rule::RenderFailed => "the migration could not be rendered for this backend, so it fails when run",
            Rule::InvalidAllow => "an allow must name a known rule and give a reason; a typo would otherwise allow nothing, silently",
        }
    }

    /// How to fix a finding of this rule.
    pub fn fix(self) -> &'static str {
        match self {
            Rule::DropTable => "keep the table until no code uses it, back it up, or allow the rule with the reason",
            Rule::DropColumn => "stop reading the column in a release first, then drop it; or allow the rule with the reason",
            Rule::AlterColumnType => "add a new column, backfill it in batches, switch the code, then drop the old one; or allow the rule with the reason",
            Rule::Rename => "add the new name alongside the old (a view or a new column), migrate the code, then remove the old name; or allow the rule",
            Rule::NotNullWithoutDefault => "give the column a constant DEFAULT, or add it nullable, fill it with op.backfill(…), then op.set_not_null(table, column) in a migration marked transactional = false",
            Rule::AddingFieldWithDefault => "add the column without a default, set the default for new rows, backfill existing rows in batches; or use a constant default",
            Rule::AddingNotNullableField => "call op.set_not_null(table, column) in a migration marked transactional = false: it adds CHECK (col IS NOT NULL) NOT VALID, validates it, then SET NOT NULL without a scan (PostgreSQL 12+) and drops the check",
            Rule::AddingForeignKeyConstraint => "call op.add_foreign_key_not_valid(fk), then op.validate_constraint(table, name) in a later migration, or after it in this one if it is marked transactional = false (SQL: ADD ... NOT VALID, then VALIDATE CONSTRAINT)",
            Rule::ConstraintMissingNotValid => "call op.add_check_not_valid(table, name, expr) or op.add_foreign_key_not_valid(fk), then op.validate_constraint(table, name) in a later migration, or after it in this one if it is marked transactional = false (SQL: ADD ... NOT VALID, then VALIDATE CONSTRAINT)",
            Rule::DisallowedUniqueConstraint => "call op.add_unique(table, name, columns) in a migration marked transactional = false: it runs CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... UNIQUE USING INDEX",
            Rule::AddingSerialPrimaryKeyField => "CREATE UNIQUE INDEX CONCURRENTLY in a non-transactional migration, then ADD CONSTRAINT ... PRIMARY KEY USING INDEX",
            Rule::BanDropNotNull => "keep the column NOT NULL and use a marker value, or check every reader handles NULL first; then allow the rule",
            Rule::FkWithoutIndex => "create an index whose first columns are the foreign key's columns",
            Rule::IndexUnknownColumn => "fix the column name, or index a table that has the column",
            Rule::UnknownColumn => "fix the column name, or add the column in an earlier statement",
            Rule::DuplicateName => "give the object a name of its own, or drop the old one first",
            Rule::UnknownTable => "create the referenced table first (in an earlier statement or revision), or fix the name",
            Rule::UnknownIndex => "fix the name, or use DROP ... IF EXISTS",
            Rule::UnknownSchema => "give the schema the files start from: --schema URL (a live database) or --after REV (the chain at REV)",
            Rule::VolatileIndexPredicate => "remove the volatile function from the index; filter by time in the query instead",
            Rule::IndexNotConcurrent => "call op.create_index(index) in a migration marked transactional = false, which builds it CONCURRENTLY (SQL: CREATE INDEX CONCURRENTLY)",
            Rule::RequireConcurrentIndexDeletion => "call op.drop_index(name) in a migration marked transactional = false, which drops it CONCURRENTLY (SQL: DROP INDEX CONCURRENTLY)",
            Rule::BanConcurrentIndexCreationInTransaction => "put the statement in a migration of its own marked transactional = false (a .sql file: `-- arx-migrate: transactional = false`)",
            Rule::ConcurrentlyInMultiStatement => "give the CONCURRENTLY statement an op.sql call (or migration) of its own",
            Rule::TransactionNesting => "remove the statement; for statements that cannot run in a transaction, mark the migration transactional = false",
            Rule::MissingLockTimeout => "start the migration with op.postgres(\"SET LOCAL lock_timeout = '5s'\") (SQL: SET LOCAL lock_timeout = '5s'); or run with Migrator::lock_retries(LockRetry::new()) and allow the rule",
            Rule::TruncateTable => "delete only the rows that must go, with a WHERE clause, or allow the rule with the reason",
            Rule::DeleteWithoutWhere => "add the WHERE clause that selects the rows to remove, or allow the rule with the reason",
            Rule::UpdateWithoutWhere => "backfill in batches with op.backfill(Backfill::new(table).set(column, expression)) in a migration marked transactional = false (each batch commits with its position, so a killed run resumes), or allow the rule if the table is small",
            Rule::VacuumFull => "use plain VACUUM outside migrations, or pg_repack",
            Rule::BanDropDatabase => "never drop a database from a migration",
            Rule::ExtensionWithoutIfNotExists => "write CREATE EXTENSION IF NOT EXISTS (Ops::require_extension does)",
            Rule::NeedsSuperuser => "have the DBA run it once before migrating (for an extension: CREATE EXTENSION as a superuser; the migration's IF NOT EXISTS then passes), and allow the rule with that reason; `arx-migrate grants` lists it",
            Rule::SqliteUnsupportedAlter => "rebuild the table (create the new table, copy the rows, drop the old one, rename it), as Ops does for portable alterations",
            Rule::DowngradeMismatch => "make the downgrade the exact reverse of the upgrade",
            Rule::PreferBigInt => "use bigint (or bigint GENERATED ... AS IDENTITY)",
            Rule::PreferIdentity => "use bigint GENERATED BY DEFAULT AS IDENTITY",
            Rule::PreferTextField => "use text, with a CHECK (length(col) <= n) if the limit matters",
            Rule::PreferTimestamptz => "use timestamptz",
            Rule::BanCharField => "use text (or varchar)",
            Rule::PreferRobustStmts => "use CREATE ... IF NOT EXISTS, DROP ... IF EXISTS, ADD COLUMN IF NOT EXISTS",
            Rule::MysqlSeveralDdl => "split the revision into one revision per DDL statement, or keep to statements whose reverse is known (CREATE TABLE, CREATE INDEX, ADD COLUMN) and name the others' with op.mysql_reversible(sql, reverse)",
            Rule::MysqlDdlWithDataChange => "move the data change into a revision of its own (before or after the DDL)",
            Rule::MysqlAlgorithmCopy => "use ALGORITHM=INSTANT or ALGORITHM=INPLACE with LOCK=NONE where the server can make the change that way (it refuses when it cannot), or an online schema change tool (gh-ost, pt-online-schema-change) for the change that needs a copy",
            Rule::MysqlAlterWithoutAlgorithm => "end the statement with `, ALGORITHM=INSTANT` (or `ALGORITHM=INPLACE`) and `, LOCK=NONE`: the server then refuses a change it cannot make without a copy or a lock, instead of making it",
            Rule::UnparsedStatement => "review the statement by hand; lint does not track its effect on the schema",
            Rule::RenderFailed => "fix the migration so that it renders for this backend (on SQLite rebuild the table instead of altering it)",
            Rule::InvalidAllow => "write allows as \"rule-id: reason\" with a rule id from `lint --rules`",
        }
    }

    /// The rule with this id or alias.
    pub fn from_id(id: &str) -> Option<Rule> {
        let id = id.trim();
        Rule::ALL
            .into_iter()
            .find(|rule| rule.id() == id || rule.aliases().contains(&id))
    }

    /// The rule whose id is closest to `id` (a likely typo), if any is close.
    pub fn closest(id: &str) -> Option<Rule> {
        let id = id.trim();
        Rule::ALL
            .into_iter()
            .map(|rule| (edit_distance(rule.id(), id), rule))
            .filter(|(distance, _)| *distance <= 3.max(id.len() / 5))
            .min_by_key(|(distance, _)| *distance)
            .map(|(_, rule)| rule)
    }

    /// Whether the rule applies on PostgreSQL only.
    pub fn postgres_only(self) -> bool {
        self.scope() == Scope::Postgres
    }
}

/// Levenshtein distance, for "did you mean".
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
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
    /// Other names it answers to (squawk's).
    pub aliases: &'static [&'static str],
    /// The severity of its findings.
    pub severity: Severity,
    /// The backends it applies to.
    pub backends: Scope,
    /// Whether it is on without a `[lint]` setting.
    pub default_enabled: bool,
    /// Why it exists.
    pub reason: &'static str,
    /// How to fix a finding.
    pub fix: &'static str,
}

/// Every rule with its id, severity, backends, reason and fix.
pub fn rules() -> Vec<RuleInfo> {
    Rule::ALL
        .into_iter()
        .map(|rule| RuleInfo {
            id: rule.id(),
            aliases: rule.aliases(),
            severity: rule.severity(),
            backends: rule.scope(),
            default_enabled: rule.default_enabled(),
            reason: rule.reason(),
            fix: rule.fix(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_aliases_are_unique_and_found() {
        let mut seen = std::collections::BTreeSet::new();
        for rule in Rule::ALL {
            for name in std::iter::once(rule.id()).chain(rule.aliases().iter().copied()) {
                assert!(seen.insert(name), "{name} twice");
                assert_eq!(Rule::from_id(name), Some(rule));
            }
        }
        assert_eq!(Rule::closest("drop-tabel"), Some(Rule::DropTable));
        assert_eq!(Rule::closest("something-else-entirely"), None);
    }
}
