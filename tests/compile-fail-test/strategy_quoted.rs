#[arx_migrate::test(strategy = "schema")]
fn t(_client: &mut postgres::Client) {}

fn main() {}
