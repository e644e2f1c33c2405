"""LogThrottle: one line per key per interval, with the count it stands for."""

from __future__ import annotations

from mdp.enforcement.throttle import LogThrottle


def test_one_line_per_interval_per_key() -> None:
    throttle = LogThrottle(1.0)
    assert throttle.allow("a", 10.0, 3) == 0
    assert throttle.allow("a", 10.5, 4) is None
    assert throttle.allow("b", 10.5) == 0  # keys are independent
    assert throttle.allow("a", 10.9, 1) is None
    assert throttle.allow("a", 11.0, 2) == 5
    assert throttle.allow("a", 11.5) is None


def test_keys_are_bounded() -> None:
    throttle = LogThrottle(1.0, max_keys=3)
    for key in range(10):
        assert throttle.allow(key, 0.0) == 0
    assert len(throttle._state) <= 3
