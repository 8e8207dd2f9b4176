"""Read Kubernetes manifests: multi-document YAML, ``List`` kinds, safely and with line numbers.

Each ``---`` document is parsed on its own, so one invalid document is reported (path, line,
reason) and the others are still read. Parsing is ``scanner.yaml_data``'s guarded loader: safe (no
application objects), the C loader when present, and bounded against alias bombs, deep nesting and
duplicate keys.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import yaml

from scanner.model import CoverageGap
from scanner.yaml_data import YamlRefused, load_documents_guarded

_DOCUMENT_SEPARATOR = re.compile(r"^---(?:\s|$)", re.MULTILINE)


@dataclass(frozen=True)
class Manifest:
    """One Kubernetes object as written, with where it was written."""

    data: dict[str, Any]
    """The object: apiVersion, kind, metadata, spec..."""
    path: str
    """The file (or ``<stdin>``)."""
    line: int
    """1-based line where the object starts."""
    lines: Mapping[int, int] = field(default_factory=dict, compare=False, repr=False)
    """0-based line, within its YAML document, of each mapping and list inside the object, by ``id()`` of the
    parsed value, so a finding can point at the container or variable it is about rather than at the object's
    first line. (Shared by the objects of one document: a ``List``'s items.)"""
    first_line: int = 0
    """The 0-based line in the file where the object's YAML document starts: ``lines`` count from it."""
    chart_template: str | None = field(default=None, compare=False)
    """The Helm chart template that rendered the object (``datadog/templates/daemonset.yaml``), from the
    ``# Source:`` comment ``helm template`` writes at the start of its document; None when there is none."""

    def line_of(self, value: Any) -> int:
        """The line where a mapping or list of this object starts (the object's line if unknown)."""
        found = self.lines.get(id(value))
        return self.line if found is None else self.first_line + found + 1

    # Read once each: normalising asks an object's kind and name a few dozen times (the object is never changed
    # once read; cached_property writes to the instance dict, which a frozen dataclass allows).
    @cached_property
    def kind(self) -> str:
        """``Deployment``, ``ConfigMap``..."""
        return str(self.data.get("kind") or "")

    @cached_property
    def metadata(self) -> dict[str, Any]:
        """The object's metadata, or an empty mapping."""
        value = self.data.get("metadata")
        return value if isinstance(value, dict) else {}

    @cached_property
    def name(self) -> str:
        """``metadata.name`` (``generateName`` when that is all there is)."""
        return str(self.metadata.get("name") or self.metadata.get("generateName") or "unnamed")

    @cached_property
    def namespace(self) -> str | None:
        """``metadata.namespace`` as written; None when omitted."""
        value = self.metadata.get("namespace")
        return str(value) if value else None


def read_manifests(text: str, path: str) -> tuple[list[Manifest], list[CoverageGap]]:
    """Every object in a YAML stream, and a gap for every document that could not be read."""
    manifests: list[Manifest] = []
    gaps: list[CoverageGap] = []
    for offset, chunk in _documents(text):
        if not chunk.strip() or all(line.lstrip().startswith("#") or not line.strip() for line in chunk.splitlines()):
            continue
        template = chart_template(chunk)
        try:
            lines: dict[int, int] = {}
            for node, data in load_documents_guarded(chunk, lines):
                if id(data) not in lines:  # built by PyYAML's constructor: its lines are found by a walk
                    _line_index(node, data, lines)
                manifests.extend(_objects(data, node, path, offset, lines, template))
        except YamlRefused as error:
            gaps.append(CoverageGap(path, offset + error.line, str(error)))
        except yaml.YAMLError as error:
            gaps.append(_yaml_gap(error, path, offset))
        except RecursionError:
            gaps.append(CoverageGap(path, offset + 1, "YAML nested too deeply to read"))
    return manifests, gaps


def _yaml_gap(error: yaml.YAMLError, path: str, offset: int) -> CoverageGap:
    if isinstance(error, yaml.constructor.ConstructorError):
        mark = error.problem_mark
        line = offset + (mark.line + 1 if mark is not None else 1)
        tag = re.search(r"tag '([^']+)'", str(error.problem))
        shown = tag.group(1).replace("tag:yaml.org,2002:", "!!") if tag else "an unknown tag"
        if "python/" in shown:
            why = (f"the document carries the Python tag {shown}, which asks the reader to build an application "
                   "object; manifests are read with the safe loader, which never does")
        else:
            why = f"the document carries the tag {shown}, which is no YAML type a Kubernetes API server reads"
        return CoverageGap(path, line, f"refused: {why}")
    # For an unfinished quote or bracket the context mark is where it began, the line to fix; otherwise
    # the problem mark is where parsing stopped.
    context = str(getattr(error, "context", "") or "")
    starts_here = context.startswith(("while scanning", "while parsing a flow"))
    mark = getattr(error, "context_mark", None) if starts_here else None
    mark = mark or getattr(error, "problem_mark", None)
    line = offset + (mark.line + 1 if mark is not None else 1)
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    reason = f"{problem} ({context})" if context else problem
    return CoverageGap(path, line, f"not valid YAML: {reason}")


def _documents(text: str) -> Iterator[tuple[int, str]]:
    """(0-based line offset, text) of each ``---``-separated document."""
    separators = list(_DOCUMENT_SEPARATOR.finditer(text))
    starts = [0] + [m.end() for m in separators]
    ends = [m.start() for m in separators] + [len(text)]
    line, counted_to = 0, 0
    for start, end in zip(starts, ends, strict=True):
        # Count newlines incrementally: recounting from the top for every document is quadratic.
        line += text.count("\n", counted_to, start)
        counted_to = start
        yield line, text[start:end]


def _objects(data: Any, node: yaml.Node, path: str, offset: int, lines: dict[int, int],
             template: str | None = None) -> Iterator[Manifest]:
    if not isinstance(data, dict):
        return
    if str(data.get("kind", "")).endswith("List") and isinstance(data.get("items"), list):
        item_nodes = _items_node(node)
        for index, item in enumerate(data["items"]):
            item_node = item_nodes[index] if index < len(item_nodes) else node
            yield from _objects(item, item_node, path, offset, lines, template)
        return
    if "kind" in data and "apiVersion" in data:
        yield Manifest(data, path, offset + node.start_mark.line + 1, lines, offset, template)


_SOURCE_COMMENT = re.compile(r"^#\s*Source:\s*(\S.*?)\s*$")


def chart_template(document: str) -> str | None:
    """The chart template named by a ``# Source:`` comment among the comment lines that open a document, before
    its first key; a ``# Source:`` anywhere else (inside a block scalar, after a key) names nothing."""
    found = None
    for line in document.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("#"):
            break
        match = _SOURCE_COMMENT.match(stripped)
        if match:
            found = match.group(1)
    return found


def _line_index(root: yaml.Node, data: Any, lines: dict[int, int]) -> None:
    """Walk the node graph beside the data built from it, noting where each mapping and list starts (0-based)."""
    stack: list[tuple[yaml.Node, Any]] = [(root, data)]
    while stack:
        node, value = stack.pop()
        if not isinstance(value, dict | list) or id(value) in lines:
            continue
        lines[id(value)] = node.start_mark.line
        if isinstance(node, yaml.MappingNode) and isinstance(value, dict):
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value in value:
                    stack.append((value_node, value[key_node.value]))
        elif isinstance(node, yaml.SequenceNode) and isinstance(value, list):
            stack.extend(zip(node.value, value, strict=False))


def _items_node(node: yaml.Node) -> list[yaml.Node]:
    """The item nodes of a List document, for their line numbers."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == "items" and isinstance(value, yaml.SequenceNode):
                return list(value.value)
    return []


def looks_like_manifests(text: str) -> bool:
    """A cheap sniff for ``apiVersion:`` and ``kind:`` keys at the top level of some document."""
    return bool(re.search(r"^apiVersion:", text, re.MULTILINE) and re.search(r"^kind:", text, re.MULTILINE))
