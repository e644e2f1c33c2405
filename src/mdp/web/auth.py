"""Admin authentication: one bearer token, compared in constant time.

Writes are never open by accident: when ``ADMIN_TOKEN`` is unset the service generates a token, stores it
in ``<MDP_DATA_DIR>/admin-token`` with mode 0600 (reusing it on the next start) and logs where it is.
Missing credentials answer 401 (with ``WWW-Authenticate``), wrong ones 403.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import os
import secrets
from pathlib import Path

from fastapi import Request

from mdp.web.errors import ApiError, ErrorCode

log = logging.getLogger("mdp.auth")

TOKEN_FILE_NAME = "admin-token"  # noqa: S105 - a file name, not a secret


def resolve_admin_token(configured: str | None, data_dir: Path) -> tuple[str, Path | None]:
    """Return ``(token, file)``: the configured token, or one read from / generated into ``data_dir``."""
    if configured:
        return configured, None
    path = data_dir / TOKEN_FILE_NAME
    if path.exists():
        token = path.read_text(encoding="utf-8").strip()
        if token:
            return token, path
    data_dir.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(token + "\n")
    os.chmod(path, 0o600)
    log.warning("ADMIN_TOKEN is unset: generated an admin token", extra={"token_file": str(path)})
    return token, path


def _presented_secret(header: str, allow_basic: bool) -> str | None:
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer" and value.strip():
        return value.strip()
    if allow_basic and scheme == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        _, _, password = decoded.partition(":")
        return password or None
    return None


class AdminAuth:
    """FastAPI dependency: ``Depends(auth)`` on every admin route."""

    def __init__(self, token: str, *, allow_basic: bool = False) -> None:
        if not token:
            raise ValueError("admin token must not be empty")
        self._token = token.encode("utf-8")
        self._allow_basic = allow_basic

    def check(self, authorization: str | None) -> None:
        """Raise :class:`ApiError` unless ``authorization`` carries the admin token."""
        if not authorization:
            raise ApiError(ErrorCode.UNAUTHORIZED, "admin endpoint: send Authorization: Bearer <ADMIN_TOKEN>")
        secret = _presented_secret(authorization, self._allow_basic)
        if secret is None:
            raise ApiError(ErrorCode.UNAUTHORIZED, "unsupported Authorization scheme; use Bearer")
        if not hmac.compare_digest(secret.encode("utf-8"), self._token):
            raise ApiError(ErrorCode.FORBIDDEN, "invalid admin token")

    async def __call__(self, request: Request) -> None:
        self.check(request.headers.get("authorization"))


__all__ = ["TOKEN_FILE_NAME", "AdminAuth", "resolve_admin_token"]
