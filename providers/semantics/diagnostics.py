"""Diagnostics: where logs, metrics, traces and alerts about a resource are sent.

Two hooks, both used by ``normalise``:
- ``TARGETS``: target resolvers the resource map (``resource_map/diagnostics.yaml``) may name, for
  values such as a vendor URL, an AWS delivery ARN or an Azure diagnostics destination;
- ``extra_flows``: flows that a path in the map cannot express (environment variables of a Lambda
  function or an ECS task definition, log groups named by a string, account-wide policies, vendor
  cloud integrations).

Agent and SDK settings in environment variables are read by ``scanner.telemetry_settings``, which
Kubernetes shares.

Data sent to an AWS resource is followed on (a Firehose stream to its destinations, a CloudWatch
Logs destination to its target, a log group through its subscription filters): each place it
passes is a *hop*, and a flow is judged on its decisive hop, the first outside the UK, else the
first that cannot be placed, else the last.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from providers.semantics.context import (
    NormaliseContext,
    first,
    json_document,
    placed,
    setting,
    unresolved_value,
    values_at,
    with_provenance,
)
from providers.semantics.records import ResourceRecord, Unknown
from providers.semantics.targets import Target, TargetResolver
from scanner import geography
from scanner.endpoints import (
    Endpoint,
    decode_elastic_cloud_id,
    place_datadog_site,
    place_endpoint,
    place_newrelic_region,
)
from scanner.model import Flow, FlowKind, Location
from scanner.telemetry_settings import (
    DATADOG_DEFAULT_SITE,
    FLUENT_BIT_AWS_OUTPUTS,
    FLUENT_BIT_OUTPUTS,
    TELEMETRY_SETTINGS,
    endpoint_location,
    get_folded,
    telemetry_destinations,
)


def _said(record: ResourceRecord, path: str, value: Any) -> str:
    """A provenance step: what an attribute says, a reference shown as the reference it is."""
    if isinstance(value, Unknown) and value.ref and value.attribute:
        where = f" ({record.source.path}:{record.source.line})" if record.source.line else ""
        return f"{record.address} {path} = {value.ref}.{value.attribute}{where}"
    return setting(record, path, value)


# --- hops: where data sent somewhere ends up ----------------------------------------------------


@dataclass(frozen=True)
class _Hop:
    """One place data passes through or lands."""

    location: Location
    """Where, with the steps that led here as provenance."""
    target_id: str | None
    """The receiving resource, when the configuration has it."""
    label: str
    """Words for the flow's description: ``aws_kinesis_stream.central``, ``New Relic log-api.newrelic.com``."""


def _decisive(hops: list[_Hop]) -> _Hop | None:
    for hop in hops:
        if hop.location.uk is False:
            return hop
    for hop in hops:
        if hop.location.uk is None:
            return hop
    return hops[-1] if hops else None


def _unknown_hop(cloud: str, steps: tuple[str, ...], reason: str, label: str) -> _Hop:
    return _Hop(Location(cloud, None, None, None, steps, f"{reason}"), None, label)


def _aws_hops(context: NormaliseContext, value: Any, steps: tuple[str, ...], seen: frozenset[str]) -> list[_Hop]:
    """Every hop of data delivered to the AWS resource ``value`` names (a reference or an ARN)."""
    other = _receiver(context, value)
    if other is not None:
        if other.address in seen:
            return []
        here = (*steps, other.address)
        located = context.location(other)
        hop = _Hop(with_provenance(located, (*here, *located.provenance)), other.address, other.address)
        return [hop, *_onward(context, other, here, seen | {other.address})]
    if isinstance(value, Unknown):
        return [_Hop(with_provenance(unresolved_value("aws", value), steps), None, "an unresolved destination")]
    if not isinstance(value, str) or not value:
        return []
    if value.startswith("arn:aws:s3:::") or value.startswith("arn:aws-us-gov:s3:::"):
        bucket = value.split(":::", 1)[1].split("/")[0]
        return [_unknown_hop("aws", steps, f"destination bucket {bucket} is not in the scanned configuration, and S3 "
                             "ARNs carry no region (scan the configuration that creates it)", f"S3 bucket {bucket}")]
    region = geography.aws_region_of_arn(value)
    if region is None:
        return [_unknown_hop("aws", steps, f"{value!r} carries no region and is not a scanned resource", value)]
    service, resource = value.split(":", 5)[2], value.split(":", 5)[5]
    hops = [_Hop(placed("aws", region, (*steps, f"ARN {value}")), None, f"{service} {resource} in {region}")]
    forwarder = _FORWARDERS.get(service)
    if forwarder is not None and (service != "logs" or resource.startswith("destination:")):
        reason = (f"{forwarder} {value} is not in the scanned configuration, so where it sends the data on is unknown "
                  "(scan the configuration that creates it)")
        if service == "lambda" and "datadog" in resource.lower():
            reason += "; it looks like the Datadog Forwarder, which sends to its DD_SITE (datadoghq.com, US1, if unset)"
        hops.append(_unknown_hop("aws", (*steps, f"ARN {value}"), reason, value))
    return hops


# Receivers that pass data on: outside the configuration, where they send it is not known.
_FORWARDERS = {"firehose": "Firehose stream", "logs": "CloudWatch Logs destination", "lambda": "Lambda function"}


def _receiver(context: NormaliseContext, value: Any) -> ResourceRecord | None:
    other = context.referenced(value)
    if other is not None or not isinstance(value, str):
        return other
    # Log group ARNs end in ":*" (arn:aws:logs:eu-west-2:1:log-group:/aws/lambda/fn:*).
    match = re.match(r"arn:aws[\w-]*:logs:[^:]*:[^:]*:log-group:([^:]+)", value)
    return _log_group_named(context, match.group(1)) if match else None


