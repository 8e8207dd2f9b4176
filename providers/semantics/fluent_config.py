"""Fluent Bit and Fluentd configurations spread over the keys of one ConfigMap, and Fluentd's outputs.

Fluent Bit's Kubernetes manifests split one configuration over several keys of a ConfigMap mounted as one
directory: ``fluent-bit.conf`` ``@INCLUDE``s ``input-kubernetes.conf`` and ``output-elasticsearch.conf`` and
``@SET``s variables they use as ``${NAME}``. The YAML format does the same with ``includes:`` and ``env:``. When
the ConfigMap holds the entry file (``fluent-bit.conf``/``.yaml``, or a key with a ``[SERVICE]`` section), only
the keys it includes are read: an output file nobody includes sends nothing.

Fluentd writes outputs as ``<match pattern>`` sections (and ``<store>`` sections inside ``@type copy``), whose
``@type`` says which parameters name the destination (``providers/semantics/data/fluentd_outputs.yaml``).
Pure functions;
``Destination`` pairs as in ``providers.semantics.telemetry_settings``.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import yaml

from providers.semantics.data_files import data_text
from providers.semantics.endpoints import Endpoint, decode_elastic_cloud_id, place_endpoint
from scanner.yaml_data import YamlRefused, load_guarded, load_yaml

Destination = tuple[str, Endpoint]

_ENTRY_KEYS = ("fluent-bit.conf", "fluent-bit.yaml", "fluent-bit.yml")
_FRAGMENT = re.compile(r"^\s*\[(INPUT|OUTPUT|FILTER)\]\s*$|^\s*pipeline\s*:", re.MULTILINE | re.IGNORECASE)
_INCLUDE = re.compile(r"^\s*@INCLUDE\s+(\S+)", re.MULTILINE | re.IGNORECASE)
_SET = re.compile(r"^\s*@SET\s+([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$", re.MULTILINE | re.IGNORECASE)
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


# --- Fluent Bit across keys -----------------------------------------------------------------------


def fluent_bit_keys(data: Mapping[str, str]) -> dict[str, str]:
    """A ConfigMap's data as Fluent Bit reads it: the fragments its entry file does not include left out, and the
    ``@SET`` (or YAML ``env:``) variables substituted. Unchanged when no key is a Fluent Bit entry file."""
    entries = [k for k in data if k.lower() in _ENTRY_KEYS] or \
        [k for k, v in data.items() if re.search(r"^\s*\[SERVICE\]", v, re.MULTILINE | re.IGNORECASE)]
    if not entries:
        return dict(data)
    read = _included(data, entries)
    variables: dict[str, str] = {}
    for key in read:
        variables.update(_variables(key, data[key]))
    kept = {k: v for k, v in data.items() if k in read or not _FRAGMENT.search(v)}
    if not variables:
        return kept
    return {k: _VARIABLE.sub(lambda m: variables.get(m.group(1), m.group(0)), v) for k, v in kept.items()}


def _included(data: Mapping[str, str], entries: list[str]) -> set[str]:
    """The entry keys and every key they include, transitively; a path is matched on its file name (the
    ConfigMap is one directory), with globs."""
    read: set[str] = set()
    pending = list(entries)
    while pending:
        key = pending.pop()
        if key in read:
            continue
        read.add(key)
        for path in _includes(key, data[key]):
            name = path.rsplit("/", 1)[-1]
            pending.extend(k for k in data if fnmatch.fnmatchcase(k, name))
    return read


def _includes(key: str, text: str) -> list[str]:
    if key.lower().endswith((".yaml", ".yml")):
        parsed = _yaml(text)
        includes = parsed.get("includes") if isinstance(parsed, dict) else None
        return [str(i) for i in includes] if isinstance(includes, list) else []
    return _INCLUDE.findall(text)


def _variables(key: str, text: str) -> dict[str, str]:
    if key.lower().endswith((".yaml", ".yml")):
        parsed = _yaml(text)
        env = parsed.get("env") if isinstance(parsed, dict) else None
        return {str(k): str(v) for k, v in env.items()} if isinstance(env, dict) else {}
    return {name: value.strip("\"'") for name, value in _SET.findall(text)}


def _yaml(text: str) -> Any:
    try:
        return load_guarded(text)
    except (yaml.YAMLError, YamlRefused, RecursionError):
        return None


# --- Fluentd --------------------------------------------------------------------------------------


@dataclass
class Directive:
    """One ``<name argument>`` section of a Fluentd configuration, its parameters and subsections."""

    name: str
    argument: str
    parameters: dict[str, str] = field(default_factory=dict)
    children: list[Directive] = field(default_factory=list)


_OPEN = re.compile(r"^<\s*([A-Za-z_@][\w@.-]*)\s*([^>]*)>$")
_CLOSE = re.compile(r"^</\s*([A-Za-z_@][\w@.-]*)\s*>$")


def is_fluentd(text: str) -> bool:
    """Whether a ConfigMap value is a Fluentd configuration with outputs."""
    return re.search(r"^\s*<match\s", text, re.MULTILINE) is not None


def parse_fluentd(text: str) -> Directive:
    """The sections of a Fluentd configuration, under a root; unbalanced sections close at the end."""
    root = Directive("root", "")
    stack = [root]
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        closing = _CLOSE.match(line)
        if closing:
            if len(stack) > 1:
                stack.pop()
            continue
        opening = _OPEN.match(line)
        if opening:
            directive = Directive(opening.group(1), opening.group(2).strip())
            stack[-1].children.append(directive)
            stack.append(directive)
            continue
        name, _, value = line.partition(" ")
        stack[-1].parameters[name] = _unquote(value.split(" #", 1)[0].strip())
    return root


def fluentd_destinations(text: str, extra: Mapping[str, str] | None = None) -> list[Destination]:
    """Where the ``<match>`` sections of a Fluentd configuration (and the ``<store>``s inside them) send."""
    found: list[Destination] = []
    for directive, label in _outputs(parse_fluentd(text)):
        found.extend(_destinations(directive, label, extra))
    return found


def _outputs(directive: Directive, prefix: str = "") -> Iterator[tuple[Directive, str]]:
    """Each ``<match>`` (in a ``<label>`` or not) and each ``<store>`` of a ``copy`` match, with its label."""
    for child in directive.children:
        if child.name == "label":
            yield from _outputs(child, f"{prefix}<label {child.argument}> ")
        elif child.name == "match":
            label = f"{prefix}<match {child.argument}>"
            yield child, label
            stores = [c for c in child.children if c.name == "store"]
            for number, store in enumerate(stores, 1):
                yield store, f"{label} <store #{number}>"


def _destinations(directive: Directive, label: str, extra: Mapping[str, str] | None) -> list[Destination]:
    kind = directive.parameters.get("@type", directive.parameters.get("type", ""))
    table = _table()
    if kind in table["silent"]:
        return []
    row: dict[str, Any] = table["outputs"].get(kind) or {"hosts": ["host", "endpoint", "url"]}
    at = f"{label} @type {kind}"
    cloud_id = directive.parameters.get(str(row.get("cloud_id") or "\x00"))
    if cloud_id:
        return [(f"{at} {row['cloud_id']}", decode_elastic_cloud_id(cloud_id))]
    for name in row.get("hosts") or []:
        value = directive.parameters.get(name)
        if value:
            return [(f"{at} {name}", _place(value, directive, extra))]
    for name in row.get("lists") or []:
        values = [v.strip() for v in directive.parameters.get(name, "").split(",") if v.strip()]
        if values:
            return [(f"{at} {name}", _place(v, directive, extra)) for v in values]
    if row.get("servers"):
        servers = [c.parameters["host"] for c in directive.children if c.name == "server" and c.parameters.get("host")]
        if servers:
            return [(f"{at} <server> host", _place(h, directive, extra)) for h in servers]
    region = directive.parameters.get(str(row.get("region") or "\x00"))
    if region:
        host = f"{row.get('service') or 'logs'}.{region}.amazonaws.com"
        return [(f"{at} {row['region']}", place_endpoint(host, extra))]
    if row.get("default"):
        return [(f"{at} (default {row['default']})", place_endpoint(str(row["default"]), extra))]
    if row.get("region"):
        return [(at, Endpoint(at, "AWS", None, None, None, f"{at} sets no {row['region']}: the SDK's default "
                                                            "region applies"))]
    return []


def _place(value: str, directive: Directive, extra: Mapping[str, str] | None) -> Endpoint:
    if "#{" in value:
        return Endpoint(value, None, None, None, None, f"{value} is a Ruby expression the collector's environment "
                                                       "does not settle in the scanned input")
    scheme = directive.parameters.get("scheme")
    return place_endpoint(value if "://" in value or not scheme else f"{scheme}://{value}", extra)


def _unquote(value: str) -> str:
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'" else value


@cache
def _table() -> dict[str, Any]:
    raw = load_yaml(data_text("fluentd_outputs.yaml"))
    return {"outputs": dict(raw.get("outputs") or {}), "silent": frozenset(raw.get("silent") or ())}
