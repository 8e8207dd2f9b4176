"""Alertmanager: which DWP workloads' alerts reach which receivers, and where those receivers send.

Alert text (labels, annotations, summaries) is diagnostic data. Alerts about a workload carry its ``namespace``
label (the PrometheusRules of kube-prometheus-stack and of teams' own charts are written on the metrics of the
namespaces their Prometheus scrapes), so an Alertmanager fed by a Prometheus that scrapes a DWP namespace receives
DWP alerts. Each receiver its route tree can reach with that namespace sends them on.

Read from:

- an Alertmanager configuration file, the ``alertmanager.yaml``/``alertmanager.yml`` key of a Secret (``data``,
  base64, or ``stringData``) or a ConfigMap: ``receivers``, ``route`` and ``global``;
- the Prometheus Operator's ``AlertmanagerConfig`` (``spec.receivers``, ``spec.route``): its routes only see
  alerts of its own namespace, unless the Alertmanager's ``alertmanagerConfigMatcherStrategy`` is ``None``; it is
  used when an ``Alertmanager`` of the input selects it (``alertmanagerConfigSelector``, null: none;
  ``alertmanagerConfigNamespaceSelector``, null: its own namespace), or when the input holds none;
- the ``Alertmanager`` resource: ``spec.alertmanagerConfiguration.name`` names the AlertmanagerConfig used as
  the whole configuration (every namespace), with ``spec.alertmanagerConfiguration.global``; otherwise its
  ``configSecret`` (default ``alertmanager-<name>``) is the configuration file.

Who feeds an Alertmanager: the Prometheus resources whose ``spec.alerting.alertmanagers`` name its namespace, and
Prometheus configuration files whose ``alerting`` targets do; whose alerts they send is whom they scrape
(``prometheus``). When no Prometheus of the input feeds it, it is taken to receive every DWP workload's alerts.

A route is followed when its matchers on ``namespace`` accept the workload's namespace; other labels are not
known, so a parent's receiver is reachable as well as its children's.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from providers.kubernetes import alert_receivers, prometheus
from providers.kubernetes.manifests import Manifest
from providers.kubernetes.narrowing import (
    Labels,
    Reads,
    by_namespace_selector,
    selector_matches,
    selector_requirements,
)
from providers.kubernetes.workloads import address, as_dict, chart_provenance, namespace
from providers.semantics.endpoints import Endpoint
from providers.semantics.telemetry_settings import endpoint_location
from scanner.model import CoverageGap, Flow, FlowKind, Resource, SourceRef
from scanner.yaml_data import YamlRefused, load_guarded

_CONFIG_KEYS = ("alertmanager.yaml", "alertmanager.yml")
_MATCHER = re.compile(r'^\s*"?([A-Za-z_][A-Za-z0-9_]*)"?\s*(=~|!~|!=|=)\s*"?(.*?)"?\s*$')
_Sources = dict[tuple[str, str, str], Manifest]


@dataclass(frozen=True)
class AlertConfig:
    """One Alertmanager configuration: its receivers' destinations and its route tree."""

    declared: Manifest
    """The object that says where alerts go (a Secret, ConfigMap, AlertmanagerConfig or Alertmanager)."""
    setting: str
    """Where in that object: ``alertmanager.yaml``, ``spec``."""
    receivers: dict[str, list[alert_receivers.Destination]]
    route: dict[str, Any]
    alertmanager_namespace: str | None
    """The namespace of the Alertmanager using it, which Prometheus sends alerts to; None when not known."""
    only_namespace: str | None = None
    """An AlertmanagerConfig's routes see only the alerts of its own namespace."""


@dataclass(frozen=True)
class Feeder:
    """A Prometheus that sends alerts, whose (its scrape scope), and to which namespaces' Alertmanagers."""

    source: Manifest
    scrapes: Reads
    targets: frozenset[str] | None
    """Namespaces of the Alertmanagers it sends to; None: any."""


def read(manifests: Sequence[Manifest], sources: _Sources, extra: dict[str, str],
         labels: Labels) -> tuple[list[AlertConfig], list[CoverageGap]]:
    """The Alertmanager configurations of the input, and a gap for each one that cannot be read."""
    configs: list[AlertConfig] = []
    gaps: list[CoverageGap] = []
    managers = [m for m in manifests if m.kind == "Alertmanager"]
    whole = {}  # AlertmanagerConfigs used as an Alertmanager's whole configuration, by (namespace, name)
    superseded = set()
    for manager in managers:
        spec = as_dict(manager.data.get("spec"))
        chosen = as_dict(spec.get("alertmanagerConfiguration"))
        if chosen.get("name"):
            whole[(namespace(manager), str(chosen["name"]))] = manager
            superseded.add((namespace(manager), str(spec.get("configSecret") or f"alertmanager-{manager.name}")))
    for manifest in manifests:
        try:
            if manifest.kind in ("Secret", "ConfigMap") and (namespace(manifest), manifest.name) not in superseded:
                configs.extend(_file_configs(manifest, extra, gaps))
            elif manifest.kind == "AlertmanagerConfig":
                configs.extend(_operator_config(manifest, managers, whole, sources, extra, labels))
        except (AttributeError, TypeError, KeyError, ValueError, IndexError) as error:
            gaps.append(CoverageGap(manifest.path, manifest.line, f"{address(manifest)} could not be read as an "
                                    f"Alertmanager configuration: a field has an unexpected shape ({error})"))
    return configs, gaps


