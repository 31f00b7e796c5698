//! `revision --autogenerate --expand`: a column rename or type change on
//! an existing table written as an expand/contract pair of revisions
//! (`Ops::expand`, then `Ops::contract`) instead of one in-place
//! alteration, so that the code using the old column keeps working
//! between the two deploys.
//!
//! The planner sees a rename only where asked (`--rename TABLE.OLD=NEW`),
//! so the pair covers:
//! - a rename: `Expand::rename_column(table, old, new)`;
//! - a rename with a new type: `Expand::change_type(table, old, new, type)`.
//!
//! A type change that keeps the name cannot be expanded (old and new
//! code would need the same column name for two types): name the new
//! column in the schema wanted and pass `--rename`. Any other change is
//! left to a revision of its own.

use super::call::Call;
use super::plan::Step;

/// One change the pair makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpandChange {
    /// The table.
    pub table: String,
    /// The column the old code uses.
    pub old: String,
    /// The column the new code uses.
    pub new: String,
    /// The new column's type, when it changes (as the backend spells it).
    pub data_type: Option<String>,
}

impl ExpandChange {
    /// The `Expand` value, as Rust source.
    fn rust(&self) -> String {
        let q = |text: &str| format!("{text:?}");
        match &self.data_type {
            None => format!(
                "Expand::rename_column({}, {}, {})",
                q(&self.table),
                q(&self.old),
                q(&self.new)
            ),
            Some(data_type) => format!(
                "Expand::change_type({}, {}, {}, {})",
                q(&self.table),
                q(&self.old),
                q(&self.new),
                q(data_type)
            ),
        }
    }
}

/// The changes of an expand/contract pair, found in planned steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpandPair {
    /// The changes, in the order planned.
    pub changes: Vec<ExpandChange>,
}

impl ExpandPair {
    /// The pair for `steps`, or the comments of the steps it cannot make
    /// (all of them must be column renames, each with or without a type
    /// change).
    pub fn from_steps(steps: &[Step]) -> Result<ExpandPair, Vec<String>> {
        let mut changes: Vec<ExpandChange> = Vec::new();
        let mut others = Vec::new();
        for step in steps {
            for call in &step.up {
                if let Call::RenameColumn { table, from, to } = call {
                    changes.push(ExpandChange {
                        table: table.clone(),
                        old: from.clone(),
                        new: to.clone(),
                        data_type: None,
                    });
                }
            }
        }
        for step in steps {
            let mut covered = true;
            for call in &step.up {
                match call {
                    Call::RenameColumn { .. } => {}
                    Call::AlterColumn {
                        table,
                        column,
                        data_type: Some(data_type),
                        not_null: None,
                        default: None,
                    } => match changes
                        .iter_mut()
                        .find(|c| &c.table == table && &c.new == column)
                    {
                        Some(change) => change.data_type = Some(data_type.clone()),
                        None => covered = false,
                    },
                    _ => covered = false,
                }
            }
            if !covered {
                others.push(step.comment.clone());
            }
        }
        if changes.is_empty() || !others.is_empty() {
            if changes.is_empty() && others.is_empty() {
                others.push("no column rename (pass --rename TABLE.OLD=NEW)".to_string());
            }
            return Err(others);
        }
        Ok(ExpandPair { changes })
    }

    /// The expand revision's module.
    pub fn expand_module(
        &self,
        revision: &str,
        parents: &[String],
        message: &str,
        program: &str,
    ) -> String {
        self.module(revision, parents, message, program, "expand", "undo_expand")
    }

    /// The contract revision's module (revising the expand revision).
    pub fn contract_module(
        &self,
        revision: &str,
        expand_revision: &str,
        message: &str,
        program: &str,
    ) -> String {
        self.module(
            revision,
            &[expand_revision.to_string()],
            message,
            program,
            "contract",
            "undo_contract",
        )
    }

