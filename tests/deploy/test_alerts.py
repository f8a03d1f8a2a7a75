"""The alert rules: promtool checks them and runs their unit tests (alerts.test.yaml), which hold
for every alert series that must fire it and series that must not."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml

from monitoring.queries import alert_rules
from sportsfeed.stack.prometheus import RULES

TESTS = Path(__file__).with_name("alerts.test.yaml")


def promtool(*args: str) -> str:
    binary = shutil.which("promtool")
    assert binary is not None, "promtool is missing: `make prometheus` installs Debian's prometheus"
    done = subprocess.run([binary, *args], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def alerts() -> list[str]:
    return [rule["alert"] for rule in alert_rules()]


def test_the_rules_are_valid() -> None:
    assert f"SUCCESS: {len(alerts())} rules found" in promtool("check", "rules", str(RULES))


def test_the_rules_unit_tests_pass() -> None:
    assert "SUCCESS" in promtool("test", "rules", str(TESTS))


def test_every_alert_is_tested_firing_and_silent() -> None:
    cases = [
        case
        for test in yaml.safe_load(TESTS.read_text())["tests"]
        for case in test["alert_rule_test"]
    ]
    fired = {case["alertname"] for case in cases if case["exp_alerts"]}
    silent = {case["alertname"] for case in cases if not case["exp_alerts"]}
    assert set(alerts()) <= fired
    assert set(alerts()) <= silent


def test_every_alert_has_a_severity_a_summary_and_a_runbook_line() -> None:
    readme = (RULES.parents[3] / "README.md").read_text()
    for rule in alert_rules():
        assert rule["labels"]["severity"] in {"critical", "warning"}, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        assert f"`{rule['alert']}`" in readme, f"{rule['alert']} has no runbook line in README.md"
