use arx_migrate::prelude::*;

/// A migration
#[migration(rev = "002")]
pub struct Migration002 {
    pub name: String,
}

fn main() {}
