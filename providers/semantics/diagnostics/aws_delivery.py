"""AWS delivery services: Firehose streams, log subscriptions (per group and account-wide), metric
streams, AWS Config delivery channels and alarm notifications, each a flow of the resources whose
data it carries.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from providers.semantics.context import (
    NormaliseContext,
    first,
    json_document,
    values_at,
)
from providers.semantics.diagnostics.following import aws_hops, firehose_hops
from providers.semantics.diagnostics.hops import (
    Subjects,
    endpoint_hop,
    flows,
    log_group_subjects,
    routed,
    said,
    unique,
)
from providers.semantics.records import ResourceRecord, Unknown
from scanner.model import Flow, FlowKind


def firehose_flows(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    """A delivery stream's own flows: its data, and its source stream's, go to each destination."""
    source = first(values_at(record.values, "kinesis_source_configuration.kinesis_stream_arn"))
    subjects = unique([record, context.referenced(source) if source is not None else None])
    for hop in firehose_hops(context, record, (), frozenset({record.address})):
        yield from flows(record, subjects, FlowKind.LOG_EXPORT, "Firehose delivery", hop)


def subscription_filter_flows(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    destination = record.values.get("destination_arn")
    if destination is None:
        return
    named = record.values.get("log_group_name")
    # A log group that is not in the scan is still someone's: a stand-in, judged as possibly DWP.
    subjects = log_group_subjects(context, named) or ([context.unidentified(record, "log_group_name", named)]
                                                      if named is not None else [])
    hops = aws_hops(context, destination, (said(record, "destination_arn", destination),),
                     frozenset({record.address}))
    yield from flows(record, subjects, FlowKind.LOG_EXPORT, "CloudWatch log subscription", routed(hops))


def _regional_dwp(context: NormaliseContext, record: ResourceRecord,
                  keep: Callable[[ResourceRecord], bool] = lambda r: True) -> Subjects:
    """DWP AWS resources holding data in the region of ``record`` (all regions when its own is unknown)."""
    region = context.location(record).region
    found = []
    for other in context.records:
        if other.mode != "managed" or other.address == record.address or not other.type.startswith("aws_"):
            continue
        resource = context.resource(other)
        if not (resource.classification.dwp and resource.holds_data and keep(other)):
            continue
        if region is None or resource.location.region in (region, None):
            found.append(other)
    return found


def account_policy_flows(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    if record.values.get("policy_type") != "SUBSCRIPTION_FILTER_POLICY":
        return
    document = record.values.get("policy_document")
    destination = _document_destination(context, document)
    excluded = _excluded_log_groups(record.values.get("selection_criteria"))
    here = context.location(record).region
    groups = [r for r in context.of_type("aws_cloudwatch_log_group")
              if context.location(r).region in (here, None) and r.values.get("name") not in excluded]
    functions = [r for r in context.of_type("aws_lambda_function")
                 if context.location(r).region in (here, None)
                 and f"/aws/lambda/{r.values.get('function_name')}" not in excluded]
    step = said(record, "policy_document.DestinationArn", destination)
    hops = aws_hops(context, destination, (step,), frozenset({record.address}))
    yield from flows(record, unique([*groups, *functions]), FlowKind.LOG_EXPORT,
                      "account-wide CloudWatch log subscription policy", routed(hops))


def _document_destination(context: NormaliseContext, document: Any) -> Any:
    if isinstance(document, Unknown):
        # jsonencode() with an unknown inside is unknown as a whole; the unknown is usually the
        # destination's ARN, and then we know which resource it is.
        other = context.referenced(document)
        if other is not None and other.type in _RECEIVER_TYPES:
            return document
        return Unknown(f"policy_document cannot be read statically ({document.reason})")
    parsed = json_document(document)
    if isinstance(parsed, dict) and "DestinationArn" in parsed:
        return parsed["DestinationArn"]
    return Unknown("policy_document is not a JSON object with a DestinationArn")


_RECEIVER_TYPES = frozenset({
    "aws_kinesis_stream", "aws_kinesis_firehose_delivery_stream", "aws_lambda_function",
    "aws_cloudwatch_log_destination",
})


def _excluded_log_groups(criteria: Any) -> frozenset[str]:
    if not isinstance(criteria, str):
        return frozenset()
    match = re.search(r"LogGroupName\s+NOT\s+IN\s*\[(.*?)\]", criteria, re.IGNORECASE)
    return frozenset(re.findall(r"\"([^\"]*)\"", match.group(1))) if match else frozenset()


# CloudWatch namespaces -> the Terraform types whose metrics they carry.
_NAMESPACE_TYPES = {
    "AWS/RDS": ("aws_db_", "aws_rds_"),
    "AWS/Lambda": ("aws_lambda_",),
    "AWS/S3": ("aws_s3_",),
    "AWS/DynamoDB": ("aws_dynamodb_",),
    "AWS/EC2": ("aws_instance", "aws_ebs_", "aws_launch_template", "aws_autoscaling_group"),
    "AWS/EBS": ("aws_ebs_",),
    "AWS/ECS": ("aws_ecs_",),
    "AWS/SQS": ("aws_sqs_",),
    "AWS/SNS": ("aws_sns_",),
    "AWS/ApplicationELB": ("aws_lb", "aws_alb"),
    "AWS/NetworkELB": ("aws_lb", "aws_alb"),
    "AWS/ELB": ("aws_elb",),
    "AWS/Kinesis": ("aws_kinesis_stream",),
    "AWS/Firehose": ("aws_kinesis_firehose_",),
    "AWS/ApiGateway": ("aws_api_gateway_", "aws_apigatewayv2_"),
    "AWS/ElastiCache": ("aws_elasticache_",),
    "AWS/EFS": ("aws_efs_",),
    "AWS/Logs": ("aws_cloudwatch_log_",),
    "AWS/ES": ("aws_opensearch_", "aws_elasticsearch_"),
}


def _streamed(record: ResourceRecord) -> Callable[[ResourceRecord], bool]:
    """Which resources' metrics a metric stream carries, from its namespace filters."""
    include = [n for n in values_at(record.values, "include_filter.namespace") if isinstance(n, str)]
    exclude = [n for n in values_at(record.values, "exclude_filter.namespace") if isinstance(n, str)]

    def prefixes(namespaces: list[str]) -> tuple[str, ...] | None:
        # An unmapped namespace could be anyone's, so the filter is not narrowed.
        if any(n not in _NAMESPACE_TYPES for n in namespaces):
            return None
        return tuple(p for n in namespaces for p in _NAMESPACE_TYPES[n])

    included = prefixes(include) if include else None
    excluded = prefixes(exclude) if exclude else None
    return lambda other: ((included is None or other.type.startswith(included))
                          and (excluded is None or not other.type.startswith(excluded)))


