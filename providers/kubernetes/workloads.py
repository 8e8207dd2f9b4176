"""Where the pod spec of each workload kind lives, and other structural facts about objects."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

from providers.kubernetes.manifests import Manifest

CLUSTER_SCOPED = frozenset({
    "Namespace", "Node", "PersistentVolume", "StorageClass", "ClusterRole", "ClusterRoleBinding",
    "CustomResourceDefinition", "CiliumClusterwideNetworkPolicy", "GlobalNetworkPolicy", "PriorityClass",
    "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "IngressClass", "CSIDriver",
    "DatadogAgent",  # namespaced in fact, but addressed like the others when it omits a namespace
})
WORKLOAD_KINDS = frozenset({
    "Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job", "CronJob",
    "DeploymentConfig", "Rollout",
})


def address(manifest: Manifest) -> str:
    """``Kind/namespace/name`` (namespace ``default`` when omitted), or ``Kind/name`` for cluster-scoped kinds."""
    if manifest.kind in CLUSTER_SCOPED and manifest.kind != "DatadogAgent":
        return f"{manifest.kind}/{manifest.name}"
    return f"{manifest.kind}/{namespace(manifest)}/{manifest.name}"


def namespace(manifest: Manifest) -> str:
    """The namespace the object lands in (``default`` when the manifest omits it)."""
    return manifest.namespace or "default"


def pod_template(manifest: Manifest) -> dict[str, Any] | None:
    """The pod template (``metadata`` + ``spec``) of a workload, or the Pod itself."""
    data = manifest.data
    spec = as_dict(data.get("spec"))
    if manifest.kind == "Pod":
        return {"metadata": as_dict(data.get("metadata")), "spec": spec}
    if manifest.kind == "CronJob":
        spec = as_dict(as_dict(spec.get("jobTemplate")).get("spec"))
    template = spec.get("template")
    return template if isinstance(template, dict) else None


def pod_spec(manifest: Manifest) -> dict[str, Any]:
    """The pod spec of a workload (empty for other kinds)."""
    template = pod_template(manifest)
    return as_dict(template.get("spec")) if template else {}


def containers(spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Init, regular and ephemeral containers of a pod spec."""
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for container in spec.get(key) or []:
            if isinstance(container, dict):
                yield container


def labels_and_annotations(metadata: Any) -> dict[str, Any]:
    """Labels and annotations together, for the DWP selectors (labels win on a clash)."""
    metadata = as_dict(metadata)
    merged = dict(as_dict(metadata.get("annotations")))
    merged.update(as_dict(metadata.get("labels")))
    return merged


def as_dict(value: Any) -> dict[str, Any]:
    """The value if it is a mapping, else an empty one (manifests are untrusted)."""
    return value if isinstance(value, dict) else {}


def chart_provenance(manifest: Manifest) -> tuple[str, ...]:
    """``from chart template <chart>/templates/<file>`` when ``helm template`` rendered the object, so a finding
    says which chart, and so which chart value, to change."""
    return (f"from chart template {manifest.chart_template}",) if manifest.chart_template else ()


def string_data(config: Manifest) -> dict[str, str]:
    """A ConfigMap's ``data`` values that are text (a configuration file each); a Secret's ``data`` decoded from
    base64 and its ``stringData`` (charts such as grafana/promtail keep the configuration in a Secret)."""
    values = {str(k): v for k, v in as_dict(config.data.get("data")).items() if isinstance(v, str)}
    if config.kind != "Secret":
        return values
    decoded = {k: _base64_text(v) for k, v in values.items()}
    decoded.update({str(k): v for k, v in as_dict(config.data.get("stringData")).items() if isinstance(v, str)})
    return decoded


def _base64_text(text: str) -> str:
    try:
        return base64.b64decode(text, validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return text
