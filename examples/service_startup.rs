//! A service that brings its database to head at startup, before serving.
//!
//! Safe in every replica at once: when the database is already at head this
//! costs one query and takes no lock; when there is work, the replicas queue
//! on the migration lock and each revision is applied once.
//!
//! ```sh
//! cargo run --example service_startup                                   # SQLite file ./data/service.db
//! DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test cargo run --example service_startup
//! ```

use std::error::Error;

use arx_migrate::redact::redact_url;
use arx_migrate::{postgres, rusqlite};

type BoxError = Box<dyn Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "data/service.db".to_string());
    println!("migrating {}", redact_url(&url));

    // The postgres client blocks: run migrations on a blocking thread, never
    // on the async runtime's own threads (the library returns
    // Error::InsideAsyncRuntime there, and nothing reaches stderr).
    let report = tokio::task::spawn_blocking(move || migrate(&url)).await??;

    for step in &report.steps {
        println!("applied {} in {:.1?}", step.revision, step.duration);
    }
    println!("database at {:?}; serving", report.heads_after);
    Ok(())
}

fn migrate(url: &str) -> Result<arx_migrate::Report, BoxError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let mut client = postgres::Client::connect(url, postgres::NoTls)
            .map_err(|e| format!("cannot connect to {}: {e}", redact_url(url)))?;
        Ok(arx_schema::migrate_to_head(&mut client)?)
    } else {
        if let Some(dir) = std::path::Path::new(url).parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut conn = rusqlite::Connection::open(url)?;
        Ok(arx_schema::migrate_to_head(&mut conn)?)
    }
}
