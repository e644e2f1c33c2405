"""Benchmark scripts (run with ``uv run python bench/<name>.py``); see docs/benchmarks.md."""
