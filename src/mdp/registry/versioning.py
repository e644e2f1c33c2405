"""Semantic versions the registry assigns (pure).

First version: 1.0.0 (classification ``initial``). After that the compatibility label decides the bump:
``breaking`` -> major, ``safe`` -> minor, ``docs-only`` -> patch. A client may ask for a specific version;
it must be greater than the latest and at least the required bump.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mdp.registry.errors import InvalidVersion

_PART = r"(0|[1-9][0-9]{0,8})"  # no leading zeros (so 1.0.0 and 01.0.0 cannot both exist); < 10**9
SEMVER_RE = re.compile(rf"^{_PART}\.{_PART}\.{_PART}$")
LATEST = "latest"


@dataclass(frozen=True, order=True, slots=True)
class SemVer:
    """``major.minor.patch``; ordering is numeric."""

    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> SemVer:
        """Parse ``x.y.z`` (raises :class:`InvalidVersion`)."""
        match = SEMVER_RE.fullmatch(text)
        if match is None:
            raise InvalidVersion(f"invalid version {text[:40]!r}: expected major.minor.patch such as 1.2.0")
        return cls(int(match[1]), int(match[2]), int(match[3]))

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


FIRST = SemVer(1, 0, 0)


def required_version(previous: SemVer | None, label: str) -> SemVer:
    """The smallest version a change of ``label`` may take after ``previous`` (1.0.0 for the first)."""
    if previous is None:
        return FIRST
    if label == "breaking":
        return SemVer(previous.major + 1, 0, 0)
    if label == "safe":
        return SemVer(previous.major, previous.minor + 1, 0)
    if label == "docs-only":
        return SemVer(previous.major, previous.minor, previous.patch + 1)
    raise ValueError(f"unknown compatibility label {label!r}")


def choose_version(previous: SemVer | None, label: str, requested: str | None) -> SemVer:
    """The version to publish: the required bump, or ``requested`` if it is big enough.

    The first version of a subject is 1.0.0 unless the client asks for another (e.g. 0.1.0 for a draft).
    """
    if previous is None:
        return FIRST if requested is None else SemVer.parse(requested)
    required = required_version(previous, label)
    if requested is None:
        return required
    wanted = SemVer.parse(requested)
    if wanted <= previous:
        raise InvalidVersion(f"version {wanted} must be greater than the latest version {previous}")
    if wanted < required:
        raise InvalidVersion(f"a {label} change needs at least version {required}; {wanted} is too small")
    return wanted


__all__ = ["FIRST", "LATEST", "SEMVER_RE", "SemVer", "choose_version", "required_version"]
