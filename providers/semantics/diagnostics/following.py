"""Following data on, hop by hop: an AWS resource that receives data and passes it on (a Firehose
stream to its destinations, a CloudWatch Logs destination to its target, a log group through its
subscription filters, a Kinesis stream to its readers, a forwarder function to its settings).

Also the telemetry settings of an environment (``env_hops``): a setting that references another
resource is followed like any other delivery.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

from providers.semantics import geography
from providers.semantics.context import (
    NormaliseContext,
    first,
    placed,
    unresolved_value,
    values_at,
    with_provenance,
)
from providers.semantics.diagnostics.azure_destinations import azure_hop
from providers.semantics.diagnostics.hops import (
    Hop,
    aws_host_hop,
    decisive,
    endpoint_hop,
    endpoint_label,
    log_group_named,
    said,
    snowflake_hop,
    subscriptions_of,
    unknown_hop,
)
from providers.semantics.diagnostics.vendors import VENDOR_PROVIDERS, vendor_hop
from providers.semantics.endpoints import (
    place_datadog_site,
)
from providers.semantics.records import ResourceRecord, Unknown
from providers.semantics.telemetry_settings import (
    DATADOG_DEFAULT_SITE,
    TELEMETRY_SETTINGS,
    endpoint_location,
    telemetry_destinations,
)


def aws_hops(context: NormaliseContext, value: Any, steps: tuple[str, ...], seen: frozenset[str]) -> list[Hop]:
    """Every hop of data delivered to the AWS resource ``value`` names (a reference or an ARN)."""
    other = _receiver(context, value)
    if other is not None:
        if other.address in seen:
            return []
        here = (*steps, other.address)
        located = context.location(other)
        hop = Hop(with_provenance(located, (*here, *located.provenance)), other.address, other.address)
        return [hop, *onward(context, other, here, seen | {other.address})]
    if isinstance(value, Unknown):
        return [Hop(with_provenance(unresolved_value("aws", value), steps), None, "an unresolved destination")]
    if not isinstance(value, str) or not value:
        return []
    if value.startswith("arn:aws:s3:::") or value.startswith("arn:aws-us-gov:s3:::"):
        bucket = value.split(":::", 1)[1].split("/")[0]
        return [unknown_hop("aws", steps, f"destination bucket {bucket} is not in the scan, and S3 ARNs carry no "
                             "region (scan the configuration or the account that holds it)", f"S3 bucket {bucket}")]
    region = geography.aws_region_of_arn(value)
    if region is None:
        return [unknown_hop("aws", steps, f"{value!r} carries no region and is not a scanned resource", value)]
    service, resource = value.split(":", 5)[2], value.split(":", 5)[5]
    hops = [Hop(placed("aws", region, (*steps, f"ARN {value}")), None, f"{service} {resource} in {region}")]
    forwarder = _FORWARDERS.get(service)
    if forwarder is not None and (service != "logs" or resource.startswith("destination:")):
        reason = (f"{forwarder} {value} is not in the scanned configuration, so where it sends the data on is unknown "
                  "(scan the configuration or the account that holds it)")
        if service == "lambda" and "datadog" in resource.lower():
            reason += "; it looks like the Datadog Forwarder, which sends to its DD_SITE (datadoghq.com, US1, if unset)"
        hops.append(unknown_hop("aws", (*steps, f"ARN {value}"), reason, value))
    return hops


# Receivers that pass data on: outside the configuration, where they send it is not known.
_FORWARDERS = {"firehose": "Firehose stream", "logs": "CloudWatch Logs destination", "lambda": "Lambda function"}


def _receiver(context: NormaliseContext, value: Any) -> ResourceRecord | None:
    other = context.referenced(value)
    if other is not None or not isinstance(value, str):
        return other
    # Log group ARNs end in ":*" (arn:aws:logs:eu-west-2:1:log-group:/aws/lambda/fn:*).
    match = re.match(r"arn:aws[\w-]*:logs:[^:]*:[^:]*:log-group:([^:]+)", value)
    return log_group_named(context, match.group(1)) if match else None


def onward(context: NormaliseContext, record: ResourceRecord, steps: tuple[str, ...],
            seen: frozenset[str]) -> list[Hop]:
    if record.type == "aws_kinesis_firehose_delivery_stream":
        return firehose_hops(context, record, steps, seen)
    if record.type == "aws_cloudwatch_log_destination":
        target = record.values.get("target_arn")
        return aws_hops(context, target, (*steps, said(record, "target_arn", target)), seen)
    if record.type == "aws_cloudwatch_log_group":
        hops: list[Hop] = []
        for subscription in subscriptions_of(context, record):
            destination = subscription.values.get("destination_arn")
            step = said(subscription, "destination_arn", destination)
            hops.extend(aws_hops(context, destination, (*steps, step), seen | {subscription.address}))
        return hops
    if record.type == "aws_kinesis_stream":
        return [hop for reader in _stream_readers(context, record) if reader.address not in seen
                for hop in aws_hops(context, _ref_to(reader), steps, seen)]
    if record.type == "aws_lambda_function":
        # A log forwarder (the Datadog Forwarder is one) sends on to wherever its settings say.
        env = first(values_at(record.values, "environment.variables"))
        found = env_hops(context, record, env if isinstance(env, Mapping) else {}, "environment.variables",
                          has_datadog_layer(record), seen=seen)
        return [replace(hop, location=with_provenance(hop.location, (*steps, *hop.location.provenance)))
                for _, hop in beside_local(list(found))]
    if record.type == "aws_cloudformation_stack":
        return _forwarder_stack_hops(context, record, steps)
    if record.type == "aws_cloudwatch_event_api_destination":
        # An EventBridge API destination posts each event to its endpoint: the endpoint is where the data goes.
        endpoint = record.values.get("invocation_endpoint")
        return [endpoint_hop(context, endpoint, (*steps, said(record, "invocation_endpoint", endpoint)))]
    if record.type == "azurerm_application_insights":
        workspace = record.values.get("workspace_id")
        if workspace is None:
            return []
        return [azure_hop(context, workspace, (*steps, said(record, "workspace_id", workspace)))]
    return []


def _forwarder_stack_hops(context: NormaliseContext, stack: ResourceRecord, steps: tuple[str, ...]) -> list[Hop]:
    """A CloudFormation stack as a destination: Datadog's documented way to install its log Forwarder."""
    parameters = stack.values.get("parameters")
    site = parameters.get("DdSite") if isinstance(parameters, Mapping) else None
    template = stack.values.get("template_url")
    if isinstance(site, str):
        endpoint = place_datadog_site(site)
        where = (*steps, said(stack, "parameters.DdSite", site))
        return [Hop(endpoint_location(endpoint, where), None, endpoint_label(endpoint))]
    if isinstance(site, Unknown):
        return [unknown_hop("external", (*steps, said(stack, "parameters.DdSite", site)), site.reason, "Datadog")]
    if isinstance(template, str) and "datadog" in template.lower():
        default = place_datadog_site(DATADOG_DEFAULT_SITE)
        note = f"the Datadog Forwarder stack sets no DdSite, so the default site is used: {default.note}"
        where = (*steps, f"{stack.address} parameters: DdSite not set")
        return [Hop(endpoint_location(replace(default, note=note), where), None, endpoint_label(default))]
    reason = f"{stack.address} is a CloudFormation stack: where its resources send the data is not read"
    return [unknown_hop("aws", steps, reason, stack.address)]


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


