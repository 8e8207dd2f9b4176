"""Which workloads a node collector reads, from what its configuration says cheaply: tail paths, include and
exclude lists, label selectors, Prometheus namespaces.

Each reader answers with a ``Reads`` (a test over a workload and what was read, in words) or None when the
configuration names no input it can judge; the caller then takes the collector to read every workload, and says
so. Kubernetes names container log files ``/var/log/containers/<pod>_<namespace>_<container>-<id>.log`` and
``/var/log/pods/<namespace>_<pod>_<uid>/<container>/<n>.log``; a workload is read when the path of one of its
containers matches an include glob and no exclude glob.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from providers.kubernetes.manifests import Manifest
from providers.kubernetes.workloads import as_dict, containers, namespace, pod_spec, pod_template
from scanner.yaml_data import YamlRefused, load_guarded

Labels = Callable[[str], dict[str, str] | None]
"""A namespace's labels, or None when its Namespace object is not in the input."""


@dataclass(frozen=True)
class Reads:
    """Which workloads a collector reads, and how that was established."""

    test: Callable[[Manifest, Labels], bool]
    how: str


def everyone(how: str) -> Reads:
    """A collector that reads every workload on its nodes."""
    return Reads(lambda _w, _l: True, how)


def both(first: Reads, second: Reads) -> Reads:
    """A workload read by both narrowings (an agent's own switch and its filter)."""
    return Reads(lambda w, labels: first.test(w, labels) and second.test(w, labels), f"{first.how}; {second.how}")


# --- container log paths --------------------------------------------------------------------------


def log_file_paths(workload: Manifest) -> list[str]:
    """Where the node keeps the logs of a workload's containers, with a stand-in pod name."""
    ns, pod = namespace(workload), f"{workload.name}-0"
    paths = []
    for container in containers(pod_spec(workload)):
        name = str(container.get("name") or "container")
        paths += [f"/var/log/containers/{pod}_{ns}_{name}-0.log", f"/var/log/pods/{ns}_{pod}_0/{name}/0.log"]
    return [*paths, "/var/lib/docker/containers/0/0-json.log"]


def by_paths(include: list[str], exclude: list[str], how: str) -> Reads:
    """Read by file globs: a workload one of whose log files is included and not excluded."""
    def test(workload: Manifest, _labels: Labels) -> bool:
        return any(any(fnmatch.fnmatchcase(p, g) for g in include) and not any(fnmatch.fnmatchcase(p, g)
                                                                               for g in exclude)
                   for p in log_file_paths(workload))
    shown = ", ".join(include) + (f" excluding {', '.join(exclude)}" if exclude else "")
    return Reads(test, f"{how} {shown}")


def config_log_scope(texts: Mapping[str, str]) -> Reads | None:
    """Which workloads' logs the collector configurations (ConfigMap key -> text) tail from the node: Fluent Bit
    (classic or YAML) tail inputs, Fluentd tail sources, the OpenTelemetry filelog receiver and Vector's
    kubernetes_logs and file sources. None when no such input can be read."""
    found: list[Reads] = []
    for key, text in texts.items():
        found.extend(_fluent_bit_classic(text))
        found.extend(_fluentd(text))
        parsed = _parse(key, text)
        if isinstance(parsed, dict):
            found.extend(_fluent_bit_yaml(parsed))
            found.extend(_filelog(parsed))
            found.extend(_vector(parsed))
    if not found:
        return None
    return Reads(lambda w, labels: any(r.test(w, labels) for r in found), "; ".join(r.how for r in found))


def _split(value: Any) -> list[str]:
    items = value if isinstance(value, list) else str(value or "").split(",")
    return [str(p).strip().strip("\"'") for p in items if str(p).strip()]


def _fluent_bit_classic(text: str) -> Iterator[Reads]:
    section: dict[str, str] | None = None
    sections: list[dict[str, str]] = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if line.startswith("[") and line.endswith("]"):
            section = {} if line[1:-1].strip().upper() == "INPUT" else None
            if section is not None:
                sections.append(section)
        elif section is not None and line:
            key, _, value = line.partition(" ")
            section[key.lower()] = value.strip()
    for item in sections:
        if item.get("name", "").lower() == "tail" and item.get("path"):
            yield by_paths(_split(item["path"]), _split(item.get("exclude_path")), "Fluent Bit tail Path")


