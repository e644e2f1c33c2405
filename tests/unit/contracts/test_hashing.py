"""Canonical hashing: invariances that must hold and changes that must be seen."""

from __future__ import annotations

import hashlib
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mdp.contracts import CanonicalizationError, canonicalize, compute_sha256

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=30,
)


def _reorder(value: object) -> object:
    if isinstance(value, dict):
        return {key: _reorder(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [_reorder(item) for item in value]
    return value


@given(json_values)
@settings(max_examples=300)
def test_key_order_and_whitespace_do_not_change_the_hash(value: object) -> None:
    compact = json.dumps(value, separators=(",", ":"))
    spaced = json.dumps(_reorder(value), indent=3)
    assert compute_sha256(compact) == compute_sha256(spaced) == compute_sha256(compact.encode())


@given(st.dictionaries(st.text(max_size=8), json_scalars, min_size=1, max_size=6), st.data())
@settings(max_examples=200)
def test_any_value_change_changes_the_hash(value: dict[str, object], data: st.DataObject) -> None:
    key = data.draw(st.sampled_from(sorted(value)))
    replacement = data.draw(json_scalars.filter(lambda item: not _same_json(item, value[key])))
    changed = {**value, key: replacement}
    assert compute_sha256(value) != compute_sha256(changed)


def _same_json(left: object, right: object) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return left is right
    if isinstance(left, int | float) and isinstance(right, int | float):
        return float(left) == float(right)
    return left == right


def test_integer_and_float_spellings_are_equal() -> None:
    assert compute_sha256('{"maximum": 1}') == compute_sha256('{"maximum": 1.0}')
    assert compute_sha256('{"x": 1e2}') == compute_sha256('{"x": 100}')


def test_unicode_escapes_are_equal() -> None:
    assert compute_sha256('{"d": "caf\\u00e9"}') == compute_sha256('{"d": "café"}')


def test_hash_is_sha256_of_the_jcs_form() -> None:
    content = {"b": [1, 2.5, "x"], "a": {"z": None, "y": True}}
    assert canonicalize(content) == b'{"a":{"y":true,"z":null},"b":[1,2.5,"x"]}'
    assert compute_sha256(content) == hashlib.sha256(canonicalize(content)).hexdigest()


def test_big_integers_keep_exact_identity() -> None:
    beyond = 2**53 + 1
    assert compute_sha256({"maximum": beyond}) != compute_sha256({"maximum": 2**53})
    assert canonicalize({"maximum": 2**64}) == b'{"maximum":18446744073709551616}'
    # An exact integer and its rounded float literal are different documents.
    assert compute_sha256({"maximum": 2**64}) != compute_sha256({"maximum": float(2**64)})
    # The same digits as JCS prints a float denote the same double.
    assert compute_sha256({"m": 18446744073709552000}) == compute_sha256({"m": float(2**64)})
    assert canonicalize({"n": -(2**70)}) == b'{"n":-1180591620717411303424}'


def test_big_integer_placeholder_cannot_collide_with_strings() -> None:
    sneaky = {"a": "\x00mdp-bigint:0", "b": 2**64}
    encoded = canonicalize(sneaky)
    assert b'"b":18446744073709551616' in encoded
    assert b'"a":"\\u0000mdp-bigint:0"' in encoded


@pytest.mark.parametrize("bad", ["{", "[1,]", "NaN", b"\xff\xfe", ""])
def test_malformed_text_is_a_clear_error(bad: str | bytes) -> None:
    with pytest.raises(CanonicalizationError, match="not valid JSON"):
        compute_sha256(bad)


def test_nan_and_non_string_keys_are_rejected() -> None:
    with pytest.raises(CanonicalizationError):
        compute_sha256({"x": math.nan})
    with pytest.raises(CanonicalizationError):
        compute_sha256({1: "x"})  # type: ignore[dict-item]


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    deep: object = 1
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(CanonicalizationError):
        compute_sha256({"x": deep})
