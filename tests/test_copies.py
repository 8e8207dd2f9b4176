"""Copies the resource map declares: per-rule replication settings, registry filters, message deliveries and
the BigQuery tables Pub/Sub writes to."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import normalised

from providers.interface import ScanOptions
from providers.semantics.context import NormaliseContext
from providers.semantics.records import Placement, Resolved, ResourceRecord, Unknown
from providers.semantics.resource_map import _type_spec, identity_attributes
from providers.semantics.targets import TARGETS
from scanner.model import Flow, FlowKind, Inventory, SourceRef

DWP = {"Classification": "OFFICIAL"}


def _record(address: str, values: dict[str, Any], region: Any = "eu-west-2") -> ResourceRecord:
    resource_type = address.split(".")[-2]
    key = resource_type.split("_", 1)[0]
    return ResourceRecord(
        address=address,
        type=resource_type,
        values=values,
        placement=Placement(key=key, region=Resolved(region, (f"provider {key} (main.tf:1)",))),
        source=SourceRef("main.tf", 10, address),
    )


def _ref(address: str, attribute: str = "arn") -> Unknown:
    return Unknown(f"{address}.{attribute} is known only after apply", ref=address, attribute=attribute)


def _flows(inventory: Inventory, resource_id: str) -> list[Flow]:
    return [f for f in inventory.flows if f.resource_id == resource_id]


# --- a rule's own status decides for its own destinations -----------------------------------------


def _s3_rules(*rules: dict[str, Any]) -> Inventory:
    bucket = _record("aws_s3_bucket.b", {"bucket": "b", "tags": DWP})
    us = _record("aws_s3_bucket.us", {"bucket": "us"}, region="us-east-1")
    india = _record("aws_s3_bucket.in", {"bucket": "in"}, region="ap-south-1")
    config = _record("aws_s3_bucket_replication_configuration.c", {"bucket": "b", "rule": list(rules)})
    return normalised([bucket, us, india, config])


def test_a_disabled_rule_copies_nothing_beside_an_enabled_one() -> None:
    inventory = _s3_rules(
        {"status": "Disabled", "destination": [{"bucket": _ref("aws_s3_bucket.in")}]},
        {"status": "Enabled", "filter": [{"prefix": "scans/"}], "destination": [{"bucket": _ref("aws_s3_bucket.us")}]},
    )
    assert [f.target.region for f in _flows(inventory, "aws_s3_bucket.b")] == ["us-east-1"]


def test_a_rule_whose_status_is_not_known_copies_to_a_place_not_established() -> None:
    inventory = _s3_rules({"status": Unknown("var.status has no value"),
                           "destination": [{"bucket": _ref("aws_s3_bucket.us")}]})
    (flow,) = _flows(inventory, "aws_s3_bucket.b")
    assert (flow.target.region, flow.target.uk) == ("us-east-1", None)
    assert "var.status has no value" in (flow.target.note or "")


def test_an_unknown_rule_block_stays_unknown() -> None:
    bucket = _record("aws_s3_bucket.b", {"bucket": "b", "tags": DWP})
    config = _record("aws_s3_bucket_replication_configuration.c",
                     {"bucket": "b", "rule": Unknown("var.rules has no value")})
    (flow,) = _flows(normalised([bucket, config]), "aws_s3_bucket.b")
    assert flow.target.uk is None


def test_each_must_be_a_prefix_of_the_path() -> None:
    with pytest.raises(ValueError, match="not a prefix"):
        _type_spec({"flows": [{"kind": "replication", "path": "destination.bucket", "each": "rule",
                               "target": "s3_bucket", "what": "x"}]})


# --- ECR registry replication filters --------------------------------------------------------------


def _registry(*rules: dict[str, Any]) -> tuple[NormaliseContext, ResourceRecord]:
    repositories = [_record(f"aws_ecr_repository.{n}", {"name": name, "tags": DWP})
                    for n, name in (("site", "public-site/web"), ("cases", "casework/api"),
                                    ("unnamed", Unknown("var.name has no value")))]
    abroad = _record("aws_ecr_repository.abroad", {"name": "public-site/ie"}, region="eu-west-1")
    config = _record("aws_ecr_replication_configuration.r",
                     {"replication_configuration": [{"rule": list(rules)}]})
    return NormaliseContext([*repositories, abroad, config], ScanOptions()), config


def _selected(*rules: dict[str, Any]) -> list[str]:
    context, config = _registry(*rules)
    return [r.address for r in context.registry_subjects(config)]


def test_a_prefix_filter_selects_the_repositories_it_names_and_those_whose_name_is_not_known() -> None:
    rule = {"destination": [{"region": "eu-west-1"}],
            "repository_filter": [{"filter": "public-site/", "filter_type": "PREFIX_MATCH"}]}
    assert _selected(rule) == ["aws_ecr_repository.site", "aws_ecr_repository.unnamed"]


def test_a_rule_without_a_filter_or_with_an_unknown_one_selects_every_repository_of_the_region() -> None:
    everything = ["aws_ecr_repository.site", "aws_ecr_repository.cases", "aws_ecr_repository.unnamed"]
    filtered = {"destination": [{"region": "eu-west-1"}],
                "repository_filter": [{"filter": "public-site/", "filter_type": "PREFIX_MATCH"}]}
    assert _selected(filtered, {"destination": [{"region": "us-east-1"}]}) == everything
    unknown = {"destination": [{"region": "eu-west-1"}],
               "repository_filter": [{"filter": Unknown("var.prefix has no value"), "filter_type": "PREFIX_MATCH"}]}
    assert _selected(unknown) == everything


# --- messages delivered elsewhere are copies --------------------------------------------------------


def test_an_sns_subscription_to_a_queue_is_replication_and_an_https_one_alerting() -> None:
    topic = _record("aws_sns_topic.t", {"name": "t", "tags": DWP})
    queue = _record("aws_sns_topic_subscription.q", {
        "topic_arn": _ref("aws_sns_topic.t"), "protocol": "sqs", "endpoint": "arn:aws:sqs:eu-central-1:1:copies"})
    hook = _record("aws_sns_topic_subscription.h", {
        "topic_arn": _ref("aws_sns_topic.t"), "protocol": "https", "endpoint": "https://events.pagerduty.com/x"})
    kinds = {(f.kind, f.target.region) for f in _flows(normalised([topic, queue, hook]), "aws_sns_topic.t")}
    assert kinds == {(FlowKind.REPLICATION, "eu-central-1"), (FlowKind.ALERTING, "events.pagerduty.com")}


def test_an_eventbridge_target_arn_names_the_target_not_the_target_resource() -> None:
    # Its `arn` is where it delivers: taken as its own name, a known ARN would find the target itself.
    assert "arn" not in identity_attributes("aws_cloudwatch_event_target")
    assert "arn" in identity_attributes("aws_sqs_queue")
    bus = _record("aws_cloudwatch_event_bus.b", {"name": "cases", "tags": DWP})
    target = _record("aws_cloudwatch_event_target.t", {
        "rule": "closed", "event_bus_name": "cases", "arn": "arn:aws:events:eu-west-1:1:event-bus/central"})
    (flow,) = _flows(normalised([bus, target]), "aws_cloudwatch_event_bus.b")
    assert (flow.kind, flow.target.region) == (FlowKind.REPLICATION, "eu-west-1")


# --- BigQuery tables named by id ---------------------------------------------------------------------


@pytest.mark.parametrize("table", ["dwp-prod:events.raw", "dwp-prod.events.raw",
                                   "projects/dwp-prod/datasets/events/tables/raw"])
def test_a_table_id_is_placed_through_its_dataset(table: str) -> None:
    dataset = _record("google_bigquery_dataset.d", {"dataset_id": "events", "project": "dwp-prod", "location": "EU"})
    other = _record("google_bigquery_dataset.o", {"dataset_id": "events", "project": "dwp-test", "location": "US"})
    subscription = _record("google_pubsub_subscription.s", {"bigquery_config": [{"table": table}]})
    context = NormaliseContext([other, dataset, subscription], ScanOptions())
    location, target_id = TARGETS["gcp_bigquery_table"](context, subscription, table, "bigquery_config.table")
    assert (location.region, target_id) == ("EU", "google_bigquery_dataset.d")


def test_a_table_of_a_dataset_not_scanned_is_not_placed() -> None:
    subscription = _record("google_pubsub_subscription.s", {})
    context = NormaliseContext([subscription], ScanOptions())
    location, target_id = TARGETS["gcp_bigquery_table"](context, subscription, "p.missing.t", "bigquery_config.table")
    assert (location.uk, target_id) == (None, None)
    assert "dataset missing" in (location.note or "")


# --- the same copies written in ARM's shape ----------------------------------------------------------


def test_arm_copies_read_their_create_mode_and_source() -> None:
    from providers.semantics.arm import azurerm_values

    linked = azurerm_values("Microsoft.Cache/redis/linkedServers@2024-11-01", {
        "name": "cache2", "parent_id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Cache/redis/cache1",
        "properties": {"linkedRedisCacheId": "/subscriptions/s/providers/Microsoft.Cache/redis/cache2",
                       "linkedRedisCacheLocation": "West Europe", "serverRole": "Secondary"},
    })
    assert linked is not None
    assert (linked["target_redis_cache_name"], linked["server_role"]) == ("cache1", "Secondary")
    disk = azurerm_values("Microsoft.Compute/disks", {
        "properties": {"creationData": {"createOption": "Copy", "sourceResourceId": "/x/snapshots/s1"}}})
    assert disk == {"create_option": "Copy", "source_resource_id": "/x/snapshots/s1"}
    mysql = azurerm_values("Microsoft.DBforMySQL/flexibleServers", {
        "properties": {"createMode": "Replica", "sourceServerResourceId": "/x/flexibleServers/primary"}})
    assert mysql == {"create_mode": "Replica", "source_server_id": "/x/flexibleServers/primary"}


def test_a_source_the_scan_does_not_hold_is_placed_by_its_arn_and_possibly_dwp() -> None:
    # A live event source mapping whose queue another account owns: the stand-in says where its ARN puts it.
    queue = "arn:aws:sqs:eu-west-2:444455556666:claims-intake"
    mapping = _record("aws_lambda_event_source_mapping.m", {
        "event_source_arn": queue, "function_name": "arn:aws:lambda:us-east-1:111122223333:function:f"})
    inventory = normalised([mapping])
    [stand_in] = [r for r in inventory.resources if r.type == "unidentified resource"]
    assert (stand_in.location.cloud, stand_in.location.region, stand_in.location.uk) == ("aws", "eu-west-2", True)
    assert stand_in.classification.dwp and not stand_in.classification.certain
    assert "not in the scan" in stand_in.classification.reason
