"""Live findings name the resources they are about, and no other: a moto estate with several unrelated
resources of each type (buckets and their DR buckets, secrets and keys with replicas, log groups subscribed to
Firehose streams, peered VPCs, roles trusted from abroad), each belonging to one group (alpha, bravo, charlie).
Every finding's message, ``declared`` and ``how`` may mention only resources of its own group; a replica is named
by its own ARN and said once; an untagged copy is DWP as the copy of its source; a live ``how`` cites the API call
and the response field that showed it. moto has no metric streams: every DWP resource of a region whose streams
are read has an unknown finding declared by the region's placeholder stream (``helpers.moto_metric_stream_gap``),
which the tests that count findings leave out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from providers.aws.adapter import scan_aws
from providers.aws.collectors import dynamodb, s3
from providers.aws.options import AwsOptions
from providers.aws.records import Scope
from providers.interface import ScanOptions
from providers.semantics.normalise import to_inventory
from scanner.engine import evaluate
from scanner.model import Finding, Inventory
from scanner.reporters.interface import ScanReport
from scanner.reporters.text import TextReporter
from tests.helpers import moto_metric_stream_gap, moto_server

ACCOUNT = "123456789012"  # moto's default account
DWP = [{"Key": "Classification", "Value": "OFFICIAL-SENSITIVE"}]
GROUPS = ("alpha", "bravo", "charlie")
REGIONS = ("eu-west-2", "us-east-1", "eu-west-1", "us-west-2", "eu-central-1")
OFFSHORE = {"alpha": "444455556666", "bravo": "777788889999"}


def _client(endpoint: str, service: str, region: str = "eu-west-2") -> Any:
    return boto3.client(service, region_name=region, endpoint_url=endpoint, aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def _buckets(endpoint: str) -> None:
    """alpha replicates to the US, bravo is in Ireland and replicates to Oregon, charlie stays home."""
    for group, home, dr in (("alpha", "eu-west-2", "us-east-1"), ("bravo", "eu-west-1", "us-west-2"),
                            ("charlie", "eu-west-2", None)):
        s3 = _client(endpoint, "s3", home)
        s3.create_bucket(Bucket=f"{group}-store", CreateBucketConfiguration={"LocationConstraint": home})
        s3.put_bucket_tagging(Bucket=f"{group}-store", Tagging={"TagSet": DWP})
        if dr is None:
            continue
        s3.put_bucket_versioning(Bucket=f"{group}-store", VersioningConfiguration={"Status": "Enabled"})
        there = _client(endpoint, "s3", dr)
        there.create_bucket(Bucket=f"{group}-dr", **({} if dr == "us-east-1" else
                                                     {"CreateBucketConfiguration": {"LocationConstraint": dr}}))
        s3.put_bucket_replication(Bucket=f"{group}-store", ReplicationConfiguration={
            "Role": f"arn:aws:iam::{ACCOUNT}:role/{group}-replication",
            "Rules": [{"ID": "all", "Status": "Enabled", "Priority": 1, "Filter": {"Prefix": ""},
                       "DeleteMarkerReplication": {"Status": "Disabled"},
                       "Destination": {"Bucket": f"arn:aws:s3:::{group}-dr"}}]})


def _secrets_and_keys(endpoint: str, ids: dict[str, str]) -> None:
    """Secrets: alpha replicated to Frankfurt, bravo to Virginia, charlie not. Keys: alpha and bravo replicated."""
    secrets = _client(endpoint, "secretsmanager")
    for group, replica in (("alpha", "eu-central-1"), ("bravo", "us-east-1"), ("charlie", None)):
        extra = {"AddReplicaRegions": [{"Region": replica}]} if replica else {}
        secrets.create_secret(Name=f"{group}-secret", SecretString="x", Tags=DWP, **extra)
    kms = _client(endpoint, "kms")
    for group, replica in (("alpha", "us-west-2"), ("bravo", "us-east-1"), ("charlie", None)):
        key = kms.create_key(MultiRegion=True, Description=f"{group} key",
                             Tags=[{"TagKey": t["Key"], "TagValue": t["Value"]} for t in DWP])["KeyMetadata"]
        ids[key["KeyId"]] = group
        if replica:
            kms.replicate_key(KeyId=key["KeyId"], ReplicaRegion=replica)


def _logs(endpoint: str) -> None:
    """alpha's and bravo's log groups each subscribed to their own Firehose stream in Virginia, each stream
    delivering to its own bucket there."""
    logs = _client(endpoint, "logs")
    for group in ("alpha", "bravo"):
        _client(endpoint, "s3", "us-east-1").create_bucket(Bucket=f"{group}-logs")
        firehose = {"RoleARN": f"arn:aws:iam::{ACCOUNT}:role/{group}-firehose",
                    "BucketARN": f"arn:aws:s3:::{group}-logs"}
        stream = _client(endpoint, "firehose", "us-east-1").create_delivery_stream(
            DeliveryStreamName=f"{group}-stream", ExtendedS3DestinationConfiguration=firehose)["DeliveryStreamARN"]
        # moto checks a subscription's stream by name in the log group's region (AWS allows any region).
        _client(endpoint, "firehose").create_delivery_stream(DeliveryStreamName=f"{group}-stream",
                                                             ExtendedS3DestinationConfiguration=firehose)
        logs.create_log_group(logGroupName=f"/{group}/app", tags={"Classification": "OFFICIAL-SENSITIVE"})
        logs.put_subscription_filter(logGroupName=f"/{group}/app", filterName=f"{group}-out", filterPattern="",
                                     destinationArn=stream, roleArn=f"arn:aws:iam::{ACCOUNT}:role/{group}-cwl")


def _network(endpoint: str, ids: dict[str, str]) -> None:
    """alpha's VPC peered with Virginia, bravo's with Ireland, charlie's with nothing; a role per group trusted
    by an account of its own abroad."""
    ec2 = _client(endpoint, "ec2")
    for index, (group, peer_region) in enumerate((("alpha", "us-east-1"), ("bravo", "eu-west-1"),
                                                  ("charlie", None))):
        vpc = ec2.create_vpc(CidrBlock=f"10.{index}.0.0/16",
                             TagSpecifications=[{"ResourceType": "vpc", "Tags": DWP}])["Vpc"]["VpcId"]
        ids[vpc] = group
        if peer_region is None:
            continue
        peer = _client(endpoint, "ec2", peer_region).create_vpc(CidrBlock=f"10.{index + 10}.0.0/16")["Vpc"]["VpcId"]
        ids[peer] = group
        pcx = ec2.create_vpc_peering_connection(VpcId=vpc, PeerVpcId=peer, PeerRegion=peer_region)
        ids[pcx["VpcPeeringConnection"]["VpcPeeringConnectionId"]] = group
    iam = _client(endpoint, "iam")
    for group, account in OFFSHORE.items():
        trust = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}}]}
        iam.create_role(RoleName=f"{group}-support", AssumeRolePolicyDocument=json.dumps(trust), Tags=DWP)


@pytest.fixture(scope="module")
def scanned() -> Iterator[tuple[Inventory, tuple[Finding, ...], dict[str, str]]]:
    with moto_server() as endpoint, pytest.MonkeyPatch.context() as patch:
        ids: dict[str, str] = {}
        _buckets(endpoint)
        _secrets_and_keys(endpoint, ids)
        _logs(endpoint)
        _network(endpoint, ids)
        patch.setenv("AWS_ENDPOINT_URL", endpoint)
        patch.setenv("AWS_MAX_ATTEMPTS", "1")
        session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                region_name="eu-west-2")
        inventory = scan_aws(AwsOptions(regions=REGIONS), ScanOptions(), session=session)
        yield inventory, evaluate(inventory), ids


def _groups(text: str, ids: dict[str, str]) -> set[str]:
    """The groups whose resources a text mentions: by name, or by the ids AWS gave them."""
    named = {group for group in GROUPS if re.search(rf"\b{group}\b", text)}
    return named | {group for found, group in ids.items() if found in text}


def _said(finding: Finding) -> dict[str, str]:
    return {"message": finding.message, "declared": finding.declared_by,
            "how": " -> ".join(finding.location.provenance)}


@pytest.mark.slow
def test_every_finding_mentions_only_the_resources_it_is_about(scanned: Any) -> None:
    _, findings, ids = scanned
    judged = [f for f in findings if f.rule_id != "OFS-GRD-001"]  # the estate's: names no resource
    assert len(judged) >= 10, [(f.rule_id, f.resource.id) for f in judged]
    for finding in judged:
        [own] = _groups(finding.resource.id, ids) or {None}
        assert own is not None, finding.resource.id
        for part, text in _said(finding).items():
            assert _groups(text, ids) <= {own}, f"{finding.rule_id} of {finding.resource.id}: {part} {text!r}"
        assert finding.resource.id in finding.message, finding.message


@pytest.mark.slow
def test_each_offshore_resource_of_each_group_is_found(scanned: Any) -> None:
    _, findings, ids = scanned
    # The offshore accounts are in no estate map: their access is unknown, never a pass.
    found = {(f.rule_id, _groups(f.resource.id, ids).pop(), f.resource.type) for f in findings
             if f.rule_id != "OFS-GRD-001" and not moto_metric_stream_gap(f)}
    for group in ("alpha", "bravo"):
        assert {("OFS-REPL-001", group, "aws_s3_bucket"), ("OFS-REPL-001", group, "aws_secretsmanager_secret"),
                ("OFS-REPL-001", group, "aws_kms_key"), ("OFS-DIAG-001", group, "aws_cloudwatch_log_group"),
                ("OFS-NET-001", group, "aws_vpc"), ("OFS-ACC-001", group, "aws_iam_role")} <= found, found
    assert ("OFS-HOST-001", "bravo", "aws_s3_bucket") in found
    assert not [f for f in found if f[1] == "charlie"]


@pytest.mark.slow
def test_a_replica_is_named_by_its_own_arn_and_said_once(scanned: Any) -> None:
    inventory, every, _ = scanned
    findings = [f for f in every if not moto_metric_stream_gap(f)]
    for group, region in (("alpha", "eu-central-1"), ("bravo", "us-east-1")):
        [replication] = [f for f in findings if f.rule_id == "OFS-REPL-001"
                         and f.resource.type == "aws_secretsmanager_secret" and f"{group}-secret" in f.resource.id]
        replica = replication.resource.id.replace(":eu-west-2:", f":{region}:")
        assert f"({replica})" in replication.message
        assert replication.declared_by == replication.resource.id  # the primary declares its replicas
        # The replica is not said again as a secret hosted abroad.
        assert not [f for f in findings if f.resource.id == replica]
        resources = {r.id: r for r in inventory.resources}
        assert resources[replica].classification.dwp and resources[replica].location.region == region
    keys = [f for f in findings if f.resource.type in ("aws_kms_key", "aws_kms_replica_key")]
    assert {f.resource.type for f in keys} == {"aws_kms_key"} and len(keys) == 2


@pytest.mark.slow
def test_untagged_copies_hold_the_dwp_data_of_what_they_copy(scanned: Any) -> None:
    inventory, every, _ = scanned
    findings = [f for f in every if not moto_metric_stream_gap(f)]
    resources = {r.id: r for r in inventory.resources}
    for group in ("alpha", "bravo"):
        dr = resources[f"arn:aws:s3:::{group}-dr"]
        assert dr.classification.dwp and dr.classification.reason == f"copy of arn:aws:s3:::{group}-store"
        assert not [f for f in findings if f.resource.id == dr.id]  # said once, by the replication finding
        # The log bucket a stream writes to holds diagnostics, not a copy: not DWP by this rule.
        assert not resources[f"arn:aws:s3:::{group}-logs"].classification.dwp
    replica_keys = [r for r in inventory.resources if r.type == "aws_kms_replica_key"]
    assert len(replica_keys) == 2 and all(r.classification.reason.startswith("copy of arn:aws:kms:eu-west-2:")
                                          for r in replica_keys)


@pytest.mark.slow
def test_a_live_how_cites_the_call_and_the_field(scanned: Any) -> None:
    _, findings, _ = scanned
    hows = {(f.rule_id, f.resource.type): " -> ".join(f.location.provenance) for f in findings}
    assert re.search(r"kms:DescribeKey arn:aws:kms:eu-west-2:\S+ KeyMetadata\.MultiRegionConfiguration\."
                     r"ReplicaKeys\[0\]\.Region = '(us-west-2|us-east-1)'", hows[("OFS-REPL-001", "aws_kms_key")])
    assert "secretsmanager:DescribeSecret ReplicationStatus[].Region" in hows[
        ("OFS-REPL-001", "aws_secretsmanager_secret")]
    assert "ec2:DescribeVpcPeeringConnections VpcPeeringConnections[].AccepterVpcInfo.Region" in hows[
        ("OFS-NET-001", "aws_vpc")]
    assert "logs:DescribeSubscriptionFilters subscriptionFilters[].destinationArn" in hows[
        ("OFS-DIAG-001", "aws_cloudwatch_log_group")]


@pytest.mark.slow
def test_a_diagnostics_message_names_the_first_hop_and_the_final_destination(scanned: Any) -> None:
    _, findings, _ = scanned
    for group in ("alpha", "bravo"):
        [finding] = [f for f in findings if f.rule_id == "OFS-DIAG-001" and f"/{group}/app" in f.resource.id]
        stream = f"arn:aws:firehose:us-east-1:{ACCOUNT}:deliverystream/{group}-stream"
        assert f"to {stream}, delivering to arn:aws:s3:::{group}-logs" in finding.message


def _table(region: str, replicas: list[str]) -> list[Any]:
    """A DWP DynamoDB table as the collector translates a recorded DescribeTable (moto answers no ``Replicas``)."""
    arn = f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/claims"
    answer = {"Table": {"TableName": "claims", "TableArn": arn,
                        "Replicas": [{"RegionName": r, "ReplicaStatus": "ACTIVE"} for r in (region, *replicas)]}}
    return dynamodb.translate_table(Scope(ACCOUNT, region), arn, answer, {"Classification": "OFFICIAL-SENSITIVE"})


def test_a_dynamodb_replica_is_named_by_its_arn_dwp_as_a_copy_and_said_once() -> None:
    inventory = to_inventory(_table("eu-west-2", ["eu-west-1"]), ScanOptions())
    findings = evaluate(inventory)
    replica = f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/claims"
    [replication] = [f for f in findings if f.rule_id == "OFS-REPL-001"]
    assert f"({replica})" in replication.message
    assert "dynamodb:DescribeTable" in " -> ".join(replication.location.provenance)
    resources = {r.id: r for r in inventory.resources}
    assert resources[replica].classification.reason == f"copy of arn:aws:dynamodb:eu-west-2:{ACCOUNT}:table/claims"
    assert not [f for f in findings if f.resource.id == replica]


def _same_region_replication(region: str) -> list[Any]:
    """A DWP bucket replicating to another bucket of its own region (S3 same-Region replication), as the
    collector translates the recorded answers."""
    rule = {"ID": "srr", "Status": "Enabled", "Destination": {"Bucket": "arn:aws:s3:::claims-srr"}}
    location = {"LocationConstraint": region}
    primary = s3.BucketResponses("claims", location, replication={"ReplicationConfiguration": {"Rules": [rule]}},
                                 logging={})
    copy = s3.BucketResponses("claims-srr", location, settings_read=False)
    return [*s3.translate_bucket(ACCOUNT, primary, {"Classification": "OFFICIAL-SENSITIVE"}),
            *s3.translate_bucket(ACCOUNT, copy, None)]


def test_a_copy_where_its_subject_already_is_is_listed_as_a_flow_and_never_a_finding() -> None:
    inventory = to_inventory(_same_region_replication("eu-west-2"), ScanOptions())
    [flow] = inventory.flows
    assert flow.target.region == "eu-west-2" and flow.target.uk is True
    assert not [f for f in evaluate(inventory) if f.rule_id != "OFS-GRD-001"]
    report = TextReporter().render(ScanReport(evaluate(inventory), inventory, "test", "high"))
    paths = report.split("Where DWP data goes", 1)[1]
    assert "replication   -> aws eu-west-2 (GB) [UK]" in paths
    # Abroad, the place is said once, by the hosting findings: no replication finding to the same place.
    abroad = evaluate(to_inventory(_same_region_replication("eu-west-1"), ScanOptions()))
    assert sorted((f.rule_id, f.resource.id) for f in abroad if f.rule_id != "OFS-GRD-001") == [
        ("OFS-HOST-001", "arn:aws:s3:::claims")]
