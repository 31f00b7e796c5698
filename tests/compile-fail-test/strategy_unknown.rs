#[arx_migrate::test(strategy = copy)]
fn t(_client: &mut postgres::Client) {}

fn main() {}
