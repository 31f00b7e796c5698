"""Add devices, labels, and zones"""
from arxos_columns import create_bim_table, drop_bim_table

revision = "005"
down_revision = "004"
branch_labels = None
depends_on = None


def upgrade():
    create_bim_table(
        "devices",
        own_columns=[("type", 100), ("system", 100), ("subtype", 100)],
        geometry="Point",
        has_room_id=True,
        extra_indexes=[
            ("type", ["type"], []),
            ("system", ["system"], []),
            ("subtype", ["subtype"], []),
            ("building_system_type", ["building_id", "system", "type"], []),
            ("covering", ["building_id", "floor_id"], ["type", "system", "status"]),
        ],
    )
    create_bim_table(
        "labels",
        own_columns=[("text", 255)],
        geometry="Point",
        has_room_id=True,
        extra_indexes=[("text", ["text"], [])],
    )
    create_bim_table(
        "zones",
        own_columns=[("name", 255)],
        geometry="Polygon",
        has_room_id=False,
        extra_indexes=[("name", ["name"], [])],
    )


def downgrade():
    for name in ("zones", "labels", "devices"):
        drop_bim_table(name)
