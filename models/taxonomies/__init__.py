"""Taxonomy files and the builder that makes N-shot taxonomies from labelled data."""
