"""Grafana Alloy: where its configuration sends, whose data each destination can carry, and the Alloy Operator's
``Alloy`` resource.

The configuration is read as structure (``alloy_syntax``), never searched as text:

- **destinations** are the ``url``/``endpoint`` (and ``logs_endpoint``, ``metrics_endpoint``, ``traces_endpoint``)
  attributes and ``otelcol.exporter.kafka``'s ``brokers`` inside the components that send data on (``loki.write``,
  ``prometheus.remote_write``, ``pyroscope.write``, ``otelcol.exporter.*``); one written as an expression (a
  Secret's value, ``sys.env``) is not a string and is said to be unreadable;
- **the pipeline** is followed from the components that read the workloads' data (``loki.source.file``,
  ``loki.source.kubernetes``, ``loki.source.podlogs``, ``prometheus.scrape``, ``prometheus.operator.*``,
  ``pyroscope.*``, ``otelcol.receiver.filelog``/``kubeletstats``) and the targets they read
  (``discovery.kubernetes``) through ``forward_to``, ``targets`` and ``output`` references, the relabelling
  components (``discovery.relabel``, ``loki.relabel``, ``prometheus.relabel``) and the ``declare``d modules the
  configuration instantiates, to the sending components. A destination carries a workload's data only when some
  path to it can: its namespace is in the discovery's ``namespaces { names }`` and no ``keep``/``drop`` rule on
  its namespace (``__meta_kubernetes_namespace``, or a label copied from it) removes it.

What cannot be evaluated keeps the data flowing, and the ``how`` says so: a rule on a label the scan does not know
(a pod's node, a Service's annotation), a regular expression Python cannot read, a reference the scan cannot
follow (an imported module), targets written as literals or an expression.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from providers.kubernetes.alloy_syntax import (
    NOT_LITERAL,
    AlloySyntaxError,
    Array,
    Attribute,
    Block,
    Call,
    Document,
    Expr,
    Literal,
    Object,
    Reference,
    parse,
    references,
    shown,
)
from providers.kubernetes.manifests import Manifest
from providers.kubernetes.narrowing import Labels, Reads, by_paths
from providers.kubernetes.workloads import as_dict, namespace, pod_template
from providers.semantics.endpoints import Endpoint, place_endpoint

KIND = "Alloy"

_SENDERS = ("loki.write", "prometheus.remote_write", "pyroscope.write")
_DESTINATION_ATTRIBUTES = ("url", "endpoint", "logs_endpoint", "metrics_endpoint", "traces_endpoint", "brokers")
_NAMESPACES = ("loki", "prometheus", "otelcol", "pyroscope", "discovery", "local", "remote", "faro", "beyla",
               "mimir", "import", "declare", "logging", "tracing", "livedebugging", "http", "remotecfg",
               "database_observability")
_SIGNALS = {"loki.write": frozenset({"logs"}), "prometheus.remote_write": frozenset({"metrics"}),
            "pyroscope.write": frozenset({"profiles"})}
_MAX_MODULE_DEPTH = 8


def _is_sender(name: str) -> bool:
    return name in _SENDERS or name.startswith("otelcol.exporter.")


@lru_cache(maxsize=64)
def _parsed(text: str) -> Document | AlloySyntaxError:
    try:
        return parse(text)
    except AlloySyntaxError as error:
        return error


def is_alloy(key: str, text: str) -> bool:
    """Whether a ConfigMap value is an Alloy configuration: its key says so, or it parses as Alloy and holds an
    Alloy component."""
    if key.endswith(".alloy"):
        return True
    document = _parsed(text)
    return isinstance(document, Document) and any(
        b.name.split(".", 1)[0] in _NAMESPACES and ("." in b.name or b.name == "declare") for b in document.blocks())


# --- the result -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Destination:
    """One destination of a configuration: the setting naming it, where it is, and for the data of which signal
    and workloads (None: not followed, whatever the collector carries)."""

    setting: str
    endpoint: Endpoint
    line: int | None = None
    signals: frozenset[str] | None = None
    reads: Reads | None = None


@dataclass
class Reading:
    """What one configuration says: its destinations, and per signal whose data its sources read."""

    destinations: list[Destination] = field(default_factory=list)
    carriages: dict[str, Reads] = field(default_factory=dict)
    unreadable: str | None = None
    """Why the configuration could not be read (it does not parse), naming the key and line; None when it was."""


def destinations(key: str, text: str, extra: Mapping[str, str] | None = None) -> list[tuple[str, Endpoint]]:
    """(setting, endpoint) of each destination attribute in the components that send data on."""
    reading = read(key, text, extra)
    return list(dict.fromkeys((d.setting, d.endpoint) for d in reading.destinations))


def signals(label: str) -> frozenset[str] | None:
    """The signals the component a destination label names sends (``... prometheus.remote_write url``: metrics)."""
    return next((found for block, found in _SIGNALS.items() if f" {block} " in f" {label} "), None)


def read(key: str, text: str, extra: Mapping[str, str] | None = None, own: str = "") -> Reading:
    """A configuration's destinations and pipeline; ``own`` is the namespace the collector runs in."""
    document = _parsed(text)
    if isinstance(document, AlloySyntaxError):
        why = f"{key} does not parse as Alloy configuration at line {document.line} ({document.reason})"
        return Reading([Destination(key, Endpoint(key, None, None, None, None,
                                                  f"{why}: where it sends cannot be read"), document.line)],
                       {}, why)
    return _Pipeline(key, document, extra, own).reading()


