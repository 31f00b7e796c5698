"""Runs one Alembic command on the MariaDB chain of this folder:

    python3 tests/alembic/mariadb/run.py SQLALCHEMY_URL upgrade|downgrade|stamp TARGET
    python3 tests/alembic/mariadb/run.py SQLALCHEMY_URL current

`current` prints the revision ids Alembic reads from alembic_version, one
per line (nothing at base), as `alembic current` would show them."""

import os
import sys

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine


def main():
    url, verb = sys.argv[1], sys.argv[2]
    config = Config()
    config.set_main_option("script_location", os.path.dirname(os.path.abspath(__file__)))
    config.set_main_option("sqlalchemy.url", url)
    if verb == "current":
        engine = create_engine(url)
        with engine.connect() as connection:
            heads = MigrationContext.configure(connection).get_current_heads()
        engine.dispose()
        for head in sorted(heads):
            print(head)
        return
    getattr(command, verb)(config, sys.argv[3])


if __name__ == "__main__":
    main()
