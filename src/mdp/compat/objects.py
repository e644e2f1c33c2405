"""Object keywords: properties under open / closed / partially open content models, required, dependencies.

The *content model* of an object schema, for one property name, is what the schema says about that name
when it is not declared in ``properties``:

* **open**: anything goes (no matching ``patternProperties``, ``additionalProperties`` absent or ``true``);
* **closed**: rejected (``additionalProperties: false`` or ``unevaluatedProperties: false``);
* **partially open**: must match a schema (a matching ``patternProperties`` or a schema-valued
  ``additionalProperties``); adding or removing the property is then safe exactly when the declared schema
  and that schema agree, which the differ checks with a trial comparison (``*_IS_COVERED_*`` /
  ``*_NOT_COVERED_*``).

An added property is classified by the *old* schema's model (could an old writer have sent it?), a removed
one by the *new* schema's model (will a new reader still accept it?), as Confluent does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from mdp.compat.errors import InvalidSchemaError
from mdp.compat.keywords import (
    Path,
    dependencies,
    is_empty_schema,
    pointer,
    schema_map,
    string_list,
    subschema,
)
from mdp.compat.normalize import Document
from mdp.compat.rules import RULES

if TYPE_CHECKING:
    from mdp.compat.diff import Differ, Finding


@lru_cache(maxsize=1024)
def _regex(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except (re.error, OverflowError) as exc:
        # Python's re covers the ECMA-262 subset schemas use in practice; \p{...} classes are not in it.
        raise InvalidSchemaError(
            f"patternProperties key {pattern!r} is not a regular expression mdp can evaluate: {exc}"
        ) from exc


def rest_schema(doc: Document, schema: Mapping[str, Any], name: str, where: Path) -> Any:
    """The schema an undeclared property ``name`` must match (``True`` when the model is open for it)."""
    patterns = schema_map(schema, "patternProperties", where)
    matching = [sub for pattern, sub in patterns.items() if _regex(pattern).search(name)]
    if len(matching) == 1:
        return matching[0]
    if matching:
        merged = {"allOf": matching}
        doc.keep.append(merged)
        return merged
    for keyword in ("additionalProperties", "unevaluatedProperties"):
        value = subschema(schema, keyword, where)
        if value is not None and not is_empty_schema(doc.resolve(value, (*where, keyword))):
            return value
    return True


def _model(doc: Document, rest: Any, where: Path) -> str:
    resolved = doc.resolve(rest, where)
    if resolved is False:
        return "closed"
    return "open" if is_empty_schema(resolved) else "partial"


def _has_default(doc: Document, schema: Any, where: Path) -> bool:
    return isinstance(schema, Mapping) and "default" in doc.resolve(schema, where)


def compare_object(d: Differ, old: Mapping[str, Any], new: Mapping[str, Any], where: Path) -> list[Finding]:
    found: list[Finding] = []
    old_props = schema_map(old, "properties", where)
    new_props = schema_map(new, "properties", where)
    old_required = string_list(old.get("required", []), where, "required")
    new_required = string_list(new.get("required", []), where, "required")
    if old_props or new_props:
        found.extend(_properties(d, old, new, old_props, new_props, set(new_required), where))
    if old_required != new_required:
        found.extend(_required(d, old_required, new_required, new_props, where))
    for keyword, prefix in (("additionalProperties", "ADDITIONAL_PROPERTIES"),
                            ("unevaluatedProperties", "UNEVALUATED_PROPERTIES")):  # fmt: skip
        if keyword in old or keyword in new:
            found.extend(additional(d, old, new, keyword, keyword, prefix, where))
    if "patternProperties" in old or "patternProperties" in new:
        found.extend(_patterns(d, old, new, where))
    if any(k in old or k in new for k in ("dependencies", "dependentRequired", "dependentSchemas")):
        found.extend(_dependencies(d, old, new, where))
    if "propertyNames" in old or "propertyNames" in new:
        before = subschema(old, "propertyNames", where)
        after = subschema(new, "propertyNames", where)
        found.extend(d.optional(before, after, "propertyNames", where))
    return found


def _properties(
    d: Differ,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    old_props: Mapping[str, Any],
    new_props: Mapping[str, Any],
    new_required: set[str],
    where: Path,
) -> list[Finding]:
    found: list[Finding] = []
    for name, before in old_props.items():
        segments = ("properties", name)
        if name in new_props:
            found.extend(d.sub(before, new_props[name], segments, where))
        else:
            found.append(_removed(d, new, name, before, where + segments))
    for name, after in new_props.items():
        if name not in old_props:
            found.append(_added(d, old, name, after, name in new_required, (*where, "properties", name)))
    return found


def _added(d: Differ, old: Mapping[str, Any], name: str, after: Any, required: bool, at: Path) -> Finding:
    where = at[:-2]
    rest = rest_schema(d.old_doc, old, name, where)
    model = _model(d.old_doc, rest, at)
    segments = ("properties", name)
    if model == "partial":
        trial, ok = d.trial(rest, after, (), at)
        kind = f"PROPERTY_ADDED_{'IS' if ok else 'NOT'}_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
        return d.found(kind, segments, new=after, name=name, detail=reasons(d, trial))
    if model == "open" and is_empty_schema(d.new_doc.resolve(after, at)):
        return d.found(
            "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL", segments, new=after, name=name
        )
    openness = "OPEN" if model == "open" else "UNOPEN"
    if required:
        with_default = "_WITH_DEFAULT" if _has_default(d.new_doc, after, at) else ""
        kind = f"REQUIRED_PROPERTY{with_default}_ADDED_TO_{openness}_CONTENT_MODEL"
    else:
        kind = f"OPTIONAL_PROPERTY_ADDED_TO_{openness}_CONTENT_MODEL"
    return d.found(kind, segments, new=after, name=name)


def _removed(d: Differ, new: Mapping[str, Any], name: str, before: Any, at: Path) -> Finding:
    where = at[:-2]
    rest = rest_schema(d.new_doc, new, name, where)
    model = _model(d.new_doc, rest, at)
    segments = ("properties", name)
    if model == "open":
        return d.found("PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL", segments, old=before, name=name)
    if model == "closed":
        forbidden = d.old_doc.resolve(before, at) is False
        kind = f"PROPERTY{'_WITH_FALSE' if forbidden else ''}_REMOVED_FROM_CLOSED_CONTENT_MODEL"
        return d.found(kind, segments, old=before, name=name)
    trial, ok = d.trial(before, rest, (), at)
    kind = f"PROPERTY_REMOVED_{'IS' if ok else 'NOT'}_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
    return d.found(kind, segments, old=before, name=name, detail=reasons(d, trial))


def reasons(d: Differ, trial: list[Finding]) -> str:
    """``" (MAXIMUM_DECREASED at #/maximum, ...)"`` for the disallowed changes of a trial comparison."""
    bad = [f for f in trial if not RULES[f.kind].allows(d.policy)]
    if not bad:
        return ""
    listed = ", ".join(f"{f.kind} at {pointer(f.path)}" for f in bad[:3])
    more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
    return f" ({listed}{more})"


def _required(
    d: Differ, old_required: list[str], new_required: list[str], new_props: Mapping[str, Any], where: Path
) -> list[Finding]:
    found: list[Finding] = []
    before = set(old_required)
    after = set(new_required)
    for name in dict.fromkeys(new_required):
        if name not in before:
            prop = new_props.get(name)
            at = (*where, "properties", name)
            if prop is not None and _has_default(d.new_doc, prop, at):
                default = d.new_doc.resolve(prop, at)["default"]
                found.append(
                    d.found(
                        "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED", ("required", name), new=default, name=name
                    )
                )
            else:
                found.append(d.found("REQUIRED_ATTRIBUTE_ADDED", ("required", name), name=name))
    found.extend(
        d.found("REQUIRED_ATTRIBUTE_REMOVED", ("required", name), name=name)
        for name in dict.fromkeys(old_required)
        if name not in after
    )
    return found


def additional(
    d: Differ,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    old_kw: str,
    new_kw: str,
    prefix: str,
    where: Path,
) -> list[Finding]:
    """``additionalProperties``-style keywords: permitted or not, constrained or not, then the schemas."""
    before = subschema(old, old_kw, where)
    after = subschema(new, new_kw, where)
    before_r = True if before is None else d.old_doc.resolve(before, (*where, old_kw))
    after_r = True if after is None else d.new_doc.resolve(after, (*where, new_kw))
    segments = (new_kw if after is not None else old_kw,)
    if (before_r is False) != (after_r is False):
        kind = f"{prefix}_ADDED" if before_r is False else f"{prefix}_REMOVED"
        return [d.found(kind, segments, old=before, new=after)]
    if before_r is False:
        return []
    before_any = is_empty_schema(before_r)
    after_any = is_empty_schema(after_r)
    if before_any and after_any:
        return []
    if before_any or after_any:
        kind = f"{prefix}_NARROWED" if before_any else f"{prefix}_EXTENDED"
        return [d.found(kind, segments, old=before, new=after)]
    return d.sub(before, after, segments, where)


def _patterns(d: Differ, old: Mapping[str, Any], new: Mapping[str, Any], where: Path) -> list[Finding]:
    found: list[Finding] = []
    before = schema_map(old, "patternProperties", where)
    after = schema_map(new, "patternProperties", where)
    for pattern in dict.fromkeys([*before, *after]):
        _regex(pattern)
        segments = ("patternProperties", pattern)
        if pattern in before and pattern in after:
            found.extend(d.sub(before[pattern], after[pattern], segments, where))
            continue
        # A pattern that appears or disappears takes over from (or hands back to) additionalProperties.
        if pattern in after:
            fallback = _fallback(d.old_doc, old, where)
            if fallback is True:
                found.append(
                    d.found(
                        "SCHEMA_ADDED", segments, new=after[pattern], keyword=f"patternProperties {pattern}"
                    )
                )
            else:
                found.extend(d.sub(fallback, after[pattern], segments, where))
        else:
            fallback = _fallback(d.new_doc, new, where)
            if fallback is True:
                found.append(
                    d.found(
                        "SCHEMA_REMOVED",
                        segments,
                        old=before[pattern],
                        keyword=f"patternProperties {pattern}",
                    )
                )
            else:
                found.extend(d.sub(before[pattern], fallback, segments, where))
    return found


def _fallback(doc: Document, schema: Mapping[str, Any], where: Path) -> Any:
    value = subschema(schema, "additionalProperties", where)
    if value is None or is_empty_schema(doc.resolve(value, (*where, "additionalProperties"))):
        return True
    return value


def _dependencies(d: Differ, old: Mapping[str, Any], new: Mapping[str, Any], where: Path) -> list[Finding]:
    found: list[Finding] = []
    old_arrays, old_schemas = dependencies(old, where)
    new_arrays, new_schemas = dependencies(new, where)
    for name in dict.fromkeys([*old_arrays, *new_arrays]):
        if name in old_arrays and name in new_arrays:
            (_, before), (keyword, after) = old_arrays[name], new_arrays[name]
            if set(before) == set(after):
                continue
            if set(after) > set(before):
                kind = "DEPENDENCY_ARRAY_EXTENDED"
            elif set(after) < set(before):
                kind = "DEPENDENCY_ARRAY_NARROWED"
            else:
                kind = "DEPENDENCY_ARRAY_CHANGED"
            found.append(d.found(kind, (keyword, name), old=before, new=after, name=name))
        elif name in new_arrays:
            keyword, after = new_arrays[name]
            found.append(d.found("DEPENDENCY_ARRAY_ADDED", (keyword, name), new=after, name=name))
        else:
            keyword, before = old_arrays[name]
            found.append(d.found("DEPENDENCY_ARRAY_REMOVED", (keyword, name), old=before, name=name))
    for name in dict.fromkeys([*old_schemas, *new_schemas]):
        if name in old_schemas and name in new_schemas:
            keyword = new_schemas[name][0]
            found.extend(d.sub(old_schemas[name][1], new_schemas[name][1], (keyword, name), where))
        elif name in new_schemas:
            keyword, after = new_schemas[name]
            found.append(d.found("DEPENDENCY_SCHEMA_ADDED", (keyword, name), new=after, name=name))
        else:
            keyword, before = old_schemas[name]
            found.append(d.found("DEPENDENCY_SCHEMA_REMOVED", (keyword, name), old=before, name=name))
    return found


__all__ = ["additional", "compare_object", "reasons", "rest_schema"]
