"""Column and index helpers shared by the Arxos revisions: the spec's words
(shared/arxos-schema.md) in SQLAlchemy, as a team writing the schema for
Alembic would put them. Plain SQLAlchemy types, so PostgreSQL gets SERIAL
primary keys and SQLite upper-case type names."""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import UserDefinedType


def is_sqlite():
    return op.get_bind().dialect.name == "sqlite"


def serial_pk():
    """`id serial pk`: SERIAL on PostgreSQL; on SQLite INTEGER PRIMARY KEY,
    AUTOINCREMENT through the table's sqlite_autoincrement."""
    return sa.Column("id", sa.Integer, primary_key=True)


def timestamp_now(name):
    return sa.Column(name, sa.TIMESTAMP(), server_default=sa.text("CURRENT_TIMESTAMP"))


def timestamp(name):
    return sa.Column(name, sa.TIMESTAMP())


def bool_false(name):
    return sa.Column(name, sa.Boolean(), server_default=sa.false())


def fk(column, table, ondelete=None, type_=sa.Integer):
    return sa.Column(column, type_, sa.ForeignKey(f"{table}.id", ondelete=ondelete))


def jsonb(name):
    """`jsonb`, and on SQLite text holding JSON, checked."""
    columns = [sa.Column(name, postgresql.JSONB().with_variant(sa.Text(), "sqlite"))]
    if is_sqlite():
        columns.append(sa.CheckConstraint(f"{name} IS NULL OR json_valid({name})"))
    return columns


class Geometry(UserDefinedType):
    """PostGIS geometry(T, 4326), without GeoAlchemy2."""

    cache_ok = True

    def __init__(self, geometry_type):
        self.geometry_type = geometry_type

    def get_col_spec(self, **kw):
        return f"geometry({self.geometry_type}, 4326)"


def geom(geometry_type):
    """`geom(T)`: PostGIS geometry, and on SQLite GeoJSON text, checked."""
    if is_sqlite():
        return [
            sa.Column("geom", sa.Text()),
            sa.CheckConstraint(
                "geom IS NULL OR (json_valid(geom) AND "
                f"json_extract(geom, '$.type') IS '{geometry_type}')"
            ),
        ]
    return [sa.Column("geom", Geometry(geometry_type))]


def covering_index(name, table, key, include):
    """INCLUDE on PostgreSQL; on SQLite a plain index on (key..., include...)."""
    if is_sqlite():
        op.create_index(name, table, key + include)
    else:
        op.create_index(name, table, key, postgresql_include=include)


def create_indexes(table, indexes):
    for name, columns in indexes:
        op.create_index(name, table, columns)


def drop_indexes(table, indexes):
    for name, _ in reversed(indexes):
        op.drop_index(name, table_name=table)


SHARED_BEFORE_ROOM = [
    "assigned_to", "status", "created_by", "locked_by", "building_id",
    "project_id", "floor_id", "layer", "category",
]
SHARED_AFTER_ROOM = [
    ("building_floor", ["building_id", "floor_id"]),
    ("project_status", ["project_id", "status"]),
    ("building_floor_status", ["building_id", "floor_id", "status"]),
    ("assigned_status", ["assigned_to", "status"]),
]
PARTIAL = [
    ("active", "status = 'active'"),
    ("locked", "locked_by IS NOT NULL"),
]


def create_bim_table(name, own_columns, geometry, has_room_id, extra_indexes):
    """A BIM object table (spec: "The BIM object tables"), its indexes, and
    on PostgreSQL its GIST index. On SQLite the spatial index is an R*Tree
    with triggers, which this Alembic build does not make."""
    columns = [sa.Column("id", sa.String(64), primary_key=True)]
    columns += [sa.Column(c, sa.String(n)) for c, n in own_columns]
    columns += [
        sa.Column("layer", sa.String(100)),
        fk("created_by", "users"),
        sa.Column("status", sa.String(50)),
        sa.Column("source_svg", sa.String(255)),
        sa.Column("svg_id", sa.String(255)),
        fk("locked_by", "users"),
        fk("assigned_to", "users"),
    ]
    if has_room_id:
        columns.append(fk("room_id", "rooms", type_=sa.String(64)))
    columns += [fk("building_id", "buildings"), fk("floor_id", "floors")]
    columns += geom(geometry)
    columns += [
        sa.Column("category", sa.String(100), nullable=False, server_default=""),
        fk("project_id", "projects"),
    ]
    op.create_table(name, *columns)
    if not is_sqlite():
        op.create_index(f"idx_{name}_geom", name, ["geom"], postgresql_using="gist")
    for column in SHARED_BEFORE_ROOM + (["room_id"] if has_room_id else []):
        op.create_index(f"idx_{name}_{column}", name, [column])
    for suffix, key in SHARED_AFTER_ROOM:
        op.create_index(f"idx_{name}_{suffix}", name, key)
    for suffix, predicate in PARTIAL:
        op.create_index(
            f"idx_{name}_{suffix}",
            name,
            ["building_id", "floor_id"],
            postgresql_where=sa.text(predicate),
            sqlite_where=sa.text(predicate),
        )
    for suffix, key, include in extra_indexes:
        if include:
            covering_index(f"idx_{name}_{suffix}", name, key, include)
        else:
            op.create_index(f"idx_{name}_{suffix}", name, key)


def drop_bim_table(name):
    op.drop_table(name)
