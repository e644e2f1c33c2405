"""Durations as people write them (``90s``, ``30m``, ``72h``, ``1h30m``, ``3d``) and read them (pure).

Readiness windows arrive in query strings and CLI flags, so parsing is strict: whole numbers with a unit,
largest unit first, each unit at most once, nothing else. ``parse_duration`` raises ``ValueError`` with a
message that can go straight into an HTTP 400 or a CLI error.
"""

from __future__ import annotations

import re
from typing import Final

UNITS: Final = {"w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1}
_ORDER: Final = "wdhms"
_PART = re.compile(r"([0-9]{1,9})([wdhms])")
MAX_TEXT: Final = 64


def parse_duration(text: str) -> float:
    """Seconds in ``text`` (``"72h"`` -> 259200.0). Zero, negative, empty or malformed is a ValueError."""
    if not isinstance(text, str) or not text or len(text) > MAX_TEXT:
        raise ValueError(f"{str(text)[:MAX_TEXT]!r} is not a duration like 30m, 1h or 72h")
    position, total, last_unit = 0, 0, -1
    for match in _PART.finditer(text):
        unit_rank = _ORDER.index(match.group(2))
        if match.start() != position or unit_rank <= last_unit:
            break
        total += int(match.group(1)) * UNITS[match.group(2)]
        position, last_unit = match.end(), unit_rank
    if position != len(text):
        raise ValueError(f"{text!r} is not a duration like 30m, 1h or 72h")
    if total <= 0:
        raise ValueError(f"{text!r}: a duration must be longer than zero")
    return float(total)


def format_duration(seconds: float) -> str:
    """Short, humane: ``45s``, ``12m 5s``, ``3h 12m``, ``2d 4h`` (two units at most; negatives read as 0s)."""
    remaining = int(max(0.0, seconds))
    if remaining < 60:
        return f"{remaining}s"
    parts: list[str] = []
    for unit in "dhms":
        size = UNITS[unit]
        if remaining >= size or parts:
            value, remaining = divmod(remaining, size)
            parts.append(f"{value}{unit}")
        if len(parts) == 2:
            break
    return " ".join(part for part in parts if not part.startswith("0")) or "0s"


__all__ = ["format_duration", "parse_duration"]
