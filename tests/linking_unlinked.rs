//! The linking trap: this test program has the `acme-migrations` library
//! crate as a dependency but never names it, so Rust does not link it and
//! its migrations are not registered. Every entry point says so, with the
//! fix, instead of running zero migrations.

use arx_migrate::cli::{execute, CliConfig};
use arx_migrate::{Error, Migrator};

#[test]
fn migrate_to_head_and_the_registry_find_no_migration_and_say_how_to_link() {
    let mut conn = arx_migrate::rusqlite::Connection::open_in_memory().unwrap();
    let error = arx_migrate::migrate_to_head(&mut conn).unwrap_err();
    assert!(matches!(error, Error::NoMigrations), "{error}");
    let text = error.to_string();
    assert!(text.contains("arx_migrate::export_migrations!()"), "{text}");
    assert!(text.contains("my_crate::migrations()"), "{text}");
    assert!(matches!(
        Migrator::from_registry(),
        Err(Error::NoMigrations)
    ));
}

#[test]
fn every_verb_of_the_command_line_refuses_an_empty_program() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("app.db").display());
    for args in [
        vec!["lint"],
        vec!["upgrade", "head"],
        vec!["current"],
        vec!["history"],
        vec!["heads"],
    ] {
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        let code = execute(
            ["my-service", "--url", &url]
                .into_iter()
                .chain(args.iter().copied()),
            &CliConfig::default().program_name("my-service"),
            &mut stdout,
            &mut stderr,
        );
        let stderr = String::from_utf8(stderr).unwrap();
        assert_eq!(code, 1, "{args:?}: {stderr}");
        assert!(
            stderr.contains("error: my-service has no migration"),
            "{args:?}: {stderr}"
        );
        assert!(
            stderr.contains(".migrations(my_crate::migrations())"),
            "{args:?}: {stderr}"
        );
    }
    // JSON output has the kind for CI.
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    execute(
        ["my-service", "--url", &url, "lint", "--format", "json"],
        &CliConfig::default(),
        &mut stdout,
        &mut stderr,
    );
    let json: serde_json::Value = serde_json::from_slice(&stdout).unwrap();
    assert_eq!(json["error"]["kind"], "no_migrations");
}
