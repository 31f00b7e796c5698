//! Building an index `CONCURRENTLY` on PostgreSQL so that a failure does
//! not stay behind: a failed concurrent build leaves an `INVALID` index of
//! its name, which slows every write and blocks the next build. Before the
//! build such a leftover (of an earlier run) is dropped; after a failed
//! build the one it left is dropped and the build tried again, up to
//! [`INDEX_BUILD_ATTEMPTS`] in all.
//!
//! The clean-up statements go to the server outside the migration's
//! checksum: they depend on the database, not on the migration.

use super::context::Ops;
use crate::backend::{quote_literal, Backend};
use crate::error::Result;
use crate::not_api::text::quote_ident;

/// How many times a concurrent index build is tried in all.
pub(crate) const INDEX_BUILD_ATTEMPTS: u32 = 3;

/// What the catalog says of an index name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IndexState {
    Missing,
    Valid,
    /// Left by a failed `CREATE INDEX CONCURRENTLY`.
    Invalid,
}

impl Ops<'_> {
    /// Runs `sql`, a `CREATE [UNIQUE] INDEX CONCURRENTLY` of the index
    /// `name`: offline it is recorded as it is; live, a leftover `INVALID`
    /// index of that name is dropped first, and a build that fails and
    /// leaves one is dropped and tried again.
    pub(super) fn build_index_concurrently(
        &mut self,
        name: Option<&str>,
        sql: String,
    ) -> Result<()> {
        let Some(name) = name.filter(|_| self.backend == Backend::Postgres && !self.is_offline())
        else {
            return self.run(sql);
        };
        if self.index_state(name)? == IndexState::Invalid {
            tracing::warn!(revision = %self.revision, index = name, "dropping INVALID index {name}, left by an earlier failed concurrent build, before building it again");
            self.drop_invalid_index(name)?;
        }
        let mut attempt = 1;
        loop {
            let error = match self.run(sql.clone()) {
                Ok(()) => return Ok(()),
                Err(error) => error,
            };
            if self.index_state(name)? != IndexState::Invalid {
                return Err(error);
            }
            // The build failed and left its INVALID index: drop it, so that
            // a failure leaves nothing behind and the next try can build.
            self.drop_invalid_index(name)?;
            if attempt >= INDEX_BUILD_ATTEMPTS {
                return Err(gave_up_building(error, name, attempt));
            }
            tracing::warn!(revision = %self.revision, index = name, attempt, attempts = INDEX_BUILD_ATTEMPTS, %error, "the concurrent build of index {name} failed and left it INVALID; dropped it, building again");
            attempt += 1;
        }
    }

    fn index_state(&mut self, name: &str) -> Result<IndexState> {
        let sql = format!(
            "SELECT i.indisvalid FROM pg_index i WHERE i.indexrelid = to_regclass({})",
            quote_literal(&quote_ident(name))
        );
        let rows = self.live_query(&sql)?.unwrap_or_default();
        Ok(
            match rows.first().and_then(|row| row.first().cloned().flatten()) {
                None => IndexState::Missing,
                Some(valid) if valid == "t" => IndexState::Valid,
                Some(_) => IndexState::Invalid,
            },
        )
    }

    fn drop_invalid_index(&mut self, name: &str) -> Result<()> {
        self.execute_one(format!(
            "DROP INDEX CONCURRENTLY IF EXISTS {}",
            quote_ident(name)
        ))
    }
}

fn gave_up_building(error: crate::Error, name: &str, attempts: u32) -> crate::Error {
    let crate::Error::Statement(mut failure) = error else {
        return error;
    };
    failure.hint = Some(format!(
        "the concurrent build of index {name} failed {attempts} times; each left an INVALID index, which was dropped, so nothing of it stays. Fix the cause (for a unique index: the duplicate rows) and run again"
    ));
    crate::Error::Statement(failure)
}
