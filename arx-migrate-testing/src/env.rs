//! Where the PostgreSQL and MariaDB/MySQL tests find their servers.

/// The environment variable naming a PostgreSQL server where tests may
/// create databases.
#[cfg(feature = "postgres")]
pub const TEST_PG_ENV: &str = "ARX_MIGRATE_TEST_PG";

/// The test server's URL from `ARX_MIGRATE_TEST_PG`.
///
/// Without it this prints that the PostgreSQL test was skipped and returns
/// `None`, except when `CI` is set: there a missing server is a failure, so
/// this panics (it is meant for test code).
#[cfg(feature = "postgres")]
pub fn postgres_test_url(test: &str) -> Option<String> {
    server_url(test, TEST_PG_ENV, "PostgreSQL")
}

/// The environment variable naming a MariaDB or MySQL server where tests
/// may create databases (`mysql://root@127.0.0.1:3306/test`).
#[cfg(feature = "mysql")]
pub const TEST_MYSQL_ENV: &str = "ARX_MIGRATE_TEST_MYSQL";

/// The test server's URL from `ARX_MIGRATE_TEST_MYSQL`.
///
/// Without it this prints that the MariaDB/MySQL test was skipped and
/// returns `None`, except when `CI` is set: there a missing server is a
/// failure, so this panics (it is meant for test code).
#[cfg(feature = "mysql")]
pub fn mysql_test_url(test: &str) -> Option<String> {
    server_url(test, TEST_MYSQL_ENV, "MariaDB/MySQL")
}

/// The URL in `variable`, or the skip (a failure under `CI`).
fn server_url(test: &str, variable: &str, server: &str) -> Option<String> {
    match std::env::var(variable) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            if std::env::var_os("CI").is_some() {
                panic!("{test}: {variable} is not set, and CI requires the {server} tests to run");
            }
            eprintln!("skipped {test}: set {variable} to a {server} server URL to run it");
            None
        }
    }
}
