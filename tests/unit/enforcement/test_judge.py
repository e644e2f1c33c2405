"""The columnar message path: the C-level fast path agrees with the careful per-item path on any mix."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from mdp.contracts.bundled import bundled_schema
from mdp.enforcement import SchemaRef
from mdp.enforcement.judge import Judge, Limits, VerdictBatch, skipped
from mdp.enforcement.model import Ruling
from mdp.enforcement.policy import OUTCOMES, decide
from mdp.enforcement.validators import compile_schema
from tests.unit.enforcement.conftest import bar_bytes, bar_payload

LABEL = SchemaRef("v1", "md.Bar")
LIMITS = Limits(max_bytes=4096, max_depth=None, max_errors=10, max_message_length=300)
STRICT = {outcome: decide("strict", True, outcome) for outcome in OUTCOMES}

POOL: list[Any] = [
    bar_bytes(),
    bar_bytes(symbol="MSFT", timeframe="1d"),
    bar_bytes(open=-1.0),
    bar_bytes(venue="XNAS"),
    bar_bytes(ts="not a time"),
    b'{"symbol": ',
    b"",
    b'{"symbol": "\xff"}',
    b"[1, 2, 3]",
    b"null",
    b"[" * 1100 + b"]" * 1100,
    bar_bytes().decode(),
    bytearray(bar_bytes(low=-2.0)),
    memoryview(bar_bytes()),
    bar_payload(),
    bar_payload(close="high"),
    {1: "int key"},
]


def shape(batch: VerdictBatch | list[tuple[Any, Ruling]]) -> list[tuple[Any, ...]]:
    pairs = zip(batch.payloads, batch.rulings, strict=True) if isinstance(batch, VerdictBatch) else batch
    return [(payload, ruling.outcome, ruling.action, ruling.errors) for payload, ruling in pairs]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(range(len(POOL))), max_size=40))
def test_fast_path_agrees_with_the_careful_path(indices: list[int]) -> None:
    compiled = compile_schema(bundled_schema("v1", "md.Bar"))
    judge = Judge(LABEL, STRICT, LIMITS)
    items = [POOL[i] for i in indices]
    fast = judge.batch(items, compiled)
    careful = [judge.one(item, compiled) for item in items]
    assert shape(fast) == shape(careful)
    assert fast.failures == [i for i, (_, ruling) in enumerate(careful) if ruling.outcome != "valid"]


DICTS: list[Any] = [
    bar_payload(),
    bar_payload(symbol="MSFT"),
    bar_payload(close="high"),
    bar_payload(open=-1.0),
    {"symbol": "AAPL"},
    {1: "int key"},
]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(range(len(DICTS))), min_size=1, max_size=30))
def test_already_parsed_batches_agree_with_the_careful_path(indices: list[int]) -> None:
    """Consumers whose transport parsed the envelope pass dicts: no parse pass, same verdicts."""
    compiled = compile_schema(bundled_schema("v1", "md.Bar"))
    judge = Judge(LABEL, STRICT, LIMITS)
    items = [DICTS[i] for i in indices]
    fast = judge.batch(items, compiled)
    careful = [judge.one(item, compiled) for item in items]
    assert shape(fast) == shape(careful)
    assert fast.failures == [i for i, (_, ruling) in enumerate(careful) if ruling.outcome != "valid"]


def test_unsized_or_oversized_items_take_the_careful_path() -> None:
    compiled = compile_schema(bundled_schema("v1", "md.Bar"))
    judge = Judge(LABEL, STRICT, Limits(max_bytes=100, max_depth=None, max_errors=10, max_message_length=300))
    batch = judge.batch([bar_bytes(), 7, b"{}"], compiled)
    assert [r.outcome for r in batch.rulings] == ["malformed", "malformed", "invalid"]
    assert "over the 100-byte limit" in batch.rulings[0].errors[0].message
    assert batch.failures == [0, 1, 2]


def test_schemas_admitting_non_objects_still_refuse_them() -> None:
    judge = Judge(LABEL, STRICT, LIMITS)
    for content in (True, {}, {"type": ["object", "array"]}):
        compiled = compile_schema(content)  # type: ignore[arg-type]
        assert not compiled.root_is_object
        batch = judge.batch([b'{"a": 1}', b"[1]", b'"text"'], compiled)
        assert [r.outcome for r in batch.rulings] == ["valid", "malformed", "malformed"]
        assert batch.failures == [1, 2]


def test_valid_messages_share_one_ruling_and_verdicts_are_made_on_access() -> None:
    compiled = compile_schema(bundled_schema("v1", "md.Bar"))
    batch = Judge(LABEL, STRICT, LIMITS).batch([bar_bytes(), bar_bytes(), b"{", bar_bytes()], compiled)
    assert batch.rulings[0] is batch.rulings[1] is batch.rulings[3]
    assert len(batch) == 4
    assert batch[2].outcome == "malformed"
    assert [v.valid for v in batch] == [True, True, False, True]
    assert [v.valid for v in batch[1:3]] == [True, False]
    assert batch[0].payload == orjson.loads(bar_bytes())
    assert [v.action for v in batch.to_list()] == ["forward", "forward", "dead_letter", "forward"]


def test_skipped_batch() -> None:
    ruling = Ruling(None, "skip", "info", "off")
    mapping = {"x": 1}
    batch = skipped([b"{}", mapping], ruling)
    assert batch.payloads == [None, mapping]
    assert batch.rulings == [ruling, ruling]
    assert batch.failures == []
