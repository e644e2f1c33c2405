"""The native REST API (``docs/registry.md``; the contract with the client SDK is REGISTRY_API).

Reads are anonymous and served from :class:`~mdp.registry.reads.ReadCache`; writes need the admin bearer
token, read their body through :func:`mdp.web.limits.read_json_body` (size, UTF-8, depth) and run the
synchronous use cases in the threadpool. Registry errors become the stable ``{"error_code", "message"}``
envelope here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from mdp.registry import wire
from mdp.registry.errors import (
    ConcurrentModification,
    IncompatibleSchema,
    InvalidCompatibility,
    InvalidInput,
    InvalidSchema,
    InvalidVersion,
    RegistryError,
    SchemaNotFound,
    SchemaTooLarge,
    StorageError,
    SubjectNotFound,
    TrackNotFound,
    VersionNotFound,
)
from mdp.registry.metrics import RegistryMetrics
from mdp.registry.reads import Encoded, ReadCache, etag_matches
from mdp.registry.service import RegistryService
from mdp.registry.validation import MAX_NAME_LENGTH
from mdp.settings import TRACK_PATTERN
from mdp.web.auth import AdminAuth
from mdp.web.errors import ApiError, ErrorCode, error_response
from mdp.web.limits import read_json_body

JSON = "application/json"
NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$"

Track = Annotated[str, Path(pattern=TRACK_PATTERN, description="Track, e.g. v1.", examples=["v1"])]
Name = Annotated[
    str,
    Path(pattern=NAME_PATTERN, max_length=MAX_NAME_LENGTH, description="Schema name.", examples=["md.Bar"]),
]
# Declares the bearer scheme in OpenAPI (the "Authorize" button of /docs); AdminAuth does the checking.
_BEARER = HTTPBearer(auto_error=False, description="Authorization: Bearer $ADMIN_TOKEN")
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)]
IfNoneMatch = Annotated[str | None, Header(description="An ETag from an earlier response.")]

_ERROR_CODES: tuple[tuple[type[RegistryError], ErrorCode], ...] = (
    (TrackNotFound, ErrorCode.SUBJECT_NOT_FOUND),
    (SubjectNotFound, ErrorCode.SUBJECT_NOT_FOUND),
    (VersionNotFound, ErrorCode.VERSION_NOT_FOUND),
    (SchemaNotFound, ErrorCode.SCHEMA_NOT_FOUND),
    (InvalidSchema, ErrorCode.INVALID_SCHEMA),
    (SchemaTooLarge, ErrorCode.PAYLOAD_TOO_LARGE),
    (IncompatibleSchema, ErrorCode.INCOMPATIBLE_SCHEMA),
    (InvalidVersion, ErrorCode.INVALID_VERSION),
    (InvalidCompatibility, ErrorCode.INVALID_COMPATIBILITY_LEVEL),
    (InvalidInput, ErrorCode.INVALID_INPUT),
    (ConcurrentModification, ErrorCode.CONFLICT),
    (StorageError, ErrorCode.STORE_ERROR),
)


def _error_code(exc: RegistryError) -> ErrorCode:
    for kind, code in _ERROR_CODES:
        if isinstance(exc, kind):
            return code
    return ErrorCode.INTERNAL_ERROR


def registry_error_response(exc: RegistryError) -> JSONResponse:
    """The envelope for a registry error; incompatibility carries mode, policy and every breaking change."""
    code = _error_code(exc)
    if isinstance(exc, IncompatibleSchema):
        result = exc.result
        return error_response(
            code, str(exc), mode=result.mode.value, policy=result.policy.value,
            breaking=[change.to_dict() for change in result.breaking],
        )  # fmt: skip
    return error_response(code, str(exc))


def install_registry_error_handler(app: FastAPI) -> None:
    async def on_registry_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RegistryError)
        return registry_error_response(exc)

    app.add_exception_handler(RegistryError, on_registry_error)


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    described = {
        400: "Malformed or non-UTF-8 JSON (40002).",
        401: "Missing credentials (40101).",
        403: "Wrong admin token (40301).",
        404: "Unknown track / subject (40401), version (40402) or schema (40403).",
        409: "Incompatible (40901) or a concurrent write won (40902).",
        413: "Body larger or deeper than the limits (41301).",
        422: "Invalid schema (42201), version (42202), compatibility (42203) or input (42207).",
        503: "The database is unavailable.",
    }
    return {code: {"model": wire.ErrorOut, "description": described[code]} for code in codes}


def _json(body: bytes, status: int = 200, etag: str | None = None) -> Response:
    headers = {"ETag": etag, "Cache-Control": "no-cache"} if etag else None
    return Response(body, status_code=status, media_type=JSON, headers=headers)


def _conditional(encoded: Encoded, if_none_match: str | None) -> Response:
    if etag_matches(if_none_match, encoded.etag):
        assert encoded.etag is not None
        return Response(status_code=304, headers={"ETag": encoded.etag, "Cache-Control": "no-cache"})
    return _json(encoded.body, etag=encoded.etag)


ModelT = TypeVar("ModelT", bound=BaseModel)


def _parse(model: type[ModelT], value: Any) -> ModelT:
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'body'}: {error['msg']}"
            for error in exc.errors()[:5]
        )
        raise ApiError(ErrorCode.INVALID_INPUT, f"invalid request body: {problems}") from exc


def _body_schema(model: type[BaseModel]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {JSON: {"schema": model.model_json_schema()}}}}


@dataclass(frozen=True)
class ApiContext:
    """What the routes need, built once by the app factory."""

    service: RegistryService
    cache: ReadCache
    auth: AdminAuth
    metrics: RegistryMetrics
    max_body_bytes: int
    max_body_depth: int


def build_router(ctx: ApiContext) -> APIRouter:
    """The native API's routes bound to ``ctx``."""
    router = APIRouter()
    service, cache = ctx.service, ctx.cache

    async def require_admin(request: Request, _: Bearer = None) -> None:
        ctx.auth.check(request.headers.get("authorization"))

    admin = [Depends(require_admin)]

    async def read_body(request: Request, track: str) -> Any:
        try:
            return await read_json_body(request, max_bytes=ctx.max_body_bytes, max_depth=ctx.max_body_depth)
        except ApiError as exc:
            reason = "too_large" if exc.code == ErrorCode.PAYLOAD_TOO_LARGE else "malformed"
            ctx.metrics.rejected.labels(track, reason).inc()
            raise

    # -- global ids (declared before /schemas/{track}/{name}, which would match them too) ---------
    @router.get("/schemas/ids/{schema_id}", response_model=wire.SchemaContentOut, responses=_errors(404, 422))
    async def schema_by_id(schema_id: Annotated[int, Path(ge=1, le=2**62)]) -> Response:
        """A schema by its global id (one id per unique canonical content)."""
        encoded = await cache.get(
            ("id", schema_id), None, lambda: Encoded(wire.schema_body(service.schema_by_id(schema_id)))
        )
        return _json(encoded.body)

    @router.get("/schemas/by-sha/{sha256}", response_model=wire.SchemaContentOut, responses=_errors(404, 422))
    async def schema_by_sha(sha256: Annotated[str, Path(pattern=r"^[0-9a-fA-F]{64}$")]) -> Response:
        """A schema by the SHA-256 of its RFC 8785 canonical form."""
        key = sha256.lower()
        encoded = await cache.get(
            ("sha", key), None, lambda: Encoded(wire.schema_body(service.schema_by_sha(key)))
        )
        return _json(encoded.body)

    # -- track reads -------------------------------------------------------------------------------
    @router.get(
        "/schemas/{track}",
        response_model=wire.TrackIndexOut,
        responses={
            304: {"description": "Not modified (If-None-Match matched the ETag)."},
            **_errors(404, 422),
        },
    )
    async def track_index(track: Track, if_none_match: IfNoneMatch = None) -> Response:
        """The track index: every subject's latest version and sha256 in one response (ETag / 304)."""

        def build() -> Encoded:
            revision, views = service.index(track)
            return Encoded(wire.index_body(track, revision, views), f'"{track}.{revision}"', revision)

        return _conditional(await cache.get(("index", track), track, build), if_none_match)

    def record(track: str, name: str, version: str) -> Encoded:
        found = service.version(track, name, version)
        return Encoded(wire.dumps(wire.record_dict(found)), f'"{found.version.sha256}"')

    latest_doc = {
        "response_model": wire.SchemaRecordOut,
        "responses": {304: {"description": "Not modified."}, **_errors(404, 422)},
    }

    @router.get("/schemas/{track}/{name}", **latest_doc)  # type: ignore[arg-type]
    async def latest(track: Track, name: Name, if_none_match: IfNoneMatch = None) -> Response:
        """The latest version of a subject with its content (ETag = the sha256)."""
        encoded = await cache.get(("latest", track, name), track, lambda: record(track, name, "latest"))
        return _conditional(encoded, if_none_match)

    @router.get(
        "/schemas/{track}/{name}/versions", response_model=wire.VersionsOut, responses=_errors(404, 422)
    )
    async def versions(track: Track, name: Name) -> Response:
        """Every version of a subject, oldest first."""
        encoded = await cache.get(
            ("versions", track, name), track,
            lambda: Encoded(wire.versions_body(track, name, service.versions(track, name))),
        )  # fmt: skip
        return _json(encoded.body)

    @router.get("/schemas/{track}/{name}/versions/{version}", **latest_doc)  # type: ignore[arg-type]
    async def version(
        track: Track,
        name: Name,
        version: Annotated[str, Path(max_length=40, description="x.y.z or latest")],
        if_none_match: IfNoneMatch = None,
    ) -> Response:
        """One version of a subject (``x.y.z`` or ``latest``)."""
        encoded = await cache.get(
            ("version", track, name, version), track, lambda: record(track, name, version)
        )
        return _conditional(encoded, if_none_match)

    # -- writes ------------------------------------------------------------------------------------
    @router.post(
        "/schemas/{track}/{name}",
        status_code=201,
        response_model=wire.PublishedOut,
        dependencies=admin,
        openapi_extra=_body_schema(wire.PublishIn),
        responses={
            200: {
                "model": wire.SchemaRecordOut,
                "description": "Identical to the latest version: unchanged.",
            },
            409: {
                "model": wire.IncompatibleOut,
                "description": "Incompatible (40901) or concurrent (40902).",
            },
            **_errors(400, 401, 403, 404, 413, 422),
        },
    )
    async def publish(track: Track, name: Name, request: Request) -> Response:
        """Publish a schema; the registry assigns the next version from the compatibility label."""
        body = _parse(wire.PublishIn, await read_body(request, track))
        try:
            outcome = await run_in_threadpool(
                service.publish, track, name, body.content, version=body.version, force=body.force
            )
        except RegistryError as exc:
            ctx.metrics.rejected.labels(track, _rejection_reason(exc)).inc()
            raise
        if not outcome.created:
            return _json(
                wire.dumps(wire.record_dict(outcome.record)), 200, f'"{outcome.record.version.sha256}"'
            )
        cache.invalidate()
        ctx.metrics.published.labels(track, outcome.record.version.classification).inc()
        payload = {
            **wire.record_dict(outcome.record),
            "compatibility": wire.compatibility_dict(outcome.compatibility),
        }
        return _json(wire.dumps(payload), 201, f'"{outcome.record.version.sha256}"')

    @router.post(
        "/schemas/{track}/{name}/deprecate",
        response_model=wire.SchemaRecordOut,
        dependencies=admin,
        openapi_extra=_body_schema(wire.DeprecateIn),
        responses=_errors(400, 401, 403, 404, 413, 422),
    )
    async def deprecate(track: Track, name: Name, request: Request) -> Response:
        """Deprecate a subject (idempotent); writes a ``schema.deprecated`` event."""
        body = _parse(wire.DeprecateIn, await read_body(request, track))
        outcome = await run_in_threadpool(service.deprecate, track, name, body.reason)
        if outcome.event is not None:
            cache.invalidate()
        return _json(wire.dumps(wire.record_dict(outcome.record)), etag=f'"{outcome.record.version.sha256}"')

    @router.get("/config/{track}", response_model=wire.ConfigOut, responses=_errors(404, 422))
    async def get_config(track: Track) -> Response:
        """A track's compatibility mode and policy."""
        config = await run_in_threadpool(service.track_config, track)
        return _json(wire.dumps(wire.config_dict(config)))

    @router.put(
        "/config/{track}",
        response_model=wire.ConfigOut,
        dependencies=admin,
        openapi_extra=_body_schema(wire.ConfigIn),
        responses=_errors(400, 401, 403, 413, 422),
    )
    async def put_config(track: Track, request: Request) -> Response:
        """Set a track's compatibility mode and policy (creates the track if it does not exist)."""
        body = _parse(wire.ConfigIn, await read_body(request, track))
        config = await run_in_threadpool(service.put_config, track, body.compatibility, body.policy)
        cache.invalidate()
        return _json(wire.dumps(wire.config_dict(config)))

    @router.get("/events", response_model=wire.EventsOut, responses=_errors(422))
    async def events(
        after: Annotated[int, Query(ge=0, le=2**62, description="Return events with a larger id.")] = 0,
        limit: Annotated[int, Query(ge=1, le=1000, description="At most this many events.")] = 100,
    ) -> Response:
        """The outbox change feed, oldest first; poll with ``after=<last_id>``."""
        found = await run_in_threadpool(service.events, after, limit)
        body = {
            "events": [wire.event_dict(event) for event in found],
            "last_id": found[-1].id if found else after,
        }
        return _json(wire.dumps(body))

    return router


def _rejection_reason(exc: RegistryError) -> str:
    reasons: tuple[tuple[type[RegistryError], str], ...] = (
        (IncompatibleSchema, "incompatible"),
        (SchemaTooLarge, "too_large"),
        (InvalidVersion, "version"),
        (ConcurrentModification, "conflict"),
        (TrackNotFound, "not_found"),
        (InvalidSchema, "invalid"),
        (InvalidInput, "invalid"),
    )
    for kind, reason in reasons:
        if isinstance(exc, kind):
            return reason
    return "error"


__all__ = ["ApiContext", "build_router", "install_registry_error_handler", "registry_error_response"]
