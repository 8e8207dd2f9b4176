"""Where data leaves, end to end on a moto server on 127.0.0.1: an estate built with boto3, scanned with
``scan_aws`` over real HTTP, judged by the policies.

moto 5.2.6 implements SNS subscriptions, EventBridge rules and targets, EBS snapshots, snapshot copies and AMIs;
it does not implement Cloud Control API (a gap, never a pass). Its ``DescribeSnapshots`` ignores
``OwnerIds=self`` (the collector keeps only the account's own), its ``CopySnapshot`` writes no description (the
copies here are given the one AWS writes), its ``DescribeImages`` refuses the block-device filter (AMIs are a gap:
their launch permissions are tested with recorded answers), and its Tagging API lists EventBridge buses but not
rules (the bus here is found by a wholly DWP account's listing either way).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import boto3
import pytest

from providers.aws.adapter import scan_aws
from providers.aws.options import AwsOptions
from providers.interface import ScanOptions
from scanner.engine import evaluate
from scanner.model import Finding, Inventory
from tests.helpers import moto_server

pytestmark = pytest.mark.slow  # moto end to end: out of the quick loop (-m 'not slow'), in the full suite

ACCOUNT = "123456789012"  # moto's default account
DWP = [{"Key": "Classification", "Value": "OFFICIAL-SENSITIVE"}]
REGIONS = ("eu-west-2", "us-east-1")


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with moto_server() as url:
        yield url


def _client(endpoint: str, service: str, region: str = "eu-west-2") -> Any:
    return boto3.client(service, region_name=region, endpoint_url=endpoint, aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def _scan(endpoint: str, monkeypatch: pytest.MonkeyPatch, scan: ScanOptions | None = None,
          regions: tuple[str, ...] = REGIONS) -> Inventory:
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="eu-west-2")
    options = AwsOptions.from_command_line(None, regions, False, False, None, (), (), 4)
    return scan_aws(options, scan or ScanOptions(), session=session)


def _fails(inventory: Inventory) -> dict[tuple[str, str], Finding]:
    return {(f.rule_id, f.resource.id): f for f in evaluate(inventory)
            if f.outcome.value in ("fail", "unknown") and f.rule_id != "OFS-GRD-001"}


@pytest.fixture(scope="module")
def estate(endpoint: str) -> dict[str, str]:
    built: dict[str, str] = {}
    sns = _client(endpoint, "sns")
    topic = sns.create_topic(Name="claims-events", Tags=DWP)["TopicArn"]
    _client(endpoint, "sqs", "us-east-1").create_queue(QueueName="claims-copy")
    built["queue_us"] = f"arn:aws:sqs:us-east-1:{ACCOUNT}:claims-copy"
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=built["queue_us"])
    sns.subscribe(TopicArn=topic, Protocol="https", Endpoint="https://hooks.example-vendor.in/claims")
    built["topic"] = topic

    ec2 = _client(endpoint, "ec2")
    volume = ec2.create_volume(AvailabilityZone="eu-west-2a", Size=1,
                               TagSpecifications=[{"ResourceType": "volume", "Tags": DWP}])["VolumeId"]
    snapshot = ec2.create_snapshot(VolumeId=volume, Description="nightly")["SnapshotId"]  # untagged
    copy = _client(endpoint, "ec2", "us-east-1").copy_snapshot(
        SourceSnapshotId=snapshot, SourceRegion="eu-west-2",
        Description=f"[Copied {snapshot} from eu-west-2]")["SnapshotId"]
    built.update(volume=f"arn:aws:ec2:eu-west-2:{ACCOUNT}:volume/{volume}",
                 snapshot=f"arn:aws:ec2:eu-west-2:{ACCOUNT}:snapshot/{snapshot}",
                 copy=f"arn:aws:ec2:us-east-1:{ACCOUNT}:snapshot/{copy}")
    return built


def test_an_sns_subscription_abroad_and_an_https_endpoint_are_judged(
        endpoint: str, estate: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    found = _fails(_scan(endpoint, monkeypatch))
    replication = found[("OFS-REPL-001", estate["topic"])]
    assert replication.outcome.value == "fail" and (replication.target or replication.location).region == "us-east-1"
    assert any(rule == "OFS-DIAG-001" or "hooks.example-vendor.in" in f.message
               for (rule, resource), f in found.items() if resource == estate["topic"] and rule != "OFS-REPL-001")


def test_an_untagged_snapshot_of_a_dwp_volume_and_its_copy_abroad_are_dwp(
        endpoint: str, estate: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    inventory = _scan(endpoint, monkeypatch)
    resources = {r.id: r for r in inventory.resources}
    snapshot, copy = resources[estate["snapshot"]], resources[estate["copy"]]
    assert (snapshot.type, copy.type) == ("aws_ebs_snapshot", "aws_ebs_snapshot_copy")
    assert snapshot.classification.reason == f"copy of {estate['volume']}"
    # A copy of a copy names the chain back to the DWP volume.
    assert copy.classification.reason == f"copy of {estate['snapshot']}, a copy of {estate['volume']}"
    found = _fails(inventory)
    # The copy is said once, by the replication finding that names where it went, never again as a hosting.
    assert ("OFS-HOST-001", estate["copy"]) not in found
    assert (found[("OFS-REPL-001", estate["snapshot"])].target or copy.location).region == "us-east-1"
    # Other owners' public snapshots that moto answers are not this account's: never read as its copies.
    assert not [r for r in inventory.resources if r.type.startswith("aws_ebs_snapshot")
                and r.account not in (None, ACCOUNT)]


def test_an_event_bus_rule_sending_to_another_regions_bus_is_replication(
        endpoint: str, estate: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    events = _client(endpoint, "events")
    events.create_event_bus(Name="claims-bus")
    events.put_rule(Name="forward", EventBusName="claims-bus", EventPattern=json.dumps({"source": ["claims"]}))
    us_bus = f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/default"
    events.put_targets(Rule="forward", EventBusName="claims-bus", Targets=[{"Id": "us", "Arn": us_bus}])
    # Every resource of a wholly DWP account is DWP: the bus is found by listing, not by tags.
    scan = ScanOptions(rules=replace(ScanOptions().rules, dwp_scopes=frozenset({ACCOUNT})))
    bus = f"arn:aws:events:eu-west-2:{ACCOUNT}:event-bus/claims-bus"
    found = _fails(_scan(endpoint, monkeypatch, scan))
    assert (found[("OFS-REPL-001", bus)].target or found[("OFS-REPL-001", bus)].location).region == "us-east-1"


def test_a_copy_abroad_is_found_when_region_narrows_the_scan_and_the_other_regions_are_said(
        endpoint: str, estate: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    # --region eu-west-2 alone: the copy in us-east-1 is still found from the UK side, as replicas are.
    inventory = _scan(endpoint, monkeypatch, regions=("eu-west-2",))
    resources = {r.id: r for r in inventory.resources}
    assert resources[estate["copy"]].classification.reason == \
        f"copy of {estate['snapshot']}, a copy of {estate['volume']}"
    found = _fails(inventory)
    assert (found[("OFS-REPL-001", estate["snapshot"])].target or resources[estate["copy"]].location).region \
        == "us-east-1"
    # us-east-1 was read for copies only, and the report says so; no other service was asked there.
    notes = [g for g in inventory.coverage if "outside --region" in g.reason]
    assert len(notes) == 1 and "us-east-1" in notes[0].reason and notes[0].kind == "note"
    us = {s.service for s in inventory.scopes if s.region == "us-east-1"}
    assert us <= {"ec2", "s3"}


def test_a_dwp_snapshot_shared_with_another_account_or_made_public_is_an_access_grant(
        endpoint: str, estate: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    ec2 = _client(endpoint, "ec2")
    snapshot = estate["snapshot"].rsplit("/", 1)[1]
    ec2.modify_snapshot_attribute(SnapshotId=snapshot, Attribute="createVolumePermission", OperationType="add",
                                  UserIds=["999988887777"])
    public = ec2.create_snapshot(VolumeId=estate["volume"].rsplit("/", 1)[1], Description="weekly")["SnapshotId"]
    ec2.modify_snapshot_attribute(SnapshotId=public, Attribute="createVolumePermission", OperationType="add",
                                  GroupNames=["all"])
    found = _fails(_scan(endpoint, monkeypatch, regions=("eu-west-2",)))
    shared = found[("OFS-ACC-001", estate["snapshot"])]
    assert "999988887777" in shared.message and "create-volume permission" in shared.message
    # The account is not in the estate map: where it is cannot be said, an unknown, never a pass.
    assert shared.outcome.value == "unknown"
    everyone = found[("OFS-ACC-001", f"arn:aws:ec2:eu-west-2:{ACCOUNT}:snapshot/{public}")]
    assert everyone.outcome.value == "fail"


def test_a_dwp_ami_launch_permission_is_an_access_grant_from_recorded_answers() -> None:
    # moto's Tagging API lists no AMI and its DescribeImages refuses the block-device filter: recorded answers.
    from providers.aws.collectors import snapshots
    from providers.aws.records import Scope
    from providers.semantics.normalise import to_inventory

    here = Scope(ACCOUNT, "eu-west-2")
    volume = f"arn:aws:ec2:eu-west-2:{ACCOUNT}:volume/vol-1"
    answers = snapshots.SnapshotResponses(
        [{"SnapshotId": "snap-1", "VolumeId": "vol-1", "OwnerId": ACCOUNT, "Description": ""}], [],
        [{"ImageId": "ami-1", "OwnerId": ACCOUNT, "Name": "claims",
          "BlockDeviceMappings": [{"DeviceName": "/dev/sda1", "Ebs": {"SnapshotId": "snap-1"}}]}])
    records = snapshots.translate_snapshots(here, answers, {})
    image = f"arn:aws:ec2:eu-west-2:{ACCOUNT}:image/ami-1"
    # The AMI is DWP as a copy of a DWP volume's snapshot: its launch permissions are read.
    assert snapshots.dwp_snapshots_and_images(records, {volume}, False) == [
        image, f"arn:aws:ec2:eu-west-2:{ACCOUNT}:snapshot/snap-1"]
    shares = snapshots.translate_shares(here, snapshots.ShareResponses({}, {image: {"LaunchPermissions": [
        {"UserId": "999988887777"}, {"Group": "all"},
        {"OrganizationArn": "arn:aws:organizations::111122223333:organization/o-abcdefghij"}]}}))
    assert {r.type for r in shares} == {"aws_ami_launch_permission"}
    volume_record = snapshots.live_record(here, volume, "aws_ebs_volume", {"id": "vol-1", "tags": {
        "Classification": "OFFICIAL-SENSITIVE"}}, "tag:GetResources")
    inventory = to_inventory([volume_record, *records, *shares], ScanOptions())
    found = {(f.rule_id, f.resource.id, f.outcome.value) for f in evaluate(inventory)
             if "launch permission" in f.message}
    assert ("OFS-ACC-001", image, "fail") in found  # the group "all": every AWS account
    assert ("OFS-ACC-001", image, "unknown") in found  # an account or organisation the estate map does not place
    principals = {g.principal for g in inventory.grants if g.resource_id == image}
    assert principals == {"999988887777", "all", "arn:aws:organizations::111122223333:organization/o-abcdefghij"}


def test_a_wholly_dwp_accounts_unused_default_buses_are_not_listed_and_a_forward_is_said_once(
        endpoint: str, estate: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    events = _client(endpoint, "events")
    events.create_event_bus(Name="intake-bus")
    events.put_rule(Name="relay", EventBusName="intake-bus", EventPattern=json.dumps({"source": ["claims"]}))
    us_bus = f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/default"
    events.put_targets(Rule="relay", EventBusName="intake-bus", Targets=[{"Id": "us", "Arn": us_bus}])
    # eu-west-2's default bus is used (a rule sends its events abroad): read, and its forward judged.
    events.put_rule(Name="audit", EventPattern=json.dumps({"source": ["aws.ec2"]}))
    events.put_targets(Rule="audit", Targets=[{"Id": "q", "Arn": estate["queue_us"]}])
    scan = ScanOptions(rules=replace(ScanOptions().rules, dwp_scopes=frozenset({ACCOUNT})))
    inventory = _scan(endpoint, monkeypatch, scan)
    found = _fails(inventory)
    # us-east-1's default bus has no rule and no tag: not listed, so not "hosted abroad".
    assert ("OFS-HOST-001", us_bus) not in found
    assert not [r for r in inventory.resources if r.id == us_bus and r.type == "aws_cloudwatch_event_bus"]
    uk_default = f"arn:aws:events:eu-west-2:{ACCOUNT}:event-bus/default"
    assert ("OFS-REPL-001", uk_default) in found
    # The bus and its rule are both DWP: the forward is one finding, on the bus.
    forwards = [f for f in evaluate(inventory) if f.rule_id == "OFS-REPL-001" and "relay?target=us" in f.message]
    # us-east-1's default bus is not eu-west-2's, although it is not listed: the forward is placed in us-east-1.
    assert [(f.resource.id, (f.target or f.location).region) for f in forwards] == [
        (f"arn:aws:events:eu-west-2:{ACCOUNT}:event-bus/intake-bus", "us-east-1")]
