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
    with_provenance,
)
from providers.semantics.diagnostics.following import aws_hops, firehose_hops
from providers.semantics.diagnostics.hops import (
    Hop,
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
    """A delivery stream's own flows: its data, and its source stream's, go to each destination.

    Fed by a Kinesis data stream that no log subscription or Logs destination writes to, it carries the stream's
    records, the data itself: an export of it (replication), not diagnostics."""
    source = first(values_at(record.values, "kinesis_source_configuration.kinesis_stream_arn"))
    stream = context.referenced(source) if source is not None else None
    subjects = unique([record, stream])
    kind, what = FlowKind.LOG_EXPORT, "Firehose delivery"
    if stream is not None and stream.type == "aws_kinesis_stream" and not _carries_logs(context, stream):
        kind, what = FlowKind.REPLICATION, "Firehose export of a Kinesis data stream's records"
    for hop in firehose_hops(context, record, (), frozenset({record.address})):
        yield from flows(record, subjects, kind, what, hop)


def _carries_logs(context: NormaliseContext, stream: ResourceRecord) -> bool:
    """Whether logs are written to a Kinesis stream: a log subscription filter or a CloudWatch Logs destination
    names it (then what it carries on is logs, whatever else it holds)."""
    writers = (("aws_cloudwatch_log_subscription_filter", "destination_arn"),
               ("aws_cloudwatch_log_destination", "target_arn"))
    return any(context.referenced(writer.values.get(path)) is stream
               for writer_type, path in writers for writer in context.of_type(writer_type))


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
    """DWP AWS resources holding data in the region of ``record`` (all regions when its own is unknown), and in its
    account when both accounts are known: a metric stream or Config channel of one member account carries nothing
    of another's."""
    region = context.location(record).region
    account = record.placement.account
    found = []
    for other in context.records:
        if other.mode != "managed" or other.address == record.address or not other.type.startswith("aws_"):
            continue
        if account and other.placement.account and other.placement.account != account:
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


# --- CloudTrail data events and AWS Config aggregators --------------------------------------------


def _arn_to_match(record: ResourceRecord) -> str | None:
    """The ARN a trail's data event selector is compared with: a bucket's objects (``arn:aws:s3:::NAME/``), else
    the resource's own ARN (the address of a live record)."""
    if record.type == "aws_s3_bucket":
        bucket = record.values.get("bucket")
        return f"arn:aws:s3:::{bucket}/" if isinstance(bucket, str) else None
    arn = record.values.get("arn")
    if isinstance(arn, str) and arn.startswith("arn:"):
        return arn
    return record.address if record.address.startswith("arn:") else None


def _service_of(data_type: Any) -> str | None:
    """The ARN service of a data event resource type (``AWS::S3::Object`` -> ``s3``); None when not a type."""
    parts = data_type.split("::") if isinstance(data_type, str) else []
    return parts[1].lower() if len(parts) == 3 and parts[0] == "AWS" else None


def _named_by(target: str, value: str) -> bool:
    """Whether a selector value (an ARN or an ARN prefix) names ``target``: it is a prefix of it (``arn:aws:s3``
    selects every bucket) or lies within it (``arn:aws:s3:::claims/2024/`` selects objects of bucket claims)."""
    return target.startswith(value) or (target.endswith("/") and value.startswith(target))


def _selects(context: NormaliseContext, other: ResourceRecord, service: str | None, target: str | None,
             conditions: Mapping[str, list[Any]]) -> bool:
    """Whether one data selector (its service and its ``resources.ARN`` conditions) selects ``other``. A value that
    is not known may select it, and does; so does an ``ends_with`` (of an object key: a whole bucket may match)."""
    if service is not None:
        kind = target.split(":")[2] if target is not None else None
        if kind != service and not (kind is None and other.type.startswith(f"aws_{service}")):
            return False

    def names(value: Any) -> bool:
        if isinstance(value, Unknown):
            return value.ref is None or context.by_address.get(value.ref) is other
        return isinstance(value, str) and target is not None and _named_by(target, value)

    wanted = [*conditions.get("equals", []), *conditions.get("starts_with", [])]
    if wanted and not conditions.get("ends_with") and not any(names(v) for v in wanted):
        return False
    if target is None:
        return True
    if any(isinstance(v, str) and v in (target, target.rstrip("/")) for v in conditions.get("not_equals", [])):
        return False
    return not any(isinstance(v, str) and target.startswith(v) for v in conditions.get("not_starts_with", []))


def _data_selectors(record: ResourceRecord) -> Iterator[tuple[str | None, dict[str, list[Any]]]]:
    """Each data event selector of a trail as (service, ARN conditions): basic ``event_selector.data_resource``
    blocks (their ``values`` are ARN prefixes) and advanced selectors of ``eventCategory`` Data."""
    for resource in values_at(record.values, "event_selector.data_resource"):
        if isinstance(resource, Mapping):
            values = resource.get("values")
            listed = values if isinstance(values, list) else [values]
            yield _service_of(resource.get("type")), {"starts_with": [v for v in listed if v is not None]}
    for selector in values_at(record.values, "advanced_event_selector"):
        fields = {f.get("field"): f for f in selector.get("field_selector") or [] if isinstance(f, Mapping)} \
            if isinstance(selector, Mapping) else {}
        category = fields.get("eventCategory", {}).get("equals") or []
        if "Data" not in category and not any(isinstance(c, Unknown) for c in category):
            continue
        types = fields.get("resources.type", {}).get("equals") or [None]
        arn = fields.get("resources.ARN", {})
        conditions = {key: list(arn.get(key) or []) for key in ("equals", "starts_with", "ends_with", "not_equals",
                                                                "not_starts_with")}
        for data_type in types if isinstance(types, list) else [types]:
            yield _service_of(data_type), conditions


def trail_data_subjects(context: NormaliseContext, record: ResourceRecord) -> Subjects:
    """The DWP resources whose data events a trail logs: those its selectors select, in its region (every region
    for a multi-Region trail) and its account (every account for an organisation trail)."""
    selectors = list(_data_selectors(record))
    if not selectors:
        return []
    multi_region = record.values.get("is_multi_region_trail")
    every_region = multi_region is True or isinstance(multi_region, Unknown)
    organisation = record.values.get("is_organization_trail")
    every_account = organisation is True or isinstance(organisation, Unknown)
    account = record.placement.account
    found = []
    for other in _dwp_anywhere(context, record) if every_region else _regional_dwp(context, record):
        if not every_account and account and other.placement.account not in (account, None):
            continue
        target = _arn_to_match(other)
        if any(_selects(context, other, service, target, conditions) for service, conditions in selectors):
            found.append(other)
    return found


def _dwp_anywhere(context: NormaliseContext, record: ResourceRecord) -> Subjects:
    return [other for other in context.records
            if other.mode == "managed" and other.address != record.address and other.type.startswith("aws_")
            and context.resource(other).classification.dwp and context.resource(other).holds_data]


def cloudtrail_flows(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    """A trail's data events about DWP resources go where the trail delivers (its own data, management events,
    is the resource map's flow)."""
    subjects = trail_data_subjects(context, record)
    if not subjects:
        return
    bucket = record.values.get("s3_bucket_name")
    if bucket is not None:
        value = f"arn:aws:s3:::{bucket}" if isinstance(bucket, str) else bucket
        hops = aws_hops(context, value, (said(record, "s3_bucket_name", bucket),), frozenset({record.address}))
        yield from flows(record, subjects, FlowKind.LOG_EXPORT, "CloudTrail data events delivered to S3",
                         routed(hops))
    group = record.values.get("cloud_watch_logs_group_arn")
    if group is not None:
        hops = aws_hops(context, group, (said(record, "cloud_watch_logs_group_arn", group),),
                        frozenset({record.address}))
        yield from flows(record, subjects, FlowKind.LOG_EXPORT, "CloudTrail data events delivered to CloudWatch Logs",
                         routed(hops))


def _known_list(value: Any) -> list[Any] | None:
    """A list every item of which is known, else None (no narrowing: any account or region may be named)."""
    return value if isinstance(value, list) and not any(isinstance(v, Unknown) for v in value) else None


def config_aggregator_flows(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    """An AWS Config aggregator copies the configuration of its sources' resources into its own region and
    account: each DWP resource of an aggregated account (every account of an organisation source) and region."""
    sources = [("account_aggregation_source", s) for s in values_at(record.values, "account_aggregation_source")]
    sources += [("organization_aggregation_source", s)
                for s in values_at(record.values, "organization_aggregation_source")]
    subjects: dict[str, ResourceRecord] = {}
    for kind, source in sources:
        if not isinstance(source, Mapping):
            continue
        accounts = source.get("account_ids") if kind == "account_aggregation_source" else None
        regions = source.get("regions")
        every_region = source.get("all_regions") is True or isinstance(source.get("all_regions"), Unknown)
        named_accounts = _known_list(accounts)
        named_regions = None if every_region else _known_list(regions)
        for other in _dwp_anywhere(context, record):
            if named_accounts is not None and other.placement.account not in (*named_accounts, None):
                continue
            where = context.location(other).region
            if named_regions is not None and where not in (*named_regions, None):
                continue
            subjects.setdefault(other.address, other)
    if not subjects:
        return
    located = context.location(record)
    name = record.values.get("name")
    step = said(record, "region", located.region) if located.region else record.address
    hop = Hop(with_provenance(located, (step, *located.provenance)), record.address,
              f"AWS Config aggregator {name if isinstance(name, str) else record.address}")
    yield from flows(record, list(subjects.values()), FlowKind.LOG_EXPORT, "AWS Config aggregation", hop)


def guardduty_destination_flows(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    """A GuardDuty publishing destination exports the findings about the DWP resources of its detector's region
    to ``destination_arn`` (a bucket, followed and located)."""
    destination = record.values.get("destination_arn")
    if destination is None:
        return
    hops = aws_hops(context, destination, (said(record, "destination_arn", destination),),
                    frozenset({record.address}))
    yield from flows(record, _regional_dwp(context, record), FlowKind.LOG_EXPORT,
                     "GuardDuty findings export", routed(hops))


def _linked(mode: Any, regions: Any, region: str | None) -> bool:
    """Whether a Security Hub aggregator links ``region`` (an unknown mode or list links every region)."""
    listed = _known_list(regions)
    if isinstance(mode, Unknown) or listed is None or region is None:
        return mode != "NO_REGIONS"
    if mode == "SPECIFIED_REGIONS":
        return region in listed
    if mode == "ALL_REGIONS_EXCEPT_SPECIFIED":
        return region not in listed
    return mode != "NO_REGIONS"


def securityhub_aggregator_flows(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    """A Security Hub finding aggregator copies the findings of its linked regions (``linking_mode``,
    ``specified_regions``) into its own region: the findings about each DWP resource there."""
    mode, regions = record.values.get("linking_mode"), record.values.get("specified_regions")
    account = record.placement.account
    subjects = [other for other in _dwp_anywhere(context, record)
                if other.placement.account in (account, None)
                and _linked(mode, regions, context.location(other).region)]
    if not subjects:
        return
    located = context.location(record)
    step = said(record, "region", located.region) if located.region else record.address
    hop = Hop(with_provenance(located, (step, *located.provenance)), record.address,
              f"Security Hub finding aggregator {record.address}")
    yield from flows(record, subjects, FlowKind.LOG_EXPORT, "Security Hub cross-Region finding aggregation", hop)
