//! Compile-fail tests for `#[migration]`: one file per mistake under
//! `tests/compile-fail/`, each with the compiler output it must produce
//! checked in beside it (`.stderr`). Regenerate with
//! `TRYBUILD=overwrite cargo test -p arx-migrate --test macro_compile_fail`,
//! then read every changed `.stderr`.

#[test]
fn macro_compile_fail() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/compile-fail/*.rs");
}
