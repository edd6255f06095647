"""Persistence: SQLAlchemy tables, Alembic migrations, protection of personal data at rest."""

from matching.store.database import Store
from matching.store.opening import open_store

__all__ = ["Store", "open_store"]
