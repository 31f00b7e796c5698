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
mod sql;

pub(crate) use autogen::{autogenerate, AutogenerateArgs};

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::json;

use arx_migrate_core::error::Error;
use arx_migrate_core::graph::validate_revision_id;
use arx_migrate_ids::options::{self, Dialect};

use super::context::Context;
use super::error::CliError;
use super::output::Done;
use sql::SqlFolder;

/// Revisions known to the program and to the folder: id → parents.
struct Known {
    revisions: BTreeMap<String, Vec<String>>,
}

impl Known {
    fn load(ctx: &Context<'_>, dir: &Path, sql: &SqlFolder) -> Result<Self, CliError> {
        let migrator = ctx.code_even_if_empty()?;
        let mut revisions: BTreeMap<String, Vec<String>> = migrator
            .graph()
            .in_order()
            .map(|m| {
                (
                    m.revision().to_string(),
                    m.down_revisions().iter().map(|p| p.to_string()).collect(),
                )
            })
            .collect();
        if let Ok(entries) = std::fs::read_dir(ctx.path(dir)) {
            let mut files: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "rs"))
                .collect();
            files.sort();
            for file in files {
                let Ok(text) = std::fs::read_to_string(&file) else {
                    continue;
                };
                for (rev, parents) in scan_attributes(&text) {
                    revisions.entry(rev).or_insert(parents);
                }
            }
        }
        for entry in &sql.entries {
            revisions
                .entry(entry.revision.clone())
                .or_insert_with(|| entry.down_revisions.clone());
        }
        Ok(Known { revisions })
    }

    fn heads(&self) -> Vec<String> {
        let parents: BTreeSet<&String> = self.revisions.values().flatten().collect();
        self.revisions
            .keys()
            .filter(|id| !parents.contains(id))
            .cloned()
            .collect()
    }

    /// An exact id or a unique prefix.
    fn resolve(&self, text: &str) -> Result<String, Error> {
        if self.revisions.contains_key(text) {
            return Ok(text.to_string());
        }
        let matches: Vec<&String> = self
            .revisions
            .keys()
            .filter(|id| id.starts_with(text))
            .collect();
        match matches.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(Error::UnknownRevision {
                target: text.to_string(),
                candidates: self
                    .revisions
                    .keys()
                    .filter(|id| id.contains(text) || text.contains(id.as_str()))
                    .take(3)
                    .cloned()
                    .collect(),
            }),
            many => Err(Error::AmbiguousRevision {
                prefix: text.to_string(),
                candidates: many.iter().map(|s| s.to_string()).collect(),
            }),
        }
    }
}

/// `(rev, down_revs)` of each `migration(rev = "...", down_rev = ...)`
/// attribute in `text`, read by the attribute's own rules
/// (`arx_migrate_ids::options`). Only `rev` and `down_rev` matter here: a
/// mistake in another option (left to the compiler) does not hide the
/// revision. An attribute whose `rev` or `down_rev` the compiler would
/// refuse is skipped.
fn scan_attributes(text: &str) -> Vec<(String, Vec<String>)> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("migration(") {
        rest = &rest[start + "migration(".len()..];
        let Ok((raw, after)) = options::text::read_to_close(rest) else {
            continue;
        };
        rest = after;
        let graph_options = raw
            .into_iter()
            .filter(|option| option.name == "rev" || option.name == "down_rev")
            .collect();
        if let Ok(parsed) = options::parse(graph_options, Dialect::Attribute) {
            if let Some(rev) = parsed.rev {
                let parents = parsed.down_revs.unwrap_or_default();
                found.push((rev.into(), parents.into_iter().map(String::from).collect()));
            }
        }
    }
    found
}

/// A fresh revision id: 12 hex digits.
fn fresh_id(message: &str, known: &Known) -> String {
    let mut attempt = 0u32;
    loop {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let mut hasher = hmac_sha256::Hash::new();
        hasher.update(nanos.to_le_bytes());
        hasher.update(std::process::id().to_le_bytes());
        hasher.update(attempt.to_le_bytes());
        hasher.update(message.as_bytes());
        let digest = hasher.finalize();
        let id: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
        if !known.revisions.contains_key(&id) {
            return id;
        }
        attempt += 1;
    }
}

/// The message's first words, lowercase, joined with `_` (at most about
/// 40 characters).
fn slug(message: &str) -> String {
    let mut slug = String::new();
    for word in message
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if slug.len() + word.len() > 40 {
            break;
        }
        if !slug.is_empty() {
            slug.push('_');
        }
        slug.push_str(&word.to_ascii_lowercase());
    }
    slug
}

