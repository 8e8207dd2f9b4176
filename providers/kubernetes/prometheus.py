"""Prometheus as a carrier of metrics: which namespaces it scrapes, and where it writes them (``remote_write``).

Read from a Prometheus configuration file (``prometheus.yml`` in a ConfigMap, or a Grafana Agent static-mode
``metrics.configs`` entry) and from the Prometheus Operator's ``Prometheus`` and ``PrometheusAgent`` resources.
A Prometheus without ``remote_write`` keeps its metrics in the cluster: it carries nothing out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from providers.kubernetes.manifests import Manifest
from providers.kubernetes.narrowing import (
    Labels,
    Reads,
    by_namespace_selector,
    everyone,
    selector_matches,
    selector_requirements,
)
from providers.kubernetes.workloads import as_dict, namespace
from scanner.yaml_data import YamlRefused, load_guarded

OPERATOR_KINDS = frozenset({"Prometheus", "PrometheusAgent"})
_MONITOR_KINDS = ("ServiceMonitor", "PodMonitor", "Probe")


def config_scrapes(text: str) -> tuple[Reads, list[str]] | None:
    """(which namespaces it scrapes, its remote_write URLs) of a Prometheus configuration; None if it is none."""
    if "remote_write" not in text or "scrape_configs" not in text:
        return None
    try:
        parsed = load_guarded(text)
    except (yaml.YAMLError, YamlRefused, RecursionError):
        return None
    configs = [parsed] if isinstance(parsed, dict) and "scrape_configs" in parsed else \
        [as_dict(c) for c in as_dict(as_dict(parsed).get("metrics")).get("configs") or []]
    urls = [str(as_dict(w).get("url")) for c in configs for w in c.get("remote_write") or [] if as_dict(w).get("url")]
    jobs = [as_dict(job) for c in configs for job in c.get("scrape_configs") or []]
    if not urls or not jobs:
        return None
    return Reads(lambda w, _l: any(_job_scrapes(job, namespace(w)) for job in jobs),
                 "scrape_configs " + ", ".join(str(j.get("job_name", "?")) for j in jobs)), urls


def alerting_scope(text: str, own: str) -> tuple[Reads, frozenset[str] | None] | None:
    """(which namespaces it scrapes, the namespaces of the Alertmanagers it alerts) of a Prometheus configuration
    with ``alerting.alertmanagers``; None when it is none. A static target ``name.namespace[.svc]:port`` names its
    namespace, a bare name the configuration's own; Kubernetes discovery its ``namespaces.names``, else any."""
    if "alertmanagers" not in text or "scrape_configs" not in text:
        return None
    try:
        parsed = as_dict(load_guarded(text))
    except (yaml.YAMLError, YamlRefused, RecursionError):
        return None
    managers = [as_dict(m) for m in as_dict(parsed.get("alerting")).get("alertmanagers") or []]
    jobs = [as_dict(job) for job in parsed.get("scrape_configs") or []]
    if not managers or not jobs:
        return None
    targets: set[str] = set()
    for manager in managers:
        for target in (t for s in manager.get("static_configs") or [] for t in as_dict(s).get("targets") or []):
            labels = str(target).split(":", 1)[0].removesuffix(".cluster.local").removesuffix(".svc").split(".")
            targets.add(labels[1] if len(labels) == 2 else own)
        for discovery in manager.get("kubernetes_sd_configs") or []:
            names = as_dict(as_dict(discovery).get("namespaces")).get("names")
            if not names:
                return _scope(jobs), None
            targets.update(str(n) for n in names)
    return _scope(jobs), frozenset(targets)


def _scope(jobs: list[dict[str, Any]]) -> Reads:
    return Reads(lambda w, _l: any(_job_scrapes(job, namespace(w)) for job in jobs),
                 "scrape_configs " + ", ".join(str(j.get("job_name", "?")) for j in jobs))