def _fluent_bit_yaml(config: dict[str, Any]) -> Iterator[Reads]:
    inputs = as_dict(config.get("pipeline")).get("inputs")
    for item in inputs if isinstance(inputs, list) else []:
        item = {str(k).lower(): v for k, v in as_dict(item).items()}
        if str(item.get("name", "")).lower() == "tail" and item.get("path"):
            yield by_paths(_split(item["path"]), _split(item.get("exclude_path")), "Fluent Bit tail path")


_FLUENTD_SOURCE = re.compile(r"<source>(.*?)</source>", re.DOTALL)


def _fluentd(text: str) -> Iterator[Reads]:
    for body in _FLUENTD_SOURCE.findall(text):
        if not re.search(r"@type\s+tail\b", body):
            continue
        path = re.search(r"^\s*path\s+(.+)$", body, re.MULTILINE)
        excluded = re.search(r"^\s*exclude_path\s+\[(.*)\]", body, re.MULTILINE)
        if path:
            yield by_paths(_split(path.group(1)), _split(excluded.group(1)) if excluded else [], "Fluentd tail path")


def _filelog(config: dict[str, Any]) -> Iterator[Reads]:
    for name, receiver in as_dict(config.get("receivers")).items():
        if str(name).split("/", 1)[0] == "filelog" and isinstance(receiver, dict) and receiver.get("include"):
            yield by_paths(_split(receiver["include"]), _split(receiver.get("exclude")), f"filelog receiver {name}")


def _vector(config: dict[str, Any]) -> Iterator[Reads]:
    for name, source in as_dict(config.get("sources")).items():
        source = as_dict(source)
        if source.get("type") == "file" and source.get("include"):
            yield by_paths(_split(source["include"]), _split(source.get("exclude")), f"Vector file source {name}")
        elif source.get("type") == "kubernetes_logs":
            yield _vector_kubernetes_logs(str(name), source)


def _vector_kubernetes_logs(name: str, source: dict[str, Any]) -> Reads:
    namespaces = parse_selector(str(source.get("extra_namespace_label_selector") or ""))
    pods = parse_selector(str(source.get("extra_label_selector") or ""))
    fields = parse_selector(str(source.get("extra_field_selector") or ""))
    include = _split(source.get("include_paths_glob_patterns")) or ["**"]
    exclude = _split(source.get("exclude_paths_glob_patterns"))
    paths = by_paths(include, exclude, "")

    def test(workload: Manifest, labels: Labels) -> bool:
        ns = namespace(workload)
        pod_labels = {str(k): str(v) for k, v in as_dict(as_dict(
            (pod_template(workload) or {}).get("metadata")).get("labels")).items()}
        if pod_labels.get("vector.dev/exclude") == "true":
            return False
        return (selector_matches(namespaces, namespace_labels(ns, labels))
                and selector_matches(pods, pod_labels)
                and selector_matches(fields, {"metadata.namespace": ns})
                and paths.test(workload, labels))
    said = [f"{k} {source[k]!r}" for k in ("extra_namespace_label_selector", "extra_label_selector",
                                          "extra_field_selector") if source.get(k)]
    return Reads(test, f"Vector kubernetes_logs source {name}" + (f" ({', '.join(said)})" if said else
                                                                 " (every namespace)"))


def _parse(key: str, text: str) -> Any:
    try:
        if key.lower().endswith(".toml"):
            return tomllib.loads(text)
        if not re.search(r"^\s*(pipeline|receivers|sources)\s*:", text, re.MULTILINE):
            return None
        return load_guarded(text)
    except (yaml.YAMLError, YamlRefused, RecursionError, tomllib.TOMLDecodeError):
        return None


# --- label selectors ------------------------------------------------------------------------------

Requirement = tuple[str, str, tuple[str, ...]]
"""(key, operator, values): operators ``=``, ``!=``, ``in``, ``notin``, ``exists``, ``!``."""


def parse_selector(text: str) -> list[Requirement]:
    """A label or field selector as written on the command line: ``a=b,c!=d,e in (f,g),!h``."""
    found: list[Requirement] = []
    for term in re.findall(r"[^,(]+(?:\([^)]*\))?", text):
        term = term.strip()
        set_match = re.match(r"^([\w./-]+)\s+(in|notin)\s+\((.*)\)$", term)
        if set_match:
            found.append((set_match.group(1), set_match.group(2), tuple(_split(set_match.group(3)))))
        elif "!=" in term:
            key, _, value = term.partition("!=")
            found.append((key.strip(), "!=", (value.strip(),)))
        elif "=" in term:
            key, _, value = term.replace("==", "=").partition("=")
            found.append((key.strip(), "=", (value.strip(),)))
        elif term.startswith("!"):
            found.append((term[1:].strip(), "!", ()))
        elif term:
            found.append((term, "exists", ()))
    return found


