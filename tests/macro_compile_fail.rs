//! Compile-fail tests for `#[migration]`: one file per mistake under
//! `tests/compile-fail/`, each with the compiler output it must produce
//! checked in beside it (`.stderr`); and programs under
//! `tests/compile-pass/` that must build and run (options that only matter
//! together, such as `branch_labels` and `depends_on`). Regenerate with
//! `TRYBUILD=overwrite cargo test -p arx-migrate --test macro_compile_fail`,
//! then read every changed `.stderr`.

#[test]
fn macro_compile_fail() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/compile-fail/*.rs");
    cases.pass("tests/compile-pass/*.rs");
}