def _job_scrapes(job: dict[str, Any], ns: str) -> bool:
    """Whether one scrape job reads targets in namespace ``ns``: by Kubernetes discovery (its namespaces, then
    keep/drop relabelling on the namespace) or by a static target naming a Service there."""
    for target in (t for static in job.get("static_configs") or [] for t in as_dict(static).get("targets") or []):
        labels = str(target).split(":", 1)[0].removesuffix(".cluster.local").removesuffix(".svc").split(".")
        if len(labels) == 2 and labels[1] == ns:
            return True
    discovery = [as_dict(d) for d in job.get("kubernetes_sd_configs") or []]
    if not discovery:
        return False
    names = [str(n) for d in discovery for n in as_dict(d.get("namespaces")).get("names") or []]
    if names and ns not in names and not any(as_dict(d.get("namespaces")).get("own_namespace") for d in discovery):
        return False
    for rule in job.get("relabel_configs") or []:
        rule = as_dict(rule)
        if rule.get("source_labels") != ["__meta_kubernetes_namespace"] or rule.get("action") not in ("keep", "drop"):
            continue
        try:
            hit = re.fullmatch(str(rule.get("regex", "(.*)")), ns) is not None
        except re.error:
            continue  # unreadable: it narrows nothing
        if hit != (rule["action"] == "keep"):
            return False
    return True


def operator_scrapes(resource: Manifest, monitors: Sequence[Manifest]) -> Reads:
    """The namespaces a Prometheus resource scrapes: those whose monitors it selects (its namespace selectors;
    null is its own namespace, ``{}`` every one), and those the selected monitors point at themselves
    (``namespaceSelector.any`` or ``matchNames``). ``additionalScrapeConfigs`` is a Secret: read as everything."""
    spec = as_dict(resource.data.get("spec"))
    own = namespace(resource)
    if spec.get("additionalScrapeConfigs"):
        return everyone("additionalScrapeConfigs is in a Secret the scan does not read: every namespace")
    # A null monitor selector selects no monitor of its kind (an empty one, every monitor): its namespace
    # selector then scrapes nothing.
    kinds = {kind: selector_requirements(spec.get(f"{_field(kind)}Selector")) for kind in _MONITOR_KINDS}
    kinds = {kind: chosen for kind, chosen in kinds.items() if chosen is not None}
    if not kinds:
        return Reads(lambda _w, _l: False, "no ServiceMonitor, PodMonitor or Probe (its monitor selectors are not "
                                           "set): no namespace")
    selectors = {kind: by_namespace_selector(spec.get(f"{_field(kind)}NamespaceSelector"), own,
                                             f"{_field(kind)}NamespaceSelector") for kind in kinds}

    def selected(ns_manifest: Manifest, labels: Labels) -> bool:
        return any(s.test(ns_manifest, labels) for s in selectors.values())

    def chooses(monitor: Manifest, labels: Labels) -> bool:
        own_labels = {str(k): str(v) for k, v in as_dict(monitor.metadata.get("labels")).items()}
        return (monitor.kind in kinds and selector_matches(kinds[monitor.kind], own_labels)
                and selectors[monitor.kind].test(monitor, labels))

    def test(workload: Manifest, labels: Labels) -> bool:
        if selected(workload, labels):
            return True
        for monitor in monitors:
            if not chooses(monitor, labels):
                continue
            chosen = as_dict(as_dict(monitor.data.get("spec")).get("namespaceSelector"))
            if chosen.get("any") is True or namespace(workload) in [str(n) for n in chosen.get("matchNames") or []]:
                return True
        return False
    return Reads(test, "; ".join(s.how for s in selectors.values()))


def _field(kind: str) -> str:
    """``serviceMonitor`` for ``ServiceMonitor``: how the Prometheus resource's selector fields begin."""
    return f"{kind[0].lower()}{kind[1:]}"


def operator_remote_writes(resource: Manifest) -> list[tuple[str, str]]:
    """(setting, URL) of each ``spec.remoteWrite`` of a Prometheus resource."""
    writes = as_dict(resource.data.get("spec")).get("remoteWrite") or []
    return [(f"spec.remoteWrite[{i}].url", str(as_dict(w).get("url"))) for i, w in enumerate(writes)
            if as_dict(w).get("url")]


def monitors_of(manifests: Sequence[Manifest]) -> list[Manifest]:
    """The ServiceMonitors, PodMonitors and Probes of the input."""
    return [m for m in manifests if m.kind in _MONITOR_KINDS]


def remote_write_texts(texts: Mapping[str, str]) -> list[tuple[str, Reads, list[str]]]:
    """(ConfigMap key, scope, URLs) of every Prometheus configuration among a collector's mounted texts."""
    found = []
    for key, text in texts.items():
        scraped = config_scrapes(text)
        if scraped is not None:
            found.append((key, *scraped))
    return found
