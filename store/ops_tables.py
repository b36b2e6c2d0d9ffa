"""Tables for operations: run locks (one run per brand and flow at a time)."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, String, Table

from store.schema import metadata

locks = Table(
    "locks",
    metadata,
    Column("name", String(300), primary_key=True),  # "<flow>:<brand>"
    Column("holder", String(100), nullable=False),  # host:pid:uuid of the run holding it
    Column("acquired_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)
