"""The evidence pack's content: what infrastructure can answer of the Offshore Proposal Questionnaire.

Built from JSON results (``--format json``), one or several (Terraform, Kubernetes, live accounts), so
a pack can be made at scan time or later from saved results. Nothing here renders: ``markdown`` and
``html`` lay the same content out.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from scanner.evidence.cover import Cover, PackContext, counts, deciding_files, estate_name, scope_of
from scanner.evidence.legal import Custody, Transfer, custody, table_with, transfer
from scanner.yaml_data import load_yaml

_DATA = Path(__file__).resolve().parent.parent / "data" / "storage_kinds.yaml"

UNANSWERED = (
    ("1", "Description of Business to be Offshored", "the work to be offshored, in business terms"),
    ("1.1", "Timescales and Releases", "the timeframe and the releases or phases involved"),
    ("1.2", "Number of Staff", "how many offshore staff, in which roles (see 3.1 for the principals that can "
                               "reach DWP resources, which infrastructure does show)"),
    ("2.3", "Processes and Systems Used Across Sites", "how offshore procedures interact with onshore ones "
                                                       "(the access paths above are the infrastructure's part)"),
    ("3.1", "Offshore Addresses", "the street addresses of the offshore sites and the home-working arrangements "
                                  "(the provider regions above are where the data is, not where staff sit)"),
    ("3.2", "Other Work at the Sites", "other DWP and non-DWP work at the sites"),
    ("3.3", "Staff Clearance", "security clearance and employment checks of all staff at the sites"),
    ("4", "Legal Assessment", "local conditions and legal constraints: computer misuse, use of encryption, "
                              "confidentiality statements, and the transfer mechanisms section 4 above names "
                              "as needed"),
    ("5", "Governance", "the person responsible for the offshoring, with contact details"),
    ("", "Landed resources", "staff brought to work in the UK from abroad: who they are and where "
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
    copy_of: str | None = None
    """For a copy the scan has no resource for, the DWP resource it copies."""


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
    marking: str | None = None
    """The source resource's classification marking."""
    recipient: str = ""
    """Who receives the data: a third party by organisation (the endpoint catalogue's vendor), or the provider."""


@dataclass(frozen=True)
class Access:
    """A principal outside the UK, or not placed, that can reach a DWP resource (3.1)."""

    resource: str
    principal: str
    owner: str | None
    country: str | None
    uk: bool | None
    description: str
    resource_place: Place | None = None
    """Where the resource reached is, for the diagram."""
    via: str | None = None
    """The role the principal reaches the resource through (it can assume the role, whose policy names the
    resource), or None for a grant on the resource itself."""
    identity: bool = False
    """The resource reached is an identity (a role) that holds no DWP information: a principal that can assume it
    gets what the role's policies give, which a trust-policy grant alone does not show."""


@dataclass(frozen=True)
class AccessPath:
    """One principal outside the UK, or not placed, and what it can reach (3.1): ``principal X (IN) can assume role R,
    which reaches <DWP resources>``, or a grant on a DWP resource itself."""

    principal: str
    owner: str | None
    country: str | None
    route: str
    """``can assume aws_iam_role.support``, or how the grant is made (``bucket policy of ...``)."""
    reaches: str
    """The DWP resources reached, or that the scan does not show them."""
    reached: tuple[str, ...] = ()

    def sentence(self) -> str:
        """``arn:... (IN), Contractor Ltd, can assume aws_iam_role.support, which reaches aws_s3_bucket.evidence``."""
        who = f"{self.principal} ({self.country or 'country not established'})" + (
            f", {self.owner}," if self.owner else "")
        if self.route.startswith("can assume"):
            joint = ", which reaches " if self.reached else "; "
            return f"{who} {self.route}{joint}{self.reaches}"
        return f"{who} {self.route}"


def marking_text(marking: str | None) -> str:
    """One wording for a missing marking in every section (2, 2.1, 2.2)."""
    return marking or "not marked"


