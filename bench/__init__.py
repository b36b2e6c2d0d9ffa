"""Benchmarks: `python -m bench.run [--quick]` prints one table (see bench/README.md)."""