def _onward(context: NormaliseContext, record: ResourceRecord, steps: tuple[str, ...],
            seen: frozenset[str]) -> list[_Hop]:
    if record.type == "aws_kinesis_firehose_delivery_stream":
        return _firehose_hops(context, record, steps, seen)
    if record.type == "aws_cloudwatch_log_destination":
        target = record.values.get("target_arn")
        return _aws_hops(context, target, (*steps, _said(record, "target_arn", target)), seen)
    if record.type == "aws_cloudwatch_log_group":
        hops: list[_Hop] = []
        for subscription in _subscriptions_of(context, record):
            destination = subscription.values.get("destination_arn")
            step = _said(subscription, "destination_arn", destination)
            hops.extend(_aws_hops(context, destination, (*steps, step), seen | {subscription.address}))
        return hops
    if record.type == "aws_kinesis_stream":
        return [hop for reader in _stream_readers(context, record) if reader.address not in seen
                for hop in _aws_hops(context, _ref_to(reader), steps, seen)]
    if record.type == "aws_lambda_function":
        # A log forwarder (the Datadog Forwarder is one) sends on to wherever its settings say.
        env = first(values_at(record.values, "environment.variables"))
        found = _env_hops(context, record, env if isinstance(env, Mapping) else {}, "environment.variables",
                          _has_datadog_layer(record), seen=seen)
        return [replace(hop, location=with_provenance(hop.location, (*steps, *hop.location.provenance)))
                for _, hop in _beside_local(list(found))]
    if record.type == "aws_cloudformation_stack":
        return _forwarder_stack_hops(context, record, steps)
    if record.type == "azurerm_application_insights":
        workspace = record.values.get("workspace_id")
        if workspace is None:
            return []
        return [_azure_hop(context, workspace, (*steps, _said(record, "workspace_id", workspace)))]
    return []


def _forwarder_stack_hops(context: NormaliseContext, stack: ResourceRecord, steps: tuple[str, ...]) -> list[_Hop]:
    """A CloudFormation stack as a destination: Datadog's documented way to install its log Forwarder."""
    parameters = stack.values.get("parameters")
    site = parameters.get("DdSite") if isinstance(parameters, Mapping) else None
    template = stack.values.get("template_url")
    if isinstance(site, str):
        endpoint = place_datadog_site(site)
        where = (*steps, _said(stack, "parameters.DdSite", site))
        return [_Hop(endpoint_location(endpoint, where), None, _endpoint_label(endpoint))]
    if isinstance(site, Unknown):
        return [_unknown_hop("external", (*steps, _said(stack, "parameters.DdSite", site)), site.reason, "Datadog")]
    if isinstance(template, str) and "datadog" in template.lower():
        default = place_datadog_site(DATADOG_DEFAULT_SITE)
        note = f"the Datadog Forwarder stack sets no DdSite, so the default site is used: {default.note}"
        where = (*steps, f"{stack.address} parameters: DdSite not set")
        return [_Hop(endpoint_location(replace(default, note=note), where), None, _endpoint_label(default))]
    reason = f"{stack.address} is a CloudFormation stack: where its resources send the data is not read"
    return [_unknown_hop("aws", steps, reason, stack.address)]


def _stream_readers(context: NormaliseContext, stream: ResourceRecord) -> Iterator[ResourceRecord]:
    """Firehose streams and Lambda functions that read a Kinesis stream (and so carry its data on)."""
    for firehose in context.of_type("aws_kinesis_firehose_delivery_stream"):
        source = first(values_at(firehose.values, "kinesis_source_configuration.kinesis_stream_arn"))
        if source is not None and context.referenced(source) is stream:
            yield firehose
    for mapping in context.of_type("aws_lambda_event_source_mapping"):
        if context.referenced(mapping.values.get("event_source_arn")) is stream:
            function = context.referenced(mapping.values.get("function_name"))
            if function is not None:
                yield function


def _ref_to(record: ResourceRecord) -> Unknown:
    return Unknown(f"{record.address}.arn", ref=record.address, attribute="arn")


# Firehose `destination` -> the attribute naming where it delivers, and how that value is placed.
_FIREHOSE_TARGETS = {
    "http_endpoint": ("http_endpoint_configuration.url", "endpoint"),
    "splunk": ("splunk_configuration.hec_endpoint", "endpoint"),
    "snowflake": ("snowflake_configuration.account_url", "snowflake"),
    "extended_s3": ("extended_s3_configuration.bucket_arn", "aws"),
    "s3": ("s3_configuration.bucket_arn", "aws"),
    "opensearch": ("opensearch_configuration.domain_arn", "aws"),
    "elasticsearch": ("elasticsearch_configuration.domain_arn", "aws"),
    "iceberg": ("iceberg_configuration.catalog_arn", "aws"),
    "redshift": ("redshift_configuration.cluster_jdbcurl", "aws_host"),
    "opensearchserverless": ("opensearchserverless_configuration.collection_endpoint", "aws_host"),
}
# Backup buckets receive data too (failed records, or every record).
_FIREHOSE_BACKUPS = (
    "s3_configuration.bucket_arn",
    "extended_s3_configuration.s3_backup_configuration.bucket_arn",
    *(f"{block}_configuration.s3_configuration.bucket_arn" for block in (
        "http_endpoint", "splunk", "snowflake", "opensearch", "elasticsearch", "redshift", "iceberg",
        "opensearchserverless")),
)


def _firehose_hops(context: NormaliseContext, firehose: ResourceRecord, steps: tuple[str, ...],
                   seen: frozenset[str]) -> list[_Hop]:
    """Where a Firehose stream delivers: its destination, then its backup buckets."""
    destination = firehose.values.get("destination")
    main, how = _FIREHOSE_TARGETS.get(destination, (None, "")) if isinstance(destination, str) else (None, "")
    hops: list[_Hop] = []
    for value in values_at(firehose.values, main) if main else ():
        if value is not None:
            hops.extend(_delivered(context, value, how, (*steps, _said(firehose, main, value)), seen))
    if not hops:
        shown = f"a {destination}" if isinstance(destination, str) else "an unknown"
        reason = (f"{firehose.address} delivers to {shown} destination that offshore-scan cannot read"
                  + (f" ({main} is not set)" if main else ""))
        hops.append(_unknown_hop("aws", steps, reason, f"{firehose.address} destination"))
    for path in _FIREHOSE_BACKUPS:
        if path == main:
            continue
        for value in values_at(firehose.values, path):
            if value is not None:
                hops.extend(_aws_hops(context, value, (*steps, _said(firehose, path, value)), seen))
    return hops


