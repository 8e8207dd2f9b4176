"""Telemetry in manifests: container environments, collector ConfigMaps and Datadog resources.

Container settings are flows of the workload itself. A collector (a ConfigMap holding an
OpenTelemetry Collector, Fluent Bit or Vector configuration, or a DatadogAgent resource) serves the
whole cluster: it is a resource of its own, DWP when its own labels or namespace say so, or when the
same input holds DWP workloads whose diagnostics it collects.
"""

from __future__ import annotations

import base64
import fnmatch
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from providers.kubernetes.env_hosts import is_telemetry, outside_hosts
from providers.kubernetes.graph import ClusterGraph, not_in_input
from providers.kubernetes.manifests import Manifest
from providers.kubernetes.workloads import (
    WORKLOAD_KINDS,
    address,
    chart_provenance,
    containers,
    namespace,
    pod_spec,
    string_data,
)
from providers.semantics import agents
from providers.semantics.endpoints import Endpoint, place_datadog_site, place_endpoint
from providers.semantics.fluent_config import fluent_bit_keys
from providers.semantics.telemetry_settings import (
    DATADOG_DEFAULT_SITE,
    Destination,
    collector_config_destinations,
    endpoint_location,
    log_namespaces,
    opaque_value,
    otel_collector_destinations,
    telemetry_destinations,
)
from scanner.model import Classification, Flow, FlowKind, Location, Resource, SourceRef

Classify = Callable[[Manifest], Classification]
_Sources = dict[tuple[str, str, str], Manifest]
"""ConfigMaps and Secrets of the input by (kind, namespace, name)."""


def sources_of(manifests: Sequence[Manifest]) -> _Sources:
    """The ConfigMaps and Secrets of an input, where ``envFrom`` and ``valueFrom`` are looked up."""
    return {(m.kind, namespace(m), m.name): m for m in manifests if m.kind in ("ConfigMap", "Secret")}


def flows(
    manifests: Sequence[Manifest],
    classify: Classify,
    dwp_workloads: Sequence[Resource],
    extra: dict[str, str],
    sources: _Sources | None = None,
    graph: ClusterGraph | None = None,
) -> Iterator[Flow]:
    """Diagnostics flows of workloads (their env) and of collectors (their configuration)."""
    sources = sources if sources is not None else sources_of(manifests)
    graph = graph if graph is not None else ClusterGraph(manifests, extra)
    for manifest in manifests:
        if manifest.kind in WORKLOAD_KINDS:
            yield from _workload_flows(manifest, sources, extra, graph)
            if classify(manifest).dwp:
                yield from _outside_hosts(manifest, sources, extra, graph)
        elif manifest.kind == "ConfigMap":
            yield from _collector_flows(manifest, extra, graph)
        elif manifest.kind == "DatadogAgent":
            site = (((manifest.data.get("spec") or {}).get("global") or {}).get("site")) or DATADOG_DEFAULT_SITE
            yield _flow(address(manifest), "DatadogAgent spec.global.site", place_datadog_site(str(site)), manifest)
        elif manifest.kind == "OpenTelemetryCollector":
            for setting, endpoint in _operator_collector_settings(manifest, extra):
                yield _flow(address(manifest), setting, endpoint, manifest)


def _operator_collector_settings(manifest: Manifest, extra: dict[str, str] | None = None) -> list[Destination]:
    """The OpenTelemetry Operator's collector resource: ``spec.config`` as a mapping or YAML text."""
    config = (manifest.data.get("spec") or {}).get("config")
    if isinstance(config, str):
        found = collector_config_destinations("", config, extra)
    elif isinstance(config, dict):
        found = otel_collector_destinations(config, extra)
    else:
        found = []
    return [(f"spec.config {label.strip()}", endpoint) for label, endpoint in found]


def collector_resources(
    manifests: Sequence[Manifest], classify: Classify, dwp_workloads: Sequence[Resource],
    carried: frozenset[str] = frozenset(),
) -> Iterator[Resource]:
    """A resource per collector configuration, so its flows have a subject the policies can judge.

    A configuration in ``carried`` (mounted by a node collector of the input, or an operator resource read as
    one) is DWP only by its own labels or namespace: the DWP workloads it collects are the subjects of their own
    flows, declared by the collector (``node_agents``).
    """
    for manifest in manifests:
        if (manifest.kind in ("DatadogAgent", "OpenTelemetryCollector")
                or (manifest.kind == "ConfigMap" and _collector_settings(manifest))):
            classification = classify(manifest)
            collected = [] if address(manifest) in carried else _collected(manifest, dwp_workloads)
            if not classification.dwp and collected:
                names = ", ".join(w.id for w in collected[:3]) + (" ..." if len(collected) > 3 else "")
                classification = Classification(True, f"collects diagnostics of DWP workloads in this input ({names})")
            yield Resource(address(manifest), manifest.kind, Location("kubernetes", None, None, None, ()),
                           classification, SourceRef(manifest.path, manifest.line, address(manifest)),
                           holds_data=False)


