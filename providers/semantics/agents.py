"""The agents table (``data/agents.yaml``): how each telemetry agent or SDK is recognised, which of its variables
say where it sends, what their absence means, and which of its operator's custom resources say the same.

Adapters read every agent through this table rather than through code per vendor: a new agent, variable or
default is a line of data. Pure functions from settings to ``(setting, Endpoint)`` pairs, like
``providers.semantics.telemetry_settings``, whose variables the table repeats so that each agent's entry is complete.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from providers.semantics.data_files import data_text
from providers.semantics.endpoints import (
    Endpoint,
    decode_elastic_cloud_id,
    place_app_insights_connection_string,
    place_datadog_site,
    place_endpoint,
    place_newrelic_region,
    place_splunk_realm,
    place_sumo_deployment,
)
from providers.semantics.telemetry_settings import opaque_value
from scanner.yaml_data import load_yaml

Destination = tuple[str, Endpoint]

_SITES: Mapping[str, Callable[[str], Endpoint]] = {
    "datadog": place_datadog_site,
    "splunk": place_splunk_realm,
    "newrelic": place_newrelic_region,
    "sumologic": place_sumo_deployment,
}
_GIVES = frozenset({"site", "url", "urls", "licence_key", "cloud_id", "connection_string"})
_OPAQUE = opaque_value("")
# Set from the pod's own fields (status.hostIP, metadata.labels...): the node or the pod, in the cluster.
_IN_CLUSTER_SOURCES = ("fieldRef", "resourceFieldRef")


@dataclass(frozen=True)
class Variable:
    """One variable of an agent and what its value gives."""

    name: str
    gives: str
    family: str | None = None
    pattern: re.Pattern[str] | None = None
    separator: str | None = None
    prefixes: tuple[tuple[str, str], ...] = ()
    otherwise: str | None = None

    def matches(self, name: str) -> bool:
        """Whether an environment variable's name is this one."""
        return self.pattern.fullmatch(name) is not None if self.pattern else name == self.name


@dataclass(frozen=True)
class Absent:
    """What applies when none of ``unless`` is set (and, with ``when``, one of those is)."""

    value: str
    gives: str
    family: str | None
    unless: tuple[str, ...]
    when: tuple[str, ...]
    means: str


@dataclass(frozen=True)
class Switch:
    """A boolean setting and its value when absent."""

    variable: str
    default: bool

    def on(self, env: Mapping[str, str]) -> bool:
        """The switch's value in ``env``; a value the input does not show is taken as on (the worse case)."""
        value = env.get(self.variable)
        if value is None:
            return self.default
        if value.startswith(_OPAQUE):
            return True
        return value.strip().lower() in ("true", "1", "yes", "on")


@dataclass(frozen=True)
class Filters:
    """Variables narrowing which containers an agent collects, per signal (``both``, ``logs``, ``metrics``)."""

    syntax: str
    include: Mapping[str, tuple[str, ...]]
    exclude: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class CustomResource:
    """An operator's resource deploying the agent, and the field naming where it sends."""

    kind: str
    field: str
    gives: str
    family: str | None
    absent: str | None
    logs: str | None
    namespace_selectors: tuple[str, ...]
    collects: str
    """What the agents it deploys carry of every workload they watch, in words (``metrics and traces``)."""


@dataclass(frozen=True)
class Agent:
    """One row of the table."""

    name: str
    vendor: str | None
    images: tuple[re.Pattern[str], ...]
    containers: tuple[str, ...]
    node: bool
    anywhere: bool
    variables: tuple[Variable, ...]
    absent: tuple[Absent, ...]
    logs_enabled: Switch | None
    logs_all: Switch | None
    opt_in_annotation: re.Pattern[str] | None
    filters: Filters | None
    resources: tuple[CustomResource, ...]
    traces: Switch | None = None
    """A node agent's trace intake switch (``traces.enabled``)."""
    traces_from: tuple[str, ...] = ()
    """Variables a workload's tracer sets to send its traces to the node's agent."""


# --- lookups --------------------------------------------------------------------------------------


def agents() -> tuple[Agent, ...]:
    """Every agent in the table."""
    return _table()


def recognise(image: str, container: str = "") -> Agent | None:
    """The agent a container runs, by its image's registry/repository or, failing that, its name."""
    repository = image_repository(image)
    for agent in _table():
        if repository and any(p.search(repository) for p in agent.images):
            return agent
    for agent in _table():
        if container and container in agent.containers:
            return agent
    return None


