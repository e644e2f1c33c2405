"""The cache: index diffs, atomic per-track snapshots, and distrust of what is read back from disk."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from mdp.client.cache import SchemaCache, content_sha256
from mdp.client.diff import SchemaChange, content_changes, missing_contents
from mdp.client.models import IndexEntry, SchemaRecord, TrackIndex

WHEN = datetime(2026, 11, 25, 17, 30, tzinfo=UTC)


def content(title: str) -> dict[str, object]:
    return {"type": "object", "title": title}


def entry(name: str, body: object, version: str = "1.0.0", state: str = "active") -> IndexEntry:
    return IndexEntry(
        name=name,
        version=version,
        sha256=content_sha256(body),
        schema_id=1,
        state=state,
        updated_at=WHEN,  # type: ignore[arg-type]
    )


def index(*entries: IndexEntry, revision: int = 1) -> TrackIndex:
    return TrackIndex(track="v1", revision=revision, schemas=entries)


def fill(cache: SchemaCache, *bodies: tuple[str, object], etag: str = '"e1"') -> None:
    entries = [entry(name, body) for name, body in bodies]
    fetched = {item.sha256: body for item, (_, body) in zip(entries, bodies, strict=True)}
    cache.apply_index(index(*entries), etag, fetched)  # type: ignore[arg-type]


def test_content_changes_and_missing_contents() -> None:
    changes = content_changes("v1", {"a": "1", "b": "2", "gone": "3"}, {"a": "1", "b": "9", "new": "4"})
    assert changes == [
        SchemaChange("v1", "b", "2", "9"),
        SchemaChange("v1", "gone", "3", None),
        SchemaChange("v1", "new", None, "4"),
    ]
    assert [change.kind for change in changes] == ["replaced", "removed", "added"]
    assert missing_contents(["x", "y", "x", "z"], {"y"}) == ["x", "z"]


def test_apply_index_adds_replaces_removes_and_keeps_boolean_schemas() -> None:
    cache = SchemaCache()
    fill(cache, ("a", content("a")), ("b", content("b")), ("f", False))
    false_record = cache.get("v1", "f")
    assert false_record is not None
    assert false_record.content is False
    new_b = entry("b", content("b2"), version="2.0.0")
    changed, changes, complete = cache.apply_index(
        index(entry("a", content("a")), new_b, entry("f", False)), '"e2"', {new_b.sha256: content("b2")}
    )
    assert changed
    assert complete
    assert [(c.name, c.kind) for c in changes] == [("b", "replaced")]
    changed, changes, complete = cache.apply_index(index(entry("a", content("a"))), '"e3"', {})
    assert [(c.name, c.kind) for c in changes] == [("b", "removed"), ("f", "removed")]
    assert cache.get("v1", "b") is None
    assert cache.etag("v1") == '"e3"'


def test_a_missing_content_leaves_the_old_record_and_forgets_the_etag() -> None:
    cache = SchemaCache()
    fill(cache, ("a", content("a")))
    changed, changes, complete = cache.apply_index(index(entry("a", content("a2"))), '"e2"', {})
    assert not complete
    assert changes == []
    assert not changed
    record = cache.get("v1", "a")
    assert record is not None
    assert record.content == content("a")
    assert cache.etag("v1") is None


def test_snapshot_round_trip_is_atomic_and_leaves_no_temp_files(tmp_path: Path) -> None:
    cache = SchemaCache(tmp_path)
    fill(cache, ("md.A", content("a")), ("md.B", True))
    assert cache.save("v1")
    assert not cache.save("v1"), "nothing changed: no second write"
    assert sorted(os.listdir(tmp_path)) == ["v1.json"]
    restored = SchemaCache(tmp_path)
    assert restored.load() == 2
    assert restored.records("v1") == cache.records("v1")
    assert restored.etag("v1") == '"e1"'
    assert restored.index("v1") == cache.index("v1")


def test_an_older_snapshot_never_overwrites_a_newer_one(tmp_path: Path) -> None:
    cache = SchemaCache(tmp_path)
    fill(cache, ("md.A", content("a")))
    old_generation, old_data = cache.snapshot("v1")
    fill(cache, ("md.A", content("a")), ("md.B", content("b")), etag='"e2"')
    assert cache.save("v1")
    assert not cache.write_snapshot("v1", old_generation, old_data)
    assert len(orjson.loads((tmp_path / "v1.json").read_bytes())["records"]) == 2


def test_tampered_records_are_dropped_with_the_etag(tmp_path: Path) -> None:
    cache = SchemaCache(tmp_path)
    fill(cache, ("md.A", content("a")), ("md.B", content("b")))
    cache.save("v1")
    document = orjson.loads((tmp_path / "v1.json").read_bytes())
    document["records"][0]["content"]["title"] = "tampered"
    (tmp_path / "v1.json").write_bytes(orjson.dumps(document))
    restored = SchemaCache(tmp_path)
    assert restored.load() == 1
    assert restored.get("v1", "md.A") is None
    assert restored.get("v1", "md.B") is not None
    assert restored.etag("v1") is None, "a partial snapshot must not earn a 304"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("v1.json", b"{not json"),
        ("v1.json", b"[]"),
        ("v1.json", orjson.dumps({"format": 99, "track": "v1", "records": []})),
        ("v1.json", orjson.dumps({"format": 1, "track": "v2", "records": []})),
        ("v1.json", b"\xff\xfe\x00"),
        ("../v1.json", b"{}"),
        ("notatrack.json", orjson.dumps({"format": 1, "track": "notatrack", "records": []})),
    ],
)
def test_unreadable_snapshots_are_ignored(tmp_path: Path, name: str, data: bytes) -> None:
    directory = tmp_path / "cache"
    directory.mkdir()
    (directory / name).write_bytes(data)
    cache = SchemaCache(directory)
    assert cache.load() == 0
    assert cache.tracks() == []


def test_records_with_hostile_names_are_dropped(tmp_path: Path) -> None:
    record = SchemaRecord(
        track="v1",
        name="md.A",
        version="1.0.0",
        sha256=content_sha256(True),
        schema_id=1,
        state="active",
        content=True,
    ).model_dump()
    document = {
        "format": 1,
        "track": "v1",
        "etag": None,
        "index": None,
        "records": [record, {**record, "name": "../x"}],
    }
    (tmp_path / "v1.json").write_bytes(orjson.dumps(document, default=str))
    cache = SchemaCache(tmp_path)
    assert cache.load() == 1
    assert [r.name for r in cache.records("v1")] == ["md.A"]


def test_put_reports_content_changes_only(tmp_path: Path) -> None:
    cache = SchemaCache(tmp_path)
    base = SchemaRecord(
        track="v1",
        name="md.A",
        version="1.0.0",
        sha256=content_sha256(True),
        schema_id=1,
        state="active",
        content=True,
    )
    assert cache.put(base) == (True, SchemaChange("v1", "md.A", None, base.sha256))
    assert cache.put(base) == (False, None)
    deprecated = base.model_copy(update={"state": "deprecated"})
    assert cache.put(deprecated) == (True, None)


def test_integers_beyond_64_bits_survive_the_snapshot(tmp_path: Path) -> None:
    # orjson would write/read them as floats and the content would no longer match its sha256.
    body = {"type": "integer", "maximum": 2**70, "minimum": -(2**65)}
    cache = SchemaCache(tmp_path)
    fill(cache, ("md.Big", body))
    assert cache.save("v1")
    restored = SchemaCache(tmp_path)
    assert restored.load() == 1
    record = restored.get("v1", "md.Big")
    assert record is not None
    assert record.content == body
    assert restored.etag("v1") == '"e1"'
