"""Add BIM objects (walls, doors, windows)"""
from arxos_columns import create_bim_table, drop_bim_table

revision = "004"
down_revision = "003"
branch_labels = None
depends_on = None

MATERIAL_INDEXES = [
    ("material", ["material"], []),
    ("building_material", ["building_id", "material"], []),
]
TABLES = [("walls", "LineString"), ("doors", "Point"), ("windows", "LineString")]


def upgrade():
    for name, geometry in TABLES:
        create_bim_table(
            name,
            own_columns=[("material", 100)],
            geometry=geometry,
            has_room_id=True,
            extra_indexes=MATERIAL_INDEXES,
        )


def downgrade():
    for name, _ in reversed(TABLES):
        drop_bim_table(name)
