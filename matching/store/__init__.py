"""Persistence: SQLAlchemy tables, Alembic migrations, protection of personal data at rest."""

from matching.store.database import Store

__all__ = ["Store"]
