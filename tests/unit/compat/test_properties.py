"""Properties that hold for any schemas: reflexivity, FORWARD = reversed BACKWARD, annotation edits are safe,
and random input never crashes or hangs (every call is time-bounded)."""

from __future__ import annotations

import copy
import time
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mdp.compat import CompatError, InvalidSchemaError, Mode, Policy, check, diff

NAMES = st.sampled_from(["a", "b", "c", "x_1"])
TYPES = st.sampled_from(["string", "integer", "number", "object", "array", "boolean", "null"])
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from([0.5, 2.0]), st.text(max_size=3)
)
REFS = st.sampled_from(["#/$defs/a", "#/$defs/b", "#"])

LEAF_KEYWORDS: dict[str, Any] = {
    "type": TYPES | st.lists(TYPES, min_size=1, max_size=3, unique=True),
    "enum": st.lists(SCALARS, min_size=1, max_size=3),
    "const": SCALARS,
    "maxLength": st.integers(0, 5),
    "minLength": st.integers(0, 5),
    "pattern": st.sampled_from(["^a", "b$", "^[0-9]+$"]),
    "format": st.sampled_from(["date-time", "email"]),
    "maximum": st.integers(-5, 5),
    "minimum": st.integers(-5, 5),
    "exclusiveMaximum": st.integers(-5, 5),
    "multipleOf": st.sampled_from([1, 2, 0.5, 3]),
    "maxItems": st.integers(0, 4),
    "minItems": st.integers(0, 4),
    "uniqueItems": st.booleans(),
    "maxProperties": st.integers(0, 4),
    "required": st.lists(NAMES, max_size=3, unique=True),
    "dependentRequired": st.dictionaries(NAMES, st.lists(NAMES, max_size=2, unique=True), max_size=2),
    "title": st.text(max_size=4),
    "description": st.text(max_size=4),
    "default": SCALARS,
    "$ref": REFS,
}
LEAVES = st.booleans() | st.fixed_dictionaries({}, optional=LEAF_KEYWORDS)


def _extend(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    schemas = st.lists(inner, min_size=1, max_size=3)
    return st.fixed_dictionaries(
        {},
        optional={
            **LEAF_KEYWORDS,
            "properties": st.dictionaries(NAMES, inner, max_size=3),
            "patternProperties": st.dictionaries(st.sampled_from(["^x", "^[ab]$"]), inner, max_size=2),
            "additionalProperties": inner,
            "unevaluatedProperties": inner,
            "propertyNames": inner,
            "dependentSchemas": st.dictionaries(NAMES, inner, max_size=2),
            "items": inner | schemas,
            "prefixItems": schemas,
            "additionalItems": inner,
            "contains": inner,
            "allOf": schemas,
            "anyOf": schemas,
            "oneOf": schemas,
            "not": inner,
            "if": inner,
        },
    )


SCHEMAS = st.recursive(LEAVES, _extend, max_leaves=12)


@st.composite
def documents(draw: st.DrawFn) -> Any:
    """A schema document whose local refs (#/$defs/a, #/$defs/b, #) may recurse or even cycle."""
    root = draw(SCHEMAS)
    if root is True or root is False:
        root = {"allOf": [root]}
    root = {**root, "$defs": {"a": draw(SCHEMAS), "b": draw(SCHEMAS)}}
    if draw(st.booleans()):
        root["$schema"] = "http://json-schema.org/draft-07/schema#"
    return root


ANNOTATIONS = ["title", "description", "examples", "$comment"]
DOCS = {"TITLE_CHANGED", "DESCRIPTION_CHANGED", "EXAMPLES_CHANGED", "COMMENT_CHANGED"}
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TIME_BOUND = 10.0  # seconds per call: observed worst ~0.5 s; generous for a loaded 2-core CI machine


def _timed_check(old: Any, new: Any, mode: str = "BACKWARD", policy: str = "STRICT") -> Any:
    started = time.perf_counter()
    try:
        return check(old, new, mode, policy)
    finally:
        assert time.perf_counter() - started < TIME_BOUND


@SETTINGS
@given(documents())
def test_a_schema_is_compatible_with_itself_with_zero_changes(schema: Any) -> None:
    try:
        result = _timed_check(schema, copy.deepcopy(schema), "FULL")
    except InvalidSchemaError:
        return  # e.g. a $ref cycle that never reaches a schema: rejected, not looped on
    assert result.compatible, result.explain()
    assert result.changes == ()
    assert result.label == "safe"


@SETTINGS
@given(documents(), documents(), st.sampled_from(list(Policy)))
def test_backward_of_old_new_is_forward_of_new_old(old: Any, new: Any, policy: Policy) -> None:
    try:
        backward = _timed_check(old, new, "BACKWARD", policy)
        forward = _timed_check(new, old, "FORWARD", policy)
    except CompatError:
        return
    assert backward.compatible is forward.compatible
    assert [(c.kind, c.path) for c in backward.breaking] == [(c.kind, c.path) for c in forward.breaking]


def _annotate(schema: Any, edits: list[tuple[str, str]], depth: int = 0) -> Any:
    """A copy of ``schema`` with annotation keywords set on the root and its property schemas."""
    if not isinstance(schema, dict) or depth > 3:
        return schema
    out = dict(schema)
    for keyword, value in edits:
        out[keyword] = [value] if keyword == "examples" else value
    if isinstance(out.get("properties"), dict):
        out["properties"] = {k: _annotate(v, edits, depth + 1) for k, v in out["properties"].items()}
    return out


@SETTINGS
@given(
    documents(),
    st.lists(st.tuples(st.sampled_from(ANNOTATIONS), st.text(max_size=5)), min_size=1, max_size=3),
)
def test_annotation_only_edits_are_compatible_under_every_mode(
    schema: Any, edits: list[tuple[str, str]]
) -> None:
    edited = _annotate(schema, edits)
    for mode in Mode:
        for policy in Policy:
            try:
                result = _timed_check(schema, edited, mode, policy)
            except InvalidSchemaError:
                return
            assert result.compatible, result.explain()
            assert result.label in ("docs-only", "safe")
            unexpected = [c for c in result.changes if c.kind not in DOCS]
            assert not unexpected, (schema, edited, result.explain())
            if result.changes:
                assert result.label == "docs-only"


def _containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)


JSON = st.recursive(SCALARS, _containers)


@SETTINGS
@given(documents() | JSON, documents() | JSON)
def test_random_input_never_crashes_or_hangs(old: Any, new: Any) -> None:
    started = time.perf_counter()
    try:
        changes = diff(old, new)
    except CompatError:
        return
    assert time.perf_counter() - started < TIME_BOUND
    assert all(c.path.startswith("#") and c.message for c in changes)