    fn module(
        &self,
        revision: &str,
        parents: &[String],
        message: &str,
        program: &str,
        up: &str,
        down: &str,
    ) -> String {
        let mut out = String::new();
        out.push_str(&format!("//! Revision {revision}: {message}\n"));
        out.push_str("//!\n");
        out.push_str(&format!(
            "//! Written by `{program} revision --autogenerate --expand`: the {} half of\n",
            if up == "expand" { "expand" } else { "contract" }
        ));
        out.push_str("//! an expand/contract pair. Deploy the code that uses the new column(s)\n");
        out.push_str("//! between the two revisions. Both build the same `changes()`.\n\n");
        out.push_str(&format!("/// {message}\n"));
        let down_rev = match parents {
            [] => String::new(),
            [one] => format!(", down_rev = {one:?}"),
            many => format!(
                ", down_rev = [{}]",
                many.iter()
                    .map(|p| format!("{p:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        out.push_str(&format!(
            "#[arx_migrate::migration(rev = {revision:?}{down_rev}, transactional = false)]\n"
        ));
        out.push_str("pub mod migration {\n");
        out.push_str("    use arx_migrate::prelude::*;\n\n");
        out.push_str("    /// The changes, the same in the expand and the contract revision.\n");
        out.push_str("    fn changes() -> Vec<Expand> {\n        vec![\n");
        for change in &self.changes {
            out.push_str(&format!("            {},\n", change.rust()));
        }
        out.push_str("        ]\n    }\n\n");
        out.push_str("    pub fn upgrade(op: &mut Ops) -> Result<()> {\n");
        out.push_str("        for change in changes() {\n");
        out.push_str(&format!("            op.{up}(&change)?;\n"));
        out.push_str("        }\n        Ok(())\n    }\n\n");
        out.push_str("    pub fn downgrade(op: &mut Ops) -> Result<()> {\n");
        out.push_str("        for change in changes().iter().rev() {\n");
        out.push_str(&format!("            op.{down}(change)?;\n"));
        out.push_str("        }\n        Ok(())\n    }\n}\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(up: Vec<Call>) -> Step {
        Step {
            comment: "a step".to_string(),
            up,
            down: Vec::new(),
            destructive: None,
            outside_transaction: false,
        }
    }

    #[test]
    fn renames_and_type_changes_become_one_pair_and_anything_else_is_refused() {
        let rename = step(vec![Call::RenameColumn {
            table: "users".to_string(),
            from: "name".to_string(),
            to: "full_name".to_string(),
        }]);
        let retype = step(vec![
            Call::RenameColumn {
                table: "rooms".to_string(),
                from: "area".to_string(),
                to: "area_num".to_string(),
            },
            Call::AlterColumn {
                table: "rooms".to_string(),
                column: "area_num".to_string(),
                data_type: Some("numeric(12,2)".to_string()),
                not_null: None,
                default: None,
            },
        ]);
        let pair = ExpandPair::from_steps(&[rename.clone(), retype]).unwrap();
        assert_eq!(pair.changes.len(), 2);
        assert_eq!(pair.changes[1].data_type.as_deref(), Some("numeric(12,2)"));
        let module = pair.expand_module("e1", &["d0".to_string()], "Rename", "arx-migrate");
        assert!(
            module.contains(r#"Expand::rename_column("users", "name", "full_name"),"#),
            "{module}"
        );
        assert!(
            module
                .contains(r#"Expand::change_type("rooms", "area", "area_num", "numeric(12,2)"),"#),
            "{module}"
        );
        assert!(module.contains(
            r#"#[arx_migrate::migration(rev = "e1", down_rev = "d0", transactional = false)]"#
        ));
        assert!(
            module.contains("op.expand(&change)?;") && module.contains("op.undo_expand(change)?;")
        );
        let contract = pair.contract_module("c1", "e1", "Rename (contract)", "arx-migrate");
        assert!(
            contract.contains("op.contract(&change)?;") && contract.contains(r#"down_rev = "e1""#)
        );

        let other = Step {
            comment: "Drop table old.".to_string(),
            up: vec![Call::DropTable("old".to_string())],
            down: Vec::new(),
            destructive: None,
            outside_transaction: false,
        };
        assert_eq!(
            ExpandPair::from_steps(&[rename, other]),
            Err(vec!["Drop table old.".to_string()])
        );
        assert!(ExpandPair::from_steps(&[]).is_err());
    }
}
