"""Compiled validators, keyed by schema sha256, bound to (track, name) and hot-swapped on change.

A schema is compiled once per canonical sha256 with jsonschema-rs (formats asserted, ``offline=True`` so
no ``$ref`` is ever fetched). Several subjects with the same content share one validator (v1 and v2 share
most contracts). :meth:`ValidatorCache.swap` compiles the new content *before* rebinding, so a schema that
does not compile raises :class:`InvalidSchema` and the subject keeps validating with its previous version;
a validator no subject uses any more is dropped.

Errors are extracted only for messages that already failed ``is_valid`` (the hot path never pays for
them), capped in count and in message length.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema_rs

from mdp.contracts.errors import ContractError
from mdp.contracts.hashing import compute_sha256, parse_json
from mdp.enforcement.errors import InvalidSchema
from mdp.enforcement.model import ValidationIssue

DEFAULT_MAX_ERRORS = 10
DEFAULT_MAX_MESSAGE_LENGTH = 300

SchemaContent = Mapping[str, Any] | bool


@dataclass(frozen=True, slots=True)
class CompiledSchema:
    """A compiled validator and the sha256 of the canonical content it was compiled from."""

    sha256: str
    validator: jsonschema_rs.Validator
    root_is_object: bool = False  # the schema only admits objects, so passing implies a dict

    def is_valid(self, instance: Any) -> bool:
        return self.validator.is_valid(instance)


def _as_document(content: SchemaContent | str | bytes) -> SchemaContent:
    if isinstance(content, str | bytes):
        try:
            parsed = parse_json(content)
        except ContractError as exc:
            raise InvalidSchema(f"schema is not valid JSON: {exc}") from exc
        content = parsed
    if not isinstance(content, Mapping | bool):
        raise InvalidSchema(f"a JSON Schema must be an object or a boolean, got {type(content).__name__}")
    return content


def _identify(content: SchemaContent | str | bytes, sha256: str | None) -> tuple[SchemaContent, str]:
    """The parsed document and its canonical sha256 (checked against ``sha256`` when given)."""
    document = _as_document(content)
    try:
        actual = compute_sha256(document)  # type: ignore[arg-type]  # booleans canonicalise too
    except ContractError as exc:
        raise InvalidSchema(f"schema cannot be canonicalised: {exc}") from exc
    if sha256 is not None and sha256 != actual:
        raise InvalidSchema(f"schema content hashes to {actual}, not the announced {sha256}")
    return document, actual


def _compile(document: SchemaContent, sha256: str) -> CompiledSchema:
    try:
        schema = document if isinstance(document, bool) else dict(document)
        validator = jsonschema_rs.validator_for(schema, validate_formats=True, offline=True)
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        # jsonschema_rs.ValidationError (a ValueError) for meta-schema violations and unresolvable refs.
        text = str(exc).strip()
        raise InvalidSchema(
            f"schema does not compile: {text.splitlines()[0] if text else type(exc).__name__}"
        ) from exc
    root_is_object = isinstance(document, Mapping) and document.get("type") in ("object", ["object"])
    return CompiledSchema(sha256, validator, root_is_object)


def compile_schema(content: SchemaContent | str | bytes, sha256: str | None = None) -> CompiledSchema:
    """Compile ``content`` (checking ``sha256`` against it when given); :class:`InvalidSchema` if it can't."""
    return _compile(*_identify(content, sha256))


def json_pointer(parts: Iterable[str | int]) -> str:
    """RFC 6901 pointer for an instance path (``""`` is the whole document)."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def extract_issues(
    compiled: CompiledSchema,
    instance: Any,
    *,
    max_errors: int = DEFAULT_MAX_ERRORS,
    max_length: int = DEFAULT_MAX_MESSAGE_LENGTH,
) -> tuple[ValidationIssue, ...]:
    """Up to ``max_errors`` reasons ``instance`` fails, each message at most ``max_length`` characters."""
    issues: list[ValidationIssue] = []
    for error in itertools.islice(compiled.validator.iter_errors(instance), max_errors):
        schema_path = list(error.schema_path)
        keyword = schema_path[-1] if schema_path and isinstance(schema_path[-1], str) else None
        issues.append(
            ValidationIssue(json_pointer(error.instance_path), _clip(error.message, max_length), keyword)
        )
    if not issues:  # is_valid said no; never hand back an unexplained failure
        issues.append(ValidationIssue("", "does not match the schema", None))
    return tuple(issues)


class ValidatorCache:
    """Compiled validators by sha256 plus the (track, name) -> current validator bindings.

    Not locked: it is meant for one event loop, and each mutation replaces a dict entry atomically.
    """

    def __init__(self) -> None:
        self._by_sha: dict[str, CompiledSchema] = {}
        self._bindings: dict[tuple[str, str], CompiledSchema] = {}

    def get(self, track: str, name: str) -> CompiledSchema | None:
        """The validator currently bound to ``track``/``name``, if any (the hot-path lookup)."""
        return self._bindings.get((track, name))

    def swap(
        self, track: str, name: str, sha256: str | None, content: SchemaContent | str | bytes
    ) -> CompiledSchema:
        """Bind ``track``/``name`` to ``content`` (compiled once per sha256) and return its validator.

        Raises :class:`InvalidSchema` (leaving the previous binding in place) when the content does not
        compile or does not hash to ``sha256``.
        """
        # A sha256 already compiled is trusted as is: identity is the hash, so nothing to recompute.
        compiled = self._by_sha.get(sha256) if sha256 is not None else None
        if compiled is None:
            document, actual = _identify(content, sha256)
            compiled = self._by_sha.get(actual) or _compile(document, actual)
            self._by_sha[actual] = compiled
        previous = self._bindings.get((track, name))
        self._bindings[(track, name)] = compiled
        if previous is not None and previous.sha256 != compiled.sha256:
            self._forget_if_unused(previous.sha256)
        return compiled

    def unbind(self, track: str, name: str) -> bool:
        """Forget ``track``/``name``'s validator; True if one was bound."""
        previous = self._bindings.pop((track, name), None)
        if previous is None:
            return False
        self._forget_if_unused(previous.sha256)
        return True

    def _forget_if_unused(self, sha256: str) -> None:
        if all(bound.sha256 != sha256 for bound in self._bindings.values()):
            self._by_sha.pop(sha256, None)

    def bindings(self) -> dict[tuple[str, str], str]:
        """(track, name) -> sha256 of every bound subject."""
        return {key: compiled.sha256 for key, compiled in self._bindings.items()}

    def __len__(self) -> int:
        """How many distinct validators are compiled (shared content counts once)."""
        return len(self._by_sha)


__all__ = [
    "DEFAULT_MAX_ERRORS",
    "DEFAULT_MAX_MESSAGE_LENGTH",
    "CompiledSchema",
    "SchemaContent",
    "ValidatorCache",
    "compile_schema",
    "extract_issues",
    "json_pointer",
]
