"""Telemetry settings of compute: the environment variables and app settings of every type
``resource_map/compute_environments.yaml`` lists (Lambda, ECS, Batch, App Runner, Cloud Run, Cloud
Functions, App Service, Container Apps ...), and ECS log drivers and FireLens outputs.

Unreadable settings are an unknown destination, never silence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

from providers.semantics.compute_environments import compute_environment, read_environments
from providers.semantics.context import (
    NormaliseContext,
    json_document,
    placed,
    setting,
    with_provenance,
)
from providers.semantics.diagnostics.following import beside_local, env_hops, has_datadog_layer, onward
from providers.semantics.diagnostics.hops import (
    Hop,
    decisive,
    endpoint_hop,
    endpoint_label,
    flows,
    log_group_named,
    said,
    unique,
    unknown_hop,
)
from providers.semantics.endpoints import (
    decode_elastic_cloud_id,
    place_endpoint,
)
from providers.semantics.records import ResourceRecord, Unknown
from providers.semantics.telemetry_settings import (
    endpoint_location,
    fluent_bit_table,
    get_folded,
)
from scanner.model import Flow, FlowKind


def environment_flows(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    """Telemetry flows of any compute type ``resource_map/compute_environments.yaml`` lists."""
    for what, hop in beside_local(list(environment_hops(context, record))):
        yield from flows(record, [record], FlowKind.TELEMETRY, what, hop)


def environment_hops(context: NormaliseContext, record: ResourceRecord) -> Iterator[tuple[str, Hop]]:
    """``(what, hop)`` for every telemetry destination in a resource's environments, and for each place its
    variables are set that cannot be read."""
    spec = compute_environment(record.type)
    if spec is None:
        return
    environments, unreadable = read_environments(record.values, spec)
    for item in unreadable:
        yield f"{spec.label} settings", _unreadable_hop(record, item.path, item.value)
    layer = spec.datadog_layers is not None and has_datadog_layer(record, spec.datadog_layers)
    for environment in environments:
        datadog = _is_datadog_agent(environment.image) or (layer and environment.container is None)
        what = (f"{spec.label} container {environment.container} setting" if environment.container is not None
                else f"{spec.label} setting")
        steps = {name: _hidden(record, environment.paths[name], words) for name, words in environment.hidden.items()}
        for variable, hop in env_hops(context, record, environment.variables, environment.path, datadog,
                                      paths=environment.paths, steps=steps):
            yield f"{what} {variable}", hop


# Datadog's agent images: docker.io/datadog/agent, public.ecr.aws/datadog/agent, gcr.io/datadoghq/agent,
# and serverless-init, the sidecar Cloud Run and Container Apps use.
_DATADOG_IMAGE = re.compile(r"(?:^|/)datadog(?:hq)?/")


def _is_datadog_agent(image: Any) -> bool:
    return isinstance(image, str) and _DATADOG_IMAGE.search(image) is not None


def _hidden(record: ResourceRecord, path: str, words: str) -> str:
    """A provenance step for a variable whose value is not shown (a sensitive value, a secret's reference)."""
    where = f" ({record.source.path}:{record.source.line})" if record.source.line else ""
    # "is", not "=" or ":", which the report's redaction would read as a secret's assignment.
    return f"{record.address} {path} is {words}{where}"


def _unreadable_hop(record: ResourceRecord, path: str, value: Any) -> Hop:
    """Settings that cannot be read are an unknown destination, never silence."""
    reason = value.reason if isinstance(value, Unknown) else f"{path} is not a readable document"
    step = (setting(record, path, value),)
    return unknown_hop("external", step, f"{path} cannot be read statically ({reason}): where its telemetry "
                       "settings send is not known", "unreadable settings")


def ecs_task_definition_flows(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    """Container environments (through the table) and log drivers; the ECS services that run the task
    definition are subjects too."""
    subjects = unique([record, *(r for r in context.of_type("aws_ecs_service")
                                  if context.referenced(r.values.get("task_definition")) is record)])
    found: list[tuple[FlowKind, str, Hop]] = [(FlowKind.TELEMETRY, what, hop)
                                              for what, hop in environment_hops(context, record)]
    containers = json_document(record.values.get("container_definitions"))
    for index, container in enumerate(containers if isinstance(containers, list) else ()):
        if not isinstance(container, dict):
            continue
        name = container.get("name") if isinstance(container.get("name"), str) else str(index)
        path = f"container_definitions[{name}]"
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
    table = fluent_bit_table()
    if plugin in table.aws and region is not None:
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
    row = table.outputs.get(plugin)
    cloud_id = get_folded(options, row.cloud_id) if row is not None and row.cloud_id else None
    if isinstance(cloud_id, str):
        endpoint = decode_elastic_cloud_id(cloud_id)
        return Hop(endpoint_location(endpoint, (said(record, f"{where}.Cloud_ID", cloud_id),)), None,
                    endpoint_label(endpoint))
    if plugin in table.outputs:
        key, default = table.outputs[plugin].option, table.outputs[plugin].default
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
