//! Reading a folder of `.sql` migrations in one of three layouts.
//!
//! **arx-migrate's own**: one folder per revision, named `<id>_<words>`:
//!
//! ```text
//! migrations/
//!   003_add_tags/
//!     up.sql              -- the upgrade, for every backend
//!     down.sql            -- the downgrade (empty if there is nothing to undo)
//!     up.postgres.sql     -- optional: replaces up.sql on PostgreSQL
//!     up.sqlite.sql       -- optional: replaces up.sql on SQLite
//!     down.postgres.sql   -- optional, likewise
//!     down.sqlite.sql     -- optional, likewise
//! ```
//!
//! The id is the folder's name up to its first `_` (`003`) unless the
//! header says `rev = "…"`; the parent is the folder before it in order
//! unless the header says `down_rev = …`; the message is the header's
//! comment, else the folder's words. See [`crate::header`].
//!
//! **sqlx's**: `<version>_<description>.up.sql` and `.down.sql`, or a
//! single `<version>_<description>.sql` (no downgrade); `-- no-transaction`
//! as the first line makes it non-transactional. **refinery's**:
//! `V<version>__<name>.sql` (and `U<version>__<name>.sql`), no downgrade.
//! In both the id is the version as written (`20240101120000`, `1`) and the
//! revisions form one chain in version order; a header may still say
//! `down_rev` (to sit on top of a Rust migration), `transactional` or
//! `allow`, but not `rev`.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use crate::header::{leading_comment_lines, parse_header, Header, HEADER_PREFIX};
use crate::split::split_statements;
use crate::transaction::{is_session_setting, runs_outside_transaction};
use arx_migrate_ids::check_revision_id;

/// The three layouts a folder can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layout {
    /// arx-migrate's: a folder per revision with `up.sql` and `down.sql`.
    Native,
    /// sqlx's: `<version>_<description>.up.sql` / `.down.sql` / `.sql`.
    Sqlx,
    /// refinery's: `V<version>__<name>.sql`.
    Refinery,
}

impl Layout {
    /// A short name: `arx-migrate`, `sqlx`, `refinery`.
    pub fn name(self) -> &'static str {
        match self {
            Layout::Native => "arx-migrate",
            Layout::Sqlx => "sqlx",
            Layout::Refinery => "refinery",
        }
    }
}

/// One file's SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlText {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its contents.
    pub text: String,
}

/// The SQL of one direction: for every backend, and per backend where a
/// variant replaces it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackendSql {
    /// `up.sql`: for every backend without a variant of its own.
    pub any: Option<SqlText>,
    /// `up.postgres.sql`.
    pub postgres: Option<SqlText>,
    /// `up.sqlite.sql`.
    pub sqlite: Option<SqlText>,
    /// `up.mysql.sql` (MariaDB and MySQL). Optional: a folder without it
    /// runs its `up.sql` there, and without either it has no SQL for
    /// MySQL, which a run there reports.
    pub mysql: Option<SqlText>,
}

impl BackendSql {
    /// The files, in the order any, postgres, sqlite, mysql.
    pub fn files(&self) -> impl Iterator<Item = &SqlText> {
        [&self.any, &self.postgres, &self.sqlite, &self.mysql]
            .into_iter()
            .flatten()
    }

    /// The backends (`postgres`, `sqlite`) that have no SQL.
    fn missing_backends(&self) -> Vec<&'static str> {
        if self.any.is_some() {
            return Vec::new();
        }
        let mut missing = Vec::new();
        if self.postgres.is_none() {
            missing.push("postgres");
        }
        if self.sqlite.is_none() {
            missing.push("sqlite");
        }
        missing
    }
}

/// One revision read from a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The revision id.
    pub revision: String,
    /// Its parents (none for a base).
    pub down_revisions: Vec<String>,
    /// Its one-line message.
    pub message: String,
    /// Whether it runs inside a transaction.
    pub transactional: bool,
    /// Lint rules it allows, with the reason.
    pub allow: Vec<(String, String)>,
    /// The upgrade.
    pub up: BackendSql,
    /// The downgrade; `None` where the layout has none (a sqlx single
    /// file, refinery).
    pub down: Option<BackendSql>,
    /// The revision's folder (arx-migrate's layout) or up file.
    pub source: PathBuf,
    /// The folder's layout.
    pub layout: Layout,
}

