"""Exit 0 when the PostgreSQL server of the given URL answers, 1 otherwise."""

import sys

import dj_database_url
import psycopg

url = sys.argv[1]
config = dj_database_url.parse(url)
try:
    psycopg.connect(
        host=config["HOST"] or "127.0.0.1", port=config["PORT"] or 5432, user=config["USER"] or "postgres",
        password=config["PASSWORD"] or None, dbname=config["NAME"] or "postgres", connect_timeout=3,
    ).close()
except psycopg.Error:
    sys.exit(1)
