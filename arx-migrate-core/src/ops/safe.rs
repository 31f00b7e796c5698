//! The forms that keep a busy PostgreSQL table readable and writable while
//! it changes: constraints added `NOT VALID` and validated later (a scan
//! that blocks no writes), and `NOT NULL` set through a validated `CHECK`
//! (PostgreSQL 12+ then skips its scan). SQLite has none of these: there
//! the same calls make the plain change (by rebuilding the table), which
//! checks the rows at once.
//!
//! MariaDB and MySQL have no `NOT VALID`. There a foreign key is added
//! online with `foreign_key_checks` off for the one statement (the rows
//! there are not checked, new ones are), and validating it counts the rows
//! without a parent; a CHECK is always checked when added (a table copy);
//! `NOT NULL` is an online rebuild (`ALGORITHM=INPLACE, LOCK=NONE`).

use sea_query::{Expr, ForeignKeyCreateStatement};

use super::alter::AlterColumn;
use super::context::Ops;
use crate::backend::Backend;
use crate::error::Result;
use crate::not_api::text::quote_ident;

impl Ops<'_> {
    /// [`Ops::add_foreign_key`], added `NOT VALID` on PostgreSQL: new and
    /// changed rows are checked from now on, the rows already there are not
    /// read, and the lock is held only for an instant. Check them later
    /// with [`Ops::validate_constraint`], in a later revision or a
    /// migration marked `transactional = false` (validating in the
    /// transaction that added it keeps the add's lock during the scan).
    /// On SQLite, which has no `NOT VALID`, this is [`Ops::add_foreign_key`]:
    /// the rebuild checks every row. On MariaDB/MySQL, which have no `NOT
    /// VALID` either, the key is added with `foreign_key_checks` off for
    /// that one statement, `ALGORITHM=INPLACE, LOCK=NONE`: new rows are
    /// checked, the rows there are not until [`Ops::validate_constraint`].
    ///
    /// ```
    /// # extern crate arx_migrate_core as arx_migrate;
    /// use arx_migrate::{render, Backend, Direction, FnMigration};
    /// use arx_migrate::sea_query::ForeignKey;
    ///
    /// let fk = FnMigration::new(
    ///     "r2",
    ///     &["r1"],
    ///     |op| {
    ///         op.add_foreign_key_not_valid(
    ///             ForeignKey::create()
    ///                 .name("fk_rooms_floor")
    ///                 .from("rooms", "floor_id")
    ///                 .to("floors", "id"),
    ///         )
    ///     },
    ///     |op| op.drop_foreign_key("rooms", "fk_rooms_floor"),
    /// );
    /// let sql = render(&fk, Backend::Postgres, Direction::Upgrade).into_result()?;
    /// assert_eq!(
    ///     sql,
    ///     [r#"ALTER TABLE "rooms" ADD CONSTRAINT "fk_rooms_floor" FOREIGN KEY ("floor_id") REFERENCES "floors" ("id") NOT VALID"#]
    /// );
    /// # Ok::<(), arx_migrate_core::Error>(())
    /// ```
    pub fn add_foreign_key_not_valid(
        &mut self,
        foreign_key: &ForeignKeyCreateStatement,
    ) -> Result<()> {
        self.add_foreign_key_with(foreign_key, true)
    }

    /// [`Ops::add_check`], added `NOT VALID` on PostgreSQL: see
    /// [`Ops::add_foreign_key_not_valid`]. On SQLite this is
    /// [`Ops::add_check`], and on MariaDB/MySQL too (they have no `NOT
    /// VALID`; adding a CHECK copies the table and checks every row).
    ///
    /// ```
    /// # extern crate arx_migrate_core as arx_migrate;
    /// use arx_migrate::{render, Backend, Direction, FnMigration};
    /// use arx_migrate::sea_query::{Expr, ExprTrait};
    ///
    /// let check = FnMigration::new(
    ///     "r2",
    ///     &["r1"],
    ///     |op| op.add_check_not_valid("rooms", "ck_rooms_floor", Expr::col("floor_id").gte(0)),
    ///     |op| op.drop_check("rooms", "ck_rooms_floor"),
    /// );
    /// let sql = render(&check, Backend::Postgres, Direction::Upgrade).into_result()?;
    /// assert_eq!(
    ///     sql,
    ///     [r#"ALTER TABLE "rooms" ADD CONSTRAINT "ck_rooms_floor" CHECK ("floor_id" >= 0) NOT VALID"#]
    /// );
    /// # Ok::<(), arx_migrate_core::Error>(())
    /// ```
    pub fn add_check_not_valid(&mut self, table: &str, name: &str, check: Expr) -> Result<()> {
        self.add_check_with(table, name, check, true)
    }

    /// Checks the rows of a constraint added `NOT VALID` (PostgreSQL
    /// `VALIDATE CONSTRAINT`): a scan under a lock that lets reads and
    /// writes go on. Call it in a later revision than the add, or in a
    /// migration marked `transactional = false`. A row that breaks the
    /// constraint is an error naming it. Does nothing on SQLite, where the
    /// constraint was checked when it was added. On MariaDB/MySQL a live
    /// run counts the rows of a foreign key that have no parent (an error
    /// if there are any); a CHECK was checked when it was added.
    ///
    /// ```
    /// # extern crate arx_migrate_core as arx_migrate;
    /// use arx_migrate::{render, Backend, Direction, FnMigration};
    ///
    /// let validate = FnMigration::new(
    ///     "r3",
    ///     &["r2"],
    ///     |op| op.validate_constraint("rooms", "ck_rooms_floor"),
    ///     |_| Ok(()),
    /// );
    /// let up = |backend| render(&validate, backend, Direction::Upgrade).into_result();
    /// assert_eq!(up(Backend::Postgres)?, [r#"ALTER TABLE "rooms" VALIDATE CONSTRAINT "ck_rooms_floor""#]);
    /// assert!(up(Backend::Sqlite)?.is_empty());
    /// # Ok::<(), arx_migrate_core::Error>(())
    /// ```
    pub fn validate_constraint(&mut self, table: &str, name: &str) -> Result<()> {
        if self.backend == Backend::Mysql {
            return self.mysql_validate_constraint(table, name);
        }
        self.postgres(format!(
            "ALTER TABLE {} VALIDATE CONSTRAINT {}",
            quote_ident(table),
            quote_ident(name)
        ))
    }

    /// Makes a column `NOT NULL`; an error if a row holds `NULL` in it.
    ///
    /// On PostgreSQL, in a migration marked `transactional = false`, on a
    /// table this migration did not create, it goes the way that blocks
    /// no reads or writes while the rows are read: a check named
    /// `<table>_<column>_not_null`, `CHECK (column IS NOT NULL) NOT VALID`,
    /// `VALIDATE CONSTRAINT` (a scan that lets writes go on), `SET NOT
    /// NULL` (which PostgreSQL 12+ proves from the validated check without
    /// a scan), then `DROP CONSTRAINT IF EXISTS` of the check, each in its
    /// own transaction. Inside a transaction that way would scan under the
    /// add's lock, so there, and on a table created by this migration,
    /// it is the plain `ALTER COLUMN … SET NOT NULL`. On SQLite the table
    /// is rebuilt ([`Ops::alter_column`]); on MariaDB/MySQL it is `MODIFY
    /// COLUMN … NOT NULL, ALGORITHM=INPLACE, LOCK=NONE` (an online rebuild
    /// that fails on a NULL row). When a row holds `NULL` the
    /// check is dropped again before the error is returned, so the
    /// migration runs again as it is once the rows are fixed.
    ///
    /// ```
    /// # extern crate arx_migrate_core as arx_migrate;
    /// use arx_migrate::{render, Backend, Direction, FnMigration};
    ///
    /// let not_null = FnMigration::new(
    ///     "r2",
    ///     &["r1"],
    ///     |op| op.set_not_null("rooms", "code"),
    ///     |op| op.drop_not_null("rooms", "code"),
    /// )
    /// .non_transactional();
    /// let sql = render(&not_null, Backend::Postgres, Direction::Upgrade).into_result()?;
    /// assert_eq!(
    ///     sql,
    ///     [
    ///         r#"ALTER TABLE "rooms" ADD CONSTRAINT "rooms_code_not_null" CHECK ("code" IS NOT NULL) NOT VALID"#,
    ///         r#"ALTER TABLE "rooms" VALIDATE CONSTRAINT "rooms_code_not_null""#,
    ///         r#"ALTER TABLE "rooms" ALTER COLUMN "code" SET NOT NULL"#,
    ///         r#"ALTER TABLE "rooms" DROP CONSTRAINT IF EXISTS "rooms_code_not_null""#,
    ///     ]
    /// );
    /// # Ok::<(), arx_migrate_core::Error>(())
    /// ```
    pub fn set_not_null(&mut self, table: &str, column: &str) -> Result<()> {
        let through_a_check =
            self.backend == Backend::Postgres && !self.in_transaction && !self.created_here(table);
        if !through_a_check {
            return self.alter_column(table, column, AlterColumn::new().set_not_null());
        }
        let t = quote_ident(table);
        let check = quote_ident(&format!("{table}_{column}_not_null"));
        let c = quote_ident(column);
        self.run(format!(
            "ALTER TABLE {t} ADD CONSTRAINT {check} CHECK ({c} IS NOT NULL) NOT VALID"
        ))?;
        if let Err(error) = self.run(format!("ALTER TABLE {t} VALIDATE CONSTRAINT {check}")) {
            // A row holds NULL (or the scan was cancelled): take the check
            // away again, outside the checksum, so that the failed step
            // leaves nothing behind and runs again as it is once fixed.
            if !self.is_offline() {
                let _ =
                    self.execute_one(format!("ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {check}"));
            }
            return Err(error);
        }
        self.run(format!("ALTER TABLE {t} ALTER COLUMN {c} SET NOT NULL"))?;
        self.run(format!("ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {check}"))
    }

    /// Lets a column hold `NULL` (the reverse of [`Ops::set_not_null`]);
    /// instant on PostgreSQL, a rebuild on SQLite.
    pub fn drop_not_null(&mut self, table: &str, column: &str) -> Result<()> {
        self.alter_column(table, column, AlterColumn::new().drop_not_null())
    }
}
