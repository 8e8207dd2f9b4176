"""Records from a live source (account, region, ARN; no file, no HCL) mean what the same estate in HCL means.

A live adapter only translates API responses into records of the shared vocabulary; these tests build
such records by hand and check that the shared meaning judges them exactly as it judges the Terraform
that would create the same resources.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

from helpers import normalised

from providers.interface import ScanOptions
from providers.semantics.context import NormaliseContext
from providers.semantics.estate import EstateMap, Party
from providers.semantics.records import Placement, Resolved, ResourceRecord
from providers.terraform.hcl_loader import load_directory
from scanner.engine import evaluate
from scanner.model import Finding, SourceRef

ACCOUNT = "111122223333"
OFFSHORE = "444455556666"
DWP = {"Classification": "OFFICIAL-SENSITIVE", "Owner": "DWP Claims"}
ESTATE = EstateMap(accounts={OFFSHORE: Party("Contractor Ltd (Bangalore)", "IN", "estate map")})

HCL = """
provider "aws" {
  region = "eu-west-2"
}

provider "aws" {
  alias  = "dr"
  region = "us-east-1"
}

resource "aws_s3_bucket" "evidence" {
  bucket = "claims-evidence"
  tags   = { Classification = "OFFICIAL-SENSITIVE", Owner = "DWP Claims" }
}

resource "aws_s3_bucket" "dr" {
  provider = aws.dr
  bucket   = "claims-evidence-dr"
}

resource "aws_s3_bucket_replication_configuration" "evidence" {
  bucket = aws_s3_bucket.evidence.id
  role   = "arn:aws:iam::111122223333:role/replication"
  rule {
    id     = "all"
    status = "Enabled"
    destination {
      bucket = aws_s3_bucket.dr.arn
    }
  }
}

resource "aws_iam_role" "support" {
  name = "claims-support"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{
      Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = "arn:aws:iam::444455556666:root" }
    }]
  })
  tags = { Classification = "OFFICIAL-SENSITIVE", Owner = "DWP Claims" }
}

resource "aws_cloudwatch_log_group" "app" {
  name = "/claims/app"
  tags = { Classification = "OFFICIAL-SENSITIVE", Owner = "DWP Claims" }
}

