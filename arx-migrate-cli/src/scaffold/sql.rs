//! `revision --sql` and `merge --sql`: a new `.sql` migration in the
//! folder that `sql_migrations!` embeds (default `migrations/`).
//!
//! In arx-migrate's layout (an empty or new folder, or one with a folder
//! per revision) it writes `<id>_<words>/up.sql` and `down.sql`, the
//! header naming the revision and its parents. In a folder with sqlx's
//! layout it writes sqlx's `<version>_<words>.up.sql` and `.down.sql`, so
//! that a project moving over keeps one layout; refinery's layout has no
//! downgrades, and is refused.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use arx_migrate_core::Backend;
use arx_migrate_sqlfiles::{Entry, Layout};
use arx_migrate_verify::autogen::{proper_name, Script, ScriptFile};
use serde_json::json;

use super::super::context::Context;
use super::super::error::CliError;
use super::super::output::Done;
use super::naming::{io_error, slug};

/// What the folder holds now.
pub(super) struct SqlFolder {
    pub(super) dir: PathBuf,
    pub(super) entries: Vec<Entry>,
}

impl SqlFolder {
    /// Reads `dir`; a folder that does not exist yet is empty.
    pub(super) fn read(ctx: &Context<'_>, dir: &Path) -> Result<Self, CliError> {
        let on_disk = ctx.path(dir);
        let entries = if on_disk.exists() {
            arx_migrate_sqlfiles::read_dir(&on_disk).map_err(|e| {
                CliError::new("sql_files", e.to_string())
                    .hint("fix the file, then run the command again")
            })?
        } else {
            Vec::new()
        };
        Ok(SqlFolder {
            dir: dir.to_path_buf(),
            entries,
        })
    }

    fn layout(&self) -> Layout {
        self.entries
            .first()
            .map_or(Layout::Native, |entry| entry.layout)
    }

    /// The id the next revision gets when none is given: the next number
    /// when every revision so far is numbered by its folder or file name
    /// (`003` → `004`, sqlx's timestamps → now), else `None` (a fresh
    /// random id, as for Rust modules).
    pub(super) fn next_id(&self) -> Option<String> {
        let numbers: Vec<&str> = self
            .entries
            .iter()
            .map(|e| e.revision.as_str())
            .filter(|id| id.chars().all(|c| c.is_ascii_digit()))
            .collect();
        if numbers.is_empty() {
            return (self.layout() == Layout::Sqlx).then(utc_timestamp);
        }
        if numbers.len() != self.entries.len() {
            return None;
        }
        let width = numbers.iter().map(|id| id.len()).max().unwrap_or(0);
        if width >= 14 {
            return Some(utc_timestamp());
        }
        let next = numbers
            .iter()
            .filter_map(|id| id.parse::<u128>().ok())
            .max()
            .map_or(1, |n| n + 1);
        Some(format!("{next:0width$}"))
    }
}

/// What `revision --autogenerate --format sql` puts in the files.
pub(super) struct SqlBody {
    /// The header's options after `down_rev` (`transactional = false`,
    /// `allow = [...]`), or empty.
    pub(super) options: String,
    /// The backend the schemas were compared on: where the backends'
    /// SQL differs, its up file carries the header's options, and in
    /// sqlx's layout (one file for every backend) its SQL is written.
    pub(super) backend: Backend,
    /// The upgrade, after each up file's header.
    pub(super) up: Script,
    /// The downgrade, after each down file's first line.
    pub(super) down: Script,
}

