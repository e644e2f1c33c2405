"""Publishing through the API on SQLite and PostgreSQL: versions, compatibility, deprecation, events."""

from __future__ import annotations

import httpx

from mdp.contracts.hashing import compute_sha256
from tests.integration.registry.conftest import ADMIN, CLOSED, closed, error_code, publish, with_property


async def event_count(client: httpx.AsyncClient) -> int:
    return len((await client.get("/events", params={"limit": 1000})).json()["events"])


async def test_first_publish_is_created_as_1_0_0(client: httpx.AsyncClient) -> None:
    response = await publish(client, "v1", "md.T", CLOSED)
    assert response.status_code == 201
    body = response.json()
    assert (body["track"], body["name"], body["version"], body["classification"]) == (
        "v1",
        "md.T",
        "1.0.0",
        "initial",
    )
    assert body["sha256"] == compute_sha256(CLOSED)
    assert response.headers["etag"] == f'"{body["sha256"]}"'
    assert body["content"] == CLOSED
    assert (body["state"], body["deprecated_reason"], body["compatibility"]) == ("active", None, None)
    assert body["created_at"].endswith("Z")
    latest = (await client.get("/schemas/v1/md.T")).json()
    assert latest == {key: value for key, value in body.items() if key != "compatibility"}


async def test_identical_republish_is_200_same_version_no_event(client: httpx.AsyncClient) -> None:
    first = (await publish(client, "v1", "md.T", CLOSED)).json()
    events = await event_count(client)
    reordered = dict(reversed(list(CLOSED.items())))
    again = await publish(client, "v1", "md.T", reordered)
    assert again.status_code == 200
    assert again.json()["version"] == first["version"] == "1.0.0"
    assert "compatibility" not in again.json()
    assert await event_count(client) == events
    assert len((await client.get("/schemas/v1/md.T/versions")).json()["versions"]) == 1


async def test_semver_follows_the_compatibility_label(client: httpx.AsyncClient) -> None:
    await publish(client, "v1", "md.T", CLOSED)
    documented = closed(description="documented")
    docs = (await publish(client, "v1", "md.T", documented)).json()
    assert (docs["version"], docs["classification"], docs["compatibility"]["label"]) == (
        "1.0.1",
        "docs-only",
        "docs-only",
    )
    # A closed model gaining an optional property: forward-incompatible only under STRICT; v1 is LENIENT.
    safe = (await publish(client, "v1", "md.T", with_property("b", {"type": "string"}, documented))).json()
    assert (safe["version"], safe["classification"]) == ("1.1.0", "safe")
    assert safe["compatibility"]["compatible"] is True
    assert safe["compatibility"]["mode"] == "FULL_TRANSITIVE"
    assert [c["kind"] for c in safe["compatibility"]["changes"]] == [
        "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"
    ]


async def test_breaking_change_is_409_on_v1_and_a_major_on_v2(client: httpx.AsyncClient) -> None:
    broken = with_property("a", {"type": "integer"})
    for track in ("v1", "v2"):
        assert (await publish(client, track, "md.T", CLOSED)).status_code == 201
    events = await event_count(client)
    refused = await publish(client, "v1", "md.T", broken)
    assert error_code(refused) == 40901
    body = refused.json()
    assert (body["mode"], body["policy"]) == ("FULL_TRANSITIVE", "LENIENT")
    assert body["breaking"]
    for change in body["breaking"]:
        assert set(change) == {"kind", "path", "message", "old", "new"}
        assert (change["kind"], change["path"]) == ("TYPE_CHANGED", "#/properties/a/type")
        assert change["message"]
    assert await event_count(client) == events
    assert (await client.get("/schemas/v1/md.T")).json()["version"] == "1.0.0"
    accepted = await publish(client, "v2", "md.T", broken)
    assert accepted.status_code == 201
    assert (accepted.json()["version"], accepted.json()["classification"]) == ("2.0.0", "breaking")
    assert accepted.json()["compatibility"]["compatible"] is True


async def test_force_publishes_a_breaking_change(client: httpx.AsyncClient) -> None:
    await publish(client, "v1", "md.T", CLOSED)
    forced = await publish(client, "v1", "md.T", with_property("a", {"type": "integer"}), force=True)
    assert forced.status_code == 201
    assert forced.json()["version"] == "2.0.0"
    assert forced.json()["compatibility"]["compatible"] is False
    versions = (await client.get("/schemas/v1/md.T/versions")).json()["versions"]
    assert [(v["version"], v["forced"], v["classification"]) for v in versions] == [
        ("1.0.0", False, "initial"),
        ("2.0.0", True, "breaking"),
    ]