@dataclass(frozen=True)
class Offshore:
    """One DWP resource, or one copy of DWP data, outside the UK: a resource hosted abroad and a copy that lands on
    it are one place, said once."""

    name: str
    place: Place
    via: str
    """How it is there: ``hosted`` or the flow kinds that put DWP data there."""
    key: Mapping[str, Any] | None
    key_from: str | None
    """The source whose key configuration a copy the scan has no resource for inherits."""
    stores: bool = True
    """False for a resource that holds no data at rest (a network, a key): its result says ``"key": null``. It is a
    place DWP resources are, but it has no key custody row."""
    source: str | None = None
    """For a copy the scan has no resource for: the DWP resource whose data it copies (2.1 lists it)."""
    protects: tuple[str, ...] = ()
    """For a key or key vault: the DWP resources whose key it is (or holds)."""
    sources: tuple[str, ...] = ()
    """For one third party's endpoint that receives the data of several DWP resources: each of them (one place,
    one recipient, said once with its sources)."""


DEFAULT_MARKING = "OFFICIAL-SENSITIVE"
_MARKING_RANK = (("TOP SECRET", 3), ("TOP-SECRET", 3), ("SECRET", 2), ("SENSITIVE", 1))


def _rank(marking: str) -> int:
    upper = marking.upper()
    return next((rank for word, rank in _MARKING_RANK if word in upper), 0)


def protective_marking(given: str | None, markings: Iterable[str | None]) -> str:
    """The config's marking, else the highest marking of a DWP resource if it is above OFFICIAL-SENSITIVE, else
    OFFICIAL-SENSITIVE."""
    if given:
        return given
    highest = max((m for m in markings if m), key=_rank, default=None)
    return highest.upper() if highest and _rank(highest) > 1 else DEFAULT_MARKING


_GUARDRAIL_FIX = {
    "aws": "an AWS Organizations service control policy that denies every action when aws:RequestedRegion is not "
           "eu-west-2 (global services exempted through NotAction), attached at the root or the OUs holding DWP "
           "accounts",
    "azure": "an Azure Policy assignment of the built-in \"Allowed locations\" (and \"Allowed locations for resource "
             "groups\") definitions with uksouth and ukwest, at the management group or subscriptions holding DWP "
             "resources",
    "gcp": "an Organization Policy on the gcp.resourceLocations constraint allowing only in:europe-west2-locations, "
           "at the organisation or folders holding DWP projects",
}
"""The guardrail each cloud needs, in that cloud's own terms: SCPs are AWS's, Azure Policy is Azure's."""


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
    cover: Cover | None = None
    offshore_items: tuple[Offshore, ...] = ()
    transfers: tuple[Transfer, ...] = ()
    custody: tuple[Custody, ...] = ()
    adequacy_source: str = ""
    guardrail_fixes: tuple[tuple[str, str], ...] = ()
    """(cloud, the guardrail it needs) for each cloud DWP resources are deployed to and no UK-only guardrail holds."""
    input_uses: tuple[tuple[str, str], ...] = ()
    """(file, what it decided) for each of ``inputs``."""
    holders: tuple[tuple[str, str, str | None, int], ...] = ()
    """(type, cloud, marking, count) of DWP keys, key stores, networks and resource groups: they hold no DWP
    information themselves (a key holds the key to it), so they are counted apart from section 2's table."""
    marking: str = DEFAULT_MARKING
    """The protective marking at the top and foot of every page: the config's, else the highest found, at least
    OFFICIAL-SENSITIVE (the pack names accounts, principals and weaknesses of the estate)."""
    access_paths: tuple[AccessPath, ...] = ()

    @property
    def crossing(self) -> tuple[Path22, ...]:
        """The paths the questionnaire's 2.2 asks for: to or from a location outside the UK, or not placed."""
        return tuple(p for p in self.paths if p.place.uk is not True or p.source_place.uk is not True)

    @property
    def complete(self) -> bool:
        return not any(gap.get("kind") != "note" for gap in self.coverage)


