//! Database URLs: which backend they name, and connecting to them with
//! errors that say what to check and never show a password.

use std::path::{Path, PathBuf};

use arx_migrate_core::backend::{Backend, Connection};
use arx_migrate_core::redact::redact_url;

use super::config::resolve;
use super::error::CliError;

/// A parsed database URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DbUrl {
    /// `sqlite://path`, `sqlite:path`, `sqlite:///absolute/path`.
    SqliteFile(PathBuf),
    /// `sqlite::memory:`.
    SqliteMemory,
    /// `postgres://…`, `postgresql://…`.
    Postgres(String),
}

impl DbUrl {
    pub(crate) fn parse(url: &str) -> Result<Self, CliError> {
        let trimmed = url.trim();
        if trimmed == "sqlite::memory:" || trimmed == "sqlite://:memory:" {
            return Ok(DbUrl::SqliteMemory);
        }
        if let Some(rest) = trimmed
            .strip_prefix("sqlite://")
            .or_else(|| trimmed.strip_prefix("sqlite:"))
        {
            if rest.is_empty() {
                return Err(CliError::new("config", "the SQLite URL has no path")
                    .hint("write sqlite://path/to/file.db or sqlite::memory:"));
            }
            return Ok(DbUrl::SqliteFile(PathBuf::from(rest)));
        }
        if trimmed.starts_with("postgres://") || trimmed.starts_with("postgresql://") {
            return Ok(DbUrl::Postgres(trimmed.to_string()));
        }
        Err(CliError::new(
            "config",
            format!("cannot tell which database {} is", redact_url(trimmed)),
        )
        .hint("use sqlite://path, sqlite::memory: or postgres://user@host/database"))
    }

    pub(crate) fn backend(&self) -> Backend {
        match self {
            DbUrl::SqliteFile(_) | DbUrl::SqliteMemory => Backend::Sqlite,
            DbUrl::Postgres(_) => Backend::Postgres,
        }
    }

    /// The password in the URL, to scrub from driver messages.
    pub(crate) fn secret(url: &str) -> Option<String> {
        let rest = &url[url.find("://")? + 3..];
        let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
        let userinfo = &authority[..authority.rfind('@')?];
        let password = &userinfo[userinfo.find(':')? + 1..];
        (!password.is_empty()).then(|| password.to_string())
    }

    /// Connects. With `create`, a missing SQLite file (and its folder, when
    /// `create_dir`) is created; otherwise it is "no database". A relative
    /// SQLite path starts at `current_dir` when one is given.
    pub(crate) fn connect(
        &self,
        url: &str,
        create: bool,
        create_dir: bool,
        current_dir: Option<&Path>,
    ) -> Result<Box<dyn Connection>, CliError> {
        let shown = redact_url(url);
        let no_database = |reason: String, hint: &str| {
            CliError::new("no_database", format!("no database at {shown}: {reason}"))
                .hint(hint.to_string())
                .details(serde_json::json!({ "url": shown }))
                .scrub(Self::secret(url).as_deref())
        };
        match self {
            DbUrl::SqliteMemory => open_sqlite(Path::new(":memory:"), true)
                .map_err(|e| no_database(e, "check that SQLite can allocate memory")),
            DbUrl::SqliteFile(written) => {
                let path = &resolve(current_dir, written);
                if !create && !path.exists() {
                    return Err(no_database(
                        "the file does not exist".into(),
                        "check the path in --url, DATABASE_URL or the service; `upgrade` creates the file",
                    ));
                }
                if let Some(parent) = written.parent().filter(|p| !p.as_os_str().is_empty()) {
                    let folder = resolve(current_dir, parent);
                    if !folder.exists() {
                        if create_dir {
                            std::fs::create_dir_all(&folder).map_err(|e| {
                                no_database(
                                    format!("cannot create the folder {}: {e}", parent.display()),
                                    "check the permissions of the folder, or choose another path",
                                )
                            })?;
                        } else {
                            return Err(no_database(
                                format!("the folder {} does not exist", parent.display()),
                                "create the folder, or check the path in --url, DATABASE_URL or the service",
                            ));
                        }
                    }
                }
                open_sqlite(path, create).map_err(|e| {
                    no_database(e, "check the path and that the file is an SQLite database you may write")
                })
            }
            DbUrl::Postgres(url) => connect_postgres(url).map_err(|e| {
                no_database(
                    e,
                    "check that the server is running and reachable, that the database exists, and the user name and password; name the database with --url, DATABASE_URL or -s SERVICE",
                )
            }),
        }
    }
}

#[cfg(feature = "sqlite")]
fn open_sqlite(path: &Path, create: bool) -> Result<Box<dyn Connection>, String> {
    use rusqlite::OpenFlags;
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let connection =
        rusqlite::Connection::open_with_flags(path, flags).map_err(|e| e.to_string())?;
    // A file that is not a database fails on first read: find out now.
    connection
        .query_row("SELECT count(*) FROM sqlite_master", [], |row| {
            row.get::<_, i64>(0)
        })
        .map_err(|e| e.to_string())?;
    Ok(Box::new(connection))
}

#[cfg(not(feature = "sqlite"))]
fn open_sqlite(_: &Path, _: bool) -> Result<Box<dyn Connection>, String> {
    Err("this program was built without the sqlite feature".into())
}

#[cfg(feature = "postgres")]
fn connect_postgres(url: &str) -> Result<Box<dyn Connection>, String> {
    let mut config: postgres::Config = url.parse().map_err(|e: postgres::Error| e.to_string())?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(std::time::Duration::from_secs(10));
    }
    let client = config.connect(postgres::NoTls).map_err(|e| {
        // The driver's message, with its cause ("connection refused").
        let mut text = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(cause) = source {
            let cause_text = cause.to_string();
            if !text.contains(&cause_text) {
                text.push_str(": ");
                text.push_str(&cause_text);
            }
            source = cause.source();
        }
        text
    })?;
    Ok(Box::new(client))
}

#[cfg(not(feature = "postgres"))]
fn connect_postgres(_: &str) -> Result<Box<dyn Connection>, String> {
    Err("this program was built without the postgres feature".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_their_backend() {
        assert_eq!(
            DbUrl::parse("sqlite::memory:").unwrap(),
            DbUrl::SqliteMemory
        );
        assert_eq!(
            DbUrl::parse("sqlite://./data/arx.db").unwrap(),
            DbUrl::SqliteFile("./data/arx.db".into())
        );
        assert_eq!(
            DbUrl::parse("sqlite:///tmp/x.db").unwrap(),
            DbUrl::SqliteFile("/tmp/x.db".into())
        );
        assert_eq!(
            DbUrl::parse("postgresql://u@h/d").unwrap().backend(),
            Backend::Postgres
        );
        let error = DbUrl::parse("mysql://u:hunter2@h/d").unwrap_err();
        assert!(!error.message.contains("hunter2"), "{error}");
        assert!(DbUrl::parse("sqlite://").is_err());
    }

    #[test]
    fn secrets_are_found() {
        assert_eq!(DbUrl::secret("postgres://u:pw@h/d").as_deref(), Some("pw"));
        assert_eq!(DbUrl::secret("postgres://u@h/d"), None);
        assert_eq!(DbUrl::secret("sqlite://./a.db"), None);
    }
}
