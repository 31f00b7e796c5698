use arx_migrate::prelude::*;

/// A migration
#[migration(rev = "002")]
pub mod m {
    use super::*;

    pub fn upgrade() -> Result<()> {
        Ok(())
    }

    pub fn downgrade(_op: &mut Ops) -> Result<()> {
        Ok(())
    }
}
fn main() {}
