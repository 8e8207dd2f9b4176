"""Node collectors: agents that carry the logs and metrics of other workloads, whatever namespace they run in.

A pod that mounts the node's container logs (a ``hostPath`` of ``/var/log/pods``, ``/var/log/containers``,
``/var/lib/docker/containers`` or ``/var/log``) carries the logs of every workload on its nodes, unless its
configuration narrows which (``narrowing``). A node agent of the agents table run as a DaemonSet (the Datadog
Agent, New Relic infrastructure, ...) carries every container's metrics. A Prometheus carries the metrics of
the namespaces it scrapes, when it writes them out (``prometheus``). An operator's resource (``DatadogAgent``,
``DynaKube``, ``Prometheus``) stands for the agents it deploys.

Each DWP workload a collector carries gets a flow of its own to each of the collector's destinations, declared
by the collector: the finding names the DWP workload whose data leaves, and the collector and setting that send
it. No DWP workload in the input, or a narrowing that reads none of them, means no flow.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from providers.kubernetes import alloy, prometheus
from providers.kubernetes.env_hosts import outside_hosts
from providers.kubernetes.graph import ClusterGraph, not_in_input
from providers.kubernetes.manifests import Manifest
from providers.kubernetes.narrowing import (
    Labels,
    Reads,
    both,
    by_namespace_selector,
    config_log_scope,
    datadog_filters,
    everyone,
)
from providers.kubernetes.telemetry import container_destinations, environment
from providers.kubernetes.workloads import (
    WORKLOAD_KINDS,
    address,
    as_dict,
    chart_provenance,
    containers,
    namespace,
    pod_spec,
    pod_template,
    string_data,
)
from providers.semantics import agents
from providers.semantics.endpoints import Endpoint, place_endpoint
from providers.semantics.fluent_config import fluent_bit_keys
from providers.semantics.telemetry_settings import (
    collector_config_destinations,
    endpoint_location,
    otel_exporter_signals,
    signals_of_setting,
)
from scanner.model import CoverageGap, Flow, FlowKind, Resource, SourceRef
from scanner.yaml_data import YamlRefused, load_guarded

_LOG_PATHS = ("/var/log/pods", "/var/log/containers", "/var/lib/docker/containers", "/var/log")
# A mount of a parent of the node's log directories holds them too (newrelic-logging mounts /var).
_LOG_PARENTS = ("/var", "/var/lib", "/var/lib/docker")
_ENV_REFERENCE = re.compile(r"\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)\}")
# Fluentd's configuration reads its environment as embedded Ruby: "#{ENV['NAME']}" or "#{ENV['NAME'] || 'default'}".
# A variable the configuration reads only as a credential (Vector's new_relic license_key = "${NEW_RELIC_LICENSE_KEY}")
# authenticates; the sink's own settings (its region) say where it sends, so the key names no destination.
_CREDENTIAL_REFERENCE = re.compile(r"^\s*[\w.-]*(?:licen[cs]e_?key|api_?key|access_?key|token|password)\s*[:=]\s*"
                                   r"['\"]?\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)\}", re.IGNORECASE | re.MULTILINE)
_RUBY_ENV = re.compile(r"#\{ENV\[['\"]([A-Za-z_][A-Za-z0-9_]*)['\"]\](?:\s*\|\|\s*['\"]([^'\"]*)['\"])?\}")


@dataclass(frozen=True)
class Carriage:
    """One kind of data a collector carries, and whose."""

    signal: str
    reads: Reads


@dataclass(frozen=True)
class Route:
    """One destination of a collector: the setting naming it, where it is, the in-cluster hops on the way."""

    setting: str
    endpoint: Endpoint
    via: tuple[str, ...] = ()
    line: int | None = None
    signals: frozenset[str] | None = None
    """What this destination is sent, when its configuration says (an OpenTelemetry pipeline, Alloy's
    ``loki.write``): only a collector's data of those signals takes it. None: whatever the collector carries."""
    carries: str | None = None
    """What the setting's own component sends, whatever the collector reads (the Datadog trace-agent: traces)."""
    reads: Reads | None = None
    """Whose data this destination can be sent, when its configuration's pipeline says (Alloy's paths from its
    sources to the component that sends); None: whatever the collector carries."""


