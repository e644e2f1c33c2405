"""The registry's use cases over the in-memory storage (the API suite repeats them over SQL)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from mdp.contracts.bundled import bundled_schema
from mdp.contracts.hashing import compute_sha256
from mdp.registry.errors import (
    ConcurrentModification,
    IncompatibleSchema,
    InvalidCompatibility,
    InvalidInput,
    InvalidName,
    InvalidSchema,
    InvalidVersion,
    SchemaNotFound,
    SubjectNotFound,
    TrackNotFound,
    VersionNotFound,
)
from mdp.registry.seed import seed_storage
from mdp.registry.service import RegistryService
from mdp.registry.storage.base import NewVersion, OutboxEvent, SubjectView
from mdp.registry.storage.memory import MemorySchemaStorage

CLOSED: dict[str, Any] = {
    "type": "object",
    "properties": {"a": {"type": "string"}},
    "required": ["a"],
    "additionalProperties": False,
}


def variant(**changes: Any) -> dict[str, Any]:
    schema = copy.deepcopy(CLOSED)
    for key, value in changes.items():
        schema[key] = value
    return schema


def with_property(name: str, spec: dict[str, Any], base: dict[str, Any] | None = None) -> dict[str, Any]:
    schema = copy.deepcopy(base or CLOSED)
    schema["properties"][name] = spec
    return schema


@pytest.fixture
def service() -> RegistryService:
    return RegistryService(MemorySchemaStorage(), clock=lambda: datetime(2026, 11, 25, tzinfo=UTC))


def test_first_publish_is_1_0_0_initial(service: RegistryService) -> None:
    outcome = service.publish("v1", "md.T", CLOSED)
    assert outcome.created
    assert (outcome.record.version.version, outcome.record.version.classification) == ("1.0.0", "initial")
    assert outcome.compatibility is None
    assert outcome.event is not None
    assert outcome.record.version.sha256 == compute_sha256(CLOSED)


def test_identical_content_is_a_no_op(service: RegistryService) -> None:
    service.publish("v1", "md.T", CLOSED)
    reordered = dict(reversed(list(CLOSED.items())))
    again = service.publish("v1", "md.T", reordered, version="9.0.0")
    assert not again.created
    assert again.event is None
    assert again.record.version.version == "1.0.0"
    assert len(service.events()) == 1


def test_bumps_follow_the_label(service: RegistryService) -> None:
    service.publish("v1", "md.T", CLOSED)
    docs = variant(description="now documented")
    assert service.publish("v1", "md.T", docs).record.version.version == "1.0.1"
    safe = with_property("b", {"type": "string"}, docs)
    outcome = service.publish("v1", "md.T", safe)
    assert outcome.compatibility is not None
    assert (outcome.record.version.version, outcome.compatibility.label) == ("1.1.0", "safe")
    service.publish("v2", "md.T", CLOSED)
    broken = with_property("a", {"type": "integer"})
    outcome = service.publish("v2", "md.T", broken)
    assert (outcome.record.version.version, outcome.record.version.classification) == ("2.0.0", "breaking")
    assert not outcome.record.version.forced


def test_breaking_change_is_refused_on_v1_with_every_change(service: RegistryService) -> None:
    service.publish("v1", "md.T", CLOSED)
    with pytest.raises(IncompatibleSchema) as caught:
        service.publish("v1", "md.T", with_property("a", {"type": "integer"}))
    result = caught.value.result
    assert not result.compatible
    assert {change.kind for change in result.breaking} == {"TYPE_CHANGED"}
    assert all(change.path == "#/properties/a/type" for change in result.breaking)
    assert len(service.events()) == 1


def test_transitive_mode_checks_every_earlier_version(service: RegistryService) -> None:
    service.put_config("v5", "BACKWARD_TRANSITIVE", "LENIENT")
    service.put_config("v6", "BACKWARD", "LENIENT")
    open_a = {"type": "object", "properties": {"a": {"type": "string"}}}
    without_a = {"type": "object"}
    back_as_int = {"type": "object", "properties": {"a": {"type": "integer"}}}
    for track in ("v5", "v6"):
        service.publish(track, "md.T", open_a)
        service.publish(track, "md.T", without_a, force=True)
    # Against the latest alone (no "a") this is fine; against version 1 ("a" is a string) it breaks.
    assert service.publish("v6", "md.T", back_as_int).created
    with pytest.raises(IncompatibleSchema):
        service.publish("v5", "md.T", back_as_int)


def test_force_publishes_and_records_it(service: RegistryService) -> None:
    service.publish("v1", "md.T", CLOSED)
    outcome = service.publish("v1", "md.T", with_property("a", {"type": "integer"}), force=True)
    assert (outcome.record.version.version, outcome.record.version.forced) == ("2.0.0", True)
    assert outcome.event is not None
    assert outcome.event.payload["forced"] is True
    assert [v.forced for v in service.versions("v1", "md.T")] == [False, True]


def test_requested_versions(service: RegistryService) -> None:
    service.publish("v1", "md.T", CLOSED, version="0.1.0")
    with pytest.raises(InvalidVersion):
        service.publish("v1", "md.T", variant(description="d"), version="0.1.0")
    assert (
        service.publish("v1", "md.T", variant(description="d"), version="0.3.0").record.version.version
        == "0.3.0"
    )
    with pytest.raises(InvalidVersion):
        service.publish("v1", "md.T", variant(description="e"), version="banana")


def test_deprecate_and_reactivate(service: RegistryService) -> None:
    service.publish("v1", "md.T", CLOSED)
    first = service.deprecate("v1", "md.T", "  use md.U  ")
    assert (first.record.subject.state, first.record.subject.deprecated_reason) == ("deprecated", "use md.U")
    assert first.event is not None
    assert service.deprecate("v1", "md.T", "again").event is None
    with pytest.raises(InvalidInput):
        service.deprecate("v1", "md.T", "   ")
    again = service.publish("v1", "md.T", variant(description="back"))
    assert again.record.subject.state == "active"
    assert [event.type for event in service.events()] == [
        "schema.published",
        "schema.deprecated",
        "schema.published",
    ]


def test_not_found_errors(service: RegistryService) -> None:
    service.publish("v1", "md.T", CLOSED)
    with pytest.raises(TrackNotFound):
        service.latest("v9", "md.T")
    with pytest.raises(TrackNotFound):
        service.publish("v9", "md.T", CLOSED)
    with pytest.raises(SubjectNotFound):
        service.latest("v1", "md.U")
    with pytest.raises(SubjectNotFound):
        service.versions("v1", "md.U")
    with pytest.raises(VersionNotFound):
        service.version("v1", "md.T", "1.2.3")
    with pytest.raises(InvalidVersion):
        service.version("v1", "md.T", "1.2")
    with pytest.raises(SchemaNotFound):
        service.schema_by_id(99)
    with pytest.raises(SchemaNotFound):
        service.schema_by_sha("f" * 64)
    with pytest.raises(InvalidName):
        service.publish("v1", "../etc", CLOSED)
    assert service.version("v1", "md.T", "latest").version.version == "1.0.0"


def test_config(service: RegistryService) -> None:
    assert service.track_config("v1").compatibility.value == "FULL_TRANSITIVE"
    changed = service.put_config("v1", "BACKWARD", None)
    assert (changed.compatibility.value, changed.policy.value) == ("BACKWARD", "LENIENT")
    with pytest.raises(InvalidCompatibility):
        service.put_config("v1", "SIDEWAYS", "STRICT")
    with pytest.raises(InvalidCompatibility):
        service.put_config("v1", "FULL", "MEDIUM")
    assert service.put_config("v42", "FULL", None).policy.value == "LENIENT"


def test_invalid_content_is_refused_before_anything_is_written(service: RegistryService) -> None:
    with pytest.raises(InvalidSchema):
        service.publish("v1", "md.T", {"type": "strin"})
    assert service.events() == []


def test_seeding_is_idempotent(service: RegistryService) -> None:
    first = seed_storage(service)
    assert len(first.created) == 20
    assert first.rejected == {}
    second = seed_storage(service)
    assert (second.created, len(second.unchanged)) == ([], 20)
    assert len(service.events()) == 20
    assert service.latest("v2", "md.Bar").schema.content() == bundled_schema("v2", "md.Bar")


class RacingStorage(MemorySchemaStorage):
    """A real memory storage where another writer slips in a version just before our first write."""

    def __init__(self, rivals: int) -> None:
        super().__init__()
        self.rivals = rivals

    def publish(self, new: NewVersion, now: datetime) -> tuple[SubjectView, OutboxEvent]:
        if self.rivals > 0:
            self.rivals -= 1
            rival = variant(description=f"rival {self.rivals}")
            from mdp.contracts.hashing import canonicalize

            canonical = canonicalize(rival)
            latest = self.get_latest(new.track, new.name)
            previous = latest.latest.version if latest else None
            number = f"{int(previous.split('.')[0]) + 1}.0.0" if previous else "1.0.0"
            super().publish(
                NewVersion(
                    new.track, new.name, number, compute_sha256(canonical), canonical, "safe", False, previous
                ),
                now,
            )
        return super().publish(new, now)


def test_a_concurrent_publish_is_retried_on_fresh_state() -> None:
    service = RegistryService(RacingStorage(rivals=1))
    outcome = service.publish("v2", "md.T", CLOSED)
    # The rival's 1.0.0 is CLOSED plus a description, so ours was re-judged against it: docs-only.
    assert [v.version for v in service.versions("v2", "md.T")] == ["1.0.0", "1.0.1"]
    assert outcome.record.version.classification == "docs-only"


def test_a_subject_that_keeps_moving_is_a_conflict() -> None:
    service = RegistryService(RacingStorage(rivals=100), max_attempts=3)
    with pytest.raises(ConcurrentModification, match="3 attempts"):
        service.publish("v2", "md.T", CLOSED)