/// Writes the new migration's files (with `body`, its statements).
pub(super) fn write(
    ctx: &Context<'_>,
    folder: &SqlFolder,
    id: &str,
    parents: &[String],
    message: &str,
    merge: bool,
    body: Option<&SqlBody>,
) -> Result<Done, CliError> {
    let verb = if merge { "merge" } else { "revision" };
    let program = ctx.program();
    let slug = slug(message);
    let (allow, written_by) = match body {
        Some(body) if !body.options.is_empty() => {
            (format!(", {}", body.options), "revision --autogenerate")
        }
        Some(_) => (String::new(), "revision --autogenerate"),
        None => (
            String::new(),
            if merge {
                "merge --sql"
            } else {
                "revision --sql"
            },
        ),
    };
    let (files, layout): (Vec<(PathBuf, String)>, Layout) = match folder.layout() {
        Layout::Native => {
            let revision_dir = folder.dir.join(if slug.is_empty() {
                id.to_string()
            } else {
                format!("{id}_{slug}")
            });
            let empty = Script::Shared(String::new());
            let (up, down) = body.map_or((&empty, &empty), |b| (&b.up, &b.down));
            let options = format!(
                "-- arx-migrate: rev = \"{id}\", down_rev = {}{allow}\n",
                parent_list(parents)
            );
            let up_files = up.files("up");
            let mut files = Vec::new();
            for (i, file) in up_files.iter().enumerate() {
                // The options once, in the first up file (the folder
                // rules read them from any); the message in each, since
                // the first message found is the revision's.
                let options = if i == 0 { options.as_str() } else { "" };
                let note = up_note(file, &up_files, program, written_by);
                files.push((
                    revision_dir.join(&file.name),
                    format!("{options}-- {message}\n--\n{note}\n{}", file.sql),
                ));
            }
            for file in down.files("down") {
                let reverse_of = match (file.backend, up.is_per_backend()) {
                    (None, false) => "up.sql".to_string(),
                    (None, true) => format!("{} and {}", up_files[0].name, up_files[1].name),
                    (Some(backend), false) => format!("up.sql on {}", proper_name(backend)),
                    (Some(backend), true) => format!("up.{}.sql", backend.name()),
                };
                files.push((
                    revision_dir.join(&file.name),
                    format!(
                        "-- The exact reverse of {reverse_of} (revision {id}).\n{}\n{}",
                        unwritten_note(&file),
                        file.sql
                    ),
                ));
            }
            (files, Layout::Native)
        }
        Layout::Sqlx => {
            if !id.chars().all(|c| c.is_ascii_digit()) {
                return Err(CliError::usage(format!(
                    "this folder has sqlx's layout, where the revision id is the file's version: give a number with --rev-id, not {id:?}"
                )));
            }
            // sqlx chains by version; say the parent only when it is not
            // the previous file's version.
            let implicit = folder.entries.last().map(|e| vec![e.revision.clone()]).unwrap_or_default();
            let header = if *parents == implicit && allow.is_empty() {
                String::new()
            } else if *parents == implicit {
                format!("-- arx-migrate: {}\n", allow.trim_start_matches(", "))
            } else {
                format!("-- arx-migrate: down_rev = {}{allow}\n", parent_list(parents))
            };
            let stem = format!("{id}_{}", if slug.is_empty() { "migration" } else { &slug });
            let (up, down, note) = match body {
                None => ("", "", String::new()),
                Some(body) => (
                    body.up.on(body.backend),
                    body.down.on(body.backend),
                    sqlx_note(body),
                ),
            };
            (
                vec![
                    (
                        folder.dir.join(format!("{stem}.up.sql")),
                        format!("{header}-- {message}\n{note}\n{up}"),
                    ),
                    (
                        folder.dir.join(format!("{stem}.down.sql")),
                        format!("-- The exact reverse of {stem}.up.sql.\n\n{down}"),
                    ),
                ],
                Layout::Sqlx,
            )
        }
        Layout::Refinery => {
            return Err(CliError::new(
                "sql_files",
                format!(
                    "{} has refinery's layout, which has no downgrades; `{verb} --sql` writes arx-migrate's layout (a folder per revision with up.sql and down.sql) or sqlx's",
                    folder.dir.display()
                ),
            )
            .hint("move the files to arx-migrate's layout, or write the next V<version>__<name>.sql by hand"))
        }
    };
    for (path, _) in &files {
        if ctx.path(path).exists() {
            return Err(
                CliError::new("exists", format!("{} already exists", path.display()))
                    .hint("choose another --rev-id or message"),
            );
        }
    }
    let created_folder = !ctx.path(&folder.dir).exists();
    for (path, text) in &files {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(ctx.path(parent)).map_err(|e| io_error("create", parent, e))?;
        }
        std::fs::write(ctx.path(path), text).map_err(|e| io_error("write", path, e))?;
    }
    let mut done = Done::new(json!({
        "command": verb,
        "revision": id,
        "down_revisions": parents,
        "message": message,
        "layout": layout.name(),
        "files": files.iter().map(|(p, _)| p.display().to_string()).collect::<Vec<_>>(),
    }));
    for (path, _) in &files {
        done.line(format!("wrote {}", path.display()));
    }
    done.line(format!(
        "revision {id} revises {}",
        if parents.is_empty() {
            "<base>".to_string()
        } else {
            parents.join(", ")
        }
    ));
    done.lines
        .extend(setup_hints(ctx, &folder.dir, created_folder));
    Ok(done)
}

