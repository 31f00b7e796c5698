"""create tags

Revision ID: 002
Revises: 001
"""

from alembic import op

revision = "002"
down_revision = "001"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("CREATE TABLE tags (id INT PRIMARY KEY, tag VARCHAR(40))")


def downgrade():
    op.execute("DROP TABLE tags")
