use arx_migrate::prelude::*;

/// A migration
#[migration(rev = "002")]
mod m002_users;

fn main() {}
