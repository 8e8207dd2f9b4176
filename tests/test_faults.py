"""A damaged answer is never an empty one: every operation the live scans call, broken by a proxy in front of
the endpoint (``fault_proxy.py``), is a coverage gap naming the call, no finding of another scope is lost,
and nothing waits past ``--timeout``.

The operations are those a clean scan of the estate calls, recorded by the proxy; a test keeps that list
equal to every ``.call``/``.pages`` the collectors make that the estate can reach (so a new collector call
joins the matrix or fails here). One scan breaks one operation of each service at once (the matrix would
otherwise take many minutes), and two passes break every operation by two different fault kinds (``PASSES``):
each operation's own gap is checked, and the findings of the services no broken operation touches must all
still be there. The passes are ``slow``; the unmarked tests break the calls that matter most (the Tagging API
inventory, a stall, endless pages) one at a time.
"""

from __future__ import annotations

import functools
import io
import json
import re
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from fault_proxy import FAULTS, Fault, FaultProxy, fault_proxy

from providers.aws.adapter import scan_aws
from providers.aws.calls import own_endpoint_host
from providers.aws.options import AwsOptions
from providers.interface import ScanOptions
from scanner.config import load_config
from scanner.engine import evaluate
from scanner.model import Inventory
from tests.helpers import moto_server

pytestmark = pytest.mark.slow  # each test scans the moto estate behind the proxy: out of the quick loop (-m 'not slow')

ACCOUNT = "123456789012"
OFFSHORE = "444455556666"
TIMEOUT = 0.75
"""--timeout of the scans that break calls by stalling them (seconds); the proxy stalls for twice as long. Each
stalled call costs one --timeout, and the matrix stalls every operation, so it is short; moto answers in well
under a tenth of it (a quarter of a second at most on a loaded machine), so no unbroken call makes a gap."""
RELAXED = 30.0
"""--timeout of the scans that break nothing by stalling: a loaded test machine never makes a gap of its own."""
REGIONS = ("eu-west-2", "us-east-1")
DWP = [{"Key": "Classification", "Value": "OFFICIAL-SENSITIVE"}]
ROOT = Path(__file__).resolve().parent.parent


