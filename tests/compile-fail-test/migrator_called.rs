fn migrator() -> arx_migrate::Result<arx_migrate::Migrator> {
    arx_migrate::Migrator::new(arx_migrate::MigrationSet::new())
}

#[arx_migrate::test(migrator = migrator())]
fn t(_conn: &mut rusqlite::Connection) {}

fn main() {}
