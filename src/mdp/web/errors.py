"""Stable HTTP error codes and the ``{"error_code": int, "message": str}`` envelope.

Codes follow Confluent Schema Registry's scheme (HTTP status * 100 + a sub-code) so the native API and the
Confluent-compatible API (issue 8) share one table. A code, once released, keeps its meaning forever.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException


class ErrorCode(IntEnum):
    """Every error code an mdp HTTP API can return."""

    BAD_REQUEST = 40001
    MALFORMED_JSON = 40002
    UNAUTHORIZED = 40101
    FORBIDDEN = 40301
    SUBJECT_NOT_FOUND = 40401
    VERSION_NOT_FOUND = 40402
    SCHEMA_NOT_FOUND = 40403
    SUBJECT_SOFT_DELETED = 40404
    SUBJECT_NOT_SOFT_DELETED = 40405
    SCHEMA_VERSION_SOFT_DELETED = 40406
    SCHEMA_VERSION_NOT_SOFT_DELETED = 40407
    SUBJECT_LEVEL_COMPATIBILITY_NOT_CONFIGURED = 40408
    NOT_FOUND = 40410
    METHOD_NOT_ALLOWED = 40501
    INCOMPATIBLE_SCHEMA = 40901
    CONFLICT = 40902
    PAYLOAD_TOO_LARGE = 41301
    UNSUPPORTED_MEDIA_TYPE = 41501
    INVALID_SCHEMA = 42201
    INVALID_VERSION = 42202
    INVALID_COMPATIBILITY_LEVEL = 42203
    INVALID_MODE = 42204
    OPERATION_NOT_PERMITTED = 42205
    REFERENCE_EXISTS = 42206
    INVALID_INPUT = 42207
    STORE_ERROR = 50001
    INTERNAL_ERROR = 50002
    UNAVAILABLE = 50301

    @property
    def http_status(self) -> int:
        return int(self) // 100


class ApiError(Exception):
    """Raised by route code to answer with a stable error envelope."""

    def __init__(self, code: ErrorCode, message: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = extra or {}


def error_body(code: ErrorCode, message: str, **extra: Any) -> dict[str, Any]:
    return {"error_code": int(code), "message": message, **extra}


def error_response(
    code: ErrorCode,
    message: str,
    *,
    headers: dict[str, str] | None = None,
    media_type: str | None = None,
    **extra: Any,
) -> JSONResponse:
    return JSONResponse(
        error_body(code, message, **extra),
        status_code=code.http_status,
        headers=headers,
        media_type=media_type,
    )


_STATUS_CODES = {
    400: ErrorCode.BAD_REQUEST,
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    422: ErrorCode.INVALID_INPUT,
}


def _describe_validation(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors()[:10]:
        location = ".".join(str(part) for part in error.get("loc", ()))
        parts.append(f"{location}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def install_error_handlers(app: FastAPI, *, media_type: str | None = None) -> None:
    """Make every error leave the app as the stable envelope, including FastAPI's own 404/405/422."""

    async def on_api_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        headers = {"WWW-Authenticate": "Bearer"} if exc.code == ErrorCode.UNAUTHORIZED else None
        return error_response(exc.code, exc.message, headers=headers, media_type=media_type, **exc.extra)

    async def on_http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = _STATUS_CODES.get(exc.status_code, ErrorCode.INTERNAL_ERROR)
        return error_response(
            code, str(exc.detail), headers=getattr(exc, "headers", None), media_type=media_type
        )

    async def on_validation_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return error_response(ErrorCode.INVALID_INPUT, _describe_validation(exc), media_type=media_type)

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)


__all__ = ["ApiError", "ErrorCode", "error_body", "error_response", "install_error_handlers"]
