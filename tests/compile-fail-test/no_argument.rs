#[arx_migrate::test]
fn t() {}

fn main() {}
