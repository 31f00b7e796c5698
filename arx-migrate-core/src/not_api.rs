//! Not API: what the sibling crates (verify, cli, testing) share with the
//! engine. Hidden, and may change in any release; a program uses the
//! facade `arx-migrate`, which does not re-export it.

pub mod panic;
#[cfg(feature = "postgres")]
pub mod scratch;
pub mod text;
pub mod utc;

#[cfg(feature = "postgres")]
pub use crate::backend::postgres::db_error as postgres_db_error;
#[cfg(feature = "sqlite")]
pub use crate::backend::sqlite::db_error as sqlite_db_error;
pub use crate::lock::lock_key;
