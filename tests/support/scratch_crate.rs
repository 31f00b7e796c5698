//! Building a scratch crate that depends on this workspace, with the
//! workspace's target directory (so that nothing already built is built
//! again).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace's target directory (a test binary is in `debug/deps`).
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

/// Writes a manifest for package `name` depending on this workspace's
/// `arx-migrate` with `features`, and the workspace's lock file (the same
/// versions, so nothing is rebuilt).
pub fn write_manifest(root: &Path, name: &str, features: &[&str]) {
    let workspace = env!("CARGO_MANIFEST_DIR");
    std::fs::write(
        root.join("Cargo.toml"),
        format!(
            "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
             [dependencies]\narx-migrate = {{ path = {workspace:?}, features = {features:?} }}\n\n[workspace]\n"
        ),
    )
    .unwrap();
    std::fs::copy(
        Path::new(workspace).join("Cargo.lock"),
        root.join("Cargo.lock"),
    )
    .unwrap();
}

/// `cargo build --offline --quiet` in `root`, into [`target_dir`].
pub fn cargo_build(root: &Path) -> Output {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    Command::new(cargo)
        .args(["build", "--offline", "--quiet"])
        .current_dir(root)
        .env("CARGO_TARGET_DIR", target_dir())
        .output()
        .expect("cargo runs")
}

/// Builds the crate at `root` ([`cargo_build`]); it must build without a
/// warning (`what` names the code in the message).
pub fn assert_builds(root: &Path, what: &str) {
    let out = cargo_build(root);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{what} does not build:\n{stderr}");
    assert!(
        !stderr.contains("warning"),
        "{what} has warnings:\n{stderr}"
    );
}
