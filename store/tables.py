"""Imports every table module so `metadata.create_all` creates them all."""

from store import schema

all_tables = [schema]
