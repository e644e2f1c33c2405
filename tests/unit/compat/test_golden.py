"""The golden table: every hand-written case, in each draft it lists, must give exactly the expected changes
and verdicts (BACKWARD under STRICT and LENIENT); FORWARD must be the same check on the swapped pair."""

from __future__ import annotations

from collections import Counter

import pytest

from mdp.compat import KINDS, check, diff
from tests.unit.compat.golden import arrays, combined, general, objects
from tests.unit.compat.golden.case import Case, with_dialect

ALL: list[Case] = [*general.CASES, *objects.CASES, *arrays.CASES, *combined.CASES]
PARAMS = [pytest.param(c, draft, id=f"{c.id}[{draft}]") for c in ALL for draft in c.drafts]


def test_case_ids_are_unique_and_there_are_enough() -> None:
    ids = [c.id for c in ALL]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]
    assert len(ALL) >= 150


def test_every_kind_is_exercised_by_some_case() -> None:
    expected = {entry.split()[0] for c in ALL for entry in c.changes}
    assert expected <= KINDS, expected - KINDS
    assert KINDS - expected == set()


@pytest.mark.parametrize(("golden", "draft"), PARAMS)
def test_golden_case(golden: Case, draft: str) -> None:
    old = with_dialect(golden.old, draft)
    new = with_dialect(golden.new, draft)
    changes = diff(old, new)
    assert Counter(f"{c.kind} {c.path}" for c in changes) == Counter(golden.changes), "\n".join(
        f"{c.kind} {c.path}: {c.message}" for c in changes
    )
    assert all(c.message.endswith(".") for c in changes)
    strict = check(old, new, "BACKWARD", "STRICT")
    lenient = check(old, new, "BACKWARD", "LENIENT")
    assert strict.compatible is golden.strict, strict.explain()
    assert lenient.compatible is golden.lenient, lenient.explain()
    # FORWARD on the swapped pair reads the same diff (its messages name the schemas the other way round).
    forward = check(new, old, "FORWARD", "STRICT")
    assert forward.compatible is golden.strict
    assert [(c.kind, c.path) for c in forward.breaking] == [(c.kind, c.path) for c in strict.breaking]
