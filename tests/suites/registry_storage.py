"""The abstract test suite of the schema storage port, subclassed once per adapter.

A subclass provides the ``storage`` fixture (and, for durable adapters, ``reopen``): every behaviour the
registry relies on is asserted here once and holds for memory, SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from mdp.compat.model import Mode, Policy
from mdp.contracts.hashing import canonicalize, compute_sha256
from mdp.registry.errors import ConcurrentModification, InvalidVersion, SubjectNotFound, TrackNotFound
from mdp.registry.storage.base import NewVersion, SchemaStorage

T0 = datetime(2026, 11, 25, 17, 30, tzinfo=UTC)


def schema(marker: str) -> dict[str, Any]:
    return {"type": "object", "title": marker}


def new_version(
    name: str,
    version: str,
    content: Any,
    previous: str | None,
    *,
    track: str = "v1",
    classification: str = "safe",
    forced: bool = False,
) -> NewVersion:
    canonical = canonicalize(content)
    return NewVersion(
        track, name, version, compute_sha256(canonical), canonical, classification, forced, previous
    )


class SchemaStorageSuite:
    """Behaviour every :class:`SchemaStorage` adapter must have."""

    durable = False

    @pytest.fixture
    def storage(self) -> SchemaStorage:
        raise NotImplementedError

    @pytest.fixture
    def reopen(self) -> Callable[[], SchemaStorage]:
        pytest.skip("not a durable adapter")

    # -- tracks ------------------------------------------------------------------------------------
    def test_starts_with_tracks_v1_and_v2(self, storage: SchemaStorage) -> None:
        tracks = {config.track: config for config in storage.list_tracks()}
        assert set(tracks) == {"v1", "v2"}
        assert (tracks["v1"].compatibility, tracks["v1"].policy) == (Mode.FULL_TRANSITIVE, Policy.LENIENT)
        assert (tracks["v2"].compatibility, tracks["v2"].policy) == (Mode.NONE, Policy.LENIENT)
        assert storage.revisions() == {"v1": 0, "v2": 0}
        assert storage.get_track("v9") is None

    def test_put_track_creates_and_updates_but_keeps_revision(self, storage: SchemaStorage) -> None:
        created = storage.put_track("v7", Mode.BACKWARD, Policy.STRICT, T0)
        assert (created.track, created.compatibility, created.policy, created.revision) == (
            "v7", Mode.BACKWARD, Policy.STRICT, 0,
        )  # fmt: skip
        storage.publish(new_version("md.A", "1.0.0", schema("a"), None, track="v7"), T0)
        updated = storage.put_track("v7", Mode.FORWARD, Policy.LENIENT, T0)
        assert (updated.compatibility, updated.policy, updated.revision) == (Mode.FORWARD, Policy.LENIENT, 1)
        assert storage.get_track("v7") == updated
        assert [config.track for config in storage.list_tracks()] == ["v1", "v2", "v7"]

    # -- publish -----------------------------------------------------------------------------------
    def test_publish_writes_subject_version_schema_and_one_event(self, storage: SchemaStorage) -> None:
        view, event = storage.publish(
            new_version("md.Bar", "1.0.0", schema("a"), None, classification="initial"), T0
        )
        assert (view.subject.state, view.subject.created_at, view.subject.updated_at) == ("active", T0, T0)
        assert (view.latest.version, view.latest.seq, view.latest.classification) == ("1.0.0", 1, "initial")
        assert view.latest.sha256 == compute_sha256(schema("a"))
        stored = storage.get_schema(view.latest.schema_id)
        assert stored is not None
        assert stored.content() == schema("a")
        assert storage.get_schema_by_sha(view.latest.sha256) == stored
        assert event.type == "schema.published"
        assert (event.track, event.name) == ("v1", "md.Bar")
        assert event.payload == {
            "event_id": event.id, "track": "v1", "name": "md.Bar", "version": "1.0.0",
            "sha256": view.latest.sha256, "schema_id": view.latest.schema_id, "previous_version": None,
            "previous_sha256": None, "classification": "initial", "forced": False,
            "published_at": T0.timestamp(),
        }  # fmt: skip
        assert storage.events(0, 100) == [event]
        assert storage.revisions()["v1"] == event.id

    def test_versions_are_numbered_in_publish_order(self, storage: SchemaStorage) -> None:
        storage.publish(new_version("md.Bar", "1.0.0", schema("a"), None), T0)
        storage.publish(new_version("md.Bar", "1.1.0", schema("b"), "1.0.0"), T0 + timedelta(seconds=1))
        view, event = storage.publish(new_version("md.Bar", "2.0.0", schema("c"), "1.1.0", forced=True), T0)
        assert [(v.version, v.seq) for v in storage.list_versions("v1", "md.Bar")] == [
            ("1.0.0", 1), ("1.1.0", 2), ("2.0.0", 3),
        ]  # fmt: skip
        assert view.latest.forced
        assert event.payload["previous_version"] == "1.1.0"
        assert event.payload["previous_sha256"] == compute_sha256(schema("b"))
        latest = storage.get_latest("v1", "md.Bar")
        assert latest is not None
        assert latest.latest.version == "2.0.0"
        found = storage.get_version("v1", "md.Bar", "1.1.0")
        assert found is not None
        assert found.sha256 == compute_sha256(schema("b"))
        assert storage.get_version("v1", "md.Bar", "9.9.9") is None

    def test_same_content_shares_one_global_id(self, storage: SchemaStorage) -> None:
        first, _ = storage.publish(new_version("md.A", "1.0.0", schema("same"), None), T0)
        second, _ = storage.publish(new_version("md.B", "1.0.0", schema("same"), None, track="v2"), T0)
        third, _ = storage.publish(new_version("md.C", "1.0.0", schema("other"), None), T0)
        assert first.latest.schema_id == second.latest.schema_id != third.latest.schema_id
        found = storage.get_schemas([first.latest.schema_id, third.latest.schema_id, 999_999])
        assert set(found) == {first.latest.schema_id, third.latest.schema_id}

    def test_stale_expected_previous_is_a_concurrent_modification(self, storage: SchemaStorage) -> None:
        storage.publish(new_version("md.Bar", "1.0.0", schema("a"), None), T0)
        with pytest.raises(ConcurrentModification):
            storage.publish(new_version("md.Bar", "1.1.0", schema("b"), None), T0)
        with pytest.raises(ConcurrentModification):
            storage.publish(new_version("md.New", "1.1.0", schema("b"), "1.0.0"), T0)
        assert len(storage.events(0, 100)) == 1
        assert [v.version for v in storage.list_versions("v1", "md.Bar")] == ["1.0.0"]

    def test_an_existing_version_string_is_refused(self, storage: SchemaStorage) -> None:
        storage.publish(new_version("md.Bar", "1.0.0", schema("a"), None), T0)
        storage.publish(new_version("md.Bar", "2.0.0", schema("b"), "1.0.0"), T0)
        with pytest.raises(InvalidVersion):
            storage.publish(new_version("md.Bar", "1.0.0", schema("c"), "2.0.0"), T0)
        assert len(storage.events(0, 100)) == 2

    def test_unknown_track_is_refused(self, storage: SchemaStorage) -> None:
        with pytest.raises(TrackNotFound):
            storage.publish(new_version("md.Bar", "1.0.0", schema("a"), None, track="v9"), T0)
        with pytest.raises(TrackNotFound):
            storage.track_index("v9")
        with pytest.raises(TrackNotFound):
            storage.deprecate("v9", "md.Bar", "gone", T0)
        assert storage.events(0, 100) == []

    # -- deprecate ---------------------------------------------------------------------------------
    def test_deprecate_writes_one_event_and_is_idempotent(self, storage: SchemaStorage) -> None:
        storage.publish(new_version("md.Bar", "1.0.0", schema("a"), None), T0)
        later = T0 + timedelta(minutes=5)
        view, event = storage.deprecate("v1", "md.Bar", "use md.BarV2", later)
        assert (view.subject.state, view.subject.deprecated_reason, view.subject.updated_at) == (
            "deprecated", "use md.BarV2", later,
        )  # fmt: skip
        assert event is not None
        assert event.type == "schema.deprecated"
        assert event.payload == {
            "event_id": event.id, "track": "v1", "name": "md.Bar", "version": "1.0.0",
            "sha256": compute_sha256(schema("a")), "reason": "use md.BarV2",
            "deprecated_at": later.timestamp(),
        }  # fmt: skip
        again, none = storage.deprecate("v1", "md.Bar", "other reason", later + timedelta(minutes=1))
        assert none is None
        assert again.subject.deprecated_reason == "use md.BarV2"
        assert len(storage.events(0, 100)) == 2
        with pytest.raises(SubjectNotFound):
            storage.deprecate("v1", "md.Nope", "gone", T0)

    def test_publishing_reactivates_a_deprecated_subject(self, storage: SchemaStorage) -> None:
        storage.publish(new_version("md.Bar", "1.0.0", schema("a"), None), T0)
        storage.deprecate("v1", "md.Bar", "old", T0)
        view, _ = storage.publish(
            new_version("md.Bar", "1.1.0", schema("b"), "1.0.0"), T0 + timedelta(hours=1)
        )
        assert (view.subject.state, view.subject.deprecated_reason) == ("active", None)
        assert view.subject.created_at == T0
        latest = storage.get_latest("v1", "md.Bar")
        assert latest is not None
        assert latest.subject.state == "active"

    # -- reads -------------------------------------------------------------------------------------
    def test_track_index_lists_latest_versions_sorted_by_name(self, storage: SchemaStorage) -> None:
        storage.publish(new_version("md.Trade", "1.0.0", schema("t"), None), T0)
        storage.publish(new_version("md.Bar", "1.0.0", schema("a"), None), T0)
        storage.publish(new_version("md.Bar", "1.1.0", schema("b"), "1.0.0"), T0)
        storage.publish(new_version("md.Quote", "1.0.0", schema("q"), None, track="v2"), T0)
        _, last = storage.deprecate("v1", "md.Trade", "gone", T0)
        revision, views = storage.track_index("v1")
        assert last is not None
        assert revision == last.id
        assert [(v.subject.name, v.latest.version, v.subject.state) for v in views] == [
            ("md.Bar", "1.1.0", "active"), ("md.Trade", "1.0.0", "deprecated"),
        ]  # fmt: skip
        assert storage.track_index("v2")[0] == 4
        assert storage.revisions() == {"v1": 5, "v2": 4}

    def test_events_page_by_after_and_limit(self, storage: SchemaStorage) -> None:
        for index in range(5):
            storage.publish(new_version(f"md.S{index}", "1.0.0", schema(str(index)), None), T0)
        every = storage.events(0, 100)
        assert [event.id for event in every] == sorted(event.id for event in every)
        assert len(every) == 5
        assert len({event.id for event in every}) == 5
        assert storage.events(every[1].id, 2) == every[2:4]
        assert storage.events(every[-1].id, 10) == []
        assert [event.name for event in every] == [f"md.S{index}" for index in range(5)]

    def test_missing_things_read_as_none_or_empty(self, storage: SchemaStorage) -> None:
        assert storage.get_latest("v1", "md.Nope") is None
        assert storage.list_versions("v1", "md.Nope") == []
        assert storage.get_schema(12345) is None
        assert storage.get_schema_by_sha("0" * 64) is None
        assert storage.get_schemas([]) == {}

    def test_timestamps_come_back_as_aware_utc(self, storage: SchemaStorage) -> None:
        local = datetime(2026, 11, 25, 19, 30, 0, 123456, tzinfo=timezone(timedelta(hours=1)))
        storage.publish(new_version("md.Bar", "1.0.0", schema("a"), None), local)
        read = storage.get_latest("v1", "md.Bar")
        assert read is not None
        assert read.latest.created_at == local
        assert read.latest.created_at.utcoffset() == timedelta(0)
        assert storage.events(0, 1)[0].created_at.utcoffset() == timedelta(0)

    def test_boolean_schemas_are_stored(self, storage: SchemaStorage) -> None:
        view, _ = storage.publish(new_version("md.Any", "1.0.0", True, None), T0)
        stored = storage.get_schema(view.latest.schema_id)
        assert stored is not None
        assert stored.content() is True

    # -- concurrency -------------------------------------------------------------------------------
    def test_concurrent_publishers_never_share_a_version(self, storage: SchemaStorage) -> None:
        """Eight threads race to append versions; every attempt either wins cleanly or is refused."""
        outcomes: list[str] = []
        lock = threading.Lock()

        def publisher(worker: int) -> None:
            for attempt in range(5):
                latest = storage.get_latest("v1", "md.Race")
                previous = latest.latest.version if latest else None
                number = 1 + (int(previous.split(".")[0]) if previous else 0)
                try:
                    storage.publish(
                        new_version("md.Race", f"{number}.0.0", schema(f"{worker}-{attempt}"), previous), T0
                    )
                    result = "won"
                except (ConcurrentModification, InvalidVersion):
                    result = "lost"
                with lock:
                    outcomes.append(result)

        threads = [threading.Thread(target=publisher, args=(worker,)) for worker in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        versions = storage.list_versions("v1", "md.Race")
        wins = outcomes.count("won")
        assert len(outcomes) == 40
        assert wins == len(versions) >= 1
        assert [v.seq for v in versions] == list(range(1, wins + 1))
        assert [v.version for v in versions] == [f"{n}.0.0" for n in range(1, wins + 1)]
        published = [event for event in storage.events(0, 1000) if event.name == "md.Race"]
        assert len(published) == wins

    # -- durability --------------------------------------------------------------------------------
    def test_everything_survives_a_restart(
        self, storage: SchemaStorage, reopen: Callable[[], SchemaStorage]
    ) -> None:
        storage.publish(new_version("md.Bar", "1.0.0", schema("a"), None), T0)
        storage.deprecate("v1", "md.Bar", "old", T0)
        storage.put_track("v3", Mode.BACKWARD, Policy.STRICT, T0)
        before = (storage.track_index("v1"), storage.events(0, 100), storage.list_tracks())
        storage.close()
        again = reopen()
        try:
            assert (again.track_index("v1"), again.events(0, 100), again.list_tracks()) == before
        finally:
            again.close()
