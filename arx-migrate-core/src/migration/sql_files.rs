//! Migrations written as `.sql` files: one revision with its upgrade and
//! downgrade SQL, for every backend or per backend.
//!
//! They come from a folder embedded at compile time by
//! `arx_migrate::sql_migrations!("migrations")`, or read at run time by
//! [`MigrationSet::from_sql_dir`]. The folder's layouts (arx-migrate's own,
//! sqlx's, refinery's) are described in [`arx_migrate_sqlfiles::layout`].
//! In the revision graph a SQL migration is like any other: it may revise
//! a Rust migration and be revised by one, and its checksum, lint, offline
//! script and `show` come from the statements it runs.

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

use arx_migrate_sqlfiles::{read_dir, split_statements, BackendSql, Entry};

use super::definition::{Migration, MigrationSet};
use crate::backend::Backend;
use crate::error::{Direction, Error, Result};
use crate::ops::Ops;

type Text = Cow<'static, str>;

/// The SQL of one direction of a [`SqlMigration`]: for every backend, and
/// per backend where a variant replaces it (`up.sql`, `up.postgres.sql`,
/// `up.sqlite.sql`, `up.mysql.sql`).
#[derive(Debug, Clone, Default)]
pub struct SqlScript {
    any: Option<Text>,
    postgres: Option<Text>,
    sqlite: Option<Text>,
    mysql: Option<Text>,
}

impl SqlScript {
    /// The same SQL for every backend.
    pub fn new(sql: impl Into<Cow<'static, str>>) -> Self {
        SqlScript {
            any: Some(sql.into()),
            ..SqlScript::default()
        }
    }

    /// Replaces the SQL on `backend` with `sql`.
    pub fn on(mut self, backend: Backend, sql: impl Into<Cow<'static, str>>) -> Self {
        match backend {
            Backend::Postgres => self.postgres = Some(sql.into()),
            Backend::Sqlite => self.sqlite = Some(sql.into()),
            Backend::Mysql => self.mysql = Some(sql.into()),
        }
        self
    }

    /// Built by `sql_migrations!` from the files it embeds.
    #[doc(hidden)]
    pub const fn embedded(
        any: Option<&'static str>,
        postgres: Option<&'static str>,
        sqlite: Option<&'static str>,
        mysql: Option<&'static str>,
    ) -> Self {
        SqlScript {
            any: borrowed(any),
            postgres: borrowed(postgres),
            sqlite: borrowed(sqlite),
            mysql: borrowed(mysql),
        }
    }

    fn from_files(sql: BackendSql) -> Self {
        SqlScript {
            any: sql.any.map(|f| Cow::Owned(f.text)),
            postgres: sql.postgres.map(|f| Cow::Owned(f.text)),
            sqlite: sql.sqlite.map(|f| Cow::Owned(f.text)),
            mysql: sql.mysql.map(|f| Cow::Owned(f.text)),
        }
    }

    /// The SQL that runs on `backend`, if there is any.
    pub fn for_backend(&self, backend: Backend) -> Option<&str> {
        let variant = match backend {
            Backend::Postgres => &self.postgres,
            Backend::Sqlite => &self.sqlite,
            Backend::Mysql => &self.mysql,
        };
        variant.as_ref().or(self.any.as_ref()).map(|sql| &**sql)
    }
}

const fn borrowed(text: Option<&'static str>) -> Option<Text> {
    match text {
        Some(text) => Some(Cow::Borrowed(text)),
        None => None,
    }
}

/// Ids of parents: static when embedded, owned when read at run time.
#[derive(Debug, Clone)]
enum Parents {
    Static(&'static [&'static str]),
    Owned(Vec<String>),
}

/// A migration made of SQL: what each entry of a `.sql` folder becomes.
///
/// ```
/// use arx_migrate_core::{Backend, Migrator, MigrationSet, SqlMigration, SqlScript};
///
/// let tags = SqlMigration::new(
///     "t001",
///     &[],
///     SqlScript::new("CREATE TABLE tags (id integer PRIMARY KEY, name text NOT NULL);"),
///     Some(SqlScript::new("DROP TABLE tags;")),
/// )
/// .message("Add the tags table");
/// let migrator = Migrator::new(MigrationSet::new().with(tags))?;
/// let mut conn = rusqlite::Connection::open_in_memory().unwrap();
/// migrator.upgrade(&mut conn, "head")?;
/// # Ok::<(), arx_migrate_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct SqlMigration {
    revision: Text,
    parents: Parents,
    message: Text,
    transactional: bool,
    allowed: Cow<'static, [(&'static str, &'static str)]>,
    up: SqlScript,
    down: Option<SqlScript>,
    source: Text,
}

impl SqlMigration {
    /// A migration `revision` revising `parents`, running `up`, reverted
    /// by `down` (`None`: it cannot be reverted, as a sqlx single file or
    /// a refinery file).
    pub fn new(
        revision: impl Into<String>,
        parents: &[&str],
        up: SqlScript,
        down: Option<SqlScript>,
    ) -> Self {
        let revision: String = revision.into();
        SqlMigration {
            source: Cow::Owned(format!("revision {revision}")),
            revision: Cow::Owned(revision),
            parents: Parents::Owned(parents.iter().map(|p| p.to_string()).collect()),
            message: Cow::Borrowed(""),
            transactional: true,
            allowed: Cow::Borrowed(&[]),
            up,
            down,
        }
    }

