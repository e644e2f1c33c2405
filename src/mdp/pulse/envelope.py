"""The Pulse envelope: one JSON object per event, identical on every backend and in every language.

Wire format (documented in ``docs/pulse.md``)::

    {"id": "0192f1c4a3b07c3e8a1f2b3c4d5e6f70", "type": "md.bar", "ts": 1729000000.123,
     "source": "pipeline", "schema": {"track": "v1", "name": "md.Bar", "sha256": "..."} | null,
     "payload": <any JSON>}

Exactly those six keys (``schema`` may be omitted or null); anything else is an :class:`EnvelopeError`.
``id`` is a time-ordered UUIDv7 in 32 lowercase hex digits, so sorting ids sorts by creation time and
another language can parse it as a UUID. Decoding never trusts the input: size, UTF-8, depth (orjson stops
at 1024 levels), keys and field types are all checked, and every failure is one :class:`EnvelopeError`.
"""

from __future__ import annotations

import math
import random
import re
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import orjson

from mdp.pulse.errors import EnvelopeError

MAX_ENVELOPE_BYTES: Final = 1024 * 1024
"""Largest encoded envelope accepted (1 MiB); market data and telemetry events are a few hundred bytes."""

_MAX_NAME = 256
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_REQUIRED: Final = frozenset({"id", "type", "ts", "source", "payload"})
_ALLOWED: Final = _REQUIRED | {"schema"}


class _IdGenerator:
    """UUIDv7 (RFC 9562) with a monotonic random tail: ids from one process sort in creation order.

    Within one millisecond the 74 random bits are incremented instead of redrawn (as ULID does), so two ids
    minted in the same millisecond still compare in order. Not a secret, so ``random`` is fine.
    """

    _TAIL_BITS = 74

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._random = random.Random()
        self._last_ms = 0
        self._tail = 0

    def __call__(self) -> str:
        now_ms = time.time_ns() // 1_000_000
        with self._lock:
            if now_ms > self._last_ms:
                self._last_ms = now_ms
                # Leave headroom below 2**74 so increments within this millisecond never overflow.
                self._tail = self._random.getrandbits(self._TAIL_BITS - 10)
            else:
                self._tail += 1
                if self._tail >= 1 << self._TAIL_BITS:  # pragma: no cover - needs 2**64 ids in one ms
                    self._last_ms += 1
                    self._tail = 0
            ms, tail = self._last_ms, self._tail
        rand_a = tail >> 62  # 12 bits after the version nibble
        rand_b = tail & ((1 << 62) - 1)
        value = (ms & 0xFFFF_FFFF_FFFF) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
        return f"{value:032x}"


new_envelope_id = _IdGenerator()
"""Return a new time-ordered envelope id (UUIDv7, 32 lowercase hex digits)."""


def _check_name(field: str, value: object) -> str:
    if not isinstance(value, str) or not value or len(value) > _MAX_NAME:
        raise EnvelopeError(
            f"envelope field {field!r} must be a non-empty string of at most {_MAX_NAME} chars"
        )
    return value


@dataclass(frozen=True, slots=True)
class SchemaRef:
    """Which registry schema the payload claims to follow; ``sha256`` pins the exact content."""

    track: str
    name: str
    sha256: str | None = None

    def __post_init__(self) -> None:
        _check_name("schema.track", self.track)
        _check_name("schema.name", self.name)
        if self.sha256 is not None and (not isinstance(self.sha256, str) or not _SHA256.match(self.sha256)):
            raise EnvelopeError("envelope field 'schema.sha256' must be 64 lowercase hex digits or null")

    @classmethod
    def from_value(cls, value: object) -> SchemaRef | None:
        """Build from the wire form (``{"track", "name", "sha256"?}`` or null)."""
        if value is None or isinstance(value, SchemaRef):
            return value
        if not isinstance(value, Mapping):
            raise EnvelopeError("envelope field 'schema' must be an object or null")
        unknown = set(value) - {"track", "name", "sha256"}
        if unknown:
            raise EnvelopeError(f"envelope field 'schema' has unknown keys: {sorted(unknown)}")
        if "track" not in value or "name" not in value:
            raise EnvelopeError("envelope field 'schema' needs 'track' and 'name'")
        return cls(track=value["track"], name=value["name"], sha256=value.get("sha256"))