# --- components and modules -----------------------------------------------------------------------


@dataclass(eq=False)
class _Scope:
    prefix: str
    arguments: dict[str, tuple[Expr, _Scope]]
    declares: dict[str, Block]
    components: dict[str, _Component] = field(default_factory=dict)
    instances: dict[str, _Scope] = field(default_factory=dict)
    """The declared modules instantiated in this scope, by ``name.label``."""
    exports: dict[str, Expr] = field(default_factory=dict)
    """A module instance's ``export "name" { value = ... }``."""


@dataclass(eq=False)
class _Component:
    id: str
    name: str
    block: Block
    scope: _Scope
    pushes: list[tuple[_Component, str | None]] = field(default_factory=list)
    """Where it sends (and of which signal, when an ``output`` block says)."""
    pulls: list[_Component] = field(default_factory=list)
    """The components whose targets it reads."""
    unfollowed: list[str] = field(default_factory=list)
    """Its ``forward_to``/``output`` references that could not be followed."""
    static_targets: str | None = None
    """Its ``targets`` when written as literals or an expression the scan does not follow."""
    static_paths: list[str] | None = None
    """The ``__path__`` of each of its literal targets, when every one has one (files it reads)."""


_DATA_SOURCES = {"loki.source.file": "logs", "loki.source.kubernetes": "logs", "prometheus.scrape": "metrics",
                 "pyroscope.ebpf": "profiles", "pyroscope.java": "profiles", "pyroscope.scrape": "profiles"}
"""Components that read their targets' data: the targets' labels become the data's."""
_RELABELS = ("discovery.relabel", "loki.relabel", "prometheus.relabel")
_TARGET_ATTRIBUTES = ("targets", "path_targets")
_PUSH_EXPORTS = ("receiver", "input")
_PULL_EXPORTS = ("targets", "output")
_EVERY_WORKLOAD_TARGETS = ("prometheus.exporter.cadvisor", "beyla.ebpf")
"""Target origins whose data is every workload's on the node (its containers' metrics, its instrumented apps)."""


class _Unfollowed(Exception):
    pass


