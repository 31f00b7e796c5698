//! The Arxos migration role: a role given exactly the GRANTs `grants`
//! prints (with PostGIS created beforehand by the DBA, as the notes say)
//! runs `validate --as-role`'s whole round trip; with one grant removed it
//! fails, naming the statement and the missing privilege.

use std::process::{Command, Output};

use arx_migrate::testing::postgres_test_url;

fn arx_migrate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_arx-migrate"))
        .args(args)
        .output()
        .unwrap()
}

fn psql(url: &str, sql: &str) {
    let mut client = arx_migrate::postgres::Client::connect(url, arx_migrate::postgres::NoTls)
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    client
        .batch_execute(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

fn with_database(server: &str, database: &str) -> String {
    let (base, _) = server.rsplit_once('/').unwrap();
    format!("{base}/{database}")
}

#[test]
fn the_role_with_exactly_the_printed_grants_passes_validate_and_fails_without_one() {
    let Some(server) = postgres_test_url(
        "the_role_with_exactly_the_printed_grants_passes_validate_and_fails_without_one",
    ) else {
        return;
    };
    let unique = format!("i24_{}", std::process::id());
    let role = format!("{unique}_migrator");
    let database = format!("{unique}_db");
    let url = with_database(&server, &database);

    let printed = arx_migrate(&["grants", "--role", &role]);
    assert!(printed.status.success(), "{printed:?}");
    let text = String::from_utf8(printed.stdout).unwrap();
    let grants: Vec<&str> = text
        .lines()
        .filter(|line| !line.starts_with("--") && !line.trim().is_empty())
        .collect();
    assert_eq!(
        grants,
        [format!(
            "GRANT USAGE, CREATE ON SCHEMA \"public\" TO \"{role}\";"
        )],
        "{text}"
    );
    assert!(
        text.contains("CREATE EXTENSION postgis") && text.contains("not a trusted extension"),
        "{text}"
    );

    psql(&server, &format!("CREATE ROLE \"{role}\""));
    psql(&server, &format!("CREATE DATABASE \"{database}\""));
    let outcome = std::panic::catch_unwind(|| {
        // The DBA's part, as the notes say; then exactly the printed grants.
        psql(&url, "CREATE EXTENSION IF NOT EXISTS postgis");
        psql(&url, &grants.join("\n"));
        let run = arx_migrate(&["--url", &url, "validate", "--as-role", &role]);
        let stdout = String::from_utf8_lossy(&run.stdout);
        assert!(
            run.status.success() && stdout.contains("validate: passed"),
            "{stdout}{}",
            String::from_utf8_lossy(&run.stderr)
        );

        // Without CREATE on the schema, the first statement fails, named.
        psql(
            &url,
            &format!("REVOKE CREATE ON SCHEMA public FROM \"{role}\""),
        );
        let run = arx_migrate(&["--url", &url, "validate", "--as-role", &role]);
        let stdout = String::from_utf8_lossy(&run.stdout);
        assert_eq!(run.status.code(), Some(1), "{stdout}");
        assert!(
            stdout.contains("failed  upgrade base → head")
                && stdout.contains("permission denied for schema public")
                && stdout.contains("statement: CREATE TABLE"),
            "{stdout}"
        );
    });
    psql(&server, &format!("DROP DATABASE IF EXISTS \"{database}\""));
    psql(&server, &format!("DROP ROLE IF EXISTS \"{role}\""));
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}
