#[arx_migrate::test(strategi = schema)]
fn t(_tx: &mut postgres::Transaction<'_>) {}

fn main() {}
