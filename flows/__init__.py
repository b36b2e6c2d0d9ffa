"""Prefect flows: thin wrappers that call into miners, models, reports and the store."""
