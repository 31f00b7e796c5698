//! The `arx_migrate::cli` command line on a small hand-written chain with a
//! branch, a merge and a data migration:
//!
//! ```text
//! a001 -> b002 -> c003 ----> d005 (merge) -> e006 (data)
//!             \-> c004 --/
//! ```
//!
//! `cargo run --example cli_demo -- --url sqlite://./data/demo.db upgrade head`

pub mod migrations;

fn main() -> std::process::ExitCode {
    arx_migrate::cli::run(arx_migrate::cli::CliConfig::default().program_name("cli_demo"))
}
