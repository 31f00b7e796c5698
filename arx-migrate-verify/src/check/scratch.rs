//! Scratch databases: an in-memory SQLite database, or a PostgreSQL or
//! MariaDB/MySQL database created with `CREATE DATABASE` on a server (on
//! MySQL, the server of the database checked) and dropped after.

use arx_migrate_core::backend::{Backend, Connection};
#[cfg(feature = "sqlite")]
use arx_migrate_core::error::{DbError, DbErrorKind};
use arx_migrate_core::error::{Error, Result};
use serde::Serialize;

/// Where scratch databases come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScratchSource {
    /// A new in-memory SQLite database each time.
    #[cfg(feature = "sqlite")]
    SqliteMemory,
    /// A new database on the PostgreSQL server at this URL (any database the
    /// role may connect to; the role must be allowed to create databases).
    #[cfg(feature = "postgres")]
    Postgres {
        /// The server's URL.
        url: String,
    },
    /// As [`ScratchSource::Postgres`], except that the schema the
    /// migrations produce (what `check`, `validate`'s check step and
    /// autogenerate read) comes from the schema cache: a database per chain
    /// kept on the server, built once and then only read (see
    /// [`crate::check::cache`]). What must replay the migrations (the
    /// upgrade and stairway of `validate`) still gets a new database.
    #[cfg(feature = "postgres")]
    PostgresCached {
        /// The server's URL.
        url: String,
    },
    /// A new, uniquely named database on the MariaDB/MySQL server at this
    /// URL (the user must be allowed to create and drop databases).
    #[cfg(feature = "mysql")]
    Mysql {
        /// The server's URL (its database is not used).
        url: String,
    },
}

impl ScratchSource {
    /// A source on the same server as the database at `url`, for `backend`
    /// (for SQLite, the URL is ignored: scratch databases live in memory).
    pub fn for_backend(backend: Backend, url: &str) -> Result<Self> {
        let _ = url;
        match backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite => Ok(ScratchSource::SqliteMemory),
            #[cfg(feature = "postgres")]
            Backend::Postgres => Ok(ScratchSource::Postgres {
                url: url.to_string(),
            }),
            #[cfg(feature = "mysql")]
            Backend::Mysql => Ok(ScratchSource::Mysql {
                url: url.to_string(),
            }),
            #[allow(unreachable_patterns)]
            other => Err(Error::Config(format!("this build has no {other} support"))),
        }
    }

    /// This source with the schema cache (PostgreSQL), or without it;
    /// SQLite's in-memory databases are never cached.
    pub fn cached(self, cached: bool) -> Self {
        // Only PostgreSQL reads it.
        let _ = cached;
        match self {
            #[cfg(feature = "postgres")]
            ScratchSource::Postgres { url } | ScratchSource::PostgresCached { url } => {
                if cached {
                    ScratchSource::PostgresCached { url }
                } else {
                    ScratchSource::Postgres { url }
                }
            }
            #[allow(unreachable_patterns)]
            other => other,
        }
    }

    /// The backend of the scratch databases.
    pub fn backend(&self) -> Backend {
        // `*self`: with no backend compiled in, the enum is empty and so is
        // this match.
        match *self {
            #[cfg(feature = "sqlite")]
            ScratchSource::SqliteMemory => Backend::Sqlite,
            #[cfg(feature = "postgres")]
            ScratchSource::Postgres { .. } | ScratchSource::PostgresCached { .. } => {
                Backend::Postgres
            }
            #[cfg(feature = "mysql")]
            ScratchSource::Mysql { .. } => Backend::Mysql,
        }
    }
}

/// A scratch database, dropped when this value is dropped.
pub struct ScratchDatabase {
    inner: Inner,
}

enum Inner {
    #[cfg(feature = "sqlite")]
    Sqlite(Box<rusqlite::Connection>),
    /// Fields drop in order: the connection closes before the database is
    /// dropped.
    #[cfg(feature = "postgres")]
    Postgres {
        client: Box<postgres::Client>,
        database: arx_migrate_core::not_api::scratch::PgScratchDatabase,
    },
    /// Fields drop in order: the connection closes before the database is
    /// dropped.
    #[cfg(feature = "mysql")]
    Mysql {
        conn: Box<arx_migrate_core::mysql::Conn>,
        database: MysqlScratchDatabase,
    },
}

/// A uniquely named database on a MariaDB/MySQL server, dropped when this
/// value is dropped.
#[cfg(feature = "mysql")]
struct MysqlScratchDatabase {
    server_url: String,
    name: String,
}

