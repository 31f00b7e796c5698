#[arx_migrate::test(at = "001", at = "002")]
fn t(_conn: &mut rusqlite::Connection) {}

fn main() {}
