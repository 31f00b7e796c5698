//! `revision` and `merge` on a scratch crate that depends on this
//! workspace's `arx-migrate`: the modules they write are compiled by the
//! next `cargo build` with no other file edited, and run. That crate's
//! binary is run as a process, since what is tested is that cargo builds
//! what the command wrote; the rest runs in process.

#[path = "support/scratch_crate.rs"]
mod scratch_crate;
#[path = "cli/support.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::{run_in, Run};

use scratch_crate::{assert_builds, target_dir};

/// Runs `binary` in `dir` with `args`, without `DATABASE_URL`.
fn run_process(binary: &Path, dir: &Path, args: &[&str]) -> Run {
    let output = Command::new(binary)
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .output()
        .expect("the binary runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

const MAIN: &str = r#"mod migrations;

fn main() -> std::process::ExitCode {
    arx_migrate::cli::run(arx_migrate::cli::CliConfig::default().version_table("scratch_version"))
}
"#;

struct Scratch {
    dir: tempfile::TempDir,
    /// The package's name, and its binary's: one per test, since the
    /// tests share a target directory and run at once.
    name: &'static str,
}

impl Scratch {
    fn new() -> Scratch {
        let scratch = Scratch::empty("scratch_migrations");
        let root = scratch.root();
        std::fs::create_dir_all(root.join("src/migrations")).unwrap();
        std::fs::write(root.join("src/main.rs"), MAIN).unwrap();
        std::fs::write(root.join("src/migrations/mod.rs"), "//! Migrations.\n").unwrap();
        scratch
    }

    /// A crate with a manifest and this workspace's lock file, no source.
    fn empty(name: &'static str) -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        scratch_crate::write_manifest(root, name, &["cli"]);
        Scratch { dir, name }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn build(&self) {
        assert_builds(self.root(), "the scratch crate");
    }

    fn binary(&self) -> PathBuf {
        target_dir()
            .join("debug")
            .join(format!("{}{}", self.name, std::env::consts::EXE_SUFFIX))
    }

    fn cli(&self, args: &[&str]) -> Run {
        let url = format!("sqlite://{}", self.root().join("scratch.db").display());
        let mut all = vec!["--url", url.as_str()];
        all.extend_from_slice(args);
        run_process(&self.binary(), self.root(), &all)
    }

    fn module(&self, json: &serde_json::Value) -> PathBuf {
        self.root().join(json["path"].as_str().unwrap())
    }
}

#[test]
fn revision_and_merge_write_modules_that_cargo_builds() {
    let scratch = Scratch::new();
    scratch.build();
    // No migration yet: the verbs that need them say so; `revision`
    // writes the first.
    let json = scratch.cli(&["heads", "--format", "json"]).fails(1).json();
    assert_eq!(json["error"]["kind"], "no_migrations");

    // The first revision is a base; its body is filled in by hand as a
    // user would.
    let json = scratch
        .cli(&[
            "revision",
            "-m",
            "Create widgets",
            "--rev-id",
            "w001",
            "--format",
            "json",
        ])
        .ok()
        .json();
    assert_eq!(json["down_revisions"], serde_json::json!([]));
    assert_eq!(json["module"], "mw001_create_widgets");
    let file = scratch.module(&json);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains("#[arx_migrate::migration(rev = \"w001\")]"),
        "{text}"
    );
    std::fs::write(
        &file,
        text.replacen(
            "let _ = op;",
            "op.sql(\"CREATE TABLE widgets (id INTEGER PRIMARY KEY)\")?;",
            1,
        )
        .replacen("let _ = op;", "op.sql(\"DROP TABLE widgets\")?;", 1),
    )
    .unwrap();

    // A second one, before any rebuild: it revises w001, read from the folder.
    let out = scratch.cli(&["revision", "-m", "Add gadgets"]).ok();
    assert!(out.stdout.contains("revises w001"), "{}", out.stdout);
    // A third on a side branch, by --head.
    let json = scratch
        .cli(&[
            "revision",
            "-m",
            "Side branch",
            "--rev-id",
            "s003",
            "--head",
            "w0",
            "--format",
            "json",
        ])
        .ok()
        .json();
    assert_eq!(json["down_revisions"], serde_json::json!(["w001"]));
    let listing = std::fs::read_to_string(scratch.root().join("src/migrations/mod.rs")).unwrap();
    assert_eq!(
        listing
            .lines()
            .filter(|l| l.starts_with("pub mod "))
            .count(),
        3,
        "{listing}"
    );

    // Two heads now: revision without --head, and upgrade head, say merge.
    let out = scratch.cli(&["revision", "-m", "Ambiguous"]).fails(1);
    assert!(
        out.stderr.contains("heads") && out.stderr.contains("merge"),
        "{}",
        out.stderr
    );
    scratch.build();
    let heads = scratch.cli(&["heads", "--format", "json"]).ok().json();
    assert_eq!(heads["heads"].as_array().unwrap().len(), 2, "{heads}");
    let out = scratch.cli(&["upgrade", "head"]).fails(1);
    assert!(
        out.stderr.contains("where one was needed") && out.stderr.contains("merge -m"),
        "{}",
        out.stderr
    );
    let json = scratch
        .cli(&["upgrade", "head", "--format", "json"])
        .fails(1)
        .json();
    assert_eq!(json["error"]["kind"], "multiple_heads");
    assert_eq!(
        json["error"]["details"]["heads"].as_array().unwrap().len(),
        2
    );

    // merge joins them; after a build there is one head again.
    let json = scratch
        .cli(&[
            "merge",
            "-m",
            "Join the branches",
            "heads",
            "--rev-id",
            "m004",
            "--format",
            "json",
        ])
        .ok()
        .json();
    assert_eq!(json["down_revisions"].as_array().unwrap().len(), 2);
    let text = std::fs::read_to_string(scratch.module(&json)).unwrap();
    assert!(text.contains("down_rev = [\""), "{text}");
    scratch.build();
    assert_eq!(
        scratch.cli(&["heads"]).ok().stdout,
        "m004 (head), Join the branches\n"
    );
    let out = scratch.cli(&["upgrade", "head"]).ok();
    assert!(
        out.stdout.contains("applied 4 revision(s)"),
        "{}",
        out.stdout
    );
    let tables = support::sqlite_query(
        &scratch.root().join("scratch.db"),
        "SELECT name FROM sqlite_master WHERE name = 'widgets'",
    );
    assert_eq!(tables, [["widgets"]], "the edited module ran");
    assert_eq!(
        support::sqlite_query(
            &scratch.root().join("scratch.db"),
            "SELECT version_num FROM scratch_version"
        ),
        [["m004"]]
    );
    let out = scratch.cli(&["history"]).ok();
    assert!(
        out.stdout
            .contains("-> m004 (head) (mergepoint), Join the branches"),
        "{}",
        out.stdout
    );

    // Errors: an existing id, a merge of one revision.
    let out = scratch
        .cli(&["revision", "-m", "again", "--rev-id", "w001"])
        .fails(1);
    assert!(out.stderr.contains("already exists"), "{}", out.stderr);
    assert_eq!(scratch.cli(&["merge", "-m", "one", "w001"]).code, 2);
    let out = scratch
        .cli(&["revision", "-m", "bad id", "--rev-id", "no spaces"])
        .fails(1);
    assert!(out.stderr.contains("invalid revision id"), "{}", out.stderr);
}

/// A folder whose name is no Rust identifier: the hint declares a module
/// with a valid name, reaching the folder by path.
#[test]
fn a_folder_named_like_no_module_gets_a_valid_declaration() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(
        support::demo(),
        dir.path(),
        &[
            "--migrations-dir",
            "out-24_change_fk_action-sqlite",
            "revision",
            "-m",
            "On top of the demo",
        ],
        &[],
    )
    .ok();
    assert!(
        out.stdout.contains(
            "add `#[path = \"out-24_change_fk_action-sqlite/mod.rs\"] mod out_24_change_fk_action_sqlite;` to the crate root"
        ),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("mod out-24"), "{}", out.stdout);
}

#[test]
fn revision_creates_the_folder_and_says_how_to_wire_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(
        support::demo(),
        dir.path(),
        &[
            "--migrations-dir",
            "src/migrations",
            "revision",
            "-m",
            "On top of the demo",
        ],
        &[],
    )
    .ok();
    assert!(out.stdout.contains("revises e006"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("add `mod migrations;` to the crate root"),
        "{}",
        out.stdout
    );
    let listing = std::fs::read_to_string(dir.path().join("src/migrations/mod.rs")).unwrap();
    assert!(listing.contains("pub mod m"), "{listing}");
    // A crate that declares the folder as migrations.rs keeps that layout.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("src/migrations.rs"), "//! Ours.\n").unwrap();
    run_in(
        support::demo(),
        dir.path(),
        &["revision", "-m", "x", "--rev-id", "x1"],
        &[],
    )
    .ok();
    let listing = std::fs::read_to_string(dir.path().join("src/migrations.rs")).unwrap();
    assert_eq!(listing, "//! Ours.\npub mod mx1_x;\n");
    assert!(dir.path().join("src/migrations/mx1_x.rs").exists());
    assert!(!dir.path().join("src/migrations/mod.rs").exists());
}

const SQL_MAIN: &str = r#"arx_migrate::sql_migrations!("migrations");

fn main() -> std::process::ExitCode {
    arx_migrate::cli::run(arx_migrate::cli::CliConfig::default())
}
"#;

#[test]
fn revision_sql_writes_files_that_cargo_embeds_and_rebuilds_on_change() {
    let scratch = Scratch::empty("scratch_sql_migrations");
    let root = scratch.root();
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::create_dir_all(root.join("migrations")).unwrap();
    std::fs::write(root.join("src/main.rs"), SQL_MAIN).unwrap();
    scratch.build();

    // The first: the folder is empty, so the id is given.
    let out = scratch
        .cli(&[
            "revision",
            "--sql",
            "-m",
            "Create widgets",
            "--rev-id",
            "001",
        ])
        .ok();
    assert!(out.stdout.contains("revises <base>"), "{}", out.stdout);
    assert!(
        out.stdout.contains("cargo:rerun-if-changed=migrations"),
        "the missing build script is pointed out: {}",
        out.stdout
    );
    let up = root.join("migrations/001_create_widgets/up.sql");
    let header = std::fs::read_to_string(&up).unwrap();
    assert!(
        header.starts_with("-- arx-migrate: rev = \"001\", down_rev = []\n-- Create widgets\n"),
        "{header}"
    );
    std::fs::write(
        &up,
        format!("{header}CREATE TABLE widgets (id integer PRIMARY KEY);\n"),
    )
    .unwrap();
    let down = root.join("migrations/001_create_widgets/down.sql");
    std::fs::write(&down, "DROP TABLE widgets;\n").unwrap();
    std::fs::write(
        root.join("build.rs"),
        "fn main() {\n    println!(\"cargo:rerun-if-changed=migrations\");\n}\n",
    )
    .unwrap();

    // The second, before any rebuild: numbered after the first, revising it.
    let json = scratch
        .cli(&[
            "revision",
            "--sql",
            "-m",
            "Create gadgets",
            "--format",
            "json",
        ])
        .ok()
        .json();
    assert_eq!(json["revision"], "002");
    assert_eq!(json["down_revisions"], serde_json::json!(["001"]));
    assert_eq!(json["layout"], "arx-migrate");
    let up2 = root.join("migrations/002_create_gadgets/up.sql");
    let header = std::fs::read_to_string(&up2).unwrap();
    std::fs::write(
        &up2,
        format!("{header}CREATE TABLE gadgets (id integer PRIMARY KEY);\n"),
    )
    .unwrap();
    std::fs::write(
        root.join("migrations/002_create_gadgets/down.sql"),
        "DROP TABLE gadgets;\n",
    )
    .unwrap();

    scratch.build();
    assert_eq!(
        scratch.cli(&["heads"]).ok().stdout,
        "002 (head), Create gadgets\n"
    );
    let out = scratch.cli(&["upgrade", "head"]).ok();
    assert!(
        out.stdout.contains("applied 2 revision(s)"),
        "{}",
        out.stdout
    );

    // Editing an applied file rebuilds the program, whose checksum of 001
    // no longer matches what was applied.
    let text = std::fs::read_to_string(&up).unwrap();
    std::fs::write(
        &up,
        text.replace(
            "id integer PRIMARY KEY",
            "id integer PRIMARY KEY, name text",
        ),
    )
    .unwrap();
    scratch.build();
    let out = scratch.cli(&["upgrade", "head"]).fails(1);
    assert!(
        out.stderr.contains("001 was edited after it was applied"),
        "{}",
        out.stderr
    );
    std::fs::write(&up, text).unwrap();

    // A new folder: the build script makes cargo see it.
    scratch
        .cli(&["revision", "--sql", "-m", "Nothing yet"])
        .ok();
    scratch.build();
    assert_eq!(
        scratch.cli(&["heads"]).ok().stdout,
        "003 (head), Nothing yet\n"
    );
    let out = scratch.cli(&["upgrade", "head"]).ok();
    assert!(
        out.stdout.contains("applied 1 revision(s)"),
        "{}",
        out.stdout
    );
}

#[test]
fn revision_sql_in_a_sqlx_folder_writes_sqlx_files() {
    let dir = tempfile::tempdir().unwrap();
    let sqlx = dir.path().join("migrations");
    std::fs::create_dir_all(&sqlx).unwrap();
    std::fs::write(
        sqlx.join("20240101000000_users.up.sql"),
        "CREATE TABLE users (id integer);\n",
    )
    .unwrap();
    std::fs::write(
        sqlx.join("20240101000000_users.down.sql"),
        "DROP TABLE users;\n",
    )
    .unwrap();
    // The demo program's own head is e006: name the parent.
    let json = run_in(
        support::demo(),
        dir.path(),
        &[
            "--migrations-dir",
            "migrations",
            "revision",
            "--sql",
            "-m",
            "Add posts",
            "--head",
            "20240101000000",
            "--format",
            "json",
        ],
        &[],
    )
    .ok()
    .json();
    assert_eq!(json["layout"], "sqlx");
    let version = json["revision"].as_str().unwrap().to_string();
    assert_eq!(
        version.len(),
        14,
        "a UTC timestamp, as sqlx names files: {version}"
    );
    assert!(version.as_str() > "20240101000000");
    let up = sqlx.join(format!("{version}_add_posts.up.sql"));
    let text = std::fs::read_to_string(&up).unwrap();
    // Its parent is the file before it, which sqlx's layout implies.
    assert_eq!(text, "-- Add posts\n\n");
    assert!(sqlx.join(format!("{version}_add_posts.down.sql")).exists());
    // A refinery folder has no downgrades: refused.
    let refinery = dir.path().join("refinery");
    std::fs::create_dir_all(&refinery).unwrap();
    std::fs::write(
        refinery.join("V1__init.sql"),
        "CREATE TABLE a (id integer);\n",
    )
    .unwrap();
    let out = run_in(
        support::demo(),
        dir.path(),
        &[
            "--migrations-dir",
            "refinery",
            "revision",
            "--sql",
            "-m",
            "x",
            "--head",
            "1",
        ],
        &[],
    )
    .fails(1);
    assert!(
        out.stderr
            .contains("refinery's layout, which has no downgrades"),
        "{}",
        out.stderr
    );
}
