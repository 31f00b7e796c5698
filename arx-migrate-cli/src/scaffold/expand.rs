//! `revision --autogenerate --expand`: the planned column renames (and
//! type changes of renamed columns) written as two revisions, the expand
//! and the contract, instead of one in-place alteration.

use serde_json::json;

use arx_migrate_verify::autogen::{ExpandPair, Step};

use super::super::context::Context;
use super::super::error::CliError;
use super::super::output::Done;
use super::known::{checked_id, Known};
use super::module::write_module;

/// Writes the expand revision (revising `parents`) and the contract
/// revision (revising the expand), or says which planned steps a pair
/// cannot make.
pub(super) fn write_pair(
    ctx: &Context<'_>,
    message: &str,
    rev_id: Option<&str>,
    parents: &[String],
    known: &Known,
    steps: &[Step],
) -> Result<Done, CliError> {
    let program = ctx.program();
    let pair = ExpandPair::from_steps(steps).map_err(|others| {
        CliError::new(
            "not_expandable",
            format!(
                "revision --autogenerate --expand writes column renames, and type changes of renamed columns, as an expand/contract pair; the schema wanted also needs: {}",
                others.join(" ")
            ),
        )
        .hint(format!(
            "name the new column in the schema wanted and pass --rename TABLE.OLD=NEW (a type change keeping its name cannot run side by side with the old code); write the other changes in a revision of their own first (`{program} revision --autogenerate` without --expand)"
        ))
    })?;
    let expand_id = checked_id(ctx, rev_id, message, known)?;
    let contract_message = format!("{message} (contract)");
    let mut contract_id = checked_id(ctx, None, &contract_message, known)?;
    while contract_id == expand_id {
        contract_id = checked_id(ctx, None, &contract_message, known)?;
    }
    let mut done = write_module(
        ctx,
        &expand_id,
        parents,
        message,
        false,
        Some(pair.expand_module(&expand_id, parents, message, program)),
    )?;
    let contract = write_module(
        ctx,
        &contract_id,
        std::slice::from_ref(&expand_id),
        &contract_message,
        false,
        Some(pair.contract_module(&contract_id, &expand_id, &contract_message, program)),
    )?;
    done.lines.extend(contract.lines);
    done.json["autogenerate"] = json!(true);
    done.json["expand"] = json!({
        "expand_revision": expand_id,
        "contract_revision": contract_id,
        "contract_path": contract.json["path"],
        "changes": pair.changes.iter().map(|c| json!({
            "table": c.table,
            "old": c.old,
            "new": c.new,
            "type": c.data_type,
        })).collect::<Vec<_>>(),
    });
    done.line(format!(
        "{} change(s) as an expand/contract pair: deploy {expand_id} (expand), then the code that uses the new column(s), then {contract_id} (contract)",
        pair.changes.len()
    ));
    Ok(done)
}