def _collected(manifest: Manifest, dwp_workloads: Sequence[Resource]) -> list[Resource]:
    """The DWP workloads whose diagnostics a collector can carry: all of them, unless its inputs only tail
    the logs of namespaces none of them is in."""
    if manifest.kind != "ConfigMap":
        return list(dwp_workloads)
    scopes = [log_namespaces(str(k), v) for k, v in (manifest.data.get("data") or {}).items()
              if isinstance(v, str) and collector_config_destinations(str(k), v)]
    if not scopes or any(scope is None for scope in scopes):
        return list(dwp_workloads)
    globs = [glob for scope in scopes if scope for glob in scope]
    return [w for w in dwp_workloads if any(fnmatch.fnmatchcase(w.id.split("/")[1], g) for g in globs)]


def _workload_flows(manifest: Manifest, sources: _Sources, extra: dict[str, str],
                    graph: ClusterGraph) -> Iterator[Flow]:
    # A collector or shipper with its configuration in the input sends where the configuration says: its
    # environment counts only where the configuration reads it (${env:DD_SITE}).
    configs = [c for c in graph.mounted_configs(manifest) if graph.collector_destinations_of_config(c)]
    read = "\n".join(v for c in configs for v in string_data(c).values())
    for container in containers(pod_spec(manifest)):
        env = environment(container, namespace(manifest), sources)
        lines = {str(v.get("name")): manifest.line_of(v) for v in container.get("env") or [] if isinstance(v, dict)}
        for setting, endpoint in container_destinations(container, env, extra):
            name = setting.split(" ", 1)[0]
            if configs and not re.search(r"\$\{(?:env:)?" + re.escape(name) + r"\}", read):
                continue
            where = f"container {container.get('name', '?')} {setting}"
            line = lines.get(name, manifest.line_of(container))
            hop = graph.follow(endpoint.host, namespace(manifest)) if endpoint.uk is None and endpoint.host else None
            if hop is None:
                yield _flow(address(manifest), where, not_in_input(endpoint, namespace(manifest)), manifest, line)
            elif hop.missing is not None:
                unknown = Endpoint(endpoint.host, None, None, None, None, f"{endpoint.host} is {hop.via[0]}: "
                                   f"{hop.missing}")
                yield _flow(address(manifest), where, unknown, manifest, line, via=hop.via)
            else:
                # No exporter behind the Service: the collector keeps the data in the cluster, no flow abroad.
                for onward, destination in hop.destinations:
                    yield _flow(address(manifest), where, destination, manifest, line, via=(*hop.via, onward))


def container_destinations(container: dict[str, Any], env: dict[str, str],
                           extra: dict[str, str]) -> list[Destination]:
    """Where a container's settings send: the telemetry variables, then those the agents table adds for the
    agent the container runs (recognised by its image or name) and for the SDKs of any container."""
    agent = agents.recognise(str(container.get("image") or ""), str(container.get("name") or ""))
    found = telemetry_destinations(env, extra, datadog=agent is not None and agent.vendor == "Datadog")
    names = {setting.split(" ", 1)[0] for setting, _ in found}
    if agent is not None:
        for setting, endpoint in agents.destinations(agent, env, extra):
            if setting not in names:
                names.add(setting)
                found.append((setting, endpoint))
    found.extend(agents.sdk_destinations(env, extra, skip=frozenset(names)))
    return found


def _outside_hosts(manifest: Manifest, sources: _Sources, extra: dict[str, str],
                   graph: ClusterGraph) -> Iterator[Flow]:
    """The generic rule for a DWP workload: any other URL or host outside the cluster in its environment."""
    namespaces = frozenset(ns for ns, _ in graph.services) | {namespace(manifest)}
    for container in containers(pod_spec(manifest)):
        env = environment(container, namespace(manifest), sources)
        read = frozenset(setting.split(" ", 1)[0] for setting, _ in container_destinations(container, env, extra))
        lines = {str(v.get("name")): manifest.line_of(v) for v in container.get("env") or [] if isinstance(v, dict)}
        for name, value in outside_hosts(env, namespaces, read):
            endpoint = place_endpoint(value, extra)
            where = f"container {container.get('name', '?')} {name}"
            flow = _flow(address(manifest), where, endpoint, manifest, lines.get(name, manifest.line_of(container)))
            if not is_telemetry(name):
                # Not a diagnostics setting by its name: a connection to the host, judged as egress.
                flow = replace(flow, kind=FlowKind.EGRESS, description=f"{where} ({value})")
            yield flow


