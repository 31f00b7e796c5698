//! A service's start-up with the Acme migrations: bring the database to
//! head, then serve. It opens its connections with the drivers
//! arx-migrate re-exports (`arx_migrate::rusqlite`, `arx_migrate::postgres`),
//! so that it has the very versions the library implements its
//! `Connection` for.
//!
//! ```sh
//! cargo run -p acme-migrations --bin acme-service                      # SQLite ./data/acme.db
//! DATABASE_URL=postgresql://postgres@127.0.0.1:5432/acme cargo run -p acme-migrations --bin acme-service
//! ```

use arx_migrate::{postgres, rusqlite, Migrator};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "data/acme.db".to_string());
    // Naming `migrations()` links the library crate that holds them.
    let migrator = Migrator::new(acme_migrations::migrations())?;
    let report = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let mut client = postgres::Client::connect(&url, postgres::NoTls)?;
        migrator.upgrade(&mut client, "head")?
    } else {
        if let Some(dir) = std::path::Path::new(&url).parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut conn = rusqlite::Connection::open(&url)?;
        migrator.upgrade(&mut conn, "head")?
    };
    for step in &report.steps {
        println!(
            "applied {} in {:.1?}: {}",
            step.revision, step.duration, step.message
        );
    }
    println!("database at {:?}; serving", report.heads_after);
    Ok(())
}
