"""The one behavioural suite of the ``SchemaProvider`` port; every adapter subclasses it.

A subclass provides the ``provider`` fixture: a provider that knows ``v1/md.Bar`` (with the bundled v1
content, or any content whose sha256 it reports correctly) and nothing called ``v1/md.Missing``.
"""

from __future__ import annotations

import pytest

from mdp.contracts import compute_sha256
from mdp.enforcement import SchemaProvider, compile_schema


class SchemaProviderSuite:
    @pytest.fixture
    def provider(self) -> SchemaProvider:
        raise NotImplementedError

    def test_is_a_schema_provider(self, provider: SchemaProvider) -> None:
        assert isinstance(provider, SchemaProvider)

    def test_known_subject_has_content_matching_its_sha256(self, provider: SchemaProvider) -> None:
        found = provider.lookup("v1", "md.Bar")
        assert found is not None
        sha256, content = found
        assert sha256 == compute_sha256(content)  # type: ignore[arg-type]
        assert compile_schema(content, sha256).sha256 == sha256

    def test_lookup_is_stable(self, provider: SchemaProvider) -> None:
        first, second = provider.lookup("v1", "md.Bar"), provider.lookup("v1", "md.Bar")
        assert first is not None
        assert second is not None
        assert first[0] == second[0]

    @pytest.mark.parametrize(
        ("track", "name"),
        [("v1", "md.Missing"), ("v9", "md.Bar"), ("v1", "../md.Bar"), ("", ""), ("v1", "md.bar")],
    )
    def test_unknown_subjects_are_none(self, provider: SchemaProvider, track: str, name: str) -> None:
        assert provider.lookup(track, name) is None
