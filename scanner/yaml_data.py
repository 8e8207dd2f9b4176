"""YAML loading: libyaml's C loader when present, safe always, and guarded for untrusted input.

``load_yaml`` reads the project's own knowledge files and the user's config. ``load_documents_guarded``
and ``load_guarded`` read input from the estate being scanned (manifests, configurations embedded in
them): PyYAML's aliases are shared references, so an alias bomb costs nothing to load but explodes
when walked, and libyaml recurses on nesting until the C stack runs out. Both are refused first.

The C loader reads the region catalogue ten times faster than the pure-Python one, which is the
difference between a scan that starts at once and one that visibly pauses.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import yaml

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


_PLAIN_TAGS: dict[str, str] = {}
"""The tag each plain scalar resolves to: the same few hundred keys and values recur across a rendered chart."""


class _InputLoader(_Loader):  # type: ignore[valid-type,misc]
    """The safe loader, with the YAML 1.1 scalars Kubernetes reads as plain strings."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        # A plain scalar's tag depends on its text alone (the safe loader has no path resolvers): resolved once.
        if kind is not yaml.ScalarNode or not implicit[0] or len(value) > 64:
            return super().resolve(kind, value, implicit)
        tag = _PLAIN_TAGS.get(value)
        if tag is None:
            tag = super().resolve(kind, value, implicit)
            if len(_PLAIN_TAGS) < 100_000:
                _PLAIN_TAGS[value] = tag
        return tag


# YAML 1.1's "value" key type: a bare `=` (kube-prometheus's own CRDs hold `- =` in an enum). Go's YAML
# reader, which the API server uses, reads it as the string "="; PyYAML has no constructor for it.
_InputLoader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))


class YamlRefused(Exception):
    """A YAML document refused as hostile or broken (alias bomb, deep nesting, duplicate key)."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line
        """1-based line, within the text given, where the refused part starts."""


MAX_EXPANDED_NODES = 200_000
"""Nodes a document may have once aliases are expanded; a real manifest has a few thousand at most."""

MAX_NESTING = 1000
"""Nesting a document may have; far past any manifest, and well short of where libyaml's recursion
exhausts the C stack (about 30,000 levels kill the process outright)."""


def _check_nesting(chunk: str) -> None:
    if chunk.count("[") + chunk.count("{") > MAX_NESTING:
        depth = deepest = 0
        for char in re.sub(r'"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'', "", chunk):
            if char in "[{":
                depth += 1
                deepest = max(deepest, depth)
            elif char in "]}":
                depth = max(0, depth - 1)
        if deepest > MAX_NESTING:
            raise YamlRefused(f"document refused: nested about {deepest:,} levels deep (the limit is "
                              f"{MAX_NESTING:,})", 1)
    indent = max((len(m.group(0)) for m in re.finditer(r"^ +", chunk, re.MULTILINE)), default=0)
    if indent > 4 * MAX_NESTING:
        raise YamlRefused(f"document refused: indented about {indent // 2:,} levels deep (the limit is "
                          f"{MAX_NESTING:,})", 1)


def load_documents_guarded(chunk: str, lines: dict[int, int] | None = None) -> Iterator[tuple[yaml.Node, Any]]:
    """Each document of a YAML text as (node, value), refusing hostile ones with ``YamlRefused``.

    ``lines``, when given, receives the 0-based line of each mapping and list built, by ``id()`` of the value, for
    the documents built by the plain walk (so a caller need not walk the nodes again to find them)."""
    _check_nesting(chunk)
    # An alias starts with '*': text without one cannot expand, so only duplicate keys need a walk (the
    # expanded-size walk is most of the cost of reading a large rendered chart).
    may_alias = "*" in chunk
    loader = _InputLoader(chunk)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            if not may_alias:
                yield node, _plain_document(loader, node, lines)
                continue
            size = _expanded_size(node)
            if size > MAX_EXPANDED_NODES:
                raise YamlRefused(f"document refused: its aliases expand to more than {MAX_EXPANDED_NODES:,} "
                                  f"nodes (at least {size:,}); this looks like an alias bomb", node.start_mark.line + 1)
            yield node, loader.construct_document(node)
    finally:
        loader.dispose()


def _expanded_size(root: yaml.Node) -> int:
    """Node count with every alias expanded, computed once per distinct node (iteratively, no recursion)."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    on_stack: set[int] = set()
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in sizes:
            continue
        children = _children(node)
        if children_done:
            total = 1
            for child in children:
                total += sizes.get(id(child), 1)
                if total > MAX_EXPANDED_NODES:
                    break
            sizes[key] = total
            on_stack.discard(key)
            continue
        if key in on_stack:
            sizes[key] = MAX_EXPANDED_NODES + 1  # a recursive alias never ends
            continue
        _check_duplicate_keys(node)
        on_stack.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in children if id(child) not in sizes)
    return sizes[id(root)]


_STR, _MAP, _SEQ, _MERGE = (f"tag:yaml.org,2002:{name}" for name in ("str", "map", "seq", "merge"))


class _NotPlain(Exception):
    """A document with a merge key, a collection of another tag or a complex key: PyYAML's constructor builds it."""


