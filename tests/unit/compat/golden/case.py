"""The shape of a golden case and the small schema builders the case modules share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

BOTH = ("2020-12", "draft-07")
MODERN = ("2020-12",)
DRAFT7 = ("draft-07",)
DIALECTS = {
    "2020-12": "https://json-schema.org/draft/2020-12/schema",
    "draft-07": "http://json-schema.org/draft-07/schema#",
}

S: dict[str, Any] = {"type": "string"}
I: dict[str, Any] = {"type": "integer"}
N: dict[str, Any] = {"type": "number"}
NULL: dict[str, Any] = {"type": "null"}


@dataclass(frozen=True)
class Case:
    """``changes`` are ``"KIND #/pointer"`` strings (Confluent's test style), compared as a multiset."""

    id: str
    old: Any
    new: Any
    changes: tuple[str, ...]
    strict: bool
    lenient: bool
    drafts: tuple[str, ...] = BOTH


def case(
    id: str,
    old: Any,
    new: Any,
    changes: str | list[str],
    strict: bool,
    lenient: bool | None = None,
    drafts: tuple[str, ...] = BOTH,
) -> Case:
    """``changes``: one string with changes separated by ``;`` or a list; ``lenient`` defaults to ``strict``."""
    listed = [c.strip() for c in changes.split(";")] if isinstance(changes, str) else changes
    return Case(
        id, old, new, tuple(c for c in listed if c), strict, strict if lenient is None else lenient, drafts
    )


def obj(
    properties: dict[str, Any] | None = None, required: list[str] | None = None, **keywords: Any
) -> dict[str, Any]:
    """An object schema: ``{"type": "object", "properties": ..., "required": ..., **keywords}``."""
    schema: dict[str, Any] = {"type": "object"}
    if properties is not None:
        schema["properties"] = properties
    if required is not None:
        schema["required"] = required
    schema.update(keywords)
    return schema


def closed(properties: dict[str, Any], required: list[str] | None = None, **keywords: Any) -> dict[str, Any]:
    return obj(properties, required, additionalProperties=False, **keywords)


def with_dialect(schema: Any, draft: str) -> Any:
    if isinstance(schema, dict) and "$schema" not in schema:
        return {"$schema": DIALECTS[draft], **schema}
    return schema
