"""The network diagram section 2.2 asks for: DWP resources and where their data goes, grouped by the UK
boundary, then country, then provider region, so a path across the boundary is visible at a glance.

Two notations of one graph: Mermaid (Markdown renders it on GitHub and GitLab) and Graphviz DOT (drawn
to SVG for the HTML pack when ``dot`` is installed). Paths across the boundary are drawn red.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, replace

from scanner.evidence.pack import EvidencePack, Place

MAX_PATHS = 150
"""Paths drawn; a larger estate's diagram lists the rest in the table only (a diagram of thousands of
edges helps no one), and says so."""


@dataclass(frozen=True)
class _Node:
    id: str
    label: str
    place: Place
    bare: bool = False
    """A place with no resource the scan holds (a replica region, a vendor's endpoint, a principal): drawn in its
    country, never inside a region box of its own name (a box nested in itself)."""
    identity: bool = False
    """A role: global, holding no DWP data, so drawn in a group of its own, never as hosted in a country."""


@dataclass(frozen=True)
class Graph:
    nodes: tuple[_Node, ...]
    edges: tuple[tuple[str, str, str, bool], ...]
    """(from, to, label, crosses the UK boundary)."""
    left_out: int
    access: tuple[tuple[str, str, str, bool], ...] = ()
    """(principal or role, resource or role, label, from outside the UK): who outside the UK, or not placed, can
    reach a DWP resource, drawn dashed: a principal to the role it can assume, the role to the DWP resources its
    policies name; a grant on a resource itself, principal to resource."""
    keys: tuple[tuple[str, str], ...] = ()
    """(DWP resource, the key or key vault outside the UK holding its key): custody, drawn dotted, not a path."""


def build_graph(pack: EvidencePack) -> Graph:
    """Every path of DWP information, every DWP resource outside the UK or not placed (even one no path ends at)
    and every principal outside the UK, or not placed, that can reach a DWP resource."""
    nodes: dict[tuple[str, Place], _Node] = {}

    def node(label: str, place: Place) -> str:
        key = (label, place)
        if key not in nodes:
            nodes[key] = _Node(f"n{len(nodes) + 1}", label, place, bare=label == place.describe())
        return nodes[key].id

    edges = []
    paths = pack.paths
    for path in paths[:MAX_PATHS]:
        crosses = path.place.uk is not True or path.source_place.uk is not True
        edges.append((node(path.source, path.source_place), node(path.destination, path.place), path.mechanism,
                      crosses))
    for stored in pack.stored:
        if stored.place.uk is not True and stored.copy_of is None:  # a copy is drawn as its path's end
            node(stored.resource, stored.place)
    access: list[tuple[str, str, str, bool]] = []

    def role(name: str, cloud: str) -> str:
        place = Place(cloud, "global", None, None)
        found = node(name, place)
        nodes[(name, place)] = replace(nodes[(name, place)], identity=True, bare=True)
        return found

    def edge(start: str, end: str, label: str, offshore: bool) -> None:
        if (start, end, label, offshore) not in access:
            access.append((start, end, label, offshore))

    for grant in pack.access[:MAX_PATHS]:
        if grant.resource_place is None:
            continue
        where = Place("principal", None, grant.country, grant.uk)
        principal = node(grant.principal, where)
        nodes[(grant.principal, where)] = replace(nodes[(grant.principal, where)], bare=True)
        offshore = grant.uk is False
        cloud = grant.resource_place.cloud
        if grant.identity and not grant.via:
            edge(principal, role(grant.resource, cloud), "can assume", offshore)
        elif grant.via:
            via = role(grant.via, cloud)
            edge(principal, via, "can assume", offshore)
            edge(via, node(grant.resource, grant.resource_place), "can reach", offshore)
        else:
            edge(principal, node(grant.resource, grant.resource_place), "can reach", offshore)
    keys: list[tuple[str, str]] = []
    placed = {s.resource: s.place for s in pack.stored}
    for item in pack.offshore_items:
        if item.via != "key":
            continue
        holder = node(item.name.split(": holds the key of ", 1)[0], item.place)
        keys += [(node(name, placed[name]), holder) for name in item.protects if name in placed]
    left_out = max(0, len(paths) - MAX_PATHS) + max(0, len(pack.access) - MAX_PATHS)
    return Graph(tuple(nodes.values()), tuple(edges), left_out, tuple(access), tuple(keys))


GLOBAL = "Global: identities, no DWP data"
"""The group roles are drawn in: a role is global, holds no DWP data and is hosted in no country."""

_BARE = "\x00"
"""The region key of nodes drawn straight in their country (sorts before every region)."""


def _groups(graph: Graph) -> dict[str, dict[str, dict[str, list[_Node]]]]:
    grouped: dict[str, dict[str, dict[str, list[_Node]]]] = {}
    for item in graph.nodes:
        place = item.place
        if item.identity:
            grouped.setdefault(GLOBAL, {}).setdefault(f"{place.cloud} roles", {}).setdefault(_BARE, []).append(item)
            continue
        country = place.country or "country not established"
        region = _BARE if item.bare else f"{place.cloud} {place.region or 'region not established'}"
        grouped.setdefault(place.side, {}).setdefault(country, {}).setdefault(region, []).append(item)
    order = {"UK": 0, "Outside the UK": 1, "Not established": 2, GLOBAL: 3}
    return dict(sorted(grouped.items(), key=lambda kv: order[kv[0]]))


MAX_LABEL = 120
"""Characters of a label drawn: a name longer than this is shortened with an ellipsis (the tables keep it whole),
so no value from the estate can make a diagram Graphviz or Mermaid will not draw."""

_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]+")
_DIRECTIVE = re.compile(r"%%\{.*?\}%%|%%", re.DOTALL)


def _label(value: str) -> str:
    """A value from the estate as one line of plain label text: line breaks, control and bidirectional characters
    as spaces, Mermaid directives (``%%{init: ...}%%``) and comments removed, and at most ``MAX_LABEL`` long."""
    text = _DIRECTIVE.sub("", value)
    while "%%" in text:  # removing one directive may join two halves of another
        text = text.replace("%%", "%")
    text = _BREAKS.sub(" ", text).strip()
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "\u2026"


def _text(value: str) -> str:
    """A Mermaid label, written inside double quotes: a quote or a backtick would end the label (or the Markdown
    fence around the diagram), angle brackets open markup, ``#`` starts an entity code and ``;`` a statement."""
    label = _label(value)
    for character, replacement in (('"', "'"), ("`", "'"), ("<", "("), (">", ")"), ("#", "\uff03"), (";", ",")):
        label = label.replace(character, replacement)
    return label


def _dot_text(value: str) -> str:
    """A DOT label, written inside double quotes: a backslash starts an escape (``\\N``, ``\\l``, or one that eats the
    closing quote), so backslashes and quotes are escaped."""
    return _label(value).replace("\\", "\\\\").replace('"', '\\"')


def mermaid(graph: Graph) -> str:
    """Mermaid ``flowchart`` source."""
    lines = ["flowchart LR"]
    cluster = 0
    for side, countries in _groups(graph).items():
        cluster += 1
        lines.append(f'  subgraph s{cluster}["{side}"]')
        for country, regions in sorted(countries.items()):
            cluster += 1
            lines.append(f'    subgraph s{cluster}["{_text(country)}"]')
            for region, members in sorted(regions.items()):
                if region == _BARE:
                    lines.extend(f'      {m.id}["{_text(m.label)}"]' for m in members)
                    continue
                cluster += 1
                lines.append(f'      subgraph s{cluster}["{_text(region)}"]')
                lines.extend(f'        {m.id}["{_text(m.label)}"]' for m in members)
                lines.append("      end")
            lines.append("    end")
        lines.append("  end")
    for index, (start, end, label, crosses) in enumerate(graph.edges):
        lines.append(f'  {start} -->|"{_text(label)}"| {end}')
        if crosses:
            lines.append(f"  linkStyle {index} stroke:#c00,stroke-width:2px")
    for start, end, label, _offshore in graph.access:
        lines.append(f'  {start} -.->|"{_text(label)}"| {end}')
    for start, end in graph.keys:
        lines.append(f'  {start} -.-o|"key held in"| {end}')
    lines += ['  subgraph legend["Legend"]',
              *(f'    legend{index}["{text}"]' for index, text in enumerate(_LEGEND, 1)),
              "  end"]
    return "\n".join(lines) + "\n"


_LEGEND = ("solid arrow: a path of DWP information (replication, copy, telemetry, peering)",
           "red arrow: the path crosses the UK boundary",
           "dashed arrow: access (a principal can assume a role; the role can reach a DWP resource)",
           "dotted line ending in a circle: the key of a DWP resource is held there (custody, not a data path)",
           "dashed box: a place with no DWP resource the scan holds (a provider region, a third party, a principal)",
           "group UK; Outside the UK; Not established; Global: roles, which hold no DWP data")
"""What each line and box means, drawn in the Mermaid source (the HTML pack draws its own legend beside the SVG)."""


def dot(graph: Graph) -> str:
    """Graphviz DOT source."""
    # Each edge is drawn on its own (no ``concentrate``, which merges edges into shared trunks a reader cannot
    # follow); each label sits beside its edge (no ``decorate`` line from a label placed elsewhere).
    lines = ["digraph network {", '  rankdir=LR; fontname="Helvetica"; nodesep=0.3; ranksep=1.2; '
             'concentrate=false;',
             '  node [shape=box, style="rounded,filled", fillcolor="white", fontname="Helvetica", fontsize=10];',
             '  edge [fontname="Helvetica", fontsize=9, labelfloat=false, arrowsize=0.8];']
    cluster = 0
    colours = {"UK": "#e8f4e8", "Outside the UK": "#fbe9e9", "Not established": "#f2f2f2", GLOBAL: "#e8eef8"}
    for side, countries in _groups(graph).items():
        cluster += 1
        lines.append(f'  subgraph cluster_{cluster} {{ label="{side}"; style=filled; fillcolor="{colours[side]}";')
        for country, regions in sorted(countries.items()):
            cluster += 1
            lines.append(f'    subgraph cluster_{cluster} {{ label="{_dot_text(country)}"; style=dashed;')
            for region, members in sorted(regions.items()):
                if region == _BARE:
                    lines.extend(f'      {m.id} [label="{_dot_text(m.label)}", style="dashed,rounded"];'
                                 for m in members)
                    continue
                cluster += 1
                lines.append(f'      subgraph cluster_{cluster} {{ label="{_dot_text(region)}"; style=solid;')
                lines.extend(f'        {m.id} [label="{_dot_text(m.label)}"];' for m in members)
                lines.append("      }")
            lines.append("    }")
        lines.append("  }")
    drawn: set[tuple[str, str]] = set()
    for start, end, label, crosses in graph.edges:
        colour = ', color="#cc0000", fontcolor="#cc0000", penwidth=2' if crosses else ""
        # The way back of a two-way path (a peering's accepter side) does not rank its ends: a cycle would pull
        # the UK and offshore boxes on top of each other and run every edge through one vertical trunk.
        # A path across the boundary spans two ranks, so the UK box (whose own paths take one) and the offshore box
        # sit side by side and each red edge runs straight across, not down a shared corridor between stacked boxes.
        back = ", constraint=false" if (end, start) in drawn else ", minlen=2" if crosses else ""
        drawn.add((start, end))
        lines.append(f'  {start} -> {end} [label="{_dot_text(label)}"{colour}{back}];')
    for start, end, label, offshore in graph.access:
        colour = "#cc0000" if offshore else "#7a3e00"
        lines.append(f'  {start} -> {end} [label="{_dot_text(label)}", style=dashed, color="{colour}", '
                     f'fontcolor="{colour}"];')
    for start, end in graph.keys:
        lines.append(f'  {start} -> {end} [label="key held in", style=dotted, color="#505a5f", '
                     'fontcolor="#505a5f", arrowhead=odot, minlen=2];')
    lines.append("}")
    return "\n".join(lines) + "\n"




@dataclass(frozen=True)
class Drawing:
    """The diagram as SVG, or why not: Graphviz is not installed, or it could not draw this graph."""

    svg: str | None
    missing: bool = False
    """True when ``dot`` is not installed (or not to be used); False when it ran and failed."""
    problem: str = ""


def svg(graph: Graph, use_graphviz: bool = True) -> Drawing:
    """The diagram drawn by Graphviz's ``dot``; when it cannot be, whether ``dot`` is missing or failed."""
    executable = shutil.which("dot") if use_graphviz else None
    if executable is None:
        return Drawing(None, missing=True)
    if not graph.nodes:
        return Drawing(None)
    try:
        done = subprocess.run([executable, "-Tsvg"], input=dot(graph), capture_output=True, text=True, timeout=60,
                              check=False, encoding="utf-8", errors="replace")
    except subprocess.TimeoutExpired:
        return Drawing(None, problem="Graphviz took over a minute to draw it")
    except OSError as error:
        return Drawing(None, problem=f"Graphviz could not be run ({error.strerror or error})")
    start = done.stdout.find("<svg")
    if done.returncode != 0 or start == -1:
        first = (done.stderr.strip().splitlines() or [""])[0][:200]
        return Drawing(None, problem=f"Graphviz could not draw it (exit {done.returncode}{': ' if first else ''}"
                                     f"{first})")
    return Drawing(done.stdout[start:])
