"""Collectors: pure translations of recorded responses, judged by the shared meaning, and failed calls that
become unknowns and coverage gaps (never a pass).

Where moto 5.2.5 lacks the API (DynamoDB replicas, RDS automated backup replication, Backup selections,
CloudWatch Logs account policies) the responses are recorded by hand from the AWS API reference and run
through botocore's Stubber, so the real client parses them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from providers.aws.calls import Clients
from providers.aws.collectors import Work, backup, dynamodb, logs, rds, s3
from providers.aws.coverage import Recorder
from providers.aws.records import Scope
from providers.aws.session import guarded
from providers.interface import ScanOptions
from providers.semantics.normalise import to_inventory
from providers.semantics.records import ResourceRecord
from scanner.engine import evaluate
from scanner.model import ScopeStatus

ACCOUNT = "111122223333"
HERE = Scope(ACCOUNT, "eu-west-2")
DWP = {"Classification": "OFFICIAL-SENSITIVE"}


@pytest.fixture
def clients() -> Iterator[Clients]:
    session = guarded(boto3.Session(aws_access_key_id="k", aws_secret_access_key="s", region_name="eu-west-2"))
    yield Clients({ACCOUNT: session}, Recorder())


def _stub(clients: Clients, service: str, region: str = "eu-west-2", scope_region: str | None = None) -> Stubber:
    stubber = Stubber(clients.get(ACCOUNT, region, service, scope_region=scope_region).client)
    stubber.activate()
    return stubber


def _fails(records: list[ResourceRecord]) -> set[tuple[str, str, str | None]]:
    inventory = to_inventory(records, ScanOptions())
    assert [g for g in inventory.coverage if g.incomplete] == []
    return {(f.rule_id, f.resource.id, (f.target or f.location).region) for f in evaluate(inventory)
            if f.outcome.value == "fail" and f.rule_id != "OFS-GRD-001"}


def test_dynamodb_replicas_are_replica_blocks(clients: Clients) -> None:
    arn = f"arn:aws:dynamodb:eu-west-2:{ACCOUNT}:table/claims"
    stubber = _stub(clients, "dynamodb")
    stubber.add_response("describe_table", {"Table": {"TableName": "claims", "TableArn": arn, "Replicas": [
        {"RegionName": "eu-west-2", "ReplicaStatus": "ACTIVE"},
        {"RegionName": "eu-west-1", "ReplicaStatus": "ACTIVE"}]}}, {"TableName": "claims"})
    records = dynamodb.collect(Work(HERE, clients, (arn,), {arn: DWP}))
    stubber.assert_no_pending_responses()
    assert records[0].values["replica"] == [{"region_name": "eu-west-1"}]
    assert _fails(records) == {("OFS-REPL-001", arn, "eu-west-1")}


def test_rds_automated_backups_replicated_abroad_are_a_backup_copy() -> None:
    db = f"arn:aws:rds:eu-west-2:{ACCOUNT}:db:claims"
    copy = f"arn:aws:rds:us-east-1:{ACCOUNT}:auto-backup:ab-abc123"
    recorded = [{"DBInstanceArn": db, "DBInstanceIdentifier": "claims", "TagList": [
        {"Key": "Classification", "Value": "OFFICIAL"}],
        "DBInstanceAutomatedBackupsReplications": [{"DBInstanceAutomatedBackupsArn": copy}]}]
    records = rds.translate_instances(HERE, recorded, {})
    assert [(r.type, r.source.path) for r in records] == [
        ("aws_db_instance", f"{ACCOUNT}/eu-west-2"),
        ("aws_db_instance_automated_backups_replication", f"{ACCOUNT}/us-east-1")]
    assert _fails(records) == {("OFS-REPL-001", db, "us-east-1")}


def test_backup_copy_actions_reach_the_resources_the_selections_name(clients: Clients) -> None:
    plan = f"arn:aws:backup:eu-west-2:{ACCOUNT}:backup-plan:plan-1"
    db = f"arn:aws:rds:eu-west-2:{ACCOUNT}:db:claims"
    vault = f"arn:aws:backup:us-east-1:{ACCOUNT}:backup-vault:dr"
    stubber = _stub(clients, "backup")
    stubber.add_response("get_backup_plan", {"BackupPlan": {"BackupPlanName": "daily", "Rules": [
        {"RuleName": "daily", "TargetBackupVaultName": "main",
         "CopyActions": [{"DestinationBackupVaultArn": vault}]}]}, "BackupPlanId": "plan-1"})
    stubber.add_response("list_backup_selections", {"BackupSelectionsList": [
        {"SelectionId": "sel-1", "BackupPlanId": "plan-1"}]})
    stubber.add_response("get_backup_selection", {"BackupSelection": {
        "SelectionName": "dwp", "IamRoleArn": f"arn:aws:iam::{ACCOUNT}:role/backup", "Resources": [db]},
        "SelectionId": "sel-1", "BackupPlanId": "plan-1"})
    records = backup.collect(Work(HERE, clients, (plan,), {}))
    stubber.assert_no_pending_responses()
    database = rds.translate_instances(HERE, [{"DBInstanceArn": db, "DBInstanceIdentifier": "claims"}], {db: DWP})
    assert ("OFS-REPL-001", db, "us-east-1") in _fails([*records, *database])


def test_a_logs_account_policy_is_read_with_its_document(clients: Clients) -> None:
    group = f"arn:aws:logs:eu-west-2:{ACCOUNT}:log-group:/claims/app"
    document = '{"DestinationArn": "arn:aws:firehose:us-east-1:111122223333:deliverystream/all", "FilterPattern": ""}'
    stubber = _stub(clients, "logs")
    stubber.add_response("describe_subscription_filters", {"subscriptionFilters": []},
                         {"logGroupName": "/claims/app"})
    stubber.add_response("describe_account_policies", {"accountPolicies": [
        {"policyName": "everything", "policyDocument": document, "policyType": "SUBSCRIPTION_FILTER_POLICY",
         "scope": "ALL", "accountId": ACCOUNT}]}, {"policyType": "SUBSCRIPTION_FILTER_POLICY"})
    records = logs.collect(Work(HERE, clients, (group,), {group: DWP}))
    stubber.assert_no_pending_responses()
    assert {r.type for r in records} == {"aws_cloudwatch_log_group", "aws_cloudwatch_log_account_policy"}
    assert ("OFS-DIAG-001", group, "us-east-1") in _fails(records)


def _denied(stubber: Stubber, method: str) -> None:
    stubber.add_client_error(method, "AccessDenied", "Access Denied", 403)


def test_a_denied_call_is_an_unknown_and_a_gap_never_a_pass(clients: Clients) -> None:
    home = _stub(clients, "s3", "us-east-1", scope_region="global")
    home.add_response("get_bucket_location", {"LocationConstraint": "eu-west-2"}, {"Bucket": "claims"})
    regional = _stub(clients, "s3")
    _denied(regional, "get_bucket_replication")
    regional.add_response("get_bucket_policy", {"Policy": "{}"}, {"Bucket": "claims"})
    regional.add_response("get_bucket_logging", {}, {"Bucket": "claims"})
    regional.add_response("list_bucket_inventory_configurations", {}, {"Bucket": "claims"})
    regional.add_response("list_bucket_analytics_configurations", {}, {"Bucket": "claims"})
    regional.add_client_error("get_bucket_encryption", "ServerSideEncryptionConfigurationNotFoundError", "none", 404)
    records = s3.collect_buckets(clients, ACCOUNT, [("claims", True)], {"arn:aws:s3:::claims": DWP})
    inventory = to_inventory(records, ScanOptions(), gaps=clients.recorder.gaps())
    findings = evaluate(inventory)
    assert [(f.rule_id, f.outcome.value) for f in findings if f.rule_id != "OFS-GRD-001"] == [
        ("OFS-UNK-001", "unknown")]
    assert "s3:GetBucketReplication denied" in findings[-1].message or any(
        "GetBucketReplication denied" in f.message for f in findings)
    [scope] = [s for s in clients.recorder.coverage() if s.region == "eu-west-2"]
    assert (scope.service, scope.status) == ("s3", ScopeStatus.DENIED)
    assert [g.path for g in inventory.coverage if g.incomplete] == [f"{ACCOUNT}/eu-west-2"]


def test_an_unimplemented_call_in_process_is_coverage_not_a_crash() -> None:
    from moto import mock_aws

    with mock_aws():
        session = guarded(boto3.Session(aws_access_key_id="k", aws_secret_access_key="s", region_name="eu-west-2"))
        clients = Clients({ACCOUNT: session}, Recorder())
        group = f"arn:aws:logs:eu-west-2:{ACCOUNT}:log-group:/claims/app"
        # Built with an unguarded client: the scan's own session refuses the write.
        boto3.client("logs", region_name="eu-west-2", aws_access_key_id="k",
                     aws_secret_access_key="s").create_log_group(logGroupName="/claims/app")
        logs.collect(Work(HERE, clients, (group,), {}))
    [scope] = clients.recorder.coverage()
    assert (scope.service, scope.status) == ("logs", ScopeStatus.FAILED)
    assert scope.detail is not None and "DescribeAccountPolicies" in scope.detail


def test_a_cross_region_firehose_subscription_is_followed_to_its_destination() -> None:
    # moto cannot subscribe a log group to another region's stream; the translation is checked here.
    from providers.aws.collectors import firehose

    stream = f"arn:aws:firehose:us-east-1:{ACCOUNT}:deliverystream/central"
    answer: dict[str, Any] = {"DeliveryStreamDescription": {"Destinations": [{"DestinationId": "d",
        "HttpEndpointDestinationDescription": {"EndpointConfiguration": {
            "Url": "https://aws-kinesis-http-intake.logs.datadoghq.com/v1/input", "Name": "Datadog"}}}]}}
    [record] = firehose.translate_stream(Scope(ACCOUNT, "us-east-1"), stream, answer, None)
    assert record.values["destination"] == "http_endpoint"
    assert record.values["http_endpoint_configuration"][0]["url"].startswith("https://aws-kinesis-http-intake")