def build_pack(results: Sequence[Mapping[str, Any]], context: PackContext | None = None) -> EvidencePack:
    """The pack of one or more JSON results, merged (resources by id, findings by fingerprint); ``context`` says
    when, of which estate and at which commit (none: "not recorded")."""
    context = context or PackContext()
    resources: dict[str, Mapping[str, Any]] = {}
    flows: dict[tuple[Any, ...], Mapping[str, Any]] = {}
    grants: dict[tuple[Any, ...], Mapping[str, Any]] = {}
    findings: dict[str, Mapping[str, Any]] = {}
    coverage: dict[tuple[Any, ...], Mapping[str, Any]] = {}
    guardrails: dict[tuple[Any, ...], Mapping[str, Any]] = {}
    baselined: dict[str, Mapping[str, Any]] = {}
    tools: set[str] = set()
    for result in results:
        tool = result.get("tool") or {}
        tools.add(f"{tool.get('name', 'offshore-scan')} {tool.get('version', '?')}")
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
    information = {rid: r for rid, r in assets.items() if holds_information(r["type"])}
    stored = tuple(sorted((Stored(_label(rid, r), r["type"], storage_kind(r["type"]), Place.of(r["location"]),
                                  r.get("marking")) for rid, r in information.items()),
                          key=lambda s: (_KIND_ORDER.index(s.kind), s.place.side, s.resource)))
    unplaced = _unplaced_items(assets, [f for f in flows.values() if f["resource"] in dwp], resources)
    paths = _one_way(tuple(sorted((_path(f, resources) for f in flows.values() if f["resource"] in dwp),
                                  key=lambda p: (p.place.side != "Outside the UK", p.place.side, p.source,
                                                 p.destination))))
    items = _keys_said(_offshore_items(assets, [f for f in flows.values() if f["resource"] in dwp], resources),
                       _protects(resources))
    # Copies outside the UK, or not placed, that the scan has no resource for (a DynamoDB replica region, a Cosmos DB
    # region, a vendor's telemetry store) hold DWP data too: listed in 2.1 with their source's kind and marking.
    stored = (*stored, *sorted((Stored(f"{i.place.describe()}: {i.via} of {resources[source].get('object') or source}"
                                       if i.sources else i.name, f"copy ({i.via}) of {resources[source]['type']}",
                                       storage_kind(resources[source]["type"]), i.place,
                                       resources[source].get("marking"), source)
                                for i in (*items, *unplaced) for source in (i.sources or (i.source,))
                                if source and source in resources),
                               key=lambda s: (_KIND_ORDER.index(s.kind), s.place.side, s.resource)))
    stored = tuple(sorted(stored, key=lambda s: _KIND_ORDER.index(s.kind)))
    table = table_with(context.adequacy)
    access = tuple(sorted((_access(g, resources) for g in grants.values()
                           if g["resource"] in dwp and not g.get("internal") and g.get("uk") is not True),
                          key=lambda a: (a.uk is not False, a.resource, a.principal)))
    access_paths = _access_paths(access)
    by_country: dict[str | None, list[str]] = {}
    how: dict[str | None, set[str]] = {}
    for item in items:
        by_country.setdefault(item.place.country, []).append(item.name)
        how.setdefault(item.place.country, set()).add(_HOW.get(item.via, "copied"))
    # A DWP resource or copy whose place is not established may be anywhere: section 4 has a row for it, as its
    # introduction says (the dataset whose location is a variable with no value, the registry that is not placed).
    for item in unplaced:
        by_country.setdefault(None, []).append(item.name)
        how.setdefault(None, set()).add(_HOW.get(item.via, "copied"))
    # A country staff or systems reach DWP resources from is a transfer too (policy section 3; UK GDPR): listed
    # with the access, and "not established" for a principal the estate map does not place.
    for route in access_paths:
        by_country.setdefault(route.country, []).append(f"accessed by {route.sentence()}")
        how.setdefault(route.country, set()).add("accessed from")
    ordered_findings = tuple(findings.values())
    uk_only_clouds = {"aws" if str(g.get("kind", "")).startswith("aws") else "azure"
                      for g in guardrails.values() if g.get("uk_only")}
    deployed = sorted({str(r["deployed_to"]) for r in dwp.values() if r.get("deployed_to")})
    decided = deciding_files(results, ordered_findings, context)
    return EvidencePack(
        tools=tuple(sorted(tools)),
        inputs=tuple(name for name, _ in decided),
        input_uses=decided,
        in_scope=_quantities(information.values()),
        holders=_quantities({**r, "marking": None} for rid, r in assets.items() if rid not in information),
        settings=len(dwp) - len(assets),
        stored=stored,
        storage_kinds=tuple((kind, _kinds()[kind][1]) for kind in _KIND_ORDER),
        paths=paths,
        offshore=_offshore(items),
        access=access,
        access_paths=access_paths,
        marking=protective_marking(context.marking, (r.get("marking") for r in dwp.values())),
        guardrails=tuple(guardrails.values()),
        coverage=tuple(sorted(coverage.values(),
                              key=lambda g: (g.get("kind") == "note", g["path"], g.get("line") or 0))),
        waived=tuple(f for f in findings.values() if f.get("waiver")),
        findings=tuple(findings.values()),
        baselined=tuple(sorted(baselined.values(), key=lambda f: (f["resource"], f["rule_id"], f["fingerprint"]))),
        cover=Cover(estate_name(context, results), context.generated or "not recorded", tuple(sorted(tools)),
                    context.commit or _NO_COMMIT, scope_of(results),
                    counts(ordered_findings, coverage.values(), len(baselined))),
        offshore_items=items,
        transfers=tuple(transfer(country, tuple(sorted(set(names))), table,
                                 tuple(h for h in _HOW_ORDER if h in how.get(country, ())))
                        for country, names in sorted(by_country.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))),
        custody=(*(custody(i.name, i.place.describe(), i.key, i.key_from,
                           (vendor_of_host(i.place.region or "")[0] or True) if i.place.cloud == "external"
                           else False)
                   for i in (*items, *unplaced) if i.stores),
                 *_custody_at_home(assets, [f for f in flows.values() if f["resource"] in dwp], grants.values(),
                                   {i.name for i in items})),
        adequacy_source=f"{table.source} (as of {table.as_of})",
        guardrail_fixes=tuple((cloud, _GUARDRAIL_FIX[cloud]) for cloud in deployed
                              if cloud in _GUARDRAIL_FIX and cloud not in uk_only_clouds),
    )