def resource_kind(kind: str) -> tuple[Agent, CustomResource] | None:
    """The agent an operator's custom resource of this kind deploys."""
    for agent in _table():
        for resource in agent.resources:
            if resource.kind == kind:
                return agent, resource
    return None


def image_repository(image: str) -> str:
    """``registry/repository`` of an image reference, lower-cased, without its tag or digest."""
    text = image.strip().lower().split("@", 1)[0]
    head, _, tail = text.rpartition("/")
    return f"{head}/{tail.split(':', 1)[0]}" if head else tail.split(":", 1)[0]


# --- destinations ---------------------------------------------------------------------------------


def destinations(agent: Agent, env: Mapping[str, str], extra: Mapping[str, str] | None = None) -> list[Destination]:
    """Where a container recognised as ``agent`` sends, by its variables, and by their absence."""
    found = _variables(agent, env, extra)
    found.extend(_absent(agent, env, extra))
    return found


def sdk_destinations(env: Mapping[str, str], extra: Mapping[str, str] | None = None,
                     skip: frozenset[str] = frozenset()) -> list[Destination]:
    """Where the SDKs and tracers of any container send (agents marked ``anywhere``), but for the variables
    in ``skip`` (already read elsewhere)."""
    found: list[Destination] = []
    seen = set(skip)
    for agent in _table():
        if not agent.anywhere:
            continue
        for setting, endpoint in _variables(agent, env, extra) + _absent(agent, env, extra):
            if setting.split(" ", 1)[0] not in seen:
                seen.add(setting.split(" ", 1)[0])
                found.append((setting, endpoint))
    return found


def resource_destinations(kind: str, data: Mapping[str, Any],
                          extra: Mapping[str, str] | None = None) -> list[Destination]:
    """Where an operator's custom resource sends its agents' data, by its field or the field's absence."""
    match = resource_kind(kind)
    if match is None:
        return []
    agent, resource = match
    value = dotted(data, resource.field)
    if isinstance(value, str) and value.strip():
        return [(resource.field, _give(resource.gives, resource.family, value, extra))]
    if resource.absent is not None:
        placed = _give(resource.gives, resource.family, resource.absent, extra)
        return [(resource.field, replace(placed, note=f"{resource.field} is not set, so {agent.name} uses "
                                                      f"{resource.absent}: {placed.note}"))]
    return [(resource.field, Endpoint(resource.field, agent.vendor, None, None, None,
                                      f"{kind} sets no {resource.field}: where {agent.name} sends cannot be read"))]


def dotted(data: Any, path: str) -> Any:
    """The value at a dotted path (``spec.global.site``), or None."""
    for key in path.split("."):
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def _variables(agent: Agent, env: Mapping[str, str], extra: Mapping[str, str] | None) -> list[Destination]:
    found: list[Destination] = []
    for variable in agent.variables:
        for name, value in env.items():
            if not variable.matches(name) or not isinstance(value, str) or not value.strip():
                continue
            if value.startswith(_OPAQUE):
                source = value.removeprefix(_OPAQUE)
                if source.startswith(_IN_CLUSTER_SOURCES):
                    continue
                found.append((name, Endpoint(name, agent.vendor, None, None, None,
                                             f"{name} is set from {source}, which the scanned input does not show: "
                                             "its destination cannot be read")))
                continue
            if variable.gives == "urls":
                parts = [p.strip() for p in value.split(variable.separator or ",") if p.strip()]
                found.extend((name, place_endpoint(part, extra)) for part in parts)
            elif variable.gives == "licence_key":
                region = next((r for prefix, r in variable.prefixes if value.strip().lower().startswith(prefix)),
                              variable.otherwise or "")
                found.append((name, _give("site", variable.family, region, extra)))
            else:
                found.append((name, _give(variable.gives, variable.family, value, extra)))
    return found


def _absent(agent: Agent, env: Mapping[str, str], extra: Mapping[str, str] | None) -> list[Destination]:
    found: list[Destination] = []
    for absent in agent.absent:
        if any(name in env for name in absent.unless):
            continue
        if absent.when and not any(name in env for name in absent.when):
            continue
        placed = _give(absent.gives, absent.family, absent.value, extra)
        setting = absent.unless[0] if absent.unless else absent.value
        given = next((name for name in absent.when if name in env), None)
        if given is not None and absent.unless:
            # Name the variable that is set, not one that is not: "HONEYCOMB_API_KEY (HONEYCOMB_API_ENDPOINT
            # unset: default api.honeycomb.io)"; its first word stays the variable, as for every setting.
            setting = f"{given} ({absent.unless[0]} unset: default {absent.value})"
        found.append((setting, replace(placed, note=f"{absent.means}: {placed.note}" if placed.note else absent.means)))
    return found


