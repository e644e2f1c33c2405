"""Semver assignment from the compatibility label."""

from __future__ import annotations

import pytest

from mdp.registry.errors import InvalidVersion
from mdp.registry.versioning import SemVer, choose_version, required_version


def v(text: str) -> SemVer:
    return SemVer.parse(text)


@pytest.mark.parametrize(
    ("label", "expected"), [("breaking", "3.0.0"), ("safe", "2.5.0"), ("docs-only", "2.4.8")]
)
def test_required_bump(label: str, expected: str) -> None:
    assert str(required_version(v("2.4.7"), label)) == expected


def test_first_version_is_1_0_0_unless_asked() -> None:
    assert str(choose_version(None, "initial", None)) == "1.0.0"
    assert str(choose_version(None, "initial", "0.1.0")) == "0.1.0"


@pytest.mark.parametrize(
    ("label", "requested", "ok"),
    [
        ("breaking", "2.0.0", True),
        ("breaking", "5.0.0", True),
        ("breaking", "1.9.0", False),
        ("safe", "1.3.0", True),
        ("safe", "2.0.0", True),
        ("safe", "1.2.9", False),
        ("docs-only", "1.2.4", True),
        ("docs-only", "1.2.3", False),
        ("docs-only", "1.0.0", False),
    ],
)
def test_requested_versions_must_cover_the_bump(label: str, requested: str, ok: bool) -> None:
    if ok:
        assert str(choose_version(v("1.2.3"), label, requested)) == requested
    else:
        with pytest.raises(InvalidVersion):
            choose_version(v("1.2.3"), label, requested)


@pytest.mark.parametrize(
    "text", ["1", "1.0", "v1.0.0", "01.0.0", "1.0.0-rc1", "1.0.0.0", "", "1.x.0", "1" * 12 + ".0.0"]
)
def test_malformed_versions(text: str) -> None:
    with pytest.raises(InvalidVersion):
        SemVer.parse(text)


def test_ordering_is_numeric() -> None:
    assert v("1.10.0") > v("1.9.9")
    assert v("10.0.0") > v("9.99.99")