@dataclass
class Carrier:
    """A collector that carries other workloads' data, what it carries and where it sends it."""

    agent: Manifest
    vendor: str | None
    carriages: list[Carriage]
    routes: list[Route]
    configs: list[Manifest] = field(default_factory=list)
    """The collector configurations it mounts: judged through it, not on their own."""
    reached: frozenset[str] = frozenset()
    """The in-cluster collectors' configurations its destinations pass through (a gateway's): judged through it."""
    gaps: list[CoverageGap] = field(default_factory=list)
    """What of its configuration could not be read (an Alloy configuration that does not parse)."""


def carriers(manifests: Sequence[Manifest], graph: ClusterGraph, sources: dict[tuple[str, str, str], Manifest],
             extra: dict[str, str]) -> list[Carrier]:
    """Every collector of the input that carries other workloads' logs or metrics out of the cluster."""
    monitors = prometheus.monitors_of(manifests)
    namespaces = frozenset(namespace(m) for m in manifests) | {m.name for m in manifests if m.kind == "Namespace"}
    found = []
    for manifest in manifests:
        graph.reached.clear()
        if manifest.kind in WORKLOAD_KINDS:
            carrier = _workload(manifest, graph, sources, extra, namespaces)
        elif manifest.kind in prometheus.OPERATOR_KINDS:
            carrier = _prometheus_resource(manifest, monitors, graph, extra)
        elif manifest.kind == alloy.KIND:
            carrier = _alloy_resource(manifest, graph, extra)
        elif manifest.kind == "OpenTelemetryCollector":
            carrier = _otel_operator_collector(manifest, graph, extra)
        elif agents.resource_kind(manifest.kind) is not None:
            carrier = _agent_resource(manifest, extra)
        else:
            carrier = None
        if carrier is not None and carrier.carriages:
            carrier.reached = frozenset(graph.reached)
            found.append(carrier)
    return found


def carried_configs(found: Sequence[Carrier]) -> frozenset[str]:
    """Addresses of the configurations and resources judged through their collectors."""
    return frozenset(address(c) for carrier in found for c in (*carrier.configs, carrier.agent)) | \
        frozenset(a for carrier in found for a in carrier.reached)


def flows(found: Sequence[Carrier], dwp: Sequence[tuple[Resource, Manifest]], labels: Labels) -> Iterator[Flow]:
    """A flow from each DWP workload a collector carries to each of the collector's destinations."""
    for carrier in found:
        agent = carrier.agent
        for resource, workload in dwp:
            if resource.id == address(agent):
                continue  # its own settings are flows of its own (telemetry.py)
            carried = [c for c in carrier.carriages if c.reads.test(workload, labels)]
            if not carried:
                continue
            words = list(dict.fromkeys(w for c in carried for w in c.signal.split(" and ")))
            for route in carrier.routes:
                if route.reads is not None and not route.reads.test(workload, labels):
                    continue  # no path of its configuration to this destination carries the workload's data
                if route.signals is not None:
                    sent = [w for w in words if w in route.signals]
                    if not sent:
                        continue  # this destination takes other signals than those the collector carries of it
                else:
                    sent = [route.carries] if route.carries else words
                signals = " and ".join(sent)
                why = [c.reads.how for c in carried if route.carries or set(c.signal.split(" and ")) & set(sent)]
                if route.reads is not None:
                    why.append(route.reads.how)
                how = f"{address(agent)} carries {signals} of {resource.id}: " + \
                    "; ".join(why or [c.reads.how for c in carried])
                vendor = route.endpoint.vendor or carrier.vendor
                yield Flow(
                    resource_id=resource.id,
                    kind=FlowKind.LOG_EXPORT if "logs" in sent else FlowKind.TELEMETRY,
                    target=endpoint_location(route.endpoint, (how, f"{address(agent)} {route.setting}", *route.via,
                                                              *chart_provenance(agent))),
                    description=f"{vendor + ' ' if vendor else ''}{signals} collection by {address(agent)} "
                                f"({route.setting})",
                    source=SourceRef(agent.path, route.line or agent.line, address(agent)),
                )


