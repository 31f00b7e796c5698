fn migrator() -> u32 {
    6
}

#[arx_migrate::test(migrator = migrator)]
fn t(_conn: &mut rusqlite::Connection) {}

fn main() {}
