"""The Alembic environment of the small MariaDB chain in versions/ (items,
tags, an index), which tests/alembic_mariadb.rs runs through real Alembic
(PyMySQL) and arx-migrate in turns. The URL comes from sqlalchemy.url."""

from alembic import context
from sqlalchemy import create_engine

engine = create_engine(context.config.get_main_option("sqlalchemy.url"))
with engine.connect() as connection:
    context.configure(connection=connection, version_table="alembic_version")
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