#[cfg(feature = "mysql")]
impl MysqlScratchDatabase {
    fn create(server_url: &str) -> Result<Self> {
        use arx_migrate_core::backend::mysql::{connect, db_error};
        use arx_migrate_core::mysql::prelude::Queryable;
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        // At most 64 characters, MySQL's limit.
        let name = format!(
            "arx_scratch_{}_{}_{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = connect(server_url).map_err(Error::Database)?;
        admin
            .query_drop(format!(
                "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
            ))
            .map_err(|e| {
                Error::Database(db_error(e).prefixed(
                    "creating a scratch database (the user needs CREATE and DROP on the server)"
                        .to_string(),
                ))
            })?;
        Ok(MysqlScratchDatabase {
            server_url: server_url.to_string(),
            name,
        })
    }

    fn connect(&self) -> Result<arx_migrate_core::mysql::Conn> {
        use arx_migrate_core::backend::mysql::{db_error, opts_from_url};
        use arx_migrate_core::mysql::{Conn, OptsBuilder};
        let opts = opts_from_url(&self.server_url).map_err(Error::Database)?;
        Conn::new(OptsBuilder::from_opts(opts).db_name(Some(self.name.clone())))
            .map_err(|e| Error::Database(db_error(e)))
    }
}

#[cfg(feature = "mysql")]
impl Drop for MysqlScratchDatabase {
    fn drop(&mut self) {
        use arx_migrate_core::mysql::prelude::Queryable;
        let dropped = arx_migrate_core::backend::mysql::connect(&self.server_url)
            .map(|mut admin| admin.query_drop(format!("DROP DATABASE IF EXISTS `{}`", self.name)));
        if !matches!(dropped, Ok(Ok(()))) {
            tracing::warn!(database = %self.name, "could not drop the scratch database; drop it by hand");
        }
    }
}

impl std::fmt::Debug for ScratchDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScratchDatabase")
            .field("name", &self.name())
            .finish()
    }
}

impl ScratchDatabase {
    /// Creates an empty scratch database.
    pub fn create(source: &ScratchSource) -> Result<Self> {
        match *source {
            #[cfg(feature = "sqlite")]
            ScratchSource::SqliteMemory => {
                let connection = rusqlite::Connection::open_in_memory().map_err(|e| {
                    Error::Database(DbError::new(
                        DbErrorKind::Other,
                        format!("cannot open an in-memory SQLite database: {e}"),
                    ))
                })?;
                Ok(ScratchDatabase {
                    inner: Inner::Sqlite(Box::new(connection)),
                })
            }
            #[cfg(feature = "postgres")]
            ScratchSource::Postgres { ref url } | ScratchSource::PostgresCached { ref url } => {
                let database = arx_migrate_core::not_api::scratch::PgScratchDatabase::create(url)?;
                let client = database.connect()?;
                Ok(ScratchDatabase {
                    inner: Inner::Postgres {
                        client: Box::new(client),
                        database,
                    },
                })
            }
            #[cfg(feature = "mysql")]
            ScratchSource::Mysql { ref url } => {
                let database = MysqlScratchDatabase::create(url)?;
                let conn = database.connect()?;
                Ok(ScratchDatabase {
                    inner: Inner::Mysql {
                        conn: Box::new(conn),
                        database,
                    },
                })
            }
        }
    }

    /// The database's name (`:memory:` for SQLite).
    pub fn name(&self) -> &str {
        match self.inner {
            #[cfg(feature = "sqlite")]
            Inner::Sqlite(_) => ":memory:",
            #[cfg(feature = "postgres")]
            Inner::Postgres { ref database, .. } => database.name(),
            #[cfg(feature = "mysql")]
            Inner::Mysql { ref database, .. } => &database.name,
        }
    }

    /// The connection to it.
    pub fn connection(&mut self) -> Result<&mut dyn Connection> {
        match self.inner {
            #[cfg(feature = "sqlite")]
            Inner::Sqlite(ref mut connection) => Ok(connection.as_mut()),
            #[cfg(feature = "postgres")]
            Inner::Postgres { ref mut client, .. } => Ok(client.as_mut()),
            #[cfg(feature = "mysql")]
            Inner::Mysql { ref mut conn, .. } => Ok(conn.as_mut()),
        }
    }
}

/// Where the schema the migrations produce was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum ScratchUse {
    /// A scratch database made for this run and dropped after it.
    Fresh,
    /// The chain's entry in the schema cache, built by this run.
    CacheBuilt {
        /// The entry's database.
        database: String,
    },
    /// The chain's entry in the schema cache, built by an earlier run.
    CacheReused {
        /// The entry's database.
        database: String,
    },
}

impl ScratchUse {
    /// A line for a report: where the schema was read.
    pub fn describe(&self) -> String {
        match self {
            ScratchUse::Fresh => "replayed on a scratch database made for this run".to_string(),
            ScratchUse::CacheBuilt { database } => {
                format!("replayed into the schema cache (database {database}) for later runs")
            }
            ScratchUse::CacheReused { database } => {
                format!("read from the schema cache (database {database}), built by an earlier run")
            }
        }
    }
}
