//! The `arx_migrate::cli` command line on a chain that the safety checks
//! must stop: `x002` drops a column (lint: `drop-column`), `x003`'s
//! downgrade leaves its table behind (lint: `downgrade-mismatch`; validate
//! fails naming `x003`).
//!
//! `cargo run --example cli_bad_chain -- lint`

pub mod migrations;

fn main() -> std::process::ExitCode {
    arx_migrate::cli::run(arx_migrate::cli::CliConfig::default().program_name("cli_bad_chain"))
}
