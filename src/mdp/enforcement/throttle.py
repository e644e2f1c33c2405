"""At most one log line per key per interval, remembering how many were suppressed (pure: ``now`` in).

At 100k messages/s a log line per failure would drown the logs and the disk; the enforcer logs one line
per schema per second at most, and that line says how many failures it stands for.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass


@dataclass(slots=True)
class _State:
    last: float
    suppressed: int = 0


class LogThrottle:
    """``allow(key, now, count)`` says whether to log now and how many events were held back before."""

    def __init__(self, interval: float = 1.0, *, max_keys: int = 10_000) -> None:
        self.interval = interval
        self._max_keys = max_keys
        self._state: dict[Hashable, _State] = {}

    def allow(self, key: Hashable, now: float, count: int = 1) -> int | None:
        """``None``: stay quiet (``count`` is remembered); else how many were held back before this line."""
        state = self._state.get(key)
        if state is not None and now - state.last < self.interval:
            state.suppressed += count
            return None
        if state is None and len(self._state) >= self._max_keys:
            self._state.clear()  # unbounded keys would leak; forgetting only costs an early log line
        suppressed = state.suppressed if state is not None else 0
        self._state[key] = _State(now)
        return suppressed


__all__ = ["LogThrottle"]
