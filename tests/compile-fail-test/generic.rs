#[arx_migrate::test]
fn t<C>(conn: &mut C) {}

fn main() {}