def _build(endpoint: str) -> None:
    """A small estate that makes every collector call its operations: one DWP resource of each kind read."""
    def client(service: str, region: str = "eu-west-2") -> Any:
        made = boto3.client(service, region_name=region, endpoint_url=endpoint, aws_access_key_id="testing",
                            aws_secret_access_key="testing")
        # S3 Control would write the account id into the host (ACCOUNT.127.0.0.1), as the scan knows.
        made.meta.events.register("before-sign", own_endpoint_host(endpoint))
        return made

    s3, s3_us, s3_ie = client("s3"), client("s3", "us-east-1"), client("s3", "eu-west-1")
    s3.create_bucket(Bucket="claims", CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    s3.put_bucket_tagging(Bucket="claims", Tagging={"TagSet": DWP})
    s3.put_bucket_versioning(Bucket="claims", VersioningConfiguration={"Status": "Enabled"})
    s3_us.create_bucket(Bucket="claims-dr")
    s3.put_bucket_replication(Bucket="claims", ReplicationConfiguration={
        "Role": f"arn:aws:iam::{ACCOUNT}:role/replication", "Rules": [
            {"ID": "all", "Status": "Enabled", "Priority": 1, "Filter": {"Prefix": ""},
             "DeleteMarkerReplication": {"Status": "Disabled"}, "Destination": {"Bucket": "arn:aws:s3:::claims-dr"}}]})
    s3.put_bucket_policy(Bucket="claims", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "s3:GetObject",
         "Resource": "arn:aws:s3:::claims/*"}]}))
    s3.put_bucket_logging(Bucket="claims", BucketLoggingStatus={})
    s3.put_bucket_encryption(Bucket="claims", ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    # Ways in kept in the account and the UK (no finding): an access point with a policy, an MRAP over UK buckets,
    # a RAM share of an untagged subnet with the account itself.
    control = client("s3control")
    control.create_access_point(AccountId=ACCOUNT, Name="claims-app", Bucket="claims")
    control.put_access_point_policy(AccountId=ACCOUNT, Name="claims-app", Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                                                "Action": "s3:GetObject", "Resource": "*"}]}))
    client("s3control", "us-west-2").create_multi_region_access_point(AccountId=ACCOUNT, ClientToken="claims", Details={
        "Name": "claims-uk", "Regions": [{"Bucket": "claims"}]})
    s3_ie.create_bucket(Bucket="claims-ireland", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3_ie.put_bucket_tagging(Bucket="claims-ireland", Tagging={"TagSet": DWP})
    # Audit copies kept in the UK (a bucket the trail, the Config channel and the table export name; no finding).
    s3.create_bucket(Bucket="claims-audit", CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    trails = client("cloudtrail")
    trails.create_trail(Name="claims-trail", S3BucketName="claims-audit")
    trails.put_event_selectors(TrailName="claims-trail", EventSelectors=[{
        "ReadWriteType": "All", "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::claims/"]}]}])
    config = client("config")
    config.put_configuration_recorder(ConfigurationRecorder={"name": "default",
                                                             "roleARN": f"arn:aws:iam::{ACCOUNT}:role/config"})
    config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": "claims-audit"})

    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": f"arn:aws:iam::{OFFSHORE}:root"}}]}
    iam = client("iam")
    iam.create_role(RoleName="claims-support", AssumeRolePolicyDocument=json.dumps(trust), Tags=DWP)
    # Its identity policies (read for roles trusted outside the account); naming no DWP resource, no finding.
    describe = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ec2:DescribeInstances", "Resource": "*"}]})
    iam.put_role_policy(RoleName="claims-support", PolicyName="support", PolicyDocument=describe)
    managed = iam.create_policy(PolicyName="claims-support", PolicyDocument=describe)["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="claims-support", PolicyArn=managed)
    role = iam.create_role(RoleName="claims-lambda", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"Service": "lambda.amazonaws.com"}}]}))["Role"]["Arn"]

    rds = client("rds")
    rds.create_db_instance(DBInstanceIdentifier="claims-db", DBInstanceClass="db.t3.micro", Engine="postgres",
                           MasterUsername="admin1", MasterUserPassword="not-a-secret-1", AllocatedStorage=20, Tags=DWP)
    db = rds.describe_db_instances(DBInstanceIdentifier="claims-db")["DBInstances"][0]["DBInstanceArn"]
    client("rds", "us-east-1").create_db_instance_read_replica(
        DBInstanceIdentifier="claims-db-replica", SourceDBInstanceIdentifier=db, SourceRegion="eu-west-2")

    kms = client("kms")
    key = kms.create_key(MultiRegion=True, Tags=[{"TagKey": t["Key"], "TagValue": t["Value"]} for t in DWP])
    kms.replicate_key(KeyId=key["KeyMetadata"]["KeyId"], ReplicaRegion="us-west-2")
    kms.create_grant(KeyId=key["KeyMetadata"]["KeyId"], GranteePrincipal=f"arn:aws:iam::{ACCOUNT}:role/claims-lambda",
                     Operations=["Decrypt"])

    client("secretsmanager").create_secret(Name="claims-api-key", SecretString="x", Tags=DWP,
                                           AddReplicaRegions=[{"Region": "eu-central-1"}])

    firehose = {"RoleARN": f"arn:aws:iam::{ACCOUNT}:role/firehose", "BucketARN": "arn:aws:s3:::claims-dr"}
    stream = client("firehose", "us-east-1").create_delivery_stream(
        DeliveryStreamName="central", ExtendedS3DestinationConfiguration=firehose)["DeliveryStreamARN"]
    client("firehose").create_delivery_stream(DeliveryStreamName="central", ExtendedS3DestinationConfiguration=firehose)
    logs = client("logs")
    logs.create_log_group(logGroupName="/claims/app", tags={"Classification": "OFFICIAL-SENSITIVE"})
    logs.put_subscription_filter(logGroupName="/claims/app", filterName="to-central", filterPattern="",
                                 destinationArn=stream, roleArn=f"arn:aws:iam::{ACCOUNT}:role/cwl")

    ec2, ec2_us = client("ec2"), client("ec2", "us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": DWP}])
    peer = ec2_us.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    ec2.create_vpc_peering_connection(VpcId=vpc["Vpc"]["VpcId"], PeerVpcId=peer, PeerRegion="us-east-1")
    volume = ec2.create_volume(AvailabilityZone="eu-west-2a", Size=1)["VolumeId"]
    subnet = ec2.create_subnet(VpcId=vpc["Vpc"]["VpcId"], CidrBlock="10.0.0.0/24")["Subnet"]["SubnetArn"]
    client("ram").create_resource_share(name="claims-network", principals=[ACCOUNT], resourceArns=[subnet])
    ec2.create_snapshot(VolumeId=volume, TagSpecifications=[{"ResourceType": "snapshot", "Tags": DWP}])

    dynamodb = client("dynamodb")
    table = dynamodb.create_table(TableName="claims-table", BillingMode="PAY_PER_REQUEST",
                                  KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                                  AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                                  Tags=DWP)["TableDescription"]["TableArn"]
    dynamodb.update_continuous_backups(TableName="claims-table",
                                       PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    dynamodb.export_table_to_point_in_time(TableArn=table, S3Bucket="claims-audit", S3Prefix="exports")
    ecr = client("ecr")
    ecr.create_repository(repositoryName="claims-images", tags=DWP)
    ecr.put_replication_configuration(replicationConfiguration={"rules": [
        {"destinations": [{"region": "us-east-1", "registryId": ACCOUNT}]}]})
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as files:
        files.writestr("index.py", "def handler(event, context):\n    return event\n")
    client("lambda").create_function(FunctionName="claims-fn", Runtime="python3.12", Role=role, Handler="index.handler",
                                     Code={"ZipFile": archive.getvalue()},
                                     Tags={"Classification": "OFFICIAL-SENSITIVE"},
                                     Environment={"Variables": {"SINK": "https://collector.example.in"}})
    client("ecs").register_task_definition(family="claims-task", tags=[{"key": "Classification",
                                                                         "value": "OFFICIAL-SENSITIVE"}],
                                           containerDefinitions=[{"name": "app", "image": "claims:1", "memory": 128}])
    client("cloudfront", "us-east-1").create_distribution(DistributionConfig={
        "CallerReference": "claims", "Comment": "", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "claims", "DomainName": "claims.s3.amazonaws.com",
                                              "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "claims", "ViewerProtocolPolicy": "https-only",
                                 "MinTTL": 0, "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
                                 "TrustedSigners": {"Enabled": False, "Quantity": 0}}})