def _delivered(context: NormaliseContext, value: Any, how: str, steps: tuple[str, ...],
               seen: frozenset[str]) -> list[_Hop]:
    if how == "endpoint":
        return [_endpoint_hop(context, value, steps)]
    if how == "snowflake":
        return [_snowflake_hop(context, value, steps)]
    if how == "aws_host":
        return [_aws_host_hop(value, steps)]
    return _aws_hops(context, value, steps, seen)


_AWS_HOST_REGION = re.compile(r"(?:^|[./])(?P<region>[a-z]{2}(?:-gov)?-[a-z]+-\d+)\.(?:[a-z0-9-]+\.)?amazonaws\.com")


def _aws_host_hop(value: Any, steps: tuple[str, ...]) -> _Hop:
    """An AWS endpoint URL whose host names the region (Redshift JDBC URLs, OpenSearch Serverless)."""
    match = _AWS_HOST_REGION.search(value.lower()) if isinstance(value, str) else None
    if match is None:
        reason = value.reason if isinstance(value, Unknown) else f"{value!r} does not name an AWS region"
        return _unknown_hop("aws", steps, reason, "an unresolved AWS endpoint")
    region = match.group("region")
    return _Hop(placed("aws", region, (*steps, f"region {region} in the endpoint host")), None, f"AWS {region}")