def feeders(manifests: Sequence[Manifest]) -> list[Feeder]:
    """The Prometheus servers of the input that send alerts to an Alertmanager."""
    monitors = prometheus.monitors_of(manifests)
    found = []
    for manifest in manifests:
        if manifest.kind == "Prometheus":
            alerting = as_dict(as_dict(manifest.data.get("spec")).get("alerting")).get("alertmanagers") or []
            if alerting:
                targets = frozenset(str(as_dict(a).get("namespace") or namespace(manifest)) for a in alerting)
                found.append(Feeder(manifest, prometheus.operator_scrapes(manifest, monitors), targets))
        elif manifest.kind == "ConfigMap":
            for text in as_dict(manifest.data.get("data")).values():
                if isinstance(text, str):
                    fed = prometheus.alerting_scope(text, namespace(manifest))
                    if fed is not None:
                        found.append(Feeder(manifest, *fed))
    return found


def flows(configs: Sequence[AlertConfig], fed_by: Sequence[Feeder], dwp: Sequence[tuple[Resource, Manifest]],
          labels: Labels) -> Iterator[Flow]:
    """An alerting flow from each DWP workload to each destination of each receiver its alerts can reach."""
    for config in configs:
        sending = [f for f in fed_by if config.alertmanager_namespace is None or f.targets is None
                   or config.alertmanager_namespace in f.targets]
        for resource, workload in dwp:
            ns = namespace(workload)
            if config.only_namespace is not None and ns != config.only_namespace:
                continue
            fed = _fed(sending, workload, labels, config)
            if fed is None:
                continue
            for receiver, path in reachable(config.route, ns):
                for setting, endpoint in config.receivers.get(receiver, []):
                    yield _flow(config, resource, receiver, path, setting, endpoint, fed)


def _fed(sending: list[Feeder], workload: Manifest, labels: Labels, config: AlertConfig) -> str | None:
    """How the workload's alerts reach the Alertmanager, in words; None when no Prometheus sending to it
    scrapes the workload's namespace."""
    scoped = f"; {address(config.declared)} routes only alerts of namespace {config.only_namespace}" \
        if config.only_namespace else ""
    if not sending:
        where = f"namespace {config.alertmanager_namespace}" if config.alertmanager_namespace else "it"
        return (f"no Prometheus of the scanned input sends alerts to the Alertmanager in {where}: taken to receive "
                f"the alerts of every DWP workload{scoped}")
    for feeder in sending:
        if feeder.scrapes.test(workload, labels):
            return f"{address(feeder.source)} scrapes {feeder.scrapes.how} and sends its alerts there{scoped}"
    return None


def reachable(route: dict[str, Any], ns: str, path: str = "route") -> Iterator[tuple[str, str]]:
    """(receiver, route path) of every route an alert of namespace ``ns`` may reach: a route is entered when its
    matchers on ``namespace`` accept ``ns``; a child without a receiver inherits its parent's."""
    if not _accepts(route, ns):
        return
    receiver = route.get("receiver")
    if receiver:
        yield str(receiver), path
    for index, child in enumerate(route.get("routes") or []):
        child = as_dict(child)
        inherited = child if child.get("receiver") else {**child, "receiver": receiver}
        yield from reachable(inherited, ns, f"{path}.routes[{index}]")


def _accepts(route: dict[str, Any], ns: str) -> bool:
    """Whether a route's matchers on the ``namespace`` label can accept ``ns`` (other labels are not known)."""
    terms: list[tuple[str, str, str]] = []
    for name, value in as_dict(route.get("match")).items():
        terms.append((str(name), "=", str(value)))
    for name, value in as_dict(route.get("match_re")).items():
        terms.append((str(name), "=~", str(value)))
    for matcher in route.get("matchers") or []:
        if isinstance(matcher, str):
            parsed = _MATCHER.match(matcher)
            if parsed:
                terms.append((parsed.group(1), parsed.group(2), parsed.group(3)))
        elif isinstance(matcher, dict):  # AlertmanagerConfig: {name, value, matchType} (older: regex: true)
            kind = str(matcher.get("matchType") or ("=~" if matcher.get("regex") else "="))
            terms.append((str(matcher.get("name")), kind, str(matcher.get("value", ""))))
    for name, kind, value in terms:
        if name != "namespace":
            continue
        try:
            hit = re.fullmatch(value, ns) is not None if "~" in kind else value == ns
        except re.error:
            continue  # unreadable: it narrows nothing
        if hit == kind.startswith("!"):
            return False
    return True


# --- configuration files --------------------------------------------------------------------------