_NO_COMMIT = "not recorded: the pack is not tied to a revision (not a git checkout, or not readable)"

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
    note = str(flow["target"].get("note") or "")
    if target.cloud == "external" and note and vendor_of(note)[0] is None and note not in description:
        # How the destination was decided (a site left unset, so the vendor's default): said with the path, since
        # asking the contractor to change it depends on it.
        description = f"{description}; {note}"
    return Path22(source.get("object") or flow["resource"], Place.of(source["location"]), destination, target,
                  flow["kind"], description, flow.get("declared_by") or flow["resource"], encryption,
                  source.get("marking"), _recipient(flow, resources))


_PROVIDERS = {"aws": "AWS (Amazon Web Services)", "azure": "Microsoft (Azure)", "gcp": "Google (Google Cloud)"}


def _recipient(flow: Mapping[str, Any], resources: Mapping[str, Mapping[str, Any]]) -> str:
    """Who receives what a path carries: a third party by organisation (the endpoint catalogue's vendor, with its
    site and host as detail), or the cloud provider as processor, in the receiving resource's account if known."""
    target = flow["target"]
    cloud = str(target.get("cloud") or "")
    if cloud == "external":
        host = str(target.get("region") or "")
        vendor, site = vendor_of_host(host)
        if vendor is None:
            vendor, site = vendor_of(str(target.get("note") or ""))
        if vendor is None:
            return f"third party at {host} (organisation not in the endpoint catalogue: name it)"
        return f"{vendor} (third party; {f'site {site}, ' if site else ''}host {host})"
    provider = _PROVIDERS.get(cloud)
    if provider is None:
        return "not established"
    receiver = resources.get(str(flow.get("target_resource") or "")) or {}
    account = receiver.get("account")
    return f"{provider} as processor" + (f"; account {account}" if account else "")


_ENDPOINTS = Path(__file__).resolve().parents[2] / "providers" / "semantics" / "data" / "endpoints.yaml"


