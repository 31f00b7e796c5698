//! The bad chain's migrations.
//!
//! Shared with the tests, which run the command line on this chain in
//! process (`tests/cli/support.rs`).

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
