"""Add collaboration and management tables"""
import sqlalchemy as sa
from alembic import op

from arxos_columns import (
    bool_false, create_indexes, drop_indexes, fk, jsonb, serial_pk, timestamp,
    timestamp_now,
)

revision = "006"
down_revision = "005"
branch_labels = None
depends_on = None


def tables():
    """(name, columns, indexes) in creation order."""
    return [
        ("drawings", [
            sa.Column("name", sa.String(255), nullable=False),
            fk("project_id", "projects", ondelete="CASCADE"),
            sa.Column("svg", sa.Text(), nullable=False),
            timestamp_now("created_at"),
            timestamp_now("updated_at"),
        ], [
            ("idx_drawings_project_id", ["project_id"]),
            ("idx_drawings_name", ["name"]),
            ("idx_drawings_created_at", ["created_at"]),
        ]),
        ("comments", [
            sa.Column("object_type", sa.String(50), nullable=False),
            sa.Column("object_id", sa.String(64), nullable=False),
            fk("user_id", "users"),
            sa.Column("content", sa.Text(), nullable=False),
            timestamp_now("created_at"),
            timestamp_now("updated_at"),
        ], [
            ("idx_comments_user_id", ["user_id"]),
            ("idx_comments_object_id", ["object_id"]),
            ("idx_comments_object_type", ["object_type"]),
            ("idx_comments_created_at", ["created_at"]),
        ]),
        ("assignments", [
            sa.Column("object_type", sa.String(50), nullable=False),
            sa.Column("object_id", sa.String(64), nullable=False),
            fk("user_id", "users"),
            sa.Column("status", sa.String(50)),
            timestamp_now("assigned_at"),
            timestamp("released_at"),
        ], [
            ("idx_assignments_user_id", ["user_id"]),
            ("idx_assignments_object_id", ["object_id"]),
            ("idx_assignments_status", ["status"]),
            ("idx_assignments_object_type", ["object_type"]),
            ("idx_assignments_assigned_at", ["assigned_at"]),
        ]),
        ("object_history", [
            sa.Column("object_type", sa.String(50), nullable=False),
            sa.Column("object_id", sa.String(64), nullable=False),
            fk("user_id", "users"),
            sa.Column("change_type", sa.String(50), nullable=False),
            *jsonb("change_data"),
            timestamp_now("changed_at"),
        ], [
            ("idx_object_history_user_id", ["user_id"]),
            ("idx_object_history_object_id", ["object_id"]),
            ("idx_object_history_change_type", ["change_type"]),
            ("idx_object_history_object_type", ["object_type"]),
            ("idx_object_history_changed_at", ["changed_at"]),
            ("idx_object_history_user_changed", ["user_id", "changed_at"]),
            ("idx_object_history_object_changed", ["object_id", "changed_at"]),
        ]),
        ("categories", [
            sa.Column("name", sa.String(100), nullable=False, unique=True),
            fk("building_id", "buildings"),
            timestamp_now("created_at"),
            timestamp_now("updated_at"),
        ], [
            ("idx_categories_building_id", ["building_id"]),
            ("idx_categories_name", ["name"]),
        ]),
        ("user_category_permissions", [
            fk("user_id", "users", ondelete="CASCADE"),
            fk("category_id", "categories", ondelete="CASCADE"),
            fk("project_id", "projects", ondelete="CASCADE"),
            bool_false("can_edit"),
            timestamp_now("created_at"),
            timestamp_now("updated_at"),
            sa.UniqueConstraint("user_id", "category_id", "project_id"),
        ], [
            ("idx_user_category_permissions_user_id", ["user_id"]),
            ("idx_user_category_permissions_category_id", ["category_id"]),
            ("idx_user_category_permissions_project_id", ["project_id"]),
            ("idx_user_category_permissions_can_edit", ["can_edit"]),
        ]),
        ("audit_logs", [
            fk("user_id", "users"),
            sa.Column("object_type", sa.Text()),
            sa.Column("object_id", sa.Text()),
            sa.Column("action", sa.Text()),
            *jsonb("payload"),
            timestamp_now("created_at"),
        ], [
            ("idx_audit_logs_user_id", ["user_id"]),
            ("idx_audit_logs_object_id", ["object_id"]),
            ("idx_audit_logs_action", ["action"]),
            ("idx_audit_logs_object_type", ["object_type"]),
            ("idx_audit_logs_created_at", ["created_at"]),
            ("idx_audit_logs_user_action", ["user_id", "action"]),
            ("idx_audit_logs_user_created", ["user_id", "created_at"]),
        ]),
        ("chat_messages", [
            fk("building_id", "buildings", ondelete="CASCADE"),
            fk("user_id", "users", ondelete="CASCADE"),
            sa.Column("message", sa.Text(), nullable=False),
            fk("audit_log_id", "audit_logs"),
            timestamp_now("created_at"),
        ], [
            ("idx_chat_messages_building_id", ["building_id"]),
            ("idx_chat_messages_user_id", ["user_id"]),
            ("idx_chat_messages_audit_log_id", ["audit_log_id"]),
            ("idx_chat_messages_created_at", ["created_at"]),
        ]),
        ("catalog_items", [
            sa.Column("make", sa.Text(), nullable=False),
            sa.Column("model", sa.Text(), nullable=False),
            sa.Column("serial_number", sa.Text()),
            fk("category_id", "categories"),
            sa.Column("type", sa.Text()),
            *jsonb("specs"),
            sa.Column("datasheet_url", sa.Text()),
            bool_false("approved"),
            fk("created_by", "users"),
            timestamp_now("created_at"),
            timestamp_now("updated_at"),
        ], [
            ("idx_catalog_items_category_id", ["category_id"]),
            ("idx_catalog_items_created_by", ["created_by"]),
            ("idx_catalog_items_make", ["make"]),
            ("idx_catalog_items_model", ["model"]),
            ("idx_catalog_items_type", ["type"]),
            ("idx_catalog_items_approved", ["approved"]),
            ("idx_catalog_items_created_at", ["created_at"]),
            ("idx_catalog_items_make_model_type", ["make", "model", "type"]),
        ]),
    ]


def upgrade():
    for name, columns, indexes in tables():
        op.create_table(name, serial_pk(), *columns, sqlite_autoincrement=True)
        create_indexes(name, indexes)


def downgrade():
    for name, _, indexes in reversed(tables()):
        drop_indexes(name, indexes)
        op.drop_table(name)