@functools.cache
def _vendors() -> tuple[str, ...]:
    """Every vendor the endpoint catalogue names, longest first (read as data: the pack imports no provider)."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                if key == "vendor" and isinstance(value, str):
                    found.add(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    try:
        walk(load_yaml(_ENDPOINTS.read_text(encoding="utf-8")))
    except OSError:
        return ()
    return tuple(sorted(found, key=lambda v: (-len(v), v)))


@functools.cache
def _catalogue() -> Mapping[str, Any]:
    try:
        raw = load_yaml(_ENDPOINTS.read_text(encoding="utf-8"))
    except OSError:
        return {}
    return raw if isinstance(raw, Mapping) else {}


def vendor_of_host(host: str) -> tuple[str | None, str]:
    """(vendor, site) of a host by the endpoint catalogue's own entry for it, whatever path or setting named it: an
    exact or wildcard ``hosts`` match, else the longest ``sites`` domain the host is or is under (``datadoghq.com``
    is Datadog US1 whether a Lambda's DD_SITE or a node agent's default put it there)."""
    host = host.strip().lower().split(":", 1)[0].rstrip(".")
    if not host:
        return None, ""
    catalogue = _catalogue()
    for entry in catalogue.get("hosts") or ():
        for match in entry.get("match") or ():
            match = str(match).lower()
            if host == match or (match.startswith("*.") and host.endswith(match[1:])):
                return str(entry.get("vendor") or "") or None, str(entry.get("site") or "")
    best: tuple[int, str | None, str] = (0, None, "")
    for family in (catalogue.get("sites") or {}).values():
        vendor = str(family.get("vendor") or "") or None
        for code, site in (family.get("sites") or {}).items():
            for domain in site.get("domains") or ():
                domain = str(domain).lower()
                if (host == domain or host.endswith("." + domain)) and len(domain) > best[0]:
                    best = (len(domain), vendor, str(code))
        unlisted = family.get("unlisted_site") or {}
        for under in unlisted.get("under") or ():
            under = str(under).lower()
            label = host[:-len(under) - 1].rsplit(".", 1)[-1] if host.endswith("." + under) else ""
            if label and re.fullmatch(str(unlisted.get("label") or "$^"), label) and best[0] <= len(under):
                best = (len(under), vendor, "")  # a site the catalogue does not list (us9.): the vendor, no site
    return best[1], best[2]


def vendor_of(note: str) -> tuple[str | None, str]:
    """(vendor, site) of an endpoint's note as the catalogue writes it (``Datadog EU1 (Germany)``)."""
    for vendor in _vendors():
        if note == vendor or note.startswith(vendor + " "):
            site = note[len(vendor):].split("(", 1)[0].split(";", 1)[0].strip()
            return vendor, site
    return None, ""


_NOT_COPIES = frozenset({"peering", "interconnect", "egress", "connected"})
"""Flow kinds that open a network path but leave no copy where they end: the path is in 2.2, the place is counted
only if a resource or a copy is there."""


def _offshore_items(assets: Mapping[str, Mapping[str, Any]], flows: Sequence[Mapping[str, Any]],
                    resources: Mapping[str, Mapping[str, Any]]) -> tuple[Offshore, ...]:
    """Every DWP resource and copy outside the UK, once: a copy that lands on a resource the scan holds is that
    resource (the S3 replica bucket is one place, not the bucket plus the rule that fills it)."""
    found: dict[str, Offshore] = {}
    vendors: dict[tuple[str, str], tuple[Place, list[str]]] = {}
    for rid, resource in assets.items():
        place = Place.of(resource["location"])
        if place.uk is False:
            found[rid] = Offshore(_label(rid, resource), place, "hosted", resource.get("key"), None,
                                  "key" not in resource or resource["key"] is not None)
    for flow in flows:
        target = Place.of(flow["target"])
        if target.uk is not False or flow["kind"] in _NOT_COPIES:
            continue
        landed = flow.get("target_resource")
        if landed:
            if landed in found:
                if found[landed].via == "hosted":
                    # A resource abroad that a copy lands on (a replica bucket, a read replica) is there as a copy.
                    found[landed] = replace(found[landed], via=flow["kind"])
                continue
            receiver = resources.get(landed) or {}
            own = receiver.get("key")
            source_name = resources[flow["resource"]].get("object") or flow["resource"]
            found[landed] = Offshore(_label(landed, receiver) if receiver else landed, target, flow["kind"],
                                     own if own else _copy_key(resources[flow["resource"]], target),
                                     None if own else source_name)
            continue
        source = resources[flow["resource"]]
        if target.cloud == "external":
            # One third party's endpoint is one place and one recipient, whatever number of DWP resources send
            # to it: said once, with its sources.
            vendors.setdefault((target.describe(), flow["kind"]), (target, []))[1].append(flow["resource"])
            continue
        name = f"{target.describe()}: {flow['kind']} of {source.get('object') or flow['resource']}"
        copy_key = _copy_key(source, target)
        found.setdefault(name, Offshore(name, target, flow["kind"], copy_key,
                                        None if copy_key is not source.get("key")
                                        else source.get("object") or flow["resource"], source=flow["resource"]))
    for (where, kind), (target, senders) in vendors.items():
        ordered = tuple(dict.fromkeys(senders))
        names = ", ".join(str(resources[s].get("object") or s) for s in ordered)
        name = f"{where}: {kind} of {names}"
        found.setdefault(name, Offshore(name, target, kind, None, None, source=ordered[0],
                                        sources=ordered if len(ordered) > 1 else ()))
    return tuple(sorted(found.values(), key=lambda o: (o.place.country or "", o.place.cloud, o.place.region or "",
                                                      o.name)))


