#[arx_migrate::test(rollback)]
fn t(_tx: &mut postgres::Transaction<'_>) {}

fn main() {}
