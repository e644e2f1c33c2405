"""Which subjects of a track changed content between the cache and a new index (pure: no I/O).

A subject's identity is its canonical sha256, so comparing ``name -> sha256`` maps is all it takes to know
which validators must be swapped; version, state and timestamps are metadata and never trigger a swap.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

ChangeKind = Literal["added", "replaced", "removed"]


@dataclass(frozen=True, slots=True)
class SchemaChange:
    """The content of ``track``/``name`` went from ``old_sha256`` to ``new_sha256`` (``None``: absent)."""

    track: str
    name: str
    old_sha256: str | None
    new_sha256: str | None

    @property
    def kind(self) -> ChangeKind:
        if self.old_sha256 is None:
            return "added"
        if self.new_sha256 is None:
            return "removed"
        return "replaced"


def content_changes(
    track: str, current: Mapping[str, str], incoming: Mapping[str, str]
) -> list[SchemaChange]:
    """Subjects added, replaced (different sha256) or removed, sorted by name."""
    changes = [
        SchemaChange(track, name, current.get(name), sha)
        for name, sha in incoming.items()
        if current.get(name) != sha
    ]
    changes.extend(
        SchemaChange(track, name, sha, None) for name, sha in current.items() if name not in incoming
    )
    changes.sort(key=lambda change: change.name)
    return changes


def missing_contents(wanted: Iterable[str], known: Collection[str]) -> list[str]:
    """The sha256 values of ``wanted`` whose content is not ``known``, deduplicated, first-seen order."""
    missing: dict[str, None] = {}
    for sha in wanted:
        if sha not in known:
            missing.setdefault(sha)
    return list(missing)


__all__ = ["ChangeKind", "SchemaChange", "content_changes", "missing_contents"]
