"""The Schema Health page in headless Chromium: a drift injected through Pulse appears, then resolves.

Uses Debian's ``/usr/bin/chromium`` through Playwright's async API (never ``playwright install``). The page
must load nothing from anywhere but the orchestrator, render telemetry as text, and refresh by itself.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from mdp.contracts.telemetry import DriftChange
from mdp.pulse import streams
from tests.conftest import services_required
from tests.integration.orchestrator.serving import orchestrator
from tests.unit.orchestrator.events import drift, feedback, resolved, stats

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

CHROMIUM = Path(os.environ.get("MDP_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
KEY = "market-data-store/v1/telemetry.FeedbackEvent"
HOSTILE = '<img src=x onerror="window.__pwned=1">'


def _require_chromium() -> None:
    if not CHROMIUM.exists():
        message = f"chromium not found at {CHROMIUM} (Debian package chromium)"
        if services_required():
            pytest.fail(f"{message} and MDP_REQUIRE_SERVICES=1")
        pytest.skip(message)


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    _require_chromium()
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


async def test_drift_appears_with_its_changes_and_leaves_when_resolved(browser: Any) -> None:
    async with orchestrator(orchestrator_page_refresh_s=0.3) as orch:
        origin = urlsplit(orch.url).netloc
        page = await browser.new_page()
        requests: list[str] = []
        problems: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        await page.goto(orch.url + "/")
        await page.wait_for_selector("#active-empty:not([hidden])")
        assert await page.title() == "Schema Health · mdp"

        now = time.time()
        changes = [
            DriftChange(
                kind="property-removed",
                path="#/properties/reason",
                message="reason was removed",
                breaking=True,
            ),
            DriftChange(kind="description-changed", path="#/description", message=HOSTILE, breaking=False),
        ]
        await orch.publish(streams.SCHEMA_DRIFT, drift(now - 3 * 3600 - 120, changes=changes))
        await orch.publish(streams.SCHEMA_DRIFT, drift(now - 60, changes=changes))  # heartbeat
        row = page.locator(f'#active-drift tbody tr[data-key="{KEY}"]')
        await row.wait_for(timeout=10_000)
        cells = [text.strip() for text in await row.locator("td").all_inner_texts()]
        assert cells[:4] == ["market-data-store", "telemetry.FeedbackEvent", "v1", "breaking"]
        assert "property-removed" in cells[4]
        assert "#/properties/reason" in cells[4]
        assert "reason was removed" in cells[4]
        assert HOSTILE in cells[4]  # shown as text, never parsed
        assert cells[5].startswith("3h 2m")  # since the first detection, not the heartbeat
        assert cells[6].endswith("ago")
        assert cells[7] == "2"
        assert await page.evaluate("window.__pwned") is None
        assert await page.locator("#active-empty").is_hidden()

        await orch.publish(streams.SCHEMA_DRIFT_RESOLVED, resolved(now))
        await row.wait_for(state="detached", timeout=10_000)
        done = page.locator(f'#resolved-drift tbody tr[data-key="{KEY}"]')
        await done.wait_for(timeout=10_000)
        resolved_cells = [text.strip() for text in await done.locator("td").all_inner_texts()]
        assert resolved_cells[3] == "breaking"
        assert resolved_cells[5] == "3h 2m"  # how long it lasted
        await page.wait_for_selector("#active-empty:not([hidden])")

        # The other panels: registry (disabled here), validation rates, backpressure, go/no-go.
        await orch.publish(
            streams.VALIDATION, stats(time.time() - 30, total=2000, failures=40, would_reject=30)
        )
        await orch.publish(
            streams.FEEDBACK, feedback(time.time(), coordinator="store-a", level="hard", queue=97)
        )
        await page.wait_for_selector('#validation tbody tr[data-key="v1/md.Bar"]')
        validation = await page.locator('#validation tbody tr[data-key="v1/md.Bar"] td').all_inner_texts()
        assert [cell.strip() for cell in validation[3:6]] == ["2000", "2 %", "1.5 %"]
        await page.wait_for_selector('#backpressure tbody tr[data-coordinator="store-a"]')
        assert "hard" in await page.locator('#backpressure tbody tr[data-coordinator="store-a"]').inner_text()
        assert await page.locator("#registry-status").get_attribute("data-status") == "disabled"
        await page.wait_for_selector('#readiness tbody tr[data-key="v1/md.Bar"][data-verdict="NO-GO"]')
        assert (await page.locator("#verdict").inner_text()).strip() == "strict: NO-GO"
        assert await page.locator('#dlq tbody tr[data-stream="md.bars.dlq"]').count() == 1
        # Checked while the server still runs: once it stops, the page's next poll fails (on purpose).
        await page.close()
        assert problems == []

    assert requests, "the page made no requests"
    assert {urlsplit(url).netloc for url in requests} == {origin}


async def test_the_page_says_when_the_orchestrator_is_gone(browser: Any) -> None:
    async with orchestrator(orchestrator_page_refresh_s=0.3) as orch:
        page = await browser.new_page()
        await page.goto(orch.url + "/")
        await page.wait_for_selector("#active-empty:not([hidden])")
    # The server stopped: the page keeps its last picture and says it is retrying.
    await page.wait_for_selector("#connection:not([hidden])", timeout=10_000)
    assert "unreachable" in await page.locator("#connection").inner_text()
