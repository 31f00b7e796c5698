"""Create rooms schema with spatial geometry"""
from arxos_columns import create_bim_table, drop_bim_table

revision = "003"
down_revision = "002"
branch_labels = None
depends_on = None


def upgrade():
    create_bim_table(
        "rooms",
        own_columns=[("name", 255)],
        geometry="Polygon",
        has_room_id=False,
        extra_indexes=[
            ("name", ["name"], []),
            ("building_category", ["building_id", "category"], []),
            ("covering", ["building_id", "floor_id"], ["name", "status", "category"]),
        ],
    )


def downgrade():
    drop_bim_table("rooms")
