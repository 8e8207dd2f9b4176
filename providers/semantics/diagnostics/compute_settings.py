"""Telemetry settings of compute: Lambda environments, ECS container definitions (environment and log
drivers, FireLens outputs), Azure app settings and Container Apps.

Unreadable settings are an unknown destination, never silence.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

from providers.semantics.context import (
    NormaliseContext,
    first,
    json_document,
    placed,
    setting,
    values_at,
    with_provenance,
)
from providers.semantics.diagnostics.following import beside_local, env_hops, has_datadog_layer, onward
from providers.semantics.diagnostics.hops import (
    Hop,
    as_list,
    decisive,
    endpoint_hop,
    endpoint_label,
    flows,
    log_group_named,
    said,
    unique,
    unknown_hop,
)
from providers.semantics.records import ResourceRecord, Unknown
from scanner.endpoints import (
    decode_elastic_cloud_id,
    place_endpoint,
)
from scanner.model import Flow, FlowKind
from scanner.telemetry_settings import (
    FLUENT_BIT_AWS_OUTPUTS,
    FLUENT_BIT_OUTPUTS,
    endpoint_location,
    get_folded,
)


def lambda_function_flows(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    env = first(values_at(record.values, "environment.variables"))
    if isinstance(env, Unknown):
        yield from unreadable_settings(record, "environment.variables", env, "Lambda settings")
    env = env if isinstance(env, Mapping) else {}
    datadog = has_datadog_layer(record)
    for name, hop in beside_local(list(env_hops(context, record, env, "environment.variables", datadog))):
        yield from flows(record, [record], FlowKind.TELEMETRY, f"Lambda setting {name}", hop)


def unreadable_settings(record: ResourceRecord, path: str, value: Any, what: str) -> Iterator[Flow]:
    """Settings that cannot be read are an unknown destination, never silence."""
    reason = value.reason if isinstance(value, Unknown) else f"{path} is not a readable document"
    step = (setting(record, path, value),)
    yield from flows(record, [record], FlowKind.TELEMETRY, what,
                      unknown_hop("external", step, f"{path} cannot be read statically ({reason}): where its "
                                   "telemetry settings send is not known", "unreadable settings"))


def ecs_task_definition_flows(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    raw = record.values.get("container_definitions")
    containers = json_document(raw)
    if not isinstance(containers, list):
        if raw is not None:
            yield from unreadable_settings(record, "container_definitions", raw, "ECS container settings")
        return
    subjects = unique([record, *(r for r in context.of_type("aws_ecs_service")
                                  if context.referenced(r.values.get("task_definition")) is record)])
    found: list[tuple[FlowKind, str, Hop]] = []
    for index, container in enumerate(containers):
        if not isinstance(container, dict):
            continue
        name = container.get("name") if isinstance(container.get("name"), str) else str(index)
        path = f"container_definitions[{name}]"
        env = {e.get("name"): e.get("value") for e in as_list(container.get("environment"))
               if isinstance(e, dict) and isinstance(e.get("name"), str)}
        image = container.get("image")
        datadog = isinstance(image, str) and "datadog/" in image
        found.extend((FlowKind.TELEMETRY, f"ECS container {name} setting {variable}", hop)
                     for variable, hop in env_hops(context, record, env, f"{path}.environment", datadog))
        found.extend((FlowKind.LOG_EXPORT, f"ECS container {name} {what}", hop)
                     for what, hop in _log_driver_hops(context, record, container.get("logConfiguration"), path))
    kinds = {what: kind for kind, what, _ in found}
    for what, hop in beside_local([(what, hop) for _, what, hop in found]):
        yield from flows(record, subjects, kinds[what], what, hop)


def _log_driver_hops(context: NormaliseContext, record: ResourceRecord, config: Any,
                     path: str) -> Iterator[tuple[str, Hop]]:
    if not isinstance(config, dict):
        return
    driver = config.get("logDriver")
    options = config.get("options") if isinstance(config.get("options"), dict) else {}
    where = f"{path}.logConfiguration.options"
    if driver == "awslogs":
        region = options.get("awslogs-region")
        if region is None:
            return
        steps = (said(record, f"{where}.awslogs-region", region),)
        hops = [Hop(placed("aws", region, steps), None, f"CloudWatch Logs in {region}")]
        group = log_group_named(context, options.get("awslogs-group"))
        if group is not None:
            hops.extend(onward(context, group, (*steps, group.address), frozenset({record.address})))
        hop = decisive(hops)
        if hop is not None:
            yield "awslogs log driver", hop
    elif driver == "awsfirelens":
        hop = _firelens_hop(context, record, options, where)
        if hop is not None:
            yield f"FireLens output {get_folded(options, 'name')}", hop
    elif driver in _DRIVER_ADDRESS:
        address = options.get(_DRIVER_ADDRESS[driver])
        if address is not None:
            steps = (said(record, f"{where}.{_DRIVER_ADDRESS[driver]}", address),)
            yield f"{driver} log driver", endpoint_hop(context, address, steps)


_DRIVER_ADDRESS = {"splunk": "splunk-url", "syslog": "syslog-address", "fluentd": "fluentd-address",
                   "gelf": "gelf-address"}

def _firelens_hop(context: NormaliseContext, record: ResourceRecord, options: Mapping[str, Any],
                  where: str) -> Hop | None:
    """Where a FireLens (Fluent Bit) output sends: an AWS output's region and receiver, or the output's host
    option, or the plugin's default host when it has one."""
    plugin = str(get_folded(options, "name") or "").lower()
    region = get_folded(options, "region") or get_folded(options, "aws_region")
    if plugin in FLUENT_BIT_AWS_OUTPUTS and region is not None:
        steps = (said(record, f"{where}.region", region),)
        hops = [Hop(placed("aws", region, steps), None, f"{plugin} in {region}")]
        stream = get_folded(options, "delivery_stream")
        firehose = next((r for r in context.of_type("aws_kinesis_firehose_delivery_stream")
                         if isinstance(stream, str) and r.values.get("name") == stream), None)
        group = log_group_named(context, get_folded(options, "log_group_name"))
        for receiver in (firehose, group):
            if receiver is not None:
                here = (*steps, receiver.address)
                located = context.location(receiver)
                hops.append(Hop(with_provenance(located, (*here, *located.provenance)), receiver.address,
                                 receiver.address))
                hops.extend(onward(context, receiver, here, frozenset({record.address})))
        return decisive(hops)
    cloud_id = get_folded(options, "cloud_id")
    if plugin == "es" and isinstance(cloud_id, str):
        endpoint = decode_elastic_cloud_id(cloud_id)
        return Hop(endpoint_location(endpoint, (said(record, f"{where}.Cloud_ID", cloud_id),)), None,
                    endpoint_label(endpoint))
    if plugin in FLUENT_BIT_OUTPUTS:
        key, default = FLUENT_BIT_OUTPUTS[plugin]
        host = get_folded(options, key)
        if host is None and default is not None:
            endpoint = place_endpoint(default, context.endpoints)
            note = f"{key} is not set, so the {plugin} output's default {default} is used: {endpoint.note}"
            step = f"{record.address} {where}: Name = {plugin!r}, {key} not set"
            return Hop(endpoint_location(replace(endpoint, note=note), (step,)), None, endpoint_label(endpoint))
        if host is not None:
            return endpoint_hop(context, host, (said(record, f"{where}.{key}", host),))
    return unknown_hop("external", (said(record, f"{where}.Name", plugin),),
                        f"FireLens output {plugin or '(no Name)'} is not one offshore-scan reads: check where it sends",
                        f"FireLens output {plugin}")