/// What the crate still needs for the folder to be embedded and for new
/// files to be noticed by cargo.
fn setup_hints(ctx: &Context<'_>, dir: &Path, created_folder: bool) -> Vec<String> {
    let root = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let folder = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut hints = Vec::new();
    let embedded = ["src/lib.rs", "src/main.rs"].iter().any(|file| {
        std::fs::read_to_string(ctx.path(&root.join(file)))
            .is_ok_and(|text| text.contains("sql_migrations!"))
    });
    if created_folder || !embedded {
        hints.push(format!(
            "embed the folder once, in src/lib.rs or src/main.rs: `arx_migrate::sql_migrations!(\"{folder}\");`"
        ));
    }
    let tracked = std::fs::read_to_string(ctx.path(&root.join("build.rs")))
        .is_ok_and(|text| text.contains("rerun-if-changed") && text.contains(&folder));
    if !tracked {
        hints.push(format!(
            "for cargo to notice new files in {folder}/, add build.rs: fn main() {{ println!(\"cargo:rerun-if-changed={folder}\"); }}"
        ));
    }
    hints
}

/// The note after an up file's message: who wrote it, and which file
/// runs on which backend.
fn up_note(
    file: &ScriptFile<'_>,
    up_files: &[ScriptFile<'_>],
    program: &str,
    written_by: &str,
) -> String {
    let written = format!("-- Written by `{program} {written_by}`.");
    let Some(backend) = file.backend else {
        return format!("{written} An up.postgres.sql or up.sqlite.sql\n-- beside this file replaces it on that backend.\n");
    };
    let other = up_files
        .iter()
        .find(|f| f.name != file.name)
        .map_or("", |f| f.name.as_str());
    let options = match up_files.first() {
        Some(first) if first.name != file.name => {
            format!(
                "\n-- The revision's options are in the header of {}.",
                first.name
            )
        }
        _ => String::new(),
    };
    format!(
        "{written}\n-- This file runs on {} only, {other} on the other backend: their SQL\n-- differs, since a statement for one backend only (op.postgres(…),\n-- op.sqlite(…) in a Rust module) is in its file only.{options}\n{}",
        proper_name(backend),
        unwritten_note(file)
    )
}

/// The note on a file with steps its backend has no plain SQL for.
fn unwritten_note(file: &ScriptFile<'_>) -> String {
    let Some(backend) = file.backend.filter(|_| !file.unwritten.is_empty()) else {
        return String::new();
    };
    let name = proper_name(backend);
    format!(
        "--\n-- {} step(s) below have no {name} SQL: the revision fails on {name} at\n-- each until SQL that makes the step replaces its statement, or until it is\n-- written as a Rust module (--format rust), whose Ops calls make them.\n",
        file.unwritten.len(),
    )
}

/// In sqlx's layout, where one file runs on every backend, a note that
/// the SQL is the compared backend's when the backends' SQL differs.
fn sqlx_note(body: &SqlBody) -> String {
    if !body.up.is_per_backend() && !body.down.is_per_backend() {
        return String::new();
    }
    let name = proper_name(body.backend);
    format!(
        "--\n-- This SQL is {name}'s: the steps' SQL differs between the backends, and\n-- sqlx's layout has no per-backend files. arx-migrate's layout (a folder per\n-- revision) would get up.postgres.sql and up.sqlite.sql.\n"
    )
}

fn parent_list(parents: &[String]) -> String {
    match parents {
        [one] => format!("\"{one}\""),
        many => format!(
            "[{}]",
            many.iter()
                .map(|p| format!("\"{p}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Now, as sqlx names its files: `YYYYMMDDHHMMSS` in UTC.
fn utc_timestamp() -> String {
    arx_migrate_core::not_api::utc::UtcDateTime::from_system_time(SystemTime::now()).compact()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_civil() {
        assert_eq!(utc_timestamp().len(), 14);
    }

    #[test]
    fn parent_lists() {
        assert_eq!(parent_list(&["a".into()]), "\"a\"");
        assert_eq!(parent_list(&[]), "[]");
        assert_eq!(parent_list(&["a".into(), "b".into()]), "[\"a\", \"b\"]");
    }
}
