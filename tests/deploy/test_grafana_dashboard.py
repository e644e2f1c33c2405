"""deploy/grafana/schema-health.json: a valid Grafana 10 dashboard whose every query is valid PromQL."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.metric_names import DASHBOARD, dashboard_exprs

PANEL_TYPES = {"row", "stat", "timeseries", "table", "bargauge", "gauge", "heatmap", "histogram", "text"}
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__range": "1h", "$__interval": "1m"}


@pytest.fixture
def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text(encoding="utf-8"))


def test_dashboard_metadata(dashboard: dict[str, Any]) -> None:
    assert dashboard["uid"] == "mdp-schema-health"
    assert dashboard["title"] == "mdp Schema Health"
    assert 36 <= dashboard["schemaVersion"] <= 39  # Grafana 10
    assert dashboard["id"] is None  # importable into any Grafana
    [variable] = dashboard["templating"]["list"]
    assert (variable["name"], variable["type"], variable["query"]) == (
        "datasource",
        "datasource",
        "prometheus",
    )


def test_panels_are_well_formed_and_do_not_overlap(dashboard: dict[str, Any]) -> None:
    panels = dashboard["panels"]
    ids = [panel["id"] for panel in panels]
    assert len(ids) == len(set(ids))
    cells: set[tuple[int, int]] = set()
    for panel in panels:
        assert panel["type"] in PANEL_TYPES, panel["title"]
        grid = panel["gridPos"]
        assert min(grid["x"], grid["y"]) >= 0, panel["title"]
        assert min(grid["w"], grid["h"]) > 0, panel["title"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        area = {
            (x, y)
            for x in range(grid["x"], grid["x"] + grid["w"])
            for y in range(grid["y"], grid["y"] + grid["h"])
        }
        assert cells.isdisjoint(area), f"{panel['title']} overlaps another panel"
        cells |= area
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        assert panel["description"], panel["title"]
        refs = [target["refId"] for target in panel["targets"]]
        assert refs, panel["title"]
        assert len(refs) == len(set(refs)), panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "${datasource}"
            assert target["expr"].strip()


def test_the_seed_panels_are_there(dashboard: dict[str, Any]) -> None:
    titles = {panel["title"] for panel in dashboard["panels"]}
    # Seed 000: drift count by schema/track, last drift per schema, resolution time, registry health.
    assert {
        *(
            "Drift detections by schema and track",
            "Active drift by schema and track",
            "Last drift per schema",
        ),
        *("Drift resolution time", "Registry up", "Time since last registry sync"),
    } <= titles
    assert {
        *("Validation failure rate (warn)", "Would-reject rate (what strict would reject)"),
        *("Strict rejection rate", "DLQ depth", "Readiness per schema"),
    } <= titles


def test_every_query_is_valid_promql(promtool: str, tmp_path: Path) -> None:
    rules = []
    for index, (title, expr) in enumerate(dashboard_exprs()):
        concrete = expr
        for variable, value in GRAFANA_VARIABLES.items():
            concrete = concrete.replace(variable, value)
        assert "$" not in re.sub(r'"[^"]*"', "", concrete), f"unknown Grafana variable in {title!r}: {expr}"
        rules.append({"record": f"dashboard:panel_{index}", "expr": concrete})
    path = tmp_path / "dashboard_rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    result = subprocess.run(
        [promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(rules)} rules found" in result.stdout
