//! The command line for the Acme migrations, which live in this package's
//! library crate. A binary links its own package's library only when it
//! names it, like any other crate: `acme_migrations::migrations()` does.
//!
//! ```sh
//! cargo run -p acme-migrations --bin acme-migrate -- history
//! cargo run -p acme-migrations --bin acme-migrate -- --url sqlite://acme.db upgrade head
//! ```

fn main() -> std::process::ExitCode {
    arx_migrate::cli::run(
        arx_migrate::cli::CliConfig::default()
            .migrations(acme_migrations::migrations())
            .program_name("acme-migrate")
            .default_url("sqlite://./data/acme.db"),
    )
}
