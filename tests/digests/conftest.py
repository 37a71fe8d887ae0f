"""Digest tests run on SQLite and on PostgreSQL, like the store's."""

from database_fixtures import *  # noqa: F403  (database_url, store … on both backends)