class _Pipeline:
    def __init__(self, key: str, document: Document, extra: Mapping[str, str] | None, own: str) -> None:
        self.key = key
        self.extra = extra
        self.own = own
        self.components: list[_Component] = []
        self.modules_unread: list[str] = []
        root = _Scope("", {}, {})
        self._instantiate(document.body, root, 0)
        for component in self.components:
            self._link(component)
        self.cache: dict[Any, dict[tuple[str, str], bool]] = {}

    # building
    def _instantiate(self, body: tuple[Attribute | Block, ...], scope: _Scope, depth: int) -> None:
        blocks = [s for s in body if isinstance(s, Block)]
        scope.declares.update({b.label: b for b in blocks if b.name == "declare" and b.label})
        for block in blocks:
            if block.name in ("declare", "argument", "export") or block.label is None:
                continue
            declared = scope.declares.get(block.name)
            if declared is not None:
                if depth >= _MAX_MODULE_DEPTH:
                    self.modules_unread.append(f"{block.name} \"{block.label}\" (modules nested too deep)")
                    continue
                inner = _Scope(f"{scope.prefix}{block.name}.{block.label}/",
                               {a.name: (a.value, scope) for a in block.attributes}, dict(scope.declares))
                scope.instances[f"{block.name}.{block.label}"] = inner
                for export in declared.blocks("export"):
                    value = export.attribute("value")
                    if export.label and value is not None:
                        inner.exports[export.label] = value.value
                self._instantiate(declared.body, inner, depth + 1)
                continue
            if block.name.startswith("import."):
                self.modules_unread.append(f"{block.name} \"{block.label}\"")
                continue
            local = f"{block.name}.{block.label}"
            component = _Component(f"{scope.prefix}{local}", block.name, block, scope)
            scope.components[local] = component
            self.components.append(component)

    def _resolve(self, expr: Expr, scope: _Scope, depth: int = 0) -> list[tuple[_Component, str | None]]:
        """The components an expression refers to, with the export named; ``_Unfollowed`` for a reference that
        names no component of the configuration (an imported module's, an argument that is not given)."""
        found: list[tuple[_Component, str | None]] = []
        for ref in references(expr):
            parts = ref.parts
            if parts[0] == "argument" and len(parts) >= 3 and parts[2] == "value":
                given = scope.arguments.get(parts[1])
                if given is None:
                    continue  # an optional argument not given is null: nothing
                if depth > _MAX_MODULE_DEPTH:
                    raise _Unfollowed(ref.dotted)
                found += self._resolve(given[0], given[1], depth + 1)
                continue
            instance = scope.instances.get(".".join(parts[:2])) if len(parts) >= 3 else None
            if instance is not None and parts[2] in instance.exports:
                if depth > _MAX_MODULE_DEPTH:
                    raise _Unfollowed(ref.dotted)
                found += self._resolve(instance.exports[parts[2]], instance, depth + 1)
                continue
            for length in range(len(parts) - 1, 1, -1):
                component = scope.components.get(".".join(parts[:length]))
                if component is not None:
                    found.append((component, parts[length] if length < len(parts) else None))
                    break
            else:
                if parts[0] not in ("sys", "constants", "env", "coalesce", "concat", "array", "string", "encoding",
                                    "json_decode", "json_path", "nonsensitive", "format", "join", "split", "replace",
                                    "to_lower", "to_upper", "trim", "trim_prefix", "trim_suffix", "trim_space"):
                    raise _Unfollowed(ref.dotted)
        return found

    def _link(self, component: _Component) -> None:
        def data_attributes(block: Block, output: bool) -> Iterator[tuple[Attribute, str | None]]:
            for statement in block.body:
                if isinstance(statement, Attribute):
                    if output:
                        yield statement, statement.name
                    elif statement.name in ("forward_to", *_TARGET_ATTRIBUTES):
                        yield statement, None
                elif statement.name == "output" and not output:
                    yield from data_attributes(statement, True)

        for attribute, signal in data_attributes(component.block, False):
            try:
                resolved = self._resolve(attribute.value, component.scope)
            except _Unfollowed as error:
                if attribute.name in _TARGET_ATTRIBUTES:
                    component.static_targets = f"{attribute.name} = {shown(attribute.value)} ({error} not followed)"
                else:
                    component.unfollowed.append(f"{component.id} {attribute.name} {error}")
                continue
            if attribute.name in _TARGET_ATTRIBUTES:
                upstream = [c for c, export in resolved if export in _PULL_EXPORTS]
                component.pulls += upstream
                if not upstream and not resolved and not _empty(attribute.value):
                    component.static_targets = f"{attribute.name} = {shown(attribute.value)}"
                    value = _evaluate(attribute.value, component.scope, 0)
                    paths = [t.get("__path__") for t in value if isinstance(t, dict)] \
                        if isinstance(value, list) else []
                    if paths and all(isinstance(p, str) for p in paths) and len(paths) == len(value):
                        component.static_paths = [str(p) for p in paths]
            else:
                component.pushes += [(c, signal) for c, export in resolved if export in _PUSH_EXPORTS]

    # destinations
    def _destinations(self) -> Iterator[tuple[_Component, str, Endpoint, int]]:
        for component in self.components:
            if not _is_sender(component.name):
                continue
            for attribute in _attributes_within(component.block):
                if attribute.name not in _DESTINATION_ATTRIBUTES:
                    continue
                label = f"{self.key} {component.name} {attribute.name}"
                value = attribute.value
                items = value.items if attribute.name == "brokers" and isinstance(value, Array) else (value,)
                for item in items:
                    if isinstance(item, Literal) and isinstance(item.value, str):
                        yield component, label, place_endpoint(item.value, self.extra), item.line
                    else:
                        yield component, label, Endpoint(
                            label, None, None, None, None,
                            f"{label} is the expression {shown(item)}, which the scan does not evaluate: where it "
                            "sends cannot be read"), item.line

    # the walk
    def _origins(self) -> Iterator[tuple[_Component, str | None]]:
        """Where workloads' data enters: target discovery, and sources that find their own."""
        for component in self.components:
            name = component.name
            if name in ("discovery.kubernetes", "discovery.kubelet", *_EVERY_WORKLOAD_TARGETS):
                yield component, None
            elif name in ("loki.source.podlogs", "otelcol.receiver.filelog"):
                yield component, "logs"
            elif name.startswith("prometheus.operator.") or name == "otelcol.receiver.kubeletstats":
                yield component, "metrics"
            elif name in _DATA_SOURCES and component.static_targets is not None:
                yield component, _DATA_SOURCES[name]
            elif name == "local.file_match" and component.static_targets is not None:
                yield component, None

    def _start(self, component: _Component, workload: Manifest | None, labels: Labels) -> _Target | None:
        """The labels a workload's data (or targets) start with at an origin; None when it does not read it."""
        name, block = component.name, component.block
        if workload is None:
            return _Target({}, ())
        ns = namespace(workload)
        if name in ("discovery.kubernetes", "discovery.kubelet"):
            role = str(_value(block.attribute("role"), component.scope) or "pod")
            names = self._namespaces(component)
            if names is not None and ns not in names:
                return None
            if name == "discovery.kubernetes" and role == "node":
                # A node's kubelet (cAdvisor): every container's metrics on it, labelled with its namespace.
                return _Target({_NODE_WORKLOAD: ns}, ())
            known = {"__meta_kubernetes_namespace": ns}
            closed: tuple[str, ...] = ()
            if role in ("pod", "endpoints", "endpointslice") or name == "discovery.kubelet":
                meta = as_dict((pod_template(workload) or {}).get("metadata"))
                for kind in ("label", "annotation"):
                    for k, v in as_dict(meta.get(f"{kind}s")).items():
                        known[f"__meta_kubernetes_pod_{kind}_{_sanitise(str(k))}"] = str(v)
                        known[f"__meta_kubernetes_pod_{kind}present_{_sanitise(str(k))}"] = "true"
                closed = tuple(f"__meta_kubernetes_pod_{kind}{p}_" for kind in ("label", "annotation")
                               for p in ("", "present"))
            return _Target(known, closed)
        if name == "loki.source.podlogs":
            return _Target({"__meta_kubernetes_namespace": ns, "namespace": ns}, ())
        if name.startswith("prometheus.operator."):
            names = _strings(_value(block.attribute("namespaces"), component.scope))
            return None if names and ns not in names else _Target({}, ())
        if component.static_paths is not None and not by_paths(component.static_paths, [], "").test(workload,
                                                                                                   labels):
            return None  # files that are no container's log (an audit log, the journal)
        if name == "otelcol.receiver.filelog":
            include = _strings(_value(block.attribute("include"), component.scope))
            exclude = _strings(_value(block.attribute("exclude"), component.scope))
            if include and not by_paths(include, exclude, "").test(workload, labels):
                return None
        return _Target({}, ())

    def _namespaces(self, component: _Component) -> list[str] | None:
        """The namespaces a discovery is limited to; None for every one (or when the list cannot be read)."""
        blocks = component.block.blocks("namespaces")
        if not blocks:
            return None
        names = _value(blocks[0].attribute("names"), component.scope)
        listed = _strings(names) if names is not NOT_LITERAL else None
        if listed is None:
            return None
        if _value(blocks[0].attribute("own_namespace"), component.scope) is True and self.own:
            listed.append(self.own)
        return listed or None

    def _walk(self, workload: Manifest | None, labels: Labels) -> set[tuple[str, str]]:
        """(sender id, signal) of every sending component some path of the workload's data reaches; with no
        workload, every path (no rule narrows what it does not know)."""
        reached: set[tuple[str, str]] = set()
        senders = [c for c in self.components if _is_sender(c.name)]
        seen: set[tuple[str, Any, str | None]] = set()
        stack: list[tuple[_Component, _Target, str | None]] = []
        for origin, signal in self._origins():
            target = self._start(origin, workload, labels)
            if target is not None:
                stack.append((origin, target, signal))
        while stack:
            component, target, signal = stack.pop()
            key = (component.id, target.key(), signal)
            if key in seen:
                continue
            seen.add(key)
            name = component.name
            if name in _RELABELS:
                target_after = _relabel(component, target, None)
                if target_after is None:
                    continue
                target = target_after
            if name in _DATA_SOURCES and signal is None:
                signal = _DATA_SOURCES[name]
                target = target.data()
            elif name == "otelcol.receiver.loki":
                signal = "logs"
            elif name == "otelcol.receiver.prometheus":
                signal = "metrics"
            if _is_sender(component.name) and signal is not None:
                reached.add((component.id, signal))
            if component.unfollowed and signal is not None:
                reached.update((s.id, signal) for s in senders)
            for downstream, wanted in component.pushes:
                if wanted is None or signal is None or wanted == signal:
                    stack.append((downstream, target, wanted or signal))
            for consumer in self.components:
                if component in consumer.pulls:
                    stack.append((consumer, target, signal))
        return reached

    def _origin_words(self, origin: _Component) -> str:
        name = origin.name
        if name == "discovery.kubernetes":
            role = _value(origin.block.attribute("role"), origin.scope)
            names = self._namespaces(origin)
            return (f"{origin.id} (role {role}, " +
                    (f"namespaces {', '.join(names)})" if names else "every namespace)"))
        if name.startswith("prometheus.operator."):
            names = _strings(_value(origin.block.attribute("namespaces"), origin.scope))
            return f"{origin.id} ({'namespaces ' + ', '.join(names) if names else 'every namespace'})"
        if name == "loki.source.podlogs":
            return f"{origin.id} (the PodLogs objects it follows are not read: every namespace)"
        if origin.static_paths is not None:
            return f"{origin.id} (files {', '.join(origin.static_paths)})"
        if origin.static_targets is not None:
            return f"{origin.id} {origin.static_targets}: not narrowed by namespace"
        return origin.id

    def reading(self) -> Reading:
        reading = Reading()
        everything = self._walk(None, lambda _n: None)
        gaps = [f"modules {', '.join(self.modules_unread)} are not read"] if self.modules_unread else []
        for component, label, endpoint, line in self._destinations():
            signals = frozenset(s for c, s in everything if c == component.id)
            for signal in sorted(signals) or [None]:
                if signal is None:
                    reading.destinations.append(Destination(label, endpoint, line, frozenset()))
                    continue
                how = self._how(component, signal, gaps)
                reading.destinations.append(Destination(label, endpoint, line, frozenset({signal}),
                                                        Reads(self._test(component.id, signal), how)))
        for signal in sorted({s for _, s in everything}):
            reading.carriages[signal] = Reads(self._test(None, signal), f"its configuration {self.key} reads "
                                                                         f"{signal}")
        return reading

    def _how(self, sender: _Component | None, signal: str, gaps: list[str]) -> str:
        """In words: the origins whose paths bring a signal to a sender (to any, with none), the rules on those
        paths that narrow whose data, and what the scan could not evaluate and so took to keep everything."""
        senders = [sender] if sender is not None else [c for c in self.components if _is_sender(c.name)]
        origins, on_path, unfollowed = [], [], []
        for origin, _ in self._origins():
            forward = self._forward(origin, signal)
            hit = [s for s in senders if s in forward]
            if not hit:
                continue
            origins.append(self._origin_words(origin))
            backward = self._backward(hit)
            on_path += [c for c in self.components if c in forward and c in backward]
            unfollowed += [u for c in forward if c in backward or c.unfollowed for u in c.unfollowed]
        narrowing: list[str] = []
        unknown: list[str] = []
        for component in dict.fromkeys(on_path):
            if component.name in _RELABELS:
                notes: list[str] = []
                _relabel(component, _Target({}, ()), notes)
                narrowing += [n for n in notes if not n.startswith("?")]
                unknown += [n[1:] for n in notes if n.startswith("?")]
        words = ", ".join(dict.fromkeys(origins)) or "no source the scan reads"
        said = [f"narrowed by {'; '.join(dict.fromkeys(narrowing))}"] if narrowing else []
        if unknown:
            listed = list(dict.fromkeys(unknown))
            said.append(f"not evaluated, taken to keep everything: {'; '.join(listed[:3])}"
                        + (f" and {len(listed) - 3} more" if len(listed) > 3 else ""))
        if unfollowed:
            said.append(f"{', '.join(dict.fromkeys(unfollowed))} not followed: taken to reach every destination")
        target = f" to {sender.id}" if sender is not None else ""
        return f"{words}{target}" + "".join(f"; {w}" for w in [*said, *gaps])

    def _forward(self, origin: _Component, signal: str) -> set[_Component]:
        """The components a path from an origin passes with a signal (rules not applied)."""
        fixed = next((s for o, s in self._origins() if o is origin), None)
        seen: set[tuple[_Component, str | None]] = set()
        stack: list[tuple[_Component, str | None]] = [(origin, fixed)]
        while stack:
            component, current = stack.pop()
            if (component, current) in seen:
                continue
            seen.add((component, current))
            if component.name in _DATA_SOURCES and current is None:
                current = _DATA_SOURCES[component.name]
            elif component.name == "otelcol.receiver.loki":
                current = "logs"
            elif component.name == "otelcol.receiver.prometheus":
                current = "metrics"
            if current is not None and current != signal:
                continue
            if component.unfollowed and current == signal:
                seen.update((c, signal) for c in self.components if _is_sender(c.name))
            stack += [(d, w or current) for d, w in component.pushes if w is None or current is None or w == current]
            stack += [(c, current) for c in self.components if component in c.pulls]
        return {c for c, current in seen if current in (None, signal)}

    def _backward(self, senders: list[_Component]) -> set[_Component]:
        """The components with a path to any of the senders."""
        found = set(senders)
        changed = True
        while changed:
            changed = False
            for component in self.components:
                if component in found:
                    continue
                if any(d in found for d, _ in component.pushes) or any(
                        c in found and component in c.pulls for c in self.components) or component.unfollowed:
                    found.add(component)
                    changed = True
        return found

    def _test(self, sender: str | None, signal: str) -> Any:
        def test(workload: Manifest, labels: Labels) -> bool:
            template = pod_template(workload) or {}
            key = (namespace(workload), repr(as_dict(template.get("metadata"))), workload.kind, workload.name)
            if key not in self.cache:
                self.cache[key] = {k: True for k in self._walk(workload, labels)}
            reached = self.cache[key]
            return any(s == signal and (sender is None or c == sender) for c, s in reached)
        return test


