"""index items by name

Revision ID: 003
Revises: 002
"""

from alembic import op

revision = "003"
down_revision = "002"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("CREATE INDEX items_by_name ON items (name)")


def downgrade():
    op.execute("DROP INDEX items_by_name ON items")