_ENCRYPTION = Path(__file__).resolve().parents[2] / "providers" / "semantics" / "resource_map" / "encryption.yaml"


@functools.cache
def _not_stored() -> tuple[str, ...]:
    """Types that hold no DWP information at rest (networks, keys, key stores, resource groups): encryption.yaml's
    ``not_stored``, read as data."""
    try:
        return tuple(str(t) for t in load_yaml(_ENCRYPTION.read_text(encoding="utf-8")).get("not_stored") or ())
    except OSError:
        return ()


def holds_information(resource_type: str) -> bool:
    return not any(fnmatch.fnmatchcase(resource_type, pattern) for pattern in _not_stored())


@functools.cache
def _key_types() -> tuple[str, ...]:
    """Types that are keys or key stores (encryption.yaml's key_holders, and the vaults and key rings that hold
    them), read as data: they hold no DWP information, but the key to it."""
    try:
        raw = load_yaml(_ENCRYPTION.read_text(encoding="utf-8"))
    except OSError:
        return ()
    return (*(str(t) for t in raw.get("key_holders") or ()), "azurerm_key_vault", "aws_kms_*", "google_kms_*",
            "azurerm_key_vault_managed_hardware_security_module*")


def is_key(resource_type: str) -> bool:
    return any(fnmatch.fnmatchcase(resource_type, pattern) for pattern in _key_types())


_PARENT = re.compile(r"-> parent (\S+)")


def _protects(resources: Mapping[str, Mapping[str, Any]]) -> dict[str, list[tuple[str, str | None]]]:
    """Key or key store -> the DWP resources whose key it is (or holds), with their markings: the key of a storage
    account, and the Key Vault that key is in (its parent)."""
    found: dict[str, list[tuple[str, str | None]]] = {}
    for rid, resource in resources.items():
        key = resource.get("key") or {}
        named = str(key.get("key") or "")
        if not resource.get("dwp") or not named:
            continue
        holders = [named.rsplit(" in ", 1)[-1]] if " in " in named else [named]
        holder = resources.get(holders[0]) or {}
        holders += [m.group(1) for step in holder.get("provenance") or () for m in [_PARENT.search(str(step))] if m]
        for address in dict.fromkeys(holders):
            entry = (str(resource.get("object") or rid), resource.get("marking"))
            if entry not in found.setdefault(address, []):
                found[address].append(entry)
    return found


def _keys_said(items: tuple[Offshore, ...], protects: Mapping[str, list[tuple[str, str | None]]]
               ) -> tuple[Offshore, ...]:
    """A key or key vault abroad is where the key to DWP data is held, not DWP data hosted there: said so, with
    what it protects and that data's marking."""
    out = []
    for item in items:
        guarded = protects.get(item.name)
        if guarded is None:
            out.append(item)
            continue
        what = "; ".join(f"{name}, {marking_text(marking)}" for name, marking in guarded)
        out.append(replace(item, name=f"{item.name}: holds the key of {what}", via="key",
                           protects=tuple(name for name, _marking in guarded)))
    return tuple(out)


