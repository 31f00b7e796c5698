//! Where the PostgreSQL tests find their server.

/// The environment variable naming a PostgreSQL server where tests may
/// create databases.
pub const TEST_PG_ENV: &str = "ARX_MIGRATE_TEST_PG";

/// The test server's URL from `ARX_MIGRATE_TEST_PG`.
///
/// Without it this prints that the PostgreSQL test was skipped and returns
/// `None`, except when `CI` is set: there a missing server is a failure, so
/// this panics (it is meant for test code).
pub fn postgres_test_url(test: &str) -> Option<String> {
    match std::env::var(TEST_PG_ENV) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            if std::env::var_os("CI").is_some() {
                panic!(
                    "{test}: {TEST_PG_ENV} is not set, and CI requires the PostgreSQL tests to run"
                );
            }
            eprintln!("skipped {test}: set {TEST_PG_ENV} to a PostgreSQL server URL to run it");
            None
        }
    }
}
