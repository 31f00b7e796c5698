//! Running the command line in process, through `arx_migrate::cli::execute`,
//! on the examples' chains (`cli_demo`, `cli_bad_chain`) against scratch
//! databases. Each run has its own folder and environment
//! (`CliConfig::current_dir`, `env_clear`, `env`), so tests run in parallel
//! threads without touching the process's working directory or variables.

#![allow(dead_code)]

use std::path::Path;

use arx_migrate::cli::{execute, CliConfig};
use arx_migrate::testing::{postgres_test_url, PgTestDatabase};
use arx_migrate::MigrationSet;
use serde_json::Value;

#[path = "../../examples/cli_demo/migrations.rs"]
mod demo_migrations;

#[path = "../../examples/cli_bad_chain/migrations.rs"]
mod bad_chain_migrations;

/// One of the examples: its chain and its program name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Example {
    /// `cli_demo`: a branch, a merge and a data migration; passes the checks.
    Demo,
    /// `cli_bad_chain`: a chain `lint` and `validate` must stop.
    BadChain,
}

impl Example {
    fn program(self) -> &'static str {
        match self {
            Example::Demo => "cli_demo",
            Example::BadChain => "cli_bad_chain",
        }
    }

    /// The chain, given explicitly: both examples' migrations are linked
    /// into each test binary, so the registry holds both.
    pub fn migrations(self) -> MigrationSet {
        match self {
            Example::Demo => {
                use demo_migrations::*;
                MigrationSet::new()
                    .with_static(a001_items::MIGRATION)
                    .with_static(b002_tags::MIGRATION)
                    .with_static(c003_items_by_name::MIGRATION)
                    .with_static(c004_notes::MIGRATION)
                    .with_static(d005_merge::MIGRATION)
                    .with_static(e006_count_items::MIGRATION)
            }
            Example::BadChain => {
                use bad_chain_migrations::*;
                MigrationSet::new()
                    .with_static(x001_accounts::MIGRATION)
                    .with_static(x002_drop_legacy::MIGRATION)
                    .with_static(x003_audit_log::MIGRATION)
            }
        }
    }

    /// The example's `CliConfig`, as its `main` makes it.
    fn config(self) -> CliConfig {
        CliConfig::default()
            .program_name(self.program())
            .migrations(self.migrations())
    }
}

/// The `cli_demo` example.
pub fn demo() -> Example {
    Example::Demo
}

/// The `cli_bad_chain` example (a chain lint and validate must stop).
pub fn bad_chain() -> Example {
    Example::BadChain
}

