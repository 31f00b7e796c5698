"""Initial users and projects"""
import sqlalchemy as sa
from alembic import op

from arxos_columns import (
    create_indexes, drop_indexes, fk, is_sqlite, serial_pk, timestamp_now,
)

revision = "001"
down_revision = None
branch_labels = None
depends_on = None

PROJECT_INDEXES = [
    ("idx_projects_user_id", ["user_id"]),
    ("idx_projects_created_at", ["created_at"]),
]


def upgrade():
    if not is_sqlite():
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "users",
        serial_pk(),
        sa.Column("email", sa.String(255), nullable=False, unique=True),
        sa.Column("username", sa.String(100), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(50), nullable=False, server_default="user"),
        timestamp_now("created_at"),
        timestamp_now("updated_at"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "projects",
        serial_pk(),
        sa.Column("name", sa.String(255), nullable=False),
        fk("user_id", "users", ondelete="CASCADE"),
        timestamp_now("created_at"),
        timestamp_now("updated_at"),
        sqlite_autoincrement=True,
    )
    create_indexes("projects", PROJECT_INDEXES)


def downgrade():
    drop_indexes("projects", PROJECT_INDEXES)
    op.drop_table("projects")
    op.drop_table("users")
