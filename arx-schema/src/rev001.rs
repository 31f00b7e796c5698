//! Revision `001`.

use arx_migrate::migration;

/// Initial users and projects
#[migration(
    rev = "001",
    allow = [
        "needs-superuser: PostGIS is not a trusted extension; the DBA creates it before the first run as a superuser (docs/cli.md, \"The Arxos migration role\"), and IF NOT EXISTS then passes for the migration role",
        "mysql-several-ddl: the spec makes each Arxos step one revision; on MariaDB each DDL statement is journalled, so a half-applied revision resumes or is repaired (docs/mysql-half-applied.md)"
    ]
)]
pub mod m001_users_projects {
    use arx_migrate::prelude::*;
    use arx_migrate::sea_query::Table;

    use crate::columns::{
        create_indexes, create_table, drop_indexes, fk, integer, serial_pk, timestamp_now,
        varchar_not_null, OnDelete,
    };

    const PROJECT_INDEXES: &[(&str, &[&str])] = &[
        ("idx_projects_user_id", &["user_id"]),
        ("idx_projects_created_at", &["created_at"]),
    ];

    /// Creates `users` and `projects`; on PostgreSQL first makes sure PostGIS
    /// is there (the later revisions need it), so that nothing is changed
    /// when it is missing. MariaDB's spatial types are built in.
    pub fn upgrade(op: &mut Ops) -> Result<()> {
        let backend = op.backend();
        op.require_extension("postgis")?;
        op.exec(
            create_table(backend, "users")
                .col(serial_pk())
                .col(varchar_not_null("email", 255).unique_key())
                .col(varchar_not_null("username", 100).unique_key())
                .col(varchar_not_null("password_hash", 255))
                .col(varchar_not_null("role", 50).default("user"))
                .col(timestamp_now(backend, "created_at"))
                .col(timestamp_now(backend, "updated_at")),
        )?;
        op.exec(
            create_table(backend, "projects")
                .col(serial_pk())
                .col(varchar_not_null("name", 255))
                .col(integer("user_id"))
                .col(timestamp_now(backend, "created_at"))
                .col(timestamp_now(backend, "updated_at"))
                .foreign_key(&mut fk("projects", "user_id", "users", OnDelete::Cascade)),
        )?;
        create_indexes(op, "projects", PROJECT_INDEXES)
    }

    /// Drops what `upgrade` created; the PostGIS extension stays (other
    /// schemas of the database may use it).
    pub fn downgrade(op: &mut Ops) -> Result<()> {
        drop_indexes(op, PROJECT_INDEXES)?;
        op.exec(Table::drop().table("projects"))?;
        op.exec(Table::drop().table("users"))
    }
}