# --- workloads ------------------------------------------------------------------------------------


def _workload(manifest: Manifest, graph: ClusterGraph, sources: dict[tuple[str, str, str], Manifest],
              extra: dict[str, str], namespaces: frozenset[str]) -> Carrier | None:
    spec = pod_spec(manifest)
    mounts = [str(as_dict(as_dict(v).get("hostPath")).get("path") or "").rstrip("/") for v in spec.get("volumes") or []]
    log_mounts = [p for p in mounts
                  if p in _LOG_PATHS or p in _LOG_PARENTS or p.startswith(tuple(f"{d}/" for d in _LOG_PATHS[:3]))]
    ns = namespace(manifest)
    envs = [(c, environment(c, ns, sources)) for c in containers(spec)]
    merged = {k: v for _, env in envs for k, v in env.items()}
    recognised = [(c, env, a) for c, env in envs
                  if (a := agents.recognise(str(c.get("image") or ""), str(c.get("name") or ""))) is not None]
    configs = graph.mounted_configs(manifest)
    texts = {f"{address(c)} {key}": _substitute(value, merged)
             for c in configs for key, value in fluent_bit_keys(string_data(c)).items()}

    carriages: list[Carriage] = []
    if log_mounts:
        reads = _log_reads(log_mounts, recognised, texts)
        if reads is not None:
            carriages.append(Carriage("logs", reads))
    node_agent = next(((env, a) for _, env, a in recognised if a.node), None)
    if node_agent is not None and manifest.kind == "DaemonSet":
        env, agent = node_agent
        reads = everyone(f"{agent.name} runs on every node (a DaemonSet) and collects every container's metrics")
        narrowed = _filters(agent, env, "metrics")
        carriages.append(Carriage("metrics", both(reads, narrowed) if narrowed else reads))
        if agent.traces is not None and agent.traces.on(env) and agent.traces_from:
            carriages.append(Carriage("traces", _traced_to(agent)))
    routes: list[Route] = []
    for key, reads, urls in prometheus.remote_write_texts(texts):
        carriages.append(Carriage("metrics", Reads(reads.test, f"Prometheus {reads.how}")))
        routes += [Route(f"{key} remote_write", e, via) for url in urls
                   for e, via in _followed(place_endpoint(url, extra), ns, graph)]
    readings = {key: alloy.read(key.split(" ", 1)[1], text, extra, ns) for key, text in texts.items()
                if alloy.is_alloy(key.split(" ", 1)[1], text)}
    carried = {c.signal for c in carriages}
    # Alloy reads pod logs through the Kubernetes API too (loki.source.kubernetes): no node mount needed.
    carriages += [Carriage(signal, reads) for reading in readings.values()
                  for signal, reads in reading.carriages.items() if signal not in carried]
    if not carriages:
        return None

    read_by_config: set[str] = set()
    gaps: list[CoverageGap] = []
    alloy_decided = False  # an Alloy configuration names destinations: its pipeline says which carry what
    for key, text in texts.items():
        raw = str(_raw_text(configs, key))
        read_by_config.update(set([*_ENV_REFERENCE.findall(raw), *(m[0] for m in _RUBY_ENV.findall(raw))]) -
                              set(_CREDENTIAL_REFERENCE.findall(raw)))
        config_address, data_key = key.split(" ", 1)
        reading = readings.get(key)
        if reading is not None:
            routes += _alloy_routes(config_address, reading, ns, graph)
            gaps += _alloy_gaps(configs, config_address, reading)
            alloy_decided = alloy_decided or bool(reading.destinations)
            continue
        found = collector_config_destinations(data_key, text, extra)
        table = otel_exporter_signals(text)
        for label, endpoint in found:
            signals = signals_of_setting(label, table)
            routes += _routes(f"{config_address} {label}", endpoint, ns, graph, signals)
    decided = bool(routes)  # the configuration decides: the environment counts only where it reads it
    for container, env in envs:
        lines = {str(v.get("name")): manifest.line_of(v) for v in container.get("env") or [] if isinstance(v, dict)}
        settings = container_destinations(container, env, extra)
        read = frozenset(s.split(" ", 1)[0] for s, _ in settings) | read_by_config
        carries = _CONTAINER_SIGNALS.get(str(container.get("name")))
        for setting, endpoint in settings:
            name = setting.split(" ", 1)[0]
            if decided and name not in read_by_config:
                continue
            routes += [Route(f"container {container.get('name', '?')} {setting}", e, via, lines.get(name),
                             carries=carries) for e, via in _followed(endpoint, ns, graph)]
        for name, value in outside_hosts(env, namespaces, read):
            routes.append(Route(f"container {container.get('name', '?')} {name}", place_endpoint(value, extra), (),
                                lines.get(name)))
    if not routes and alloy_decided:
        return None  # no path of its Alloy pipeline brings a workload's data to a destination
    if not routes:
        missing = _missing_configs(manifest, graph)
        if not missing and not recognised:
            return None  # nothing says it sends anywhere (node-problem-detector reads /var/log for the API server)
        what = f"the ConfigMap {', '.join(missing)} it mounts is not in the scanned input" if missing else \
            "no destination is set in the scanned input"
        routes.append(Route("configuration", Endpoint(address(manifest), None, None, None, None,
                                                      f"{address(manifest)} collects from the node, but {what}: "
                                                      "where it sends cannot be read (scan its configuration)")))
    vendor = recognised[0][2].vendor if recognised else None
    return Carrier(manifest, vendor, carriages, _unique(routes), configs, gaps=gaps)