def _unplaced_items(assets: Mapping[str, Mapping[str, Any]], flows: Sequence[Mapping[str, Any]],
                    resources: Mapping[str, Mapping[str, Any]]) -> tuple[Offshore, ...]:
    """Every DWP resource, and every copy of DWP data, whose place is not established: each may be anywhere, so
    section 4 and key custody have a row for it."""
    found: dict[str, Offshore] = {}
    for rid, resource in assets.items():
        place = Place.of(resource["location"])
        if place.uk is None:
            found[rid] = Offshore(_label(rid, resource), place, "hosted", resource.get("key"), None,
                                  "key" not in resource or resource["key"] is not None
                                  or resource["type"] == "ContainerImage")
    for flow in flows:
        target = Place.of(flow["target"])
        if target.uk is not None or target.cloud == "external" or flow["kind"] in _NOT_COPIES:
            continue
        landed = flow.get("target_resource")
        if landed in found or (landed and landed in assets):
            continue
        source = resources[flow["resource"]]
        name = landed or f"{target.describe()}: {flow['kind']} of {source.get('object') or flow['resource']}"
        copy_key = _copy_key(source, target)
        found.setdefault(name, Offshore(name, target, flow["kind"], copy_key,
                                        None if copy_key is not source.get("key")
                                        else source.get("object") or flow["resource"],
                                        source=None if landed else flow["resource"]))
    return tuple(sorted(found.values(), key=lambda o: (o.place.cloud, o.name)))


def _custody_at_home(assets: Mapping[str, Mapping[str, Any]], flows: Sequence[Mapping[str, Any]],
                     grants: Iterable[Mapping[str, Any]], said: set[str]) -> tuple[Custody, ...]:
    """Key custody of DWP data in the UK whose key is not: held outside the UK (a storage account in uksouth under
    a customer-managed key in a Key Vault in westeurope), not placed, or usable by a principal outside the UK or
    not placed (a grant the scan records on the key). The data's UK copies (a GRS secondary) share the key."""
    usable: dict[str, list[str]] = {}
    for grant in grants:
        if grant.get("internal") or grant.get("uk") is True:
            continue
        who = f"{grant['principal']} ({grant.get('country') or 'country not established'})" + (
            f", {grant['owner']}" if grant.get("owner") else "")
        via = str(grant.get("declared_by") or "")
        route = f" through {via}" if via and via != grant["resource"] else ""
        usable.setdefault(str(grant["resource"]), []).append(f"{who}{route}")
    rows: list[Custody] = []
    for rid, resource in assets.items():
        place = Place.of(resource["location"])
        key = resource.get("key")
        name = _label(rid, resource)
        if place.uk is not True or name in said or not key or key.get("kind") != "customer":
            continue
        where = key.get("location") or {}
        users = sorted(set(usable.get(str(key.get("key") or ""), ())))
        if where.get("uk") is True and not users:
            continue
        copies = sorted({Place.of(f["target"]).describe() for f in flows
                         if f["resource"] == rid and f["kind"] not in _NOT_COPIES
                         and Place.of(f["target"]).uk is True and not f.get("target_resource")})
        label = name + (f" and its copies in {', '.join(copies)}" if copies else "")
        row = custody(label, place.describe(), key, None)
        if users:
            row = replace(row, held_by=f"{row.held_by}; the scan records a grant on the key to "
                                       f"{'; '.join(users)}: usable from outside the UK")
        if where.get("uk") is not True:
            row = replace(row, encrypted=f"{row.encrypted}; the data is in the UK, its key is not")
        rows.append(row)
    return tuple(sorted(rows, key=lambda c: c.copy))


def _copy_key(source: Mapping[str, Any], target: Place) -> Mapping[str, Any] | None:
    """The key a copy of ``source`` in ``target`` lands under: the one its replica block names for that region
    (``key.copies``), else the source's own configuration (which the copy inherits)."""
    key = source.get("key")
    copies = (key or {}).get("copies") or ()
    for wanted in (target.region, None):
        for copied in copies:
            if copied.get("region") == wanted:
                return copied
    return key


