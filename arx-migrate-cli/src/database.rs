//! Database URLs: which backend they name, and connecting to them with
//! errors that say what to check and never show a password.

use std::path::{Path, PathBuf};
use std::time::Duration;

use arx_migrate_core::backend::{Backend, Connection};
use arx_migrate_core::not_api::text::abbreviate;
use arx_migrate_core::redact::redact_url;

use super::config::resolve;
use super::error::CliError;
use super::{mysql_url, pg_url};

/// How to connect.
pub(crate) struct ConnectOptions<'a> {
    /// Create a missing SQLite file.
    pub(crate) create: bool,
    /// And its folder (the default URL's `./data`).
    pub(crate) create_dir: bool,
    /// The PostgreSQL session's `application_name`, unless the URL sets one.
    pub(crate) application_name: &'a str,
    /// The program's name, for messages.
    pub(crate) program: &'a str,
    /// SQLite's busy timeout until a run sets its own.
    pub(crate) lock_wait: Duration,
    /// Where a relative SQLite path starts (`CliConfig::current_dir`);
    /// `None`: the process's working directory.
    pub(crate) current_dir: Option<&'a Path>,
}

/// Long URLs are cut in messages.
const SHOWN_URL: usize = 200;

/// A parsed database URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DbUrl {
    /// `sqlite://path`, `sqlite:path`, `sqlite:///absolute/path`.
    SqliteFile(PathBuf),
    /// `sqlite::memory:`.
    SqliteMemory,
    /// `postgres://…`, `postgresql://…`.
    Postgres(String),
    /// `mysql://…`, `mariadb://…`.
    Mysql(String),
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
            pg_url::check(trimmed).map_err(|p| {
                CliError::new(
                    "config",
                    format!("the PostgreSQL URL is not valid: {}", p.problem),
                )
                .hint(p.fix)
                .scrub(Self::secret(trimmed).as_deref())
            })?;
            return Ok(DbUrl::Postgres(trimmed.to_string()));
        }
        if trimmed.starts_with("mysql://") || trimmed.starts_with("mariadb://") {
            if !cfg!(feature = "mysql") {
                return Err(CliError::new(
                    "config",
                    format!(
                        "{} is a MariaDB/MySQL URL, and this program was built without MariaDB/MySQL support",
                        abbreviate(&redact_url(trimmed), SHOWN_URL)
                    ),
                )
                .hint("build the program with arx-migrate's cargo feature `mysql`"));
            }
            mysql_url::check(trimmed).map_err(|p| {
                CliError::new(
                    "config",
                    format!("the MySQL URL is not valid: {}", p.problem),
                )
                .hint(p.fix)
                .scrub(Self::secret(trimmed).as_deref())
            })?;
            return Ok(DbUrl::Mysql(trimmed.to_string()));
        }
        if trimmed.is_empty() {
            return Err(CliError::new("config", "the database URL is empty")
                .hint("use sqlite://path, sqlite::memory:, postgres://user@host/database or mysql://user@host/database"));
        }
        Err(CliError::new(
            "config",
            format!(
                "cannot tell which database {:?} is: it does not start with sqlite:, postgres:// or mysql://",
                abbreviate(&redact_url(trimmed), SHOWN_URL)
            ),
        )
        .hint("use sqlite://path, sqlite::memory:, postgres://user@host/database (postgresql:// also works) or mysql://user@host/database (mariadb:// also works)"))
    }

    pub(crate) fn backend(&self) -> Backend {
        match self {
            DbUrl::SqliteFile(_) | DbUrl::SqliteMemory => Backend::Sqlite,
            DbUrl::Postgres(_) => Backend::Postgres,
            DbUrl::Mysql(_) => Backend::Mysql,
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
    /// `create_dir`) is created; otherwise it is "no database".
    pub(crate) fn connect(
        &self,
        url: &str,
        options: &ConnectOptions<'_>,
    ) -> Result<Box<dyn Connection>, CliError> {
        let shown = abbreviate(&redact_url(url), SHOWN_URL);
        let no_database = |reason: String, hint: &str| {
            CliError::new("no_database", format!("no database at {shown}: {reason}"))
                .hint(hint.to_string())
                .details(serde_json::json!({ "url": shown }))
                .scrub(Self::secret(url).as_deref())
        };
        match self {
            DbUrl::SqliteMemory => open_sqlite(Path::new(":memory:"), true, options.lock_wait)
                .map_err(|e| no_database(e, "check that SQLite can allocate memory")),
            DbUrl::SqliteFile(written) => {
                let path = &resolve(options.current_dir, written);
                match std::fs::metadata(path) {
                    Ok(_) => {}
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                        if !options.create {
                            return Err(no_database(
                                "the file does not exist".into(),
                                "check the path in --url, DATABASE_URL or the service; `upgrade` creates the file",
                            ));
                        }
                    }
                    Err(error) => return Err(no_database(path_problem(&error), PATH_HINT)),
                }
                // Messages name the folder as written; it is made where it resolves.
                if let Some(parent) = written.parent().filter(|p| !p.as_os_str().is_empty()) {
                    let folder = resolve(options.current_dir, parent);
                    match std::fs::metadata(&folder) {
                        Ok(_) => {}
                        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                            if options.create_dir {
                                std::fs::create_dir_all(&folder).map_err(|e| {
                                    no_database(
                                        format!(
                                            "cannot create the folder {}: {}",
                                            abbreviate(&parent.display().to_string(), SHOWN_URL),
                                            path_problem(&e)
                                        ),
                                        "check the permissions of the folder, or choose another path",
                                    )
                                })?;
                            } else {
                                return Err(no_database(
                                    format!(
                                        "the folder {} does not exist",
                                        abbreviate(&parent.display().to_string(), SHOWN_URL)
                                    ),
                                    "create the folder, or check the path in --url, DATABASE_URL or the service",
                                ));
                            }
                        }
                        Err(error) => return Err(no_database(path_problem(&error), PATH_HINT)),
                    }
                }
                open_sqlite(path, options.create, options.lock_wait).map_err(|e| {
                    no_database(
                        e,
                        "check the path and that the file is an SQLite database you may write",
                    )
                })
            }
            DbUrl::Mysql(url) => connect_mysql(url).map_err(|e| {
                no_database(
                    e,
                    "check that the server is running and reachable, that the database exists, and the user name and password; name the database with --url, DATABASE_URL or -s SERVICE",
                )
            }),
            DbUrl::Postgres(url) => {
                refuse_inside_async_runtime()
                    .map_err(|e| CliError::from_core(e, options.program))?;
                connect_postgres(url, options.application_name).map_err(|e| {
                no_database(
                    e,
                    "check that the server is running and reachable, that the database exists, and the user name and password; name the database with --url, DATABASE_URL or -s SERVICE",
                )
            })
            }
        }
    }
}

