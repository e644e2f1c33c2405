"""Golden cases: item counts, uniqueness, items, and tuples under each content model in both drafts."""

from __future__ import annotations

from typing import Any

from tests.unit.compat.golden.case import DRAFT7, MODERN, Case, I, N, S, case

ARR: dict[str, Any] = {"type": "array"}


def _count_bounds(keyword: str, prefix: str, low: int, high: int, up_ok: bool) -> list[Case]:
    name = keyword.lower()
    return [
        case(f"{name}-added", ARR, {**ARR, keyword: low}, f"{prefix}_ADDED #/{keyword}", False),
        case(f"{name}-removed", {**ARR, keyword: low}, ARR, f"{prefix}_REMOVED #/{keyword}", True),
        case(f"{name}-increased", {**ARR, keyword: low}, {**ARR, keyword: high}, f"{prefix}_INCREASED #/{keyword}",
             up_ok),
        case(f"{name}-decreased", {**ARR, keyword: high}, {**ARR, keyword: low}, f"{prefix}_DECREASED #/{keyword}",
             not up_ok),
    ]  # fmt: skip


def tuple_schema(draft: str, items: list[Any], rest: Any = None) -> dict[str, Any]:
    """A tuple in the draft's spelling; ``rest`` is the schema of later items (``None``: absent)."""
    if draft == "2020-12":
        schema: dict[str, Any] = {**ARR, "prefixItems": items}
        if rest is not None:
            schema["items"] = rest
    else:
        schema = {**ARR, "items": items}
        if rest is not None:
            schema["additionalItems"] = rest
    return schema


def _tuples(draft: str) -> list[Case]:
    t = lambda items, rest=None: tuple_schema(draft, items, rest)  # noqa: E731
    drafts = MODERN if draft == "2020-12" else DRAFT7
    pos = "prefixItems" if draft == "2020-12" else "items"
    rest = "items" if draft == "2020-12" else "additionalItems"
    tag = "2020" if draft == "2020-12" else "d7"

    def c(id: str, old: Any, new: Any, changes: str, strict: bool, lenient: bool | None = None) -> Case:
        return case(f"{tag}-{id}", old, new, changes.replace("POS", pos).replace("REST", rest), strict, lenient,
                    drafts)  # fmt: skip

    return [
        c("additional-items-added", t([S], False), t([S]), "ADDITIONAL_ITEMS_ADDED #/REST", True),
        c("additional-items-added-schema", t([S], False), t([S], I), "ADDITIONAL_ITEMS_ADDED #/REST", True),
        c("additional-items-removed", t([S]), t([S], False), "ADDITIONAL_ITEMS_REMOVED #/REST", False, True),
        c("additional-items-extended", t([S], I), t([S]), "ADDITIONAL_ITEMS_EXTENDED #/REST", True),
        c("additional-items-narrowed", t([S]), t([S], I), "ADDITIONAL_ITEMS_NARROWED #/REST", False, True),
        c("additional-items-schema-changed", t([S], I), t([S], N), "TYPE_EXTENDED #/REST/type", True),
        c("item-changed", t([S, I]), t([S, N]), "TYPE_EXTENDED #/POS/1/type", True),
        c("item-added-to-open", t([S]), t([S, I]), "ITEM_ADDED_TO_OPEN_CONTENT_MODEL #/POS/1", False, True),
        c("item-with-empty-schema-added-to-open", t([S]), t([S, {}]),
          "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL #/POS/1", True),
        c("item-added-to-closed", t([S], False), t([S, I], False), "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL #/POS/1", True),
        c("item-removed-from-open", t([S, I]), t([S]), "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL #/POS/1", True),
        c("item-removed-from-closed", t([S, I], False), t([S], False),
          "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL #/POS/1", False, True),
        c("item-with-false-removed-from-closed", t([S, False], False), t([S], False),
          "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL #/POS/1", True),
        c("item-added-covered", t([S], I), t([S, N], I), "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/POS/1",
          True),
        c("item-added-not-covered", t([S], N), t([S, I], N),
          "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/POS/1", False, True),
        c("item-removed-covered", t([S, I], N), t([S], N),
          "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/POS/1", True),
        c("item-removed-not-covered", t([S, N], I), t([S], I),
          "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/POS/1", False, True),
        c("tuple-from-items", {**ARR, "items": S}, t([S], S),
          "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/POS/0", True),
    ]  # fmt: skip


CASES: list[Case] = [
    *_count_bounds("maxItems", "MAX_ITEMS", 2, 5, True),
    *_count_bounds("minItems", "MIN_ITEMS", 1, 3, False),
    case("min-items-zero-is-absent", ARR, {**ARR, "minItems": 0}, "", True),
    case("unique-items-added", ARR, {**ARR, "uniqueItems": True}, "UNIQUE_ITEMS_ADDED #/uniqueItems", False),
    case("unique-items-removed", {**ARR, "uniqueItems": True}, ARR, "UNIQUE_ITEMS_REMOVED #/uniqueItems", True),
    case("unique-items-false-is-absent", ARR, {**ARR, "uniqueItems": False}, "", True),
    case("items-extended", {**ARR, "items": I}, {**ARR, "items": N}, "TYPE_EXTENDED #/items/type", True),
    case("items-narrowed", {**ARR, "items": N}, {**ARR, "items": I}, "TYPE_NARROWED #/items/type", False),
    case("items-nested-object", {**ARR, "items": {"type": "object", "properties": {"a": S}}},
         {**ARR, "items": {"type": "object", "properties": {"a": S}, "required": ["a"]}},
         "REQUIRED_ATTRIBUTE_ADDED #/items/required/a", False),
    case("array-keywords-ignored-for-objects", {"type": "object", "maxItems": 3}, {"type": "object", "maxItems": 1}, "",
         True),
    *_tuples("2020-12"),
    *_tuples("draft-07"),
]  # fmt: skip
