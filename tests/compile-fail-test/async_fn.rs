#[arx_migrate::test]
async fn t(_client: &mut postgres::Client) {}

fn main() {}
