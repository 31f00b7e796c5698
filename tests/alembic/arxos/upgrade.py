"""Runs `alembic upgrade TARGET` on the Arxos revisions of this folder:

    python3 tests/alembic/arxos/upgrade.py SQLALCHEMY_URL [TARGET]

(TARGET defaults to head), the way `alembic upgrade head` would with an
alembic.ini naming this folder and the URL."""

import os
import sys

from alembic import command
from alembic.config import Config


def main():
    url = sys.argv[1]
    target = sys.argv[2] if len(sys.argv) > 2 else "head"
    config = Config()
    config.set_main_option("script_location", os.path.dirname(os.path.abspath(__file__)))
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, target)


if __name__ == "__main__":
    main()
