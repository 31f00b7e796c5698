//! `revision` and `merge`: new migration modules written from a template.
//!
//! How a new module gets compiled with no file edited by hand: the
//! migrations folder (default `src/migrations/`) has a `mod.rs` (or a
//! sibling `migrations.rs`) that this tool maintains, one `pub mod NAME;`
//! line per revision. Each module file holds one `#[migration]` inline
//! module called `migration`, which registers itself through `inventory`;
//! the crate root says `mod migrations;` once. The first `revision` creates
//! the folder and its `mod.rs` and says so.
//!
//! The new revision's parent is the current head of the program's
//! migrations together with the modules already in the folder and the
//! `.sql` migrations in the SQL folder, so two `revision` runs in a row
//! chain even before the program is rebuilt.
//!
//! With `--sql` they write a `.sql` migration instead (see [`sql`]).

mod autogen;
mod expand;
mod known;
mod module;
mod naming;
mod sql;

pub(crate) use autogen::{autogenerate, AutogenerateArgs};

use super::context::Context;
use super::error::CliError;
use super::output::Done;
use known::{checked_id, parents, Known};
use module::{write_module, Folders};

/// `revision -m MSG [--rev-id ID] [--head REV] [--sql]`.
pub(crate) fn revision(
    ctx: &Context<'_>,
    message: &str,
    rev_id: Option<&str>,
    head: Option<&str>,
    sql: bool,
) -> Result<Done, CliError> {
    let message = arx_migrate_core::not_api::text::one_line(message);
    let folders = Folders::read(ctx, sql)?;
    let known = Known::load(ctx, &folders.rust, &folders.sql)?;
    let parents = parents(ctx, &known, head)?;
    write_revision(
        ctx, &folders, &known, rev_id, &parents, &message, sql, false,
    )
}

/// `merge -m MSG REV... [--sql]`.
pub(crate) fn merge(
    ctx: &Context<'_>,
    message: &str,
    rev_id: Option<&str>,
    revisions: &[String],
    sql: bool,
) -> Result<Done, CliError> {
    let message = arx_migrate_core::not_api::text::one_line(message);
    let folders = Folders::read(ctx, sql)?;
    let known = Known::load(ctx, &folders.rust, &folders.sql)?;
    let mut parents: Vec<String> = Vec::new();
    for rev in revisions {
        let ids = if rev == "heads" {
            known.heads()
        } else {
            vec![known
                .resolve(rev)
                .map_err(|e| CliError::from_core(e, ctx.program()))?]
        };
        for id in ids {
            if !parents.contains(&id) {
                parents.push(id);
            }
        }
    }
    if parents.len() < 2 {
        return Err(CliError::usage(format!(
            "a merge joins two or more revisions; got {}",
            if parents.is_empty() {
                "none".to_string()
            } else {
                parents.join(", ")
            }
        )));
    }
    write_revision(ctx, &folders, &known, rev_id, &parents, &message, sql, true)
}

/// Writes the new revision (a merge when `merge`): a `.sql` migration when
/// `sql` (numbered after the folder's last one unless `rev_id` is given),
/// a Rust module otherwise.
#[allow(clippy::too_many_arguments)]
fn write_revision(
    ctx: &Context<'_>,
    folders: &Folders,
    known: &Known,
    rev_id: Option<&str>,
    parents: &[String],
    message: &str,
    sql: bool,
    merge: bool,
) -> Result<Done, CliError> {
    if sql {
        let numbered = folders
            .sql
            .next_id()
            .filter(|id| !known.revisions.contains_key(id));
        let id = checked_id(ctx, rev_id.or(numbered.as_deref()), message, known)?;
        return sql::write(ctx, &folders.sql, &id, parents, message, merge, None);
    }
    let id = checked_id(ctx, rev_id, message, known)?;
    write_module(ctx, &id, parents, message, merge, None)
}

#[cfg(test)]
mod tests {
    use super::known::scan_attributes;
    use super::module::template;
    use super::naming::{module_name, rust_identifier};

    #[test]
    fn attributes_are_scanned() {
        let text = "#[arx_migrate::migration(rev = \"abc\", down_rev = [\"a\", \"b\"])]\npub mod migration {}\n#[migration(rev = \"x1\")]\n#[migration(down_rev = \"x1\", rev = \"x2\", transactional = false)]";
        assert_eq!(
            scan_attributes(text),
            vec![
                ("abc".to_string(), vec!["a".to_string(), "b".to_string()]),
                ("x1".to_string(), vec![]),
                ("x2".to_string(), vec!["x1".to_string()]),
            ]
        );
    }

    #[test]
    fn folder_names_become_identifiers() {
        assert_eq!(rust_identifier("migrations"), "migrations");
        assert_eq!(
            rust_identifier("out-24_change_fk_action-sqlite"),
            "out_24_change_fk_action_sqlite"
        );
        assert_eq!(rust_identifier("2024-migrations"), "m2024_migrations");
        assert_eq!(rust_identifier("mod"), "mmod");
        assert_eq!(rust_identifier("schéma"), "sch_ma");
    }

    #[test]
    fn an_attribute_is_read_whole_whatever_its_strings_hold() {
        let text = "#[migration(rev = \"x3\", allow = [\"destructive-drop: the old (unused) table\"], down_rev = \"x2\")]\n#[migration(rev = \"x4\", transactional = \"no\", down_rev = [\"x3\"])]";
        assert_eq!(
            scan_attributes(text),
            vec![
                ("x3".to_string(), vec!["x2".to_string()]),
                ("x4".to_string(), vec!["x3".to_string()]),
            ]
        );
    }

    #[test]
    fn module_names_are_identifiers() {
        assert_eq!(
            module_name("3f2a", "Add buildings & floors!"),
            "m3f2a_add_buildings_floors"
        );
        assert_eq!(module_name("A-1", "***"), "ma_1");
        let long = module_name("1", &"word ".repeat(50));
        assert!(long.len() < 50, "{long}");
    }

    #[test]
    fn templates_name_their_parents() {
        let t = template("m3", &["a".into(), "b".into()], "join", true, "tool");
        assert!(
            t.contains("#[arx_migrate::migration(rev = \"m3\", down_rev = [\"a\", \"b\"])]"),
            "{t}"
        );
        assert_eq!(
            scan_attributes(&t),
            vec![("m3".to_string(), vec!["a".to_string(), "b".to_string()])]
        );
        let t = template("r1", &[], "first", false, "tool");
        assert!(t.contains("rev = \"r1\")]"), "{t}");
    }
}
