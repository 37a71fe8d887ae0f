"""The database layer: SQLAlchemy models, engine set-up, Alembic migrations, the ``Store``.

Callers use :class:`Store` only; everything else here is how it does its job.
"""

from scalewarden.store.repository import Store, StoreError
from scalewarden.store.validate import SEVERITIES, STATUSES

__all__ = ["SEVERITIES", "STATUSES", "Store", "StoreError"]
