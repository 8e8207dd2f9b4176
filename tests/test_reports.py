"""Output is a contract: JSON validated against its schema, and golden snapshots of both formats.

Refresh the snapshots after an intended change with:
    OFFSHORE_SCAN_UPDATE_GOLDEN=1 python -m pytest tests/test_reports.py
and review the diff like any other change.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from scanner.cli import main

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
SCHEMA = json.loads((ROOT / "scanner" / "reporters" / "report.schema.json").read_text())
CASES = sorted(p.parent.name for p in (ROOT / "fixtures").glob("*/expected.yaml"))


def _run(*args: str) -> str:
    result = CliRunner().invoke(main, ["scan", *args], catch_exceptions=False)
    return result.stdout


@pytest.fixture(autouse=True)
def _repository_root(monkeypatch: pytest.MonkeyPatch) -> None:
    # Paths in reports are as given on the command line: relative ones keep snapshots portable.
    monkeypatch.chdir(ROOT)


@pytest.mark.parametrize("case", CASES)
def test_json_report_follows_the_schema(case: str) -> None:
    report = json.loads(_run(f"fixtures/{case}", "--format", "json"))
    jsonschema.validate(report, SCHEMA)


def test_schema_is_itself_valid() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("output_format", ["text", "json"])
def test_demo_report_matches_its_snapshot(output_format: str) -> None:
    rendered = _run("fixtures/demo", "--format", output_format)
    golden = GOLDEN / f"demo.{'txt' if output_format == 'text' else 'json'}"
    if os.environ.get("OFFSHORE_SCAN_UPDATE_GOLDEN"):
        golden.write_text(rendered)
    assert rendered == golden.read_text(), f"{golden.name} differs: review, then refresh as the module docstring says"


def test_the_live_header_counts_what_was_scanned_not_the_scopes() -> None:
    from scanner.model import Inventory, ScopeCoverage, ScopeStatus
    from scanner.reporters import ScanReport
    from scanner.reporters.text import TextReporter

    def header(inventory: Inventory) -> str:
        return TextReporter()._header(ScanReport((), inventory, "x", "high", None, (), "."))

    organisations = ScopeCoverage("123456789012", "global", "organizations", ScopeStatus.SCANNED, 7)
    assert "0 AWS account(s), 0 region(s)" in header(Inventory(scopes=(organisations,)))
    member = ScopeCoverage("111111111111", "eu-west-2", "resourcegroupstaggingapi", ScopeStatus.SCANNED, 3)
    # A region only asked where a bucket is (or for copies, outside --region) is not a region scanned.
    located = ScopeCoverage("111111111111", "us-east-1", "s3", ScopeStatus.SCANNED, 3)
    assert "1 AWS account(s), 1 region(s)" in header(Inventory(scopes=(organisations, member, located),
                                                               scanned=("aws account 111111111111",)))
    tenant = ScopeCoverage("tenant", "global", "Microsoft.Resources", ScopeStatus.DENIED, 1)
    assert "0 Azure subscription(s)" in header(Inventory(scopes=(tenant,)))
    both = Inventory(scopes=(member, tenant), scanned=("aws account 111111111111", "azure subscription s1", "a.tf"))
    assert "1 AWS account(s), 1 region(s), 1 Azure subscription(s), 1 input file(s)" in header(both)


def test_api_calls_list_the_services_that_made_calls_and_add_up_to_the_total() -> None:
    from scanner.model import Inventory, ScopeCoverage, ScopeStatus
    from scanner.reporters import ScanReport
    from scanner.reporters.json_report import JsonReporter

    scopes = (ScopeCoverage("111111111111", "eu-west-2", "ec2", ScopeStatus.SCANNED, 5),
              ScopeCoverage("111111111111", "eu-west-2", "s3", ScopeStatus.SCANNED, 2),
              # A region not enabled: a scope of every service ("all") that made no call.
              ScopeCoverage("111111111111", "ap-east-1", "all", ScopeStatus.DISABLED, 0))
    document = JsonReporter().document(ScanReport((), Inventory(scopes=scopes), "x", "high", None, (), "."))
    assert document["api_calls"] == {"ec2": 5, "s3": 2}
    assert any(s["service"] == "all" for s in document["scopes"])  # the disabled region is still a scope


_FAN_OUT = '''
provider "aws" { region = "eu-west-2" }
provider "aws" {
  alias  = "us"
  region = "us-east-1"
}
resource "aws_s3_bucket" "config_logs" {
  provider = aws.us
  bucket   = "org-config-logs"
}
resource "aws_config_delivery_channel" "main" {
  name           = "default"
  s3_bucket_name = aws_s3_bucket.config_logs.bucket
}
'''


@pytest.mark.parametrize("dwp_buckets", [2, 3])
def test_a_setting_behind_several_findings_is_named_once_as_a_cause(tmp_path: Path, dwp_buckets: int) -> None:
    """An AWS Config channel delivering abroad fails every DWP resource of its region: the text report still lists
    each, and names the channel once as the setting to change first (from three findings on)."""
    buckets = "".join(f'resource "aws_s3_bucket" "b{n}" {{\n  bucket = "claims-{n}"\n'
                      f'  tags = {{ Classification = "OFFICIAL" }}\n}}\n' for n in range(dwp_buckets))
    (tmp_path / "main.tf").write_text(_FAN_OUT + buckets, encoding="utf-8")
    out = _run(str(tmp_path))
    assert out.count("OFS-DIAG-001 [diagnostics]") == dwp_buckets, out
    cause = (f"  aws_config_delivery_channel.main -> aws us-east-1 (US): {dwp_buckets} fail (OFS-DIAG-001) on "
             f"{dwp_buckets} DWP resource(s)")
    assert (cause in out) is (dwp_buckets >= 3), out
    assert ("Settings behind several findings" in out) is (dwp_buckets >= 3)
