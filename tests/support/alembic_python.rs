//! Finding the Python that has the Alembic and SQLAlchemy pinned in
//! `tests/alembic/requirements.txt`, for the tests that run real Alembic.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `tests/alembic`.
pub fn folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/alembic")
}

/// The pinned version of `package` in requirements.txt.
pub fn pinned(package: &str) -> String {
    let requirements = std::fs::read_to_string(folder().join("requirements.txt")).unwrap();
    requirements
        .lines()
        .find_map(|line| line.trim().strip_prefix(&format!("{package}==")))
        .unwrap_or_else(|| panic!("requirements.txt pins no {package}"))
        .trim()
        .to_string()
}

/// The Python (`ARX_MIGRATE_PYTHON`, or `python3`) that has the pinned
/// Alembic and SQLAlchemy and can import `modules` too, or why there is
/// none.
pub fn python(modules: &[&str]) -> Result<String, String> {
    let python = std::env::var("ARX_MIGRATE_PYTHON").unwrap_or_else(|_| "python3".into());
    let imports: String = modules.iter().map(|m| format!(", {m}")).collect();
    let output = Command::new(&python)
        .args([
            "-c",
            &format!(
                "import alembic, sqlalchemy{imports}; print(alembic.__version__, sqlalchemy.__version__)"
            ),
        ])
        .output()
        .map_err(|e| format!("{python} does not run ({e})"))?;
    if !output.status.success() {
        return Err(format!(
            "{python} cannot import alembic, sqlalchemy{imports}"
        ));
    }
    let found = String::from_utf8_lossy(&output.stdout).trim().to_string();
    let wanted = format!("{} {}", pinned("alembic"), pinned("SQLAlchemy"));
    if found != wanted {
        return Err(format!(
            "{python} has alembic and SQLAlchemy {found}, the test pins {wanted}"
        ));
    }
    Ok(python)
}