def metric_stream_flows(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    firehose = record.values.get("firehose_arn")
    if firehose is None:
        return
    hops = aws_hops(context, firehose, (said(record, "firehose_arn", firehose),), frozenset({record.address}))
    subjects = [record, *_regional_dwp(context, record, _streamed(record))]
    yield from flows(record, subjects, FlowKind.TELEMETRY, "CloudWatch metric stream", routed(hops))


def config_channel_flows(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    bucket = record.values.get("s3_bucket_name")
    if bucket is None:
        return
    value = f"arn:aws:s3:::{bucket}" if isinstance(bucket, str) else bucket
    hops = aws_hops(context, value, (said(record, "s3_bucket_name", bucket),), frozenset({record.address}))
    subjects = [record, *_regional_dwp(context, record)]
    yield from flows(record, subjects, FlowKind.LOG_EXPORT, "AWS Config delivery channel", routed(hops))


def metric_alarm_flows(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    """An alarm on a DWP resource notifies wherever its SNS topics' HTTP(S) subscriptions point."""
    dimensions = record.values.get("dimensions")
    named = dimensions.values() if isinstance(dimensions, Mapping) else ()
    subjects = unique([record, *(context.referenced(v) for v in named)])
    topics: dict[str, tuple[ResourceRecord, str]] = {}
    for path in ("alarm_actions", "ok_actions", "insufficient_data_actions"):
        for action in values_at(record.values, path):
            topic = context.referenced(action)
            if topic is not None and topic.type == "aws_sns_topic":
                topics.setdefault(topic.address, (topic, said(record, path, action)))
    for topic, step in topics.values():
        for subscription in context.of_type("aws_sns_topic_subscription"):
            if (context.referenced(subscription.values.get("topic_arn")) is topic
                    and subscription.values.get("protocol") in ("https", "http")):
                endpoint = subscription.values.get("endpoint")
                steps = (step, topic.address, said(subscription, "endpoint", endpoint))
                yield from flows(record, subjects, FlowKind.ALERTING,
                                  f"CloudWatch alarm notification via {topic.address}",
                                  endpoint_hop(context, endpoint, steps))
