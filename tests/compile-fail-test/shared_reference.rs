#[arx_migrate::test]
fn t(_client: &postgres::Client) {}

fn main() {}
