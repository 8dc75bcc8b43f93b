"""Django set-up for benchmark scripts (run from the project root with the virtualenv's python)."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def setup(database_url: str) -> None:
    if not database_url.startswith("postgres"):
        sys.exit("benchmarks run on PostgreSQL: pass --database-url postgres://…")
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mendian.config.settings.base")
    os.environ.setdefault("TASK_BACKEND", "immediate")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def recreate_database(url: str) -> None:
    """Drop and create the database named at the end of ``url`` (benchmarks start from nothing)."""
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