def _file_configs(manifest: Manifest, extra: dict[str, str], gaps: list[CoverageGap]) -> Iterator[AlertConfig]:
    for key, text in _values(manifest).items():
        if key not in _CONFIG_KEYS:
            continue
        try:
            parsed = load_guarded(text)
        except (yaml.YAMLError, YamlRefused, RecursionError) as error:
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            gaps.append(CoverageGap(manifest.path, manifest.line,
                                    f"{address(manifest)} {key} could not be read as an Alertmanager configuration "
                                    f"({reason})"))
            continue
        parsed = as_dict(parsed)
        if "receivers" not in parsed:
            continue
        global_ = as_dict(parsed.get("global"))
        receivers = {str(as_dict(r).get("name")): [(f"{key} receiver {as_dict(r).get('name')} {label}", endpoint)
                                                   for label, endpoint in alert_receivers.native_destinations(
                                                       as_dict(r), global_, extra)]
                     for r in parsed.get("receivers") or []}
        yield AlertConfig(manifest, key, receivers, as_dict(parsed.get("route")), namespace(manifest))


def _values(manifest: Manifest) -> dict[str, str]:
    """A ConfigMap's data, or a Secret's stringData and (decoded) data."""
    values = {str(k): str(v) for k, v in as_dict(manifest.data.get("data")).items() if isinstance(v, str)}
    if manifest.kind == "Secret":
        values = {k: _b64(v) for k, v in values.items()}
        values.update({str(k): str(v) for k, v in as_dict(manifest.data.get("stringData")).items()
                       if isinstance(v, str)})
    return values


def _b64(text: str) -> str:
    try:
        return base64.b64decode(text, validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return text


# --- the Prometheus Operator ----------------------------------------------------------------------


def _operator_config(manifest: Manifest, managers: list[Manifest], whole: dict[tuple[str, str], Manifest],
                     sources: _Sources, extra: dict[str, str], labels: Labels) -> Iterator[AlertConfig]:
    ns = namespace(manifest)
    spec = as_dict(manifest.data.get("spec"))
    owner = whole.get((ns, manifest.name))
    if owner is not None:
        yield _operator(manifest, spec, owner, None, sources, extra)
        return
    users = [m for m in managers if _selects(m, manifest, labels)] if managers else [None]
    for manager in users:
        strategy = as_dict(as_dict(manager.data.get("spec")).get("alertmanagerConfigMatcherStrategy")) \
            if manager is not None else {}
        only = None if strategy.get("type") == "None" else ns  # type None: the operator adds no namespace matcher
        yield _operator(manifest, spec, manager, only, sources, extra)


def _operator(manifest: Manifest, spec: dict[str, Any], manager: Manifest | None, only: str | None,
              sources: _Sources, extra: dict[str, str]) -> AlertConfig:
    ns = namespace(manifest)
    global_ = as_dict(as_dict(as_dict(manager.data.get("spec")).get("alertmanagerConfiguration")).get("global")) \
        if manager is not None else {}
    secret_ns = namespace(manager) if manager is not None else ns

    def secret(name: str, key: str, in_ns: str = ns) -> str | None:
        found = sources.get(("Secret", in_ns, name))
        return _values(found).get(key) if found is not None else None
    global_ = {k: (secret(str(v["name"]), str(v["key"]), secret_ns) or v) if isinstance(v, dict) and "key" in v
               else v for k, v in global_.items()}
    receivers = {str(as_dict(r).get("name")): [(f"spec.receivers {as_dict(r).get('name')} {label}", endpoint)
                                               for label, endpoint in alert_receivers.operator_destinations(
                                                   as_dict(r), global_, secret, extra)]
                 for r in spec.get("receivers") or []}
    return AlertConfig(manifest, "spec", receivers, as_dict(spec.get("route")),
                       namespace(manager) if manager is not None else None, only)


def _selects(manager: Manifest, config: Manifest, labels: Labels) -> bool:
    """Whether an Alertmanager resource uses an AlertmanagerConfig: its label selector (null selects none) and
    its namespace selector (null: its own namespace)."""
    spec = as_dict(manager.data.get("spec"))
    requirements = selector_requirements(spec.get("alertmanagerConfigSelector"))
    if requirements is None:
        return False
    own = {str(k): str(v) for k, v in as_dict(config.metadata.get("labels")).items()}
    if not selector_matches(requirements, own):
        return False
    scope = by_namespace_selector(spec.get("alertmanagerConfigNamespaceSelector"), namespace(manager), "")
    return scope.test(config, labels)


def _flow(config: AlertConfig, resource: Resource, receiver: str, path: str, setting: str, endpoint: Endpoint,
          fed: str) -> Flow:
    declared = config.declared
    how = f"alerts of {resource.id} reach receiver {receiver} by {path}: {fed}"
    vendor = f"{endpoint.vendor} " if endpoint.vendor else ""
    return Flow(
        resource_id=resource.id,
        kind=FlowKind.ALERTING,
        target=endpoint_location(endpoint, (how, f"{address(declared)} {setting}", *chart_provenance(declared))),
        description=f"{vendor}alerting by receiver {receiver} of {address(declared)}",
        source=SourceRef(declared.path, declared.line, address(declared)),
    )
