"""Kubernetes objects managed by Terraform: ``kubernetes_*`` resources become Kubernetes objects, read
with the Kubernetes adapter's meaning; ``helm_release`` is read for the telemetry settings its values
name, with a note that its chart is not rendered here.

The kubernetes provider writes an object in Terraform's shape: snake_case names, nested blocks as lists
of one element, repeated blocks named in the singular (``container``, ``env``, ``volume``). The
translation below turns that back into the object the API server would hold.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from providers.kubernetes.manifests import Manifest
from providers.semantics.endpoints import place_endpoint
from providers.semantics.records import ResourceRecord, Unknown
from providers.semantics.telemetry_settings import TELEMETRY_SETTINGS
from scanner.model import CoverageGap

# kubernetes provider type (without a _v1/_v2 suffix) -> (apiVersion, kind)
_KINDS = {
    "kubernetes_deployment": ("apps/v1", "Deployment"),
    "kubernetes_stateful_set": ("apps/v1", "StatefulSet"),
    "kubernetes_daemonset": ("apps/v1", "DaemonSet"),
    "kubernetes_daemon_set": ("apps/v1", "DaemonSet"),
    "kubernetes_replication_controller": ("v1", "ReplicationController"),
    "kubernetes_cron_job": ("batch/v1", "CronJob"),
    "kubernetes_job": ("batch/v1", "Job"),
    "kubernetes_pod": ("v1", "Pod"),
    "kubernetes_config_map": ("v1", "ConfigMap"),
    "kubernetes_namespace": ("v1", "Namespace"),
    "kubernetes_service": ("v1", "Service"),
    "kubernetes_persistent_volume_claim": ("v1", "PersistentVolumeClaim"),
    "kubernetes_persistent_volume": ("v1", "PersistentVolume"),
    "kubernetes_storage_class": ("storage.k8s.io/v1", "StorageClass"),
}

# Repeated blocks, named in the singular in Terraform, that are lists in the API object.
_LISTS = {
    "container": "containers", "init_container": "initContainers", "env": "env", "env_from": "envFrom",
    "volume": "volumes", "volume_mount": "volumeMounts", "port": "ports", "toleration": "tolerations",
    "host_aliases": "hostAliases", "image_pull_secrets": "imagePullSecrets", "match_expressions": "matchExpressions",
    "node_selector_term": "nodeSelectorTerms", "topology_spread_constraint": "topologySpreadConstraints",
    "volume_claim_template": "volumeClaimTemplates", "preferred_during_scheduling_ignored_during_execution":
        "preferredDuringSchedulingIgnoredDuringExecution", "items": "items", "allowed_topologies": "allowedTopologies",
    "match_label_expressions": "matchLabelExpressions", "ephemeral_container": "ephemeralContainers",
}
# Blocks that are lists in the API object in one place and objects in another: lists here.
_PLURAL_ATTRIBUTES = {"values", "args", "command", "access_modes", "mount_options", "finalizers"}


def kind_of(resource_type: str) -> tuple[str, str] | None:
    """The apiVersion and kind a kubernetes provider type creates (``kubernetes_deployment_v1`` too)."""
    return _KINDS.get(re.sub(r"_v\d+$", "", resource_type))


def to_manifests(records: Sequence[ResourceRecord]) -> tuple[list[Manifest], list[ResourceRecord]]:
    """The Kubernetes objects Terraform manages, and the records that are not such objects."""
    manifests: list[Manifest] = []
    rest: list[ResourceRecord] = []
    for record in records:
        if record.mode != "managed":
            rest.append(record)
            continue
        if record.type == "kubernetes_manifest" and isinstance(record.values.get("manifest"), dict):
            manifests.append(Manifest(dict(record.values["manifest"]), record.source.path, record.source.line or 1))
            continue
        kind = kind_of(record.type)
        if kind is None:
            rest.append(record)
            continue
        data: dict[str, Any] = {"apiVersion": kind[0], "kind": kind[1]}
        data.update(_object(record.values))
        if kind[1] != "Namespace":
            metadata = data.setdefault("metadata", {})
            if isinstance(metadata, dict):
                metadata.setdefault("namespace", "default")
        manifests.append(Manifest(data, record.source.path, record.source.line or 1))
    return manifests, rest


def _object(values: Mapping[str, Any]) -> dict[str, Any]:
    """A Terraform block's values as an API object: keys in camelCase, single blocks as objects."""
    result: dict[str, Any] = {}
    for key, value in values.items():
        if key in ("id", "wait_for_rollout", "timeouts", "wait_for_load_balancer", "wait_for_completion"):
            continue
        name = _LISTS.get(key) or _camel(key)
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            blocks = [_object(v) for v in value]
            result[name] = blocks if key in _LISTS else blocks[0]
        elif isinstance(value, list) and key in _PLURAL_ATTRIBUTES:
            result[name] = value
        elif isinstance(value, Unknown):
            continue  # unknown in Terraform: the Kubernetes reader sees it as not set, and says what it needs
        else:
            # Maps (labels, annotations, node_selector, data) keep their keys as written.
            result[name] = value
    return result


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def helm_notes(records: Sequence[ResourceRecord], endpoints: Mapping[str, str]) -> Iterator[CoverageGap]:
    """A note for every Helm release: its chart is not rendered here; the telemetry sites its values name."""
    for record in records:
        if record.type != "helm_release" or record.mode != "managed":
            continue
        chart = record.values.get("chart")
        name = record.values.get("name")
        shown_chart = chart if isinstance(chart, str) else "CHART"
        shown_name = name if isinstance(name, str) else "NAME"
        sites = [f"{key} = {value!r} ({_where(value, endpoints)})" for key, value in _settings(record)]
        said = f"; its values set {', '.join(sites)}" if sites else ""
        yield CoverageGap(
            record.source.path, record.source.line,
            f"{record.address} installs the chart {shown_chart!r}, which is not rendered here, so its objects "
            f"are not judged{said}: render and scan it with `helm template {shown_name} {shown_chart} "
            "-f values.yaml | offshore-scan scan - --cluster-region REGION`",
            kind="note",
        )


_SITE_KEY = re.compile(r"(^|\.)(site|endpoint|url|host|region)$|(^|\.)(dd_site|otel_exporter_otlp_endpoint)$",
                       re.IGNORECASE)


def _settings(record: ResourceRecord) -> Iterator[tuple[str, str]]:
    for block in ("set", "set_sensitive"):
        for item in record.values.get(block) or []:
            if isinstance(item, dict) and isinstance(item.get("name"), str) and isinstance(item.get("value"), str):
                key = item["name"]
                if block == "set" and (_SITE_KEY.search(key) or key.split(".")[-1].upper() in TELEMETRY_SETTINGS):
                    yield key, item["value"]
    for text in record.values.get("values") or []:
        if isinstance(text, str):
            yield from _yaml_settings(text)


def _yaml_settings(text: str) -> Iterator[tuple[str, str]]:
    from scanner.yaml_data import YamlRefused, load_guarded

    try:
        document = load_guarded(text)
    except YamlRefused:
        return
    yield from _walk(document, "")


def _walk(value: Any, prefix: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(item, str) and (_SITE_KEY.search(path) or str(key).upper() in TELEMETRY_SETTINGS):
                yield path, item
            else:
                yield from _walk(item, path)


def _where(value: str, endpoints: Mapping[str, str]) -> str:
    endpoint = place_endpoint(value, endpoints)
    if endpoint.country:
        return f"{endpoint.vendor or endpoint.host} in {endpoint.country}"
    return "not placed"
