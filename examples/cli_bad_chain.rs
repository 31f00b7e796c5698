//! The `arx_migrate::cli` command line on a chain that the safety checks
//! must stop: `x002` drops a column (lint: `drop-column`), `x003`'s
//! downgrade leaves its table behind (lint: `downgrade-mismatch`; validate
//! fails naming `x003`).
//!
//! `cargo run --example cli_bad_chain -- lint`

/// The bad chain's migrations.
pub mod migrations {
    /// Create the accounts table
    #[arx_migrate::migration(rev = "x001")]
    pub mod x001_accounts {
        use arx_migrate::prelude::*;

        pub fn upgrade(op: &mut Ops) -> Result<()> {
            op.sql("CREATE TABLE accounts (id INTEGER PRIMARY KEY, email VARCHAR(200) NOT NULL, legacy TEXT)")
        }

        pub fn downgrade(op: &mut Ops) -> Result<()> {
            op.sql("DROP TABLE accounts")
        }
    }

    /// Drop the legacy column
    #[arx_migrate::migration(rev = "x002", down_rev = "x001")]
    pub mod x002_drop_legacy {
        use arx_migrate::prelude::*;

        pub fn upgrade(op: &mut Ops) -> Result<()> {
            op.sql("ALTER TABLE accounts DROP COLUMN legacy")
        }

        pub fn downgrade(op: &mut Ops) -> Result<()> {
            op.sql("ALTER TABLE accounts ADD COLUMN legacy TEXT")
        }
    }

    /// Create the audit log (its downgrade forgets to drop it)
    #[arx_migrate::migration(rev = "x003", down_rev = "x002")]
    pub mod x003_audit_log {
        use arx_migrate::prelude::*;

        pub fn upgrade(op: &mut Ops) -> Result<()> {
            op.sql("CREATE TABLE audit_log (id INTEGER PRIMARY KEY, account_id INTEGER, note TEXT)")
        }

        pub fn downgrade(op: &mut Ops) -> Result<()> {
            let _ = op;
            Ok(())
        }
    }
}

fn main() -> std::process::ExitCode {
    arx_migrate::cli::run(arx_migrate::cli::CliConfig::default().program_name("cli_bad_chain"))
}