resource "aws_cloudwatch_log_subscription_filter" "app" {
  name            = "to-central"
  log_group_name  = aws_cloudwatch_log_group.app.name
  filter_pattern  = ""
  destination_arn = "arn:aws:firehose:us-east-1:111122223333:deliverystream/central"
}
"""


def _live(arn: str, resource_type: str, region: str, values: dict[str, Any]) -> ResourceRecord:
    """A record as a live adapter builds it: addressed by ARN, placed by the account and region it was read in."""
    return ResourceRecord(
        address=arn,
        type=resource_type,
        values={"arn": arn, **values},
        placement=Placement(f"aws {ACCOUNT} {region}", Resolved(region, (f"account {ACCOUNT} region {region}",)),
                            account=ACCOUNT),
        source=SourceRef(f"{ACCOUNT}/{region}", None, arn),
    )


def _live_estate() -> list[ResourceRecord]:
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": f"arn:aws:iam::{OFFSHORE}:root"}}]}
    return [
        _live("arn:aws:s3:::claims-evidence", "aws_s3_bucket", "eu-west-2", {"bucket": "claims-evidence", "tags": DWP}),
        _live("arn:aws:s3:::claims-evidence-dr", "aws_s3_bucket", "us-east-1", {"bucket": "claims-evidence-dr"}),
        # get_bucket_replication's Rules[].Destination.Bucket is the schema's rule[].destination.bucket.
        _live("arn:aws:s3:::claims-evidence?replication", "aws_s3_bucket_replication_configuration", "eu-west-2", {
            "bucket": "claims-evidence", "role": f"arn:aws:iam::{ACCOUNT}:role/replication",
            "rule": [{"id": "all", "status": "Enabled",
                      "destination": [{"bucket": "arn:aws:s3:::claims-evidence-dr"}]}],
        }),
        _live(f"arn:aws:iam::{ACCOUNT}:role/claims-support", "aws_iam_role", "eu-west-2", {
            "name": "claims-support", "assume_role_policy": json.dumps(trust), "tags": DWP,
        }),
        _live(f"arn:aws:logs:eu-west-2:{ACCOUNT}:log-group:/claims/app", "aws_cloudwatch_log_group", "eu-west-2", {
            "name": "/claims/app", "tags": DWP,
        }),
        _live(f"arn:aws:logs:eu-west-2:{ACCOUNT}:log-group:/claims/app:subscription-filter:to-central",
              "aws_cloudwatch_log_subscription_filter", "eu-west-2", {
                  "name": "to-central", "log_group_name": "/claims/app", "filter_pattern": "",
                  "destination_arn": f"arn:aws:firehose:us-east-1:{ACCOUNT}:deliverystream/central",
              }),
    ]


def _judged(findings: tuple[Finding, ...]) -> list[tuple[str, str, str, str, str | None, str | None]]:
    """What each finding says, without the addresses (an ARN live, a Terraform address in HCL)."""
    return sorted(
        (f.rule_id, f.outcome.value, f.severity.value, f.resource.type, f.location.region,
         f.target.country if f.target is not None else None)
        for f in findings if f.rule_id != "OFS-GRD-001"
    )


def test_live_records_get_the_findings_of_the_same_estate_in_hcl(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(textwrap.dedent(HCL))
    options = ScanOptions(estate=ESTATE)
    from_hcl = evaluate(normalised(load_directory(tmp_path).resources, options))
    from_live = evaluate(normalised(_live_estate(), options))

    assert _judged(from_live) == _judged(from_hcl)
    assert _judged(from_live) == [
        ("OFS-ACC-001", "fail", "critical", "aws_iam_role", f"arn:aws:iam::{OFFSHORE}:root", "IN"),
        ("OFS-DIAG-001", "fail", "critical", "aws_cloudwatch_log_group", "us-east-1", "US"),
        ("OFS-REPL-001", "fail", "critical", "aws_s3_bucket", "us-east-1", "US"),
    ]


def test_live_findings_point_at_the_account_region_and_arn() -> None:
    findings = evaluate(normalised(_live_estate(), ScanOptions(estate=ESTATE)))
    replication = next(f for f in findings if f.rule_id == "OFS-REPL-001")
    assert replication.resource.id == "arn:aws:s3:::claims-evidence"
    assert replication.where == SourceRef(f"{ACCOUNT}/eu-west-2", None, "arn:aws:s3:::claims-evidence?replication")
    assert replication.resource.location.provenance == (f"account {ACCOUNT} region eu-west-2",)


def test_a_live_account_listed_as_dwp_makes_its_untagged_resources_dwp() -> None:
    from providers.semantics.classification import ClassificationRules

    untagged = _live("arn:aws:s3:::plain", "aws_s3_bucket", "eu-west-1", {"bucket": "plain"})
    rules = ClassificationRules(dwp_scopes=frozenset({ACCOUNT}))
    [finding] = [f for f in evaluate(normalised([untagged], ScanOptions(rules=rules))) if f.rule_id == "OFS-HOST-001"]
    assert finding.resource.classification.reason == f"in DWP scope {ACCOUNT} (config)"


def test_a_setting_that_names_another_resource_never_identifies_it() -> None:
    # The policy comes first and its `bucket` is the bucket's name: the name still finds the bucket.
    policy = _live("arn:aws:s3:::claims-evidence?policy", "aws_s3_bucket_policy", "eu-west-2",
                   {"bucket": "claims-evidence", "policy": "{}"})
    bucket = _live("arn:aws:s3:::claims-evidence", "aws_s3_bucket", "eu-west-2", {"bucket": "claims-evidence"})
    context = NormaliseContext([policy, bucket], ScanOptions())
    assert context.referenced("claims-evidence") is bucket
