"""Every ``fixtures/<case>/`` runs end to end through the CLI and is checked against its ``expected.yaml``.

expected.yaml keys (all optional except ``description``):

  description: what the case shows
  input: path(s) relative to the case to scan (default: the case directory itself)
  args: extra CLI arguments, e.g. ["--var", "region=eu-west-1"]
  exit_code: expected exit code (default: 1 if any fail/unknown at or above high is expected, else 0)
  findings: each {rule, resource, outcome, [region], [target_region], [category], [severity], [declared_by], [part]}
    (resource is the object a finding names; part, for a part of it such as "container api", matches as a prefix)
  pass: resource ids that must have no finding at all
  exact: true (default) means no finding beyond those listed may appear
  ignore_rules: rules left out of the comparison; default [OFS-GRD-001], because almost every estate lacks a
    region-deny guardrail and only the guardrail cases are about it (they set ignore_rules: [])
  coverage: each {path (suffix), [line], [kind]} that must be reported as a coverage gap (kind: error,
    skipped, or note; only notes leave the scan complete)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from scanner.cli import main

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CASES = sorted(p.parent for p in FIXTURES.glob("*/expected.yaml"))


def _run(case: Path, expected: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    inputs = expected.get("input", ["."])
    inputs = [inputs] if isinstance(inputs, str) else inputs
    args = ["scan", *[str(case / i) for i in inputs], "--format", "json", *expected.get("args", [])]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    return result.exit_code, json.loads(result.stdout)


def _matches(finding: dict[str, Any], wanted: dict[str, Any]) -> bool:
    checks = {
        "rule": finding["rule_id"],
        "resource": finding["resource"],
        "outcome": finding["outcome"],
        "category": finding["category"],
        "severity": finding["severity"],
        "region": finding["location"]["region"],
        "target_region": (finding["target"] or {}).get("region"),
        "declared_by": finding["declared_by"],
    }
    part = finding.get("part")
    if "part" in wanted and not (part is not None and part.startswith(wanted["part"])):
        return False
    if "part" not in wanted and part is not None:
        return False
    return all(checks[key] == value for key, value in wanted.items() if key != "part")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fixture(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Paths in a case's `args` are written relative to the repository root.
    monkeypatch.chdir(FIXTURES.parent)
    expected = yaml.safe_load((case / "expected.yaml").read_text())
    exit_code, report = _run(case, expected)
    ignored = set(expected.get("ignore_rules", ["OFS-GRD-001"]))
    findings = [f for f in report["findings"] if f["rule_id"] not in ignored]
    summary = "\n".join(f"  {f['rule_id']} {f['outcome']} {f['resource']}: {f['message']}" for f in findings)

    wanted = expected.get("findings") or []
    for item in wanted:
        assert any(_matches(f, item) for f in findings), f"missing finding {item}; got:\n{summary}"
    if expected.get("exact", True):
        extra = [f for f in findings if not any(_matches(f, item) for item in wanted)]
        shown = "\n".join(f"  {f['rule_id']} {f['resource']}: {f['message']}" for f in extra)
        assert not extra, f"unexpected findings:\n{shown}"
    by_id = {r["id"]: r for r in report["inventory"]["resources"]}
    for resource in expected.get("pass") or []:
        assert resource in by_id, f"{resource} was not scanned at all"
        named = (by_id[resource]["object"], by_id[resource]["part"])
        assert not [f for f in findings if (f["resource"], f["part"]) == named], \
            f"{resource} should pass; got:\n{summary}"
    for gap in expected.get("coverage") or []:
        assert any(
            g["path"].endswith(gap["path"]) and gap.get("line", g["line"]) == g["line"]
            and gap.get("kind", g["kind"]) == g["kind"]
            for g in report["coverage"]
        ), f"missing coverage gap {gap}; got {report['coverage']}"
    if not expected.get("coverage"):
        assert not report["coverage"], f"unexpected coverage gaps: {report['coverage']}"
    default_exit = 2 if any(g["kind"] != "note" for g in report["coverage"]) else int(
        any(f["severity"] in ("critical", "high") for f in findings)
    )
    assert exit_code == expected.get("exit_code", default_exit)


def test_there_are_enough_cases() -> None:
    # The suite is the specification: every resource type in the map needs a case.
    assert len(CASES) >= 25


def test_every_resource_type_of_the_resource_map_has_a_fixture() -> None:
    # A type the map knows but no case shows is a rule nobody has seen work end to end.
    import re

    from providers.semantics.resource_map import resource_map

    text = "\n".join(p.read_text(errors="replace") for p in FIXTURES.rglob("*")
                     if p.is_file() and p.suffix in (".tf", ".json", ".tfstate"))
    missing = sorted(t for t in resource_map() if not re.search(rf"\b{re.escape(t)}\b", text))
    assert not missing, f"resource map types with no fixture: {missing}"
