"""The decision table: one test per row, totality, and the rollback levels of seed 002."""

from __future__ import annotations

import itertools

import pytest

from mdp.enforcement.policy import (
    MODES,
    OUTCOMES,
    RULES,
    Decision,
    decide,
    parse_mode,
    rollback_level,
    validation_active,
    would_reject,
)

# Written out independently of RULES: (mode, enabled, outcome) -> (action, severity, reason contains).
EXPECTED = [
    ("warn", True, "valid", "forward", "info", "valid"),
    ("warn", True, "invalid", "forward", "warning", "schema validation failed"),
    ("warn", True, "malformed", "forward", "warning", "malformed"),
    ("warn", True, "schema_unavailable", "forward", "warning", "schema unavailable"),
    ("strict", True, "valid", "forward", "info", "valid"),
    ("strict", True, "invalid", "dead_letter", "error", "schema validation failed"),
    ("strict", True, "malformed", "dead_letter", "error", "malformed"),
    ("strict", True, "schema_unavailable", "dead_letter", "error", "schema unavailable"),
    *[("off", True, outcome, "skip", "info", "REGISTRY_ENFORCEMENT=off") for outcome in OUTCOMES],
    *[
        (mode, False, outcome, "skip", "info", "REGISTRY_ENABLED=false")
        for mode in MODES
        for outcome in OUTCOMES
    ],
]


@pytest.mark.parametrize(("mode", "enabled", "outcome", "action", "severity", "reason"), EXPECTED)
def test_row(mode: str, enabled: bool, outcome: str, action: str, severity: str, reason: str) -> None:
    decision = decide(mode, enabled, outcome)  # type: ignore[arg-type]
    assert (decision.action, decision.severity) == (action, severity)
    assert reason in decision.reason


def test_expectations_cover_every_combination_once() -> None:
    combos = [(mode, enabled, outcome) for mode, enabled, outcome, *_ in EXPECTED]
    assert sorted(combos) == sorted(itertools.product(MODES, (True, False), OUTCOMES))


def test_every_rule_is_the_first_match_for_some_combination() -> None:
    """No row is dead (shadowed by an earlier one); each is exercised by the row tests above."""
    used = set()
    for mode, enabled, outcome in itertools.product(MODES, (True, False), OUTCOMES):
        used.add(next(i for i, rule in enumerate(RULES) if rule.matches(mode, enabled, outcome)))
    assert used == set(range(len(RULES)))


def test_unknown_combination_is_an_error_not_a_guess() -> None:
    with pytest.raises(ValueError, match="no enforcement rule"):
        decide("loud", True, "valid")  # type: ignore[arg-type]


def test_nothing_is_ever_dropped() -> None:
    """Every decision either forwards or dead-letters: there is no drop action in the table."""
    for rule in RULES:
        assert rule.decision.action in {"forward", "dead_letter", "skip"}
    assert Decision("skip", "info", "x").forwards
    assert Decision("forward", "info", "x").forwards
    assert not Decision("dead_letter", "error", "x").forwards


@pytest.mark.parametrize(
    ("mode", "enabled", "active", "level"),
    [
        ("strict", True, True, 0),
        ("warn", True, True, 1),
        ("off", True, False, 2),
        ("strict", False, False, 2),
        ("warn", False, False, 2),
    ],
)
def test_validation_active_and_rollback_level(mode: str, enabled: bool, active: bool, level: int) -> None:
    assert validation_active(mode, enabled) is active  # type: ignore[arg-type]
    assert rollback_level(mode, enabled) == level  # type: ignore[arg-type]


def test_would_reject_is_what_strict_dead_letters() -> None:
    assert [outcome for outcome in OUTCOMES if would_reject(outcome)] == [
        "invalid",
        "malformed",
        "schema_unavailable",
    ]


@pytest.mark.parametrize(("raw", "mode"), [("warn", "warn"), (" STRICT ", "strict"), ("Off", "off")])
def test_parse_mode(raw: str, mode: str) -> None:
    assert parse_mode(raw) == mode


def test_parse_mode_rejects_unknown() -> None:
    with pytest.raises(ValueError, match="expected one of warn, strict, off"):
        parse_mode("enforce")
