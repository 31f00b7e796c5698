use arx_migrate::prelude::*;

/// A migration
#[migration(rev = "003", down_rev = [])]
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
