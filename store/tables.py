"""Imports every table module so `metadata.create_all` creates them all."""

from store import ops_tables, schema

all_tables = [schema, ops_tables]
