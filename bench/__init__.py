"""Benchmarks: bench/README.md."""
