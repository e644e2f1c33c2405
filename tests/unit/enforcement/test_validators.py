"""ValidatorCache: compiled once per sha256, hot-swapped per subject, bad schemas refused; error caps."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from mdp.contracts import compute_sha256
from mdp.contracts.bundled import bundled_schema
from mdp.enforcement import InvalidSchema, ValidatorCache, compile_schema
from mdp.enforcement.validators import extract_issues, json_pointer
from tests.unit.enforcement.conftest import bar_payload

V1_BAR = bundled_schema("v1", "md.Bar")
V2_BAR = bundled_schema("v2", "md.Bar")


def test_compile_checks_formats_and_reports_identity() -> None:
    compiled = compile_schema(V1_BAR)
    assert compiled.sha256 == compute_sha256(V1_BAR)
    assert compiled.is_valid(bar_payload())
    assert not compiled.is_valid(bar_payload(ts="yesterday"))  # format assertion is on


def test_compile_accepts_json_text_and_boolean_schemas() -> None:
    assert compile_schema(orjson.dumps(V1_BAR)).sha256 == compute_sha256(V1_BAR)
    assert compile_schema(True).is_valid({"anything": 1})
    assert not compile_schema(False).is_valid({})


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"type": "nope"}, "does not compile"),
        ({"pattern": "("}, "does not compile"),
        ({"$ref": "https://example.com/schemas/bar.json"}, "does not compile"),
        ({"properties": {"a": {"$ref": "http://169.254.169.254/latest"}}}, "does not compile"),
        ([1, 2], "must be an object or a boolean"),
        (b'{"type": ', "not valid JSON"),
        ("null", "must be an object or a boolean"),
    ],
)
def test_invalid_schemas_are_clear_errors(content: Any, message: str) -> None:
    with pytest.raises(InvalidSchema, match=message):
        compile_schema(content)


def test_announced_sha_must_match_content() -> None:
    with pytest.raises(InvalidSchema, match="not the announced"):
        compile_schema(V1_BAR, "0" * 64)


def test_same_content_compiles_once_and_is_shared() -> None:
    cache = ValidatorCache()
    quote_v1 = cache.swap("v1", "md.Quote", None, bundled_schema("v1", "md.Quote"))
    quote_v2 = cache.swap("v2", "md.Quote", None, bundled_schema("v2", "md.Quote"))
    assert quote_v1 is quote_v2  # v1 and v2 share md.Quote's content
    assert len(cache) == 1
    again = cache.swap("v1", "md.Quote", quote_v1.sha256, {"ignored": "content with a known sha"})
    assert again is quote_v1


def test_hot_swap_flips_a_message_and_drops_the_unused_validator() -> None:
    cache = ValidatorCache()
    v1 = cache.swap("v1", "md.Bar", None, V1_BAR)
    message = bar_payload()
    assert cache.get("v1", "md.Bar") is v1
    assert v1.is_valid(message)
    v2 = cache.swap("v1", "md.Bar", compute_sha256(V2_BAR), V2_BAR)
    current = cache.get("v1", "md.Bar")
    assert current is v2
    assert not current.is_valid(message)
    assert len(cache) == 1
    assert cache.bindings() == {("v1", "md.Bar"): v2.sha256}


def test_failed_swap_keeps_the_previous_validator() -> None:
    cache = ValidatorCache()
    v1 = cache.swap("v1", "md.Bar", None, V1_BAR)
    with pytest.raises(InvalidSchema):
        cache.swap("v1", "md.Bar", None, {"type": 12})
    assert cache.get("v1", "md.Bar") is v1


def test_unbind_forgets_only_unshared_validators() -> None:
    cache = ValidatorCache()
    cache.swap("v1", "md.Quote", None, bundled_schema("v1", "md.Quote"))
    cache.swap("v2", "md.Quote", None, bundled_schema("v2", "md.Quote"))
    assert cache.unbind("v1", "md.Quote")
    assert len(cache) == 1
    assert cache.get("v2", "md.Quote") is not None
    assert cache.unbind("v2", "md.Quote")
    assert len(cache) == 0
    assert not cache.unbind("v2", "md.Quote")


def test_errors_carry_pointer_message_and_keyword() -> None:
    compiled = compile_schema(V1_BAR)
    issues = extract_issues(compiled, bar_payload(open=-1.0, timeframe="2m"))
    by_path = {issue.path: issue for issue in issues}
    assert by_path["/open"].keyword == "exclusiveMinimum"
    assert "-1.0 is less than or equal to the minimum of 0" in by_path["/open"].message
    assert by_path["/timeframe"].keyword == "enum"
    missing = extract_issues(compiled, {k: v for k, v in bar_payload().items() if k != "volume"})
    assert [(i.path, i.keyword) for i in missing] == [("", "required")]
    assert '"volume" is a required property' in missing[0].message


def test_errors_are_capped_in_count_and_length() -> None:
    schema = {"type": "array", "items": {"type": "string", "maxLength": 3}}
    compiled = compile_schema(schema)
    issues = extract_issues(compiled, ["x" * 1000] * 50, max_errors=10, max_length=300)
    assert len(issues) == 10
    assert all(len(issue.message) <= 300 for issue in issues)
    assert issues[0].message.endswith("…")
    assert [issue.path for issue in issues] == [f"/{i}" for i in range(10)]


def test_json_pointer_escapes_per_rfc_6901() -> None:
    assert json_pointer([]) == ""
    assert json_pointer(["a/b", "c~d", 3]) == "/a~1b/c~0d/3"
    compiled = compile_schema({"properties": {"a/b": {"properties": {"c~d": {"type": "integer"}}}}})
    assert extract_issues(compiled, {"a/b": {"c~d": "x"}})[0].path == "/a~1b/c~0d"
