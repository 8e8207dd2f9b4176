"""The OpenTelemetry Operator's ``Instrumentation``: the SDK it injects into annotated pods sends their traces,
metrics and logs to its exporter endpoint.

A pod template (or its Namespace) annotated ``instrumentation.opentelemetry.io/inject-<language>`` is injected:
``"true"`` means the one Instrumentation of the workload's namespace, a name one there, ``<namespace>/<name>``
one elsewhere, ``"false"`` none (the pod's annotation wins over its namespace's). The endpoint is the
language's own ``env`` ``OTEL_EXPORTER_OTLP_ENDPOINT`` (``spec.<language>.env``), else ``spec.env``'s, else
``spec.exporter.endpoint``. A container that sets the variable itself keeps its own (the operator does not
override it), which is read as its own setting already.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from providers.kubernetes.manifests import Manifest
from providers.kubernetes.workloads import (
    address,
    as_dict,
    chart_provenance,
    containers,
    namespace,
    pod_spec,
    pod_template,
)
from providers.semantics.endpoints import Endpoint, place_endpoint
from providers.semantics.telemetry_settings import endpoint_location
from scanner.model import Flow, FlowKind, Resource, SourceRef

KIND = "Instrumentation"
_PREFIX = "instrumentation.opentelemetry.io/inject-"
_LANGUAGES = {"java": "java", "nodejs": "nodejs", "python": "python", "dotnet": "dotnet", "go": "go",
              "apache-httpd": "apacheHttpd", "nginx": "nginx", "sdk": None}
"""Injection annotation suffix -> the Instrumentation's per-language section (``sdk`` has none)."""
_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")

Follow = Callable[[Endpoint, str], list[tuple[Endpoint, tuple[str, ...]]]]
"""An endpoint followed through the in-cluster collectors it names: (where it ends, the objects passed)."""


def flows(manifests: Sequence[Manifest], dwp: Sequence[tuple[Resource, Manifest]],
          follow: Follow, extra: dict[str, str]) -> Iterator[Flow]:
    """A telemetry flow from each injected DWP workload to its Instrumentation's endpoint, declared by it."""
    instrumentations = [m for m in manifests if m.kind == KIND]
    if not instrumentations:
        return
    namespaces = {m.name: m for m in manifests if m.kind == "Namespace"}
    for resource, workload in dwp:
        for language, value, where in _injections(workload, namespaces.get(namespace(workload))):
            chosen = _chosen(value, namespace(workload), instrumentations)
            if chosen is None:
                continue
            if _sets_itself(workload):
                continue
            setting, url = _endpoint(chosen, language)
            if url is None:
                continue
            how = f"{resource.id} is injected by {address(chosen)}: {where} {_PREFIX}{language}: {value!r}"
            for endpoint, via in follow(place_endpoint(url, extra), namespace(chosen)):
                yield Flow(
                    resource_id=resource.id,
                    kind=FlowKind.TELEMETRY,
                    target=endpoint_location(endpoint, (how, f"{address(chosen)} {setting}", *via,
                                                        *chart_provenance(chosen))),
                    description=f"OpenTelemetry {language} auto-instrumentation by {address(chosen)} ({setting})",
                    source=SourceRef(chosen.path, chosen.line, address(chosen)),
                )


def _injections(workload: Manifest, ns: Manifest | None) -> Iterator[tuple[str, str, str]]:
    """(language, annotation value, where it is written) of each injection that applies to the workload."""
    own = {str(k): str(v) for k, v in as_dict(as_dict((pod_template(workload) or {}).get("metadata"))
                                              .get("annotations")).items()}
    inherited = {str(k): str(v) for k, v in as_dict(ns.metadata.get("annotations")).items()} if ns else {}
    for language in _LANGUAGES:
        key = f"{_PREFIX}{language}"
        if key in own:
            value, where = own[key], "pod template annotation"
        elif key in inherited:
            value, where = inherited[key], f"namespace {namespace(workload)} annotation"
        else:
            continue
        if value.strip().lower() != "false":
            yield language, value.strip(), where


def _chosen(value: str, ns: str, instrumentations: list[Manifest]) -> Manifest | None:
    if value.lower() == "true":
        here = [i for i in instrumentations if namespace(i) == ns]
        return here[0] if len(here) == 1 else None  # none, or several: the operator injects nothing
    in_ns, _, name = value.rpartition("/")
    return next((i for i in instrumentations if namespace(i) == (in_ns or ns) and i.name == name), None)


def _endpoint(instrumentation: Manifest, language: str) -> tuple[str, str | None]:
    spec = as_dict(instrumentation.data.get("spec"))
    section = _LANGUAGES[language]
    for path, env in ((f"spec.{section}.env", as_dict(spec.get(section)).get("env") if section else None),
                      ("spec.env", spec.get("env"))):
        for variable in env if isinstance(env, list) else []:
            variable = as_dict(variable)
            if variable.get("name") in _VARIABLES and variable.get("value"):
                return f"{path} {variable['name']}", str(variable["value"])
    endpoint = as_dict(spec.get("exporter")).get("endpoint")
    return "spec.exporter.endpoint", str(endpoint) if endpoint else None


def _sets_itself(workload: Manifest) -> bool:
    return any(as_dict(v).get("name") in _VARIABLES for c in containers(pod_spec(workload)) for v in c.get("env") or [])
