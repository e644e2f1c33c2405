"""Array keywords: tuples under open / closed / partially open content models, items, contains, uniqueItems.

A tuple (``prefixItems`` in 2020-12, ``items: [...]`` in draft 7) has a content model given by the schema of
the items after it (``items`` in 2020-12, ``additionalItems`` in draft 7): open when absent or ``true``,
closed when ``false``, partially open when a schema. Added and removed tuple positions are classified
exactly like properties (see :mod:`mdp.compat.objects`): an added position by the old model, a removed one
by the new model. Without a tuple on either side, ``items`` is simply the schema of every item.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mdp.compat.keywords import ItemsView, Path, flag, is_empty_schema, items_view, subschema
from mdp.compat.normalize import Document
from mdp.compat.objects import additional, reasons

if TYPE_CHECKING:
    from mdp.compat.diff import Differ, Finding


def compare_array(d: Differ, old: Mapping[str, Any], new: Mapping[str, Any], where: Path) -> list[Finding]:
    found: list[Finding] = []
    before = items_view(old, where)
    after = items_view(new, where)
    if before.prefix is not None or after.prefix is not None:
        found.extend(_tuple(d, old, new, before, after, where))
    elif before.rest is not None or after.rest is not None:
        found.extend(d.optional(_constraint(d.old_doc, before.rest, where),
                                _constraint(d.new_doc, after.rest, where), "items", where))  # fmt: skip
    if "contains" in old or "contains" in new:
        found.extend(
            d.optional(
                subschema(old, "contains", where), subschema(new, "contains", where), "contains", where
            )
        )
    unique_before = flag(old, "uniqueItems", where)
    unique_after = flag(new, "uniqueItems", where)
    if unique_before != unique_after:
        kind = "UNIQUE_ITEMS_ADDED" if unique_after else "UNIQUE_ITEMS_REMOVED"
        found.append(d.found(kind, ("uniqueItems",), old=unique_before, new=unique_after))
    return found


def _constraint(doc: Document, schema: Any, where: Path) -> Any:
    """``None`` for a missing or accept-anything subschema, else the subschema."""
    if schema is None or is_empty_schema(doc.resolve(schema, where)):
        return None
    return schema


def _model(doc: Document, rest: Any, where: Path) -> str:
    resolved = True if rest is None else doc.resolve(rest, where)
    if resolved is False:
        return "closed"
    return "open" if is_empty_schema(resolved) else "partial"


def _tuple(
    d: Differ,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    before: ItemsView,
    after: ItemsView,
    where: Path,
) -> list[Finding]:
    found = additional(d, old, new, before.rest_keyword, after.rest_keyword, "ADDITIONAL_ITEMS", where)
    old_items = list(before.prefix or [])
    new_items = list(after.prefix or [])
    keyword = after.prefix_keyword if after.prefix is not None else before.prefix_keyword
    for index in range(max(len(old_items), len(new_items))):
        segments = (keyword, str(index))
        at = where + segments
        name = str(index)
        if index < len(old_items) and index < len(new_items):
            found.extend(d.sub(old_items[index], new_items[index], segments, where))
        elif index < len(new_items):
            item = new_items[index]
            model = _model(d.old_doc, before.rest, at)
            if model == "partial":
                trial, ok = d.trial(before.rest, item, (), at)
                kind = f"ITEM_ADDED_{'IS' if ok else 'NOT'}_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
                found.append(d.found(kind, segments, new=item, name=name, detail=reasons(d, trial)))
            elif model == "closed":
                found.append(d.found("ITEM_ADDED_TO_CLOSED_CONTENT_MODEL", segments, new=item, name=name))
            elif is_empty_schema(d.new_doc.resolve(item, at)):
                found.append(
                    d.found(
                        "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL", segments, new=item, name=name
                    )
                )
            else:
                found.append(d.found("ITEM_ADDED_TO_OPEN_CONTENT_MODEL", segments, new=item, name=name))
        else:
            item = old_items[index]
            model = _model(d.new_doc, after.rest, at)
            if model == "partial":
                trial, ok = d.trial(item, after.rest, (), at)
                kind = f"ITEM_REMOVED_{'IS' if ok else 'NOT'}_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
                found.append(d.found(kind, segments, old=item, name=name, detail=reasons(d, trial)))
            elif model == "open":
                found.append(d.found("ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL", segments, old=item, name=name))
            else:
                forbidden = d.old_doc.resolve(item, at) is False
                kind = f"ITEM{'_WITH_FALSE' if forbidden else ''}_REMOVED_FROM_CLOSED_CONTENT_MODEL"
                found.append(d.found(kind, segments, old=item, name=name))
    return found


__all__ = ["compare_array"]
