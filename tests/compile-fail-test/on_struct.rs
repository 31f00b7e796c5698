#[arx_migrate::test]
struct Fixture;

fn main() {}
