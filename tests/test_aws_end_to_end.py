"""The real CLI against a moto server on 127.0.0.1: an estate built with boto3, scanned with
``offshore-scan aws --all-regions --format json`` in a subprocess.

The estate is written here, independently of the collectors: a DWP bucket replicating to us-east-1, a DWP
bucket in Ireland, a DWP RDS instance with a read replica in us-east-1, a KMS multi-Region key replicated
to us-west-2, a secret replicated to Frankfurt, a log group subscribed to a Firehose stream in us-east-1,
a role trusted by an offshore account, a VPC peered with us-east-1, and a contractor's non-DWP bucket
abroad. moto 5.2.6 answers DescribeAccountPolicies (CloudWatch Logs) and ListMetricStreams (CloudWatch) with
HTTP 500: each must end as a coverage gap, never a crash and never a pass (the metric-stream gap is an unknown
finding for each DWP resource of the regions whose streams are read: ``helpers.moto_metric_stream_gap``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.helpers import moto_metric_stream_gap, moto_metric_stream_scope, moto_server

ACCOUNT = "123456789012"  # moto's default account
OFFSHORE = "444455556666"
DWP = [{"Key": "Classification", "Value": "OFFICIAL-SENSITIVE"}, {"Key": "Owner", "Value": "DWP Claims"}]
CONFIG = f'estate:\n  accounts:\n    "{OFFSHORE}": {{owner: "Contractor Ltd (Bangalore)", country: IN}}\n'


def _build(endpoint: str) -> dict[str, str]:
    def client(service: str, region: str = "eu-west-2") -> Any:
        return boto3.client(service, region_name=region, endpoint_url=endpoint, aws_access_key_id="testing",
                            aws_secret_access_key="testing")

    built: dict[str, str] = {}
    s3, s3_us, s3_ie = client("s3"), client("s3", "us-east-1"), client("s3", "eu-west-1")
    s3.create_bucket(Bucket="claims-evidence", CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    s3.put_bucket_tagging(Bucket="claims-evidence", Tagging={"TagSet": DWP})
    s3.put_bucket_versioning(Bucket="claims-evidence", VersioningConfiguration={"Status": "Enabled"})
    s3_us.create_bucket(Bucket="claims-evidence-dr")
    s3.put_bucket_replication(Bucket="claims-evidence", ReplicationConfiguration={
        "Role": f"arn:aws:iam::{ACCOUNT}:role/replication",
        "Rules": [{"ID": "all", "Status": "Enabled", "Priority": 1, "Filter": {"Prefix": ""},
                   "DeleteMarkerReplication": {"Status": "Disabled"},
                   "Destination": {"Bucket": "arn:aws:s3:::claims-evidence-dr"}}]})
    s3_ie.create_bucket(Bucket="claims-ireland", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3_ie.put_bucket_tagging(Bucket="claims-ireland", Tagging={"TagSet": DWP})
    client("s3", "us-west-2").create_bucket(Bucket="contractor-own",
                                            CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    client("s3", "us-west-2").put_bucket_tagging(Bucket="contractor-own",
                                                 Tagging={"TagSet": [{"Key": "Owner", "Value": "Contractor"}]})

    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": f"arn:aws:iam::{OFFSHORE}:root"}}]}
    client("iam").create_role(RoleName="claims-support", AssumeRolePolicyDocument=json.dumps(trust), Tags=DWP)

    rds = client("rds")
    rds.create_db_instance(DBInstanceIdentifier="claims-db", DBInstanceClass="db.t3.micro", Engine="postgres",
                           MasterUsername="admin1", MasterUserPassword="not-a-secret-1", AllocatedStorage=20, Tags=DWP)
    built["db"] = rds.describe_db_instances(DBInstanceIdentifier="claims-db")["DBInstances"][0]["DBInstanceArn"]
    client("rds", "us-east-1").create_db_instance_read_replica(
        DBInstanceIdentifier="claims-db-replica", SourceDBInstanceIdentifier=built["db"], SourceRegion="eu-west-2")

    kms = client("kms")
    key = kms.create_key(MultiRegion=True, Tags=[{"TagKey": t["Key"], "TagValue": t["Value"]} for t in DWP])
    built["key"] = key["KeyMetadata"]["Arn"]
    kms.replicate_key(KeyId=key["KeyMetadata"]["KeyId"], ReplicaRegion="us-west-2")

    client("secretsmanager").create_secret(Name="claims-api-key", SecretString="x", Tags=DWP,
                                           AddReplicaRegions=[{"Region": "eu-central-1"}])

    s3_us.create_bucket(Bucket="central-logs")
    firehose = {"RoleARN": f"arn:aws:iam::{ACCOUNT}:role/firehose", "BucketARN": "arn:aws:s3:::central-logs"}
    stream = client("firehose", "us-east-1").create_delivery_stream(
        DeliveryStreamName="central", ExtendedS3DestinationConfiguration=firehose)["DeliveryStreamARN"]
    # moto checks a subscription's stream by name in the log group's region (AWS allows any region):
    # a stream of the same name there lets the filter name the us-east-1 stream, as the estate intends.
    client("firehose").create_delivery_stream(DeliveryStreamName="central",
                                              ExtendedS3DestinationConfiguration=firehose)
    logs = client("logs")
    logs.create_log_group(logGroupName="/claims/app", tags={"Classification": "OFFICIAL-SENSITIVE"})
    logs.put_subscription_filter(logGroupName="/claims/app", filterName="to-central", filterPattern="",
                                 destinationArn=stream, roleArn=f"arn:aws:iam::{ACCOUNT}:role/cwl")

    vpc = client("ec2").create_vpc(CidrBlock="10.0.0.0/16",
                                   TagSpecifications=[{"ResourceType": "vpc", "Tags": DWP}])["Vpc"]["VpcId"]
    peer = client("ec2", "us-east-1").create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    client("ec2").create_vpc_peering_connection(VpcId=vpc, PeerVpcId=peer, PeerRegion="us-east-1")
    built["vpc"] = f"arn:aws:ec2:eu-west-2:{ACCOUNT}:vpc/{vpc}"
    return built


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


def _env(endpoint: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_MAX_ATTEMPTS="1", AWS_DEFAULT_REGION="eu-west-2", AWS_CONFIG_FILE=os.devnull,
               AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true")
    if endpoint is not None:
        env.update(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    return env


def _cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scanner.cli", "aws", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def scanned(server: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, str], int]:
    built = _build(server)
    work = tmp_path_factory.mktemp("aws")
    (work / "offshore-scan.yaml").write_text(CONFIG)
    result = _cli(["--all-regions", "--format", "json", "--quiet"], _env(server), work)
    assert "Traceback" not in result.stderr
    return json.loads(result.stdout), built, result.returncode


def _findings(report: dict[str, Any]) -> set[tuple[str, str, str | None]]:
    return {(f["rule_id"], f["resource"], (f["target"] or f["location"])["region"]) for f in report["findings"]
            if f["outcome"] == "fail"}


Scanned = tuple[dict[str, Any], dict[str, str], int]


@pytest.mark.slow
def test_every_offshore_dwp_resource_flow_and_grant_is_reported(scanned: Scanned) -> None:
    report, built, _ = scanned
    found = _findings(report)
    secret = next(r["id"] for r in report["inventory"]["resources"]
                  if r["type"] == "aws_secretsmanager_secret" and r["location"]["region"] == "eu-west-2")
    expected = {
        ("OFS-REPL-001", "arn:aws:s3:::claims-evidence", "us-east-1"),
        ("OFS-HOST-001", "arn:aws:s3:::claims-ireland", "eu-west-1"),
        ("OFS-REPL-001", built["db"], "us-east-1"),
        ("OFS-REPL-001", built["key"], "us-west-2"),
        ("OFS-REPL-001", secret, "eu-central-1"),
        ("OFS-DIAG-001", f"arn:aws:logs:eu-west-2:{ACCOUNT}:log-group:/claims/app", "us-east-1"),
        ("OFS-ACC-001", f"arn:aws:iam::{ACCOUNT}:role/claims-support", f"arn:aws:iam::{OFFSHORE}:root"),
        ("OFS-NET-001", built["vpc"], "us-east-1"),
    }
    assert expected <= found, sorted(found)


@pytest.mark.slow
def test_non_dwp_resources_pass(scanned: tuple[dict[str, Any], dict[str, str], int]) -> None:
    report, _, _ = scanned
    # moto's metric-stream gap is an unknown for every DWP resource of a region (the DR bucket too, as a copy);
    # no other finding names these buckets.
    named = {f["resource"] for f in report["findings"] if not moto_metric_stream_gap(f)}
    assert not any("contractor-own" in n or "claims-evidence-dr" in n or "central-logs" in n for n in named)
    resources = {r["id"]: r for r in report["inventory"]["resources"]}
    assert "arn:aws:s3:::contractor-own" not in resources  # never asked about: no DWP resource names it
    # The untagged DR bucket holds the DWP bucket's copy: DWP as that copy, said once by the replication finding.
    assert resources["arn:aws:s3:::claims-evidence-dr"]["dwp"] is True
    assert resources["arn:aws:s3:::claims-evidence-dr"]["classification"] == "copy of arn:aws:s3:::claims-evidence"
    assert resources["arn:aws:s3:::claims-evidence-dr"]["location"]["region"] == "us-east-1"
    assert resources["arn:aws:s3:::central-logs"]["dwp"] is False


@pytest.mark.slow
def test_coverage_lists_every_enabled_region_and_what_moto_cannot_answer(
        scanned: tuple[dict[str, Any], dict[str, str], int]) -> None:
    report, _, code = scanned
    scopes = report["scopes"]
    tagged = {s["region"] for s in scopes if s["service"] == "resourcegroupstaggingapi"}
    assert {"eu-west-2", "us-east-1", "eu-west-1", "us-west-2", "eu-central-1"} <= tagged
    assert all(s["status"] == "scanned" for s in scopes if s["service"] == "resourcegroupstaggingapi")
    assert any(s["status"] == "disabled" for s in scopes)  # moto lists opt-in regions as not opted in
    incomplete = [(s["region"], s["service"], s["status"]) for s in scopes
                  if s["status"] not in ("scanned", "disabled")]
    # ListMetricStreams, in each region where the Tagging API found DWP resources by ARN (the secret's replica in
    # Frankfurt, the estate in London, the database's replica in Virginia), and DescribeAccountPolicies: HTTP 500
    # from moto.
    # eu-west-1 holds only a DWP bucket: its metric streams are read too, the bucket being located there.
    assert incomplete == [moto_metric_stream_scope("eu-central-1"), moto_metric_stream_scope("eu-west-1"),
                          moto_metric_stream_scope("eu-west-2"),
                          ("eu-west-2", "logs", "failed"), moto_metric_stream_scope("us-east-1")], incomplete
    assert any("DescribeAccountPolicies" in g["reason"] for g in report["coverage"])
    assert any("ListMetricStreams" in g["reason"] for g in report["coverage"])
    assert code == 2  # incomplete without --allow-partial
    assert report["api_calls"]["resourcegroupstaggingapi"] == len(tagged)
    assert sum(report["api_calls"].values()) == sum(s["calls"] for s in scopes)


@pytest.mark.slow
def test_allow_partial_judges_the_findings(server: str, scanned: Any, tmp_path: Path) -> None:
    (tmp_path / "offshore-scan.yaml").write_text(CONFIG)
    result = _cli(["--region", "eu-west-2", "--allow-partial", "--quiet"], _env(server), tmp_path)
    assert result.returncode == 1, result.stderr
    assert "Live coverage" in result.stdout and "API calls:" in result.stdout


def test_missing_credentials_are_one_line_and_exit_2(tmp_path: Path) -> None:
    env = _env(None)
    env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9"
    result = _cli(["--region", "eu-west-2"], env, tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("offshore-scan: error: no usable AWS credentials")
    assert len(result.stderr.strip().splitlines()) == 1
