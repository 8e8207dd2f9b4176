"""RDS and Aurora snapshots (copies abroad, sharing), DynamoDB exports to S3, Lambda destinations and event
source mappings, CloudWatch metric streams: end to end on a moto server where moto implements the calls, and
recorded answers through botocore's Stubber where it does not.

moto 5.2.6 implements DescribeDBSnapshots, DescribeDBClusterSnapshots and their attributes, ListExports and
DescribeExport, ListFunctionEventInvokeConfigs and ListEventSourceMappings; its snapshot copies carry no
``SourceDBSnapshotIdentifier`` / ``SourceRegion`` / ``SourceDBClusterSnapshotArn``, its ``ListEventSourceMappings``
filtered by ``FunctionName`` answers nothing, and it has no CloudWatch metric streams (recorded answers below).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from providers.aws.adapter import scan_aws
from providers.aws.calls import Clients
from providers.aws.collectors import Work, cloudwatch, lambda_, rds_snapshots
from providers.aws.coverage import Recorder
from providers.aws.options import AwsOptions
from providers.aws.records import Scope
from providers.aws.session import guarded
from providers.interface import ScanOptions
from providers.semantics.normalise import to_inventory
from providers.semantics.records import ResourceRecord
from scanner.engine import evaluate
from scanner.model import Finding, Inventory, ScopeStatus
from tests.helpers import moto_server

ACCOUNT = "123456789012"  # moto's default account
OTHER = "444455556666"
HERE = Scope(ACCOUNT, "eu-west-2")
US = Scope(ACCOUNT, "us-east-1")
DWP = {"Classification": "OFFICIAL-SENSITIVE"}
DWP_TAGS = [{"Key": k, "Value": v} for k, v in DWP.items()]
REGIONS = ("eu-west-2", "us-east-1")


# --- recorded answers ------------------------------------------------------------------------------


@pytest.fixture
def clients() -> Iterator[Clients]:
    session = guarded(boto3.Session(aws_access_key_id="k", aws_secret_access_key="s", region_name="eu-west-2"))
    yield Clients({ACCOUNT: session}, Recorder())


def _stub(clients: Clients, service: str, region: str = "eu-west-2") -> Stubber:
    stubber = Stubber(clients.get(ACCOUNT, region, service).client)
    stubber.activate()
    return stubber


def _judged(records: list[ResourceRecord], clients: Clients | None = None) -> tuple[Inventory, set[tuple[str, str]]]:
    inventory = to_inventory(records, ScanOptions(), gaps=clients.recorder.gaps() if clients else ())
    return inventory, {(f.rule_id, f.resource.id) for f in evaluate(inventory)
                       if f.outcome.value in ("fail", "unknown") and f.rule_id != "OFS-GRD-001"}


def _database(scope: Scope, name: str, tags: dict[str, str] | None = None) -> ResourceRecord:
    from providers.aws.collectors import rds

    arn = f"arn:aws:rds:{scope.region}:{scope.account}:db:{name}"
    [record] = rds.translate_instances(scope, [{"DBInstanceArn": arn, "DBInstanceIdentifier": name}],
                                       {arn: tags or {}})
    return record


def _snapshot(name: str, database: str, region: str = "eu-west-2", **more: Any) -> dict[str, Any]:
    return {"DBSnapshotIdentifier": name, "DBInstanceIdentifier": database, "SnapshotType": "manual",
            "DBSnapshotArn": f"arn:aws:rds:{region}:{ACCOUNT}:snapshot:{name}", **more}


def _restore(name: str, *accounts: str) -> dict[str, Any]:
    return {"DBSnapshotAttributesResult": {"DBSnapshotIdentifier": name, "DBSnapshotAttributes": [
        {"AttributeName": "restore", "AttributeValues": list(accounts)}]}}


def test_an_rds_snapshot_copied_abroad_is_a_copy_of_the_dwp_database(clients: Clients) -> None:
    source = f"arn:aws:rds:eu-west-2:{ACCOUNT}:snapshot:rds:claims-2025-01-01-00-00"  # an automated snapshot
    us = _stub(clients, "rds", "us-east-1")
    us.add_response("describe_db_snapshots", {"DBSnapshots": [
        _snapshot("claims-dr", "claims", "us-east-1", SourceDBSnapshotIdentifier=source, SourceRegion="eu-west-2"),
        _snapshot("scratch", "scratch", "us-east-1")]}, {"SnapshotType": "manual"})
    us.add_response("describe_db_snapshot_attributes", _restore("claims-dr"), {"DBSnapshotIdentifier": "claims-dr"})
    us.add_response("describe_db_cluster_snapshots", {"DBClusterSnapshots": []}, {"SnapshotType": "manual"})
    records = rds_snapshots.collect(Work(US, clients, (), {}))
    us.assert_no_pending_responses()
    copy = f"arn:aws:rds:us-east-1:{ACCOUNT}:snapshot:claims-dr"
    assert [(r.type, r.address) for r in records] == [("aws_db_snapshot_copy", copy), ("aws_db_snapshot", source)]
    assert records[0].values["source_db_snapshot_identifier"] == source
    assert "SourceDBSnapshotIdentifier" in " ".join(records[0].provenance["source_db_snapshot_identifier"])
    database = _database(HERE, "claims", DWP)
    inventory, found = _judged([database, *records])
    resources = {r.id: r for r in inventory.resources}
    assert resources[copy].classification.reason.startswith("copy of ")
    assert ("OFS-REPL-001", database.address) in found
    assert ("OFS-HOST-001", copy) not in found  # said once, by the copy's flow


def test_a_uk_copy_of_a_dwp_snapshot_is_no_finding_and_nothing_is_skipped(clients: Clients) -> None:
    # A copy made in London (from another account's share, which names its source by ARN) stays in the UK.
    source = f"arn:aws:rds:eu-west-2:{ACCOUNT}:snapshot:claims-snap"
    stubber = _stub(clients, "rds")
    stubber.add_response("describe_db_snapshots", {"DBSnapshots": [
        _snapshot("claims-snap", "claims"),
        _snapshot("claims-kept", "claims", SourceDBSnapshotIdentifier=source, SourceRegion="eu-west-2")]},
        {"SnapshotType": "manual"})
    stubber.add_response("describe_db_snapshot_attributes", _restore("claims-snap", ACCOUNT),
                         {"DBSnapshotIdentifier": "claims-snap"})
    stubber.add_response("describe_db_snapshot_attributes", _restore("claims-kept"),
                         {"DBSnapshotIdentifier": "claims-kept"})
    stubber.add_response("describe_db_cluster_snapshots", {"DBClusterSnapshots": []}, {"SnapshotType": "manual"})
    db = f"arn:aws:rds:eu-west-2:{ACCOUNT}:db:claims"
    records = rds_snapshots.collect(Work(HERE, clients, (db,), {}))
    stubber.assert_no_pending_responses()
    inventory, found = _judged([_database(HERE, "claims", DWP), *records], clients)
    assert {r.type for r in records} == {"aws_db_snapshot", "aws_db_snapshot_copy"}
    assert found == set()
    assert [g for g in inventory.coverage if g.incomplete or g.kind == "skipped"] == []


def test_a_wholly_dwp_account_keeps_every_snapshot_even_of_a_database_gone(clients: Clients) -> None:
    # dwp.accounts: a manual snapshot in us-east-1 whose database was deleted (or is in another region) is DWP data
    # there; kept by a tag-only rule it would be dropped without a word.
    us = _stub(clients, "rds", "us-east-1")
    us.add_response("describe_db_snapshots", {"DBSnapshots": [_snapshot("claims-snap-us", "gone", "us-east-1")]},
                    {"SnapshotType": "manual"})
    us.add_response("describe_db_snapshot_attributes", _restore("claims-snap-us"),
                    {"DBSnapshotIdentifier": "claims-snap-us"})
    us.add_response("describe_db_cluster_snapshots", {"DBClusterSnapshots": []}, {"SnapshotType": "manual"})
    records = rds_snapshots.collect(Work(US, clients, (), {}, whole_account=True))
    us.assert_no_pending_responses()
    assert [r.address for r in records] == [f"arn:aws:rds:us-east-1:{ACCOUNT}:snapshot:claims-snap-us"]
    us.add_response("describe_db_snapshots", {"DBSnapshots": [_snapshot("claims-snap-us", "gone", "us-east-1")]},
                    {"SnapshotType": "manual"})
    us.add_response("describe_db_cluster_snapshots", {"DBClusterSnapshots": []}, {"SnapshotType": "manual"})
    assert rds_snapshots.collect(Work(US, clients, (), {})) == []  # tagged estate: not a DWP database's


def test_an_aurora_snapshot_shared_publicly_is_a_public_grant(clients: Clients) -> None:
    cluster = f"arn:aws:rds:eu-west-2:{ACCOUNT}:cluster:agg"
    stubber = _stub(clients, "rds")
    stubber.add_response("describe_db_snapshots", {"DBSnapshots": []}, {"SnapshotType": "manual"})
    stubber.add_response("describe_db_cluster_snapshots", {"DBClusterSnapshots": [
        {"DBClusterSnapshotIdentifier": "agg-snap", "DBClusterIdentifier": "agg", "SnapshotType": "manual",
         "DBClusterSnapshotArn": f"arn:aws:rds:eu-west-2:{ACCOUNT}:cluster-snapshot:agg-snap"}]},
        {"SnapshotType": "manual"})
    stubber.add_response("describe_db_cluster_snapshot_attributes", {"DBClusterSnapshotAttributesResult": {
        "DBClusterSnapshotIdentifier": "agg-snap", "DBClusterSnapshotAttributes": [
            {"AttributeName": "restore", "AttributeValues": ["all"]}]}}, {"DBClusterSnapshotIdentifier": "agg-snap"})
    records = rds_snapshots.collect(Work(HERE, clients, (cluster,), {}))
    [snapshot] = records
    assert (snapshot.type, snapshot.values["shared_accounts"], snapshot.values["db_cluster_identifier"]) == (
        "aws_db_cluster_snapshot", ["all"], cluster)
    from providers.aws.collectors import rds

    clusters = rds.translate_clusters(HERE, [{"DBClusterArn": cluster, "DBClusterIdentifier": "agg"}], [],
                                      {cluster: DWP})
    inventory, found = _judged([*clusters, snapshot])
    [grant] = [g for g in inventory.grants if g.resource_id == snapshot.address]
    assert grant.public and ("OFS-ACC-001", snapshot.address) in found


def test_unread_sharing_is_an_unknown_principal_and_a_gap(clients: Clients) -> None:
    db = f"arn:aws:rds:eu-west-2:{ACCOUNT}:db:claims"
    stubber = _stub(clients, "rds")
    stubber.add_response("describe_db_snapshots", {"DBSnapshots": [_snapshot("claims-snap", "claims")]},
                         {"SnapshotType": "manual"})
    stubber.add_client_error("describe_db_snapshot_attributes", "AccessDenied", "denied", 403)
    stubber.add_client_error("describe_db_cluster_snapshots", "AccessDenied", "denied", 403)
    records = rds_snapshots.collect(Work(HERE, clients, (db,), {}))
    [snapshot] = records
    inventory, found = _judged([_database(HERE, "claims", DWP), snapshot], clients)
    assert [g.readable for g in inventory.grants if g.resource_id == snapshot.address] == [False]
    assert any(rule == "OFS-UNK-001" or rule == "OFS-ACC-001" for rule, _ in found)
    [scope] = clients.recorder.coverage()
    assert (scope.service, scope.status) == ("rds", ScopeStatus.DENIED)
    assert "DescribeDBSnapshotAttributes" in (scope.detail or "")


def _stream_answer(name: str, firehose: str, role: bool = False) -> dict[str, Any]:
    return {"Arn": f"arn:aws:cloudwatch:eu-west-2:{ACCOUNT}:metric-stream/{name}", "Name": name,
            "FirehoseArn": firehose, "OutputFormat": "json", "State": "running",
            **({"RoleArn": f"arn:aws:iam::{ACCOUNT}:role/streams"} if role else {})}


def test_a_metric_stream_to_a_firehose_abroad_is_telemetry(clients: Clients) -> None:
    firehose = f"arn:aws:firehose:us-east-1:{ACCOUNT}:deliverystream/metrics"
    stubber = _stub(clients, "cloudwatch")
    stubber.add_response("list_metric_streams", {"Entries": [_stream_answer("all", firehose)]})
    stubber.add_response("get_metric_stream", {**_stream_answer("all", firehose, True), "IncludeFilters": [
        {"Namespace": "AWS/RDS"}]}, {"Name": "all"})
    [stream] = cloudwatch.collect(Work(HERE, clients, (f"arn:aws:rds:eu-west-2:{ACCOUNT}:db:claims",), {}))
    stubber.assert_no_pending_responses()
    assert (stream.values["firehose_arn"], stream.values["include_filter"]) == (
        firehose, [{"namespace": "AWS/RDS", "metric_names": []}])
    from providers.aws.follow import wanted_regional

    assert wanted_regional([stream]) == [(firehose, "firehose")]
    _, found = _judged([_database(HERE, "claims", DWP), stream])
    assert ("OFS-DIAG-001", f"arn:aws:rds:eu-west-2:{ACCOUNT}:db:claims") in found


def test_a_metric_stream_of_other_namespaces_or_in_the_uk_is_no_finding(clients: Clients) -> None:
    uk = f"arn:aws:firehose:eu-west-2:{ACCOUNT}:deliverystream/metrics"
    abroad = f"arn:aws:firehose:us-east-1:{ACCOUNT}:deliverystream/ec2"
    stubber = _stub(clients, "cloudwatch")
    stubber.add_response("list_metric_streams", {"Entries": [_stream_answer("uk", uk), _stream_answer("ec2", abroad)]})
    stubber.add_response("get_metric_stream", _stream_answer("uk", uk), {"Name": "uk"})
    stubber.add_response("get_metric_stream", {**_stream_answer("ec2", abroad), "IncludeFilters": [
        {"Namespace": "AWS/EC2"}]}, {"Name": "ec2"})
    records = cloudwatch.collect(Work(HERE, clients, (), {}))
    inventory, found = _judged([_database(HERE, "claims", DWP), *records])
    assert not [f for f in found if f[0] == "OFS-DIAG-001" and "claims" in f[1]]
    assert [g for g in inventory.coverage if g.incomplete or g.kind == "skipped"] == []


def test_an_unreadable_metric_stream_list_is_unknown_never_empty(clients: Clients) -> None:
    stubber = _stub(clients, "cloudwatch")
    stubber.add_client_error("list_metric_streams", "AccessDenied", "denied", 403)
    [record] = cloudwatch.collect(Work(HERE, clients, (), {}))
    assert record.values["firehose_arn"].__class__.__name__ == "Unknown"
    _, found = _judged([_database(HERE, "claims", DWP), record], clients)
    assert ("OFS-UNK-001", f"arn:aws:rds:eu-west-2:{ACCOUNT}:db:claims") in found or any(
        rule in ("OFS-UNK-001", "OFS-DIAG-001") for rule, _ in found)


def test_a_denied_invoke_config_list_is_an_unknown_destination(clients: Clients) -> None:
    function = f"arn:aws:lambda:eu-west-2:{ACCOUNT}:function:claims"
    stubber = _stub(clients, "lambda")
    stubber.add_response("get_function_configuration", {"FunctionName": "claims"}, {"FunctionName": function})
    stubber.add_client_error("list_function_event_invoke_configs", "AccessDeniedException", "denied", 403)
    stubber.add_response("list_event_source_mappings", {"EventSourceMappings": []}, {"FunctionName": "claims"})
    records = lambda_.collect(Work(HERE, clients, (function,), {function: DWP}))
    stubber.assert_no_pending_responses()
    assert [r.type for r in records] == ["aws_lambda_function", "aws_lambda_function_event_invoke_config"]
    _, found = _judged(records, clients)
    assert ("OFS-UNK-001", function) in found or ("OFS-REPL-001", function) in found


# --- end to end on a moto server -------------------------------------------------------------------


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with moto_server() as url:
        yield url


def _client(endpoint: str, service: str, region: str = "eu-west-2") -> Any:
    return boto3.client(service, region_name=region, endpoint_url=endpoint, aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handle(event, context):\n    return event\n")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def estate(endpoint: str) -> dict[str, str]:
    built: dict[str, str] = {}
    rds = _client(endpoint, "rds")
    for name, tags in (("claims", DWP_TAGS), ("scratch", [])):
        rds.create_db_instance(DBInstanceIdentifier=name, DBInstanceClass="db.t3.micro", Engine="postgres",
                               MasterUsername="admin1", MasterUserPassword="password1", AllocatedStorage=20, Tags=tags)
        rds.create_db_snapshot(DBInstanceIdentifier=name, DBSnapshotIdentifier=f"{name}-snap")  # untagged
    rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="claims-snap", AttributeName="restore",
                                     ValuesToAdd=[OTHER])
    rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="scratch-snap", AttributeName="restore", ValuesToAdd=["all"])
    built.update(db=f"arn:aws:rds:eu-west-2:{ACCOUNT}:db:claims",
                 snapshot=f"arn:aws:rds:eu-west-2:{ACCOUNT}:snapshot:claims-snap",
                 scratch=f"arn:aws:rds:eu-west-2:{ACCOUNT}:snapshot:scratch-snap")

    dynamodb, s3 = _client(endpoint, "dynamodb"), _client(endpoint, "s3", "us-east-1")
    s3.create_bucket(Bucket="claims-exports-us")
    _client(endpoint, "s3").create_bucket(Bucket="claims-exports-uk",
                                          CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    for name, bucket in (("claims-table", "claims-exports-us"), ("uk-table", "claims-exports-uk")):
        table = dynamodb.create_table(
            TableName=name, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}], Tags=DWP_TAGS,
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})["TableDescription"]
        dynamodb.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={
            "PointInTimeRecoveryEnabled": True})
        dynamodb.export_table_to_point_in_time(TableArn=table["TableArn"], S3Bucket=bucket, S3Prefix="x")
        built[name] = table["TableArn"]
        built[f"{name}-stream"] = table["LatestStreamArn"]

    role = _client(endpoint, "iam").create_role(RoleName="fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    queue_us = f"arn:aws:sqs:us-east-1:{ACCOUNT}:failures-us"
    _client(endpoint, "sqs", "us-east-1").create_queue(QueueName="failures-us")
    lam = _client(endpoint, "lambda")
    for name, tags in (("claims-fn", DWP), ("other-fn", {})):
        built[name] = lam.create_function(FunctionName=name, Runtime="python3.11", Role=role, Handler="handler.handle",
                                          Code={"ZipFile": _zip()}, Tags=tags)["FunctionArn"]
        lam.put_function_event_invoke_config(FunctionName=name, DestinationConfig={"OnFailure": {
            "Destination": queue_us}})
    # The DWP table's stream feeds a function that is not DWP; a failed batch's record goes to the US queue.
    lam.create_event_source_mapping(EventSourceArn=built["claims-table-stream"], FunctionName="other-fn",
                                    StartingPosition="LATEST", DestinationConfig={"OnFailure": {
                                        "Destination": queue_us}})
    return built


@pytest.fixture(scope="module")
def scanned(endpoint: str, estate: dict[str, str]) -> Iterator[Inventory]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ENDPOINT_URL", endpoint)
        patch.setenv("AWS_MAX_ATTEMPTS", "1")
        session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="eu-west-2")
        options = AwsOptions.from_command_line(None, REGIONS, False, False, None, (), (), 4)
        yield scan_aws(options, ScanOptions(), session=session)


def _findings(inventory: Inventory) -> dict[tuple[str, str], Finding]:
    # moto has no metric streams: ListMetricStreams is a 500, so every DWP resource of a region has an unknown
    # metric stream (tested with recorded answers above); the other findings are this module's.
    return {(f.rule_id, f.resource.id): f for f in evaluate(inventory)
            if f.outcome.value in ("fail", "unknown") and f.rule_id != "OFS-GRD-001"
            and "ListMetricStreams" not in f.message}


@pytest.mark.slow  # the shared estate and scan take ~30 s on moto
def test_a_dwp_database_snapshot_shared_with_another_account_is_a_grant(
        estate: dict[str, str], scanned: Inventory) -> None:
    resources = {r.id: r for r in scanned.resources}
    snapshot = resources[estate["snapshot"]]
    assert (snapshot.type, snapshot.classification.reason) == ("aws_db_snapshot", f"copy of {estate['db']}")
    [grant] = [g for g in scanned.grants if g.resource_id == estate["snapshot"]]
    assert grant.principal == OTHER and not grant.internal
    assert ("OFS-ACC-001", estate["snapshot"]) in _findings(scanned)


@pytest.mark.slow  # the shared estate and scan take ~30 s on moto
def test_a_public_snapshot_of_a_database_that_is_not_dwp_is_no_finding(
        estate: dict[str, str], scanned: Inventory) -> None:
    # Not a DWP database's snapshot, nor a copy: not kept, so its sharing is not even asked.
    assert estate["scratch"] not in {r.id for r in scanned.resources}
    assert not [key for key in _findings(scanned) if key[1] == estate["scratch"]]
    assert not [g for g in scanned.coverage if g.kind == "skipped" and estate["scratch"] in g.detail]


@pytest.mark.slow  # the shared estate and scan take ~30 s on moto
def test_a_dynamodb_export_to_a_bucket_abroad_is_a_copy_there(estate: dict[str, str], scanned: Inventory) -> None:
    exports = [r for r in scanned.resources if r.type == "aws_dynamodb_table_export"]
    assert len(exports) == 2
    found = _findings(scanned)
    flow = found[("OFS-REPL-001", estate["claims-table"])]
    assert (flow.target or flow.location).region == "us-east-1"
    # The UK table's export to a London bucket: no finding, and nothing about it skipped.
    assert not [(key, f.message) for key, f in found.items() if key[1] == estate["uk-table"]]


@pytest.mark.slow  # the shared estate and scan take ~30 s on moto
def test_lambda_destinations_and_mappings_abroad_are_replication(estate: dict[str, str], scanned: Inventory) -> None:
    found = _findings(scanned)
    destination = found[("OFS-REPL-001", estate["claims-fn"])]
    assert (destination.target or destination.location).region == "us-east-1"
    # The table's stream mapping's failed batches go to the US queue: the table's data leaves.
    assert ("OFS-REPL-001", estate["claims-table"]) in found
    # A function that is not DWP sending to the same queue: no finding, nothing skipped.
    assert not [key for key in found if key[1] == estate["other-fn"]]
    assert not [g for g in scanned.coverage if g.kind == "skipped" and "other-fn" in g.detail]
    described = " ".join(f.description for f in scanned.flows)
    assert "Lambda asynchronous invocation destination (on failure)" in described
    assert "Lambda event source mapping on-failure destination" in described
