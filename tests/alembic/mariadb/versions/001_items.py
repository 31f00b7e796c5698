"""create items

Revision ID: 001
Revises:
"""

from alembic import op

revision = "001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.execute("CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(100) NOT NULL)")


def downgrade():
    op.execute("DROP TABLE items")
