#[arx_migrate::test(strategy = schema)]
fn t(_conn: &mut rusqlite::Connection) {}

fn main() {}