async def test_client_supplied_versions(client: httpx.AsyncClient) -> None:
    assert (await publish(client, "v1", "md.T", CLOSED, version="0.9.0")).json()["version"] == "0.9.0"
    too_small = await publish(client, "v1", "md.T", closed(description="x"), version="0.9.0")
    assert error_code(too_small) == 42202
    malformed = await publish(client, "v1", "md.T", closed(description="x"), version="1.0")
    assert error_code(malformed) == 42202
    chosen = await publish(client, "v1", "md.T", closed(description="x"), version="3.1.4")
    assert chosen.json()["version"] == "3.1.4"


async def test_deprecate_writes_one_event_and_publishing_reactivates(client: httpx.AsyncClient) -> None:
    await publish(client, "v1", "md.T", CLOSED)
    before = (await client.get("/schemas/v1/md.T")).json()
    response = await client.post("/schemas/v1/md.T/deprecate", json={"reason": "use md.U"}, headers=ADMIN)
    assert response.status_code == 200
    body = response.json()
    assert (body["state"], body["deprecated_reason"], body["version"]) == ("deprecated", "use md.U", "1.0.0")
    assert body["updated_at"] > before["updated_at"]
    index = (await client.get("/schemas/v1")).json()
    assert index["schemas"][0]["state"] == "deprecated"
    events = (await client.get("/events")).json()["events"]
    assert [event["type"] for event in events] == ["schema.published", "schema.deprecated"]
    assert events[1]["payload"]["reason"] == "use md.U"
    again = await client.post("/schemas/v1/md.T/deprecate", json={"reason": "again"}, headers=ADMIN)
    assert again.status_code == 200
    assert again.json()["deprecated_reason"] == "use md.U"
    assert await event_count(client) == 2
    reactivated = await publish(client, "v1", "md.T", closed(description="back"))
    assert (reactivated.json()["state"], reactivated.json()["deprecated_reason"]) == ("active", None)
    missing = await client.post("/schemas/v1/md.Nope/deprecate", json={"reason": "x"}, headers=ADMIN)
    assert error_code(missing) == 40401
    empty = await client.post("/schemas/v1/md.T/deprecate", json={"reason": ""}, headers=ADMIN)
    assert error_code(empty) == 42207


async def test_config_get_and_put(client: httpx.AsyncClient) -> None:
    assert (await client.get("/config/v1")).json() == {
        "track": "v1",
        "compatibility": "FULL_TRANSITIVE",
        "policy": "LENIENT",
    }
    assert (await client.get("/config/v2")).json() == {
        "track": "v2",
        "compatibility": "NONE",
        "policy": "LENIENT",
    }
    put = await client.put(
        "/config/v2", json={"compatibility": "BACKWARD", "policy": "STRICT"}, headers=ADMIN
    )
    assert put.json() == {"track": "v2", "compatibility": "BACKWARD", "policy": "STRICT"}
    assert (await client.get("/config/v2")).json() == put.json()
    bad_mode = await client.put(
        "/config/v2", json={"compatibility": "SIDEWAYS", "policy": "STRICT"}, headers=ADMIN
    )
    assert error_code(bad_mode) == 42203
    bad_policy = await client.put(
        "/config/v2", json={"compatibility": "FULL", "policy": "MEDIUM"}, headers=ADMIN
    )
    assert error_code(bad_policy) == 42203
    assert error_code(await client.get("/config/v7")) == 40401
    created = await client.put("/config/v7", json={"compatibility": "FULL"}, headers=ADMIN)
    assert created.json() == {"track": "v7", "compatibility": "FULL", "policy": "LENIENT"}
    assert (await client.get("/schemas/v7")).json() == {"track": "v7", "revision": 0, "schemas": []}
    assert (await publish(client, "v7", "md.T", CLOSED)).status_code == 201


async def test_events_feed_is_ordered_and_pages_with_after(client: httpx.AsyncClient) -> None:
    for index in range(5):
        await publish(client, "v1", f"md.S{index}", CLOSED)
    await client.post("/schemas/v1/md.S0/deprecate", json={"reason": "r"}, headers=ADMIN)
    everything = (await client.get("/events")).json()
    ids = [event["id"] for event in everything["events"]]
    assert ids == sorted(ids)
    assert len(ids) == 6
    assert everything["last_id"] == ids[-1]
    assert [e["name"] for e in everything["events"]] == [f"md.S{i}" for i in range(5)] + ["md.S0"]
    page = (await client.get("/events", params={"after": ids[1], "limit": 2})).json()
    assert [event["id"] for event in page["events"]] == ids[2:4]
    assert page["last_id"] == ids[3]
    tail = (await client.get("/events", params={"after": ids[-1]})).json()
    assert tail == {"events": [], "last_id": ids[-1]}
    published = everything["events"][0]
    assert published["payload"]["event_id"] == published["id"]
    assert published["payload"]["schema_id"] >= 1
    assert error_code(await client.get("/events", params={"limit": 1001})) == 42207
    assert error_code(await client.get("/events", params={"after": -1})) == 42207