/// The result of one run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", self.stdout, self.stderr))
    }

    pub fn ok(self) -> Self {
        assert_eq!(
            self.code, 0,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    pub fn fails(self, code: i32) -> Self {
        assert_eq!(
            self.code, code,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// Runs `example`'s command line with `args` as if in `dir`, seeing only
/// the environment variables in `env` (so no `DATABASE_URL` unless given).
pub fn run_in(example: Example, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut config = example.config().current_dir(dir).env_clear();
    for (name, value) in env {
        config = config.env(*name, *value);
    }
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let command_line = std::iter::once(example.program()).chain(args.iter().copied());
    let code = execute(command_line, &config, &mut stdout, &mut stderr);
    Run {
        code: code.into(),
        stdout: String::from_utf8(stdout).expect("the output is UTF-8"),
        stderr: String::from_utf8(stderr).expect("the errors are UTF-8"),
    }
}

/// A scratch database of either backend, and a folder to run in.
pub enum Db {
    Sqlite {
        dir: tempfile::TempDir,
        url: String,
    },
    Postgres {
        dir: tempfile::TempDir,
        db: PgTestDatabase,
    },
}

impl Db {
    pub fn sqlite() -> Db {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        Db::Sqlite { dir, url }
    }

    pub fn postgres(test: &str) -> Option<Db> {
        let server = postgres_test_url(test)?;
        Some(Db::Postgres {
            dir: tempfile::tempdir().unwrap(),
            db: PgTestDatabase::create(&server).unwrap(),
        })
    }

    /// Both backends (PostgreSQL when `ARX_MIGRATE_TEST_PG` is set).
    pub fn each(test: &str) -> Vec<Db> {
        let mut all = vec![Db::sqlite()];
        all.extend(Db::postgres(test));
        all
    }

    pub fn url(&self) -> &str {
        match self {
            Db::Sqlite { url, .. } => url,
            Db::Postgres { db, .. } => db.url(),
        }
    }

    pub fn dir(&self) -> &Path {
        match self {
            Db::Sqlite { dir, .. } | Db::Postgres { dir, .. } => dir.path(),
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Db::Sqlite { .. } => "sqlite",
            Db::Postgres { .. } => "postgres",
        }
    }

    /// Runs the demo on this database.
    pub fn cli(&self, args: &[&str]) -> Run {
        self.run(demo(), args)
    }

    /// Runs `example` on this database.
    pub fn run(&self, example: Example, args: &[&str]) -> Run {
        let mut all = vec!["--url", self.url()];
        all.extend_from_slice(args);
        run_in(example, self.dir(), &all, &[])
    }

    /// Runs SQL statements on this database (a change made by hand).
    pub fn execute(&self, sql: &str) {
        match self {
            Db::Sqlite { dir, .. } => rusqlite::Connection::open(dir.path().join("test.db"))
                .unwrap()
                .execute_batch(sql)
                .unwrap(),
            Db::Postgres { db, .. } => postgres::Client::connect(db.url(), postgres::NoTls)
                .unwrap()
                .batch_execute(sql)
                .unwrap(),
        }
    }

    /// Rows of a query, as text.
    pub fn query(&self, sql: &str) -> Vec<Vec<String>> {
        match self {
            Db::Sqlite { dir, .. } => sqlite_query(&dir.path().join("test.db"), sql),
            Db::Postgres { db, .. } => pg_query(db.url(), sql),
        }
    }

    pub fn versions(&self, table: &str) -> Vec<String> {
        self.query(&format!(
            "SELECT version_num FROM {table} ORDER BY version_num"
        ))
        .into_iter()
        .map(|mut row| row.remove(0))
        .collect()
    }

    /// Tables, columns and indexes, excluding the history table.
    pub fn schema(&self) -> Vec<Vec<String>> {
        match self {
            Db::Sqlite { dir, .. } => sqlite_schema(&dir.path().join("test.db")),
            Db::Postgres { db, .. } => pg_schema(db.url()),
        }
    }
}

pub fn sqlite_query(path: &Path, sql: &str) -> Vec<Vec<String>> {
    let connection = rusqlite::Connection::open(path).unwrap();
    let mut statement = connection.prepare(sql).unwrap();
    let columns = statement.column_count();
    statement
        .query_map([], |row| {
            (0..columns)
                .map(|i| {
                    row.get::<_, rusqlite::types::Value>(i).map(|v| match v {
                        rusqlite::types::Value::Null => "NULL".to_string(),
                        rusqlite::types::Value::Integer(i) => i.to_string(),
                        rusqlite::types::Value::Text(t) => t,
                        other => format!("{other:?}"),
                    })
                })
                .collect()
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

pub fn sqlite_schema(path: &Path) -> Vec<Vec<String>> {
    sqlite_query(
        path,
        "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master \
         WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
    )
}

pub fn pg_query(url: &str, sql: &str) -> Vec<Vec<String>> {
    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
    client
        .simple_query(sql)
        .unwrap()
        .into_iter()
        .filter_map(|m| match m {
            postgres::SimpleQueryMessage::Row(row) => Some(
                (0..row.len())
                    .map(|i| row.get(i).unwrap_or("NULL").to_string())
                    .collect(),
            ),
            _ => None,
        })
        .collect()
}

pub fn pg_schema(url: &str) -> Vec<Vec<String>> {
    let mut rows = pg_query(
        url,
        "SELECT table_name, column_name, data_type, is_nullable, coalesce(column_default, '') \
         FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2",
    );
    rows.extend(pg_query(
        url,
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1",
    ));
    rows
}
