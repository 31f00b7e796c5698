use arx_migrate::prelude::*;

/// A migration
#[migration(rev = "002")]
pub fn upgrade(_op: &mut Ops) -> Result<()> {
    Ok(())
}

fn main() {}