@dataclass(frozen=True, slots=True)
class Envelope:
    """One event. Immutable; build new ones with :meth:`create`."""

    id: str
    type: str
    ts: float
    source: str
    payload: Any
    schema: SchemaRef | None = None

    def __post_init__(self) -> None:
        _check_name("id", self.id)
        _check_name("type", self.type)
        _check_name("source", self.source)
        ts = self.ts
        if isinstance(ts, bool) or not isinstance(ts, int | float) or not math.isfinite(ts) or ts < 0:
            raise EnvelopeError("envelope field 'ts' must be a finite, non-negative number of epoch seconds")
        if type(ts) is not float:
            object.__setattr__(self, "ts", float(ts))
        schema: object = self.schema  # callers may pass the wire form (a mapping)
        if schema is not None and not isinstance(schema, SchemaRef):
            object.__setattr__(self, "schema", SchemaRef.from_value(schema))

    @classmethod
    def create(
        cls,
        type: str,
        payload: Any,
        *,
        source: str,
        schema: SchemaRef | None = None,
        ts: float | None = None,
        id: str | None = None,
    ) -> Envelope:
        """A new envelope with a fresh time-ordered id and the current time unless given."""
        return cls(
            id=id if id is not None else new_envelope_id(),
            type=type,
            ts=time.time() if ts is None else ts,
            source=source,
            payload=payload,
            schema=schema,
        )

    def to_json(self) -> bytes:
        """The wire form: one compact JSON object (UTF-8)."""
        schema = self.schema
        wire = {
            "id": self.id,
            "type": self.type,
            "ts": self.ts,
            "source": self.source,
            "schema": None
            if schema is None
            else {"track": schema.track, "name": schema.name, "sha256": schema.sha256},
            "payload": self.payload,
        }
        try:
            data = _dumps(wire)  # a dict, not the dataclass: orjson's dataclass path is 4x slower with slots
        except TypeError as exc:  # orjson.JSONEncodeError subclasses TypeError
            raise EnvelopeError(f"envelope {self.id} cannot be encoded as JSON: {exc}") from exc
        if len(data) > MAX_ENVELOPE_BYTES:
            raise EnvelopeError(f"envelope {self.id} is {len(data)} bytes; the limit is {MAX_ENVELOPE_BYTES}")
        return data

    @classmethod
    def from_json(cls, data: bytes | bytearray | memoryview | str) -> Envelope:
        """Parse the wire form; any problem (size, UTF-8, JSON, keys, types) is an :class:`EnvelopeError`."""
        if len(data) > MAX_ENVELOPE_BYTES:
            raise EnvelopeError(f"envelope is {len(data)} bytes; the limit is {MAX_ENVELOPE_BYTES}")
        try:
            value = _loads(data)
        except orjson.JSONDecodeError as exc:
            raise EnvelopeError(f"envelope is not valid JSON: {exc}") from exc
        if type(value) is not dict:
            raise EnvelopeError(f"envelope must be a JSON object, not {type(value).__name__}")
        # Hot path (the pipeline decodes every message): five or six keys that are all the right ones
        # (a wrong key would leave a required one missing), plain type checks, no re-validation.
        size = len(value)
        try:
            if size == _SIZE_WITH_SCHEMA:
                schema = _schema_ref(value["schema"])
            elif size == _SIZE_WITHOUT_SCHEMA:
                schema = None
            else:
                raise KeyError(size)
            ident, kind, ts, source, payload = (
                value["id"],
                value["type"],
                value["ts"],
                value["source"],
                value["payload"],
            )
        except KeyError:
            raise _key_error(value.keys()) from None
        if (
            type(ident) is str
            and 0 < len(ident) <= _MAX_NAME
            and type(kind) is str
            and 0 < len(kind) <= _MAX_NAME
            and type(source) is str
            and 0 < len(source) <= _MAX_NAME
            and type(ts) is float
            and 0.0 <= ts < math.inf
        ):
            envelope = _new(cls)
            _set(envelope, "id", ident)
            _set(envelope, "type", kind)
            _set(envelope, "ts", ts)
            _set(envelope, "source", source)
            _set(envelope, "payload", payload)
            _set(envelope, "schema", schema)
            return envelope
        # Anything unusual (integer ts, bad types) takes the validating constructor for a precise error.
        return cls(id=ident, type=kind, ts=ts, source=source, payload=payload, schema=schema)


_loads = orjson.loads
_dumps = orjson.dumps
_new = object.__new__
_set = object.__setattr__
_SIZE_WITH_SCHEMA: Final = len(_ALLOWED)
_SIZE_WITHOUT_SCHEMA: Final = len(_REQUIRED)
_SCHEMA_CACHE: dict[tuple[object, object, object], SchemaRef] = {}
_SCHEMA_CACHE_SIZE = 4096


def _key_error(keys: Iterable[str]) -> EnvelopeError:
    present = set(keys)
    missing = sorted(_REQUIRED - present)
    unknown = sorted(present - _ALLOWED)
    problems = [f"missing {missing}"] if missing else []
    problems += [f"unknown {unknown}"] if unknown else []
    return EnvelopeError("envelope keys are wrong: " + ", ".join(problems))


def _schema_ref(value: object) -> SchemaRef | None:
    """``SchemaRef.from_value`` with a cache: a stream carries a handful of distinct schema refs."""
    if value is None:
        return None
    if type(value) is dict:
        sha256 = value.get("sha256")
        # Two keys (track, name) or three (plus sha256); anything else misses and is validated in full.
        if len(value) == 2 + ("sha256" in value):
            key = (value.get("track"), value.get("name"), sha256)
            try:
                return _SCHEMA_CACHE[key]
            except (KeyError, TypeError):  # TypeError: unhashable (so invalid) values
                pass
            ref = SchemaRef.from_value(value)
            if ref is not None and len(_SCHEMA_CACHE) < _SCHEMA_CACHE_SIZE:
                _SCHEMA_CACHE[key] = ref
            return ref
    return SchemaRef.from_value(value)


def decode_envelope(raw: bytes) -> tuple[Envelope | None, str | None]:
    """``(envelope, None)`` or ``(None, error)``: how adapters turn stream entries into deliveries."""
    try:
        return Envelope.from_json(raw), None
    except EnvelopeError as exc:
        return None, str(exc)


__all__ = [
    "MAX_ENVELOPE_BYTES",
    "Envelope",
    "SchemaRef",
    "decode_envelope",
    "new_envelope_id",
]
