//! `upgrade --sql` and `downgrade --sql`: the script, without connecting.

use serde_json::json;

use arx_migrate_core::error::Direction;

use super::context::Context;
use super::error::CliError;
use super::output::Done;

/// Prints the script that moves a database from `FROM` to `TO`.
///
/// The range is `-r FROM:TO` or a `FROM:TO` target; without `FROM` an
/// upgrade starts from an empty database (and creates the bookkeeping
/// tables), and a downgrade cannot start (the database is not asked).
pub(crate) fn script(
    ctx: &Context<'_>,
    direction: Direction,
    target: Option<&str>,
    range: Option<&str>,
) -> Result<Done, CliError> {
    let (from, to) = match (range, target) {
        (Some(range), None) => split(range)?,
        (Some(range), Some(target)) => {
            let (from, to) = split(range)?;
            if !to.is_empty() && to != target {
                return Err(CliError::usage(format!(
                    "the target is given twice ({target} and -r {range}); give one"
                )));
            }
            (from, target.to_string())
        }
        (None, Some(target)) if target.contains(':') => split(target)?,
        (None, Some(target)) => (String::new(), target.to_string()),
        (None, None) => return Err(CliError::usage("give a TARGET or -r FROM:TO")),
    };
    let to = if to.is_empty() {
        let end = if direction == Direction::Downgrade {
            "base"
        } else {
            "heads"
        };
        end.to_string()
    } else {
        to
    };
    let migrator = ctx.code()?;
    let graph = migrator.graph();
    let from_heads: Vec<String> = match from.as_str() {
        "" | "base" if direction == Direction::Downgrade => {
            return Err(CliError::usage(format!(
                "downgrade --sql needs the revision to start from, since it does not ask the database: `{} downgrade --sql -r FROM:{to}`",
                ctx.program()
            )))
        }
        "" | "base" => Vec::new(),
        "heads" => graph.heads().iter().map(|h| h.to_string()).collect(),
        "head" => vec![graph
            .single_head()
            .map_err(|e| CliError::from_core(e, ctx.program()))?
            .to_string()],
        list => list
            .split(',')
            .map(|id| {
                graph
                    .resolve_revision(id.trim())
                    .map(str::to_string)
                    .map_err(|e| CliError::from_core(e, ctx.program()))
            })
            .collect::<Result<_, _>>()?,
    };
    let backend = ctx.backend()?;
    let script = migrator
        .offline_script(backend, &from_heads, &to, direction)
        .map_err(|e| CliError::from_core(e, ctx.program()))?;
    let mut done = Done::new(json!({
        "command": direction.as_str(),
        "backend": backend.name(),
        "from": from_heads,
        "target": to,
        "sql": script,
    }));
    done.essential = true;
    done.lines = script.lines().map(str::to_string).collect();
    Ok(done)
}

fn split(range: &str) -> Result<(String, String), CliError> {
    range
        .split_once(':')
        .map(|(a, b)| (a.trim().to_string(), b.trim().to_string()))
        .ok_or_else(|| CliError::usage(format!("-r {range:?}: write the range as FROM:TO")))
}
