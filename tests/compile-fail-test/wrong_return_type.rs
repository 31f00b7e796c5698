#[arx_migrate::test]
fn t(_conn: &mut rusqlite::Connection) -> u32 {
    1
}

fn main() {}