# Azure app settings: the settings themselves, plus site_config's Application Insights settings.
_SITE_CONFIG_INSIGHTS = {
    "application_insights_connection_string": "APPLICATIONINSIGHTS_CONNECTION_STRING",
    "application_insights_key": "APPINSIGHTS_INSTRUMENTATIONKEY",
}


def azure_app_flows(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    settings = record.values.get("app_settings")
    if isinstance(settings, Unknown):
        yield from unreadable_settings(record, "app_settings", settings, "app settings")
    env: dict[str, Any] = dict(settings) if isinstance(settings, Mapping) else {}
    paths: dict[str, str] = {}
    for attribute, name in _SITE_CONFIG_INSIGHTS.items():
        value = first(values_at(record.values, f"site_config.{attribute}"))
        if value is not None and name not in env:
            env[name], paths[name] = value, f"site_config.{attribute}"
    for name, hop in env_hops(context, record, env, "app_settings", paths=paths):
        yield from flows(record, [record], FlowKind.TELEMETRY, f"app setting {name}", hop)


def container_app_flows(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    for container in values_at(record.values, "template.container"):
        if not isinstance(container, Mapping):
            continue
        env = {e.get("name"): e.get("value") for e in as_list(container.get("env"))
               if isinstance(e, Mapping) and isinstance(e.get("name"), str)}
        name = container.get("name")
        for variable, hop in env_hops(context, record, env, f"template.container[{name}].env"):
            yield from flows(record, [record], FlowKind.TELEMETRY, f"container {name} setting {variable}", hop)
