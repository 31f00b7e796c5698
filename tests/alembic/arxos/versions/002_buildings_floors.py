"""Add buildings and floors"""
import sqlalchemy as sa
from alembic import op

from arxos_columns import (
    covering_index, create_indexes, drop_indexes, fk, serial_pk, timestamp_now,
)

revision = "002"
down_revision = "001"
branch_labels = None
depends_on = None

BUILDING_INDEXES = [
    ("idx_buildings_project_id", ["project_id"]),
    ("idx_buildings_owner_id", ["owner_id"]),
    ("idx_buildings_created_at", ["created_at"]),
    ("idx_buildings_updated_at", ["updated_at"]),
]
FLOOR_INDEXES = [
    ("idx_floors_building_id", ["building_id"]),
    ("idx_floors_name", ["name"]),
]


def upgrade():
    op.create_table(
        "buildings",
        serial_pk(),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("address", sa.String(255)),
        fk("owner_id", "users", ondelete="SET NULL"),
        fk("project_id", "projects", ondelete="CASCADE"),
        timestamp_now("created_at"),
        timestamp_now("updated_at"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "floors",
        serial_pk(),
        sa.Column("name", sa.String(255), nullable=False),
        fk("building_id", "buildings", ondelete="CASCADE"),
        sa.Column("svg_path", sa.String(255)),
        timestamp_now("created_at"),
        timestamp_now("updated_at"),
        sqlite_autoincrement=True,
    )
    create_indexes("buildings", BUILDING_INDEXES)
    covering_index(
        "idx_buildings_covering", "buildings", ["owner_id"], ["name", "address", "created_at"]
    )
    create_indexes("floors", FLOOR_INDEXES)


def downgrade():
    drop_indexes("floors", FLOOR_INDEXES)
    op.drop_index("idx_buildings_covering", table_name="buildings")
    drop_indexes("buildings", BUILDING_INDEXES)
    op.drop_table("floors")
    op.drop_table("buildings")