CONFIG = f'estate:\n  accounts:\n    "{OFFSHORE}": {{owner: "Contractor Ltd (Bangalore)", country: IN}}\n'


@pytest.fixture(scope="module")
def aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FaultProxy, ScanOptions]]:
    """The estate on a moto server, a proxy in front of it, and the SDK pointed at the proxy."""
    config_file = tmp_path_factory.mktemp("faults") / "offshore-scan.yaml"
    config_file.write_text(CONFIG, encoding="utf-8")
    config = load_config(config_file)
    scan = ScanOptions(rules=config.rules, estate=config.estate)
    with moto_server() as endpoint, fault_proxy(endpoint, stall_seconds=2 * TIMEOUT) as proxy, \
            pytest.MonkeyPatch.context() as patch:
        _build(endpoint)
        for name in [k for k in __import__("os").environ if k.startswith("AWS_")]:
            patch.delenv(name)
        # Retries: one (two attempts), as the issue asks of the fault tests.
        patch.setenv("AWS_ENDPOINT_URL", proxy.url)
        for name, value in (("AWS_MAX_ATTEMPTS", "2"), ("AWS_CONFIG_FILE", "/dev/null"),
                            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"), ("AWS_EC2_METADATA_DISABLED", "true")):
            patch.setenv(name, value)
        yield proxy, scan


def _scan(proxy: FaultProxy, scan: ScanOptions,
          timeout: float = RELAXED) -> tuple[Inventory, set[tuple[str, str]], float]:
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="eu-west-2")
    started = time.monotonic()
    inventory = scan_aws(AwsOptions(regions=REGIONS, timeout=timeout), scan, session=session)
    seconds = time.monotonic() - started
    found = {(f.rule_id, f.resource.id) for f in evaluate(inventory) if f.outcome.value == "fail"}
    return inventory, found, seconds


