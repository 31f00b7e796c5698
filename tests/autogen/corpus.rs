//! Reading the corpus of schema changes (`tests/autogen-corpus/*.sql`).
//!
//! A case is one file of sections, each opened by a comment line:
//!
//! ```text
//! -- backends: sqlite postgres      (optional: which backends run it)
//! -- rename: rooms.name=title       (optional, repeatable: --rename)
//! -- before                         (the schema the chain builds)
//! -- before: arxos                  (or: the Arxos chain at head)
//! -- after                          (the schema wanted)
//! -- after: arxos                   (or: the Arxos head, then this SQL)
//! -- before postgres / -- after sqlite   (a backend's own text)
//! -- upgraded                       (optional: SQL that must run after the
//!                                    upgrade, e.g. the next INSERT)
//! -- downgraded                     (optional: likewise after the downgrade)
//! ```

use std::path::{Path, PathBuf};

use arx_migrate::autogen::Rename;
use arx_migrate::Backend;

/// One case.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub backends: Vec<Backend>,
    pub renames: Vec<Rename>,
    pub arxos: bool,
    before: [Option<String>; 3],
    after: [Option<String>; 3],
    /// Run after the upgrade, then after the downgrade: each must succeed.
    pub upgraded: Option<String>,
    pub downgraded: Option<String>,
}

fn slot(backend: Option<Backend>) -> usize {
    match backend {
        None => 0,
        Some(Backend::Sqlite) => 1,
        Some(Backend::Postgres) => 2,
        Some(Backend::Mysql) => panic!("the autogenerate corpus has no MySQL files"),
    }
}

impl Case {
    pub fn read(path: &Path) -> Case {
        let text = std::fs::read_to_string(path).unwrap();
        let mut case = Case {
            name: path.file_stem().unwrap().to_string_lossy().into_owned(),
            backends: vec![Backend::Sqlite, Backend::Postgres],
            renames: Vec::new(),
            arxos: false,
            before: Default::default(),
            after: Default::default(),
            upgraded: None,
            downgraded: None,
        };
        let mut current: Option<(bool, usize)> = None;
        // Inside `-- upgraded` (true) or `-- downgraded` (false).
        let mut probe: Option<bool> = None;
        for line in text.lines() {
            let directive = line.strip_prefix("-- ").map(str::trim);
            if let Some(up) = match directive {
                Some("upgraded") => Some(true),
                Some("downgraded") => Some(false),
                _ => None,
            } {
                probe = Some(up);
                continue;
            }
            let section = directive.and_then(|d| {
                let (word, rest) = d.split_once([' ', ':']).unwrap_or((d, ""));
                let after = match word {
                    "before" => false,
                    "after" => true,
                    _ => return None,
                };
                let rest = rest.trim_start_matches(':').trim();
                let backend = match rest {
                    "postgres" => Some(Backend::Postgres),
                    "sqlite" => Some(Backend::Sqlite),
                    "" | "arxos" => None,
                    _ => return None,
                };
                Some((after, slot(backend), rest == "arxos"))
            });
            if let Some((after, index, arxos)) = section {
                probe = None;
                case.arxos |= arxos;
                current = Some((after, index));
                let target = if after {
                    &mut case.after
                } else {
                    &mut case.before
                };
                target[index] = Some(String::new());
                continue;
            }
            if let Some(list) = directive.and_then(|d| d.strip_prefix("backends:")) {
                case.backends = list
                    .split_whitespace()
                    .map(|b| match b {
                        "postgres" => Backend::Postgres,
                        _ => Backend::Sqlite,
                    })
                    .collect();
                continue;
            }
            if let Some(rename) = directive.and_then(|d| d.strip_prefix("rename:")) {
                case.renames.push(rename.trim().parse().unwrap());
                continue;
            }
            if let Some(up) = probe {
                let target = if up {
                    &mut case.upgraded
                } else {
                    &mut case.downgraded
                };
                let text = target.get_or_insert_with(String::new);
                text.push_str(line);
                text.push('\n');
                continue;
            }
            if let Some((after, index)) = current {
                let target = if after {
                    &mut case.after
                } else {
                    &mut case.before
                };
                let text = target[index].get_or_insert_with(String::new);
                text.push_str(line);
                text.push('\n');
            }
        }
        case
    }

    fn pick(texts: &[Option<String>; 3], backend: Backend) -> String {
        texts[slot(Some(backend))]
            .clone()
            .or_else(|| texts[0].clone())
            .unwrap_or_default()
    }

    pub fn before(&self, backend: Backend) -> String {
        Self::pick(&self.before, backend)
    }

    pub fn after(&self, backend: Backend) -> String {
        Self::pick(&self.after, backend)
    }
}

pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/autogen-corpus")
}

pub fn cases() -> Vec<Case> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    paths.sort();
    paths.iter().map(|p| Case::read(p)).collect()
}