def firehose_hops(context: NormaliseContext, firehose: ResourceRecord, steps: tuple[str, ...],
                   seen: frozenset[str]) -> list[Hop]:
    """Where a Firehose stream delivers: its destination, then its backup buckets."""
    destination = firehose.values.get("destination")
    main, how = _FIREHOSE_TARGETS.get(destination, (None, "")) if isinstance(destination, str) else (None, "")
    hops: list[Hop] = []
    for value in values_at(firehose.values, main) if main else ():
        if value is not None:
            hops.extend(_delivered(context, value, how, (*steps, said(firehose, main, value)), seen))
    if not hops:
        shown = f"a {destination}" if isinstance(destination, str) else "an unknown"
        reason = (f"{firehose.address} delivers to {shown} destination that offshore-scan cannot read"
                  + (f" ({main} is not set)" if main else ""))
        hops.append(unknown_hop("aws", steps, reason, f"{firehose.address} destination"))
    for path in _FIREHOSE_BACKUPS:
        if path == main:
            continue
        for value in values_at(firehose.values, path):
            if value is not None:
                hops.extend(aws_hops(context, value, (*steps, said(firehose, path, value)), seen))
    return hops


def _delivered(context: NormaliseContext, value: Any, how: str, steps: tuple[str, ...],
               seen: frozenset[str]) -> list[Hop]:
    if how == "endpoint":
        return [endpoint_hop(context, value, steps)]
    if how == "snowflake":
        return [snowflake_hop(context, value, steps)]
    if how == "aws_host":
        return [aws_host_hop(value, steps)]
    return aws_hops(context, value, steps, seen)


