//! Running the `cli_demo` example binary against a scratch database.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use arx_migrate::testing::{postgres_test_url, PgTestDatabase};
use serde_json::Value;

/// The workspace's target directory (this test binary is in `debug/deps`).
pub fn target_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().expect("test executable");
    exe.ancestors()
        .find(|p| p.join("CACHEDIR.TAG").exists())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"))
}

/// An example binary of this package, built (a no-op when `cargo test`
/// already built the examples).
fn build_example(name: &str) -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--quiet", "--features", "cli", "--example", name])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("CARGO_TARGET_DIR", target_dir())
        .status()
        .expect("cargo runs");
    assert!(status.success(), "building the {name} example failed");
    target_dir()
        .join("debug/examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

/// The `cli_demo` example binary, built once per test run.
pub fn demo() -> &'static Path {
    static DEMO: OnceLock<PathBuf> = OnceLock::new();
    DEMO.get_or_init(|| build_example("cli_demo"))
}

/// The `cli_bad_chain` example binary (a chain lint and validate must
/// stop), built once per test run.
pub fn bad_chain() -> &'static Path {
    static BAD: OnceLock<PathBuf> = OnceLock::new();
    BAD.get_or_init(|| build_example("cli_bad_chain"))
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

fn output(output: Output) -> Run {
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs `binary` in `dir` with `args`, without `DATABASE_URL` unless given
/// in `env`.
pub fn run_in(binary: &Path, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(binary);
    command
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL");
    for (key, value) in env {
        command.env(key, value);
    }
    output(command.output().expect("the binary runs"))
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

    /// Runs `binary` on this database.
    pub fn run(&self, binary: &Path, args: &[&str]) -> Run {
        let mut all = vec!["--url", self.url()];
        all.extend_from_slice(args);
        run_in(binary, self.dir(), &all, &[])
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
