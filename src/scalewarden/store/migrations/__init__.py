"""Alembic environment and revisions of the scalewarden schema (run through ``Store.migrate``)."""
