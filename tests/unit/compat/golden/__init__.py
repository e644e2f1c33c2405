"""The golden table: hand-written (old, new, expected changes, expected verdicts) cases, kept as data.

Each module defines ``CASES``; :mod:`tests.unit.compat.test_golden` runs every case in each draft it lists.
"""
