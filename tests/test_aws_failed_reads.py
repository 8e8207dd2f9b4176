"""A damaged or denied answer is never an empty one: on a moto server behind the fault proxy, a call that fails
leaves an unknown on every DWP resource whose judgement it would have decided, not only a coverage gap.

* A throttled ``kms:DescribeKey``: the key is still a record (placed by its ARN, the note saying its read failed),
  its replicas and its grants unknown, so its replication and who can use it are unknown findings on the key.
* A denied ``rds:DescribeDBInstances``: the database's read replicas are unknown.
* A denied ``ec2:DescribeSnapshots`` in one region: each DWP snapshot and volume held elsewhere has copies there
  that could not be read, one unknown flow each, with no call more.
* The function a DWP table stream's mapping feeds is read (one call), though it carries no DWP tag.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from fault_proxy import FaultProxy, fault_proxy

from providers.aws.adapter import scan_aws
from providers.aws.options import AwsOptions
from providers.interface import ScanOptions
from scanner.engine import evaluate
from scanner.model import Finding, Inventory
from tests.helpers import moto_server

ACCOUNT = "123456789012"  # moto's default account
FOREIGN = "444455556666"
REGIONS = ("eu-west-2", "us-east-1")
DWP = [{"Key": "Classification", "Value": "OFFICIAL-SENSITIVE"}]
BROKEN = {"kms:DescribeKey": "throttle", "rds:DescribeDBInstances": "deny",
          "ec2:DescribeSnapshots@us-east-1": "deny"}


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handle(event, context):\n    return event\n")
    return buffer.getvalue()


def _build(endpoint: str) -> dict[str, str]:
    def client(service: str, region: str = "eu-west-2") -> Any:
        return boto3.client(service, region_name=region, endpoint_url=endpoint, aws_access_key_id="testing",
                            aws_secret_access_key="testing")

    built: dict[str, str] = {}
    kms = client("kms")
    key = kms.create_key(MultiRegion=True, Tags=[{"TagKey": t["Key"], "TagValue": t["Value"]} for t in DWP])
    kms.replicate_key(KeyId=key["KeyMetadata"]["KeyId"], ReplicaRegion="us-east-1")
    kms.create_grant(KeyId=key["KeyMetadata"]["KeyId"], GranteePrincipal=f"arn:aws:iam::{FOREIGN}:role/support",
                     Operations=["Decrypt"])
    built["key"] = key["KeyMetadata"]["Arn"]

    rds = client("rds")
    rds.create_db_instance(DBInstanceIdentifier="claims-db", DBInstanceClass="db.t3.micro", Engine="postgres",
                           MasterUsername="admin1", MasterUserPassword="not-a-secret-1", AllocatedStorage=20, Tags=DWP)
    built["db"] = f"arn:aws:rds:eu-west-2:{ACCOUNT}:db:claims-db"

    ec2 = client("ec2")
    volume = ec2.create_volume(AvailabilityZone="eu-west-2a", Size=1,
                               TagSpecifications=[{"ResourceType": "volume", "Tags": DWP}])["VolumeId"]
    snapshot = ec2.create_snapshot(VolumeId=volume, Description="nightly",
                                   TagSpecifications=[{"ResourceType": "snapshot", "Tags": DWP}])["SnapshotId"]
    copy = client("ec2", "us-east-1").copy_snapshot(SourceSnapshotId=snapshot, SourceRegion="eu-west-2",
                                                    Description=f"[Copied {snapshot} from eu-west-2]")["SnapshotId"]
    built.update(volume=f"arn:aws:ec2:eu-west-2:{ACCOUNT}:volume/{volume}",
                 snapshot=f"arn:aws:ec2:eu-west-2:{ACCOUNT}:snapshot/{snapshot}",
                 copy=f"arn:aws:ec2:us-east-1:{ACCOUNT}:snapshot/{copy}")

    table = client("dynamodb").create_table(
        TableName="claims-table", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}], Tags=DWP,
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})["TableDescription"]
    queue = f"arn:aws:sqs:us-east-1:{ACCOUNT}:failures-us"
    client("sqs", "us-east-1").create_queue(QueueName="failures-us")
    role = client("iam").create_role(RoleName="fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lam = client("lambda")
    # Untagged: read only because the DWP table's stream mapping hands it the table's records.
    built["consumer"] = lam.create_function(FunctionName="consumer-fn", Runtime="python3.11", Role=role,
                                            Handler="handler.handle", Code={"ZipFile": _zip()})["FunctionArn"]
    lam.create_event_source_mapping(EventSourceArn=table["LatestStreamArn"], FunctionName="consumer-fn",
                                    StartingPosition="LATEST",
                                    DestinationConfig={"OnFailure": {"Destination": queue}})
    built["table"] = table["TableArn"]
    return built


@pytest.fixture(scope="module")
def aws() -> Iterator[tuple[FaultProxy, dict[str, str]]]:
    with moto_server() as endpoint, fault_proxy(endpoint) as proxy, pytest.MonkeyPatch.context() as patch:
        built = _build(endpoint)
        for name in [k for k in __import__("os").environ if k.startswith("AWS_")]:
            patch.delenv(name)
        patch.setenv("AWS_ENDPOINT_URL", proxy.url)
        for name, value in (("AWS_MAX_ATTEMPTS", "2"), ("AWS_CONFIG_FILE", "/dev/null"),
                            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"), ("AWS_EC2_METADATA_DISABLED", "true")):
            patch.setenv(name, value)
        yield proxy, built


def _scan(proxy: FaultProxy, faults: dict[str, str]) -> tuple[Inventory, list[str]]:
    proxy.faults.clear()
    proxy.seen.clear()
    for operation, kind in faults.items():
        proxy.breaking(operation, kind)
    try:
        session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="eu-west-2")
        inventory = scan_aws(AwsOptions(regions=REGIONS, timeout=30.0), ScanOptions(), session=session)
    finally:
        proxy.faults.clear()
    return inventory, list(proxy.seen)


@pytest.fixture(scope="module")
def clean(aws: tuple[FaultProxy, dict[str, str]]) -> tuple[Inventory, list[str]]:
    return _scan(aws[0], {})


@pytest.fixture(scope="module")
def broken(aws: tuple[FaultProxy, dict[str, str]]) -> tuple[Inventory, list[str]]:
    return _scan(aws[0], BROKEN)


def _findings(inventory: Inventory, resource: str) -> list[Finding]:
    # moto has no metric streams: ListMetricStreams is a 500 (an unknown metric stream on every DWP resource).
    return [f for f in evaluate(inventory) if f.resource.id == resource and f.outcome.value in ("fail", "unknown")
            and "ListMetricStreams" not in f.message]


@pytest.mark.slow  # two scans of the estate on moto, ~20 s
def test_a_throttled_describe_key_leaves_the_replicas_and_grants_of_the_key_unknown(
        aws: tuple[FaultProxy, dict[str, str]], broken: tuple[Inventory, list[str]]) -> None:
    key = aws[1]["key"]
    inventory, _ = broken
    assert key in {r.id for r in inventory.resources}
    unknown = [f.message for f in _findings(inventory, key) if f.outcome.value == "unknown"]
    assert any("KMS multi-Region replica key" in m and "kms:DescribeKey throttled" in m for m in unknown), unknown
    assert any(f"who key {key} is granted to could not be read: kms:DescribeKey throttled" in m
               for m in unknown), unknown
    notes = [g.reason for g in inventory.coverage if key in g.reason]
    assert notes and all("their read failed" in n and "kms:DescribeKey" in n for n in notes), notes
    assert not [n for n in notes if "no collector reads the type" in n]


@pytest.mark.slow  # two scans of the estate on moto, ~20 s
def test_a_denied_database_read_leaves_its_read_replicas_unknown(
        aws: tuple[FaultProxy, dict[str, str]], broken: tuple[Inventory, list[str]]) -> None:
    db = aws[1]["db"]
    inventory, _ = broken
    unknown = [f.message for f in _findings(inventory, db) if f.outcome.value == "unknown"]
    assert any(f"where the read replicas of {db} are could not be read: rds:DescribeDBInstances denied" in m
               for m in unknown), unknown
    notes = [g.reason for g in inventory.coverage if db in g.reason]
    assert notes and all("their read failed" in n for n in notes), notes


@pytest.mark.slow  # two scans of the estate on moto, ~20 s
def test_a_region_whose_snapshots_cannot_be_listed_leaves_each_dwp_snapshots_copies_there_unknown(
        aws: tuple[FaultProxy, dict[str, str]], clean: tuple[Inventory, list[str]],
        broken: tuple[Inventory, list[str]]) -> None:
    built = aws[1]
    inventory, seen = broken
    for resource in (built["snapshot"], built["volume"]):
        name = resource.rsplit("/", 1)[1]
        unknown = [f.message for f in _findings(inventory, resource) if f.outcome.value == "unknown"]
        assert [m for m in unknown if f"copies of {name} in us-east-1 could not be read (ec2:DescribeSnapshots "
                "denied" in m], (resource, unknown)
    # No call more than the clean scan's: the unknowns are made of what was already asked.
    clean_inventory, clean_seen = clean
    # (The copy the clean scan reads in us-east-1 has its sharing asked; unlisted, it has not.)
    assert seen.count("ec2:DescribeSnapshots") == clean_seen.count("ec2:DescribeSnapshots")
    for operation in ("ec2:DescribeSnapshotAttribute", "ec2:DescribeImages"):
        assert seen.count(operation) <= clean_seen.count(operation), operation
    # Read, the copy is a finding of its own, and nothing about the snapshot's copies is unknown or skipped.
    assert built["copy"] in {r.id for r in clean_inventory.resources}
    assert not [f.message for f in _findings(clean_inventory, built["snapshot"]) if f.outcome.value == "unknown"]
    assert not [g for g in clean_inventory.coverage if g.kind == "skipped" and built["snapshot"] in g.reason]
    assert not [r.id for r in clean_inventory.resources if "?copies-in=" in r.id or "unread" in r.id]


@pytest.mark.slow  # two scans of the estate on moto, ~20 s
def test_the_function_a_dwp_stream_mapping_feeds_is_read_though_it_is_untagged(
        aws: tuple[FaultProxy, dict[str, str]], clean: tuple[Inventory, list[str]]) -> None:
    built = aws[1]
    inventory, seen = clean
    consumer = {r.id: r for r in inventory.resources}.get(built["consumer"])
    assert consumer is not None and consumer.type == "aws_lambda_function"
    messages = [f.message for f in _findings(inventory, built["table"])]
    assert not [m for m in messages if "is not in the scanned configuration" in m], messages
    # Its settings only: one GetFunctionConfiguration, no destinations or mappings of its own asked.
    assert seen.count("lambda:GetFunctionConfiguration") == 1
    # The mapping's failed batches still go to the US queue: the table's data leaves.
    assert any("us-east-1" in m for m in messages), messages


# --- recorded answers ------------------------------------------------------------------------------


def _clients() -> Any:
    from providers.aws.calls import Clients
    from providers.aws.coverage import Recorder
    from providers.aws.session import guarded

    session = guarded(boto3.Session(aws_access_key_id="k", aws_secret_access_key="s", region_name="eu-west-2"))
    return Clients({ACCOUNT: session}, Recorder())


def test_a_resource_whose_collector_failed_and_gave_no_record_is_noted_as_a_failed_read() -> None:
    from providers.aws import located
    from providers.aws.adapter import _reading
    from providers.aws.collectors import Work
    from providers.aws.records import Scope
    from scanner.model import ScopeStatus

    clients = _clients()
    arn, other = f"arn:aws:kms:eu-west-2:{ACCOUNT}:key/k-1", f"arn:aws:kms:eu-west-2:{ACCOUNT}:key/k-2"
    tags = {arn: {"Classification": "OFFICIAL-SENSITIVE"}, other: {"Classification": "OFFICIAL-SENSITIVE"}}

    def dropping(work: Work) -> list[Any]:
        clients.recorder.problem(ACCOUNT, "eu-west-2", "kms", ScopeStatus.THROTTLED, "DescribeKey: Throttling")
        return []

    failed: dict[str, str] = {}
    work = Work(Scope(ACCOUNT, "eu-west-2"), clients, (arn, other), tags)
    assert _reading(clients, dropping, work, failed) == []
    records = located.read_failed(work.scope, failed, tags, [])
    # Both keys' reads failed alike: one note names both, the error said once (never a note per key).
    [note] = located.coverage_notes(ACCOUNT, [arn, other], records)
    assert "their read failed" in note.reason and "kms throttled (DescribeKey: Throttling)" in note.reason
    assert note.reason.startswith("2 DWP aws_kms_key") and arn in note.reason and other in note.reason
    assert "no collector reads the type" not in note.reason
    # A collector that read nothing with no call failing: left to the generic reader and the usual note.
    failed.clear()
    assert _reading(clients, lambda work: [], work, failed) == [] and not failed


def test_a_failed_grant_list_is_a_grant_to_an_unknown_grantee() -> None:
    from botocore.stub import Stubber

    from providers.aws.collectors import Work, kms
    from providers.aws.records import Scope
    from providers.semantics.records import Unknown

    clients = _clients()
    arn = f"arn:aws:kms:eu-west-2:{ACCOUNT}:key/k-1"
    stub = Stubber(clients.get(ACCOUNT, "eu-west-2", "kms").client)
    stub.activate()
    stub.add_response("describe_key", {"KeyMetadata": {"KeyId": "k-1", "Arn": arn, "KeyManager": "CUSTOMER"}})
    stub.add_response("get_key_policy", {"Policy": "{}"})
    stub.add_client_error("list_grants", "AccessDeniedException", http_status_code=400)
    records = kms.collect(Work(Scope(ACCOUNT, "eu-west-2"), clients, (arn,), {}))
    [grant] = [r for r in records if r.type == "aws_kms_grant"]
    assert isinstance(grant.values["grantee_principal"], Unknown)
    assert "kms:ListGrants denied" in grant.values["grantee_principal"].reason
