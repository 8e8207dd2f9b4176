"""Diagnostics: where logs, metrics, traces and alerts about a resource are sent.

Two hooks, both used by ``normalise``:
- ``TARGETS``: target resolvers the resource map (``resource_map/diagnostics.yaml``) may name, for
  values such as a vendor URL, an AWS delivery ARN or an Azure diagnostics destination;
- ``extra_flows``: flows that a path in the map cannot express (the environment variables of every
  compute type ``resource_map/compute_environments.yaml`` lists, ECS log drivers, log groups named by
  a string, account-wide policies, vendor cloud integrations).

Agent and SDK settings in environment variables are read by ``providers.semantics.telemetry_settings``, which
Kubernetes shares.

Data sent to an AWS resource is followed on (a Firehose stream to its destinations, a CloudWatch
Logs destination to its target, a log group through its subscription filters): each place it
passes is a *hop*, and a flow is judged on its decisive hop, the first outside the UK, else the
first that cannot be placed, else the last.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from providers.semantics.compute_environments import compute_environment
from providers.semantics.context import NormaliseContext
from providers.semantics.diagnostics.aws_delivery import (
    account_policy_flows,
    cloudtrail_flows,
    config_aggregator_flows,
    config_channel_flows,
    firehose_flows,
    guardduty_destination_flows,
    metric_alarm_flows,
    metric_stream_flows,
    securityhub_aggregator_flows,
    subscription_filter_flows,
)
from providers.semantics.diagnostics.azure_destinations import (
    ALERT_ACTIONS,
    azure_alert_flows,
    azure_hop,
    dcr_association_flows,
    partner_hop,
)
from providers.semantics.diagnostics.compute_settings import ecs_task_definition_flows, environment_flows
from providers.semantics.diagnostics.following import aws_hops, onward
from providers.semantics.diagnostics.hops import Hop, decisive, endpoint_hop, said
from providers.semantics.diagnostics.vendors import INTEGRATIONS, integration_flows
from providers.semantics.records import ResourceRecord
from providers.semantics.targets import Target, TargetResolver
from scanner.model import Flow


def _as_target(hop: Hop | None) -> Target | None:
    return None if hop is None else (hop.location, hop.target_id)


def _target_delivery(context: NormaliseContext, record: ResourceRecord, value: Any, path: str) -> Target | None:
    hops = aws_hops(context, value, (said(record, path, value),), frozenset({record.address}))
    return _as_target(decisive(hops))


def _target_endpoint_url(context: NormaliseContext, record: ResourceRecord, value: Any, path: str) -> Target:
    hop = endpoint_hop(context, value, (said(record, path, value),))
    return hop.location, hop.target_id


def _target_azure_destination(context: NormaliseContext, record: ResourceRecord, value: Any, path: str) -> Target:
    steps = (said(record, path, value),)
    hop = azure_hop(context, value, steps)
    if hop.target_id is not None:
        further = onward(context, context.by_address[hop.target_id], steps, frozenset({record.address}))
        hop = decisive([hop, *further]) or hop
    return hop.location, hop.target_id


def _target_azure_partner(context: NormaliseContext, record: ResourceRecord, value: Any, path: str) -> Target:
    hop = partner_hop(context, value, (said(record, path, value),))
    return hop.location, hop.target_id


TARGETS: dict[str, TargetResolver] = {
    "delivery": _target_delivery,
    "endpoint_url": _target_endpoint_url,
    "azure_destination": _target_azure_destination,
    "azure_partner": _target_azure_partner,
}
"""Target resolvers for diagnostics destinations, by the name the resource map uses."""


_HANDLERS: dict[str, Callable[[NormaliseContext, ResourceRecord], Iterator[Flow]]] = {
    "aws_kinesis_firehose_delivery_stream": firehose_flows,
    "aws_cloudwatch_log_subscription_filter": subscription_filter_flows,
    "aws_cloudwatch_log_account_policy": account_policy_flows,
    "aws_cloudwatch_metric_stream": metric_stream_flows,
    "aws_config_delivery_channel": config_channel_flows,
    "aws_config_configuration_aggregator": config_aggregator_flows,
    "aws_cloudtrail": cloudtrail_flows,
    "aws_guardduty_publishing_destination": guardduty_destination_flows,
    "aws_securityhub_finding_aggregator": securityhub_aggregator_flows,
    "aws_cloudwatch_metric_alarm": metric_alarm_flows,
    "aws_ecs_task_definition": ecs_task_definition_flows,
    "azurerm_monitor_data_collection_rule_association": dcr_association_flows,
    **dict.fromkeys(ALERT_ACTIONS, azure_alert_flows),
    **dict.fromkeys(INTEGRATIONS, integration_flows),
}


def extra_flows(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    """Diagnostics flows of one record beyond what the resource map declares."""
    handler = _HANDLERS.get(record.type)
    if handler is not None:
        return handler(context, record)
    if compute_environment(record.type) is not None:
        return environment_flows(context, record)
    return iter(())