def _firehose(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    """A delivery stream's own flows: its data, and its source stream's, go to each destination."""
    source = first(values_at(record.values, "kinesis_source_configuration.kinesis_stream_arn"))
    subjects = _unique([record, context.referenced(source) if source is not None else None])
    for hop in _firehose_hops(context, record, (), frozenset({record.address})):
        yield from _flows(record, subjects, FlowKind.LOG_EXPORT, "Firehose delivery", hop)


def _endpoint_hop(context: NormaliseContext, value: Any, steps: tuple[str, ...]) -> _Hop:
    if isinstance(value, Unknown):
        other = context.referenced(value)
        if other is not None and other.type.split("_", 1)[0] in ("aws", "azurerm", "google"):
            located = context.location(other)
            here = (*steps, other.address)
            return _Hop(with_provenance(located, (*here, *located.provenance)), other.address, other.address)
        return _unknown_hop("external", steps, value.reason, "an unresolved endpoint")
    if not isinstance(value, str):
        return _unknown_hop("external", steps, f"{value!r} is not a URL", "an unresolved endpoint")
    endpoint = place_endpoint(value, context.endpoints)
    return _Hop(endpoint_location(endpoint, steps), None, _endpoint_label(endpoint))


def _endpoint_label(endpoint: Endpoint) -> str:
    return f"{endpoint.vendor} {endpoint.host}" if endpoint.vendor else endpoint.host or "an unplaced endpoint"


_SNOWFLAKE = re.compile(r"(?P<account>[a-z0-9_-]+)(?P<rest>(?:\.[a-z0-9-]+)*)\.snowflakecomputing\.com")


def _snowflake_hop(context: NormaliseContext, value: Any, steps: tuple[str, ...]) -> _Hop:
    hop = _endpoint_hop(context, value, steps)
    if hop.location.uk is not None or not isinstance(value, str):
        return hop
    host = re.sub(r"^[a-z]+://", "", value.strip().lower()).split("/")[0].split(":")[0]
    match = _SNOWFLAKE.fullmatch(host)
    if match is None:
        return hop
    labels = [label for label in match.group("rest").split(".") if label and label != "privatelink"]
    cloud = labels.pop() if labels and labels[-1] in ("aws", "azure", "gcp") else "aws"
    if not labels:
        if "-" in match.group("account"):
            return _unknown_hop("external", steps, f"Snowflake URL {host} names the organisation and account, not "
                                "the region: give the account locator URL, or map the host in offshore-scan.yaml "
                                "under endpoints", f"Snowflake {host}")
        # A locator URL without a region is Snowflake's first region (documented).
        labels = ["us-west-2"]
    region = labels[0].replace("-", "") if cloud == "azure" else labels[0]
    location = placed(cloud, region, (*steps, f"Snowflake account URL {host}: {cloud} region {labels[0]}"))
    return _Hop(location, None, f"Snowflake {host}")


# --- Azure destinations ---------------------------------------------------------------------------

_EVENTHUB_TYPES = ("azurerm_eventhub", "azurerm_eventhub_authorization_rule",
                   "azurerm_eventhub_namespace_authorization_rule", "azurerm_eventhub_consumer_group")


def _azure_hop(context: NormaliseContext, value: Any, steps: tuple[str, ...]) -> _Hop:
    other = context.referenced(value)
    if other is None:
        fallback = "the destination is not in the scanned configuration (scan the configuration that creates it)"
        location = unresolved_value("azure", value, fallback)
        return _Hop(with_provenance(location, steps), None, "an unresolved destination")
    here = (*steps, other.address)
    if other.type in _EVENTHUB_TYPES:
        namespace = _eventhub_namespace(context, other)
        if namespace is not None:
            located = context.location(namespace)
            where = (*here, namespace.address, *located.provenance)
            return _Hop(with_provenance(located, where), other.address, f"{other.address} in {namespace.address}")
    located = context.location(other)
    return _Hop(with_provenance(located, (*here, *located.provenance)), other.address, other.address)


def _eventhub_namespace(context: NormaliseContext, record: ResourceRecord) -> ResourceRecord | None:
    namespace_id = record.values.get("namespace_id")
    if namespace_id is not None:
        found = context.referenced(namespace_id)
        if found is not None:
            return found
    if record.type == "azurerm_eventhub_consumer_group":
        hub = context.referenced(record.values.get("eventhub_id"))
        return _eventhub_namespace(context, hub) if hub is not None else None
    name = record.values.get("namespace_name")
    return next((r for r in context.of_type("azurerm_eventhub_namespace")
                 if isinstance(name, str) and r.values.get("name") == name), None)


# Partner solutions: where Terraform says nothing about the vendor's site.
_PARTNERS = {
    "azurerm_datadog_monitor": ("Datadog", "the Datadog site of an Azure-native Datadog organisation is not stated in "
                                "Terraform (such organisations are usually on US3): check the site in the "
                                "organisation's settings"),
    "azurerm_new_relic_monitor": ("New Relic", "the New Relic account's data region is not stated in Terraform: "
                                  "check it in New Relic"),
    "azurerm_dynatrace_monitor": ("Dynatrace", "the Dynatrace environment's region is not stated in Terraform: "
                                  "check it in Dynatrace"),
    "azurerm_elastic_cloud_elasticsearch": ("Elastic", "the Elastic deployment's region is not stated in "
                                            "Terraform: check it in Elastic Cloud"),
}
_PARTNER_NAMESPACES = {
    "microsoft.datadog": "azurerm_datadog_monitor",
    "newrelic.observability": "azurerm_new_relic_monitor",
    "dynatrace.observability": "azurerm_dynatrace_monitor",
    "microsoft.elastic": "azurerm_elastic_cloud_elasticsearch",
}


def _partner_hop(context: NormaliseContext, value: Any, steps: tuple[str, ...]) -> _Hop:
    other = context.referenced(value)
    if other is None:
        namespace = re.search(r"/providers/([^/]+)/", value, re.IGNORECASE) if isinstance(value, str) else None
        kind = _PARTNER_NAMESPACES.get(namespace.group(1).lower()) if namespace else None
        if kind is None:
            location = unresolved_value("external", value, "the partner solution is not in the scanned configuration")
            return _Hop(with_provenance(location, steps), None, "an unresolved partner solution")
        vendor, reason = _PARTNERS[kind]
        return _unknown_hop("external", steps, reason, f"{vendor} (Azure-native)")
    here = (*steps, other.address)
    if other.type == "azurerm_datadog_monitor":
        for text in _strings_in(first(values_at(other.values, "datadog_organization"))):
            endpoint = place_endpoint(text, context.endpoints)
            if endpoint.vendor == "Datadog":
                where = (*here, _said(other, "datadog_organization", text))
                return _Hop(endpoint_location(endpoint, where), other.address, f"Datadog {endpoint.host}")
    vendor, reason = _PARTNERS.get(other.type, ("a partner", f"{other.type} is not a known partner solution"))
    return _unknown_hop("external", here, reason, f"{vendor} via {other.address}")


def _strings_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings_in(item)


# --- target resolvers for the resource map ---------------------------------------------------------


def _as_target(hop: _Hop | None) -> Target | None:
    return None if hop is None else (hop.location, hop.target_id)


def _target_delivery(context: NormaliseContext, record: ResourceRecord, value: Any, path: str) -> Target | None:
    hops = _aws_hops(context, value, (_said(record, path, value),), frozenset({record.address}))
    return _as_target(_decisive(hops))


def _target_endpoint_url(context: NormaliseContext, record: ResourceRecord, value: Any, path: str) -> Target:
    hop = _endpoint_hop(context, value, (_said(record, path, value),))
    return hop.location, hop.target_id


def _target_azure_destination(context: NormaliseContext, record: ResourceRecord, value: Any, path: str) -> Target:
    steps = (_said(record, path, value),)
    hop = _azure_hop(context, value, steps)
    if hop.target_id is not None:
        onward = _onward(context, context.by_address[hop.target_id], steps, frozenset({record.address}))
        hop = _decisive([hop, *onward]) or hop
    return hop.location, hop.target_id


def _target_azure_partner(context: NormaliseContext, record: ResourceRecord, value: Any, path: str) -> Target:
    hop = _partner_hop(context, value, (_said(record, path, value),))
    return hop.location, hop.target_id


TARGETS: dict[str, TargetResolver] = {
    "delivery": _target_delivery,
    "endpoint_url": _target_endpoint_url,
    "azure_destination": _target_azure_destination,
    "azure_partner": _target_azure_partner,
}
"""Target resolvers for diagnostics destinations, by the name the resource map uses."""


# --- flows a path cannot express --------------------------------------------------------------------

Subjects = list[ResourceRecord]


def _flows(record: ResourceRecord, subjects: Subjects, kind: FlowKind, what: str,
           hop: _Hop | None) -> Iterator[Flow]:
    if hop is None:
        return
    for subject in subjects or [record]:
        if subject.address == hop.target_id:
            continue
        yield Flow(
            resource_id=subject.address,
            kind=kind,
            target=hop.location,
            description=f"{what} to {hop.label} ({record.address})",
            source=record.source,
            target_id=hop.target_id,
        )


def _unique(records: Iterable[ResourceRecord | None]) -> Subjects:
    found: dict[str, ResourceRecord] = {}
    for record in records:
        if record is not None:
            found.setdefault(record.address, record)
    return list(found.values())


@dataclass(frozen=True)
class _Index:
    """Look-ups by log group name, built once per input (diagnostics follow names a lot)."""

    log_groups: Mapping[str, ResourceRecord]
    """``aws_cloudwatch_log_group`` by ``name``."""
    logging_to: Mapping[str, tuple[ResourceRecord, ...]]
    """Lambda functions by the log group they write to (``/aws/lambda/<name>`` or ``logging_config``)."""
    subscriptions: Mapping[str, tuple[ResourceRecord, ...]]
    """Subscription filters by the name of the log group they subscribe."""


def _index(context: NormaliseContext) -> _Index:
    return context.memo("diagnostics", _build_index)


def _build_index(context: NormaliseContext) -> _Index:
    log_groups: dict[str, ResourceRecord] = {}
    for group in context.of_type("aws_cloudwatch_log_group"):
        if isinstance(group.values.get("name"), str):
            log_groups.setdefault(group.values["name"], group)
    logging_to: dict[str, list[ResourceRecord]] = {}
    for function in context.of_type("aws_lambda_function"):
        custom = first(values_at(function.values, "logging_config.log_group"))
        name = custom if custom is not None else f"/aws/lambda/{function.values.get('function_name')}"
        if isinstance(name, str):
            logging_to.setdefault(name, []).append(function)
    subscriptions: dict[str, list[ResourceRecord]] = {}
    for subscription in context.of_type("aws_cloudwatch_log_subscription_filter"):
        named = subscription.values.get("log_group_name")
        if isinstance(named, Unknown):
            group = context.referenced(named)
            named = group.values.get("name") if group is not None else None
        if isinstance(named, str):
            subscriptions.setdefault(named, []).append(subscription)
    return _Index(
        log_groups=log_groups,
        logging_to={k: tuple(v) for k, v in logging_to.items()},
        subscriptions={k: tuple(v) for k, v in subscriptions.items()},
    )


def _log_group_named(context: NormaliseContext, name: Any) -> ResourceRecord | None:
    return _index(context).log_groups.get(name) if isinstance(name, str) else None


def _log_group_subjects(context: NormaliseContext, name: Any) -> Subjects:
    """Whose logs a log group holds: the group, and the Lambda functions that log to it."""
    if isinstance(name, Unknown):
        group = context.referenced(name)
        name = group.values.get("name") if group is not None else None
        if not isinstance(name, str):
            return _unique([group])
    if not isinstance(name, str):
        return []
    return _unique([_log_group_named(context, name), *_index(context).logging_to.get(name, ())])


def _subscriptions_of(context: NormaliseContext, group: ResourceRecord) -> tuple[ResourceRecord, ...]:
    name = group.values.get("name")
    return _index(context).subscriptions.get(name, ()) if isinstance(name, str) else ()


def _subscription_filter(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    destination = record.values.get("destination_arn")
    if destination is None:
        return
    subjects = _log_group_subjects(context, record.values.get("log_group_name"))
    hops = _aws_hops(context, destination, (_said(record, "destination_arn", destination),),
                     frozenset({record.address}))
    yield from _flows(record, subjects, FlowKind.LOG_EXPORT, "CloudWatch log subscription", _decisive(hops))


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


def _account_policy(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
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
    step = _said(record, "policy_document.DestinationArn", destination)
    hops = _aws_hops(context, destination, (step,), frozenset({record.address}))
    yield from _flows(record, _unique([*groups, *functions]), FlowKind.LOG_EXPORT,
                      "account-wide CloudWatch log subscription policy", _decisive(hops))


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


def _list(value: Any) -> list[Any]:
    """A list value, or nothing: an unknown here is reported by the caller's own checks."""
    return value if isinstance(value, list) else []


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


def _metric_stream(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    firehose = record.values.get("firehose_arn")
    if firehose is None:
        return
    hops = _aws_hops(context, firehose, (_said(record, "firehose_arn", firehose),), frozenset({record.address}))
    subjects = [record, *_regional_dwp(context, record, _streamed(record))]
    yield from _flows(record, subjects, FlowKind.TELEMETRY, "CloudWatch metric stream", _decisive(hops))


def _config_channel(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    bucket = record.values.get("s3_bucket_name")
    if bucket is None:
        return
    value = f"arn:aws:s3:::{bucket}" if isinstance(bucket, str) else bucket
    hops = _aws_hops(context, value, (_said(record, "s3_bucket_name", bucket),), frozenset({record.address}))
    subjects = [record, *_regional_dwp(context, record)]
    yield from _flows(record, subjects, FlowKind.LOG_EXPORT, "AWS Config delivery channel", _decisive(hops))


def _metric_alarm(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    """An alarm on a DWP resource notifies wherever its SNS topics' HTTP(S) subscriptions point."""
    dimensions = record.values.get("dimensions")
    named = dimensions.values() if isinstance(dimensions, Mapping) else ()
    subjects = _unique([record, *(context.referenced(v) for v in named)])
    topics: dict[str, tuple[ResourceRecord, str]] = {}
    for path in ("alarm_actions", "ok_actions", "insufficient_data_actions"):
        for action in values_at(record.values, path):
            topic = context.referenced(action)
            if topic is not None and topic.type == "aws_sns_topic":
                topics.setdefault(topic.address, (topic, _said(record, path, action)))
    for topic, step in topics.values():
        for subscription in context.of_type("aws_sns_topic_subscription"):
            if (context.referenced(subscription.values.get("topic_arn")) is topic
                    and subscription.values.get("protocol") in ("https", "http")):
                endpoint = subscription.values.get("endpoint")
                steps = (step, topic.address, _said(subscription, "endpoint", endpoint))
                yield from _flows(record, subjects, FlowKind.ALERTING,
                                  f"CloudWatch alarm notification via {topic.address}",
                                  _endpoint_hop(context, endpoint, steps))


# --- environment variables, layers and log drivers ---------------------------------------------------

_DATADOG_LAYER = re.compile(r"arn:aws[\w-]*:lambda:[^:]*:464622532012:layer:Datadog-")


def _env_hops(context: NormaliseContext, record: ResourceRecord, env: Mapping[str, Any], path: str,
              datadog: bool = False, paths: Mapping[str, str] | None = None,
              seen: frozenset[str] = frozenset()) -> Iterator[tuple[str, _Hop]]:
    """``(variable, hop)`` for every telemetry destination in an environment, known or not.

    ``path`` is where the environment is in the record; ``paths`` names variables read from elsewhere;
    ``seen`` holds the records already on the way here, so references in circles end.
    """
    shown = {name: f"{path}.{name}" for name in env} | dict(paths or {})
    for name, endpoint in telemetry_destinations(env, context.endpoints, datadog=datadog):
        if name in env:
            step = _said(record, shown[name], env[name])
        else:
            step = f"{record.address} {path}: {name} not set" + (" (Datadog in use)" if datadog else "")
        yield name, _Hop(endpoint_location(endpoint, (step,)), None, _endpoint_label(endpoint))
    for name, value in env.items():
        if name in TELEMETRY_SETTINGS and isinstance(value, Unknown):
            step = (_said(record, shown[name], value),)
            other = context.referenced(value)
            if other is not None and other.address in seen | {record.address}:
                continue  # back to a record already on the way: a circle, not a destination
            if other is not None and other.type.split("_", 1)[0] in ("aws", "azurerm", "google"):
                here = (*step, other.address)
                located = context.location(other)
                hops = [_Hop(with_provenance(located, (*here, *located.provenance)), other.address, other.address),
                        *_onward(context, other, here, seen | {record.address, other.address})]
                hop = _decisive(hops)
                if hop is not None:
                    yield name, hop
            elif other is not None and other.type.split("_", 1)[0] in _VENDOR_PROVIDERS:
                yield name, _vendor_hop(context, other, step)
            else:
                yield name, _unknown_hop("external", step, value.reason, "an unresolved endpoint")


def _lambda_function(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    env = first(values_at(record.values, "environment.variables"))
    if isinstance(env, Unknown):
        yield from _unreadable_settings(record, "environment.variables", env, "Lambda settings")
    env = env if isinstance(env, Mapping) else {}
    datadog = _has_datadog_layer(record)
    for name, hop in _beside_local(list(_env_hops(context, record, env, "environment.variables", datadog))):
        yield from _flows(record, [record], FlowKind.TELEMETRY, f"Lambda setting {name}", hop)


def _has_datadog_layer(record: ResourceRecord) -> bool:
    layers = record.values.get("layers")
    return isinstance(layers, list) and any(isinstance(a, str) and _DATADOG_LAYER.match(a) for a in layers)


_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})


def _beside_local(found: list[tuple[str, _Hop]]) -> list[tuple[str, _Hop]]:
    """Drop endpoints on localhost when something else in the same task or function has a destination.

    localhost is a sidecar container or a Lambda extension: where it sends is its own setting, read
    separately, so the loopback hop adds nothing. Alone, it stays an unknown.
    """
    local = [item for item in found if item[1].location.region in _LOOPBACK]
    return [item for item in found if item not in local] if len(local) < len(found) else found


def _unreadable_settings(record: ResourceRecord, path: str, value: Any, what: str) -> Iterator[Flow]:
    """Settings that cannot be read are an unknown destination, never silence."""
    reason = value.reason if isinstance(value, Unknown) else f"{path} is not a readable document"
    step = (setting(record, path, value),)
    yield from _flows(record, [record], FlowKind.TELEMETRY, what,
                      _unknown_hop("external", step, f"{path} cannot be read statically ({reason}): where its "
                                   "telemetry settings send is not known", "unreadable settings"))


def _ecs_task_definition(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    raw = record.values.get("container_definitions")
    containers = json_document(raw)
    if not isinstance(containers, list):
        if raw is not None:
            yield from _unreadable_settings(record, "container_definitions", raw, "ECS container settings")
        return
    subjects = _unique([record, *(r for r in context.of_type("aws_ecs_service")
                                  if context.referenced(r.values.get("task_definition")) is record)])
    found: list[tuple[FlowKind, str, _Hop]] = []
    for index, container in enumerate(containers):
        if not isinstance(container, dict):
            continue
        name = container.get("name") if isinstance(container.get("name"), str) else str(index)
        path = f"container_definitions[{name}]"
        env = {e.get("name"): e.get("value") for e in _list(container.get("environment"))
               if isinstance(e, dict) and isinstance(e.get("name"), str)}
        image = container.get("image")
        datadog = isinstance(image, str) and "datadog/" in image
        found.extend((FlowKind.TELEMETRY, f"ECS container {name} setting {variable}", hop)
                     for variable, hop in _env_hops(context, record, env, f"{path}.environment", datadog))
        found.extend((FlowKind.LOG_EXPORT, f"ECS container {name} {what}", hop)
                     for what, hop in _log_driver_hops(context, record, container.get("logConfiguration"), path))
    kinds = {what: kind for kind, what, _ in found}
    for what, hop in _beside_local([(what, hop) for _, what, hop in found]):
        yield from _flows(record, subjects, kinds[what], what, hop)


def _log_driver_hops(context: NormaliseContext, record: ResourceRecord, config: Any,
                     path: str) -> Iterator[tuple[str, _Hop]]:
    if not isinstance(config, dict):
        return
    driver = config.get("logDriver")
    options = config.get("options") if isinstance(config.get("options"), dict) else {}
    where = f"{path}.logConfiguration.options"
    if driver == "awslogs":
        region = options.get("awslogs-region")
        if region is None:
            return
        steps = (_said(record, f"{where}.awslogs-region", region),)
        hops = [_Hop(placed("aws", region, steps), None, f"CloudWatch Logs in {region}")]
        group = _log_group_named(context, options.get("awslogs-group"))
        if group is not None:
            hops.extend(_onward(context, group, (*steps, group.address), frozenset({record.address})))
        hop = _decisive(hops)
        if hop is not None:
            yield "awslogs log driver", hop
    elif driver == "awsfirelens":
        hop = _firelens_hop(context, record, options, where)
        if hop is not None:
            yield f"FireLens output {get_folded(options, 'name')}", hop
    elif driver in _DRIVER_ADDRESS:
        address = options.get(_DRIVER_ADDRESS[driver])
        if address is not None:
            steps = (_said(record, f"{where}.{_DRIVER_ADDRESS[driver]}", address),)
            yield f"{driver} log driver", _endpoint_hop(context, address, steps)


_DRIVER_ADDRESS = {"splunk": "splunk-url", "syslog": "syslog-address", "fluentd": "fluentd-address",
                   "gelf": "gelf-address"}

# Fluent Bit outputs (FireLens): the option holding the host, and its default where the plugin has one.
def _firelens_hop(context: NormaliseContext, record: ResourceRecord, options: Mapping[str, Any],
                  where: str) -> _Hop | None:
    plugin = str(get_folded(options, "name") or "").lower()
    region = get_folded(options, "region") or get_folded(options, "aws_region")
    if plugin in FLUENT_BIT_AWS_OUTPUTS and region is not None:
        steps = (_said(record, f"{where}.region", region),)
        hops = [_Hop(placed("aws", region, steps), None, f"{plugin} in {region}")]
        stream = get_folded(options, "delivery_stream")
        firehose = next((r for r in context.of_type("aws_kinesis_firehose_delivery_stream")
                         if isinstance(stream, str) and r.values.get("name") == stream), None)
        group = _log_group_named(context, get_folded(options, "log_group_name"))
        for receiver in (firehose, group):
            if receiver is not None:
                here = (*steps, receiver.address)
                located = context.location(receiver)
                hops.append(_Hop(with_provenance(located, (*here, *located.provenance)), receiver.address,
                                 receiver.address))
                hops.extend(_onward(context, receiver, here, frozenset({record.address})))
        return _decisive(hops)
    cloud_id = get_folded(options, "cloud_id")
    if plugin == "es" and isinstance(cloud_id, str):
        endpoint = decode_elastic_cloud_id(cloud_id)
        return _Hop(endpoint_location(endpoint, (_said(record, f"{where}.Cloud_ID", cloud_id),)), None,
                    _endpoint_label(endpoint))
    if plugin in FLUENT_BIT_OUTPUTS:
        key, default = FLUENT_BIT_OUTPUTS[plugin]
        host = get_folded(options, key)
        if host is None and default is not None:
            endpoint = place_endpoint(default, context.endpoints)
            note = f"{key} is not set, so the {plugin} output's default {default} is used: {endpoint.note}"
            step = f"{record.address} {where}: Name = {plugin!r}, {key} not set"
            return _Hop(endpoint_location(replace(endpoint, note=note), (step,)), None, _endpoint_label(endpoint))
        if host is not None:
            return _endpoint_hop(context, host, (_said(record, f"{where}.{key}", host),))
    return _unknown_hop("external", (_said(record, f"{where}.Name", plugin),),
                        f"FireLens output {plugin or '(no Name)'} is not one offshore-scan reads: check where it sends",
                        f"FireLens output {plugin}")


# Azure app settings: the settings themselves, plus site_config's Application Insights settings.
_SITE_CONFIG_INSIGHTS = {
    "application_insights_connection_string": "APPLICATIONINSIGHTS_CONNECTION_STRING",
    "application_insights_key": "APPINSIGHTS_INSTRUMENTATIONKEY",
}


def _azure_app(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    settings = record.values.get("app_settings")
    if isinstance(settings, Unknown):
        yield from _unreadable_settings(record, "app_settings", settings, "app settings")
    env: dict[str, Any] = dict(settings) if isinstance(settings, Mapping) else {}
    paths: dict[str, str] = {}
    for attribute, name in _SITE_CONFIG_INSIGHTS.items():
        value = first(values_at(record.values, f"site_config.{attribute}"))
        if value is not None and name not in env:
            env[name], paths[name] = value, f"site_config.{attribute}"
    for name, hop in _env_hops(context, record, env, "app_settings", paths=paths):
        yield from _flows(record, [record], FlowKind.TELEMETRY, f"app setting {name}", hop)


def _container_app(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    for container in values_at(record.values, "template.container"):
        if not isinstance(container, Mapping):
            continue
        env = {e.get("name"): e.get("value") for e in _list(container.get("env"))
               if isinstance(e, Mapping) and isinstance(e.get("name"), str)}
        name = container.get("name")
        for variable, hop in _env_hops(context, record, env, f"template.container[{name}].env"):
            yield from _flows(record, [record], FlowKind.TELEMETRY, f"container {name} setting {variable}", hop)


# --- Azure rules and associations ------------------------------------------------------------------

_DCR_DESTINATIONS = (
    "destinations.log_analytics.workspace_resource_id",
    "destinations.event_hub.event_hub_id",
    "destinations.event_hub_direct.event_hub_id",
    "destinations.storage_blob.storage_account_id",
    "destinations.storage_blob_direct.storage_account_id",
    "destinations.monitor_account.monitor_account_id",
)


def _dcr_association(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    """A data collection rule associated with a DWP machine sends its logs where the rule does."""
    rule = context.referenced(record.values.get("data_collection_rule_id"))
    if rule is None:
        return
    subjects = _unique([context.referenced(record.values.get("target_resource_id"))])
    for path in _DCR_DESTINATIONS:
        for value in values_at(rule.values, path):
            if value is None:
                continue
            hop = _azure_hop(context, value, (f"data_collection_rule_id -> {rule.address}", _said(rule, path, value)))
            yield from _flows(record, subjects, FlowKind.LOG_EXPORT, f"data collection rule {rule.address}", hop)


_ALERT_ACTIONS = {
    "azurerm_monitor_metric_alert": "action.action_group_id",
    "azurerm_monitor_activity_log_alert": "action.action_group_id",
    "azurerm_monitor_scheduled_query_rules_alert_v2": "action.action_groups",
}


def _azure_alert(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    """An alert rule on DWP resources notifies wherever its action groups' webhooks point."""
    subjects = _unique([record, *(context.referenced(s) for s in values_at(record.values, "scopes"))])
    path = _ALERT_ACTIONS[record.type]
    for group_id in values_at(record.values, path):
        group = context.referenced(group_id)
        if group is None or group.type != "azurerm_monitor_action_group":
            continue
        for uri in values_at(group.values, "webhook_receiver.service_uri"):
            steps = (_said(record, path, group_id), group.address,
                     _said(group, "webhook_receiver.service_uri", uri))
            yield from _flows(record, subjects, FlowKind.ALERTING, f"alert via {group.address}",
                              _endpoint_hop(context, uri, steps))


# --- vendor providers and their cloud integrations ------------------------------------------------------

_VENDOR_PROVIDERS = ("datadog", "newrelic", "signalfx", "sentry")
# Provider setting holding the vendor's URL, and its default.
_VENDOR_URLS = {
    "datadog": ("Datadog", "api_url", "https://api.datadoghq.com/", "US1"),
    "signalfx": ("Splunk Observability", "api_url", "https://api.signalfx.com", "realm us0"),
    "sentry": ("Sentry", "base_url", "https://sentry.io/api/", "sentry.io, US"),
}


def _vendor_hop(context: NormaliseContext, record: ResourceRecord, steps: tuple[str, ...]) -> _Hop:
    """Where a vendor resource's data is: the vendor site its Terraform provider is configured for."""
    vendor = record.type.split("_", 1)[0]
    provider = record.placement
    if vendor == "newrelic":
        region = provider.region
        if isinstance(region.value, str):
            endpoint = place_newrelic_region(region.value)
            return _Hop(endpoint_location(endpoint, (*steps, *region.provenance)), None, _endpoint_label(endpoint))
        if region.value is None or any("not configured" in step for step in region.provenance):
            endpoint = place_newrelic_region("US")
            note = (f"provider {provider.key} sets no region, so the New Relic default US is used (unless "
                    f"NEW_RELIC_REGION is set where Terraform runs): {endpoint.note}")
            return _Hop(endpoint_location(replace(endpoint, note=note), (*steps, *region.provenance)), None,
                        _endpoint_label(endpoint))
        reason = region.value.reason if isinstance(region.value, Unknown) else f"region {region.value!r} is not a name"
        return _unknown_hop("external", (*steps, *region.provenance), reason, "New Relic")
    named, key, default, site = _VENDOR_URLS[vendor]
    configured = provider.extra.get(key)
    if configured is not None and isinstance(configured.value, str):
        endpoint = place_endpoint(configured.value, context.endpoints)
        return _Hop(endpoint_location(endpoint, (*steps, *configured.provenance)), None, _endpoint_label(endpoint))
    if configured is not None and isinstance(configured.value, Unknown):
        return _unknown_hop("external", (*steps, *configured.provenance), configured.value.reason, vendor)
    if configured is not None and configured.value is None:
        # The provider context says the block leaves the setting unset: the provider's default applies.
        endpoint = place_endpoint(default, context.endpoints)
        note = f"provider {provider.key} sets no {key}, so the default {default} is used: {endpoint.note}"
        return _Hop(endpoint_location(replace(endpoint, note=note), (*steps, *configured.provenance)), None,
                    _endpoint_label(endpoint))
    reason = (f"the {named} site is set by provider \"{vendor}\" {key} (default {default}, {site}), and no "
              f"provider block for {provider.key} is in the scanned configuration: check where it is configured")
    return _unknown_hop("external", (*steps, f"provider {provider.key}"), reason, f"{named} (site not read)")


# type -> (cloud whose resources it collects from, words, attribute listing the regions collected or skipped)
_INTEGRATIONS = {
    "datadog_integration_aws": ("aws", "Datadog AWS integration", None, "excluded_regions"),
    "datadog_integration_aws_account": ("aws", "Datadog AWS integration", "aws_regions.include_only",
                                        "aws_regions.exclude_only"),
    "datadog_integration_aws_lambda_arn": ("aws", "Datadog log forwarder", None, None),
    "datadog_integration_aws_log_collection": ("aws", "Datadog AWS log collection", None, None),
    "datadog_integration_azure": ("azure", "Datadog Azure integration", None, None),
    "datadog_integration_gcp": ("gcp", "Datadog GCP integration", None, None),
    "datadog_integration_gcp_sts": ("gcp", "Datadog GCP integration", None, None),
    "newrelic_cloud_aws_link_account": ("aws", "New Relic AWS integration", None, None),
    "newrelic_cloud_azure_link_account": ("azure", "New Relic Azure integration", None, None),
    "newrelic_cloud_gcp_link_account": ("gcp", "New Relic GCP integration", None, None),
    "signalfx_aws_integration": ("aws", "Splunk Observability AWS integration", "regions", None),
    "signalfx_azure_integration": ("azure", "Splunk Observability Azure integration", None, None),
    "signalfx_gcp_integration": ("gcp", "Splunk Observability GCP integration", None, None),
}
_CLOUD_PREFIXES = {"aws": "aws_", "azure": "azurerm_", "gcp": "google_"}


def _integration(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    """A vendor integration pulls metrics (and often logs) of every resource of the cloud account."""
    cloud, what, include_path, exclude_path = _INTEGRATIONS[record.type]
    include = {r for r in values_at(record.values, include_path) if isinstance(r, str)} if include_path else set()
    exclude = {r for r in values_at(record.values, exclude_path) if isinstance(r, str)} if exclude_path else set()
    subjects = []
    for other in context.records:
        if other.mode != "managed" or not other.type.startswith(_CLOUD_PREFIXES[cloud]):
            continue
        resource = context.resource(other)
        region = resource.location.region
        if not (resource.classification.dwp and resource.holds_data):
            continue
        if (include and region not in include) or (exclude and region in exclude):
            continue
        subjects.append(other)
    if not subjects:
        return
    hop = _vendor_hop(context, record, (f"{record.address} ({record.source.path}:{record.source.line})",))
    yield from _flows(record, subjects, FlowKind.TELEMETRY, what, hop)


_HANDLERS: dict[str, Callable[[NormaliseContext, ResourceRecord], Iterator[Flow]]] = {
    "aws_kinesis_firehose_delivery_stream": _firehose,
    "aws_cloudwatch_log_subscription_filter": _subscription_filter,
    "aws_cloudwatch_log_account_policy": _account_policy,
    "aws_cloudwatch_metric_stream": _metric_stream,
    "aws_config_delivery_channel": _config_channel,
    "aws_cloudwatch_metric_alarm": _metric_alarm,
    "aws_lambda_function": _lambda_function,
    "aws_ecs_task_definition": _ecs_task_definition,
    "azurerm_container_app": _container_app,
    "azurerm_monitor_data_collection_rule_association": _dcr_association,
    **dict.fromkeys(_ALERT_ACTIONS, _azure_alert),
    **dict.fromkeys(_INTEGRATIONS, _integration),
}


def extra_flows(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    """Diagnostics flows of one record beyond what the resource map declares."""
    handler = _HANDLERS.get(record.type)
    if handler is not None:
        return handler(context, record)
    if record.type.startswith("azurerm_") and ("app_settings" in record.values or "site_config" in record.values):
        return _azure_app(context, record)
    return iter(())
