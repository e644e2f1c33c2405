"""The envelope wire format: exact keys, strict decoding with one error type, time-ordered UUIDv7 ids."""

from __future__ import annotations

import uuid

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mdp.pulse import MAX_ENVELOPE_BYTES, Envelope, EnvelopeError, SchemaRef, new_envelope_id

SHA = "0" * 63 + "a"


def wire(**overrides: object) -> bytes:
    value: dict[str, object] = {
        "id": "e1",
        "type": "md.bar",
        "ts": 1729000000.5,
        "source": "feed",
        "payload": {},
    }
    value.update(overrides)
    return orjson.dumps({key: item for key, item in value.items() if item is not ...})


def test_wire_form_has_exactly_the_documented_keys() -> None:
    envelope = Envelope.create(
        "md.bar", {"o": 1.5}, source="pipeline", schema=SchemaRef("v1", "md.Bar", SHA), ts=1729000000.25
    )
    value = orjson.loads(envelope.to_json())
    assert value == {
        "id": envelope.id,
        "type": "md.bar",
        "ts": 1729000000.25,
        "source": "pipeline",
        "schema": {"track": "v1", "name": "md.Bar", "sha256": SHA},
        "payload": {"o": 1.5},
    }
    assert Envelope.from_json(envelope.to_json()) == envelope


def test_schema_may_be_null_or_absent() -> None:
    assert orjson.loads(Envelope.create("t", 1, source="s").to_json())["schema"] is None
    assert Envelope.from_json(wire()).schema is None
    assert Envelope.from_json(wire(schema=None)).schema is None
    assert Envelope.from_json(wire(schema={"track": "v2", "name": "md.Bar"})).schema == SchemaRef(
        "v2", "md.Bar"
    )


def test_integer_timestamps_are_accepted_as_floats() -> None:
    envelope = Envelope.from_json(wire(ts=1729000000))
    assert envelope.ts == 1729000000.0
    assert isinstance(envelope.ts, float)


@given(
    payload=st.recursive(
        st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=20,
    )
)
def test_any_json_payload_round_trips(payload: object) -> None:
    envelope = Envelope.create("t", payload, source="s")
    assert Envelope.from_json(envelope.to_json()) == envelope


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not valid JSON"),
        (b"{", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b"[" * 2000 + b"]" * 2000, "not valid JSON"),
        (b'"text"', "must be a JSON object"),
        (wire(payload=...), r"missing \['payload'\]"),
        (wire(id=..., source=...), r"missing \['id', 'source'\]"),
        (wire(headers={}), r"unknown \['headers'\]"),
        (wire(id=""), "'id'"),
        (wire(id=7), "'id'"),
        (wire(type=None), "'type'"),
        (wire(source="x" * 300), "'source'"),
        (wire(ts="2024-10-01"), "'ts'"),
        (wire(ts=True), "'ts'"),
        (wire(ts=-1.0), "'ts'"),
        (wire(schema="v1/md.Bar"), "'schema' must be an object"),
        (wire(schema={"track": "v1"}), "needs 'track' and 'name'"),
        (wire(schema={"track": "v1", "name": "md.Bar", "version": "1"}), "unknown keys"),
        (wire(schema={"track": "v1", "name": "md.Bar", "sha256": "ABC"}), "sha256"),
        (wire(schema={"track": ["v1"], "name": "md.Bar"}), "schema.track"),
    ],
)
def test_malformed_input_is_one_clear_error(data: bytes, message: str) -> None:
    with pytest.raises(EnvelopeError, match=message):
        Envelope.from_json(data)


def test_oversized_envelopes_are_refused_both_ways() -> None:
    with pytest.raises(EnvelopeError, match="limit"):
        Envelope.from_json(b" " * (MAX_ENVELOPE_BYTES + 1))
    big = Envelope.create("t", "x" * MAX_ENVELOPE_BYTES, source="s")
    with pytest.raises(EnvelopeError, match="limit"):
        big.to_json()


def test_unencodable_payloads_are_envelope_errors() -> None:
    with pytest.raises(EnvelopeError, match="cannot be encoded"):
        Envelope.create("t", {"when": object()}, source="s").to_json()
    with pytest.raises(EnvelopeError, match="cannot be encoded"):
        Envelope.create("t", {1: "non-string key"}, source="s").to_json()


def test_constructor_validates_too() -> None:
    with pytest.raises(EnvelopeError, match="'ts'"):
        Envelope(id="x", type="t", ts=float("nan"), source="s", payload=None)
    assert Envelope(
        id="x", type="t", ts=1, source="s", payload=None, schema={"track": "v1", "name": "n"}
    ).schema == (  # type: ignore[arg-type]
        SchemaRef("v1", "n")
    )


def test_ids_are_unique_time_ordered_uuid7() -> None:
    ids = [new_envelope_id() for _ in range(5000)]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)
    parsed = uuid.UUID(ids[0])
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122
    assert len(ids[0]) == 32