/// `m<id>_<words of the message>`, a valid module name.
fn module_name(id: &str, message: &str) -> String {
    let id: String = id.to_ascii_lowercase().replace('-', "_");
    let slug = slug(message);
    if slug.is_empty() {
        format!("m{id}")
    } else {
        format!("m{id}_{slug}")
    }
}

/// A Rust identifier for a file or folder name: what is not a letter,
/// digit or `_` becomes `_`, and a name that starts with a digit or is a
/// keyword gets an `m` in front (as [`module_name`] does for ids).
fn rust_identifier(name: &str) -> String {
    const KEYWORDS: &[&str] = &[
        "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum",
        "extern", "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move",
        "mut", "pub", "ref", "return", "self", "static", "struct", "super", "trait", "true",
        "type", "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final",
        "gen", "macro", "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
    ];
    let ident: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let needs_prefix = ident.is_empty()
        || ident == "_"
        || ident.starts_with(|c: char| c.is_ascii_digit())
        || KEYWORDS.contains(&ident.as_str());
    if needs_prefix {
        format!("m{ident}")
    } else {
        ident
    }
}

fn template(id: &str, parents: &[String], message: &str, merge: bool, program: &str) -> String {
    let down_rev = match parents {
        [] => String::new(),
        [one] => format!(", down_rev = \"{one}\""),
        many => format!(
            ", down_rev = [{}]",
            many.iter()
                .map(|p| format!("\"{p}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let (upgrade_body, downgrade_body) = if merge {
        (
            "        // A merge joins branches; it usually changes nothing.\n        let _ = op;\n        Ok(())",
            "        let _ = op;\n        Ok(())",
        )
    } else {
        (
            "        // op.exec(arx_migrate::sea_query::Table::create() ... )?; or op.sql(\"...\")?;\n        let _ = op;\n        Ok(())",
            "        // The exact reverse of upgrade.\n        let _ = op;\n        Ok(())",
        )
    };
    format!(
        "//! Revision {id}: {message}\n\
         //!\n\
         //! Written by `{program} {verb}`; listed in this folder's module file.\n\
         \n\
         /// {message}\n\
         #[arx_migrate::migration(rev = \"{id}\"{down_rev})]\n\
         pub mod migration {{\n\
         \x20   use arx_migrate::prelude::*;\n\
         \n\
         \x20   pub fn upgrade(op: &mut Ops) -> Result<()> {{\n\
         {upgrade_body}\n\
         \x20   }}\n\
         \n\
         \x20   pub fn downgrade(op: &mut Ops) -> Result<()> {{\n\
         {downgrade_body}\n\
         \x20   }}\n\
         }}\n",
        verb = if merge { "merge" } else { "revision" },
    )
}

/// The file listing the folder's modules: `dir/mod.rs`, or `dir.rs` next
/// to it when that is how the crate declares the folder.
fn module_list(ctx: &Context<'_>, dir: &Path) -> PathBuf {
    let sibling = dir.with_extension("rs");
    if !ctx.path(&dir.join("mod.rs")).exists() && ctx.path(&sibling).exists() {
        sibling
    } else {
        dir.join("mod.rs")
    }
}

fn io_error(action: &str, path: &Path, error: std::io::Error) -> CliError {
    CliError::new("io", format!("cannot {action} {}: {error}", path.display()))
        .hint("check the migrations folder (--migrations-dir) and its permissions")
}

/// Writes the module and lists it.
fn write_module(
    ctx: &Context<'_>,
    id: &str,
    parents: &[String],
    message: &str,
    merge: bool,
    content: Option<String>,
) -> Result<Done, CliError> {
    let dir = ctx.migrations_dir();
    let name = module_name(id, message);
    let file = dir.join(format!("{name}.rs"));
    if ctx.path(&file).exists() {
        return Err(
            CliError::new("exists", format!("{} already exists", file.display()))
                .hint("choose another --rev-id or message"),
        );
    }
    std::fs::create_dir_all(ctx.path(&dir)).map_err(|e| io_error("create", &dir, e))?;
    let list = module_list(ctx, &dir);
    let created_list = !ctx.path(&list).exists();
    let mut listing = if created_list {
        format!(
            "//! This crate's migrations, one module per file; `{program} revision`\n//! and `{program} merge` add a line here for each new one.\n\n",
            program = ctx.program()
        )
    } else {
        std::fs::read_to_string(ctx.path(&list)).map_err(|e| io_error("read", &list, e))?
    };
    let line = format!("pub mod {name};");
    if !listing.lines().any(|l| l.trim() == line) {
        if !listing.is_empty() && !listing.ends_with('\n') {
            listing.push('\n');
        }
        listing.push_str(&line);
        listing.push('\n');
    }
    let content = content.unwrap_or_else(|| template(id, parents, message, merge, ctx.program()));
    std::fs::write(ctx.path(&file), content).map_err(|e| io_error("write", &file, e))?;
    std::fs::write(ctx.path(&list), listing).map_err(|e| io_error("write", &list, e))?;

    let mut done = Done::new(json!({
        "command": if merge { "merge" } else { "revision" },
        "revision": id,
        "down_revisions": parents,
        "message": message,
        "module": name,
        "path": file.display().to_string(),
        "module_list": list.display().to_string(),
    }));
    done.line(format!(
        "wrote {} (revision {id}, revises {})",
        file.display(),
        if parents.is_empty() {
            "<base>".to_string()
        } else {
            parents.join(", ")
        }
    ));
    if created_list {
        let folder = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let module = rust_identifier(&folder);
        let declared = ["main.rs", "lib.rs"].iter().any(|root| {
            dir.parent()
                .map(|p| p.join(root))
                .and_then(|p| std::fs::read_to_string(ctx.path(&p)).ok())
                .is_some_and(|text| text.contains(&format!("mod {module};")))
        });
        done.line(format!("created {}", list.display()));
        if !declared {
            // A folder whose name is not an identifier is reached by path.
            let declaration = if module == folder {
                format!("mod {module};")
            } else {
                let listed = list
                    .strip_prefix(dir.parent().unwrap_or(Path::new("")))
                    .unwrap_or(&list);
                format!(
                    "#[path = \"{}\"] mod {module};",
                    listed.display().to_string().replace('\\', "/")
                )
            };
            done.line(format!(
                "add `{declaration}` to the crate root (src/main.rs or src/lib.rs) once, so that cargo builds the folder"
            ));
        }
    }
    Ok(done)
}

fn checked_id(
    ctx: &Context<'_>,
    rev_id: Option<&str>,
    message: &str,
    known: &Known,
) -> Result<String, CliError> {
    match rev_id {
        Some(id) => {
            validate_revision_id(id).map_err(|e| CliError::from_core(e, ctx.program()))?;
            if known.revisions.contains_key(id) {
                return Err(
                    CliError::new("exists", format!("revision {id} already exists"))
                        .hint("choose another --rev-id, or leave it out for a fresh one"),
                );
            }
            Ok(id.to_string())
        }
        None => Ok(fresh_id(message, known)),
    }
}

/// Where the new migration goes, and what is already there.
struct Folders {
    /// Rust modules: `--migrations-dir`, else the program's default.
    rust: PathBuf,
    /// `.sql` migrations: with `--sql`, `--migrations-dir`, else the
    /// program's default.
    sql: SqlFolder,
}

impl Folders {
    fn read(ctx: &Context<'_>, sql: bool) -> Result<Self, CliError> {
        let sql_dir = if sql {
            ctx.global
                .migrations_dir
                .clone()
                .unwrap_or_else(|| ctx.sql_migrations_dir())
        } else {
            ctx.sql_migrations_dir()
        };
        Ok(Folders {
            rust: ctx.migrations_dir(),
            sql: SqlFolder::read(ctx, &sql_dir)?,
        })
    }
}

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

/// The revision a new one revises: `--head REV` (`base` for none), else
/// the one head.
fn parents(ctx: &Context<'_>, known: &Known, head: Option<&str>) -> Result<Vec<String>, CliError> {
    Ok(match head {
        Some("base") => Vec::new(),
        Some(rev) => vec![known
            .resolve(rev)
            .map_err(|e| CliError::from_core(e, ctx.program()))?],
        None => {
            let heads = known.heads();
            if heads.len() > 1 {
                return Err(CliError::from_core(Error::MultipleHeads { heads: heads.clone() }, ctx.program())
                    .hint(format!(
                        "merge them first (`{} merge -m \"merge heads\" heads`), or say which to revise with --head REV",
                        ctx.program()
                    )));
            }
            heads
        }
    })
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
    use super::*;

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