def _log_reads(mounts: list[str], recognised: list[tuple[dict, dict[str, str], agents.Agent]],
               texts: dict[str, str]) -> Reads | None:
    """Whose logs a pod that mounts the node's logs reads: by its agent's own switches and filters, else by
    the inputs of its configuration, else everyone's."""
    mounted = f"mounts the node's container logs (hostPath {', '.join(mounts)})"
    for _, env, agent in recognised:
        if agent.logs_enabled is None:
            continue
        if not agent.logs_enabled.on(env):
            return None  # log collection is off: the mount is unused
        if agent.logs_all is not None and not agent.logs_all.on(env):
            reads = _opted_in(agent, f"{mounted}; {agent.logs_all.variable} is off")
        else:
            reads = everyone(f"{mounted} and collects every container's logs")
        narrowed = _filters(agent, env, "logs")
        return both(reads, narrowed) if narrowed else reads
    scope = config_log_scope(texts)
    if scope is not None:
        return Reads(scope.test, f"{mounted}; reads {scope.how}")
    return everyone(f"{mounted}; its configuration does not say whose (none in the input, or none readable): "
                    "taken to read every workload's")


def _traced_to(agent: agents.Agent) -> Reads:
    """The workloads whose tracer sends its traces to the node's agent (a container setting DD_AGENT_HOST)."""
    names = frozenset(agent.traces_from)

    def test(workload: Manifest, _labels: Labels) -> bool:
        return any(isinstance(v, dict) and v.get("name") in names
                   for c in containers(pod_spec(workload)) for v in c.get("env") or [])
    switch = agent.traces.variable if agent.traces is not None else "its trace intake"
    return Reads(test, f"{agent.name} receives the traces of the workloads whose tracer sets "
                       f"{' or '.join(agent.traces_from)} ({switch} is on)")


def _opted_in(agent: agents.Agent, how: str) -> Reads:
    pattern = agent.opt_in_annotation

    def test(workload: Manifest, _labels: Labels) -> bool:
        annotations = as_dict(as_dict((pod_template(workload) or {}).get("metadata")).get("annotations"))
        return pattern is not None and any(pattern.search(str(k)) for k in annotations)
    return Reads(test, f"{how}: only pods opted in by annotation")