const PATH_HINT: &str = "check the path in --url, DATABASE_URL or the service: each file or folder name has at most 255 bytes on most file systems, and the folders must be readable";

/// What is wrong with a path, in words: "does not exist" only when that
/// is what happened.
fn path_problem(error: &std::io::Error) -> String {
    // ENAMETOOLONG, which std has no stable kind for before Rust 1.87.
    if error.raw_os_error() == Some(36) && cfg!(target_os = "linux") {
        return "a file or folder name in the path is too long for the file system".to_string();
    }
    format!("the path cannot be used: {error}")
}

#[cfg(feature = "sqlite")]
fn open_sqlite(
    path: &Path,
    create: bool,
    lock_wait: Duration,
) -> Result<Box<dyn Connection>, String> {
    use rusqlite::OpenFlags;
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let connection =
        rusqlite::Connection::open_with_flags(path, flags).map_err(|e| e.to_string())?;
    // Reads wait for a committing writer as long as a run would wait.
    connection
        .busy_timeout(lock_wait.max(Duration::from_millis(1)))
        .map_err(|e| e.to_string())?;
    // A file that is not a database fails on first read: find out now.
    connection
        .query_row("SELECT count(*) FROM sqlite_master", [], |row| {
            row.get::<_, i64>(0)
        })
        .map_err(|e| e.to_string())?;
    Ok(Box::new(connection))
}

