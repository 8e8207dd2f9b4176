"""How much of what the providers document as data-moving the resource map models and the net judges.

The catalogue (``resource_map/arguments.yaml``) is generated from the providers' own documentation; the map and
the net (``resource_map/lineage.yaml``) are written by hand. Each catalogued argument is *modelled* (a map flow
path, or ``judged_elsewhere``), *netted* (the net's patterns read it), *reviewed* (listed in ``lineage.yaml``'s
``not_netted`` with why) or *unjudged*, which a test forbids.

``python -m providers.semantics.map_coverage`` prints the figures published in ``docs/resource-map-coverage.md``.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Mapping

from providers.semantics import lineage
from providers.semantics.argument_catalogue import argument_catalogue, catalogue_sources
from providers.semantics.resource_map import resource_map
from scanner.yaml_data import load_yaml

VERDICTS = ("modelled", "netted", "reviewed", "unjudged")


@functools.cache
def reviewed() -> Mapping[str, str]:
    """Argument names the net does not read, each with the reason it need not (``lineage.yaml`` ``not_netted``)."""
    raw = load_yaml(lineage.RULES_FILE.read_text(encoding="utf-8"))["lineage"]
    return dict(raw.get("not_netted") or {})


def judged(resource_type: str, path: str, role: str) -> str:
    """``modelled``, ``netted``, ``reviewed`` or ``unjudged`` for one catalogued argument."""
    spec = resource_map().get(resource_type)
    modelled = (*(f.path for f in spec.flows), *spec.judged_elsewhere) if spec is not None else ()
    if any(lineage.covers(m, path) for m in modelled):
        return "modelled"
    key = lineage.argument_key(path)
    # A create mode names no place: the source it copies (catalogued beside it) is what the net reads.
    if role == "create_mode" or lineage.reads(key):
        return "netted"
    return "reviewed" if key in reviewed() else "unjudged"


def coverage() -> Counter[tuple[str, str]]:
    """(provider, verdict) -> number of catalogued arguments; (provider, "types ...") -> number of types."""
    counts: Counter[tuple[str, str]] = Counter()
    mapped = resource_map()
    for resource_type, entry in argument_catalogue().items():
        provider = resource_type.split("_", 1)[0]
        counts[(provider, "types catalogued")] += 1
        if entry.arguments:
            counts[(provider, "types with data-moving arguments")] += 1
        if resource_type in mapped and mapped[resource_type].flows:
            counts[(provider, "types modelled by the map")] += 1
        if entry.located == "from":
            counts[(provider, "types located from a parent")] += 1
        for path, role in entry.arguments.items():
            counts[(provider, judged(resource_type, path, role))] += 1
    return counts


def main() -> None:
    counts = coverage()
    providers = sorted({p for p, _ in counts})
    rows = ("types catalogued", "types with data-moving arguments", "types modelled by the map",
            "types located from a parent", *VERDICTS)
    print("| | " + " | ".join(providers) + " |")
    print("|---|" + "---:|" * len(providers))
    for row in rows:
        label = row if row.startswith("types") else f"arguments {row}"
        print(f"| {label} | " + " | ".join(f"{counts[(p, row)]:,}" for p in providers) + " |")
    for provider, source in sorted(catalogue_sources().items()):
        print(f"{provider}: {source.get('repository')} {source.get('version')} ({source.get('commit')})")


if __name__ == "__main__":
    main()
