"""``promtool check rules`` and ``promtool test rules`` on deploy/prometheus, and what promtool cannot see."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml

SEED_RULES = {
    # seed 000: name -> severity
    "CriticalSchemaDriftSustained": "warning",
    "SchemaDriftActive": "info",
    "HighDriftRate": "warning",
    "DriftDetectionStale": "warning",
    "RegistryUnreachable": "critical",
    "RegistrySyncStale": "warning",
}


def heading_slugs(document: Path) -> set[str]:
    """GitHub-style anchors of a Markdown file's headings (outside code fences)."""
    slugs, fenced = set(), False
    for line in document.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            slugs.add(re.sub(r"[^a-z0-9 _-]", "", title).replace(" ", "-"))
    return slugs


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=300)


def rules(deploy_dir: Path) -> dict[str, dict[str, object]]:
    document = yaml.safe_load((deploy_dir / "prometheus" / "alerts.yml").read_text())
    return {rule["alert"]: rule for group in document["groups"] for rule in group["rules"]}


def test_promtool_check_rules(promtool: str, deploy_dir: Path) -> None:
    result = run(promtool, "check", "rules", str(deploy_dir / "prometheus" / "alerts.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(rules(deploy_dir))} rules found" in result.stdout


def test_promtool_test_rules(promtool: str, deploy_dir: Path) -> None:
    result = run(promtool, "test", "rules", str(deploy_dir / "prometheus" / "alerts_test.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_promtool_would_notice_a_wrong_threshold(promtool: str, deploy_dir: Path, tmp_path: Path) -> None:
    # The unit tests pin the thresholds: loosening one makes them fail.
    source = (deploy_dir / "prometheus" / "alerts.yml").read_text()
    assert "> 0.02" in source
    (tmp_path / "alerts.yml").write_text(source.replace("> 0.02", "> 0.04"))
    (tmp_path / "alerts_test.yml").write_text((deploy_dir / "prometheus" / "alerts_test.yml").read_text())
    result = run(promtool, "test", "rules", str(tmp_path / "alerts_test.yml"))
    assert result.returncode != 0
    assert "SchemaValidationFailureRateHigh" in result.stdout + result.stderr


def test_the_six_seed_rules_with_their_severities(deploy_dir: Path) -> None:
    found = rules(deploy_dir)
    assert {name: found[name]["labels"]["severity"] for name in SEED_RULES} == SEED_RULES  # type: ignore[index]
    assert 'schema="telemetry.FeedbackEvent"' in str(found["CriticalSchemaDriftSustained"]["expr"])


def test_every_rule_has_a_severity_summary_and_runbook(deploy_dir: Path) -> None:
    for name, rule in rules(deploy_dir).items():
        labels, annotations = rule["labels"], rule["annotations"]
        assert labels["severity"] in {"info", "warning", "critical"}, name  # type: ignore[index]
        assert annotations["summary"], name  # type: ignore[index]
        runbook = str(annotations["runbook_url"])  # type: ignore[index]
        assert runbook.startswith("docs/runbooks/"), name
        path, _, anchor = runbook.partition("#")
        document = deploy_dir.parent / path
        assert document.is_file(), f"{name}: {path} does not exist"
        assert anchor in heading_slugs(document), f"{name}: no heading #{anchor} in {path}"


def test_every_rule_is_exercised_by_the_unit_tests(deploy_dir: Path) -> None:
    tests = yaml.safe_load((deploy_dir / "prometheus" / "alerts_test.yml").read_text())
    cases = [case for test in tests["tests"] for case in test.get("alert_rule_test", [])]
    firing = {case["alertname"] for case in cases if case["exp_alerts"]}
    assert firing == set(rules(deploy_dir)), "every rule needs a case where it fires"
    quiet = {case["alertname"] for case in cases if not case["exp_alerts"]}
    assert quiet == set(rules(deploy_dir)) - {"HighDriftRate"} | {"HighDriftRate"}, (
        "and one where it stays quiet"
    )
