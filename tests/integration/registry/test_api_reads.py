"""Reads through the API: index, latest, versions, global ids, ETag / 304, not-found codes."""

from __future__ import annotations

import httpx

from mdp.contracts.hashing import compute_sha256
from tests.integration.registry.conftest import ADMIN, CLOSED, closed, error_code, publish


async def test_index_lists_latest_versions_sorted_by_name(client: httpx.AsyncClient) -> None:
    assert (await client.get("/schemas/v1")).json() == {"track": "v1", "revision": 0, "schemas": []}
    await publish(client, "v1", "md.Zed", CLOSED)
    await publish(client, "v1", "md.Bar", CLOSED)
    await publish(client, "v1", "md.Bar", closed(description="d"))
    await publish(client, "v2", "md.Other", CLOSED)
    index = (await client.get("/schemas/v1")).json()
    assert index["track"] == "v1"
    assert [(s["name"], s["version"]) for s in index["schemas"]] == [("md.Bar", "1.0.1"), ("md.Zed", "1.0.0")]
    assert index["schemas"][0]["sha256"] == compute_sha256(closed(description="d"))
    assert set(index["schemas"][0]) == {"name", "version", "sha256", "schema_id", "state", "updated_at"}
    events = (await client.get("/events")).json()["events"]
    assert index["revision"] == max(e["id"] for e in events if e["track"] == "v1")


async def test_index_etag_and_304(client: httpx.AsyncClient) -> None:
    first = await client.get("/schemas/v1")
    etag = first.headers["etag"]
    assert etag.startswith('"')
    assert etag.endswith('"')
    cached = await client.get("/schemas/v1", headers={"If-None-Match": etag})
    assert cached.status_code == 304
    assert cached.content == b""
    assert cached.headers["etag"] == etag
    assert (await client.get("/schemas/v1", headers={"If-None-Match": '"other", ' + etag})).status_code == 304
    await publish(client, "v1", "md.T", CLOSED)
    changed = await client.get("/schemas/v1", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert changed.json()["schemas"][0]["name"] == "md.T"
    # Another track's change does not invalidate v2's ETag.
    v2 = (await client.get("/schemas/v2")).headers["etag"]
    await publish(client, "v1", "md.U", CLOSED)
    assert (await client.get("/schemas/v2", headers={"If-None-Match": v2})).status_code == 304


async def test_latest_and_versions(client: httpx.AsyncClient) -> None:
    await publish(client, "v1", "md.T", CLOSED)
    await publish(client, "v1", "md.T", closed(description="d"))
    latest = await client.get("/schemas/v1/md.T")
    assert latest.json()["version"] == "1.0.1"
    assert latest.json()["content"] == closed(description="d")
    assert latest.headers["etag"] == f'"{compute_sha256(closed(description="d"))}"'
    assert (
        await client.get("/schemas/v1/md.T", headers={"If-None-Match": latest.headers["etag"]})
    ).status_code == 304
    assert (await client.get("/schemas/v1/md.T/versions/latest")).json() == latest.json()
    old = (await client.get("/schemas/v1/md.T/versions/1.0.0")).json()
    assert (old["version"], old["content"], old["classification"]) == ("1.0.0", CLOSED, "initial")
    versions = (await client.get("/schemas/v1/md.T/versions")).json()
    assert versions["track"] == "v1"
    assert versions["name"] == "md.T"
    assert [v["version"] for v in versions["versions"]] == ["1.0.0", "1.0.1"]
    assert set(versions["versions"][0]) == {
        "version",
        "sha256",
        "schema_id",
        "classification",
        "forced",
        "created_at",
    }


async def test_global_ids_and_sha_lookups(client: httpx.AsyncClient) -> None:
    first = (await publish(client, "v1", "md.A", CLOSED)).json()
    same = (await publish(client, "v2", "md.B", CLOSED)).json()
    assert same["schema_id"] == first["schema_id"]
    by_id = (await client.get(f"/schemas/ids/{first['schema_id']}")).json()
    assert by_id == {"schema_id": first["schema_id"], "sha256": first["sha256"], "content": CLOSED}
    assert (await client.get(f"/schemas/by-sha/{first['sha256']}")).json() == by_id
    assert (await client.get(f"/schemas/by-sha/{first['sha256'].upper()}")).json() == by_id
    assert error_code(await client.get("/schemas/ids/999999")) == 40403
    assert error_code(await client.get(f"/schemas/by-sha/{'0' * 64}")) == 40403
    assert error_code(await client.get("/schemas/by-sha/xyz")) == 42207


async def test_not_found_and_malformed_codes(client: httpx.AsyncClient) -> None:
    await publish(client, "v1", "md.T", CLOSED)
    assert error_code(await client.get("/schemas/v9")) == 40401
    assert error_code(await client.get("/schemas/v9/md.T")) == 40401
    assert error_code(await client.get("/schemas/v1/md.Nope")) == 40401
    assert error_code(await client.get("/schemas/v1/md.Nope/versions")) == 40401
    assert error_code(await client.get("/schemas/v1/md.T/versions/7.0.0")) == 40402
    assert error_code(await client.get("/schemas/v1/md.T/versions/7.0")) == 42202
    assert error_code(await client.get("/schemas/v1/md.T/versions/latest-ish")) == 42202
    assert error_code(await client.post("/schemas/v9/md.T", json={"content": CLOSED}, headers=ADMIN)) == 40401
    assert error_code(await client.get("/nothing/here")) == 40410
