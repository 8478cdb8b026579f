"""Benchmark operations, one module per feature (imported by bench/runner.py)."""
