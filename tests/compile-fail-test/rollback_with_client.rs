#[arx_migrate::test(strategy = rollback)]
fn t(_client: &mut postgres::Client) {}

fn main() {}
