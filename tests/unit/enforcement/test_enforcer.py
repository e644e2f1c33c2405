"""The enforcer's verdicts: every mode, every kind of bad input, schema choice, hot swap, strict raising."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mdp.contracts import compute_sha256
from mdp.contracts.bundled import bundled_schema
from mdp.enforcement import (
    BundledSchemaProvider,
    Enforcer,
    MemorySchemaProvider,
    SchemaRef,
    SchemaValidationError,
)
from mdp.settings import MdpSettings, load_settings
from tests.unit.enforcement.conftest import MakeEnforcer, bar_bytes, bar_payload

BAR = SchemaRef("v1", "md.Bar")
V1_BAR = bundled_schema("v1", "md.Bar")
V2_BAR = bundled_schema("v2", "md.Bar")


# -- modes ------------------------------------------------------------------------------------------------


def test_strict_forwards_valid_and_dead_letters_invalid(make_enforcer: MakeEnforcer) -> None:
    enforcer = make_enforcer(mode="strict")
    good, bad = enforcer.enforce_batch([bar_bytes(), bar_bytes(open=-1.0)], BAR)
    assert (good.valid, good.action, good.severity, good.outcome) == (True, "forward", "info", "valid")
    assert good.payload == bar_payload()
    assert good.schema == SchemaRef("v1", "md.Bar", compute_sha256(V1_BAR))
    assert good.errors == ()
    assert (bad.valid, bad.action, bad.severity, bad.outcome) == (False, "dead_letter", "error", "invalid")
    assert bad.reason == "schema validation failed"
    assert [(issue.path, issue.keyword) for issue in bad.errors] == [("/open", "exclusiveMinimum")]
    assert bad.payload == bar_payload(open=-1.0)  # the DLQ gets the parsed message too


def test_warn_forwards_invalid_with_a_warning(make_enforcer: MakeEnforcer) -> None:
    enforcer = make_enforcer(mode="warn")
    good, bad = enforcer.enforce_batch([bar_bytes(), bar_bytes(venue="XNAS")], BAR)
    assert (good.action, good.outcome) == ("forward", "valid")
    assert (bad.action, bad.severity, bad.outcome, bad.valid) == ("forward", "warning", "invalid", False)
    assert bad.forwards
    assert "'venue' was unexpected" in bad.errors[0].message


@pytest.mark.parametrize(("mode", "enabled"), [("off", True), ("strict", False), ("warn", False)])
def test_off_and_disabled_skip_validation_entirely(
    make_enforcer: MakeEnforcer, mode: str, enabled: bool
) -> None:
    enforcer = make_enforcer(mode=mode, enabled=enabled, schemas=MemorySchemaProvider())
    mapping = {"not": "a bar"}
    verdicts = enforcer.enforce_batch([bar_bytes(open=-1.0), b"{not json", mapping], BAR)
    assert [v.action for v in verdicts] == ["skip"] * 3
    assert all(v.forwards and not v.validated and not v.valid for v in verdicts)
    assert verdicts[0].payload is None
    assert verdicts[2].payload is mapping
    assert ("REGISTRY_ENABLED=false" if not enabled else "REGISTRY_ENFORCEMENT=off") in verdicts[0].reason


def test_mode_and_enabled_change_at_runtime(make_enforcer: MakeEnforcer) -> None:
    enforcer = make_enforcer(mode="strict")
    message = bar_bytes(open=-1.0)
    assert enforcer.enforce_one(message, BAR).action == "dead_letter"
    enforcer.mode = "warn"  # rollback level 1
    assert enforcer.enforce_one(message, BAR).action == "forward"
    enforcer.enabled = False  # rollback level 2
    assert enforcer.enforce_one(message, BAR).action == "skip"
    enforcer.enabled = True
    enforcer.mode = "STRICT"
    assert enforcer.mode == "strict"
    assert enforcer.enforce_one(message, BAR).action == "dead_letter"
    with pytest.raises(ValueError, match="unknown enforcement mode"):
        enforcer.mode = "block"


def test_configuration_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, make_enforcer: MakeEnforcer
) -> None:
    monkeypatch.setenv("REGISTRY_ENFORCEMENT", "strict")
    monkeypatch.setenv("REGISTRY_TRACK", "v2")
    settings = load_settings(MdpSettings)
    enforcer = Enforcer.from_settings(settings, schemas=BundledSchemaProvider())
    assert (enforcer.mode, enforcer.enabled) == ("strict", True)
    verdict = enforcer.enforce_one(bar_bytes(), {"name": "md.Bar"})  # no track: REGISTRY_TRACK
    assert verdict.schema is not None
    assert verdict.schema.track == "v2"
    assert verdict.action == "dead_letter"  # a v1 bar misses v2's venue
    monkeypatch.setenv("REGISTRY_ENABLED", "false")
    assert not Enforcer.from_settings(load_settings(MdpSettings), schemas=BundledSchemaProvider()).enabled


# -- schema availability ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("mode", "action"), [("warn", "forward"), ("strict", "dead_letter")])
def test_never_seen_schema(make_enforcer: MakeEnforcer, mode: str, action: str) -> None:
    enforcer = make_enforcer(mode=mode, schemas=MemorySchemaProvider())
    verdict, broken = enforcer.enforce_batch([bar_bytes(), b"{"], BAR)
    assert (verdict.outcome, verdict.action) == ("schema_unavailable", action)
    assert verdict.reason.startswith("schema unavailable")
    assert "v1/md.Bar was never fetched and is not cached" in verdict.errors[0].message
    assert verdict.payload == bar_payload()
    assert (broken.outcome, broken.action) == ("malformed", action)


def test_schema_appears_later_without_restart(make_enforcer: MakeEnforcer, memory_schemas: Any) -> None:
    enforcer = make_enforcer(mode="strict", schemas=memory_schemas)
    assert enforcer.enforce_one(bar_bytes(), BAR).outcome == "schema_unavailable"
    memory_schemas.put("v1", "md.Bar", V1_BAR)
    assert enforcer.enforce_one(bar_bytes(), BAR).valid


class _Exploding:
    def lookup(self, track: str, name: str) -> None:
        raise RuntimeError("cache file vanished")


class _Flaky:
    """A provider that can be made to raise, in front of a real one."""

    def __init__(self, inner: MemorySchemaProvider) -> None:
        self.inner = inner
        self.failing = False

    def lookup(self, track: str, name: str) -> Any:
        if self.failing:
            raise RuntimeError("cache unavailable")
        return self.inner.lookup(track, name)


def test_provider_failure_is_a_verdict_not_a_crash(make_enforcer: MakeEnforcer) -> None:
    enforcer = make_enforcer(mode="strict", schemas=_Exploding())
    verdict = enforcer.enforce_one(bar_bytes(), BAR)
    assert verdict.outcome == "schema_unavailable"
    assert "cache file vanished" in verdict.errors[0].message
    enforcer.on_schema_change("v1", "md.Bar", None, "a" * 64)  # must not raise into the poller


def test_uncompilable_schema_from_the_provider_is_unavailable(
    make_enforcer: MakeEnforcer, memory_schemas: MemorySchemaProvider
) -> None:
    memory_schemas.put("v1", "md.Bar", {"$ref": "https://evil.example/bar.json"})
    verdict = make_enforcer(mode="strict", schemas=memory_schemas).enforce_one(bar_bytes(), BAR)
    assert verdict.outcome == "schema_unavailable"
    assert "cannot be used" in verdict.errors[0].message


# -- hot swap ---------------------------------------------------------------------------------------------


def test_change_callback_swaps_v1_for_v2(
    make_enforcer: MakeEnforcer, memory_schemas: MemorySchemaProvider
) -> None:
    old = memory_schemas.put("v1", "md.Bar", V1_BAR)
    enforcer = make_enforcer(mode="strict", schemas=memory_schemas)
    message = bar_bytes()
    assert enforcer.enforce_one(message, BAR).valid
    new = memory_schemas.put("v1", "md.Bar", V2_BAR)  # drill 2: a breaking change lands
    enforcer.on_schema_change("v1", "md.Bar", old, new)
    verdict = enforcer.enforce_one(message, BAR)
    assert (verdict.outcome, verdict.action) == ("invalid", "dead_letter")
    assert verdict.schema is not None
    assert verdict.schema.sha256 == new
    assert '"venue" is a required property' in [issue.message for issue in verdict.errors]
    assert enforcer.enforce_one(bar_bytes(venue="XNAS"), BAR).valid


def test_change_to_unusable_content_keeps_validating(
    make_enforcer: MakeEnforcer, memory_schemas: MemorySchemaProvider
) -> None:
    old = memory_schemas.put("v1", "md.Bar", V1_BAR)
    enforcer = make_enforcer(mode="strict", schemas=memory_schemas)
    assert enforcer.enforce_one(bar_bytes(), BAR).valid
    memory_schemas.put("v1", "md.Bar", {"type": 7})
    enforcer.on_schema_change("v1", "md.Bar", old, "b" * 64)
    assert enforcer.enforce_one(bar_bytes(), BAR).valid  # still v1
    assert not enforcer.enforce_one(bar_bytes(open=0), BAR).valid


def test_removed_subject_is_unbound_and_reloaded_on_demand(
    make_enforcer: MakeEnforcer, memory_schemas: MemorySchemaProvider
) -> None:
    sha = memory_schemas.put("v1", "md.Bar", V1_BAR)
    enforcer = make_enforcer(mode="strict", schemas=memory_schemas)
    assert enforcer.enforce_one(bar_bytes(), BAR).valid
    memory_schemas.remove("v1", "md.Bar")
    enforcer.on_schema_change("v1", "md.Bar", sha, None)
    assert enforcer.validators.get("v1", "md.Bar") is None
    assert enforcer.enforce_one(bar_bytes(), BAR).outcome == "schema_unavailable"


def test_provider_changes_are_picked_up_without_a_callback(
    make_enforcer: MakeEnforcer, memory_schemas: MemorySchemaProvider
) -> None:
    memory_schemas.put("v1", "md.Bar", V1_BAR)
    enforcer = make_enforcer(mode="strict", schemas=memory_schemas)
    assert enforcer.enforce_one(bar_bytes(), BAR).valid
    memory_schemas.put("v1", "md.Bar", V2_BAR)
    assert not enforcer.enforce_one(bar_bytes(), BAR).valid
    assert len(enforcer.validators) == 1  # v1's validator was dropped


def test_last_good_validator_survives_a_provider_that_forgets_or_fails(
    make_enforcer: MakeEnforcer, memory_schemas: MemorySchemaProvider
) -> None:
    flaky = _Flaky(memory_schemas)
    memory_schemas.put("v1", "md.Bar", V1_BAR)
    enforcer = make_enforcer(mode="strict", schemas=flaky)
    assert enforcer.enforce_one(bar_bytes(), BAR).valid
    memory_schemas.remove("v1", "md.Bar")  # e.g. a cache reset without a removal event
    assert enforcer.enforce_one(bar_bytes(), BAR).valid
    flaky.failing = True  # the provider starts raising
    assert enforcer.enforce_one(bar_bytes(), BAR).valid
    assert not enforcer.enforce_one(bar_bytes(open=0), BAR).valid


def test_unusable_content_is_compiled_once_not_per_batch(
    make_enforcer: MakeEnforcer, memory_schemas: MemorySchemaProvider, caplog: pytest.LogCaptureFixture
) -> None:
    memory_schemas.put("v1", "md.Bar", {"type": "object", "pattern": "("})
    enforcer = make_enforcer(mode="warn", schemas=memory_schemas)
    caplog.set_level(logging.ERROR, logger="mdp.enforcement")
    for _ in range(5):
        verdict = enforcer.enforce_one(bar_bytes(), BAR)
        assert verdict.outcome == "schema_unavailable"
        assert "does not compile" in verdict.errors[0].message
    assert len([r for r in caplog.records if "cannot be used" in r.getMessage()]) == 1


# -- which schema -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PulseLikeRef:
    track: str
    name: str
    sha256: str | None = None


def test_envelope_reference_is_used_without_a_binding(make_enforcer: MakeEnforcer) -> None:
    enforcer = make_enforcer(mode="strict")
    assert enforcer.enforce_one(bar_bytes(), {"track": "v1", "name": "md.Bar"}).valid
    assert enforcer.enforce_one(bar_bytes(), PulseLikeRef("v1", "md.Bar")).valid
    v2 = enforcer.enforce_one(bar_bytes(), {"track": "v2", "name": "md.Bar", "sha256": "c" * 64})
    assert v2.schema is not None
    assert v2.schema.track == "v2"
    assert not v2.valid
    assert v2.schema.sha256 == compute_sha256(V2_BAR)  # the pinned sha is informational


def test_stream_binding_is_authoritative(make_enforcer: MakeEnforcer) -> None:
    enforcer = make_enforcer(mode="strict", bindings={"md.bars.raw": ("v1", "md.Bar")})
    plain = enforcer.enforce_one(bar_bytes(), None, stream="md.bars.raw")
    assert plain.valid
    assert plain.schema is not None
    assert plain.schema.key == ("v1", "md.Bar")
    # Same name on another track: the stream's track wins (the consumer enforces its own contract).
    other_track = enforcer.enforce_one(bar_bytes(), {"track": "v2", "name": "md.Bar"}, stream="md.bars.raw")
    assert other_track.valid
    assert other_track.schema is not None
    assert other_track.schema.track == "v1"
    # A producer declaring a different (laxer) schema cannot bypass the binding.
    mismatch = enforcer.enforce_one(
        orjson.dumps({"coordinator_id": "x"}),
        {"track": "v1", "name": "telemetry.FeedbackEvent"},
        stream="md.bars.raw",
    )
    assert (mismatch.outcome, mismatch.action) == ("invalid", "dead_letter")
    assert "schema mismatch" in mismatch.errors[0].message
    assert mismatch.schema is not None
    assert mismatch.schema.name == "md.Bar"


def test_unbound_stream_falls_back_to_the_envelope(make_enforcer: MakeEnforcer) -> None:
    enforcer = make_enforcer(mode="strict", bindings={"md.bars.raw": BAR})
    assert enforcer.enforce_one(bar_bytes(), BAR, stream="elsewhere").valid
    nothing = enforcer.enforce_one(bar_bytes(), None, stream="elsewhere")
    assert nothing.outcome == "schema_unavailable"
    assert "stream 'elsewhere' has no binding" in nothing.errors[0].message


@pytest.mark.parametrize(
    "ref",
    [
        {"track": "v1", "name": "../../etc/passwd"},
        {"track": "v1/../x", "name": "md.Bar"},
        {"track": "v1", "name": "md.Bar", "sha256": "xyz"},
        {"track": "v1"},
        {"track": "v1", "name": "a" * 201},
        "md.Bar",
    ],
)
def test_bad_references_are_malformed(make_enforcer: MakeEnforcer, ref: Any) -> None:
    verdict = make_enforcer(mode="strict").enforce_one(bar_bytes(), ref)
    assert (verdict.outcome, verdict.action) == ("malformed", "dead_letter")
    assert "invalid schema reference" in verdict.errors[0].message


def test_bad_configuration_is_refused(make_enforcer: MakeEnforcer) -> None:
    with pytest.raises(ValueError, match="default_track"):
        make_enforcer(default_track="stable")
    with pytest.raises(ValueError, match="invalid binding"):
        make_enforcer(bindings={"s": ("v1", "../x")})


# -- bad input is a verdict, never an exception -------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "problem"),
    [
        (b"", "malformed JSON"),
        (b'{"symbol": "AAPL",', "malformed JSON"),
        (b"NaN", "malformed JSON"),
        (b'{"symbol": "\xff\xfe"}', "not valid UTF-8"),
        ("\ud800", "not valid UTF-8"),
        (b"[" * 2000 + b"]" * 2000, "nested deeper than 1024 levels"),
        (b"[1, 2]", "a JSON array, expected an object"),
        (b'"bar"', "a JSON string, expected an object"),
        (b"42", "a JSON number, expected an object"),
        (b"null", "a JSON null, expected an object"),
        (b"true", "a JSON boolean, expected an object"),
        (42, "unsupported payload type int"),
        (None, "unsupported payload type NoneType"),
        ({1: "int keys"}, "not JSON data"),
    ],
)
@pytest.mark.parametrize("mode", ["warn", "strict"])
def test_malformed_input(make_enforcer: MakeEnforcer, mode: str, item: Any, problem: str) -> None:
    verdict = make_enforcer(mode=mode).enforce_one(item, BAR)
    assert verdict.outcome == "malformed"
    assert verdict.action == ("dead_letter" if mode == "strict" else "forward")
    assert problem in verdict.errors[0].message


def test_oversized_payloads_are_refused_unparsed(make_enforcer: MakeEnforcer) -> None:
    enforcer = make_enforcer(mode="strict", max_bytes=300)
    small, large, large_text = enforcer.enforce_batch(
        [bar_bytes(), bar_bytes(source="x" * 400), bar_bytes(source="x" * 400).decode()], BAR
    )
    assert small.valid
    for verdict in (large, large_text):
        assert verdict.outcome == "malformed"
        assert verdict.payload is None
        assert "over the 300-byte limit" in verdict.errors[0].message


def test_opt_in_depth_limit(make_enforcer: MakeEnforcer) -> None:
    schemas = MemorySchemaProvider()
    schemas.put("v1", "doc.Any", {"type": "object"})
    enforcer = make_enforcer(mode="warn", schemas=schemas, max_depth=4)
    ref = SchemaRef("v1", "doc.Any")
    shallow, deep_bytes, deep_mapping = enforcer.enforce_batch(
        [b'{"a": {"b": [1]}}', b'{"a": [[[[[1]]]]]}', {"a": [[[[[1]]]]]}], ref
    )
    assert shallow.valid
    assert "nested deeper than 4 levels" in deep_bytes.errors[0].message
    assert deep_bytes.outcome == "malformed"
    assert "nested deeper than 4 levels" in deep_mapping.errors[0].message


def test_every_input_shape_that_holds_json(make_enforcer: MakeEnforcer) -> None:
    enforcer = make_enforcer(mode="strict")
    raw = bar_bytes()
    items: list[Any] = [raw, raw.decode(), bytearray(raw), memoryview(raw), bar_payload()]
    verdicts = enforcer.enforce_batch(items, BAR)
    assert all(v.valid for v in verdicts)
    assert all(v.payload == bar_payload() for v in verdicts)


def test_batch_keeps_order_and_length(make_enforcer: MakeEnforcer) -> None:
    items: list[Any] = [bar_bytes(), b"{", bar_bytes(low=-5.0), bar_payload(), b"[]", bar_bytes()]
    verdicts = make_enforcer(mode="strict").enforce_batch(items, BAR)
    assert [v.outcome for v in verdicts] == ["valid", "malformed", "invalid", "valid", "malformed", "valid"]
    assert make_enforcer(mode="strict").enforce_batch([], BAR) == []


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.binary(max_size=64), st.text(max_size=32)), max_size=20))
def test_arbitrary_bytes_never_raise(items: list[Any]) -> None:
    enforcer = Enforcer(schemas=BundledSchemaProvider(), mode="strict", started_at=0.0, instance="h")
    verdicts = enforcer.enforce_batch(items, BAR)
    assert len(verdicts) == len(items)
    assert all(v.action in {"forward", "dead_letter"} for v in verdicts)


# -- the single-message API -------------------------------------------------------------------------------


def test_check_raises_in_strict_only(make_enforcer: MakeEnforcer) -> None:
    strict = make_enforcer(mode="strict")
    assert strict.check(bar_bytes(), BAR).valid
    with pytest.raises(SchemaValidationError) as caught:
        strict.check(bar_bytes(high=-1.0), BAR)
    error = caught.value
    assert error.reason == "schema validation failed"
    assert error.schema is not None
    assert error.schema.name == "md.Bar"
    assert error.errors[0].path == "/high"
    assert "v1/md.Bar" in str(error)
    assert "/high" in str(error)
    with pytest.raises(SchemaValidationError, match="schema unavailable"):
        strict.check(bar_bytes(), SchemaRef("v1", "md.Nothing"))
    assert make_enforcer(mode="warn").check(bar_bytes(high=-1.0), BAR).action == "forward"


def test_verdict_serialises_for_the_dlq(make_enforcer: MakeEnforcer) -> None:
    verdict = make_enforcer(mode="strict").enforce_one(bar_bytes(volume=-1), BAR)
    data = verdict.to_dict()
    assert data["action"] == "dead_letter"
    assert data["outcome"] == "invalid"
    assert data["valid"] is False
    assert data["schema"]["name"] == "md.Bar"
    assert len(data["schema"]["sha256"]) == 64
    assert data["errors"] == [
        {"path": "/volume", "message": "-1 is less than the minimum of 0", "keyword": "minimum"}
    ]
    assert orjson.loads(orjson.dumps(data)) == data


def test_columns_and_list_agree(make_enforcer: MakeEnforcer) -> None:
    enforcer = make_enforcer(mode="strict")
    items: list[Any] = [bar_bytes(), b"{", bar_bytes(low=-5.0), bar_payload()]
    columns = enforcer.enforce_columns(items, BAR)
    listed = enforcer.enforce_batch(items, BAR)
    assert [r.action for r in columns.rulings] == [v.action for v in listed]
    assert columns.failures == [1, 2]
    assert columns.payloads[3] == listed[3].payload == bar_payload()
