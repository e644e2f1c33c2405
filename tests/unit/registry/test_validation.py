"""What the registry accepts as names and schemas; nothing is ever fetched."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from mdp.contracts.bundled import bundled_track
from mdp.contracts.hashing import canonicalize
from mdp.registry.errors import InvalidName, InvalidSchema, SchemaTooLarge
from mdp.registry.validation import KNOWN_DIALECTS, accept_schema, check_name, check_track


def accept(content: Any, *, max_bytes: int = 262_144, max_depth: int = 64) -> bytes:
    return accept_schema(content, max_bytes=max_bytes, max_depth=max_depth).canonical


@pytest.mark.parametrize("name", ["md.Bar", "telemetry.FeedbackEvent", "a", "A1_b.c2", "x" * 200])
def test_good_names(name: str) -> None:
    assert check_name(name) == name


@pytest.mark.parametrize(
    "name",
    ["", "..", "md..Bar", "md/Bar", "/etc/passwd", "md\x00Bar", ".md", "md.", "1md", "md-Bar", "x" * 201],
)
def test_bad_names(name: str) -> None:
    with pytest.raises(InvalidName):
        check_name(name)


@pytest.mark.parametrize(
    ("track", "ok"), [("v1", True), ("v999", True), ("v1000", False), ("V1", False), ("1", False)]
)
def test_tracks(track: str, ok: bool) -> None:
    if ok:
        assert check_track(track) == track
    else:
        with pytest.raises(InvalidName):
            check_track(track)


@pytest.mark.parametrize("track", ["v1", "v2"])
def test_every_bundled_contract_is_accepted(track: str) -> None:
    for schema in bundled_track(track).values():
        assert accept(schema) == canonicalize(schema)


def test_booleans_are_schemas() -> None:
    assert accept(True) == b"true"
    assert accept(False) == b"false"


@pytest.mark.parametrize("content", [42, "schema", [], None, 1.5])
def test_non_objects_are_refused(content: Any) -> None:
    with pytest.raises(InvalidSchema, match="object or a boolean"):
        accept(content)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ({"type": "strin"}, "meta-schema"),
        ({"properties": {"a": {"minLength": -1}}}, "meta-schema"),
        ({"$schema": "http://json-schema.org/draft-04/schema#", "exclusiveMinimum": 3}, "meta-schema"),
        ({"pattern": "("}, "compile"),
        ({"$ref": "#/$defs/missing"}, "compile"),
        ({"$schema": "https://example.com/my-dialect"}, "unknown $schema"),
        ({"$schema": 7}, "unknown $schema"),
    ],
)
def test_invalid_schemas_say_why(content: dict[str, Any], fragment: str) -> None:
    with pytest.raises(InvalidSchema, match=fragment.replace("$", r"\$")):
        accept(content)


def test_every_known_dialect_is_accepted_and_absent_means_2020_12() -> None:
    for dialect in KNOWN_DIALECTS:
        accept({"$schema": dialect, "type": "string"})
    # prefixItems only exists in 2020-12: as an array it is valid there, as a number it is not.
    accept({"prefixItems": [{"type": "string"}]})
    with pytest.raises(InvalidSchema):
        accept({"prefixItems": 3})


@pytest.fixture
def trap() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server that records every request: any hit means something was fetched."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"type": "string"}')

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    "make",
    [
        lambda url: {"$ref": f"{url}/remote.json"},
        lambda url: {"properties": {"a": {"$ref": f"{url}/remote.json#/x"}}},
        lambda url: {"$defs": {"x": {"$dynamicRef": f"{url}/d.json"}}},
        lambda url: {"$id": f"{url}/root.json", "$ref": "other.json"},
        lambda url: {"items": [{"$recursiveRef": f"{url}/r"}]},
    ],
)
def test_remote_references_are_refused_and_never_fetched(trap: tuple[str, list[str]], make: Any) -> None:
    url, hits = trap
    with pytest.raises(InvalidSchema, match="not allowed"):
        accept(make(url))
    assert hits == []


def test_an_unknown_dialect_url_is_never_fetched(trap: tuple[str, list[str]]) -> None:
    url, hits = trap
    with pytest.raises(InvalidSchema, match="unknown"):
        accept({"$schema": f"{url}/meta.json", "type": "string"})
    assert hits == []


def test_local_references_are_fine() -> None:
    accept({"$defs": {"a": {"type": "string"}}, "properties": {"x": {"$ref": "#/$defs/a"}}})
    accept({"$defs": {"n": {"$anchor": "node", "type": "object"}}, "items": {"$ref": "#node"}})


def test_size_and_depth_limits() -> None:
    nested: dict[str, Any] = {"type": "object"}
    for _ in range(70):
        nested = {"properties": {"x": nested}}
    with pytest.raises(SchemaTooLarge, match="deeper"):
        accept(nested)
    big = {"description": "x" * 5000}
    with pytest.raises(SchemaTooLarge, match="bytes"):
        accept(big, max_bytes=4096)
    assert accept(big, max_bytes=8192)
