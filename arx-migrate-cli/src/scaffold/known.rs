//! The revisions a new one is written among: the ids the program knows
//! and the ones its source folders hold, a fresh id, the parents.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use arx_migrate_core::error::Error;
use arx_migrate_core::graph::validate_revision_id;
use arx_migrate_ids::options::{self, Dialect};

use super::super::context::Context;
use super::super::error::CliError;
use super::sql::SqlFolder;

/// Revisions known to the program and to the folder: id → parents.
pub(super) struct Known {
    pub(super) revisions: BTreeMap<String, Vec<String>>,
}

impl Known {
    pub(super) fn load(ctx: &Context<'_>, dir: &Path, sql: &SqlFolder) -> Result<Self, CliError> {
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

    pub(super) fn heads(&self) -> Vec<String> {
        let parents: BTreeSet<&String> = self.revisions.values().flatten().collect();
        self.revisions
            .keys()
            .filter(|id| !parents.contains(id))
            .cloned()
            .collect()
    }

    /// An exact id or a unique prefix.
    pub(super) fn resolve(&self, text: &str) -> Result<String, Error> {
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
pub(super) fn scan_attributes(text: &str) -> Vec<(String, Vec<String>)> {
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
pub(super) fn fresh_id(message: &str, known: &Known) -> String {
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

pub(super) fn checked_id(
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

/// The revision a new one revises: `--head REV` (`base` for none), else
/// the one head.
pub(super) fn parents(
    ctx: &Context<'_>,
    known: &Known,
    head: Option<&str>,
) -> Result<Vec<String>, CliError> {
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
