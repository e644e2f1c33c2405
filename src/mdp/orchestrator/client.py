"""A small HTTP client of the orchestrator, for ``mdp enforcement readiness`` and scripts."""

from __future__ import annotations

from typing import Any

import httpx

from mdp.orchestrator.errors import OrchestratorRefused, OrchestratorUnavailable

MAX_RESPONSE_BYTES = 8 * 1024 * 1024


def fetch_readiness(
    base_url: str,
    *,
    window: str | None = None,
    timeout: float = 10.0,
    transport: httpx.BaseTransport | None = None,
) -> dict[str, Any]:
    """``GET /readiness`` as a dict; raises ``OrchestratorUnavailable`` or ``OrchestratorRefused``."""
    params = {"window": window} if window is not None else {}
    url = base_url.rstrip("/") + "/readiness"
    try:
        with httpx.Client(timeout=timeout, transport=transport, follow_redirects=False) as http:
            response = http.get(url, params=params, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise OrchestratorUnavailable(f"orchestrator at {base_url} unreachable: {exc}") from exc
    if len(response.content) > MAX_RESPONSE_BYTES:
        raise OrchestratorUnavailable(f"orchestrator at {base_url} sent more than {MAX_RESPONSE_BYTES} bytes")
    try:
        body = response.json()
    except ValueError as exc:
        raise OrchestratorUnavailable(
            f"orchestrator at {base_url} answered HTTP {response.status_code} without JSON"
        ) from exc
    if response.status_code >= 400:
        message = body.get("message") if isinstance(body, dict) else None
        code = body.get("error_code") if isinstance(body, dict) else None
        text = message if isinstance(message, str) else f"HTTP {response.status_code}"
        raise OrchestratorRefused(
            text, status=response.status_code, error_code=code if isinstance(code, int) else None
        )
    if not isinstance(body, dict) or not isinstance(body.get("schemas"), list) or "verdict" not in body:
        raise OrchestratorUnavailable(
            f"orchestrator at {base_url} answered something that is not a readiness report"
        )
    return body


__all__ = ["fetch_readiness"]