def selector_requirements(selector: Any) -> list[Requirement] | None:
    """A Kubernetes ``LabelSelector`` (matchLabels, matchExpressions) as requirements; None when the selector
    is null (it selects nothing, or the caller's default)."""
    if not isinstance(selector, dict):
        return None
    found: list[Requirement] = [(str(k), "=", (str(v),)) for k, v in as_dict(selector.get("matchLabels")).items()]
    operators = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}
    for expression in selector.get("matchExpressions") or []:
        expression = as_dict(expression)
        operator = operators.get(str(expression.get("operator")), "exists")
        found.append((str(expression.get("key")), operator, tuple(str(v) for v in expression.get("values") or ())))
    return found


def selector_matches(requirements: Iterable[Requirement], labels: dict[str, str] | None) -> bool:
    """Whether labels satisfy every requirement. Unknown labels (a Namespace not in the input) satisfy any
    requirement but one on the namespace's name, which Kubernetes always sets: a narrowing that cannot be
    evaluated keeps the workload read."""
    for key, operator, values in requirements:
        if labels is None:
            continue
        value = labels.get(key)
        if operator == "=" and value != values[0]:
            return False
        if operator == "!=" and value == values[0]:
            return False
        if operator == "in" and value not in values:
            return False
        if operator == "notin" and value in values:
            return False
        if operator == "exists" and value is None:
            return False
        if operator == "!" and value is not None:
            return False
    return True


def namespace_labels(ns: str, labels: Labels) -> dict[str, str] | None:
    """A namespace's labels with the one Kubernetes adds to every namespace; None when not in the input."""
    known = labels(ns)
    return None if known is None else {**known, "kubernetes.io/metadata.name": ns}


def by_namespace_selector(selector: Any, own: str, how: str) -> Reads:
    """Read in the namespaces a LabelSelector picks: null means the collector's own namespace, ``{}`` every one."""
    requirements = selector_requirements(selector)
    if requirements is None:
        return Reads(lambda w, _l: namespace(w) == own, f"{how} is not set: only namespace {own}")
    if not requirements:
        return everyone(f"{how} is {{}}: every namespace")

    by_name_only = all(key == "kubernetes.io/metadata.name" for key, _, _ in requirements)

    def test(workload: Manifest, labels: Labels) -> bool:
        ns = namespace(workload)
        known = namespace_labels(ns, labels)
        if known is None and by_name_only:
            known = {"kubernetes.io/metadata.name": ns}
        return selector_matches(requirements, known)
    return Reads(test, f"{how} {selector}")


# --- the Datadog Agent's container filters ------------------------------------------------------


def datadog_filters(include: list[str], exclude: list[str], how: str) -> Reads | None:
    """``DD_CONTAINER_INCLUDE``/``EXCLUDE`` style filters: space-separated ``kube_namespace:<regex>``,
    ``name:<regex>`` and ``image:<regex>`` terms; an included container is collected even when excluded.
    None when neither is set."""
    if not include and not exclude:
        return None
    includes, excludes = _terms(include), _terms(exclude)

    def test(workload: Manifest, _labels: Labels) -> bool:
        for container in containers(pod_spec(workload)):
            facts = {"kube_namespace": namespace(workload), "name": str(container.get("name") or ""),
                     "image": str(container.get("image") or "")}
            if (any(_term_matches(t, facts, unreadable=True) for t in includes)
                    or not any(_term_matches(t, facts, unreadable=False) for t in excludes)):
                return True
        return False
    return Reads(test, f"{how} {' '.join(include + exclude)}")


def _terms(values: list[str]) -> list[tuple[str, str]]:
    return [(k, v) for value in values for k, _, v in (t.partition(":") for t in value.split()) if v]


def _term_matches(term: tuple[str, str], facts: dict[str, str], unreadable: bool) -> bool:
    key, pattern = term
    try:
        return key in facts and re.search(pattern, facts[key]) is not None
    except re.error:
        # A pattern that cannot be read narrows nothing: it includes, and excludes nothing.
        return unreadable