def _empty(expr: Expr) -> bool:
    return isinstance(expr, Array) and not expr.items


def _attributes_within(block: Block) -> Iterator[Attribute]:
    for statement in block.body:
        if isinstance(statement, Attribute):
            yield statement
        elif statement.name not in ("tls", "tls_config", "oauth2", "authorization", "basic_auth", "sigv4",
                                    "azuread", "proxy"):
            yield from _attributes_within(statement)


def _value(attribute: Attribute | None, scope: _Scope, depth: int = 0) -> Any:
    """An attribute's plain value, through module arguments and ``coalesce``; ``NOT_LITERAL`` when it is an
    expression the scan does not evaluate, None when it is not set."""
    if attribute is None:
        return None
    return _evaluate(attribute.value, scope, depth)


def _evaluate(expr: Expr, scope: _Scope, depth: int) -> Any:
    if depth > _MAX_MODULE_DEPTH:
        return NOT_LITERAL
    if isinstance(expr, Literal):
        return expr.value
    if isinstance(expr, Array):
        items = [_evaluate(i, scope, depth + 1) for i in expr.items]
        return NOT_LITERAL if any(i is NOT_LITERAL for i in items) else items
    if isinstance(expr, Object):
        fields = {k: _evaluate(v, scope, depth + 1) for k, v in expr.fields}
        return NOT_LITERAL if any(v is NOT_LITERAL for v in fields.values()) else fields
    if isinstance(expr, Reference) and len(expr.parts) == 3 and expr.parts[0] == "argument" and \
            expr.parts[2] == "value":
        given = scope.arguments.get(expr.parts[1])
        return None if given is None else _evaluate(given[0], given[1], depth + 1)
    if isinstance(expr, Call) and isinstance(expr.function, Reference) and expr.function.dotted == "coalesce":
        for argument in expr.arguments:
            value = _evaluate(argument, scope, depth + 1)
            if value is NOT_LITERAL:
                return NOT_LITERAL
            if value not in (None, "", [], {}, 0, False):
                return value
        return None
    if isinstance(expr, Call) and isinstance(expr.function, Reference) and \
            expr.function.dotted in ("concat", "array.concat"):
        values = [_evaluate(a, scope, depth + 1) for a in expr.arguments]
        if any(not isinstance(v, list) for v in values):
            return NOT_LITERAL
        return [i for v in values for i in v]
    return NOT_LITERAL


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _sanitise(name: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_]", "_", name)


