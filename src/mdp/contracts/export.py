"""Generate the JSON Schema of every contract from its pydantic model (pure: returns dicts).

``mdp contracts export`` writes these to ``src/mdp/contracts/schemas/<track>/<name>.json``; a test keeps the
checked-in files equal to what the models generate, so the models and the bundled schemas cannot drift.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from mdp.contracts.catalog import CONTRACTS

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def contract_schema(model: type[BaseModel], name: str) -> dict[str, Any]:
    """The draft 2020-12 JSON Schema of ``model``, titled with its registry name."""
    generated = model.model_json_schema(by_alias=True, mode="validation")
    schema: dict[str, Any] = {"$schema": JSON_SCHEMA_DIALECT, **generated, "title": name}
    return schema


def export_track(track: str) -> dict[str, dict[str, Any]]:
    """Every bundled schema of ``track``, keyed by name."""
    return {name: contract_schema(model, name) for name, model in sorted(CONTRACTS[track].items())}


def render(schema: dict[str, Any]) -> bytes:
    """The on-disk form of a bundled schema: 2-space indented, keys sorted, trailing newline."""
    import json  # stdlib json for stable, human-diffable indentation

    return (json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


__all__ = ["JSON_SCHEMA_DIALECT", "contract_schema", "export_track", "render"]
