"""Benchmarks: `python -m bench [NAME ...]` (or `make bench`). Each prints ratios measured side by side."""
