//! Transactions: `BEGIN`/`COMMIT` inside a migration the runner already
//! wraps, `CONCURRENTLY` where a transaction makes it fail, statements that
//! cannot be re-run in a non-transactional migration, and the
//! `lock_timeout` a migration sets (read from `SET`, never from comments).

use std::ops::ControlFlow;

use sqlparser::ast::{visit_expressions, Expr, ObjectName, Query, Set};

use super::names::object_name;
use super::state::MigrationLint;
use crate::lint::rules::Rule;

fn is_lock_timeout(name: &ObjectName) -> bool {
    object_name(name) == "lock_timeout"
}

impl MigrationLint<'_> {
    pub(super) fn begin(&mut self) {
        if self.settings.transactional {
            self.find(
                Rule::TransactionNesting,
                "BEGIN inside a migration the runner already runs in a transaction (mark it transactional = false to manage transactions yourself)".to_string(),
            );
        } else if self.explicit_transaction {
            self.find(
                Rule::TransactionNesting,
                "BEGIN inside a transaction this migration already began".to_string(),
            );
        }
        self.explicit_transaction = true;
    }

    pub(super) fn commit(&mut self) {
        if self.settings.transactional {
            self.find(
                Rule::TransactionNesting,
                "COMMIT/ROLLBACK ends the runner's transaction early: what follows, and the version table's update, run outside it".to_string(),
            );
        } else if !self.explicit_transaction {
            self.find(
                Rule::TransactionNesting,
                "COMMIT/ROLLBACK without a BEGIN before it in this migration".to_string(),
            );
        }
        self.explicit_transaction = false;
    }

    pub(super) fn set(&mut self, set: &Set) {
        if let Set::SingleAssignment {
            variable, values, ..
        } = set
        {
            if is_lock_timeout(variable) {
                // `SET lock_timeout = 0` switches the timeout off.
                let value = values.first().map(|v| v.to_string()).unwrap_or_default();
                self.lock_timeout = !matches!(value.trim_matches('\''), "0" | "" | "DEFAULT");
                return;
            }
        }
        let names: Vec<&ObjectName> = match set {
            Set::SingleAssignment { variable, .. } => vec![variable],
            Set::ParenthesizedAssignments { variables, .. } => variables.iter().collect(),
            Set::MultipleAssignments { assignments } => {
                assignments.iter().map(|a| &a.name).collect()
            }
            _ => Vec::new(),
        };
        if names.into_iter().any(is_lock_timeout) {
            self.lock_timeout = true;
        }
    }

    /// `SELECT set_config('lock_timeout', …)`.
    pub(super) fn query(&mut self, query: &Query) {
        let mut sets = false;
        let _ = visit_expressions(query, |e: &Expr| {
            if let Expr::Function(f) = e {
                let args = f.args.to_string().to_lowercase();
                if object_name(&f.name) == "set_config" && args.contains("'lock_timeout'") {
                    sets = true;
                    return ControlFlow::Break(());
                }
            }
            ControlFlow::Continue(())
        });
        if sets {
            self.lock_timeout = true;
        }
    }

    /// A statement that cannot run inside a transaction block
    /// (`CREATE/DROP INDEX CONCURRENTLY`, `REINDEX CONCURRENTLY`).
    pub(super) fn concurrently(&mut self, what: &str) {
        if !self.postgres() {
            return;
        }
        if self.settings.transactional {
            self.find(
                Rule::BanConcurrentIndexCreationInTransaction,
                format!("{what} cannot run inside a transaction, and this migration runs in one (mark it transactional = false)"),
            );
        } else if self.explicit_transaction {
            self.find(
                Rule::BanConcurrentIndexCreationInTransaction,
                format!("{what} cannot run inside the transaction the migration began with BEGIN"),
            );
            return;
        }
        // Even once the migration is non-transactional, a string of several
        // statements runs as one implicit transaction.
        if self.here.as_ref().is_some_and(|h| h.shares_string) {
            self.find(
                Rule::ConcurrentlyInMultiStatement,
                format!("{what} is sent in one string with other statements, which PostgreSQL runs as one implicit transaction, where it fails"),
            );
        }
    }

    /// A statement that a non-transactional migration cannot run twice
    /// (`prefer-robust-stmts`, a style rule).
    pub(super) fn robust(&mut self, what: &str) {
        if !self.in_transaction() {
            self.find(
                Rule::PreferRobustStmts,
                format!("{what} in a non-transactional migration: if a later statement fails, running the migration again fails here"),
            );
        }
    }
}