def _filters(agent: agents.Agent, env: dict[str, str], signal: str) -> Reads | None:
    if agent.filters is None:
        return None
    include = [env[n] for s in ("both", signal) for n in agent.filters.include.get(s, ()) if env.get(n)]
    exclude = [env[n] for s in ("both", signal) for n in agent.filters.exclude.get(s, ()) if env.get(n)]
    return datadog_filters(include, exclude, "filtered by")


def _substitute(text: str, env: dict[str, str]) -> str:
    """A configuration with the ``${VAR}`` / ``${env:VAR}`` references its collector expands from its environment."""
    def known(name: str) -> str | None:
        value = env.get(name)
        return None if value is None or value.startswith("\x00") else value
    text = _ENV_REFERENCE.sub(lambda m: known(m.group(1)) or m.group(0), text)
    return _RUBY_ENV.sub(lambda m: known(m.group(1)) or m.group(2) or m.group(0), text)


def _raw_text(configs: list[Manifest], key: str) -> str:
    config_address, _, data_key = key.partition(" ")
    for config in configs:
        if address(config) == config_address:
            return string_data(config).get(data_key, "")
    return ""


def _missing_configs(manifest: Manifest, graph: ClusterGraph) -> list[str]:
    ns = namespace(manifest)
    names = [str(as_dict(as_dict(v).get("configMap")).get("name")) for v in pod_spec(manifest).get("volumes") or []
             if as_dict(as_dict(v).get("configMap")).get("name")]
    return [f"{ns}/{n}" for n in names if (ns, n) not in graph.config_maps]


# Containers of an agent's pod that send one signal whatever the agent collects (the Datadog chart's trace-agent
# receives the traces applications send it, and the process-agent process data).
_CONTAINER_SIGNALS = {"trace-agent": "traces", "process-agent": "processes"}


def _routes(setting: str, endpoint: Endpoint, ns: str, graph: ClusterGraph,
            signals: frozenset[str] | None) -> list[Route]:
    """The routes of one destination, followed per signal when its pipelines say which: a gateway's logs
    pipeline may export elsewhere than its traces pipeline."""
    if signals is None:
        return [Route(setting, e, via) for e, via in _followed(endpoint, ns, graph)]
    return [Route(setting, e, via, signals=frozenset({signal})) for signal in sorted(signals)
            for e, via in _followed(endpoint, ns, graph, frozenset({signal}))]


def _followed(endpoint: Endpoint, ns: str, graph: ClusterGraph,
              signals: frozenset[str] | None = None) -> list[tuple[Endpoint, tuple[str, ...]]]:
    """An endpoint, followed through the in-cluster collectors it names to where they send (of ``signals``, when
    known, only the exporters of those signals' pipelines)."""
    hop = graph.follow(endpoint.host, ns, signals=signals) if endpoint.uk is None and endpoint.host else None
    if hop is None:
        return [(not_in_input(endpoint, ns), ())]
    if hop.missing is not None:
        return [(Endpoint(endpoint.host, None, None, None, None, f"{endpoint.host} is {hop.via[0]}: {hop.missing}"),
                 hop.via)]
    if not hop.destinations:
        # The backends behind the Service store what they receive (an Elasticsearch StatefulSet): the data stays in
        # the cluster, a flow of its own so that "where DWP data goes" shows it.
        country, uk = graph.cluster
        where = "" if uk is not None else " (whose region --cluster-region would give)"
        return [(Endpoint(endpoint.host, None, "in-cluster", country, uk,
                          f"{endpoint.host} is {' -> '.join(hop.via)}: kept in the cluster{where}, not sent out "
                          "of it"), hop.via)]
    return [(destination, (*hop.via, onward)) for onward, destination in hop.destinations]


followed = _followed
"""Shared with the other readers of operator resources (``instrumentation``)."""


def _unique(routes: list[Route]) -> list[Route]:
    """One route per setting and destination; the signals of routes followed per signal are merged."""
    seen: dict[tuple[str, str], Route] = {}
    for route in routes:
        key = (route.setting, route.endpoint.host)
        first = seen.setdefault(key, route)
        if first is not route and (first.signals is not None or first.reads is not None):
            merged = None if route.signals is None or first.signals is None else first.signals | route.signals
            seen[key] = Route(first.setting, first.endpoint, first.via, first.line, merged, first.carries,
                              _either(first.reads, route.reads))
    return list(seen.values())


