//! Revision `006`.

use arx_migrate::migration;

/// Add collaboration and management tables
#[migration(
    rev = "006",
    down_rev = "005",
    allow = ["mysql-several-ddl: the spec makes each Arxos step one revision; on MariaDB each DDL statement is journalled, so a half-applied revision resumes or is repaired (docs/mysql-half-applied.md)"]
)]
pub mod m006_collaboration {
    use arx_migrate::prelude::*;
    use arx_migrate::sea_query::{Index, Table, TableCreateStatement};

    use crate::columns::{
        bool_false, create_table, create_text_indexes, drop_indexes, fk, integer, jsonb, serial_pk,
        text, text_not_null, timestamp, timestamp_now, varchar, varchar_not_null, OnDelete,
    };

    /// The `text` columns that have an index: `LONGTEXT` on MariaDB, indexed
    /// by a prefix there.
    const INDEXED_TEXT: &[&str] = &[
        "object_type",
        "object_id",
        "action",
        "make",
        "model",
        "type",
    ];

    type Indexes = &'static [(&'static str, &'static [&'static str])];

    /// The tables, in creation order (each after what it references), with
    /// their indexes.
    const TABLES: &[(&str, Indexes)] = &[
        (
            "drawings",
            &[
                ("idx_drawings_project_id", &["project_id"]),
                ("idx_drawings_name", &["name"]),
                ("idx_drawings_created_at", &["created_at"]),
            ],
        ),
        (
            "comments",
            &[
                ("idx_comments_user_id", &["user_id"]),
                ("idx_comments_object_id", &["object_id"]),
                ("idx_comments_object_type", &["object_type"]),
                ("idx_comments_created_at", &["created_at"]),
            ],
        ),
        (
            "assignments",
            &[
                ("idx_assignments_user_id", &["user_id"]),
                ("idx_assignments_object_id", &["object_id"]),
                ("idx_assignments_status", &["status"]),
                ("idx_assignments_object_type", &["object_type"]),
                ("idx_assignments_assigned_at", &["assigned_at"]),
            ],
        ),
        (
            "object_history",
            &[
                ("idx_object_history_user_id", &["user_id"]),
                ("idx_object_history_object_id", &["object_id"]),
                ("idx_object_history_change_type", &["change_type"]),
                ("idx_object_history_object_type", &["object_type"]),
                ("idx_object_history_changed_at", &["changed_at"]),
                (
                    "idx_object_history_user_changed",
                    &["user_id", "changed_at"],
                ),
                (
                    "idx_object_history_object_changed",
                    &["object_id", "changed_at"],
                ),
            ],
        ),
        (
            "categories",
            &[
                ("idx_categories_building_id", &["building_id"]),
                ("idx_categories_name", &["name"]),
            ],
        ),
        (
            "user_category_permissions",
            &[
                ("idx_user_category_permissions_user_id", &["user_id"]),
                (
                    "idx_user_category_permissions_category_id",
                    &["category_id"],
                ),
                ("idx_user_category_permissions_project_id", &["project_id"]),
                ("idx_user_category_permissions_can_edit", &["can_edit"]),
            ],
        ),
        (
            "audit_logs",
            &[
                ("idx_audit_logs_user_id", &["user_id"]),
                ("idx_audit_logs_object_id", &["object_id"]),
                ("idx_audit_logs_action", &["action"]),
                ("idx_audit_logs_object_type", &["object_type"]),
                ("idx_audit_logs_created_at", &["created_at"]),
                ("idx_audit_logs_user_action", &["user_id", "action"]),
                ("idx_audit_logs_user_created", &["user_id", "created_at"]),
            ],
        ),
        (
            "chat_messages",
            &[
                ("idx_chat_messages_building_id", &["building_id"]),
                ("idx_chat_messages_user_id", &["user_id"]),
                ("idx_chat_messages_audit_log_id", &["audit_log_id"]),
                ("idx_chat_messages_created_at", &["created_at"]),
            ],
        ),
        (
            "catalog_items",
            &[
                ("idx_catalog_items_category_id", &["category_id"]),
                ("idx_catalog_items_created_by", &["created_by"]),
                ("idx_catalog_items_make", &["make"]),
                ("idx_catalog_items_model", &["model"]),
                ("idx_catalog_items_type", &["type"]),
                ("idx_catalog_items_approved", &["approved"]),
                ("idx_catalog_items_created_at", &["created_at"]),
                (
                    "idx_catalog_items_make_model_type",
                    &["make", "model", "type"],
                ),
            ],
        ),
    ];

    /// The `CREATE TABLE` of `name` for `backend`.
    fn table(backend: Backend, name: &str) -> Result<TableCreateStatement> {
        use OnDelete::{Cascade, NoAction};
        let mut t = create_table(backend, name);
        t.col(serial_pk());
        match name {
            "drawings" => t
                .col(varchar_not_null("name", 255))
                .col(integer("project_id"))
                .col(text_not_null(backend, "svg"))
                .col(timestamp_now(backend, "created_at"))
                .col(timestamp_now(backend, "updated_at"))
                .foreign_key(&mut fk(name, "project_id", "projects", Cascade)),
            "comments" => t
                .col(varchar_not_null("object_type", 50))
                .col(varchar_not_null("object_id", 64))
                .col(integer("user_id"))
                .col(text_not_null(backend, "content"))
                .col(timestamp_now(backend, "created_at"))
                .col(timestamp_now(backend, "updated_at"))
                .foreign_key(&mut fk(name, "user_id", "users", NoAction)),
            "assignments" => t
                .col(varchar_not_null("object_type", 50))
                .col(varchar_not_null("object_id", 64))
                .col(integer("user_id"))
                .col(varchar("status", 50))
                .col(timestamp_now(backend, "assigned_at"))
                .col(timestamp(backend, "released_at"))
                .foreign_key(&mut fk(name, "user_id", "users", NoAction)),
            "object_history" => t
                .col(varchar_not_null("object_type", 50))
                .col(varchar_not_null("object_id", 64))
                .col(integer("user_id"))
                .col(varchar_not_null("change_type", 50))
                .col(jsonb(backend, "change_data"))
                .col(timestamp_now(backend, "changed_at"))
                .foreign_key(&mut fk(name, "user_id", "users", NoAction)),
            "categories" => t
                .col(varchar_not_null("name", 100).unique_key())
                .col(integer("building_id"))
                .col(timestamp_now(backend, "created_at"))
                .col(timestamp_now(backend, "updated_at"))
                .foreign_key(&mut fk(name, "building_id", "buildings", NoAction)),
            "user_category_permissions" => t
                .col(integer("user_id"))
                .col(integer("category_id"))
                .col(integer("project_id"))
                .col(bool_false(backend, "can_edit"))
                .col(timestamp_now(backend, "created_at"))
                .col(timestamp_now(backend, "updated_at"))
                .index(
                    Index::create()
                        .unique()
                        .col("user_id")
                        .col("category_id")
                        .col("project_id"),
                )
                .foreign_key(&mut fk(name, "user_id", "users", Cascade))
                .foreign_key(&mut fk(name, "category_id", "categories", Cascade))
                .foreign_key(&mut fk(name, "project_id", "projects", Cascade)),
            "audit_logs" => t
                .col(integer("user_id"))
                .col(text(backend, "object_type"))
                .col(text(backend, "object_id"))
                .col(text(backend, "action"))
                .col(jsonb(backend, "payload"))
                .col(timestamp_now(backend, "created_at"))
                .foreign_key(&mut fk(name, "user_id", "users", NoAction)),
            "chat_messages" => t
                .col(integer("building_id"))
                .col(integer("user_id"))
                .col(text_not_null(backend, "message"))
                .col(integer("audit_log_id"))
                .col(timestamp_now(backend, "created_at"))
                .foreign_key(&mut fk(name, "building_id", "buildings", Cascade))
                .foreign_key(&mut fk(name, "user_id", "users", Cascade))
                .foreign_key(&mut fk(name, "audit_log_id", "audit_logs", NoAction)),
            "catalog_items" => t
                .col(text_not_null(backend, "make"))
                .col(text_not_null(backend, "model"))
                .col(text(backend, "serial_number"))
                .col(integer("category_id"))
                .col(text(backend, "type"))
                .col(jsonb(backend, "specs"))
                .col(text(backend, "datasheet_url"))
                .col(bool_false(backend, "approved"))
                .col(integer("created_by"))
                .col(timestamp_now(backend, "created_at"))
                .col(timestamp_now(backend, "updated_at"))
                .foreign_key(&mut fk(name, "category_id", "categories", NoAction))
                .foreign_key(&mut fk(name, "created_by", "users", NoAction)),
            other => {
                return Err(Error::custom(format!(
                    "revision 006 has no table named {other}"
                )))
            }
        };
        Ok(t)
    }

    /// Creates the nine tables and their 44 indexes.
    pub fn upgrade(op: &mut Ops) -> Result<()> {
        for (name, indexes) in TABLES {
            op.exec(table(op.backend(), name)?)?;
            // Only audit_logs and catalog_items index `text` columns; the
            // other tables' columns of those names are varchar.
            let long_text = match *name {
                "audit_logs" | "catalog_items" => INDEXED_TEXT,
                _ => &[],
            };
            create_text_indexes(op, name, indexes, long_text)?;
        }
        Ok(())
    }

    /// Drops what `upgrade` created, in the reverse order (on MariaDB the
    /// tables only, newest first: their indexes go with them).
    pub fn downgrade(op: &mut Ops) -> Result<()> {
        for (name, indexes) in TABLES.iter().rev() {
            drop_indexes(op, indexes)?;
            op.exec(Table::drop().table(name.to_string()))?;
        }
        Ok(())
    }
}
