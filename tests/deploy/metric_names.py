"""Which metric names the alert rules and the Grafana dashboard use: one place for the cross-service test.

``deploy_metric_names()`` parses ``deploy/prometheus/alerts.yml`` and ``deploy/grafana/schema-health.json``
and returns every metric name their PromQL selects. The integration test "every metric a rule or a panel
names is exported by a running mdp service" compares that set with what the services' ``/metrics`` serve.

The PromQL scan is a small lexer, not a full parser: it drops string literals, label matchers ``{...}``,
ranges ``[...]``, Grafana variables and the label lists of ``by``/``without``/``on``/``ignoring``/
``group_left``/``group_right``, then keeps identifiers that are not function calls or keywords.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
ALERTS = REPO / "deploy" / "prometheus" / "alerts.yml"
DASHBOARD = REPO / "deploy" / "grafana" / "schema-health.json"

KEYWORDS = frozenset(
    {
        *("by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset"),
        *("and", "or", "unless", "atan2", "inf", "nan", "start", "end"),
    }
)
LABEL_LIST_KEYWORDS = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right"})
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_GRAFANA_VARIABLE = re.compile(r"\$\{[^}]*\}|\$\w+")
_IDENTIFIER = re.compile(r"(?<![\w:.])([A-Za-z_:][A-Za-z0-9_:]*)")
_AGGREGATION_MODIFIER = re.compile(r"(?:by|without)\s*\(", re.IGNORECASE)  # sum by (x) (...)


def _drop_bracketed(text: str, opening: str, closing: str) -> str:
    out, depth = [], 0
    for char in text:
        if char == opening:
            depth += 1
        elif char == closing and depth:
            depth -= 1
        elif depth == 0:
            out.append(char)
    return "".join(out)


def promql_metric_names(expr: str) -> set[str]:
    """Metric names selected by one PromQL expression (Grafana ``$variables`` allowed)."""
    text = _STRING.sub('""', expr)
    text = _GRAFANA_VARIABLE.sub("1m", text)
    text = _drop_bracketed(text, "{", "}")
    text = _drop_bracketed(text, "[", "]")
    names: set[str] = set()
    skip_until = -1
    for match in _IDENTIFIER.finditer(text):
        if match.start() < skip_until:
            continue
        name = match.group(1)
        rest = text[match.end() :].lstrip()
        if name.lower() in LABEL_LIST_KEYWORDS and rest.startswith("("):
            opening = match.end() + (len(text) - match.end() - len(rest))
            skip_until = text.index(")", opening) + 1
            continue
        if name.lower() in KEYWORDS or rest.startswith("(") or _AGGREGATION_MODIFIER.match(rest):
            continue  # a keyword, a function or an aggregation
        names.add(name)
    return names


def _rule_exprs(path: Path) -> Iterator[str]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    for group in document.get("groups", []):
        for rule in group.get("rules", []):
            yield str(rule["expr"])


def _panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels", []))  # collapsed rows nest their panels


def dashboard_exprs(path: Path = DASHBOARD) -> Iterator[tuple[str, str]]:
    """``(panel title, expr)`` for every Prometheus target of the dashboard."""
    dashboard = json.loads(path.read_text(encoding="utf-8"))
    for panel in _panels(dashboard.get("panels", [])):
        for target in panel.get("targets", []):
            if target.get("expr"):
                yield str(panel.get("title", "")), str(target["expr"])


def rule_metric_names(path: Path = ALERTS) -> set[str]:
    return {name for expr in _rule_exprs(path) for name in promql_metric_names(expr)}


def dashboard_metric_names(path: Path = DASHBOARD) -> set[str]:
    return {name for _, expr in dashboard_exprs(path) for name in promql_metric_names(expr)}


def deploy_metric_names() -> set[str]:
    """Every metric name used by the alert rules or the dashboard."""
    return rule_metric_names() | dashboard_metric_names()


__all__ = [
    "ALERTS",
    "DASHBOARD",
    "dashboard_exprs",
    "dashboard_metric_names",
    "deploy_metric_names",
    "promql_metric_names",
    "rule_metric_names",
]
