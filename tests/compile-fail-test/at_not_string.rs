#[arx_migrate::test(at = 2)]
fn t(_conn: &mut rusqlite::Connection) {}

fn main() {}
