"""The SchemaProvider suite for the in-memory and bundled adapters, plus their own specifics."""

from __future__ import annotations

import pytest

from mdp.contracts import compute_sha256
from mdp.contracts.bundled import bundled_schema
from mdp.enforcement import BundledSchemaProvider, InvalidSchema, MemorySchemaProvider, SchemaProvider
from tests.suites.schema_provider import SchemaProviderSuite


class TestMemoryProvider(SchemaProviderSuite):
    @pytest.fixture
    def provider(self) -> SchemaProvider:
        memory = MemorySchemaProvider()
        memory.put("v1", "md.Bar", bundled_schema("v1", "md.Bar"))
        return memory


class TestBundledProvider(SchemaProviderSuite):
    @pytest.fixture
    def provider(self) -> SchemaProvider:
        return BundledSchemaProvider()


def test_memory_put_replaces_and_remove_forgets() -> None:
    memory = MemorySchemaProvider()
    first = memory.put("v1", "md.Bar", bundled_schema("v1", "md.Bar"))
    second = memory.put("v1", "md.Bar", bundled_schema("v2", "md.Bar"))
    assert first != second
    assert memory.lookup("v1", "md.Bar") == (second, bundled_schema("v2", "md.Bar"))
    memory.remove("v1", "md.Bar")
    memory.remove("v1", "md.Bar")
    assert memory.lookup("v1", "md.Bar") is None


def test_memory_refuses_content_that_cannot_be_hashed() -> None:
    with pytest.raises(InvalidSchema, match="canonicalised"):
        MemorySchemaProvider().put("v1", "x.Y", {"maximum": float("nan")})


def test_bundled_serves_every_track() -> None:
    provider = BundledSchemaProvider()
    found = provider.lookup("v2", "md.Bar")
    assert found is not None
    assert found[0] == compute_sha256(bundled_schema("v2", "md.Bar"))