# --- relabelling ----------------------------------------------------------------------------------


class _Target:
    """The labels of a target (or of data) as far as the scan knows them: ``known`` values, and prefixes under
    which a label not known is absent (a pod's labels, read from its template); any other label is unknown."""

    def __init__(self, known: dict[str, str], closed: tuple[str, ...]) -> None:
        self.known = known
        self.closed = closed

    def get(self, name: str) -> str | None:
        if name in self.known:
            return self.known[name]
        return "" if self.closed and name.startswith(self.closed) else None

    def key(self) -> Any:
        return tuple(sorted(self.known.items()))

    def with_label(self, name: str, value: str | None) -> _Target:
        known = dict(self.known)
        if value is None:
            known.pop(name, None)
            closed = tuple(p for p in self.closed if not name.startswith(p))
            return _Target(known, closed)
        known[name] = value
        return _Target(known, self.closed)

    def data(self) -> _Target:
        """The labels a source gives the data it reads from a target: its labels but the ``__`` ones (a node's
        containers' metrics are labelled with their namespace)."""
        known = {k: v for k, v in self.known.items() if not k.startswith("__")}
        if _NODE_WORKLOAD in self.known:
            known["namespace"] = self.known[_NODE_WORKLOAD]
        return _Target(known, ())


_NODE_WORKLOAD = "__node_workload_namespace"