_DATADOG_LAYER = re.compile(r"arn:aws[\w-]*:lambda:[^:]*:464622532012:layer:Datadog-")


def env_hops(context: NormaliseContext, record: ResourceRecord, env: Mapping[str, Any], path: str,
              datadog: bool = False, paths: Mapping[str, str] | None = None,
              seen: frozenset[str] = frozenset(), steps: Mapping[str, str] | None = None) -> Iterator[tuple[str, Hop]]:
    """``(variable, hop)`` for every telemetry destination in an environment, known or not.

    ``path`` is where the environment is in the record; ``paths`` names variables read from elsewhere;
    ``seen`` holds the records already on the way here, so references in circles end; ``steps`` are the
    provenance of variables whose value is not to be shown as written (a sensitive value, a secret's reference).
    """
    shown = {name: f"{path}.{name}" for name in env} | dict(paths or {})
    for name, endpoint in telemetry_destinations(env, context.endpoints, datadog=datadog):
        if name in env:
            step = (steps or {}).get(name) or said(record, shown[name], env[name])
        else:
            step = f"{record.address} {path}: {name} not set" + (" (Datadog in use)" if datadog else "")
        yield name, Hop(endpoint_location(endpoint, (step,)), None, endpoint_label(endpoint))
    for name, value in env.items():
        if name in TELEMETRY_SETTINGS and isinstance(value, Unknown):
            step = (said(record, shown[name], value),)
            other = context.referenced(value)
            if other is not None and other.address in seen | {record.address}:
                continue  # back to a record already on the way: a circle, not a destination
            if other is not None and other.type.split("_", 1)[0] in ("aws", "azurerm", "google"):
                here = (*step, other.address)
                located = context.location(other)
                hops = [Hop(with_provenance(located, (*here, *located.provenance)), other.address, other.address),
                        *onward(context, other, here, seen | {record.address, other.address})]
                hop = decisive(hops)
                if hop is not None:
                    yield name, hop
            elif other is not None and other.type.split("_", 1)[0] in VENDOR_PROVIDERS:
                yield name, vendor_hop(context, other, step)
            else:
                yield name, unknown_hop("external", step, value.reason, "an unresolved endpoint")


def has_datadog_layer(record: ResourceRecord, attribute: str = "layers") -> bool:
    layers = record.values.get(attribute)
    return isinstance(layers, list) and any(isinstance(a, str) and _DATADOG_LAYER.match(a) for a in layers)


_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})


def beside_local(found: list[tuple[str, Hop]]) -> list[tuple[str, Hop]]:
    """Drop endpoints on localhost when something else in the same task or function has a destination.

    localhost is a sidecar container or a Lambda extension: where it sends is its own setting, read
    separately, so the loopback hop adds nothing. Alone, it stays an unknown.
    """
    local = [item for item in found if item[1].location.region in _LOOPBACK]
    return [item for item in found if item not in local] if len(local) < len(found) else found