def _either(first: Reads | None, second: Reads | None) -> Reads | None:
    """Whose data two routes to one destination carry together: either's (None: whatever the collector carries)."""
    if first is None or second is None:
        return None
    return Reads(lambda w, labels: first.test(w, labels) or second.test(w, labels),
                 first.how if first.how == second.how else f"{first.how}; {second.how}")


def _alloy_gaps(configs: Sequence[Manifest], config_address: str, reading: alloy.Reading) -> list[CoverageGap]:
    """A coverage gap for an Alloy configuration that does not parse, at its ConfigMap's data."""
    if reading.unreadable is None:
        return []
    config = next((c for c in configs if address(c) == config_address), None)
    line = config.line_of(config.data.get("data")) if config is not None else None
    return [CoverageGap(config.path if config is not None else config_address, line,
                        f"{config_address} {reading.unreadable}: whose data it carries and where it sends are not "
                        "read (fix the configuration, or scan the one the collector runs)")]


def _alloy_routes(config_address: str, reading: alloy.Reading, ns: str, graph: ClusterGraph) -> list[Route]:
    """The routes of one Alloy configuration: each destination followed for the signal, and the workloads, whose
    paths reach the component that sends to it."""
    return [Route(f"{config_address} {d.setting}", e, via, d.line, d.signals, reads=d.reads)
            for d in reading.destinations if d.signals is None or d.signals
            for e, via in _followed(d.endpoint, ns, graph, d.signals)]


# --- operator resources ---------------------------------------------------------------------------


def _agent_resource(manifest: Manifest, extra: dict[str, str]) -> Carrier | None:
    match = agents.resource_kind(manifest.kind)
    if match is None:
        return None
    agent, resource = match
    selectors = [agents.dotted(manifest.data, path) for path in resource.namespace_selectors]
    chosen = [s for s in selectors if isinstance(s, dict)]
    reads = by_namespace_selector(chosen[0], namespace(manifest), "its namespaceSelector") if chosen else \
        everyone(f"{manifest.kind} runs the {agent.name} on every node")
    carriages = [Carriage(resource.collects, reads)]
    if resource.logs and agents.dotted(manifest.data, resource.logs) is True:
        carriages.append(Carriage("logs", everyone(f"{resource.logs} is true")))
    routes = [Route(setting, endpoint) for setting, endpoint in agents.resource_destinations(
        manifest.kind, manifest.data, extra)]
    return Carrier(manifest, agent.vendor, carriages, routes)


def _prometheus_resource(manifest: Manifest, monitors: Sequence[Manifest], graph: ClusterGraph,
                         extra: dict[str, str]) -> Carrier | None:
    writes = prometheus.operator_remote_writes(manifest)
    if not writes:
        return None  # keeps its metrics in the cluster
    reads = prometheus.operator_scrapes(manifest, monitors)
    routes = [Route(setting, e, via) for setting, url in writes
              for e, via in _followed(place_endpoint(url, extra), namespace(manifest), graph)]
    return Carrier(manifest, None, [Carriage("metrics", Reads(reads.test, f"{manifest.kind} scrapes {reads.how}"))],
                   routes)


