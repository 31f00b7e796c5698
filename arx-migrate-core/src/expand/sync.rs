//! The trigger that keeps the old and the new column(s) in step while old
//! and new code run side by side, as SQL for each backend.
//!
//! The rule, the same on both backends: a row written with only the new
//! side empty gets the new side from the old (`forward`); a row whose new
//! side disagrees with the old gets the old side from the new
//! (`backward`). On an update, the side that was written wins. The guard
//! against ping-pong is that a side is only rewritten when the two
//! disagree: the backfill's own `UPDATE new = forward(old)` (and the
//! contract's downgrade's `UPDATE old = backward(new)`) leave the other
//! side alone, so a lossy conversion never rounds a value it did not
//! have to.
//!
//! PostgreSQL: one `BEFORE INSERT OR UPDATE OF …` row trigger whose
//! function sets `NEW`'s columns (no second write, so nothing to recurse).
//! SQLite's triggers cannot set `NEW`: `AFTER` triggers update the row
//! again by its rowid (so the table must have a rowid), each guarded as
//! above so that the triggers they fire in turn change nothing.

use crate::backend::Backend;
use crate::not_api::text::quote_ident;

/// What the trigger keeps in step, with every column's type.
#[derive(Debug, Clone)]
pub(crate) struct SyncSpec {
    pub(crate) table: String,
    /// The name its trigger, function and SQLite triggers start with.
    pub(crate) name: String,
    /// The old columns: name, type, backward expression.
    pub(crate) old: Vec<(String, String, String)>,
    /// The new columns: name, type, forward expression.
    pub(crate) new: Vec<(String, String, String)>,
    /// For a NOT NULL change: the column, its type and what replaces NULL.
    pub(crate) fill: Option<(String, String, String)>,
}

