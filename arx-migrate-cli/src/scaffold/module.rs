//! Writing a Rust migration module, and the folders new revisions go to.

use std::path::{Path, PathBuf};

use serde_json::json;

use super::super::context::Context;
use super::super::error::CliError;
use super::super::output::Done;
use super::naming::{io_error, module_name, rust_identifier};
use super::sql::SqlFolder;

pub(super) fn template(
    id: &str,
    parents: &[String],
    message: &str,
    merge: bool,
    program: &str,
) -> String {
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
pub(super) fn module_list(ctx: &Context<'_>, dir: &Path) -> PathBuf {
    let sibling = dir.with_extension("rs");
    if !ctx.path(&dir.join("mod.rs")).exists() && ctx.path(&sibling).exists() {
        sibling
    } else {
        dir.join("mod.rs")
    }
}

/// Writes the module and lists it.
pub(super) fn write_module(
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

/// Where the new migration goes, and what is already there.
pub(super) struct Folders {
    /// Rust modules: `--migrations-dir`, else the program's default.
    pub(super) rust: PathBuf,
    /// `.sql` migrations: with `--sql`, `--migrations-dir`, else the
    /// program's default.
    pub(super) sql: SqlFolder,
}

impl Folders {
    pub(super) fn read(ctx: &Context<'_>, sql: bool) -> Result<Self, CliError> {
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