def _alloy_resource(manifest: Manifest, graph: ClusterGraph, extra: dict[str, str]) -> Carrier | None:
    """The Alloy Operator's resource: what it carries is what its configuration's sources read (pod logs through
    the node's files when ``spec.alloy.mounts`` mounts them, or through the Kubernetes API; metrics it scrapes),
    and each destination carries the workloads some path of the configuration brings to it (``alloy``)."""
    config = alloy.resource_config(manifest, graph.config_maps)
    ns = namespace(manifest)
    mounts = alloy.resource_mounts_logs(manifest)
    if config is None:
        if not mounts:
            return None
        return Carrier(manifest, "Grafana", [Carriage("logs", everyone(
            f"spec.alloy.mounts mounts the node's container logs ({', '.join(mounts)}); its configuration is not in "
            "the input: taken to read every workload's"))],
            [Route("configuration", Endpoint(address(manifest), "Grafana", None, None, None,
                                             f"the ConfigMap {ns}/{manifest.name} with the configuration of "
                                             f"{address(manifest)} is not in the scanned input: where it "
                                             "sends cannot be read (scan it)"))])
    texts = {str(k): str(v) for k, v in as_dict(config.data.get("data")).items()}
    carriages: dict[str, list[Reads]] = {}
    routes: list[Route] = []
    gaps: list[CoverageGap] = []
    for key, text in texts.items():
        if not alloy.is_alloy(key, text):
            continue
        reading = alloy.read(key, text, extra, ns)
        if reading.unreadable is not None:
            carriages.setdefault("logs and metrics", []).append(everyone(
                f"{reading.unreadable}: taken to read every workload's"))
        for signal, reads in reading.carriages.items():
            carriages.setdefault(signal, []).append(reads)
        routes += _alloy_routes(address(config), reading, ns, graph)
        gaps += _alloy_gaps([config], address(config), reading)
    if mounts and "logs" in carriages:
        carriages["logs"] = [Reads(r.test, f"spec.alloy.mounts mounts the node's container logs "
                                           f"({', '.join(mounts)}); {r.how}") for r in carriages["logs"]]
    found = [Carriage(signal, reads[0] if len(reads) == 1 else Reads(
        lambda w, labels, rs=tuple(reads): any(r.test(w, labels) for r in rs), "; ".join(r.how for r in reads)))
        for signal, reads in carriages.items()]
    if not found:
        return None
    return Carrier(manifest, "Grafana", found, _unique(routes), [config], gaps=gaps)


def _otel_operator_collector(manifest: Manifest, graph: ClusterGraph, extra: dict[str, str]) -> Carrier | None:
    """The OpenTelemetry Operator's ``OpenTelemetryCollector`` in ``mode: daemonset``: a collector on every node,
    like a DaemonSet. Its ``filelog`` receivers read the node's pod logs (narrowed by their include/exclude), its
    ``kubeletstats`` receiver every pod's metrics; other modes (a gateway Deployment) are read as a configuration
    on their own (``telemetry``)."""
    spec = as_dict(manifest.data.get("spec"))
    if str(spec.get("mode") or "deployment").lower() != "daemonset":
        return None
    config = spec.get("config")
    text = config if isinstance(config, str) else yaml.safe_dump(config) if isinstance(config, dict) else ""
    receivers = [str(k).split("/", 1)[0] for k in as_dict(_parsed(text).get("receivers"))]
    carriages = []
    if "filelog" in receivers:
        scope = config_log_scope({"spec.config": text})
        how = "its filelog receiver reads the node's pod logs (mode: daemonset)"
        carriages.append(Carriage("logs", Reads(scope.test, f"{how}; reads {scope.how}") if scope is not None else
                                  everyone(f"{how}: taken to read every workload's")))
    if "kubeletstats" in receivers:
        carriages.append(Carriage("metrics", everyone("its kubeletstats receiver reads every pod's metrics on its "
                                                      "node (mode: daemonset)")))
    if not carriages:
        return None
    table = otel_exporter_signals(text)
    routes = [r for label, endpoint in collector_config_destinations("spec.config", text, extra)
              for r in _routes(label, endpoint, namespace(manifest), graph, signals_of_setting(label, table))]
    if not routes:
        routes.append(Route("spec.config", Endpoint(address(manifest), None, None, None, None,
                                                    f"{address(manifest)} collects from the node, but its spec.config "
                                                    "names no exporter the scan reads: where it sends cannot be read")))
    return Carrier(manifest, None, carriages, _unique(routes))


def _parsed(text: str) -> dict[str, Any]:
    try:
        return as_dict(load_guarded(text))
    except (yaml.YAMLError, YamlRefused, RecursionError):
        return {}
