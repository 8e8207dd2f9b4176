"""The evidence pack's content: what infrastructure can answer of the Offshore Proposal Questionnaire.

Built from JSON results (``--format json``), one or several (Terraform, Kubernetes, live accounts), so
a pack can be made at scan time or later from saved results. Nothing here renders: ``markdown`` and
``html`` lay the same content out.
"""

from __future__ import annotations

import fnmatch
import functools
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner.yaml_data import load_yaml

_DATA = Path(__file__).resolve().parent.parent / "data" / "storage_kinds.yaml"

UNANSWERED = (
    ("1", "Description of Business to be Offshored", "the work to be offshored, in business terms"),
    ("1.1", "Timescales and Releases", "the timeframe and the releases or phases involved"),
    ("1.2", "Number of Staff", "how many offshore staff, in which roles (see 3.1 for the principals that can "
                               "reach DWP resources, which infrastructure does show)"),
    ("2.3", "Processes and Systems Used Across Sites", "how offshore procedures interact with onshore ones "
                                                       "(the access paths below are the infrastructure's part)"),
    ("3.1", "Offshore Addresses", "the street addresses of the offshore sites and the home-working arrangements "
                                  "(the provider regions below are where the data is, not where staff sit)"),
    ("3.2", "Other Work at the Sites", "other DWP and non-DWP work at the sites"),
    ("3.3", "Staff Clearance", "security clearance and employment checks of all staff at the sites"),
    ("4", "Legal Assessment", "local conditions and legal constraints (computer misuse, encryption, data protection)"),
    ("5", "Governance", "the person responsible for the offshoring, with contact details"),
    ("Landed resources", "Landed resources", "staff brought to work in the UK from abroad: who they are and where "
                                             "they sit is not written in infrastructure"),
)
"""Questions infrastructure cannot answer: where staff sit and who they are is not in any configuration."""


@dataclass(frozen=True)
class Place:
    """A location as results give it: ``{"cloud", "region", "country", "uk"}``."""

    cloud: str
    region: str | None
    country: str | None
    uk: bool | None

    @classmethod
    def of(cls, location: Mapping[str, Any]) -> Place:
        return cls(str(location.get("cloud") or "unknown"), location.get("region"), location.get("country"),
                   location.get("uk"))

    def describe(self) -> str:
        country = f" ({self.country})" if self.country else ""
        return f"{self.cloud} {self.region or 'unresolved'}{country}"

    @property
    def side(self) -> str:
        """``UK``, ``Outside the UK`` or ``Not established``: the boundary the questionnaire is about."""
        return "UK" if self.uk is True else "Outside the UK" if self.uk is False else "Not established"


@dataclass(frozen=True)
class Stored:
    """One DWP resource and how it holds DWP information (2.1)."""

    resource: str
    type: str
    kind: str
    place: Place
    marking: str | None


@dataclass(frozen=True)
class Path22:
    """One path that carries DWP information (2.2)."""

    source: str
    source_place: Place
    destination: str
    place: Place
    mechanism: str
    description: str
    declared: str
    encryption: str


@dataclass(frozen=True)
class Access:
    """A principal outside the UK, or not placed, that can reach a DWP resource (3.1)."""

    resource: str
    principal: str
    owner: str | None
    country: str | None
    uk: bool | None
    description: str


@dataclass(frozen=True)
class EvidencePack:
    """Everything the pack says, in questionnaire order."""

    tools: tuple[str, ...]
    inputs: tuple[str, ...]
    in_scope: tuple[tuple[str, str, str | None, int], ...]
    """(type, cloud, marking, count) of DWP resources that hold information or run systems (section 2)."""
    settings: int
    """DWP resources that are settings or identities (policies, replication configurations, roles)."""
    stored: tuple[Stored, ...]
    storage_kinds: tuple[tuple[str, str], ...]
    """(kind, description), in the questionnaire's order."""
    paths: tuple[Path22, ...]
    """Every path of DWP information out of its resource: offshore, not established, and within the UK."""
    offshore: tuple[tuple[str, str, str, int], ...]
    """(country, cloud, region, DWP resources or copies there) outside the UK (2.3)."""
    access: tuple[Access, ...]
    guardrails: tuple[Mapping[str, Any], ...]
    coverage: tuple[Mapping[str, Any], ...]
    waived: tuple[Mapping[str, Any], ...]
    findings: tuple[Mapping[str, Any], ...] = field(default=())
    baselined: tuple[Mapping[str, Any], ...] = field(default=())
    """Findings a baseline already held, not reported again: listed so the pack never reads as cleaner than it is."""

    @property
    def crossing(self) -> tuple[Path22, ...]:
        """The paths the questionnaire's 2.2 asks for: to or from a location outside the UK, or not placed."""
        return tuple(p for p in self.paths if p.place.uk is not True or p.source_place.uk is not True)

    @property
    def complete(self) -> bool:
        return not any(gap.get("kind") != "note" for gap in self.coverage)


