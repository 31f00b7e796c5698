//! An example consumer of arx-migrate: the Acme inventory's schema, in a
//! library crate of its own, with migrations written both as `.sql` files
//! (`migrations/`) and as Rust modules, in one revision graph:
//!
//! | revision | written as | revises |
//! |---|---|---|
//! | `001` items | `migrations/001_items/` | — |
//! | `002` tags | Rust, `src/m002_tags.rs` | `001` (SQL) |
//! | `003` item tags, with a trigger per backend | `migrations/003_item_tags/` | `002` (Rust) |
//! | `004` index on item names, `CONCURRENTLY` on PostgreSQL | `migrations/004_items_name_index/` | `003` |
//! | `005` item SKUs | Rust, `src/m005_item_sku.rs` | `004` (SQL) |
//!
//! A program runs them by naming [`migrations`], which links this crate
//! (see `src/bin/acme-migrate.rs`, the command line for them):
//!
//! ```no_run
//! let migrator = arx_migrate::Migrator::new(acme_migrations::migrations())?;
//! let mut conn = arx_migrate::rusqlite::Connection::open("acme.db").unwrap();
//! migrator.upgrade(&mut conn, "head")?;
//! # Ok::<(), arx_migrate::Error>(())
//! ```

#![warn(missing_docs)]

arx_migrate::sql_migrations!("migrations");

mod m002_tags;
mod m005_item_sku;

arx_migrate::export_migrations!();
