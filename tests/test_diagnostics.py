"""Diagnostics flows: agent settings read from environments, and destinations followed through AWS and Azure."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from helpers import normalised

from providers.interface import ScanOptions
from providers.semantics.endpoints import Endpoint
from providers.semantics.records import Placement, Resolved, ResourceRecord, Unknown
from providers.semantics.telemetry_settings import TELEMETRY_SETTINGS, endpoint_location, telemetry_destinations
from scanner.model import Flow, FlowKind, Inventory, SourceRef

DWP = {"Classification": "OFFICIAL"}


def _record(address: str, values: dict[str, Any], region: Any = "eu-west-2", *, provider: str | None = None,
            extra: dict[str, Resolved] | None = None) -> ResourceRecord:
    resource_type = address.split(".")[-2]
    key = provider or resource_type.split("_", 1)[0]
    return ResourceRecord(
        address=address,
        type=resource_type,
        values=values,
        placement=Placement(key=key, region=Resolved(region, (f"provider {key} (main.tf:1)",)),
                                 extra=extra or {}),
        source=SourceRef("main.tf", 10, address),
    )


def _scan(*records: ResourceRecord, endpoints: tuple[tuple[str, str], ...] = ()) -> Inventory:
    return normalised(records, ScanOptions(endpoints=endpoints))


def _flows_of(inventory: Inventory, resource_id: str) -> list[Flow]:
    return [f for f in inventory.flows if f.resource_id == resource_id]


def _ref(address: str, attribute: str = "arn") -> Unknown:
    return Unknown(f"{address}.{attribute} is known only after apply", ref=address, attribute=attribute)


def _by_name(found: list[tuple[str, Endpoint]]) -> dict[str, Endpoint]:
    return dict(found)


# --- telemetry_destinations: plain environment variables --------------------------------------


def test_datadog_uk1_site_is_uk() -> None:
    found = _by_name(telemetry_destinations({"DD_SITE": "uk1.datadoghq.com", "DD_API_KEY": "x"}))
    assert found["DD_SITE"].uk is True
    assert found["DD_SITE"].site == "UK1"


def test_datadog_eu_site_is_germany() -> None:
    found = _by_name(telemetry_destinations({"DD_SITE": "datadoghq.eu"}))
    assert (found["DD_SITE"].country, found["DD_SITE"].uk) == ("DE", False)


DEFAULT_SITE = "DD_SITE (not set: the default site)"


@pytest.mark.parametrize("env", [{"DD_API_KEY": "k"}, {"DD_API_KEY_SECRET_ARN": "arn"}, {"DD_KMS_API_KEY": "k"}])
def test_datadog_key_without_site_means_the_us1_default(env: dict[str, str]) -> None:
    found = telemetry_destinations(env)
    # Said as the default it is, never as a DD_SITE the settings set.
    assert [(name, e.host, e.country) for name, e in found] == [(DEFAULT_SITE, "datadoghq.com", "US")]
    assert "DD_SITE is not set" in (found[0][1].note or "")


def test_datadog_known_in_use_without_site_means_the_default() -> None:
    assert [e.host for _, e in telemetry_destinations({"DD_SERVICE": "x"}, datadog=True)] == ["datadoghq.com"]


def test_no_datadog_default_without_datadog() -> None:
    assert telemetry_destinations({"DD_SERVICE": "x", "DD_ENV": "prod"}) == []


def test_an_unknown_site_is_not_replaced_by_the_default() -> None:
    # DD_SITE is set, to something the caller could not resolve: its own unknown, not US1.
    unknown = Unknown("var.site has no value")
    assert telemetry_destinations({"DD_SITE": unknown, "DD_API_KEY": "k"}, datadog=True) == []


def test_datadog_url_overrides_the_default() -> None:
    found = telemetry_destinations({"DD_DD_URL": "https://app.uk1.datadoghq.com", "DD_API_KEY": "k"})
    assert [(name, e.uk) for name, e in found] == [("DD_DD_URL", True)]


def test_datadog_logs_url_alone_still_sends_metrics_to_the_default() -> None:
    found = telemetry_destinations({"DD_LOGS_CONFIG_LOGS_DD_URL": "agent-http-intake.logs.uk1.datadoghq.com:443"})
    assert [(name, e.uk) for name, e in found] == [("DD_LOGS_CONFIG_LOGS_DD_URL", True), (DEFAULT_SITE, False)]


def test_datadog_dual_shipping_endpoints_are_each_destinations() -> None:
    env = {
        "DD_SITE": "uk1.datadoghq.com",
        "DD_ADDITIONAL_ENDPOINTS": json.dumps({"https://app.datadoghq.eu": ["key"]}),
        "DD_LOGS_CONFIG_ADDITIONAL_ENDPOINTS": json.dumps(
            [{"api_key": "k", "Host": "agent-http-intake.logs.us5.datadoghq.com"}]
        ),
    }
    found = telemetry_destinations(env)
    assert [(name, e.site) for name, e in found] == [
        ("DD_SITE", "UK1"), ("DD_ADDITIONAL_ENDPOINTS", "EU1"), ("DD_LOGS_CONFIG_ADDITIONAL_ENDPOINTS", "US5"),
    ]


@pytest.mark.parametrize(
    ("name", "value", "host", "uk"),
    [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://api.honeycomb.io", "api.honeycomb.io", False),
        ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://api.eu1.honeycomb.io/v1/traces", "api.eu1.honeycomb.io", False),
        ("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "https://otlp-gateway-prod-gb-south-0.grafana.net/otlp",
         "otlp-gateway-prod-gb-south-0.grafana.net", True),
        ("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "https://logs-prod-006.grafana.net", "logs-prod-006.grafana.net", None),
        ("SENTRY_DSN", "https://k@o1.ingest.de.sentry.io/2", "o1.ingest.de.sentry.io", False),
        ("NEW_RELIC_HOST", "collector.eu01.nr-data.net", "collector.eu01.nr-data.net", False),
        ("ELASTIC_APM_SERVER_URL", "https://abc.apm.eu-west-2.aws.elastic-cloud.com:443",
         "abc.apm.eu-west-2.aws.elastic-cloud.com", True),
    ],
)
def test_url_settings_are_placed_by_the_catalogue(name: str, value: str, host: str, uk: bool | None) -> None:
    ((found_name, endpoint),) = telemetry_destinations({name: value})
    assert (found_name, endpoint.host, endpoint.uk) == (name, host, uk)


@pytest.mark.parametrize(
    ("name", "value", "uk"),
    [
        ("SPLUNK_REALM", "eu2", True),
        ("SPLUNK_REALM", "us1", False),
        ("NEW_RELIC_REGION", "EU", False),
        ("APPLICATIONINSIGHTS_CONNECTION_STRING",
         "InstrumentationKey=00000000-0000-0000-0000-000000000000;"
         "IngestionEndpoint=https://uksouth-1.in.applicationinsights.azure.com/", True),
        ("APPINSIGHTS_INSTRUMENTATIONKEY", "00000000-0000-0000-0000-000000000000", None),
    ],
)
def test_named_sites(name: str, value: str, uk: bool | None) -> None:
    ((_, endpoint),) = telemetry_destinations({name: value})
    assert endpoint.uk is uk


def test_elastic_cloud_id_is_decoded() -> None:
    cloud_id = "dwp:" + base64.b64encode(b"eu-west-2.aws.elastic-cloud.com$abc123$def456").decode()
    ((_, endpoint),) = telemetry_destinations({"ELASTIC_CLOUD_ID": cloud_id})
    assert (endpoint.host, endpoint.uk) == ("abc123.eu-west-2.aws.elastic-cloud.com", True)


def test_the_config_endpoints_map_places_a_self_hosted_collector() -> None:
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": "https://otel.platform.example.uk:4318"}
    assert telemetry_destinations(env)[0][1].uk is None
    assert telemetry_destinations(env, {"otel.platform.example.uk": "GB"})[0][1].uk is True


def test_values_that_are_not_strings_are_skipped() -> None:
    assert telemetry_destinations({"OTEL_EXPORTER_OTLP_ENDPOINT": Unknown("x"), "SENTRY_DSN": None}) == []


def test_every_variable_read_is_listed() -> None:
    assert {"DD_SITE", "SENTRY_DSN", "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "ELASTIC_CLOUD_ID"} <= TELEMETRY_SETTINGS


def test_endpoint_location_marks_an_unplaced_host_unresolved() -> None:
    endpoint = Endpoint("logs-prod-006.grafana.net", "Grafana Cloud", None, None, None, "no region in the host")
    location = endpoint_location(endpoint, ("step",))
    assert (location.cloud, location.region, location.uk) == ("external", "logs-prod-006.grafana.net", None)
    assert location.note == "no region in the host"  # uk None says it is unresolved; the note says why
    assert location.provenance == ("step",)


# --- AWS: deliveries followed on ----------------------------------------------------------------


def test_subscription_to_a_firehose_arn_outside_the_configuration_is_placed_by_its_region() -> None:
    group = _record("aws_cloudwatch_log_group.app", {"name": "/app", "tags": DWP})
    subscription = _record("aws_cloudwatch_log_subscription_filter.app", {
        "log_group_name": "/app",
        "destination_arn": "arn:aws:firehose:us-east-1:111122223333:deliverystream/central",
    })
    (flow,) = _flows_of(_scan(group, subscription), "aws_cloudwatch_log_group.app")
    assert (flow.kind, flow.target.region, flow.target.uk) == (FlowKind.LOG_EXPORT, "us-east-1", False)


def test_a_firehose_in_the_uk_outside_the_configuration_is_unknown_onward() -> None:
    group = _record("aws_cloudwatch_log_group.app", {"name": "/app", "tags": DWP})
    subscription = _record("aws_cloudwatch_log_subscription_filter.app", {
        "log_group_name": "/app",
        "destination_arn": "arn:aws:firehose:eu-west-2:111122223333:deliverystream/central",
    })
    (flow,) = _flows_of(_scan(group, subscription), "aws_cloudwatch_log_group.app")
    assert flow.target.uk is None
    assert "where it sends the data on is unknown" in (flow.target.note or "")


def test_a_log_group_arn_with_its_suffix_names_the_group() -> None:
    group = _record("aws_cloudwatch_log_group.trail", {"name": "/audit/trail"}, region="eu-west-1")
    trail = _record("aws_cloudtrail.main", {
        "cloud_watch_logs_group_arn": "arn:aws:logs:eu-west-1:111122223333:log-group:/audit/trail:*", "tags": DWP,
    })
    (flow,) = _flows_of(_scan(group, trail), "aws_cloudtrail.main")
    assert (flow.target_id, flow.target.region) == ("aws_cloudwatch_log_group.trail", "eu-west-1")


def test_a_log_group_forwards_through_its_subscriptions() -> None:
    stream = _record("aws_kinesis_stream.us", {"name": "us"}, region="us-east-1")
    group = _record("aws_cloudwatch_log_group.app", {"name": "/app"})
    subscription = _record("aws_cloudwatch_log_subscription_filter.app", {
        "log_group_name": _ref("aws_cloudwatch_log_group.app", "name"),
        "destination_arn": _ref("aws_kinesis_stream.us"),
    })
    trail = _record("aws_cloudtrail.main", {"cloud_watch_logs_group_arn": _ref("aws_cloudwatch_log_group.app"),
                                            "tags": DWP})
    (flow,) = _flows_of(_scan(stream, group, subscription, trail), "aws_cloudtrail.main")
    assert (flow.target_id, flow.target.region) == ("aws_kinesis_stream.us", "us-east-1")
    assert "aws_cloudwatch_log_subscription_filter.app destination_arn = aws_kinesis_stream.us.arn" in " ".join(
        flow.target.provenance)


def test_a_log_destination_cycle_ends() -> None:
    destination = _record("aws_cloudwatch_log_destination.loop", {
        "name": "loop", "target_arn": _ref("aws_cloudwatch_log_destination.loop"), "tags": DWP,
    })
    inventory = _scan(destination)
    assert _flows_of(inventory, "aws_cloudwatch_log_destination.loop") == []


def test_subscription_to_a_forwarder_lambda_follows_its_settings() -> None:
    group = _record("aws_cloudwatch_log_group.app", {"name": "/app", "tags": DWP})
    forwarder = _record("aws_lambda_function.forwarder", {"function_name": "datadog-forwarder", "environment": [
        {"variables": {"DD_SITE": "datadoghq.eu", "DD_API_KEY_SECRET_ARN": "arn"}}]})
    subscription = _record("aws_cloudwatch_log_subscription_filter.app", {
        "log_group_name": "/app", "destination_arn": _ref("aws_lambda_function.forwarder")})
    (flow,) = _flows_of(_scan(group, forwarder, subscription), "aws_cloudwatch_log_group.app")
    assert (flow.target.region, flow.target.country) == ("datadoghq.eu", "DE")


def test_a_kinesis_stream_is_followed_to_the_firehose_that_reads_it() -> None:
    group = _record("aws_cloudwatch_log_group.app", {"name": "/app", "tags": DWP})
    stream = _record("aws_kinesis_stream.s", {"name": "s"})
    firehose = _record("aws_kinesis_firehose_delivery_stream.f", {
        "name": "f", "destination": "splunk",
        "kinesis_source_configuration": [{"kinesis_stream_arn": _ref("aws_kinesis_stream.s")}],
        "splunk_configuration": [{"hec_endpoint": "https://ingest.us1.signalfx.com/v1/log"}],
    })
    subscription = _record("aws_cloudwatch_log_subscription_filter.app", {
        "log_group_name": "/app", "destination_arn": _ref("aws_kinesis_stream.s")})
    (flow,) = _flows_of(_scan(group, stream, firehose, subscription), "aws_cloudwatch_log_group.app")
    assert (flow.target.region, flow.target.uk) == ("ingest.us1.signalfx.com", False)


def test_lambda_settings_referencing_each_other_end() -> None:
    a = _record("aws_lambda_function.a", {"function_name": "a", "tags": DWP, "environment": [
        {"variables": {"OTEL_EXPORTER_OTLP_ENDPOINT": _ref("aws_lambda_function.b", "url")}}]})
    b = _record("aws_lambda_function.b", {"function_name": "b", "environment": [
        {"variables": {"OTEL_EXPORTER_OTLP_ENDPOINT": _ref("aws_lambda_function.a", "url")}}]})
    (flow,) = _flows_of(_scan(a, b), "aws_lambda_function.a")
    assert flow.target_id == "aws_lambda_function.b"


def test_lambda_log_group_by_name_makes_the_function_the_subject() -> None:
    function = _record("aws_lambda_function.fn", {"function_name": "claims", "tags": DWP})
    custom = _record("aws_lambda_function.custom", {
        "function_name": "other", "logging_config": [{"log_group": "/shared/lambda"}], "tags": DWP,
    })
    stream = _record("aws_kinesis_stream.s", {"name": "s"}, region="eu-west-1")
    filters = [
        _record(f"aws_cloudwatch_log_subscription_filter.{name}", {"log_group_name": group,
                                                                   "destination_arn": _ref("aws_kinesis_stream.s")})
        for name, group in (("a", "/aws/lambda/claims"), ("b", "/shared/lambda"))
    ]
    inventory = _scan(function, custom, stream, *filters)
    assert [f.target.region for f in _flows_of(inventory, "aws_lambda_function.fn")] == ["eu-west-1"]
    assert [f.target.region for f in _flows_of(inventory, "aws_lambda_function.custom")] == ["eu-west-1"]


def test_account_policy_reads_a_heredoc_document_and_covers_the_regions_log_groups() -> None:
    here = _record("aws_cloudwatch_log_group.here", {"name": "/here", "tags": DWP})
    skipped = _record("aws_cloudwatch_log_group.skipped", {"name": "/skipped", "tags": DWP})
    elsewhere = _record("aws_cloudwatch_log_group.elsewhere", {"name": "/elsewhere", "tags": DWP}, region="eu-west-1")
    policy = _record("aws_cloudwatch_log_account_policy.p", {
        "policy_type": "SUBSCRIPTION_FILTER_POLICY",
        "policy_document": '{"DestinationArn": "arn:aws:kinesis:us-west-2:1:stream/x", "FilterPattern": ""}\n',
        "selection_criteria": 'LogGroupName NOT IN ["/skipped"]',
    })
    inventory = _scan(here, skipped, elsewhere, policy)
    assert [f.target.region for f in _flows_of(inventory, "aws_cloudwatch_log_group.here")] == ["us-west-2"]
    assert _flows_of(inventory, "aws_cloudwatch_log_group.skipped") == []
    assert _flows_of(inventory, "aws_cloudwatch_log_group.elsewhere") == []


def test_account_policy_of_another_type_is_no_flow() -> None:
    group = _record("aws_cloudwatch_log_group.here", {"name": "/here", "tags": DWP})
    policy = _record("aws_cloudwatch_log_account_policy.p", {
        "policy_type": "DATA_PROTECTION_POLICY",
        "policy_document": '{"DestinationArn": "arn:aws:kinesis:us-west-2:1:stream/x"}',
    })
    assert _scan(group, policy).flows == ()


def test_account_policy_document_unknown_for_another_reason_is_an_unknown_destination() -> None:
    group = _record("aws_cloudwatch_log_group.here", {"name": "/here", "tags": DWP})
    role = _record("aws_iam_role.r", {"name": "r"})
    policy = _record("aws_cloudwatch_log_account_policy.p", {
        "policy_type": "SUBSCRIPTION_FILTER_POLICY", "policy_document": _ref("aws_iam_role.r"),
    })
    (flow,) = _flows_of(_scan(group, role, policy), "aws_cloudwatch_log_group.here")
    assert flow.target.uk is None
    assert "policy_document cannot be read statically" in (flow.target.note or "")


def test_metric_stream_namespaces_narrow_the_subjects() -> None:
    firehose = _record("aws_kinesis_firehose_delivery_stream.dd", {
        "name": "dd", "destination": "http_endpoint",
        "http_endpoint_configuration": [{"url": "https://awsmetrics-intake.datadoghq.com/api/v2/awsmetrics"}],
    })
    stream = _record("aws_cloudwatch_metric_stream.s", {
        "firehose_arn": _ref("aws_kinesis_firehose_delivery_stream.dd"),
        "include_filter": [{"namespace": "AWS/Lambda"}],
    })
    function = _record("aws_lambda_function.fn", {"function_name": "fn", "tags": DWP})
    table = _record("aws_dynamodb_table.t", {"name": "t", "tags": DWP})
    inventory = _scan(firehose, stream, function, table)
    regions = [f.target.region for f in _flows_of(inventory, "aws_lambda_function.fn")]
    assert regions == ["awsmetrics-intake.datadoghq.com"]
    assert _flows_of(inventory, "aws_dynamodb_table.t") == []


def test_firehose_destination_the_scan_does_not_read_is_unknown() -> None:
    firehose = _record("aws_kinesis_firehose_delivery_stream.rs", {"name": "rs", "destination": "redshift"})
    stream = _record("aws_cloudwatch_metric_stream.s", {"firehose_arn": _ref("aws_kinesis_firehose_delivery_stream.rs"),
                                                        "tags": DWP})
    (flow,) = _flows_of(_scan(firehose, stream), "aws_cloudwatch_metric_stream.s")
    assert flow.target.uk is None
    assert "redshift destination" in (flow.target.note or "")


@pytest.mark.parametrize(
    ("destination", "block", "value", "region"),
    [
        ("redshift", "cluster_jdbcurl", "jdbc:redshift://mi.c1.us-east-1.redshift.amazonaws.com:5439/mi", "us-east-1"),
        ("opensearchserverless", "collection_endpoint", "https://a1b2c3.eu-west-2.aoss.amazonaws.com", "eu-west-2"),
    ],
)
def test_firehose_aws_endpoint_urls_name_the_region(destination: str, block: str, value: str, region: str) -> None:
    firehose = _record("aws_kinesis_firehose_delivery_stream.f", {
        "name": "f", "destination": destination, f"{destination}_configuration": [{block: value}], "tags": DWP,
    })
    (flow,) = _flows_of(_scan(firehose), "aws_kinesis_firehose_delivery_stream.f")
    assert flow.target.region == region


def test_firehose_backup_does_not_hide_an_unread_destination() -> None:
    bucket = _record("aws_s3_bucket.backup", {"bucket": "backup"})
    firehose = _record("aws_kinesis_firehose_delivery_stream.f", {
        "name": "f", "destination": "http_endpoint",
        "http_endpoint_configuration": [{"url": Unknown("var.url has no value"),
                                         "s3_configuration": [{"bucket_arn": _ref("aws_s3_bucket.backup")}]}],
        "kinesis_source_configuration": [{"kinesis_stream_arn": _ref("aws_kinesis_stream.src")}],
    })
    source = _record("aws_kinesis_stream.src", {"name": "src", "tags": DWP})
    flows = _flows_of(_scan(bucket, firehose, source), "aws_kinesis_stream.src")
    assert sorted((f.target.region or "", str(f.target.uk)) for f in flows) == [("", "None"), ("eu-west-2", "True")]


@pytest.mark.parametrize(
    ("url", "region", "uk"),
    [
        ("https://xy12345.eu-west-2.aws.snowflakecomputing.com", "eu-west-2", True),
        ("https://xy12345.eu-west-1.snowflakecomputing.com", "eu-west-1", False),
        ("https://xy12345.uk-south.azure.snowflakecomputing.com", "uksouth", True),
        ("https://xy12345.europe-west2.gcp.snowflakecomputing.com", "europe-west2", True),
        ("https://xy12345.eu-west-2.privatelink.snowflakecomputing.com", "eu-west-2", True),
        ("https://xy12345.snowflakecomputing.com", "us-west-2", False),
        ("https://dwp-analytics.snowflakecomputing.com", None, None),
    ],
)
def test_snowflake_region_from_the_account_url(url: str, region: str | None, uk: bool | None) -> None:
    firehose = _record("aws_kinesis_firehose_delivery_stream.sf", {
        "name": "sf", "destination": "snowflake", "snowflake_configuration": [{"account_url": url}], "tags": DWP,
    })
    (flow,) = _flows_of(_scan(firehose), "aws_kinesis_firehose_delivery_stream.sf")
    assert (flow.target.region, flow.target.uk) == (region, uk)


def test_sns_https_subscription_is_alerting_and_email_is_not_read() -> None:
    topic = _record("aws_sns_topic.t", {"name": "t", "tags": DWP})
    https = _record("aws_sns_topic_subscription.pd", {
        "topic_arn": _ref("aws_sns_topic.t"), "protocol": "https", "endpoint": "https://events.eu.pagerduty.com/x",
    })
    email = _record("aws_sns_topic_subscription.mail", {
        "topic_arn": _ref("aws_sns_topic.t"), "protocol": "email", "endpoint": "oncall@example.com",
    })
    (flow,) = _flows_of(_scan(topic, https, email), "aws_sns_topic.t")
    assert (flow.kind, flow.target.region, flow.target.uk) == (FlowKind.ALERTING, "events.eu.pagerduty.com", False)


def test_sns_subscription_to_a_queue_in_another_region() -> None:
    topic = _record("aws_sns_topic.t", {"name": "t", "tags": DWP})
    subscription = _record("aws_sns_topic_subscription.q", {
        "topic_arn": _ref("aws_sns_topic.t"), "protocol": "sqs", "endpoint": "arn:aws:sqs:eu-central-1:1:alerts",
    })
    (flow,) = _flows_of(_scan(topic, subscription), "aws_sns_topic.t")
    assert flow.target.region == "eu-central-1"


# --- environments: Lambda and ECS -----------------------------------------------------------------


def test_lambda_unknown_setting_is_an_unknown_destination() -> None:
    function = _record("aws_lambda_function.fn", {
        "function_name": "fn", "tags": DWP,
        "environment": [{"variables": {"DD_SITE": Unknown("var.dd_site has no value"), "OTHER": "1"}}],
        "layers": ["arn:aws:lambda:eu-west-2:464622532012:layer:Datadog-Extension:65"],
    })
    (flow,) = _flows_of(_scan(function), "aws_lambda_function.fn")
    assert flow.target.uk is None
    assert "var.dd_site has no value" in (flow.target.note or "")


def test_lambda_without_telemetry_settings_has_no_flow() -> None:
    function = _record("aws_lambda_function.fn", {"function_name": "fn", "tags": DWP,
                                                  "environment": [{"variables": {"LOG_LEVEL": "INFO"}}]})
    assert _scan(function).flows == ()


def test_localhost_beside_a_real_destination_is_dropped_but_alone_is_unknown() -> None:
    both = _record("aws_lambda_function.both", {"function_name": "both", "tags": DWP, "environment": [{"variables": {
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4318", "DD_SITE": "uk1.datadoghq.com"}}]})
    alone = _record("aws_lambda_function.alone", {"function_name": "alone", "tags": DWP, "environment": [{"variables": {
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4318"}}]})
    inventory = _scan(both, alone)
    assert [f.target.region for f in _flows_of(inventory, "aws_lambda_function.both")] == ["uk1.datadoghq.com"]
    assert [f.target.uk for f in _flows_of(inventory, "aws_lambda_function.alone")] == [None]


def _task(containers: Any) -> ResourceRecord:
    definitions = json.dumps(containers) if isinstance(containers, list) else containers
    return _record("aws_ecs_task_definition.t", {"family": "t", "container_definitions": definitions, "tags": DWP})


def test_ecs_container_definitions_unknown_as_a_whole_are_an_unknown_destination() -> None:
    # Never silence: settings that cannot be read are a flow to a place that could not be established.
    (flow,) = _scan(_task(_ref("aws_ecr_repository.r", "repository_url"))).flows
    assert flow.target.uk is None and "container_definitions cannot be read statically" in (flow.target.note or "")


@pytest.mark.parametrize(
    ("options", "region", "uk"),
    [
        ({"Name": "datadog"}, "http-intake.logs.datadoghq.com", False),
        ({"Name": "datadog", "Host": "http-intake.logs.uk1.datadoghq.com"}, "http-intake.logs.uk1.datadoghq.com", True),
        ({"Name": "cloudwatch_logs", "region": "us-east-1", "log_group_name": "/x"}, "us-east-1", False),
        ({"Name": "kinesis_firehose", "region": "eu-west-2", "delivery_stream": "nope"}, "eu-west-2", True),
        ({"Name": "nrlogs"}, "log-api.newrelic.com", False),
        ({"Name": "splunk", "Host": "splunk-hec.internal"}, "splunk-hec.internal", None),
        ({"Name": "stackdriver"}, None, None),
    ],
)
def test_firelens_outputs(options: dict[str, str], region: str | None, uk: bool | None) -> None:
    task = _task([{"name": "app", "logConfiguration": {"logDriver": "awsfirelens", "options": options}}])
    (flow,) = _flows_of(_scan(task), "aws_ecs_task_definition.t")
    assert (flow.kind, flow.target.region, flow.target.uk) == (FlowKind.LOG_EXPORT, region, uk)


def test_firelens_firehose_by_name_is_followed() -> None:
    firehose = _record("aws_kinesis_firehose_delivery_stream.f", {
        "name": "logs", "destination": "http_endpoint",
        "http_endpoint_configuration": [{"url": "https://aws-api.newrelic.com/firehose/v1"}],
    })
    task = _task([{"name": "app", "logConfiguration": {"logDriver": "awsfirelens", "options": {
        "Name": "kinesis_firehose", "region": "eu-west-2", "delivery_stream": "logs"}}}])
    (flow,) = _flows_of(_scan(firehose, task), "aws_ecs_task_definition.t")
    assert flow.target.region == "aws-api.newrelic.com"


def test_ecs_splunk_log_driver_and_services_as_subjects() -> None:
    task = _record("aws_ecs_task_definition.t", {"family": "t", "container_definitions": json.dumps([
        {"name": "app", "logConfiguration": {"logDriver": "splunk", "options": {
            "splunk-url": "https://http-inputs-acme.splunkcloud.com"}}}])})
    service = _record("aws_ecs_service.s", {"name": "s", "task_definition": _ref("aws_ecs_task_definition.t"),
                                            "tags": DWP})
    (flow,) = _flows_of(_scan(task, service), "aws_ecs_service.s")
    assert flow.target.region == "http-inputs-acme.splunkcloud.com"
    assert "ECS container app splunk log driver" in flow.description


# --- Azure -----------------------------------------------------------------------------------------


def _azure(address: str, values: dict[str, Any]) -> ResourceRecord:
    return _record(address, values, region=None)


def test_event_hub_rule_is_placed_through_the_namespace_id() -> None:
    namespace = _azure("azurerm_eventhub_namespace.ns", {"name": "ns", "location": "westeurope"})
    hub = _azure("azurerm_eventhub.hub", {"name": "hub", "namespace_id": _ref("azurerm_eventhub_namespace.ns", "id")})
    vault = _azure("azurerm_key_vault.kv", {"name": "kv", "location": "uksouth", "tags": DWP})
    rule = _azure("azurerm_monitor_data_collection_rule.dcr", {
        "location": "uksouth", "destinations": [{"event_hub": [{"event_hub_id": _ref("azurerm_eventhub.hub", "id")}]}],
    })
    association = _azure("azurerm_monitor_data_collection_rule_association.a", {
        "target_resource_id": _ref("azurerm_key_vault.kv", "id"),
        "data_collection_rule_id": _ref("azurerm_monitor_data_collection_rule.dcr", "id"),
    })
    (flow,) = _flows_of(_scan(namespace, hub, vault, rule, association), "azurerm_key_vault.kv")
    assert (flow.target.region, flow.target_id) == ("westeurope", "azurerm_eventhub.hub")


def test_partner_solution_not_in_the_configuration_is_named_by_its_namespace() -> None:
    vault = _azure("azurerm_key_vault.kv", {"name": "kv", "location": "uksouth", "tags": DWP})
    setting = _azure("azurerm_monitor_diagnostic_setting.d", {
        "target_resource_id": _ref("azurerm_key_vault.kv", "id"),
        "partner_solution_id": "/subscriptions/s/resourceGroups/rg/providers/Dynatrace.Observability/monitors/dt",
    })
    (flow,) = _flows_of(_scan(vault, setting), "azurerm_key_vault.kv")
    assert flow.target.uk is None
    assert "Dynatrace" in (flow.target.note or "")


def test_datadog_monitor_whose_organisation_names_a_site() -> None:
    monitor = _azure("azurerm_datadog_monitor.dd", {"name": "dd", "location": "uksouth", "datadog_organization": [
        {"redirect_uri": "https://uk1.datadoghq.com/account/settings"}]})
    vault = _azure("azurerm_key_vault.kv", {"name": "kv", "location": "uksouth", "tags": DWP})
    setting = _azure("azurerm_monitor_diagnostic_setting.d", {
        "target_resource_id": _ref("azurerm_key_vault.kv", "id"),
        "partner_solution_id": _ref("azurerm_datadog_monitor.dd", "id"),
    })
    (flow,) = _flows_of(_scan(monitor, vault, setting), "azurerm_key_vault.kv")
    assert (flow.target.region, flow.target.uk) == ("uk1.datadoghq.com", True)


def test_app_setting_with_a_literal_connection_string() -> None:
    app = _azure("azurerm_linux_web_app.app", {"name": "app", "location": "uksouth", "tags": DWP, "app_settings": {
        "APPLICATIONINSIGHTS_CONNECTION_STRING":
            "InstrumentationKey=0;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/"}})
    (flow,) = _flows_of(_scan(app), "azurerm_linux_web_app.app")
    assert (flow.kind, flow.target.uk) == (FlowKind.TELEMETRY, False)


def test_container_app_environment() -> None:
    app = _azure("azurerm_container_app.app", {"name": "app", "tags": DWP, "template": [{"container": [
        {"name": "api", "env": [{"name": "SENTRY_DSN", "value": "https://k@o1.ingest.us.sentry.io/2"}]}]}]})
    (flow,) = _flows_of(_scan(app), "azurerm_container_app.app")
    assert flow.target.country == "US"


# --- vendor integrations -------------------------------------------------------------------------


def test_new_relic_without_a_region_is_the_us_default() -> None:
    table = _record("aws_dynamodb_table.t", {"name": "t", "tags": DWP})
    link = _record("newrelic_cloud_aws_link_account.nr", {"arn": "arn:aws:iam::1:role/nr"}, region=None)
    (flow,) = _flows_of(_scan(table, link), "aws_dynamodb_table.t")
    assert (flow.target.country, flow.target.uk) == ("US", False)
    assert "sets no region" in (flow.target.note or "")


def test_datadog_api_url_is_used_when_the_provider_context_carries_it() -> None:
    table = _record("aws_dynamodb_table.t", {"name": "t", "tags": DWP})
    api_url = Resolved("https://api.uk1.datadoghq.com/", ("provider datadog (main.tf:3)",))
    integration = _record("datadog_integration_aws_account.dd", {"aws_account_id": "1"}, region=None,
                          extra={"api_url": api_url})
    (flow,) = _flows_of(_scan(table, integration), "aws_dynamodb_table.t")
    assert flow.target.uk is True


def test_datadog_api_url_unset_in_the_provider_context_is_the_us1_default() -> None:
    table = _record("aws_dynamodb_table.t", {"name": "t", "tags": DWP})
    unset = Resolved(None, ("provider datadog (main.tf:3)",))
    integration = _record("datadog_integration_aws.dd", {"account_id": "1"}, region=None, extra={"api_url": unset})
    (flow,) = _flows_of(_scan(table, integration), "aws_dynamodb_table.t")
    assert (flow.target.region, flow.target.uk) == ("api.datadoghq.com", False)


def test_datadog_integration_regions_limit_the_subjects() -> None:
    london = _record("aws_dynamodb_table.london", {"name": "l", "tags": DWP})
    dublin = _record("aws_dynamodb_table.dublin", {"name": "d", "tags": DWP}, region="eu-west-1")
    integration = _record("datadog_integration_aws_account.dd", {
        "aws_account_id": "1", "aws_regions": [{"include_only": ["eu-west-1"]}]}, region=None)
    inventory = _scan(london, dublin, integration)
    assert _flows_of(inventory, "aws_dynamodb_table.london") == []
    (flow,) = _flows_of(inventory, "aws_dynamodb_table.dublin")
    assert flow.target.uk is None
    assert "api_url" in (flow.target.note or "")


def test_a_subscription_of_a_log_group_not_in_the_scan_is_possibly_dwp() -> None:
    subscription = _record("aws_cloudwatch_log_subscription_filter.other", {
        "log_group_name": "/made/elsewhere",
        "destination_arn": "arn:aws:firehose:us-east-1:111122223333:deliverystream/central",
    })
    inventory = _scan(subscription)
    (flow,) = inventory.flows
    stand_in = inventory.resource(flow.resource_id)
    assert stand_in is not None and flow.resource_id != subscription.address
    assert stand_in.classification.dwp and not stand_in.classification.certain
    assert flow.target.region == "us-east-1"
