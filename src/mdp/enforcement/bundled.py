"""A :class:`~mdp.enforcement.base.SchemaProvider` over the contracts bundled with the package.

Useful where no registry runs (tests, CI, an air-gapped check) and as the reference point in drills: the
bundled schema is what the code was written against.
"""

from __future__ import annotations

from functools import cache

from mdp.contracts.bundled import bundled_schema
from mdp.contracts.catalog import CONTRACTS
from mdp.contracts.hashing import compute_sha256
from mdp.enforcement.validators import SchemaContent


@cache
def _bundled(track: str, name: str) -> tuple[str, SchemaContent]:
    content = bundled_schema(track, name)
    return compute_sha256(content), content


class BundledSchemaProvider:
    """Serves ``mdp.contracts.bundled`` schemas; unknown subjects are ``None``."""

    def lookup(self, track: str, name: str) -> tuple[str, SchemaContent] | None:
        if name not in CONTRACTS.get(track, {}):
            return None
        return _bundled(track, name)


__all__ = ["BundledSchemaProvider"]
