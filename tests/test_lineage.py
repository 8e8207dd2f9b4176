"""The net beneath the resource map (``providers.semantics.lineage``): what a resource connected to DWP data names.

End-to-end cases per cloud are fixtures (``fixtures/net-*``); these tests pin the mechanism: each kind of
connection, live records, and the cases that must stay silent (nothing DWP connected; only UK places; a
relation the map models).
"""

from __future__ import annotations

from typing import Any

from helpers import normalised

from providers.semantics.records import Placement, Resolved, ResourceRecord, Unknown
from scanner.engine import evaluate
from scanner.model import Finding, FlowKind, SourceRef

ACCOUNT = "111122223333"
DWP = {"Classification": "OFFICIAL"}


def _live(arn: str, resource_type: str, region: str, values: dict[str, Any]) -> ResourceRecord:
    return ResourceRecord(
        address=arn,
        type=resource_type,
        values={"arn": arn, **values},
        placement=Placement(f"aws {ACCOUNT} {region}", Resolved(region, (f"account {ACCOUNT} region {region}",)),
                            account=ACCOUNT),
        source=SourceRef(f"{ACCOUNT}/{region}", None, arn),
    )


def _hcl(address: str, resource_type: str, values: dict[str, Any], region: str = "eu-west-2") -> ResourceRecord:
    return ResourceRecord(address, resource_type, values, Placement("aws", Resolved(region, ("provider aws",))),
                          SourceRef("main.tf", 1, address))


def _connected(records: list[ResourceRecord]) -> list[Finding]:
    findings = evaluate(normalised(records))
    return [f for f in findings if f.rule_id in ("OFS-CONN-001", "OFS-UNK-001")]


QUEUE_ARN = f"arn:aws:sqs:eu-west-2:{ACCOUNT}:dwp-decisions"


