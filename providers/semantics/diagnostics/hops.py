"""Hops: the places data sent somewhere passes through or lands, and the flows built from them.

The vocabulary the other diagnostics modules share: a ``Hop`` is one place, with the steps that led
there as provenance; a flow is judged on its decisive hop (the first outside the UK, else the first
that cannot be placed, else the last). Also here: vendor endpoint URLs, and the per-input index of
CloudWatch log groups by name, which several concerns follow.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from providers.semantics.context import (
    NormaliseContext,
    first,
    flows_of_subjects,
    placed,
    setting,
    values_at,
    with_provenance,
)
from providers.semantics.endpoints import (
    Endpoint,
    place_endpoint,
)
from providers.semantics.records import ResourceRecord, Unknown
from providers.semantics.telemetry_settings import (
    endpoint_location,
)
from scanner.model import Flow, FlowKind, Location


def said(record: ResourceRecord, path: str, value: Any) -> str:
    """A provenance step: what an attribute says, a reference shown as the reference it is."""
    if isinstance(value, Unknown) and value.ref and value.attribute:
        where = f" ({record.source.path}:{record.source.line})" if record.source.line else ""
        return f"{record.address} {path} = {value.ref}.{value.attribute}{where}"
    return setting(record, path, value)




@dataclass(frozen=True)
class Hop:
    """One place data passes through or lands."""

    location: Location
    """Where, with the steps that led here as provenance."""
    target_id: str | None
    """The receiving resource, when the configuration has it."""
    label: str
    """Words for the flow's description: ``aws_kinesis_stream.central``, ``New Relic log-api.newrelic.com``."""


def decisive(hops: list[Hop]) -> Hop | None:
    for hop in hops:
        if hop.location.uk is False:
            return hop
    for hop in hops:
        if hop.location.uk is None:
            return hop
    return hops[-1] if hops else None


def routed(hops: list[Hop]) -> Hop | None:
    """The decisive hop, labelled with the route: the first hop the data is sent to and the final destination
    it is delivered to (a log subscription's Firehose stream, and the bucket the stream writes to), so the
    message names both ends, not only the place judged."""
    hop = decisive(hops)
    if hop is None or not hops:
        return hop
    first, final = hops[0], _final(hops)
    if final is first:
        return hop
    via = f" via {hop.label}" if hop is not first and hop is not final else ""
    return replace(hop, label=f"{first.label}, delivering{via} to {final.label}")


def _final(hops: list[Hop]) -> Hop:
    """The last hop of the first hop's own route: each next hop the one before it passes the data to (its
    provenance goes on from that hop's), never a sibling (a stream's backup bucket, another subscription)."""
    current = hops[0]
    for following in hops[1:]:
        if not _passes_to(current, following):
            break
        current = following
    return current


def _passes_to(hop: Hop, following: Hop) -> bool:
    steps = hop.location.provenance
    if hop.target_id is None or hop.target_id not in steps:
        return False
    prefix = steps[:steps.index(hop.target_id) + 1]
    return following.location.provenance[:len(prefix)] == prefix


def unknown_hop(cloud: str, steps: tuple[str, ...], reason: str, label: str) -> Hop:
    return Hop(Location(cloud, None, None, None, steps, f"{reason}"), None, label)


_AWS_HOST_REGION = re.compile(r"(?:^|[./])(?P<region>[a-z]{2}(?:-gov)?-[a-z]+-\d+)\.(?:[a-z0-9-]+\.)?amazonaws\.com")


def aws_host_hop(value: Any, steps: tuple[str, ...]) -> Hop:
    """An AWS endpoint URL whose host names the region (Redshift JDBC URLs, OpenSearch Serverless)."""
    match = _AWS_HOST_REGION.search(value.lower()) if isinstance(value, str) else None
    if match is None:
        reason = value.reason if isinstance(value, Unknown) else f"{value!r} does not name an AWS region"
        return unknown_hop("aws", steps, reason, "an unresolved AWS endpoint")
    region = match.group("region")
    return Hop(placed("aws", region, (*steps, f"region {region} in the endpoint host")), None, f"AWS {region}")


def endpoint_hop(context: NormaliseContext, value: Any, steps: tuple[str, ...]) -> Hop:
    if isinstance(value, Unknown):
        other = context.referenced(value)
        if other is not None and other.type.split("_", 1)[0] in ("aws", "azurerm", "google"):
            located = context.location(other)
            here = (*steps, other.address)
            return Hop(with_provenance(located, (*here, *located.provenance)), other.address, other.address)
        return unknown_hop("external", steps, value.reason, "an unresolved endpoint")
    if not isinstance(value, str):
        return unknown_hop("external", steps, f"{value!r} is not a URL", "an unresolved endpoint")
    endpoint = place_endpoint(value, context.endpoints)
    return Hop(endpoint_location(endpoint, steps), None, endpoint_label(endpoint))


def endpoint_label(endpoint: Endpoint) -> str:
    return f"{endpoint.vendor} {endpoint.host}" if endpoint.vendor else endpoint.host or "an unplaced endpoint"


_SNOWFLAKE = re.compile(r"(?P<account>[a-z0-9_-]+)(?P<rest>(?:\.[a-z0-9-]+)*)\.snowflakecomputing\.com")


def snowflake_hop(context: NormaliseContext, value: Any, steps: tuple[str, ...]) -> Hop:
    hop = endpoint_hop(context, value, steps)
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
            return unknown_hop("external", steps, f"Snowflake URL {host} names the organisation and account, not "
                                "the region: give the account locator URL, or map the host in offshore-scan.yaml "
                                "under endpoints", f"Snowflake {host}")
        # A locator URL without a region is Snowflake's first region (documented).
        labels = ["us-west-2"]
    region = labels[0].replace("-", "") if cloud == "azure" else labels[0]
    location = placed(cloud, region, (*steps, f"Snowflake account URL {host}: {cloud} region {labels[0]}"))
    return Hop(location, None, f"Snowflake {host}")


def strings_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


Subjects = list[ResourceRecord]


def flows(record: ResourceRecord, subjects: Subjects, kind: FlowKind, what: str,
          hop: Hop | None) -> Iterator[Flow]:
    """The flows of a delivery: each subject's data (the record's own when none is named) to the hop."""
    if hop is None:
        return iter(())
    description = f"{what} to {hop.label} ({record.address})"
    return flows_of_subjects(record, subjects or [record], kind, description, hop.location, hop.target_id)


def unique(records: Iterable[ResourceRecord | None]) -> Subjects:
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


def log_group_named(context: NormaliseContext, name: Any) -> ResourceRecord | None:
    return _index(context).log_groups.get(name) if isinstance(name, str) else None


def log_group_subjects(context: NormaliseContext, name: Any) -> Subjects:
    """Whose logs a log group holds: the group, and the Lambda functions that log to it."""
    if isinstance(name, Unknown):
        group = context.referenced(name)
        name = group.values.get("name") if group is not None else None
        if not isinstance(name, str):
            return unique([group])
    if not isinstance(name, str):
        return []
    return unique([log_group_named(context, name), *_index(context).logging_to.get(name, ())])


def subscriptions_of(context: NormaliseContext, group: ResourceRecord) -> tuple[ResourceRecord, ...]:
    name = group.values.get("name")
    return _index(context).subscriptions.get(name, ()) if isinstance(name, str) else ()


def as_list(value: Any) -> list[Any]:
    """A list value, or nothing: an unknown here is reported by the caller's own checks."""
    return value if isinstance(value, list) else []