@pytest.fixture(scope="module")
def clean(aws: tuple[FaultProxy, ScanOptions]) -> tuple[Inventory, set[tuple[str, str]], float, set[str]]:
    """The scan with nothing broken: its findings, its time, and the operations it called."""
    proxy, scan = aws
    proxy.faults.clear()
    proxy.seen.clear()
    inventory, found, seconds = _scan(proxy, scan)
    return inventory, found, seconds, set(proxy.seen)



UNBROKEN = {"sts:GetCallerIdentity", "logs:DescribeAccountPolicies", "securityhub:DescribeHub"}
"""Called, but not in the matrix: the first call (a fault there is a one-line error, tested apart), one moto
answers HTTP 500 already, and one moto answers with an error (Security Hub not enabled), which no fault alters
(a denied or failed DescribeHub is tested with recorded answers)."""
NOT_REACHED = {
    # Listings of wholly DWP accounts (dwp.accounts), Organizations (--org), and what moto cannot hold.
    "describe_db_clusters", "describe_global_clusters", "describe_destinations",
    "describe_transit_gateway_vpc_attachments",
    "get_bucket_tagging", "list_buckets", "get_backup_plan", "list_backup_selections", "get_backup_selection",
    "list_accounts", "list_parents", "list_policies_for_target", "describe_policy", "describe_account_policies",
    "get_resource",  # Cloud Control, for types no collector reads: none in this estate
    "list_subscriptions_by_topic", "list_rules", "list_targets_by_rule", "describe_api_destination",  # SNS, events
    "get_metric_stream",  # moto has no metric streams: ListMetricStreams is a 500 (helpers.moto_metric_stream_gap)
    # moto's Tagging API lists no AMI and its DescribeImages refuses the block-device filter (docs/aws.md, moto
    # gaps): test_aws_data_leaves.py reads launch permissions from recorded answers.
    "describe_image_attribute",
    # moto has no GuardDuty publishing destinations nor Security Hub aggregators (no detector, no hub here);
    # tests/test_aws_findings_and_inventories.py reads them from recorded answers.
    "list_publishing_destinations", "describe_publishing_destination", "list_finding_aggregators",
    "get_finding_aggregator",
    # moto's Tagging API lists no EFS file system, ElastiCache replication group or OpenSearch domain, and moto has
    # no EFS replication, global datastores or cross-cluster connections: tests/test_aws_replicating_stores.py
    # reads them on a moto server and from recorded answers, failed calls included.
    "describe_file_systems", "describe_file_system_policy", "describe_replication_configurations",
    "describe_replication_groups", "describe_global_replication_groups", "describe_outbound_connections",
    "describe_inbound_connections",
    # Log and output destinations, read only where the region holds a DWP VPC associated with query logging, a
    # DWP workgroup, job, API or state machine, or in a wholly DWP account (the associations are listed here);
    # tests/test_aws_log_destinations.py breaks each on its own moto server.
    "list_resolver_query_log_configs", "list_work_groups", "get_work_group", "get_jobs", "get_rest_apis",
    "get_apis", "get_stages", "list_state_machines", "describe_state_machine",
}
"""Collector calls this estate does not reach (each is covered by the collector tests' recorded answers)."""
HIDES = {"logs": {"firehose"}}
"""A service whose failure means another's calls are never made (a subscription names the Firehose stream)."""
AFFECTS = {"firehose": {"logs"}, "s3": {"cloudfront", "cloudtrail", "config", "dynamodb"}}
"""A service whose failure may turn another's findings unknown (a log group's destination is the stream; the
trail's, the Config channel's and the table export's bucket is located by s3)."""
EVERYTHING = "resourcegroupstaggingapi:GetResources"
"""The DWP inventory: with it broken, only what is found without tags (IAM roles) is judged."""


