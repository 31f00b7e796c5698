//! `revision` and `merge` on a scratch crate that depends on this
//! workspace's `arx-migrate`: the modules they write are compiled by the
//! next `cargo build` with no other file edited, and run. That crate's
//! binary is run as a process, since what is tested is that cargo builds
//! what the command wrote; the rest runs in process.

#[path = "cli/support.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::{run_in, Run};

/// The workspace's target directory (this test binary is in `debug/deps`).
fn target_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().expect("test executable");
    exe.ancestors()
        .find(|p| p.join("CACHEDIR.TAG").exists())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"))
}

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
}

impl Scratch {
    fn new() -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let workspace = env!("CARGO_MANIFEST_DIR");
        std::fs::write(
            root.join("Cargo.toml"),
            format!(
                "[package]\nname = \"scratch_migrations\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
                 [dependencies]\narx-migrate = {{ path = {workspace:?}, features = [\"cli\"] }}\n\n[workspace]\n"
            ),
        )
        .unwrap();
        // The workspace's lock file: the same versions, so nothing is rebuilt.
        std::fs::copy(
            Path::new(workspace).join("Cargo.lock"),
            root.join("Cargo.lock"),
        )
        .unwrap();
        std::fs::create_dir_all(root.join("src/migrations")).unwrap();
        std::fs::write(root.join("src/main.rs"), MAIN).unwrap();
        std::fs::write(root.join("src/migrations/mod.rs"), "//! Migrations.\n").unwrap();
        Scratch { dir }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn build(&self) {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let out = Command::new(cargo)
            .args(["build", "--offline", "--quiet"])
            .current_dir(self.root())
            .env("CARGO_TARGET_DIR", target_dir())
            .output()
            .expect("cargo runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "the scratch crate does not build:\n{stderr}"
        );
        assert!(
            !stderr.contains("warning"),
            "the generated code has warnings:\n{stderr}"
        );
    }

    fn binary(&self) -> PathBuf {
        target_dir().join("debug").join(format!(
            "scratch_migrations{}",
            std::env::consts::EXE_SUFFIX
        ))
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
    assert_eq!(
        scratch.cli(&["heads", "--format", "json"]).ok().json()["heads"],
        serde_json::json!([])
    );

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
