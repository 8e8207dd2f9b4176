"""The cluster as a graph: which Service a host names, which workloads are behind it, which collector
configurations they mount. Telemetry sent to an in-cluster Service is followed to where the collector
behind it sends, rather than stopping at "an in-cluster address".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from providers.kubernetes.manifests import Manifest
from providers.kubernetes.workloads import (
    WORKLOAD_KINDS,
    address,
    as_dict,
    containers,
    namespace,
    pod_spec,
    string_data,
)
from providers.semantics.endpoints import Endpoint
from providers.semantics.fluent_config import fluent_bit_keys
from providers.semantics.telemetry_settings import (
    collector_config_destinations,
    otel_exporter_signals,
    signals_of_setting,
)

_HOST = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)?([^/:?#]+)")
_IP = re.compile(r"^\d+\.\d+\.\d+\.\d+$")


@dataclass(frozen=True)
class Hop:
    """Where telemetry sent to an in-cluster host goes next."""

    via: tuple[str, ...]
    """The objects passed, first to last: ``Service/observability/otel-gateway``, ``Deployment/...``."""
    destinations: tuple[tuple[str, Endpoint], ...]
    """The exporters of the collectors behind the Service: (setting, endpoint)."""
    missing: str | None
    """When the way on cannot be read from the input: what to add to the scan."""


class ClusterGraph:
    """Services, the workloads they select and the ConfigMaps those workloads mount, for one input."""

    def __init__(self, manifests: Sequence[Manifest], extra: dict[str, str]) -> None:
        self.extra = extra
        self.services = {(namespace(m), m.name): m for m in manifests if m.kind == "Service"}
        self.config_maps = {(namespace(m), m.name): m for m in manifests if m.kind == "ConfigMap"}
        # Secrets holding a collector's configuration (grafana/promtail renders its promtail.yaml as one); other
        # Secrets (keys, certificates) are no configuration and are left out.
        self.config_secrets = {(namespace(m), m.name): m for m in manifests
                               if m.kind == "Secret" and _is_collector_config(m)}
        self.workloads = [m for m in manifests if m.kind in WORKLOAD_KINDS]
        self._exporters: dict[int, list[tuple[str, Endpoint]]] = {}
        """Each ConfigMap's collector exporters by ``id``, parsed once however many senders follow them."""
        self.reached: set[str] = set()
        """Addresses of the collector configurations ``follow`` has passed through (cleared by its callers)."""
        self._signals: dict[str, frozenset[str]] = {}
        """The pipelines' signals of each exporter setting read (``collector_destinations_of_config``)."""
        self.cluster: tuple[str | None, bool | None] = (None, None)
        """(country, uk) of the cluster (``--cluster-region``): where data kept in the cluster is; unknown
        without it."""

    def service(self, host: str, from_namespace: str) -> Manifest | None:
        """The Service a host names: ``name``, ``name.ns``, ``name.ns.svc[.cluster.local]``, with or
        without scheme and port."""
        match = _HOST.match(host.strip().lower())
        if match is None or _IP.match(match.group(1)):
            return None
        labels = match.group(1).removesuffix(".cluster.local").removesuffix(".svc").split(".")
        if len(labels) == 1:
            return self.services.get((from_namespace, labels[0]))
        if len(labels) == 2:
            return self.services.get((labels[1], labels[0]))
        return None

    def backends(self, service: Manifest) -> list[Manifest]:
        """The workloads in the Service's namespace whose pod labels match its selector."""
        selector = as_dict(as_dict(service.data.get("spec")).get("selector"))
        if not selector:
            return []
        found = []
        for workload in self.workloads:
            if namespace(workload) != namespace(service):
                continue
            template = as_dict(as_dict(workload.data.get("spec")).get("template"))
            labels = as_dict(as_dict(template.get("metadata")).get("labels")) if template else \
                as_dict(workload.metadata.get("labels"))
            if all(labels.get(k) == v for k, v in selector.items()):
                found.append(workload)
        return found

    def mounted_configs(self, workload: Manifest) -> list[Manifest]:
        """The ConfigMaps a workload mounts (volumes and projected volumes) that are in the input."""
        names: list[str] = []
        secrets: list[str] = []
        for volume in pod_spec(workload).get("volumes") or []:
            volume = as_dict(volume)
            config = as_dict(volume.get("configMap"))
            if config.get("name"):
                names.append(str(config["name"]))
            if as_dict(volume.get("secret")).get("secretName"):
                secrets.append(str(as_dict(volume.get("secret"))["secretName"]))
            for source in as_dict(volume.get("projected")).get("sources") or []:
                projected = as_dict(as_dict(source).get("configMap"))
                if projected.get("name"):
                    names.append(str(projected["name"]))
                if as_dict(as_dict(source).get("secret")).get("name"):
                    secrets.append(str(as_dict(as_dict(source).get("secret"))["name"]))
        ns = namespace(workload)
        return [self.config_maps[(ns, n)] for n in names if (ns, n) in self.config_maps] + \
            [self.config_secrets[(ns, n)] for n in secrets if (ns, n) in self.config_secrets]

    def collector_destinations(self, workload: Manifest) -> list[tuple[str, Endpoint]]:
        """What the collector configurations a workload mounts export to."""
        return [found for config in self.mounted_configs(workload)
                for found in self.collector_destinations_of_config(config)]

    def collector_destinations_of_config(self, config: Manifest) -> list[tuple[str, Endpoint]]:
        """What one ConfigMap's collector configuration exports to (nothing for other ConfigMaps)."""
        cached = self._exporters.get(id(config))
        if cached is not None:
            return cached
        found = []
        for key, value in fluent_bit_keys(string_data(config)).items():
            if isinstance(value, str):
                table = otel_exporter_signals(value)
                for label, endpoint in collector_config_destinations(str(key), value, self.extra):
                    setting = f"{address(config)} {label.strip()}"
                    found.append((setting, endpoint))
                    signals = signals_of_setting(setting, table)
                    if signals is not None:
                        self._signals[setting] = signals
        self._exporters[id(config)] = found
        return found

    def signals(self, setting: str) -> frozenset[str] | None:
        """The signals an exporter setting is sent, by its pipelines; None when its configuration does not say."""
        return self._signals.get(setting)

    def follow(self, host: str, from_namespace: str, seen: frozenset[str] = frozenset(),
               signals: frozenset[str] | None = None) -> Hop | None:
        """Where telemetry sent to ``host`` goes next, or None when the host is no Service of the input (an IP,
        a name the input holds no Service for).

        Behind the Service, a workload that mounts a collector configuration forwards to its exporters (each
        followed in turn when it is in-cluster); a collector or shipper image without its configuration in the
        input is unknown; anything else stores what it receives (a tracing or metrics backend), in the cluster.
        With ``signals`` (what is sent: ``logs``), only the exporters of the pipelines of those signals are
        followed: a gateway's traces-only exporter carries none of the logs sent to it.
        """
        service = self.service(host, from_namespace)
        if service is None:
            return None
        via = (address(service),)
        backends = self.backends(service)
        if not backends:
            return Hop(via, (), f"{address(service)} selects no workload in the scanned input (scan the manifests "
                                "of the workloads behind it)")
        destinations: list[tuple[str, Endpoint]] = []
        for backend in backends:
            exporters = self.collector_destinations(backend)
            self.reached.update(address(c) for c in self.mounted_configs(backend) if exporters)
            if not exporters:
                if _is_collector(backend) and not any(_is_collector_config(c) for c in self.mounted_configs(backend)):
                    missing = f"the collector configuration of {address(backend)} is not in the scanned input (scan " \
                              "the ConfigMap it mounts)"
                    return Hop((*via, address(backend)), (), missing)
                continue  # a backend that stores what it receives (or a collector with no exporter): in the cluster
            for setting, endpoint in exporters:
                sent = signals
                if signals is not None and self.signals(setting) is not None:
                    sent = signals & self.signals(setting)
                    if not sent:
                        continue  # a pipeline of other signals: none of what is sent reaches this exporter
                onward = None
                if endpoint.uk is None and endpoint.host and address(backend) not in seen:
                    onward = self.follow(endpoint.host, namespace(backend), seen | {address(backend)}, sent)
                if onward is None:
                    destinations.append((setting, not_in_input(endpoint, namespace(backend))))
                elif onward.missing is not None:
                    destinations.append((setting, Endpoint(endpoint.host, None, None, None, None,
                                                           f"{endpoint.host} is {onward.via[0]}: {onward.missing}")))
                else:
                    destinations.extend((f"{setting} -> {' -> '.join(onward.via)} {s}", e)
                                        for s, e in onward.destinations)
        return Hop((*via, *(address(b) for b in backends)), tuple(destinations), None)


