"""Benchmarks that print tables: `python -m bench [name ...]` (see bench/README.md).

Speed and memory are measured here, never asserted in tests: the machines are shared and noisy,
so every number is a median or percentile over repeated runs, printed with the run count.
"""
