"""Dead-letter payloads keep the exact original bytes and refuse to parse anything else."""

from __future__ import annotations

import pytest

from mdp.pulse import DEAD_LETTER_TYPE, DeadLetter, Envelope, EnvelopeError
from mdp.pulse.deadletter import MAX_ERROR_CHARS


def letter(raw: bytes, error: str = "boom") -> DeadLetter:
    return DeadLetter.of(
        stream="md.bars",
        entry_id="1-0",
        group="store",
        delivery_count=5,
        error=error,
        raw=raw,
        now=1729000000.0,
    )


def test_text_originals_round_trip_through_an_envelope() -> None:
    original = Envelope.create("md.bar", {"o": 1}, source="feed")
    dead = letter(original.to_json())
    envelope = dead.to_envelope(source="store")
    assert envelope.type == DEAD_LETTER_TYPE
    assert envelope.ts == 1729000000.0
    parsed = DeadLetter.from_envelope(Envelope.from_json(envelope.to_json()))
    assert parsed == dead
    assert parsed.original_encoding == "utf-8"
    assert parsed.original_envelope() == original


def test_binary_originals_are_base64_and_exact() -> None:
    raw = bytes(range(256))
    parsed = DeadLetter.from_envelope(letter(raw).to_envelope(source="s"))
    assert parsed.original_encoding == "base64"
    assert parsed.original_bytes() == raw
    assert parsed.original_envelope() is None


def test_long_errors_are_clipped() -> None:
    assert len(letter(b"{}", "x" * 10_000).error) == MAX_ERROR_CHARS


@pytest.mark.parametrize(
    ("envelope", "message"),
    [
        (Envelope.create("md.bar", {}, source="s"), "not a 'pulse.dead_letter'"),
        (Envelope.create(DEAD_LETTER_TYPE, [], source="s"), "no payload object"),
        (Envelope.create(DEAD_LETTER_TYPE, {"stream": "s"}, source="s"), "payload is invalid"),
        (
            Envelope.create(
                DEAD_LETTER_TYPE, {**letter(b"x").to_payload(), "original_encoding": "rot13"}, source="s"
            ),
            "unknown encoding",
        ),
        (
            Envelope.create(
                DEAD_LETTER_TYPE, {**letter(b"\xff").to_payload(), "original": "not base64!"}, source="s"
            ),
            "payload is invalid",
        ),
    ],
)
def test_anything_else_is_refused(envelope: Envelope, message: str) -> None:
    with pytest.raises(EnvelopeError, match=message):
        DeadLetter.from_envelope(envelope)


def test_rejection_letters_carry_a_verdict_and_round_trip() -> None:
    from mdp.pulse import DeadLetter

    letter = DeadLetter.of(
        stream="md.bars.raw", entry_id="1-0", group="pipeline", delivery_count=1, error="", raw=b"{}", now=5.0
    ).with_verdict(
        reason="invalid",
        mode="strict",
        schema={"track": "v1", "name": "md.Bar", "sha256": "a" * 64},
        errors=[{"path": "/open", "message": "-1 is too small", "keyword": "exclusiveMinimum"}] * 30,
        now=10.0,
    )
    assert letter.is_rejection
    assert (letter.first_seen, letter.attempts, len(letter.errors)) == (10.0, 0, 20)
    assert letter.error == "invalid: /open: -1 is too small"
    again = DeadLetter.from_envelope(letter.to_envelope(source="t"))
    assert again == letter
    retried = again.with_verdict(
        reason="malformed", mode="strict", schema=None, errors=[], now=99.0, attempts=1
    )
    assert (retried.first_seen, retried.attempts, retried.dead_lettered_at, retried.error) == (
        10.0,
        1,
        99.0,
        "malformed",
    )


def test_bus_letters_keep_their_original_payload_keys() -> None:
    from mdp.pulse import DeadLetter

    letter = DeadLetter.of(
        stream="s", entry_id="1-0", group="g", delivery_count=5, error="boom", raw=b"x", now=1.0
    )
    assert not letter.is_rejection
    assert "reason" not in letter.to_payload()
    assert DeadLetter.from_envelope(letter.to_envelope(source="t")) == letter