def _offshore(items: Iterable[Offshore]) -> tuple[tuple[str, str, str, int], ...]:
    places: Counter[tuple[str, str, str]] = Counter()
    for item in items:
        places[(item.place.country or "?", item.place.cloud, item.place.region or "?")] += 1
    return tuple(sorted((c, cl, r, n) for (c, cl, r), n in places.items()))


def _access(grant: Mapping[str, Any], resources: Mapping[str, Mapping[str, Any]]) -> Access:
    reached = resources.get(grant["resource"]) or {}
    declared = str(grant.get("declared_by") or "")
    # A grant through a role: the role's policy names the resource and the principal can assume the role.
    via = declared if declared and declared != grant["resource"] and "can assume" in grant["description"] else None
    identity = not reached.get("holds_data", True) and "role" in str(reached.get("type", "")).lower()
    return Access(grant["resource"], grant["principal"], grant.get("owner"), grant.get("country"), grant.get("uk"),
                  grant["description"], Place.of(reached["location"]) if reached else None, via, identity)


def _access_paths(access: Sequence[Access]) -> tuple[AccessPath, ...]:
    """One row per principal and route: the roles it can assume with the DWP resources each reaches (from the
    grants the scan records through that role), and grants on DWP resources themselves. What a role reaches is
    never made up: a role whose policies name no DWP resource the scan read says so."""
    through: dict[tuple[str, str], list[str]] = {}
    detail: dict[str, str] = {}
    for grant in access:
        if grant.via:
            through.setdefault((grant.principal, grant.via), []).append(grant.resource)
            allows = _ALLOWS.search(grant.description)
            if allows:
                detail[grant.resource] = allows.group(1)
    rows: dict[tuple[str, str], AccessPath] = {}
    for grant in access:
        if grant.identity and not grant.via:
            role = grant.resource
        elif grant.via:
            role = grant.via
        else:
            rows.setdefault((grant.principal, grant.resource), AccessPath(
                grant.principal, grant.owner, grant.country, f"can reach {grant.resource} ({grant.description})",
                grant.resource, (grant.resource,)))
            continue
        reached = tuple(sorted(set(through.get((grant.principal, role), ()))))
        named = [f"{r}: {detail[r]}" if r in detail else r for r in reached]
        other = " other" if any(r in detail for r in reached) else ""
        said = ("; ".join(named) + f" (the DWP resources its policies name; the scan does not record the{other} "
                "actions they allow)") if reached else ("what the role reaches is not shown by the scan (no policy "
                                                        "of it names a DWP resource in the scanned configuration)")
        rows.setdefault((grant.principal, role), AccessPath(grant.principal, grant.owner, grant.country,
                                                            f"can assume {role}", said, reached))
    return tuple(sorted(rows.values(), key=lambda r: (r.country is None, r.country or "", r.principal, r.route)))


_ALLOWS = re.compile(r" (allows [^;]*(?:; IAM database authentication[^;]*)?); can assume ")
"""What a grant through a role allows, where the scan records it (``allows rds-db:connect as database user U``)."""

_HOW = {"hosted": "hosted", "telemetry": "telemetry", "alerting": "telemetry", "log-export": "telemetry",
        "key": "key held there"}
"""How DWP data gets to a country, by what put it there (any other flow kind is a copy)."""
_HOW_ORDER = ("hosted", "copied", "telemetry", "key held there", "accessed from")


def _one_way(paths: tuple[Path22, ...]) -> tuple[Path22, ...]:
    """A two-way connection (a VPC peering and its accepter side) is one path: said once, from the side listed
    first (the one that leaves the UK), as two-way."""
    seen: dict[tuple[str, frozenset[str]], int] = {}
    kept: list[Path22] = []
    for path in paths:
        if path.mechanism not in _TWO_WAY:
            kept.append(path)
            continue
        key = (path.mechanism, frozenset((path.source, path.destination)))
        if key in seen:
            first = kept[seen[key]]
            if "two-way" not in first.description:
                kept[seen[key]] = replace(first, description=first.description + "; two-way (both sides declared)")
            continue
        seen[key] = len(kept)
        kept.append(path)
    return tuple(kept)


_TWO_WAY = frozenset({"peering", "interconnect", "connected"})
