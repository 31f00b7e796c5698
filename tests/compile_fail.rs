//! Compile-fail tests for both attributes, in one trybuild run so that the
//! dependencies of the cases are built once:
//!
//! - `#[migration]`: one file per mistake under `tests/compile-fail/`;
//! - `#[arx_migrate::test]`: one file per mistake under
//!   `tests/compile-fail-test/`.
//!
//! No case here must build and run (those are ordinary tests, such as
//! `tests/macro_branch_labels.rs`), so trybuild only type-checks
//! (`cargo check`) and never generates code for the dependencies.
//!
//! Each mistake has the compiler output it must produce checked in beside it
//! (`.stderr`). Regenerate with
//! `TRYBUILD=overwrite cargo test -p arx-migrate --all-features --test compile_fail`,
//! then read every changed `.stderr`.

#[test]
fn compile_fail() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/compile-fail/*.rs");
    cases.compile_fail("tests/compile-fail-test/*.rs");
}
