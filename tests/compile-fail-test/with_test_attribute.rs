#[arx_migrate::test]
#[test]
fn t(_conn: &mut rusqlite::Connection) {}

fn main() {}