    /// Sets the message.
    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = Cow::Owned(message.into());
        self
    }

    /// Marks the migration as non-transactional: each statement runs on
    /// its own (for `CREATE INDEX CONCURRENTLY`).
    pub fn non_transactional(mut self) -> Self {
        self.transactional = false;
        self
    }

    /// Built by `sql_migrations!` from a folder's entry.
    #[doc(hidden)]
    #[allow(clippy::too_many_arguments)]
    pub const fn embedded(
        revision: &'static str,
        parents: &'static [&'static str],
        message: &'static str,
        transactional: bool,
        allowed: &'static [(&'static str, &'static str)],
        up: SqlScript,
        down: Option<SqlScript>,
        source: &'static str,
    ) -> Self {
        SqlMigration {
            revision: Cow::Borrowed(revision),
            parents: Parents::Static(parents),
            message: Cow::Borrowed(message),
            transactional,
            allowed: Cow::Borrowed(allowed),
            up,
            down,
            source: Cow::Borrowed(source),
        }
    }

    /// One entry of a folder read at run time.
    pub(crate) fn from_entry(entry: Entry) -> Self {
        // `Migration::allowed_lints` lends out `(&str, &str)` pairs, which
        // owned strings cannot be borrowed as in one slice: a folder read
        // at run time keeps its few rule texts for the program's life.
        let allowed: Vec<(&'static str, &'static str)> = entry
            .allow
            .into_iter()
            .map(|(rule, reason)| {
                (
                    &*Box::leak(rule.into_boxed_str()),
                    &*Box::leak(reason.into_boxed_str()),
                )
            })
            .collect();
        SqlMigration {
            revision: Cow::Owned(entry.revision),
            parents: Parents::Owned(entry.down_revisions),
            message: Cow::Owned(entry.message),
            transactional: entry.transactional,
            allowed: Cow::Owned(allowed),
            up: SqlScript::from_files(entry.up),
            down: entry.down.map(SqlScript::from_files),
            source: Cow::Owned(entry.source.display().to_string()),
        }
    }

    /// Where the SQL came from (a revision folder or file), for messages.
    pub fn source(&self) -> &str {
        &self.source
    }

    fn run(&self, op: &mut Ops<'_>, direction: Direction) -> Result<()> {
        let failure = |message: String| Error::Migration {
            revision: self.revision.to_string(),
            direction,
            message,
        };
        let script = match direction {
            Direction::Upgrade => &self.up,
            Direction::Downgrade => self.down.as_ref().ok_or_else(|| {
                failure(format!(
                    "{} has no downgrade SQL (sqlx's single-file and refinery's migrations have none); to revert it, move it to arx-migrate's layout (a folder with up.sql and down.sql)",
                    self.source
                ))
            })?,
        };
        let backend = op.backend();
        let sql = script.for_backend(backend).ok_or_else(|| {
            failure(format!(
                "{} has no {direction} SQL for {backend}",
                self.source
            ))
        })?;
        let statements =
            split_statements(sql).map_err(|e| failure(format!("{}: {e}", self.source)))?;
        for statement in statements {
            op.sql(statement)?;
        }
        Ok(())
    }
}

impl Migration for SqlMigration {
    fn revision(&self) -> &str {
        &self.revision
    }
    fn down_revisions(&self) -> Vec<&str> {
        match &self.parents {
            Parents::Static(parents) => parents.to_vec(),
            Parents::Owned(parents) => parents.iter().map(String::as_str).collect(),
        }
    }
    fn message(&self) -> &str {
        &self.message
    }
    fn transactional(&self) -> bool {
        self.transactional
    }
    fn allowed_lints(&self) -> &[(&str, &str)] {
        &self.allowed
    }
    fn upgrade(&self, op: &mut Ops<'_>) -> Result<()> {
        self.run(op, Direction::Upgrade)
    }
    fn downgrade(&self, op: &mut Ops<'_>) -> Result<()> {
        self.run(op, Direction::Downgrade)
    }
}

impl MigrationSet {
    /// The `.sql` migrations of `dir`, read now (at run time; to embed a
    /// folder in the program at compile time use
    /// `arx_migrate::sql_migrations!`). The folder's layout is arx-migrate's
    /// (a folder per revision with `up.sql` and `down.sql`), sqlx's or
    /// refinery's.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # std::fs::create_dir(dir.path().join("001_notes")).unwrap();
    /// # std::fs::write(dir.path().join("001_notes/up.sql"), "CREATE TABLE notes (id integer PRIMARY KEY);").unwrap();
    /// # std::fs::write(dir.path().join("001_notes/down.sql"), "DROP TABLE notes;").unwrap();
    /// let migrations = arx_migrate_core::MigrationSet::from_sql_dir(dir.path())?;
    /// let migrator = arx_migrate_core::Migrator::new(migrations)?;
    /// assert_eq!(migrator.graph().heads(), ["001"]);
    /// # Ok::<(), arx_migrate_core::Error>(())
    /// ```
    pub fn from_sql_dir(dir: impl AsRef<Path>) -> Result<Self> {
        let entries = read_dir(dir.as_ref()).map_err(|e| Error::SqlFiles {
            path: e.path.display().to_string(),
            message: e.message,
        })?;
        let mut set = MigrationSet::new();
        for entry in entries {
            set.push(Arc::new(SqlMigration::from_entry(entry)));
        }
        Ok(set)
    }
}
