#[arx_migrate::test]
fn t(_conn: &mut String) {}

fn main() {}