def _batches(operations: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The operations in as few scans as can break them together: one operation of a service per scan, never
    with one whose failure would keep it from being called, and the Tagging API on its own."""
    batches: list[list[str]] = [[EVERYTHING]] if EVERYTHING in operations else []
    for operation in sorted(o for o in operations if o != EVERYTHING):
        service = operation.split(":")[0]
        for batch in batches[1:] if batches and batches[0] == [EVERYTHING] else batches:
            services = {o.split(":")[0] for o in batch}
            if service not in services and not any(service in HIDES.get(s, ()) or s in HIDES.get(service, ())
                                                   for s in services):
                batch.append(operation)
                break
        else:
            batches.append([operation])
    return [tuple(b) for b in batches]


@functools.cache
def _paginated(operation: str) -> bool:
    import botocore.session

    service, name = operation.split(":")
    try:
        return bool(botocore.session.get_session().get_paginator_model(service).get_paginator(name))
    except Exception:  # no paginator model, or none for this operation
        return False


def _service_of(resource: str) -> str:
    return resource.split(":")[2] if resource.startswith("arn:") else ""


def _kept(clean: set[tuple[str, str]], broken: tuple[str, ...]) -> set[tuple[str, str]]:
    """The clean scan's findings no broken operation may take away."""
    if EVERYTHING in broken:
        return {f for f in clean if _service_of(f[1]) == "iam"}
    if broken == ("ec2:DescribeRegions",):
        return set(clean)
    services = {o.split(":")[0] for o in broken if o != "ec2:DescribeRegions"}
    touched = services | {a for s in services for a in AFFECTS.get(s, ())}
    return {f for f in clean if _service_of(f[1]) not in touched}


def _assert_gaps(inventory: Inventory, faults: dict[str, Fault]) -> None:
    """Each broken operation was called, and is a coverage gap naming it."""
    for operation, fault in faults.items():
        kind = fault.kind
        service, name = operation.split(":")
        assert fault.hits, f"{operation} was never called"
        scopes = [s for s in inventory.scopes if s.service == service and s.status.incomplete
                  and f"{name}:" in (s.detail or "")]
        assert scopes, (operation, kind, [(s.service, s.status.value, s.detail) for s in inventory.scopes
                                          if s.service == service])
        assert any(f"{name}:" in g.reason for g in inventory.coverage), (operation, kind)


def _check(aws: tuple[FaultProxy, ScanOptions], clean: Any, plan: dict[str, str]) -> Inventory:
    """Scan with each operation of ``plan`` broken by its fault kind: a gap for each, every other finding kept, no
    wait past the deadline."""
    proxy, scan = aws
    _, clean_found, clean_seconds, _ = clean
    broken = tuple(plan)
    proxy.faults.clear()
    faults = {operation: proxy.breaking(operation, kind) for operation, kind in plan.items()}
    stalled = sum(kind == "stall" for kind in plan.values())
    try:
        inventory, found, seconds = _scan(proxy, scan, TIMEOUT if stalled else RELAXED)
    finally:
        proxy.faults.clear()
    _assert_gaps(inventory, faults)
    missing = _kept(clean_found, broken) - found
    assert not missing, (plan, sorted(missing))
    # Nothing waits past the deadline: each broken scope stalls once at most, for --timeout.
    assert seconds < clean_seconds + 2 * TIMEOUT * max(stalled, 1) * len(REGIONS) + 5, (plan, seconds)
    return inventory


def _operations(clean: Any) -> tuple[str, ...]:
    """What the collectors call against this estate (recorded by the proxy in the clean scan)."""
    return tuple(sorted(clean[3] - UNBROKEN))


def test_the_matrix_is_every_operation_the_collectors_call(clean: Any) -> None:
    from botocore import xform_name

    source = "\n".join(path.read_text(encoding="utf-8") for path in (ROOT / "providers" / "aws").rglob("*.py"))
    named = set(re.findall(r"\.(?:call|pages)\(\s*\"(\w+)\"", source))
    called = {xform_name(o.split(":")[1]) for o in clean[3]}
    # A collector call this estate does not reach: reach it in _build, or name it in NOT_REACHED saying why.
    assert named - NOT_REACHED <= called, sorted(named - NOT_REACHED - called)
    assert len(_operations(clean)) >= 25 and EVERYTHING in _operations(clean)


PASSES = 2
"""Every operation is broken in each pass, by a different fault kind in each: the kinds are dealt in turn over the
operations of a pass (``endless`` only to paginated ones), the second pass two turns on. Breaking every operation
by every kind cost five full matrices (four minutes of the suite) for the same code: a fault is detected where
every call is made (``providers/aws/calls.py``), whatever the operation, and a failed call is then the same
``Failed`` to every collector, whatever the fault. Each kind still breaks a fifth of the operations of each pass,
of every service."""


def _kinds_for(operation: str) -> tuple[str, ...]:
    return tuple(kind for kind in FAULTS if kind != "endless" or _paginated(operation))


def fault_plans(operations: tuple[str, ...], number: int) -> list[dict[str, str]]:
    """Pass ``number``: one plan per batch of operations that can be broken together, each operation with the
    fault kind dealt to it."""
    turn = 2 * number
    plans = []
    for batch in _batches(operations):
        plan = {}
        for operation in batch:
            kinds = _kinds_for(operation)
            plan[operation] = kinds[turn % len(kinds)]
            turn += 1
        plans.append(plan)
    return plans


def test_the_passes_break_every_operation_by_two_kinds_and_use_every_kind(clean: Any) -> None:
    operations = _operations(clean)
    passes = [fault_plans(operations, number) for number in range(PASSES)]
    dealt: dict[str, list[str]] = {}
    for plans in passes:
        assert sorted(o for plan in plans for o in plan) == sorted(operations)
        for plan in plans:
            for operation, kind in plan.items():
                dealt.setdefault(operation, []).append(kind)
    assert all(len(set(kinds)) == PASSES for kinds in dealt.values()), dealt
    used = [kind for kinds in dealt.values() for kind in kinds]
    # Each kind breaks at least half its share of the operations it applies to (endless pages: paginated ones).
    applies = {kind: sum(kind in _kinds_for(o) for o in operations) for kind in FAULTS}
    assert all(used.count(kind) >= applies[kind] * PASSES // (2 * len(FAULTS)) for kind in FAULTS), \
        {kind: (used.count(kind), applies[kind]) for kind in FAULTS}


@pytest.mark.slow
def test_every_aws_operation_broken_is_a_gap_naming_it(aws: Any, clean: Any) -> None:
    broken_pass(aws, clean, 0)


def broken_pass(aws: Any, clean: Any, number: int) -> None:
    """Every operation of the clean scan broken by the kind pass ``number`` deals it, in as few scans as can break
    them together (tests/test_faults_matrix.py runs the other pass, so pytest-xdist runs the two on two workers)."""
    failures = []
    for plan in fault_plans(_operations(clean), number):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("providers.aws.calls.MAX_PAGES", 5)  # endless pages end in 5, not 10,000
            try:
                _check(aws, clean, plan)
            except AssertionError as error:
                failures.append(f"{plan}: {str(error)[:600]}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(("operation", "kind"), [
    ("resourcegroupstaggingapi:GetResources", "html"),  # the DWP inventory: never "no DWP resources"
    ("kms:DescribeKey", "stall"),
    ("iam:ListRoles", "endless"),
    pytest.param("resourcegroupstaggingapi:GetResources", "cut", marks=pytest.mark.slow),
    pytest.param("ec2:DescribeVpcPeeringConnections", "repeat", marks=pytest.mark.slow),
    pytest.param("s3:GetBucketPolicy", "html", marks=pytest.mark.slow),
    pytest.param("s3:GetBucketLocation", "503", marks=pytest.mark.slow),  # botocore's own S3 handler on a 503
    pytest.param("secretsmanager:DescribeSecret", "500", marks=pytest.mark.slow),
])
def test_the_calls_that_matter_most_broken_are_gaps(aws: Any, clean: Any, operation: str, kind: str) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("providers.aws.calls.MAX_PAGES", 5)
        inventory = _check(aws, clean, {operation: kind})
    if operation == EVERYTHING:
        # What the DWP inventory would have held is unknown: the scan is incomplete, said per region.
        assert {s.region for s in inventory.scopes if s.service == "resourcegroupstaggingapi"
                and s.status.incomplete} == set(REGIONS)


def test_a_broken_first_call_is_one_line(aws: Any) -> None:
    from providers.live.errors import CredentialsError

    proxy, scan = aws
    for kind in ("html", "cut", "stall"):
        proxy.breaking("sts:GetCallerIdentity", kind)
        try:
            with pytest.raises(CredentialsError) as raised:
                _scan(proxy, scan, TIMEOUT)
        finally:
            proxy.faults.clear()
        assert "\n" not in str(raised.value) and "STS" in str(raised.value), (kind, str(raised.value))