def _relabel(component: _Component, target: _Target, notes: list[str] | None) -> _Target | None:
    """A target after a relabelling component's rules; None when a rule drops it. Rules on a label the scan does
    not know keep it (with ``notes``, said so)."""
    for rule in component.block.blocks("rule"):
        settings = {a.name: _evaluate(a.value, component.scope, 0) for a in rule.attributes}
        action = str(settings.get("action") or "replace").lower()
        sources = settings.get("source_labels")
        regex_text = settings.get("regex")
        regex_text = "(.*)" if regex_text is None else regex_text
        where = f"{component.id} rule (line {rule.line})"
        if sources is NOT_LITERAL or regex_text is NOT_LITERAL or not isinstance(sources, list | type(None)):
            if action in ("keep", "drop", "keepequal", "dropequal") and notes is not None:
                notes.append(f"?{where} {action}s by an expression")
            if action == "replace" and isinstance(settings.get("target_label"), str):
                target = target.with_label(str(settings["target_label"]), None)
            continue
        names = [str(s) for s in sources or []]
        separator = str(settings.get("separator", ";"))
        values = [target.get(n) for n in names]
        value = None if any(v is None for v in values) else separator.join(v or "" for v in values)
        try:
            pattern = re.compile(f"(?:{regex_text})", re.DOTALL)
        except (re.error, RecursionError, OverflowError):
            pattern = None
        if action in ("keep", "drop"):
            words = f"{action}s {'+'.join(names)} =~ {regex_text}"
            if notes is not None:
                known_label = all(n == "__meta_kubernetes_namespace" or n.startswith("__meta_kubernetes_pod_label")
                                  or n.startswith("__meta_kubernetes_pod_annotation") or _from_namespace(component, n)
                                  for n in names)
                notes.append(f"{component.id} {words}" if known_label and pattern is not None else
                             f"?{where} {words}" + ("" if pattern is not None else " (a regex Python cannot read)"))
            if value is None or pattern is None:
                continue
            matched = pattern.fullmatch(value) is not None
            if matched != (action == "keep"):
                return None
        elif action in ("keepequal", "dropequal"):
            other = target.get(str(settings.get("target_label") or ""))
            if value is None or other is None:
                if notes is not None:
                    notes.append(f"?{where} {action} {'+'.join(names)}")
                continue
            if (value == other) != (action == "keepequal"):
                return None
        elif action == "replace":
            label = settings.get("target_label")
            if not isinstance(label, str) or not label:
                continue
            if value is None or pattern is None or "$" in label:
                target = target.with_label(label, None) if "$" not in label else target
                continue
            match = pattern.fullmatch(value)
            if match is not None:
                target = target.with_label(label, _expand(match, str(settings.get("replacement", "$1"))))
        elif action in ("lowercase", "uppercase"):
            label = settings.get("target_label")
            if isinstance(label, str) and label:
                target = target.with_label(label, None if value is None else
                                           value.lower() if action == "lowercase" else value.upper())
        elif action == "hashmod":
            label = settings.get("target_label")
            if isinstance(label, str) and label:
                target = target.with_label(label, None)
        elif action in ("labelmap", "labeldrop", "labelkeep") and pattern is not None:
            known = dict(target.known)
            for name in list(known):
                match = pattern.fullmatch(name)
                if action == "labelmap" and match is not None:
                    target = target.with_label(_expand(match, str(settings.get("replacement", "$1"))), known[name])
                elif (action == "labeldrop") == (match is not None):
                    target = target.with_label(name, "")
    return target


