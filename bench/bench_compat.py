"""Benchmark: ``mdp.compat.diff`` / ``check`` on two 1,000-property schemas (target: diff <= 50 ms).

Baselines measured in the same run on the same two schemas:

* a plain recursive JSON walk that lists the pointers where the documents differ (what "diff the files by
  eye" automates: no semantics at all);
* RFC 8785 canonicalisation + SHA-256 of both documents (``mdp.contracts.compute_sha256``), which every
  publish already pays.

Run: ``uv run python bench/bench_compat.py`` (``--properties N`` and ``--repeat R`` to vary).
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time
from collections.abc import Callable
from typing import Any

from mdp.compat import check, diff
from mdp.contracts import compute_sha256


def build(properties: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """A pydantic-style closed object with ``properties`` fields, and an evolved copy (~10% changed)."""
    shapes: list[dict[str, Any]] = [
        {"type": "string", "maxLength": 64, "description": "A label."},
        {"type": "number", "exclusiveMinimum": 0, "description": "A price."},
        {"type": "integer", "minimum": 0},
        {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}], "default": None},
        {"type": "array", "items": {"type": "string"}, "maxItems": 10},
        {"$ref": "#/$defs/Side"},
        {
            "type": "object",
            "properties": {"x": {"type": "number"}, "y": {"type": "number"}},
            "required": ["x"],
        },
    ]
    old: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": {"Side": {"enum": ["buy", "sell"], "type": "string"}},
        "type": "object",
        "additionalProperties": False,
        "properties": {
            f"field_{i:04d}": {**shapes[i % len(shapes)], "title": f"Field {i}"} for i in range(properties)
        },
        "required": [f"field_{i:04d}" for i in range(0, properties, 3)],
    }
    new = copy.deepcopy(old)
    props = new["properties"]
    for i in range(0, properties, 40):
        props[f"field_{i:04d}"]["description"] = "Reworded."
    for i in range(5, properties, 100):
        props[f"field_{i:04d}"] = {"type": "string", "title": "Retyped"}
    for i in range(properties, properties + properties // 50):
        props[f"field_{i:04d}"] = {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}
    for i in range(7, properties, 200):
        del props[f"field_{i:04d}"]
    new["$defs"]["Side"]["enum"].append("short")
    return old, new


def plain_walk(old: Any, new: Any, path: str = "#") -> list[str]:
    """Pointers where two JSON documents differ: equality only, no schema semantics (the baseline)."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for key in old.keys() | new.keys():
            if key not in old or key not in new:
                out.append(f"{path}/{key}")
            else:
                out.extend(plain_walk(old[key], new[key], f"{path}/{key}"))
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [
            p for i, (a, b) in enumerate(zip(old, new, strict=True)) for p in plain_walk(a, b, f"{path}/{i}")
        ]
    return [] if old == new and type(old) is type(new) else [path]


def timed(function: Callable[[], object], repeat: int) -> float:
    """Median wall time in milliseconds over ``repeat`` runs (after one warm-up)."""
    function()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--properties", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    old, new = build(args.properties)
    changes = diff(old, new)
    result = check(old, new, "FULL", "LENIENT")
    walk = plain_walk(old, new)

    # Worst case for the differ: every property differs, so no identical subtree can be skipped.
    every = copy.deepcopy(new)
    for schema in every["properties"].values():
        schema["description"] = "Changed everywhere."
    t_every = timed(lambda: diff(old, every), args.repeat)
    t_diff = timed(lambda: diff(old, new), args.repeat)
    t_full = timed(lambda: check(old, new, "FULL", "STRICT"), args.repeat)
    t_walk = timed(lambda: plain_walk(old, new), args.repeat)
    t_hash = timed(lambda: (compute_sha256(old), compute_sha256(new)), args.repeat)

    print(f"schemas: {len(old['properties'])} -> {len(new['properties'])} properties")
    print(f"changes found: diff {len(changes)}, plain walk {len(walk)} differing pointers")
    print(f"verdict (FULL, LENIENT): compatible={result.compatible} label={result.label}")
    print(f"{'measurement':<44}{'median ms':>10}{'x walk':>9}{'x sha256':>10}")
    for name, value in (
        ("mdp.compat.diff(old, new)", t_diff),
        ("mdp.compat.diff, every property changed", t_every),
        ("mdp.compat.check(old, new, FULL) [2 diffs]", t_full),
        ("baseline: plain recursive equality walk", t_walk),
        ("baseline: RFC 8785 canonical sha256 of both", t_hash),
    ):
        print(f"{name:<44}{value:>10.2f}{value / t_walk:>9.2f}{value / t_hash:>10.2f}")
    target = 50.0
    for name, value in (("diff", t_diff), ("diff, every property changed", t_every)):
        print(f"target {name} <= {target:.0f} ms: {'met' if value <= target else 'MISSED'} ({value:.2f} ms)")


if __name__ == "__main__":
    main()