/// A name of at most 63 bytes (PostgreSQL's limit) for the objects of
/// one change: `arx_sync_<table>_<column>`, shortened with a hash.
pub(crate) fn sync_name(table: &str, change: &str) -> String {
    let readable: String = format!("arx_sync_{table}_{change}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let hash = hmac_sha256::Hash::hash(format!("{table}\u{0}{change}").as_bytes());
    let suffix: String = hash[..4].iter().map(|b| format!("{b:02x}")).collect();
    let keep: String = readable.chars().take(40).collect();
    format!("{keep}_{suffix}")
}

impl SyncSpec {
    /// The statements that install the trigger(s); safe to run again.
    pub(crate) fn install(&self, backend: Backend) -> Vec<String> {
        match backend {
            Backend::Postgres | Backend::Mysql => self.install_postgres(),
            Backend::Sqlite => self.install_sqlite(),
        }
    }

    /// The statements that remove them; safe to run again.
    pub(crate) fn remove(&self, backend: Backend) -> Vec<String> {
        let table = quote_ident(&self.table);
        match backend {
            Backend::Postgres | Backend::Mysql => vec![
                format!(
                    "DROP TRIGGER IF EXISTS {} ON {table}",
                    quote_ident(&self.name)
                ),
                format!("DROP FUNCTION IF EXISTS {}()", quote_ident(&self.name)),
            ],
            Backend::Sqlite => self
                .sqlite_trigger_names()
                .into_iter()
                .map(|name| format!("DROP TRIGGER IF EXISTS {}", quote_ident(&name)))
                .collect(),
        }
    }

    /// A condition over the row: its new side agrees with its old side.
    pub(crate) fn new_agrees(&self, backend: Backend) -> String {
        agree(backend, &self.new)
    }

    /// A condition over the row: its old side agrees with its new side.
    pub(crate) fn old_agrees(&self, backend: Backend) -> String {
        agree(backend, &self.old)
    }

    fn sqlite_trigger_names(&self) -> Vec<String> {
        ["insert", "old", "new", "update"]
            .iter()
            .map(|suffix| format!("{}_{suffix}", self.name))
            .collect()
    }

    fn install_postgres(&self) -> Vec<String> {
        let table = quote_ident(&self.table);
        let name = quote_ident(&self.name);
        let (body, watched) = match &self.fill {
            Some((column, sql_type, fill)) => {
                let c = quote_ident(column);
                (
                    format!(
                        "  IF NEW.{c} IS NULL THEN\n\
                         \x20   SELECT CAST(({fill}) AS {sql_type}) AS {c} INTO arx_fill FROM (SELECT NEW.*) AS arx_row;\n\
                         \x20   NEW.{c} := arx_fill.{c};\n\
                         \x20 END IF;\n"
                    ),
                    vec![c],
                )
            }
            None => {
                let select = |columns: &[(String, String, String)], into: &str| {
                    let values: Vec<String> = columns
                        .iter()
                        .map(|(name, sql_type, expression)| {
                            format!(
                                "CAST(({expression}) AS {sql_type}) AS {}",
                                quote_ident(name)
                            )
                        })
                        .collect();
                    format!(
                        "SELECT {} INTO {into} FROM (SELECT NEW.*) AS arx_row;",
                        values.join(", ")
                    )
                };
                let assign = |columns: &[(String, String, String)], from: &str| {
                    columns
                        .iter()
                        .map(|(name, ..)| {
                            let c = quote_ident(name);
                            format!("NEW.{c} := {from}.{c};")
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                };
                let all_null = self
                    .new
                    .iter()
                    .map(|(name, ..)| format!("NEW.{} IS NULL", quote_ident(name)))
                    .collect::<Vec<_>>()
                    .join(" AND ");
                let changed = |columns: &[(String, String, String)]| {
                    columns
                        .iter()
                        .map(|(name, ..)| {
                            let c = quote_ident(name);
                            format!("NEW.{c} IS DISTINCT FROM OLD.{c}")
                        })
                        .collect::<Vec<_>>()
                        .join(" OR ")
                };
                let agrees = |columns: &[(String, String, String)], with: &str| {
                    columns
                        .iter()
                        .map(|(name, ..)| {
                            let c = quote_ident(name);
                            format!("NEW.{c} IS NOT DISTINCT FROM {with}.{c}")
                        })
                        .collect::<Vec<_>>()
                        .join(" AND ")
                };
                // Each side's expressions are evaluated only where needed:
                // the backfill's own UPDATE (the new side written, and
                // agreeing) costs one evaluation per row.
                let body = format!(
                    "  IF TG_OP = 'INSERT' THEN\n\
                     \x20   {select_fwd}\n\
                     \x20   IF {all_null} THEN\n\
                     \x20     {to_new}\n\
                     \x20   ELSIF NOT ({new_agrees}) THEN\n\
                     \x20     {select_back}\n\
                     \x20     {to_old}\n\
                     \x20   END IF;\n\
                     \x20 ELSIF ({old_changed}) AND NOT ({new_changed}) THEN\n\
                     \x20   {select_back}\n\
                     \x20   IF NOT ({old_agrees}) THEN\n\
                     \x20     {select_fwd}\n\
                     \x20     {to_new}\n\
                     \x20   END IF;\n\
                     \x20 ELSIF ({new_changed}) AND NOT ({old_changed}) THEN\n\
                     \x20   {select_fwd}\n\
                     \x20   IF NOT ({new_agrees}) THEN\n\
                     \x20     {select_back}\n\
                     \x20     {to_old}\n\
                     \x20   END IF;\n\
                     \x20 END IF;\n",
                    select_fwd = select(&self.new, "arx_forward"),
                    select_back = select(&self.old, "arx_backward"),
                    to_new = assign(&self.new, "arx_forward"),
                    to_old = assign(&self.old, "arx_backward"),
                    new_agrees = agrees(&self.new, "arx_forward"),
                    old_agrees = agrees(&self.old, "arx_backward"),
                    old_changed = changed(&self.old),
                    new_changed = changed(&self.new),
                );
                let watched = self
                    .old
                    .iter()
                    .chain(&self.new)
                    .map(|(name, ..)| quote_ident(name))
                    .collect();
                (body, watched)
            }
        };
        vec![
            format!(
                "CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $arx_migrate$\n\
                 DECLARE\n\
                 \x20 arx_forward record;\n\
                 \x20 arx_backward record;\n\
                 \x20 arx_fill record;\n\
                 BEGIN\n\
                 {body}\
                 \x20 RETURN NEW;\n\
                 END\n\
                 $arx_migrate$"
            ),
            format!(
                "CREATE OR REPLACE TRIGGER {name} BEFORE INSERT OR UPDATE OF {} ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()",
                watched.join(", ")
            ),
        ]
    }

    fn install_sqlite(&self) -> Vec<String> {
        let table = quote_ident(&self.table);
        let names = self.sqlite_trigger_names();
        let trigger = |name: &str, event: String, body: Vec<String>| {
            format!(
                "CREATE TRIGGER IF NOT EXISTS {} AFTER {event} ON {table} FOR EACH ROW BEGIN\n  {};\nEND",
                quote_ident(name),
                body.join(";\n  ")
            )
        };
        let update = |set: &[(String, String, String)], condition: String| {
            let assignments: Vec<String> = set
                .iter()
                .map(|(name, _, expression)| format!("{} = ({expression})", quote_ident(name)))
                .collect();
            format!(
                "UPDATE {table} SET {} WHERE rowid = NEW.rowid AND {condition}",
                assignments.join(", ")
            )
        };
        let columns = |set: &[(String, String, String)]| {
            set.iter()
                .map(|(name, ..)| quote_ident(name))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if let Some((column, _, fill)) = &self.fill {
            let fill_one = vec![(column.clone(), String::new(), fill.clone())];
            let condition = format!("{} IS NULL", quote_ident(column));
            return vec![
                trigger(
                    &names[0],
                    "INSERT".to_string(),
                    vec![update(&fill_one, condition.clone())],
                ),
                trigger(
                    &names[3],
                    format!("UPDATE OF {}", quote_ident(column)),
                    vec![update(&fill_one, condition)],
                ),
            ];
        }
        let new_empty = self
            .new
            .iter()
            .map(|(name, ..)| format!("{} IS NULL", quote_ident(name)))
            .collect::<Vec<_>>()
            .join(" AND ");
        let new_disagrees = format!("NOT ({})", self.new_agrees(Backend::Sqlite));
        let old_disagrees = format!("NOT ({})", self.old_agrees(Backend::Sqlite));
        vec![
            trigger(
                &names[0],
                "INSERT".to_string(),
                vec![
                    update(&self.new, new_empty),
                    update(&self.old, new_disagrees.clone()),
                ],
            ),
            trigger(
                &names[1],
                format!("UPDATE OF {}", columns(&self.old)),
                vec![update(&self.new, old_disagrees)],
            ),
            trigger(
                &names[2],
                format!("UPDATE OF {}", columns(&self.new)),
                vec![update(&self.old, new_disagrees)],
            ),
        ]
    }
}

/// `column IS NOT DISTINCT FROM (expression)` for each, joined by AND.
fn agree(backend: Backend, columns: &[(String, String, String)]) -> String {
    columns
        .iter()
        .map(|(name, sql_type, expression)| match backend {
            Backend::Postgres | Backend::Mysql => format!(
                "{} IS NOT DISTINCT FROM CAST(({expression}) AS {sql_type})",
                quote_ident(name)
            ),
            Backend::Sqlite => format!("{} IS ({expression})", quote_ident(name)),
        })
        .collect::<Vec<_>>()
        .join(" AND ")
}

#[cfg(test)]
mod tests {
    use super::sync_name;

    #[test]
    fn names_fit_postgres_and_differ_per_change() {
        let long = "a".repeat(100);
        assert!(sync_name(&long, "x->y").len() <= 63);
        assert_ne!(
            sync_name("users", "name->full_name"),
            sync_name("users", "name->nick")
        );
        assert!(sync_name("users", "name->full_name").starts_with("arx_sync_users_name__full_name"));
    }
}