def _give(gives: str, family: str | None, value: str, extra: Mapping[str, str] | None) -> Endpoint:
    if gives == "site":
        return _SITES[family or ""](value)
    if gives == "cloud_id":
        return decode_elastic_cloud_id(value)
    if gives == "connection_string":
        return place_app_insights_connection_string(value)
    return place_endpoint(value, extra)


# --- the data file --------------------------------------------------------------------------------


@cache
def _table() -> tuple[Agent, ...]:
    raw = load_yaml(data_text("agents.yaml"))
    rows = raw.get("agents") if isinstance(raw, dict) else None
    if not isinstance(rows, list):
        raise ValueError("agents.yaml: expected a list under agents")
    return tuple(_agent(row, index) for index, row in enumerate(rows))


def _agent(row: Any, index: int) -> Agent:
    where = f"agents.yaml agents[{index}]"
    if not isinstance(row, dict) or not isinstance(row.get("name"), str):
        raise ValueError(f"{where}: expected a mapping with a name")
    logs = row.get("logs") or {}
    filters = row.get("filters")
    return Agent(
        name=row["name"],
        vendor=row.get("vendor"),
        images=tuple(re.compile(p) for p in row.get("images") or ()),
        containers=tuple(str(c) for c in row.get("containers") or ()),
        node=bool(row.get("node")),
        anywhere=bool(row.get("anywhere")),
        variables=tuple(_variable(v, f"{where}.variables[{i}]") for i, v in enumerate(row.get("variables") or ())),
        absent=tuple(Absent(str(a["value"]), _gives(a, where), a.get("family"), tuple(a.get("unless") or ()),
                            tuple(a.get("when") or ()), str(a.get("means") or "")) for a in row.get("absent") or ()),
        logs_enabled=_switch(logs.get("enabled")),
        logs_all=_switch(logs.get("all")),
        opt_in_annotation=re.compile(logs["opt_in_annotation"]) if logs.get("opt_in_annotation") else None,
        filters=Filters(
            str(filters.get("syntax")),
            {signal: tuple(body.get("include") or ()) for signal, body in filters.items() if isinstance(body, dict)},
            {signal: tuple(body.get("exclude") or ()) for signal, body in filters.items() if isinstance(body, dict)},
        ) if isinstance(filters, dict) else None,
        resources=tuple(CustomResource(str(r["kind"]), str(r["field"]), _gives(r, where), r.get("family"),
                                       r.get("absent"), r.get("logs"), tuple(r.get("namespace_selectors") or ()),
                                       str(r.get("collects") or "metrics"))
                        for r in row.get("resources") or ()),
        traces=_switch((row.get("traces") or {}).get("enabled")),
        traces_from=tuple(str(v) for v in (row.get("traces") or {}).get("from") or ()),
    )


def _variable(body: Any, where: str) -> Variable:
    if not isinstance(body, dict) or not isinstance(body.get("name"), str):
        raise ValueError(f"{where}: expected a mapping with a name")
    gives = _gives(body, where)
    if gives == "site" and body.get("family") not in _SITES:
        raise ValueError(f"{where}: a site needs a family, one of {sorted(_SITES)}")
    return Variable(
        name=body["name"],
        gives=gives,
        family=body.get("family"),
        pattern=re.compile(body["name"]) if body.get("pattern") else None,
        separator=body.get("separator"),
        prefixes=tuple((str(k).lower(), str(v)) for k, v in (body.get("prefixes") or {}).items()),
        otherwise=body.get("otherwise"),
    )


def _gives(body: Mapping[str, Any], where: str) -> str:
    gives = str(body.get("gives"))
    if gives not in _GIVES:
        raise ValueError(f"{where}: gives must be one of {sorted(_GIVES)}, not {gives!r}")
    return gives


def _switch(body: Any) -> Switch | None:
    if not isinstance(body, dict):
        return None
    return Switch(str(body["variable"]), bool(body.get("default")))
