//! The [`Migration`] trait, and where migrations come from: the compile-time
//! registry filled by `#[migration]` and `sql_migrations!`, a set built by
//! hand, or a folder of `.sql` files read at run time.

mod definition;
mod function;
mod linked;
mod sql_files;

pub use definition::{Migration, MigrationSet, MigrationSource, Registered, Registry};
pub use function::FnMigration;
pub use linked::LinkedMigrations;
pub use sql_files::{SqlMigration, SqlScript};
