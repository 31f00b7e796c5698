"""The Alembic environment of the Arxos revisions in versions/, written as a
team moving from Alembic would have them (tests/alembic_arxos.rs builds the
schema with them and checks it with arx-migrate). The URL comes from the
config's sqlalchemy.url; arxos_columns.py next to this file is importable
from the revisions."""

import os
import sys

from alembic import context
from sqlalchemy import create_engine

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

engine = create_engine(context.config.get_main_option("sqlalchemy.url"))
with engine.connect() as connection:
    context.configure(connection=connection, version_table="alembic_version")
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
