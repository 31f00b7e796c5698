use arx_migrate::prelude::*;

/// A migration
#[migration(rev = "002", branch_labels = "002")]
pub mod m {
    use super::*;

    pub fn upgrade(_op: &mut Ops) -> Result<()> {
        Ok(())
    }

    pub fn downgrade(_op: &mut Ops) -> Result<()> {
        Ok(())
    }
}
fn main() {}
