//! Compile-fail tests for `#[arx_migrate::test]`: one file per mistake
//! under `tests/compile-fail-test/`, each with the compiler output it must
//! produce checked in beside it (`.stderr`). Regenerate with
//! `TRYBUILD=overwrite cargo test -p arx-migrate --all-features --test test_attribute_compile_fail`,
//! then read every changed `.stderr`.

#[test]
fn test_attribute_compile_fail() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/compile-fail-test/*.rs");
}