def _from_namespace(component: _Component, label: str) -> bool:
    """Whether a label was copied from the namespace by an earlier rule of the component (k8s-monitoring's
    ``__meta_kubernetes_namespace`` -> ``namespace``), or is the ``namespace`` of log data."""
    if label == "namespace" and component.name in ("loki.relabel", "prometheus.relabel"):
        return True
    for rule in component.block.blocks("rule"):
        settings = {a.name: _evaluate(a.value, component.scope, 0) for a in rule.attributes}
        if settings.get("target_label") == label and settings.get("source_labels") == ["__meta_kubernetes_namespace"]:
            return True
    return False


_GROUP = re.compile(r"\$\$|\$\{(\w+)\}|\$(\w+)")


def _expand(match: re.Match[str], replacement: str) -> str:
    """A relabel replacement with Go's ``$1``, ``${1}``, ``$name`` filled from the match."""
    def group(found: re.Match[str]) -> str:
        if found.group(0) == "$$":
            return "$"
        name = found.group(1) or found.group(2)
        try:
            return match.group(int(name) if name.isdigit() else name) or ""
        except IndexError:
            return ""
    return _GROUP.sub(group, replacement)


# --- the Alloy Operator's resource ----------------------------------------------------------------


def resource_config(resource: Manifest, config_maps: Mapping[tuple[str, str], Manifest]) -> Manifest | None:
    """The ConfigMap an ``Alloy`` resource runs: ``spec.alloy.configMap.name``, else the resource's own name."""
    spec = as_dict(as_dict(resource.data.get("spec")).get("alloy"))
    name = str(as_dict(spec.get("configMap")).get("name") or resource.name)
    return config_maps.get((namespace(resource), name))


def resource_mounts_logs(resource: Manifest) -> list[str]:
    """The node log directories an ``Alloy`` resource mounts (``spec.alloy.mounts``)."""
    mounts = as_dict(as_dict(as_dict(resource.data.get("spec")).get("alloy")).get("mounts"))
    return [f"/{'var/log' if k == 'varlog' else 'var/lib/docker/containers'}" for k in ("varlog", "dockercontainers")
            if mounts.get(k) is True]
