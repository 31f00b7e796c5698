//! `arx-migrate`: the `arx_migrate::cli` command line (Alembic's verbs,
//! `lint`, `check`, `validate`) for the Arxos migrations, with their
//! version table `alembic_version`. Without `--url`, `-s` or `DATABASE_URL`
//! the database is `sqlite://./data/arx.db` (`./data` is created):
//! `cargo run -p arx-schema --bin arx-migrate -- upgrade head`.

fn main() -> std::process::ExitCode {
    arx_migrate::cli::run(
        arx_migrate::cli::CliConfig::default()
            // Naming the crate's migrations links them into the program.
            .migrations(arx_schema::migrations())
            .version_table(arx_schema::VERSION_TABLE),
    )
}