_COLLECTOR_IMAGES = re.compile(r"opentelemetry-collector|otelcol|fluent-bit|fluentbit|fluentd|timberio/vector|"
                               r"/vector:|datadog/agent|grafana/agent|grafana/alloy", re.IGNORECASE)


def _is_collector_config(config: Manifest) -> bool:
    """A ConfigMap holding a collector or shipper configuration (even one with no exporter)."""
    return any(_COLLECTOR_CONFIG.search(v) for v in string_data(config).values())


_COLLECTOR_CONFIG = re.compile(r"^\s*(receivers|exporters|pipeline|sources|sinks|clients)\s*:|\[INPUT\]|"
                               r"^\s*<(source|match)\b",
                               re.MULTILINE | re.IGNORECASE)


def _is_collector(workload: Manifest) -> bool:
    """A workload running a collector or log shipper, which forwards what it receives."""
    return any(_COLLECTOR_IMAGES.search(str(c.get("image") or "")) for c in containers(pod_spec(workload)))


def not_in_input(endpoint: Endpoint, from_namespace: str) -> Endpoint:
    """An in-cluster name the input holds no Service for: say what would settle it."""
    if endpoint.uk is not None or "in-cluster" not in (endpoint.note or "") or re.match(r"^[\d.]+$", endpoint.host):
        return endpoint
    name = endpoint.host.removesuffix(".cluster.local").removesuffix(".svc")
    service = name if "." in name else f"{name} in namespace {from_namespace}"
    return replace(endpoint, note=f"{endpoint.host}: an in-cluster name, but no Service {service} is in the scanned "
                                  "input (scan the manifests that create it and the collector behind it)")
