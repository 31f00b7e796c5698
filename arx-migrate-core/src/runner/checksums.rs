//! The code's checksums, and what edited migrations do to a run.

use crate::backend::Backend;
use crate::error::{Direction, Error, Result};
use crate::render::render;
use crate::store::StoredState;
use std::collections::HashMap;

use super::{ChecksumChange, ChecksumPolicy, Migrator, Warning};

impl Migrator {
    /// The checksum of `revision`'s upgrade SQL on `backend`, as it would be
    /// recorded now.
    pub fn checksum(&self, backend: Backend, revision: &str) -> Option<&str> {
        self.code_checksums(backend)
            .get(revision)
            .map(String::as_str)
    }

    /// A digest of everything that decides the schema this migrator builds
    /// on `backend`: every revision's id, parents, transactionality and SQL
    /// checksum, and the bookkeeping tables' names. Test fixtures key their
    /// cached templates on it, so an edited migration rebuilds them.
    pub fn fingerprint(&self, backend: Backend) -> String {
        let checksums = self.code_checksums(backend);
        let mut hasher = hmac_sha256::Hash::new();
        hasher.update(format!("{backend}\0{:?}\0", self.store).as_bytes());
        for migration in self.graph.in_order() {
            let revision = migration.revision();
            hasher.update(format!(
                "{revision}\0{:?}\0{}\0{}\n",
                migration.down_revisions(),
                migration.transactional(),
                checksums.get(revision).map(String::as_str).unwrap_or("-"),
            ));
        }
        crate::checksum::hex(&hasher.finalize())
    }

    pub(super) fn code_checksums(&self, backend: Backend) -> &HashMap<String, String> {
        let slot = match backend {
            Backend::Sqlite => &self.checksums[0],
            Backend::Postgres => &self.checksums[1],
            Backend::Mysql => &self.checksums[2],
        };
        slot.get_or_init(|| {
            self.graph
                .in_order()
                .filter_map(|migration| {
                    let rendered = render(migration.as_ref(), backend, Direction::Upgrade);
                    match rendered.error {
                        None | Some(Error::NeedsConnection { .. }) => {
                            Some((migration.revision().to_string(), rendered.checksum))
                        }
                        Some(_) => {
                            tracing::debug!(
                                revision = migration.revision(),
                                "cannot render for checksum"
                            );
                            None
                        }
                    }
                })
                .collect()
        })
    }

    pub(super) fn checksum_mismatches(
        &self,
        backend: Backend,
        state: &StoredState,
    ) -> Result<Vec<ChecksumChange>> {
        if state.checksums.is_empty() {
            return Ok(Vec::new());
        }
        let code = self.code_checksums(backend);
        Ok(self
            .graph
            .applied(&state.heads)?
            .into_iter()
            .filter_map(|revision| {
                let recorded = state.checksums.get(revision)?;
                let current = code.get(revision)?;
                (recorded != current).then(|| ChecksumChange {
                    revision: revision.to_string(),
                    recorded: recorded.clone(),
                    current: current.clone(),
                })
            })
            .collect())
    }

    /// Edited migrations: an error, or warnings, by policy.
    pub(super) fn verify_checksums(
        &self,
        backend: Backend,
        state: &StoredState,
    ) -> Result<Vec<Warning>> {
        let mismatches = self.checksum_mismatches(backend, state)?;
        match self.checksum_policy {
            ChecksumPolicy::Error => match mismatches.into_iter().next() {
                Some(first) => Err(first.into_error()),
                None => Ok(Vec::new()),
            },
            ChecksumPolicy::Warn => Ok(mismatches
                .into_iter()
                .map(|change| {
                    let warning = Warning::ChecksumChanged(change);
                    tracing::warn!("{warning}");
                    warning
                })
                .collect()),
        }
    }
}
