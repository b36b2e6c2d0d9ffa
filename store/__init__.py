"""Persistence: SQLAlchemy 2, a SQLite file by default, PostgreSQL by URL."""

from store.db import Store, open_store
from store.schema import metadata

__all__ = ["Store", "metadata", "open_store"]
