"""Readiness windows as people type them, and durations as people read them."""

from __future__ import annotations

import pytest

from mdp.orchestrator.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("30m", 1800), ("1h", 3600), ("72h", 259_200), ("3d", 259_200), ("1w", 604_800),
     ("1h30m", 5400), ("2d12h", 216_000), ("1h0m5s", 3605)],
)  # fmt: skip
def test_parse(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    "text",
    ["", "h", "72", "72 h", "72H", "-1h", "1.5h", "0h", "0s", "30m1h", "1h1h", "1y", "1h ", " 1h", "1hx",
     "9" * 70 + "s", "1h;drop"],
)  # fmt: skip
def test_parse_refuses_anything_else(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (-5, "0s"), (45.9, "45s"), (60, "1m"), (725, "12m 5s"), (3600, "1h"), (11_520, "3h 12m"),
     (187_200, "2d 4h"), (86_405, "1d"), (259_200, "3d")],
)  # fmt: skip
def test_format(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
