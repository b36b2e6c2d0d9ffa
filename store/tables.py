"""Imports every table module so `metadata.create_all` creates them all."""

from store import insight_tables, ops_tables, schema

all_tables = [schema, ops_tables, insight_tables]