#[cfg(not(feature = "sqlite"))]
fn open_sqlite(_: &Path, _: bool, _: Duration) -> Result<Box<dyn Connection>, String> {
    Err("this program was built without the sqlite feature".into())
}

#[cfg(feature = "postgres")]
fn connect_postgres(url: &str, application_name: &str) -> Result<Box<dyn Connection>, String> {
    let mut config: postgres::Config = url.parse().map_err(|e: postgres::Error| chain(&e))?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(10));
    }
    if config.get_application_name().is_none() {
        config.application_name(application_name);
    }
    arx_migrate_core::backend::postgres::keep_alive(&mut config);
    let client = config.connect(postgres::NoTls).map_err(|e| chain(&e))?;
    Ok(Box::new(client))
}

/// The driver's message, with its causes ("connection refused").
#[cfg(feature = "postgres")]
fn chain(error: &postgres::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// The blocking client would panic on a thread that drives an async
/// runtime: refused before it is called.
#[cfg(feature = "postgres")]
fn refuse_inside_async_runtime() -> arx_migrate_core::Result<()> {
    arx_migrate_core::backend::postgres::refuse_inside_async_runtime()
}

/// Without the postgres feature there is no blocking client to guard.
#[cfg(not(feature = "postgres"))]
fn refuse_inside_async_runtime() -> arx_migrate_core::Result<()> {
    Ok(())
}

#[cfg(not(feature = "postgres"))]
fn connect_postgres(_: &str, _: &str) -> Result<Box<dyn Connection>, String> {
    Err("this program was built without the postgres feature".into())
}

#[cfg(feature = "mysql")]
fn connect_mysql(url: &str) -> Result<Box<dyn Connection>, String> {
    let conn = arx_migrate_core::backend::mysql::connect(url).map_err(|e| e.to_string())?;
    Ok(Box::new(conn))
}

#[cfg(not(feature = "mysql"))]
fn connect_mysql(_: &str) -> Result<Box<dyn Connection>, String> {
    Err("this program was built without the mysql feature".into())
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
        let error = DbUrl::parse("oracle://u:hunter2@h/d").unwrap_err();
        assert!(!error.message.contains("hunter2"), "{error}");
        assert!(DbUrl::parse("sqlite://").is_err());
        assert!(DbUrl::parse("").unwrap_err().message.contains("empty"));
        let error = DbUrl::parse(&format!("x{}", "y".repeat(100_000))).unwrap_err();
        assert!(error.to_string().len() < 500, "{error}");
        let error = DbUrl::parse("postgresql://u:hunter2@h:port/d").unwrap_err();
        assert!(error.message.contains("port \"port\""), "{error}");
        assert!(!error.to_string().contains("hunter2"), "{error}");
    }

    #[cfg(feature = "mysql")]
    #[test]
    fn mysql_urls_name_their_backend() {
        assert_eq!(
            DbUrl::parse("mysql://u:pw@h:3306/d").unwrap().backend(),
            Backend::Mysql
        );
        assert_eq!(
            DbUrl::parse("mariadb://u@h/d").unwrap().backend(),
            Backend::Mysql
        );
        let error = DbUrl::parse("mysql://u:hunter2@h:port/d").unwrap_err();
        assert!(error.message.contains("port \"port\""), "{error}");
        assert!(!error.to_string().contains("hunter2"), "{error}");
    }

    /// Without the feature a MySQL URL is recognised and refused as such.
    #[cfg(not(feature = "mysql"))]
    #[test]
    fn mysql_urls_need_the_feature() {
        let error = DbUrl::parse("mysql://u:hunter2@h/d").unwrap_err();
        assert!(
            error.message.contains("without MariaDB/MySQL support"),
            "{error}"
        );
        assert!(!error.to_string().contains("hunter2"), "{error}");
    }

    #[test]
    fn secrets_are_found() {
        assert_eq!(DbUrl::secret("postgres://u:pw@h/d").as_deref(), Some("pw"));
        assert_eq!(DbUrl::secret("postgres://u@h/d"), None);
        assert_eq!(DbUrl::secret("sqlite://./a.db"), None);
    }
}
