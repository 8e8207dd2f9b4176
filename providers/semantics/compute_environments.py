"""Where compute keeps its environment: ``resource_map/compute_environments.yaml``.

One table says, for every compute type (Lambda, ECS, Cloud Run, App Service, Container Apps ...), where its
environment variables or app settings are written: a map, a list of name/value entries, per container, inside
a JSON document. ``read_environments`` reads any type through it, so supporting a new type is a row, not code.
What a variable means (``DD_SITE``, ``OTEL_EXPORTER_OTLP_ENDPOINT``) is ``providers.semantics.telemetry_settings``'s
business; this module only finds the variables and says where each is written.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from providers.semantics.context import first, json_document, values_at
from providers.semantics.records import Unknown
from providers.semantics.telemetry_settings import opaque_value
from scanner.yaml_data import load_yaml

_TABLE = Path(__file__).with_name("resource_map") / "compute_environments.yaml"
_KINDS = ("map", "list", "attributes")


@dataclass(frozen=True)
class Read:
    """One place a type's variables are set (one item of a row's ``read``)."""

    kind: str
    """``map`` (name -> value), ``list`` (entries with a name and a value) or ``attributes``."""
    path: str
    """Dotted path to the map or list; relative to each container when ``containers`` is set."""
    attributes: Mapping[str, str] = field(default_factory=dict)
    """For ``attributes``: attribute path -> the variable the provider sets from it."""
    document: str | None = None
    containers: str | None = None
    container_name: str = "name"
    name_key: str = "name"
    value_key: str = "value"
    value_from: tuple[str, ...] = ()
    where: Mapping[str, Any] = field(default_factory=dict)
    secret: bool = False
    sensitive: bool = False


@dataclass(frozen=True)
class ComputeEnvironment:
    """What the table says of one type."""

    label: str
    reads: tuple[Read, ...]
    removed_in: str | None = None
    datadog_layers: str | None = None


@dataclass
class Environment:
    """The variables one workload runs with: a function's, or one container's."""

    container: str | None
    """The container's name (its index when it has none); None for the resource as a whole."""
    path: str
    """Where this environment is written (``environment.variables``, ``container_definitions[app]``)."""
    image: Any = None
    variables: dict[str, Any] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)
    """Variable -> where it is written, dotted, for provenance."""
    hidden: dict[str, str] = field(default_factory=dict)
    """Variables whose value must not be shown as written -> what to show instead (a sensitive value, or the
    secret it is read from)."""


@dataclass(frozen=True)
class Unreadable:
    """A place variables are set that cannot be read statically: an unknown destination, never silence."""

    path: str
    value: Any


def _read(raw: Mapping[str, Any]) -> Read:
    kinds = [kind for kind in _KINDS if kind in raw]
    if len(kinds) != 1:
        raise ValueError(f"compute_environments.yaml: a read needs one of {_KINDS}, not {dict(raw)!r}")
    kind = kinds[0]
    attributes = raw["attributes"] if kind == "attributes" else {}
    if kind == "attributes" and ("containers" in raw or "document" in raw):
        raise ValueError("compute_environments.yaml: attributes are read from the resource, not a container")
    return Read(
        kind=kind,
        path="" if kind == "attributes" else str(raw[kind]),
        attributes=MappingProxyType({str(k): str(v) for k, v in attributes.items()}),
        document=raw.get("document"),
        containers=raw.get("containers"),
        container_name=str(raw.get("container_name", "name")),
        name_key=str(raw.get("name", "name")),
        value_key=str(raw.get("value", "value")),
        value_from=tuple(raw.get("from") or ()),
        where=MappingProxyType(dict(raw.get("where") or {})),
        secret=bool(raw.get("secret", False)),
        sensitive=bool(raw.get("sensitive", False)),
    )


@functools.cache
def compute_environments() -> Mapping[str, ComputeEnvironment]:
    """Terraform type -> where its environment is written."""
    raw = load_yaml(_TABLE.read_text(encoding="utf-8"))["compute_environments"]
    return MappingProxyType({
        name: ComputeEnvironment(str(row["label"]), tuple(_read(item) for item in row["read"]),
                                 row.get("removed_in"), row.get("datadog_layers"))
        for name, row in raw.items()
    })


def compute_environment(resource_type: str) -> ComputeEnvironment | None:
    return compute_environments().get(resource_type)


def read_environments(values: Mapping[str, Any],
                      spec: ComputeEnvironment) -> tuple[list[Environment], list[Unreadable]]:
    """Every environment of a resource (one per container, or one for the whole), and the places that
    cannot be read. Reads of the same container (its ``environment`` and its ``secrets``) make one
    environment, so a key in one and a site in the other are judged together, as the container sees them."""
    found: dict[Any, Environment] = {}
    unreadable: dict[str, Unreadable] = {}
    for read in spec.reads:
        for key, environment, source, base in _workloads(values, read, unreadable):
            _collect(found.setdefault(key, environment), source, base, read, unreadable)
    return [e for e in found.values() if e.variables], list(unreadable.values())