/// A folder that cannot be read as migrations: which file, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayoutError {
    /// The file or folder at fault.
    pub path: PathBuf,
    /// What is wrong and what to do.
    pub message: String,
}

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for LayoutError {}

fn error(path: &Path, message: impl Into<String>) -> LayoutError {
    LayoutError {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// The files a native revision folder may hold.
const NATIVE_FILES: [&str; 8] = [
    "up.sql",
    "down.sql",
    "up.postgres.sql",
    "up.sqlite.sql",
    "up.mysql.sql",
    "down.postgres.sql",
    "down.sqlite.sql",
    "down.mysql.sql",
];

/// sqlx's marker of a non-transactional file (its first line).
const SQLX_NO_TRANSACTION: &str = "-- no-transaction";

/// Reads the migrations of `dir`, in version order, each with its parents
/// resolved. Every file's SQL is split into statements here, so that a
/// file that cannot be split is an error now, naming its line.
///
/// An empty folder has no migration; a folder that does not exist is an
/// error.
pub fn read_dir(dir: &Path) -> Result<Vec<Entry>, LayoutError> {
    let listing = std::fs::read_dir(dir)
        .map_err(|e| error(dir, format!("cannot read the migrations folder: {e}")))?;
    let mut folders = Vec::new();
    let mut files = Vec::new();
    for item in listing {
        let item = item.map_err(|e| error(dir, format!("cannot list the folder: {e}")))?;
        let name = item.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let path = item.path();
        if path.is_dir() {
            if has_sql_files(&path)? {
                folders.push((name, path));
            }
        } else if name.ends_with(".sql") {
            files.push((name, path));
        }
    }
    let layout = detect(dir, &folders, &files)?;
    let mut entries = match layout {
        None => return Ok(Vec::new()),
        Some(Layout::Native) => folders
            .iter()
            .map(|(name, path)| read_native(name, path))
            .collect::<Result<Vec<_>, _>>()?,
        Some(Layout::Sqlx) => read_sqlx(&files)?,
        Some(Layout::Refinery) => read_refinery(&files)?,
    };
    entries.sort_by(|a, b| version_order(&a.1, &b.1));
    link(entries)
}

fn has_sql_files(dir: &Path) -> Result<bool, LayoutError> {
    let listing =
        std::fs::read_dir(dir).map_err(|e| error(dir, format!("cannot read the folder: {e}")))?;
    Ok(listing
        .filter_map(Result::ok)
        .any(|item| item.file_name().to_string_lossy().ends_with(".sql")))
}

fn is_refinery_name(name: &str) -> bool {
    let Some(rest) = name.strip_prefix(['V', 'U']) else {
        return false;
    };
    let digits = rest.chars().take_while(char::is_ascii_digit).count();
    let Some(words) = rest[digits..].strip_prefix("__") else {
        return false;
    };
    let Some(words) = words.strip_suffix(".sql") else {
        return false;
    };
    digits > 0 && !words.is_empty() && words.chars().all(|c| c.is_alphanumeric() || c == '_')
}

fn is_sqlx_name(name: &str) -> bool {
    let digits = name.chars().take_while(char::is_ascii_digit).count();
    digits > 0 && name[digits..].starts_with('_') && name.ends_with(".sql")
}

/// Which layout the folder has; mixing them is an error.
fn detect(
    dir: &Path,
    folders: &[(String, PathBuf)],
    files: &[(String, PathBuf)],
) -> Result<Option<Layout>, LayoutError> {
    let mut found: Vec<(Layout, &Path)> = Vec::new();
    if let Some((_, path)) = folders.first() {
        found.push((Layout::Native, path));
    }
    for (name, path) in files {
        let layout = if is_refinery_name(name) {
            Layout::Refinery
        } else if is_sqlx_name(name) {
            Layout::Sqlx
        } else {
            return Err(error(
                path,
                "this .sql file is not named as a migration: use a folder per revision (`003_add_tags/up.sql` and `down.sql`), or sqlx's `<version>_<name>.up.sql`/`.down.sql`, or refinery's `V<version>__<name>.sql`",
            ));
        };
        if !found.iter().any(|(l, _)| *l == layout) {
            found.push((layout, path));
        }
    }
    match found.as_slice() {
        [] => Ok(None),
        [(layout, _)] => Ok(Some(*layout)),
        [(first, first_path), (second, second_path), ..] => Err(error(
            dir,
            format!(
                "the folder mixes the {} layout ({}) with the {} layout ({}); keep one layout per folder",
                first.name(),
                file_name(first_path),
                second.name(),
                file_name(second_path)
            ),
        )),
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn read_text(path: &Path) -> Result<SqlText, LayoutError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| error(path, format!("cannot read the file: {e}")))?;
    if let Err(split) = split_statements(&text) {
        return Err(error(
            path,
            format!("{split}; the file cannot be split into statements"),
        ));
    }
    Ok(SqlText {
        path: path.to_path_buf(),
        text,
    })
}

fn header_of(text: &SqlText, directives: &[&str]) -> Result<Header, LayoutError> {
    parse_header(&text.text, directives).map_err(|message| {
        error(
            &text.path,
            format!("in the `-- arx-migrate:` header: {message}"),
        )
    })
}

/// An entry whose parents may still be implicit (`None`: the previous
/// one in version order).
struct Unlinked {
    entry: Entry,
    explicit_parents: Option<Vec<String>>,
}

/// Where an entry sorts: its folder or file name.
type SortName = String;

fn read_native(name: &str, dir: &Path) -> Result<(Unlinked, SortName), LayoutError> {
    let mut up = BackendSql::default();
    let mut down = BackendSql::default();
    let listing =
        std::fs::read_dir(dir).map_err(|e| error(dir, format!("cannot read the folder: {e}")))?;
    for item in listing.filter_map(Result::ok) {
        let file = item.file_name().to_string_lossy().into_owned();
        if !file.ends_with(".sql") {
            continue;
        }
        let path = item.path();
        let slot = match file.as_str() {
            "up.sql" => &mut up.any,
            "up.postgres.sql" => &mut up.postgres,
            "up.sqlite.sql" => &mut up.sqlite,
            "up.mysql.sql" => &mut up.mysql,
            "down.sql" => &mut down.any,
            "down.postgres.sql" => &mut down.postgres,
            "down.sqlite.sql" => &mut down.sqlite,
            "down.mysql.sql" => &mut down.mysql,
            _ => {
                return Err(error(
                    &path,
                    format!(
                        "unexpected file in a revision folder; the files are {}",
                        NATIVE_FILES.join(", ")
                    ),
                ))
            }
        };
        *slot = Some(read_text(&path)?);
    }
    for (sql, direction) in [(&up, "up"), (&down, "down")] {
        let missing = sql.missing_backends();
        if missing.is_empty() {
            continue;
        }
        let what = if direction == "down" && missing.len() == 2 {
            "has no down.sql: write the exact reverse of up.sql (an empty down.sql when there is nothing to undo)".to_string()
        } else {
            format!(
                "has no {direction} SQL for {}: add {direction}.sql (for every backend) or {}",
                missing.join(" and "),
                missing
                    .iter()
                    .map(|b| format!("{direction}.{b}.sql"))
                    .collect::<Vec<_>>()
                    .join(" and ")
            )
        };
        return Err(error(dir, format!("the revision folder {what}")));
    }
    let header = merged_header(&up)?;
    if let Some(down_file) = down.files().find(|file| has_options(file)) {
        return Err(error(
            &down_file.path,
            format!("a down file's header is not read: the revision's options (rev, down_rev, transactional, allow) go in the header of its up file{}; move them there", if up.files().count() > 1 { "s (in one of them, or the same in each)" } else { "" }),
        ));
    }
    let transactional = match header.transactional {
        Some(flag) => flag,
        None => transactional_unless_told(up.files())?,
    };
    let (id_part, words) = match name.split_once('_') {
        Some((id, words)) => (id, words.replace('_', " ")),
        None => (name, name.to_string()),
    };
    let revision = match header.rev.clone() {
        Some(rev) => rev,
        None => {
            if let Err(problem) = check_revision_id(id_part) {
                return Err(error(
                    dir,
                    format!("the folder's name does not start with a revision id ({problem}); name it `<id>_<words>`, or give the id in the header: `-- arx-migrate: rev = \"...\"`"),
                ));
            }
            id_part.to_string()
        }
    };
    Ok((
        Unlinked {
            entry: Entry {
                revision,
                down_revisions: Vec::new(),
                message: header.message.clone().unwrap_or(words),
                transactional,
                allow: header.allow.clone().unwrap_or_default(),
                up,
                down: Some(down),
                source: dir.to_path_buf(),
                layout: Layout::Native,
            },
            explicit_parents: header.down_revs,
        },
        name.to_string(),
    ))
}

/// The header of a native revision: the options of all its up files (they
/// must agree), and the first message among them.
fn merged_header(up: &BackendSql) -> Result<Header, LayoutError> {
    let mut merged = Header::default();
    for file in up.files() {
        let header = header_of(file, &[])?;
        let disagree = |option: &str| {
            error(
                &file.path,
                format!("its header's {option} differs from that of another up file of the revision; give the options in one file, or the same in each"),
            )
        };
        merge_option(&mut merged.rev, header.rev).map_err(|()| disagree("rev"))?;
        merge_option(&mut merged.down_revs, header.down_revs).map_err(|()| disagree("down_rev"))?;
        merge_option(&mut merged.transactional, header.transactional)
            .map_err(|()| disagree("transactional"))?;
        merge_option(&mut merged.allow, header.allow).map_err(|()| disagree("allow"))?;
        if merged.message.is_none() {
            merged.message = header.message;
        }
    }
    Ok(merged)
}

/// Whether the file's header holds `-- arx-migrate:` options.
fn has_options(file: &SqlText) -> bool {
    leading_comment_lines(&file.text)
        .iter()
        .any(|line| line.starts_with(HEADER_PREFIX))
}

/// Whether a revision whose headers do not say `transactional` runs in a
/// transaction: not when one of its up files is made only of statements
/// that cannot run in one and session settings
/// ([`runs_outside_transaction`]); then every other up file must hold at
/// most one statement besides session settings (one statement needs no
/// transaction to be all or nothing), else the headers must say.
fn transactional_unless_told<'a>(
    up_files: impl IntoIterator<Item = &'a SqlText>,
) -> Result<bool, LayoutError> {
    let mut outside: Option<&SqlText> = None;
    let mut several: Option<&SqlText> = None;
    for file in up_files {
        let statements = split_statements(&file.text).map_err(|split| {
            error(
                &file.path,
                format!("{split}; the file cannot be split into statements"),
            )
        })?;
        if runs_outside_transaction(&statements) {
            outside.get_or_insert(file);
        } else if statements.iter().filter(|s| !is_session_setting(s)).count() > 1 {
            several.get_or_insert(file);
        }
    }
    match (outside, several) {
        (None, _) => Ok(true),
        (Some(_), None) => Ok(false),
        (Some(outside), Some(several)) => Err(error(
            &several.path,
            format!(
                "{} holds only statements that cannot run in a transaction (CONCURRENTLY, VACUUM) and session SETs, so without a header the revision runs outside one; but this file has several statements, which then would not be undone together if one fails. Say how the revision runs in a header: `-- arx-migrate: transactional = false` (or true), or give the CONCURRENTLY step a revision of its own",
                file_name(&outside.path)
            ),
        )),
    }
}

fn merge_option<T: PartialEq>(into: &mut Option<T>, value: Option<T>) -> Result<(), ()> {
    match (into.as_ref(), value) {
        (_, None) => Ok(()),
        (None, Some(value)) => {
            *into = Some(value);
            Ok(())
        }
        (Some(existing), Some(value)) if *existing == value => Ok(()),
        _ => Err(()),
    }
}

/// A header of an imported layout: `rev` is the file's version.
fn imported_header(
    text: &SqlText,
    layout: Layout,
    directives: &[&str],
) -> Result<Header, LayoutError> {
    let header = header_of(text, directives)?;
    if header.rev.is_some() {
        return Err(error(
            &text.path,
            format!(
                "in the {} layout the revision id is the file's version; remove rev from the header",
                layout.name()
            ),
        ));
    }
    Ok(header)
}

fn read_sqlx(files: &[(String, PathBuf)]) -> Result<Vec<(Unlinked, SortName)>, LayoutError> {
    struct Parts {
        description: String,
        up: Option<SqlText>,
        down: Option<SqlText>,
        simple: Option<SqlText>,
    }
    let mut by_version: BTreeMap<String, Parts> = BTreeMap::new();
    for (name, path) in files {
        let (version, rest) = name.split_once('_').unwrap_or((name, ""));
        let (description, kind) = if let Some(d) = rest.strip_suffix(".up.sql") {
            (d, "up")
        } else if let Some(d) = rest.strip_suffix(".down.sql") {
            (d, "down")
        } else {
            (rest.strip_suffix(".sql").unwrap_or(rest), "simple")
        };
        if let Err(problem) = check_revision_id(version) {
            return Err(error(
                path,
                format!("the version cannot be a revision id: {problem}"),
            ));
        }
        let parts = by_version.entry(version.to_string()).or_insert(Parts {
            description: description.replace('_', " "),
            up: None,
            down: None,
            simple: None,
        });
        let slot = match kind {
            "up" => &mut parts.up,
            "down" => &mut parts.down,
            _ => &mut parts.simple,
        };
        if slot.is_some() {
            return Err(error(
                path,
                format!("version {version} has two {kind} files"),
            ));
        }
        *slot = Some(read_text(path)?);
    }
    let mut entries = Vec::new();
    let mut numeric: HashMap<u128, String> = HashMap::new();
    for (version, parts) in by_version {
        if let Ok(number) = version.parse::<u128>() {
            if let Some(other) = numeric.insert(number, version.clone()) {
                return Err(error(
                    &parts
                        .up
                        .or(parts.simple)
                        .or(parts.down)
                        .map(|t| t.path)
                        .unwrap_or_default(),
                    format!("versions {other} and {version} are the same number"),
                ));
            }
        }
        let (up, down) = match (parts.up, parts.down, parts.simple) {
            (Some(up), Some(down), None) => (up, Some(down)),
            (None, None, Some(simple)) => (simple, None),
            (Some(up), None, None) => {
                return Err(error(&up.path, "a reversible migration needs its .down.sql too (or rename this file to a single .sql, which cannot be reverted)"))
            }
            (None, Some(down), None) => {
                return Err(error(&down.path, "this .down.sql has no .up.sql"))
            }
            (_, _, Some(simple)) => {
                return Err(error(&simple.path, format!("version {version} has both a single .sql file and .up.sql/.down.sql files; keep one form")))
            }
            (None, None, None) => continue,
        };
        let header = imported_header(&up, Layout::Sqlx, &["no-transaction"])?;
        let no_transaction = up.text.starts_with(SQLX_NO_TRANSACTION);
        let transactional = match header.transactional {
            Some(flag) if flag == no_transaction => {
                return Err(error(
                    &up.path,
                    "the header's transactional contradicts the file's `-- no-transaction` line; keep one",
                ))
            }
            Some(flag) => flag,
            None if no_transaction => false,
            None => transactional_unless_told([&up])?,
        };
        if let Some(down) = down.as_ref().filter(|down| has_options(down)) {
            return Err(error(
                &down.path,
                "a down file's header is not read: the revision's options (down_rev, transactional, allow) go in the header of its .up.sql; move them there",
            ));
        }
        let source = up.path.clone();
        entries.push((
            Unlinked {
                entry: Entry {
                    revision: version.clone(),
                    down_revisions: Vec::new(),
                    message: parts.description,
                    transactional,
                    allow: header.allow.unwrap_or_default(),
                    up: BackendSql {
                        any: Some(up),
                        ..BackendSql::default()
                    },
                    down: down.map(|down| BackendSql {
                        any: Some(down),
                        ..BackendSql::default()
                    }),
                    source,
                    layout: Layout::Sqlx,
                },
                explicit_parents: header.down_revs,
            },
            version,
        ));
    }
    Ok(entries)
}

fn read_refinery(files: &[(String, PathBuf)]) -> Result<Vec<(Unlinked, SortName)>, LayoutError> {
    let mut entries = Vec::new();
    let mut numeric: HashMap<u128, String> = HashMap::new();
    for (name, path) in files {
        let rest = &name[1..];
        let (version, words) = rest.split_once("__").unwrap_or((rest, ""));
        let words = words.strip_suffix(".sql").unwrap_or(words);
        if let Ok(number) = version.parse::<u128>() {
            if let Some(other) = numeric.insert(number, name.clone()) {
                return Err(error(path, format!("{other} has the same version")));
            }
        }
        let up = read_text(path)?;
        let header = imported_header(&up, Layout::Refinery, &[])?;
        let transactional = match header.transactional {
            Some(flag) => flag,
            None => transactional_unless_told([&up])?,
        };
        entries.push((
            Unlinked {
                entry: Entry {
                    revision: version.to_string(),
                    down_revisions: Vec::new(),
                    message: words.replace('_', " "),
                    transactional,
                    allow: header.allow.unwrap_or_default(),
                    up: BackendSql {
                        any: Some(up),
                        ..BackendSql::default()
                    },
                    down: None,
                    source: path.clone(),
                    layout: Layout::Refinery,
                },
                explicit_parents: header.down_revs,
            },
            version.to_string(),
        ));
    }
    Ok(entries)
}

/// Versions in order: by the number they start with, then by name, so that
/// `9_x` comes before `10_x`.
fn version_order(a: &str, b: &str) -> Ordering {
    fn key(name: &str) -> (Option<u128>, &str) {
        let digits = name.chars().take_while(char::is_ascii_digit).count();
        (name[..digits].parse().ok(), name)
    }
    match (key(a), key(b)) {
        ((Some(x), a), (Some(y), b)) => x.cmp(&y).then(a.cmp(b)),
        ((Some(_), _), (None, _)) => Ordering::Less,
        ((None, _), (Some(_), _)) => Ordering::Greater,
        ((None, a), (None, b)) => a.cmp(b),
    }
}

/// Gives each entry its parents: those its header names, else the entry
/// before it in order. Two entries with one id are an error.
fn link(entries: Vec<(Unlinked, SortName)>) -> Result<Vec<Entry>, LayoutError> {
    let mut seen: HashMap<String, PathBuf> = HashMap::new();
    let mut linked: Vec<Entry> = Vec::with_capacity(entries.len());
    for (unlinked, _) in entries {
        let mut entry = unlinked.entry;
        if let Some(first) = seen.insert(entry.revision.clone(), entry.source.clone()) {
            return Err(error(
                &entry.source,
                format!(
                    "revision {} is also defined by {}; give each its own id",
                    entry.revision,
                    first.display()
                ),
            ));
        }
        entry.down_revisions = match unlinked.explicit_parents {
            Some(parents) => parents,
            None => linked
                .last()
                .map(|previous| vec![previous.revision.clone()])
                .unwrap_or_default(),
        };
        if entry.down_revisions.contains(&entry.revision) {
            return Err(error(&entry.source, "a revision cannot revise itself"));
        }
        linked.push(entry);
    }
    Ok(linked)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, files: &[(&str, &str)]) {
        for (name, text) in files {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
    }

    fn ids(entries: &[Entry]) -> Vec<(String, Vec<String>)> {
        entries
            .iter()
            .map(|e| (e.revision.clone(), e.down_revisions.clone()))
            .collect()
    }

    fn pairs(list: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
        list.iter()
            .map(|(id, parents)| {
                (
                    id.to_string(),
                    parents.iter().map(|p| p.to_string()).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn native_folders_chain_in_version_order_unless_the_header_says_otherwise() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[
                ("10_third/up.sql", "-- Third one\nSELECT 3;"),
                ("10_third/down.sql", ""),
                ("9_second/up.sql", "SELECT 2;"),
                ("9_second/down.sql", ""),
                ("1_first/up.sql", "-- arx-migrate: down_rev = \"r0\"\nSELECT 1;"),
                ("1_first/down.sql", ""),
                ("1_first/notes.md", "not SQL"),
                ("x_other/up.sql", "-- arx-migrate: rev = \"other\", down_rev = [], transactional = false\nSELECT 4;"),
                ("x_other/down.sql", ""),
                ("README.md", "the migrations"),
                ("empty_folder/notes.txt", ""),
            ],
        );
        let entries = read_dir(dir.path()).unwrap();
        assert_eq!(
            ids(&entries),
            pairs(&[
                ("1", &["r0"]),
                ("9", &["1"]),
                ("10", &["9"]),
                ("other", &[])
            ])
        );
        assert_eq!(entries[2].message, "Third one");
        assert_eq!(entries[1].message, "second");
        assert!(!entries[3].transactional);
        assert_eq!(entries[0].layout, Layout::Native);
        assert!(entries[0].down.is_some());
    }

    #[test]
    fn native_backend_variants_and_their_absence() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[
                (
                    "1_a/up.postgres.sql",
                    "-- arx-migrate: rev = \"a1\"\nCREATE INDEX CONCURRENTLY i ON t (x);",
                ),
                (
                    "1_a/up.sqlite.sql",
                    "-- arx-migrate: rev = \"a1\"\nCREATE INDEX i ON t (x);",
                ),
                ("1_a/down.sql", "DROP INDEX i;"),
            ],
        );
        let entries = read_dir(dir.path()).unwrap();
        assert_eq!(entries[0].revision, "a1");
        assert!(entries[0].up.any.is_none());
        assert!(entries[0].up.postgres.is_some() && entries[0].up.sqlite.is_some());

        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[("1_a/up.postgres.sql", "SELECT 1;"), ("1_a/down.sql", "")],
        );
        let error = read_dir(dir.path()).unwrap_err();
        assert!(error.message.contains("no up SQL for sqlite"), "{error}");

        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &[("1_a/up.sql", "SELECT 1;")]);
        let error = read_dir(dir.path()).unwrap_err();
        assert!(error.message.contains("has no down.sql"), "{error}");

        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[
                (
                    "1_a/up.postgres.sql",
                    "-- arx-migrate: rev = \"a\"\nSELECT 1;",
                ),
                (
                    "1_a/up.sqlite.sql",
                    "-- arx-migrate: rev = \"b\"\nSELECT 1;",
                ),
                ("1_a/down.sql", ""),
            ],
        );
        let error = read_dir(dir.path()).unwrap_err();
        assert!(error.message.contains("rev differs"), "{error}");

        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[
                ("1_a/up.sql", "SELECT 1;"),
                ("1_a/down.sql", ""),
                ("1_a/upgrade.sql", ""),
            ],
        );
        let error = read_dir(dir.path()).unwrap_err();
        assert!(error.message.contains("unexpected file"), "{error}");
    }

    #[test]
    fn a_file_of_concurrent_index_steps_and_session_sets_runs_outside_a_transaction() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[
                (
                    "1_index/up.sql",
                    "-- Index the notes\nSET lock_timeout = '5s';\nCREATE UNIQUE INDEX CONCURRENTLY i ON t (x);",
                ),
                ("1_index/down.sql", "DROP INDEX CONCURRENTLY i;"),
                // CONCURRENTLY among other DDL: runs in a transaction (and
                // fails there, as lint says).
                (
                    "2_mixed/up.sql",
                    "CREATE TABLE n (id int);\nCREATE INDEX CONCURRENTLY j ON t (x);",
                ),
                ("2_mixed/down.sql", ""),
                // Only the PostgreSQL file needs it; SQLite's one statement
                // needs no transaction to be all or nothing.
                ("3_variant/up.postgres.sql", "DROP INDEX CONCURRENTLY i;"),
                ("3_variant/up.sqlite.sql", "DROP INDEX i;"),
                ("3_variant/down.sql", ""),
                // The header wins.
                (
                    "4_told/up.sql",
                    "-- arx-migrate: transactional = true\nVACUUM;",
                ),
                ("4_told/down.sql", ""),
            ],
        );
        let entries = read_dir(dir.path()).unwrap();
        let transactional: Vec<bool> = entries.iter().map(|e| e.transactional).collect();
        assert_eq!(transactional, [false, true, false, true]);

        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[(
                "20240101000000_index.sql",
                "SET lock_timeout = '5s';\nDROP INDEX CONCURRENTLY i;",
            )],
        );
        assert!(!read_dir(dir.path()).unwrap()[0].transactional);
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[("V1__index.sql", "CREATE INDEX CONCURRENTLY i ON t (x);")],
        );
        assert!(!read_dir(dir.path()).unwrap()[0].transactional);
    }

    #[test]
    fn variants_that_disagree_on_the_transaction_must_say() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[
                (
                    "1_a/up.postgres.sql",
                    "CREATE INDEX CONCURRENTLY i ON t (x);",
                ),
                (
                    "1_a/up.sqlite.sql",
                    "CREATE TABLE n (id int);\nCREATE INDEX i ON t (x);",
                ),
                ("1_a/down.sql", ""),
            ],
        );
        let error = read_dir(dir.path()).unwrap_err();
        assert!(error.path.ends_with("up.sqlite.sql"), "{error}");
        assert!(
            error.message.contains("up.postgres.sql holds only"),
            "{error}"
        );
        assert!(error.message.contains("transactional = false"), "{error}");
    }

    #[test]
    fn options_in_a_down_file_are_an_error() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[
                ("1_a/up.postgres.sql", "SELECT 1;"),
                ("1_a/up.sqlite.sql", "SELECT 1;"),
                (
                    "1_a/down.sql",
                    "-- Undo it\n-- arx-migrate: transactional = false\nSELECT 2;",
                ),
            ],
        );
        let error = read_dir(dir.path()).unwrap_err();
        assert!(error.path.ends_with("down.sql"), "{error}");
        assert!(error.message.contains("header of its up files"), "{error}");
        // A comment alone is fine.
        write(dir.path(), &[("1_a/down.sql", "-- Undo it\nSELECT 2;")]);
        assert!(read_dir(dir.path()).is_ok());

        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[
                ("1_a.up.sql", "SELECT 1;"),
                (
                    "1_a.down.sql",
                    "-- arx-migrate: allow = [\"drop-table: x\"]\nSELECT 2;",
                ),
            ],
        );
        let error = read_dir(dir.path()).unwrap_err();
        assert!(error.message.contains("header of its .up.sql"), "{error}");
    }

    #[test]
    fn sqlx_files_chain_by_version() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[
                (
                    "20240102000000_add_tags.up.sql",
                    "CREATE TABLE tags (id int);",
                ),
                ("20240102000000_add_tags.down.sql", "DROP TABLE tags;"),
                ("20240101000000_init.sql", "CREATE TABLE a (id int);"),
                (
                    "20240103000000_index.up.sql",
                    "-- no-transaction\nCREATE INDEX CONCURRENTLY i ON a (id);",
                ),
                ("20240103000000_index.down.sql", "DROP INDEX i;"),
            ],
        );
        let entries = read_dir(dir.path()).unwrap();
        assert_eq!(
            ids(&entries),
            pairs(&[
                ("20240101000000", &[]),
                ("20240102000000", &["20240101000000"]),
                ("20240103000000", &["20240102000000"]),
            ])
        );
        assert!(entries[0].down.is_none());
        assert_eq!(entries[1].message, "add tags");
        assert!(entries[1].transactional);
        assert!(!entries[2].transactional);
        assert_eq!(entries[2].layout, Layout::Sqlx);

        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &[("1_a.up.sql", "SELECT 1;")]);
        assert!(read_dir(dir.path())
            .unwrap_err()
            .message
            .contains("needs its .down.sql"));

        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[("1_a.sql", "-- arx-migrate: rev = \"x\"\nSELECT 1;")],
        );
        assert!(read_dir(dir.path())
            .unwrap_err()
            .message
            .contains("remove rev"));
    }

    #[test]
    fn refinery_files_chain_by_version() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[
                ("V2__add_cars.sql", "CREATE TABLE cars (id int);"),
                ("V1__initial.sql", "CREATE TABLE persons (id int);"),
                (
                    "U10__fix_up.sql",
                    "-- arx-migrate: down_rev = \"2\"\nUPDATE cars SET id = id;",
                ),
            ],
        );
        let entries = read_dir(dir.path()).unwrap();
        assert_eq!(
            ids(&entries),
            pairs(&[("1", &[]), ("2", &["1"]), ("10", &["2"])])
        );
        assert_eq!(entries[1].message, "add cars");
        assert!(entries.iter().all(|e| e.down.is_none()));
        assert_eq!(entries[0].layout, Layout::Refinery);

        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[("V1__a.sql", "SELECT 1;"), ("V01__b.sql", "SELECT 1;")],
        );
        assert!(read_dir(dir.path())
            .unwrap_err()
            .message
            .contains("same version"));
    }

    #[test]
    fn folders_that_cannot_be_read_say_why() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[("V1__a.sql", "SELECT 1;"), ("2_b.sql", "SELECT 1;")],
        );
        let error = read_dir(dir.path()).unwrap_err();
        assert!(error.message.contains("mixes the"), "{error}");

        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &[("schema.sql", "SELECT 1;")]);
        let error = read_dir(dir.path()).unwrap_err();
        assert!(
            error.message.contains("not named as a migration"),
            "{error}"
        );

        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[("1_a/up.sql", "SELECT 'open;"), ("1_a/down.sql", "")],
        );
        let error = read_dir(dir.path()).unwrap_err();
        assert!(error.to_string().contains("up.sql: line 1"), "{error}");

        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[
                ("1_a/up.sql", "SELECT 1;"),
                ("1_a/down.sql", ""),
                ("2_b/up.sql", "-- arx-migrate: rev = \"1\"\nSELECT 1;"),
                ("2_b/down.sql", ""),
            ],
        );
        let error = read_dir(dir.path()).unwrap_err();
        assert!(error.message.contains("also defined by"), "{error}");

        let missing = dir.path().join("nope");
        assert!(read_dir(&missing)
            .unwrap_err()
            .message
            .contains("cannot read"));
        let empty = tempfile::tempdir().unwrap();
        assert!(read_dir(empty.path()).unwrap().is_empty());
    }
}