def _plain_document(loader: Any, root: yaml.Node, lines: dict[int, int] | None = None) -> Any:
    """The value of a document without aliases, its duplicate keys refused on the way.

    Strings, maps and lists are built here in one iterative walk (no recursion, however deep); every other scalar
    goes to the loader's own constructor for its tag. This is PyYAML's result at about a third of its cost, which
    is most of the time of reading a large rendered chart. A document this walk does not handle is built by
    PyYAML's constructor instead, after the duplicate-key walk."""
    try:
        return _build_plain(loader, root, {} if lines is None else lines)
    except _NotPlain:
        _check_duplicate_keys_everywhere(root)
        return loader.construct_document(root)


def _build_plain(loader: Any, root: yaml.Node, lines: dict[int, int]) -> Any:
    constructors = loader.yaml_constructors
    built: list[Any] = [None]
    # (node, container, key): the node's value goes to container[key] once built.
    stack: list[tuple[yaml.Node, Any, Any]] = [(root, built, 0)]
    while stack:
        node, into, at = stack.pop()
        tag = node.tag
        if isinstance(node, yaml.ScalarNode):
            if tag == _STR:
                into[at] = node.value
            elif tag in constructors and tag != _MERGE:
                into[at] = constructors[tag](loader, node)
            else:
                raise _NotPlain
        elif isinstance(node, yaml.MappingNode) and tag == _MAP:
            _check_duplicate_keys(node)
            mapping: dict[Any, Any] = {}
            into[at] = mapping
            lines[id(mapping)] = node.start_mark.line
            values = []
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE:
                    raise _NotPlain
                if key_node.tag == _STR:
                    key = key_node.value
                elif key_node.tag in constructors:
                    key = constructors[key_node.tag](loader, key_node)
                else:
                    raise _NotPlain
                mapping[key] = None  # the key's place, in document order
                values.append((value_node, mapping, key))
            # Popped in document order: of two keys equal in Python (`on`, `1`) the later value wins, as in PyYAML.
            stack.extend(reversed(values))
        elif isinstance(node, yaml.SequenceNode) and tag == _SEQ:
            items: list[Any] = [None] * len(node.value)
            into[at] = items
            lines[id(items)] = node.start_mark.line
            stack.extend((item, items, index) for index, item in enumerate(node.value))
        else:
            raise _NotPlain
    return built[0]


def _check_duplicate_keys_everywhere(root: yaml.Node) -> None:
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            _check_duplicate_keys(node)
            stack.extend(value for _, value in node.value if not isinstance(value, yaml.ScalarNode))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(item for item in node.value if not isinstance(item, yaml.ScalarNode))


def _check_duplicate_keys(node: yaml.Node) -> None:
    if not isinstance(node, yaml.MappingNode):
        return
    seen: set[str] = set()
    for key, _ in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value != "<<":
            if key.value in seen:
                raise YamlRefused(f"mapping key {key.value!r} is defined twice (kubectl refuses this; a missing "
                                  "'---' between two objects looks like this)", key.start_mark.line + 1)
            seen.add(key.value)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [item for pair in node.value for item in pair]
    return []


def load_guarded(text: str) -> Any:
    """The first document of a YAML text read with the guards (for YAML embedded in a manifest)."""
    for _, value in load_documents_guarded(text):
        return value
    return None


def load_yaml(text: str) -> Any:
    """Parse YAML text with the safe loader (never constructs arbitrary objects)."""
    return yaml.load(text, Loader=_Loader)


class YamlValueError(Exception):
    """A user's YAML file that parses but holds a value YAML cannot build (``2027-02-30``, ``!!float 'abc'``)."""

    def __init__(self, key: str, line: int, problem: str) -> None:
        super().__init__(f"line {line}: {key}: {problem}")
        self.key = key
        """The dotted key of the value (``waivers[2].expires``)."""
        self.line = line
        """1-based line of the value."""
        self.problem = problem


def load_user_yaml(text: str) -> Any:
    """A user's file (config, waivers, baseline written as YAML): the first document, read with the guards of
    untrusted input (aliases bounded, nesting bounded, a key defined twice refused: ``YamlRefused``), and a value
    YAML cannot build said with its key and line (``YamlValueError``), never a bare ``ValueError``."""
    try:
        return load_guarded(text)
    except (ValueError, TypeError, OverflowError) as error:
        if isinstance(error, YamlRefused):
            raise
        failing = _failing_value(text)
        if failing is None:
            raise YamlValueError("(document)", 1, str(error)) from None
        raise YamlValueError(*failing) from None


def _failing_value(text: str) -> tuple[str, int, str] | None:
    """The first scalar YAML cannot build: its dotted key, line and the constructor's complaint."""
    root = yaml.compose(text, Loader=_Loader)
    stack: list[tuple[yaml.Node, str]] = [(root, "")] if root is not None else []
    while stack:
        node, path = stack.pop()
        if isinstance(node, yaml.ScalarNode):
            try:
                _Loader("").construct_object(node, deep=True)
            except (ValueError, TypeError, OverflowError, yaml.YAMLError) as error:
                return path or "(document)", node.start_mark.line + 1, str(error)
        elif isinstance(node, yaml.MappingNode):
            for key, value in reversed(node.value):
                name = key.value if isinstance(key, yaml.ScalarNode) else "?"
                stack.append((value, f"{path}.{name}" if path else str(name)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, f"{path}[{index}]") for index, item in reversed(list(enumerate(node.value))))
    return None
