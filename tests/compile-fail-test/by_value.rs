#[arx_migrate::test]
fn t(_conn: rusqlite::Connection) {}

fn main() {}
