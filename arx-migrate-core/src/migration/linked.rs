//! Migrations that live in a library crate, and how a program gets them.
//!
//! `#[migration]` modules and `sql_migrations!` folders register their
//! revisions when their crate is linked into the program. Rust links a
//! dependency only when the program's code names something in it, so a
//! program whose migrations live in a library crate it does not otherwise
//! use would find none. The library therefore exports an item the program
//! names: `arx_migrate::export_migrations!();` in its `lib.rs` defines
//! `pub fn migrations() -> LinkedMigrations`, and the program passes
//! `my_crate::migrations()` where it says which migrations to run — which
//! links the crate. A program that still finds no migration at all gets
//! [`crate::Error::NoMigrations`], never a silent empty run.

use std::sync::Arc;

use super::definition::{Migration, MigrationSource, Registry};

/// The migrations of a program that names a library crate's
/// `migrations()` (defined by `arx_migrate::export_migrations!()`): every
/// migration registered in the program, that crate's among them.
///
/// Naming `my_crate::migrations()` links `my_crate`; the set is the
/// program's whole registry, so migrations of other linked crates (the
/// ones `my_crate`'s revise) are in it too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkedMigrations {
    crate_name: &'static str,
}

impl LinkedMigrations {
    /// What `export_migrations!()` returns for the crate it is in.
    #[doc(hidden)]
    pub const fn new(crate_name: &'static str) -> Self {
        LinkedMigrations { crate_name }
    }

    /// The crate that exported this.
    pub fn crate_name(&self) -> &'static str {
        self.crate_name
    }
}

impl MigrationSource for LinkedMigrations {
    fn migrations(&self) -> Vec<Arc<dyn Migration>> {
        Registry.migrations()
    }
}