def test_a_live_record_connected_by_arn_that_names_an_arn_abroad_is_an_unknown_on_the_dwp_resource() -> None:
    queue = _live(QUEUE_ARN, "aws_sqs_queue", "eu-west-2", {"name": "dwp-decisions", "tags": DWP})
    pipe = _live(f"arn:aws:pipes:eu-west-2:{ACCOUNT}:pipe/partner", "aws_pipes_pipe", "eu-west-2",
                 {"source": QUEUE_ARN, "target": f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/partner"})
    [finding] = _connected([queue, pipe])
    assert (finding.rule_id, finding.outcome.value, finding.severity.value) == ("OFS-CONN-001", "unknown", "high")
    assert finding.resource.id == QUEUE_ARN
    assert finding.declared_by == pipe.address
    assert finding.location.region == "us-east-1"
    assert "aws_pipes_pipe" in finding.message and "target" in finding.message


def test_a_live_record_placed_abroad_and_connected_is_judged_by_its_own_placement() -> None:
    queue = _live(QUEUE_ARN, "aws_sqs_queue", "eu-west-2", {"name": "dwp-decisions", "tags": DWP})
    reader = _live(f"arn:aws:pipes:us-east-1:{ACCOUNT}:pipe/reader", "aws_pipes_pipe", "us-east-1",
                   {"source": QUEUE_ARN})
    [finding] = _connected([queue, reader])
    assert finding.location.region == "us-east-1" and "is placed in" in finding.message


def test_a_reference_connects_and_a_uk_place_passes() -> None:
    bucket = _hcl("aws_s3_bucket.claims", "aws_s3_bucket", {"bucket": "claims", "tags": DWP})
    london = _hcl("aws_s3_bucket.reports", "aws_s3_bucket", {"bucket": "reports"})
    inventory = _hcl("aws_s3_bucket_inventory.claims", "aws_s3_bucket_inventory", {
        "bucket": Unknown("computed", ref="aws_s3_bucket.claims", attribute="id"),
        "destination": [{"bucket": [{"bucket_arn": Unknown("computed", ref="aws_s3_bucket.reports",
                                                           attribute="arn")}]}],
    })
    assert _connected([bucket, london, inventory]) == []


def test_nothing_dwp_connected_is_never_judged() -> None:
    bucket = _hcl("aws_s3_bucket.scratch", "aws_s3_bucket", {"bucket": "scratch"}, region="us-east-1")
    notification = _hcl("aws_s3_bucket_notification.scratch", "aws_s3_bucket_notification", {
        "bucket": "scratch", "topic": [{"topic_arn": f"arn:aws:sns:us-east-1:{ACCOUNT}:events"}]}, region="us-east-1")
    inventory = normalised([bucket, notification])
    assert [f for f in inventory.flows if f.kind is FlowKind.CONNECTED] == []


def test_a_relation_the_map_models_is_not_netted_again() -> None:
    # S3 replication is in the resource map: its destination is judged as replication, once.
    bucket = _hcl("aws_s3_bucket.claims", "aws_s3_bucket", {"bucket": "claims", "tags": DWP})
    replica = _hcl("aws_s3_bucket.replica", "aws_s3_bucket", {"bucket": "replica"}, region="us-east-1")
    config = _hcl("aws_s3_bucket_replication_configuration.claims", "aws_s3_bucket_replication_configuration", {
        "bucket": Unknown("computed", ref="aws_s3_bucket.claims", attribute="id"),
        "rule": [{"status": "Enabled",
                  "destination": [{"bucket": Unknown("computed", ref="aws_s3_bucket.replica", attribute="arn")}]}],
    })
    findings = evaluate(normalised([bucket, replica, config]))
    assert [f.rule_id for f in findings if f.resource.id == "aws_s3_bucket.claims"] == ["OFS-REPL-001"]


def test_an_endpoint_the_catalogue_cannot_place_is_an_unknown_and_a_uk_one_passes() -> None:
    topic = _hcl("aws_sns_topic.claims", "aws_sns_topic", {"name": "claims", "tags": DWP})
    hooks = [
        _hcl(f"aws_sns_topic_subscription.{name}", "aws_sns_topic_subscription", {
            "topic_arn": Unknown("computed", ref="aws_sns_topic.claims", attribute="arn"),
            "protocol": "https", "endpoint": endpoint})
        for name, endpoint in (("partner", "https://hooks.partner.example/claims"),
                               ("logs", "https://logs.eu-west-2.amazonaws.com/"))
    ]
    [finding] = _connected([topic, *hooks])
    assert finding.rule_id == "OFS-UNK-001" and finding.declared_by == "aws_sns_topic_subscription.partner"
    assert "hooks.partner.example" in finding.message


def test_an_unknown_place_is_said_only_when_the_subject_is_placed_in_the_uk() -> None:
    def estate(region: Any) -> list[ResourceRecord]:
        table = _hcl("aws_dynamodb_table.claims", "aws_dynamodb_table", {"name": "claims", "tags": DWP}, region=region)
        export = _hcl("aws_dynamodb_kinesis_streaming_destination.claims", "aws_dynamodb_kinesis_streaming_destination",
                      {"table_name": "claims", "destination_region": Unknown("var.dr_region has no value")})
        return [table, export]

    [finding] = _connected(estate("eu-west-2"))
    assert finding.rule_id == "OFS-UNK-001" and "var.dr_region" in finding.message
    # An unplaced table is an unknown of its own, for the same missing input: the net adds nothing to it.
    unplaced = _connected(estate(Unknown("var.region has no value")))
    assert [f.declared_by for f in unplaced] == ["aws_dynamodb_table.claims"]


def test_a_resource_sharing_a_name_with_another_is_not_connected_by_its_own_name() -> None:
    queue = _hcl("aws_sqs_queue.decisions", "aws_sqs_queue", {"name": "decisions", "tags": DWP})
    topic = _hcl("aws_sns_topic.decisions", "aws_sns_topic", {"name": "decisions"}, region="us-east-1")
    assert _connected([queue, topic]) == []


def _azure(address: str, resource_type: str, values: dict[str, Any]) -> ResourceRecord:
    return ResourceRecord(address, resource_type, values, Placement("azurerm"), SourceRef("main.tf", 1, address))


def test_a_resource_group_abroad_is_no_place_the_data_goes() -> None:
    # A resource group's location is metadata: a DWP server in it, in uksouth, is in the UK (azapi's parent_id).
    group = _azure("azapi_resource.rg", "azurerm_resource_group", {"name": "rg", "location": "westeurope"})
    server = _azure("azapi_resource.db", "azurerm_postgresql_flexible_server", {
        "name": "db", "location": "uksouth", "tags": DWP,
        "parent_id": Unknown("computed", ref="azapi_resource.rg", attribute="id")})
    assert _connected([group, server]) == []