def build_pack(results: Sequence[Mapping[str, Any]]) -> EvidencePack:
    """The pack of one or more JSON results, merged (resources by id, findings by fingerprint)."""
    resources: dict[str, Mapping[str, Any]] = {}
    flows: dict[tuple[Any, ...], Mapping[str, Any]] = {}
    grants: dict[tuple[Any, ...], Mapping[str, Any]] = {}
    findings: dict[str, Mapping[str, Any]] = {}
    coverage: dict[tuple[Any, ...], Mapping[str, Any]] = {}
    guardrails: dict[tuple[Any, ...], Mapping[str, Any]] = {}
    baselined: dict[str, Mapping[str, Any]] = {}
    tools: set[str] = set()
    inputs: set[str] = set()
    for result in results:
        tool = result.get("tool") or {}
        tools.add(f"{tool.get('name', 'offshore-scan')} {tool.get('version', '?')}")
        inputs.update(result.get("scanned") or ())
        inventory = result.get("inventory") or {}
        for resource in inventory.get("resources") or ():
            resources.setdefault(resource["id"], resource)
        for flow in inventory.get("flows") or ():
            flows.setdefault((flow["resource"], flow["kind"], flow["description"], flow.get("declared_by")), flow)
        for grant in inventory.get("grants") or ():
            grants.setdefault((grant["resource"], grant["principal"], grant["description"]), grant)
        for finding in result.get("findings") or ():
            findings.setdefault(finding["fingerprint"], finding)
        for hidden in result.get("baselined") or ():
            baselined.setdefault(hidden["fingerprint"], hidden)
        for gap in result.get("coverage") or ():
            coverage.setdefault((gap["path"], gap.get("line"), gap["reason"]), gap)
        for guardrail in result.get("guardrails") or ():
            guardrails.setdefault((guardrail["kind"], guardrail["description"], str(guardrail.get("source"))),
                                  guardrail)
    dwp = {rid: r for rid, r in resources.items() if r.get("dwp")}
    # Settings and identities (policies, replication configurations, roles) hold no information themselves:
    # their meaning is in the paths and access below, not in the storage tables.
    assets = {rid: r for rid, r in dwp.items() if r.get("holds_data", True)}
    stored = tuple(sorted((Stored(_label(rid, r), r["type"], storage_kind(r["type"]), Place.of(r["location"]),
                                  r.get("marking")) for rid, r in assets.items()),
                          key=lambda s: (_KIND_ORDER.index(s.kind), s.place.side, s.resource)))
    paths = tuple(sorted((_path(f, resources) for f in flows.values() if f["resource"] in dwp),
                         key=lambda p: (p.place.side != "Outside the UK", p.place.side, p.source, p.destination)))
    return EvidencePack(
        tools=tuple(sorted(tools)),
        inputs=tuple(sorted(inputs)),
        in_scope=_quantities(assets.values()),
        settings=len(dwp) - len(assets),
        stored=stored,
        storage_kinds=tuple((kind, _kinds()[kind][1]) for kind in _KIND_ORDER),
        paths=paths,
        offshore=_offshore(findings.values()),
        access=tuple(sorted((_access(g) for g in grants.values()
                             if g["resource"] in dwp and not g.get("internal") and g.get("uk") is not True),
                            key=lambda a: (a.uk is not False, a.resource, a.principal))),
        guardrails=tuple(guardrails.values()),
        coverage=tuple(sorted(coverage.values(),
                              key=lambda g: (g.get("kind") == "note", g["path"], g.get("line") or 0))),
        waived=tuple(f for f in findings.values() if f.get("waiver")),
        findings=tuple(findings.values()),
        baselined=tuple(sorted(baselined.values(), key=lambda f: (f["resource"], f["rule_id"], f["fingerprint"]))),
    )


_KIND_ORDER = ("permanent", "temporary", "transient", "processing")


@functools.cache
def _kinds() -> dict[str, tuple[tuple[str, ...], str]]:
    raw = load_yaml(_DATA.read_text(encoding="utf-8"))["kinds"]
    return {kind: (tuple(raw[kind]["patterns"]), raw[kind]["description"]) for kind in _KIND_ORDER}


def storage_kind(resource_type: str) -> str:
    """``permanent``, ``temporary``, ``transient`` or ``processing`` for a resource type."""
    for kind in ("processing", "temporary", "transient"):
        if any(fnmatch.fnmatchcase(resource_type, pattern) for pattern in _kinds()[kind][0]):
            return kind
    return "permanent"


def _label(resource_id: str, resource: Mapping[str, Any]) -> str:
    name = resource.get("object") or resource_id
    return f"{name} ({resource['part']})" if resource.get("part") else name


def _quantities(resources: Iterable[Mapping[str, Any]]) -> tuple[tuple[str, str, str | None, int], ...]:
    counted = Counter((r["type"], r["location"].get("cloud") or "unknown", r.get("marking")) for r in resources)
    return tuple(sorted(((t, c, m, n) for (t, c, m), n in counted.items()), key=lambda q: (q[1], q[0], str(q[2]))))


def _path(flow: Mapping[str, Any], resources: Mapping[str, Mapping[str, Any]]) -> Path22:
    source = resources[flow["resource"]]
    target = Place.of(flow["target"])
    destination = flow.get("target_resource") or target.describe()
    description = flow["description"]
    lowered = description.lower()
    encryption = ("TLS (https endpoint)" if "https://" in lowered else
                  "not shown in the configuration")
    return Path22(source.get("object") or flow["resource"], Place.of(source["location"]), destination, target,
                  flow["kind"], description, flow.get("declared_by") or flow["resource"], encryption)


def _offshore(findings: Iterable[Mapping[str, Any]]) -> tuple[tuple[str, str, str, int], ...]:
    places: dict[tuple[str, str, str], set[str]] = {}
    for finding in findings:
        if finding.get("outcome") != "fail" or finding.get("category") == "access":
            continue
        location = finding.get("target") or finding["location"]
        if location.get("uk") is False:
            key = (location.get("country") or "?", location.get("cloud") or "?", location.get("region") or "?")
            places.setdefault(key, set()).add(finding["resource"])
    return tuple(sorted((c, cl, r, len(found)) for (c, cl, r), found in places.items()))


def _access(grant: Mapping[str, Any]) -> Access:
    return Access(grant["resource"], grant["principal"], grant.get("owner"), grant.get("country"), grant.get("uk"),
                  grant["description"])