def _workloads(values: Mapping[str, Any], read: Read,
               unreadable: dict[str, Unreadable]) -> Iterator[tuple[Any, Environment, Any, str]]:
    """(key, environment, what the read's paths start from, and where that is) for each workload ``read``
    applies to: the resource itself, or each container. Every read of one container has the same key."""
    root: Any = values
    prefix = ""
    if read.document is not None:
        raw = first(values_at(values, read.document))
        if raw is None:
            return
        root = json_document(raw)
        if root is None:
            unreadable.setdefault(read.document, Unreadable(read.document, raw))
            return
        prefix = read.document
    if read.containers is None:
        where = f"{prefix}.{read.path}" if prefix else read.path
        yield None, Environment(None, where if read.kind != "attributes" else ""), root, prefix
        return
    single = read.containers == "." and not isinstance(root, list)
    if read.containers == ".":
        containers = [root] if single else list(root)
        where = prefix
    else:
        containers = list(values_at(root, read.containers))
        where = f"{prefix}.{read.containers}" if prefix else read.containers
    for index, container in enumerate(containers):
        if isinstance(container, Unknown):
            unreadable.setdefault(where, Unreadable(where, container))
            continue
        if not isinstance(container, Mapping):
            continue
        name = container.get(read.container_name)
        label = name if isinstance(name, str) else (None if single else str(index))
        path = f"{where}[{label}]" if label is not None else where
        key = (read.document, read.containers, index)
        yield key, Environment(label, path, container.get("image")), container, path


def _collect(environment: Environment, source: Any, base: str, read: Read,
             unreadable: dict[str, Unreadable]) -> None:
    if read.kind == "attributes":
        for attribute, variable in read.attributes.items():
            value = first(values_at(source, attribute))
            if value is not None and variable not in environment.variables:
                _set(environment, variable, value, attribute)
        return
    where = f"{base}.{read.path}" if base else read.path
    if read.kind == "map":
        for found in values_at(source, read.path):
            if isinstance(found, Unknown):
                unreadable.setdefault(where, Unreadable(where, found))
            elif isinstance(found, Mapping):
                for name, value in found.items():
                    if isinstance(name, str):
                        _set_read(environment, read, name, value, f"{where}.{name}", None)
        return
    for entry in values_at(source, read.path):
        if isinstance(entry, Unknown):
            unreadable.setdefault(where, Unreadable(where, entry))
            continue
        if not isinstance(entry, Mapping) or any(entry.get(k) != v for k, v in read.where.items()):
            continue
        name = entry.get(read.name_key)
        if not isinstance(name, str):
            continue  # a name not known statically: which variable it sets cannot be said
        source_key = next((k for k in read.value_from if entry.get(k) not in (None, "", [], {})), None)
        referenced = (source_key, entry[source_key]) if source_key is not None else None
        _set_read(environment, read, name, entry.get(read.value_key), f"{where}.{name}", referenced)


def _set_read(environment: Environment, read: Read, name: str, value: Any, path: str,
              referenced: tuple[str, Any] | None) -> None:
    if name in environment.variables:
        return  # set twice (an image and a code configuration): the first place read wins
    if referenced is not None or read.secret:
        # The value is in a secret store: the variable is set, to something the configuration does not show.
        key, reference = referenced if referenced is not None else ("a secret", value)
        words = f"{key} {_describe(reference)}".strip()
        _set(environment, name, opaque_value(words), path, f"set from {words}")
    elif read.sensitive:
        # Read to place the destination; the report shows where it sends, never the value itself.
        _set(environment, name, value, path, None if isinstance(value, Unknown) else "a sensitive value, not shown")
    else:
        _set(environment, name, value, path)


def _set(environment: Environment, name: str, value: Any, path: str, hidden: str | None = None) -> None:
    environment.variables[name] = value
    environment.paths[name] = path
    if hidden is not None:
        environment.hidden[name] = hidden


def _describe(reference: Any) -> str:
    """A secret reference in a few words: the ARN or secret name, without the secret."""
    if isinstance(reference, str):
        return reference
    if isinstance(reference, Unknown):
        return f"{reference.ref}.{reference.attribute}" if reference.ref and reference.attribute else ""
    if isinstance(reference, Mapping):
        for value in reference.values():
            described = _describe(value)
            if described:
                return described
    if isinstance(reference, list):
        return next((d for d in map(_describe, reference) if d), "")
    return ""
