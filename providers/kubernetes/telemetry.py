"""Telemetry in manifests: container environments, collector ConfigMaps and Datadog resources.

Container settings are flows of the workload itself. A collector (a ConfigMap holding an
OpenTelemetry Collector, Fluent Bit or Vector configuration, or a DatadogAgent resource) serves the
whole cluster: it is a resource of its own, DWP when its own labels or namespace say so, or when the
same input holds DWP workloads whose diagnostics it collects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from providers.kubernetes.manifests import Manifest
from providers.kubernetes.workloads import WORKLOAD_KINDS, address, containers, namespace, pod_spec
from scanner.endpoints import Endpoint, place_datadog_site
from scanner.model import Classification, Flow, FlowKind, Location, Resource, SourceRef
from scanner.telemetry_settings import (
    collector_config_destinations,
    endpoint_location,
    opaque_value,
    telemetry_destinations,
)

Classify = Callable[[Manifest], Classification]


def flows(
    manifests: Sequence[Manifest], classify: Classify, dwp_workloads: Sequence[Resource], extra: dict[str, str]
) -> Iterator[Flow]:
    """Diagnostics flows of workloads (their env) and of collectors (their configuration)."""
    config_maps = {(namespace(m), m.name): m for m in manifests if m.kind == "ConfigMap"}
    for manifest in manifests:
        if manifest.kind in WORKLOAD_KINDS:
            yield from _workload_flows(manifest, config_maps, extra)
        elif manifest.kind == "ConfigMap":
            yield from _collector_flows(manifest, extra)
        elif manifest.kind == "DatadogAgent":
            site = (((manifest.data.get("spec") or {}).get("global") or {}).get("site")) or "datadoghq.com"
            yield _flow(address(manifest), "DatadogAgent spec.global.site", place_datadog_site(str(site)), manifest)


def collector_resources(
    manifests: Sequence[Manifest], classify: Classify, dwp_workloads: Sequence[Resource]
) -> Iterator[Resource]:
    """A resource per collector configuration, so its flows have a subject the policies can judge."""
    for manifest in manifests:
        if manifest.kind == "DatadogAgent" or (manifest.kind == "ConfigMap" and _collector_settings(manifest)):
            classification = classify(manifest)
            if not classification.dwp and dwp_workloads:
                names = ", ".join(w.id for w in dwp_workloads[:3]) + (" ..." if len(dwp_workloads) > 3 else "")
                classification = Classification(True, f"collects diagnostics of DWP workloads in this input ({names})")
            yield Resource(address(manifest), manifest.kind, Location("kubernetes", None, None, None, ()),
                           classification, SourceRef(manifest.path, manifest.line, address(manifest)),
                           holds_data=False)


def _workload_flows(manifest: Manifest, config_maps: dict[tuple[str, str], Manifest],
                    extra: dict[str, str]) -> Iterator[Flow]:
    for container in containers(pod_spec(manifest)):
        env = _environment(container, namespace(manifest), config_maps)
        image = str(container.get("image") or "")
        datadog_image = "datadog/agent" in image or "datadog/cluster-agent" in image
        for setting, endpoint in telemetry_destinations(env, extra, datadog=datadog_image):
            where = f"container {container.get('name', '?')} {setting}"
            yield _flow(address(manifest), where, endpoint, manifest)


def _environment(container: dict[str, Any], ns: str, config_maps: dict[tuple[str, str], Manifest]) -> dict[str, str]:
    env: dict[str, str] = {}
    for source in container.get("envFrom") or []:
        ref = (source or {}).get("configMapRef") or {}
        config_map = config_maps.get((ns, str(ref.get("name"))))
        if config_map is not None:
            prefix = str((source or {}).get("prefix") or "")
            env.update({prefix + str(k): str(v) for k, v in (config_map.data.get("data") or {}).items()})
    for variable in container.get("env") or []:
        if not isinstance(variable, dict) or not variable.get("name"):
            continue
        if "value" in variable:
            env[str(variable["name"])] = str(variable["value"])
            continue
        value_from = variable.get("valueFrom") or {}
        ref = value_from.get("configMapKeyRef") or {}
        config_map = config_maps.get((ns, str(ref.get("name"))))
        value = (config_map.data.get("data") or {}).get(ref.get("key")) if config_map is not None else None
        if value is not None:
            env[str(variable["name"])] = str(value)
        elif value_from:
            # Set, but from somewhere the manifests do not show (a Secret, a field, a missing ConfigMap).
            source = next(iter(value_from), "valueFrom")
            env[str(variable["name"])] = opaque_value(f"{source} {_describe_ref(value_from[source])}")
    return env


def _describe_ref(ref: Any) -> str:
    if isinstance(ref, dict):
        return " ".join(f"{k}={v}" for k, v in ref.items() if isinstance(v, str))
    return ""


def _collector_settings(manifest: Manifest, extra: dict[str, str] | None = None) -> list[tuple[str, Endpoint]]:
    found: list[tuple[str, Endpoint]] = []
    for key, value in (manifest.data.get("data") or {}).items():
        if isinstance(value, str):
            found.extend(collector_config_destinations(str(key), value, extra))
    return found


def _collector_flows(manifest: Manifest, extra: dict[str, str]) -> Iterator[Flow]:
    for setting, endpoint in _collector_settings(manifest, extra):
        yield _flow(address(manifest), setting, endpoint, manifest)


def _flow(subject: str, setting: str, endpoint: Endpoint, manifest: Manifest) -> Flow:
    vendor = f"{endpoint.vendor} " if endpoint.vendor else ""
    return Flow(
        resource_id=subject,
        kind=FlowKind.TELEMETRY,
        target=endpoint_location(endpoint, (f"{address(manifest)} {setting}",)),
        description=f"{vendor}telemetry from {setting}",
        source=SourceRef(manifest.path, manifest.line, address(manifest)),
    )