_VARIABLE_REFERENCE = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


def environment(container: dict[str, Any], ns: str, sources: _Sources) -> dict[str, str]:
    """A container's environment as Kubernetes builds it: envFrom first, then env, with $(VAR) expanded."""
    env: dict[str, str] = {}
    for source in container.get("envFrom") or []:
        if not isinstance(source, dict):
            continue
        prefix = str(source.get("prefix") or "")
        for kind, key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
            ref = source.get(key)
            if isinstance(ref, dict):
                found = sources.get((kind, ns, str(ref.get("name"))))
                if found is not None:
                    env.update({prefix + k: v for k, v in _data(found).items()})
    for variable in container.get("env") or []:
        if not isinstance(variable, dict) or not variable.get("name"):
            continue
        name = str(variable["name"])
        if "value" in variable:
            env[name] = _VARIABLE_REFERENCE.sub(lambda m: env.get(m.group(1), m.group(0)), str(variable["value"]))
            continue
        value_from = variable.get("valueFrom") or {}
        value = _referenced_value(value_from, ns, sources)
        if value is not None:
            env[name] = value
        elif value_from:
            # Set, but from somewhere the input does not show (a field, a Secret that is not in it).
            source = next(iter(value_from), "valueFrom")
            env[name] = opaque_value(f"{source} {_describe_ref(value_from[source])}")
    return env


def _referenced_value(value_from: Any, ns: str, sources: _Sources) -> str | None:
    if not isinstance(value_from, dict):
        return None
    for kind, key in (("ConfigMap", "configMapKeyRef"), ("Secret", "secretKeyRef")):
        ref = value_from.get(key)
        if isinstance(ref, dict):
            found = sources.get((kind, ns, str(ref.get("name"))))
            if found is not None:
                return _data(found).get(str(ref.get("key")))
    return None


def _data(config: Manifest) -> dict[str, str]:
    """A ConfigMap's data, or a Secret's stringData and (decoded) data."""
    values = {str(k): str(v) for k, v in (config.data.get("data") or {}).items() if v is not None}
    if config.kind == "Secret":
        values = {k: _b64(v) for k, v in values.items()}
        values.update({str(k): str(v) for k, v in (config.data.get("stringData") or {}).items() if v is not None})
    return values


def _b64(text: str) -> str:
    try:
        return base64.b64decode(text, validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return text


def _describe_ref(ref: Any) -> str:
    if isinstance(ref, dict):
        return " ".join(f"{k}={v}" for k, v in ref.items() if isinstance(v, str))
    return ""


def _collector_settings(manifest: Manifest, extra: dict[str, str] | None = None) -> list[tuple[str, Endpoint]]:
    found: list[tuple[str, Endpoint]] = []
    for key, value in fluent_bit_keys(string_data(manifest)).items():
        found.extend(collector_config_destinations(key, value, extra))
    return found


def _collector_flows(manifest: Manifest, extra: dict[str, str], graph: ClusterGraph) -> Iterator[Flow]:
    line = manifest.line_of(manifest.data.get("data"))
    for setting, endpoint in _collector_settings(manifest, extra):
        hop = graph.follow(endpoint.host, namespace(manifest)) if endpoint.uk is None and endpoint.host else None
        if hop is None:
            yield _flow(address(manifest), setting, not_in_input(endpoint, namespace(manifest)), manifest, line)
        elif hop.missing is not None:
            unknown = Endpoint(endpoint.host, None, None, None, None, f"{endpoint.host} is {hop.via[0]}: {hop.missing}")
            yield _flow(address(manifest), setting, unknown, manifest, line, via=hop.via)
        else:
            # An exporter to an in-cluster backend that stores (Jaeger, Prometheus) stays in the cluster.
            for onward, destination in hop.destinations:
                yield _flow(address(manifest), setting, destination, manifest, line, via=(*hop.via, onward))


def _flow(subject: str, setting: str, endpoint: Endpoint, manifest: Manifest, line: int | None = None,
          via: tuple[str, ...] = ()) -> Flow:
    vendor = f"{endpoint.vendor} " if endpoint.vendor else ""
    passed = f" via {via[0]}" if via else ""
    return Flow(
        resource_id=subject,
        kind=FlowKind.TELEMETRY,
        target=endpoint_location(endpoint, (f"{address(manifest)} {setting}", *via, *chart_provenance(manifest))),
        description=f"{vendor}telemetry from {setting}{passed}",
        source=SourceRef(manifest.path, line or manifest.line, address(manifest)),
    )
