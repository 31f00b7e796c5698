#[arx_migrate::test]
fn t(_conn: &mut rusqlite::Connection, other: &mut rusqlite::Connection) {}

fn main() {}
