"""The evidence pack as a sequence of blocks (headings, paragraphs, tables, the diagram, blanks), written
once and laid out by ``markdown`` and ``html``, so both formats always say the same thing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scanner.evidence.pack import UNANSWERED, EvidencePack, Offshore, Path22, marking_text


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    empty: str
    """Said instead of the table when it has no rows."""
    css: str = ""
    """A class for the HTML table (``network``: the wide 2.2 table, set smaller in print)."""


@dataclass(frozen=True)
class Diagram:
    pass


@dataclass(frozen=True)
class Marking:
    """The protective marking, at the top and the foot of the document (and of every printed page)."""

    text: str


@dataclass(frozen=True)
class Fields:
    """A short list of label: value pairs (the cover block)."""

    rows: tuple[tuple[str, str], ...]
    css: str = "cover"


@dataclass(frozen=True)
class Blank:
    """A question infrastructure cannot answer: a clearly marked space for the contractor."""

    section: str
    title: str
    asks: str

    @property
    def label(self) -> str:
        """``1.1 Timescales and Releases``; a part with no number (Landed resources) is said once."""
        return f"{self.section} {self.title}" if self.section else self.title


Block = Heading | Paragraph | Table | Diagram | Blank | Fields | Marking


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``1 path``, ``7 paths``, ``2 identities`` (given): never ``path(s)``."""
    return f"{count} {singular if count == 1 else plural_form or singular + 's'}"


def blocks(pack: EvidencePack) -> list[Block]:
    """The whole pack, in the questionnaire's order."""
    out: list[Block] = [
        Marking(pack.marking),
        Heading(1, "DWP Offshore Proposal Questionnaire: evidence from infrastructure"),
        *_cover(pack),
        Paragraph(f"Prepared by {', '.join(pack.tools)} from {plural(len(pack.inputs), 'input')} (listed under "
                  "Inputs at the end). It pre-fills what configuration and cloud accounts can answer (sections 2, "
                  "2.1, 2.2, 2.3, 3.1 and part of 4) and leaves the rest as marked blanks for the contractor."),
    ]
    if not pack.complete:
        out.append(Paragraph("**Warning: the scans behind this pack were incomplete.** Some input could not be read "
                             "(see Coverage below); an answer below may be missing what it did not see."))
    out += [
        Heading(2, "2. DWP Information, Systems or Services"),
        Paragraph("DWP resources found, by type, cloud and classification marking."),
        Table(("Type", "Cloud", "Marking", "Quantity"),
              tuple((t, c, marking_text(m), str(n)) for t, c, m, n in pack.in_scope),
              "No DWP resources were found in the inputs."),
        Paragraph(f"Also found: {plural(pack.settings, 'setting or identity', 'settings and identities')} of DWP "
                  "resources (policies, replication "
                  "and diagnostic settings, roles), which hold no information themselves; their paths and access "
                  "are in 2.2 and 3.1.") if pack.settings else Paragraph(""),
        Paragraph(f"Also found, and not counted as DWP information: "
                  f"{'; '.join(f'{n} {t} ({c})' for t, c, _m, n in pack.holders)}. Keys, key stores, networks and "
                  "resource groups hold no DWP information themselves; a key or key vault outside the UK is where "
                  "the key to DWP data is held (2.3, and key custody in 4).") if pack.holders else Paragraph(""),
        Heading(2, "2.1 Solution Details: how DWP information is stored"),
    ]
    for kind, description in pack.storage_kinds:
        rows = tuple((s.resource, s.type, s.place.describe(), s.place.side, marking_text(s.marking))
                     for s in pack.stored if s.kind == kind)
        out += [Heading(3, description),
                Table(("Resource", "Type", "Location", "UK?", "Marking"), rows, "None found.")]
    crossing = pack.crossing
    out += [
        Heading(2, "2.2 Network"),
        Paragraph(f"{plural(len(crossing), 'path carries', 'paths carry')} DWP information to or from a location "
                  "outside the UK or not established (replication, backup copies, diagnostic exports, peerings, "
                  "third-party endpoints); a two-way connection is one path. Recipient names who receives the data: "
                  "a third party by organisation, or the cloud provider as processor. Encryption in transit is given "
                  "where the configuration shows it. Access by principals outside the UK is in 3.1 below."),
        Table(("Source", "Source location", "Marking", "Destination", "Country", "Recipient", "Mechanism",
               "In transit"),
              tuple((p.source, p.source_place.describe(), marking_text(p.marking), p.destination,
                     p.place.country or "not established", p.recipient, _mechanism(p), p.encryption)
                    for p in crossing),
              "No path carries DWP information outside the UK.", css="network"),
        Heading(3, "Diagram"),
        Paragraph("Every path of DWP information found, every DWP resource outside the UK or not placed, and every "
                  "principal outside the UK that can reach a DWP resource, grouped by the UK boundary, country and "
                  "provider region; roles are global and hold no DWP data, so they are drawn apart. The legend "
                  "says what each line and box means."),
        Diagram(),
        Heading(2, "2.3 and 3.1 Offshore locations and access"),
        Paragraph("Provider regions outside the UK that hold DWP resources or copies of their data (these are "
                  "data-centre regions, not street addresses: see 3.1 below). A resource hosted abroad and a copy "
                  "that lands on it are one place, counted once."),
        Table(("Country", "Cloud", "Region", "DWP resources or copies", "Which"),
              tuple((c, cl, r, _counted(pack, (c, cl, r)), "; ".join(i.name for i in _there(pack, (c, cl, r))))
                    for c, cl, r, _n in pack.offshore), "None."),
        Paragraph("Principals that can reach DWP resources and are outside the UK, or whose location is not "
                  "established (the estate map in the config, listed under Inputs, places them), and what they "
                  "reach: through a role they can assume (the DWP resources the role's policies name), or by a "
                  "grant on the resource itself. The scan records which resources a policy names, not the actions "
                  "it allows: the contractor states them."),
        Table(("Country", "Principal", "Owner", "Route", "What it reaches"),
              tuple((a.country or "not established", a.principal, a.owner or "not named", a.route, a.reaches)
                    for a in pack.access_paths), "None."),
        Heading(2, "Guardrails"),
        Table(("Kind", "Description", "UK only", "Declared at"),
              tuple((str(g["kind"]), str(g["description"]), "yes" if g.get("uk_only") else "no",
                     _where(g.get("source") or {})) for g in pack.guardrails),
              "No region-deny guardrail was found."),
        *((Paragraph("No UK-only guardrail was found for a cloud DWP resources are deployed to. The fix, per cloud:"),
           Table(("Cloud", "Guardrail to add"), pack.guardrail_fixes, "")) if pack.guardrail_fixes else ()),
        Heading(2, "Findings"),
        Paragraph("Every finding behind the summary, most severe first: what failed the policy, and what could not "
                  "be decided (with why)."),
        Table(("Rule", "Outcome", "Severity", "Resource", "Finding"),
              tuple((f["rule_id"], f["outcome"], f["severity"], f["resource"], f["message"])
                    for f in sorted(pack.findings, key=_by_severity) if not f.get("waiver")), "None."),
        Heading(2, "Approved arrangements (waived findings)"),
        Table(("Rule", "Resource", "Approval", "Approver", "Expires", "Reason"),
              tuple((f["rule_id"], f["resource"], f["waiver"]["approval"], f["waiver"]["approver"],
                     f["waiver"]["expires"], f["waiver"]["reason"]) for f in pack.waived), "None."),
        *((Heading(2, "Findings already in the baseline"),
           Paragraph("Not reported again in this pack because the baseline report given to the scan holds them; "
                     "they are still true of the estate."),
           Table(("Rule", "Resource", "Outcome", "Severity", "Fingerprint", "Finding"),
                 tuple((f["rule_id"], f["resource"], f["outcome"], f["severity"], f["fingerprint"], f["message"])
                       for f in pack.baselined), "None.")) if pack.baselined else ()),
        Heading(2, "Coverage"),
        Paragraph("What could not be read or decided. An answer above covers only what was read."),
        Table(("Where", "Kind", "Reason"),
              tuple((_where(g), str(g.get("kind")), str(g["reason"])) for g in pack.coverage),
              "Every input was read whole (findings that could not be decided are listed under Findings above)."),
        Heading(2, "4. Legal Assessment: what infrastructure shows"),
        Paragraph("For each country outside the UK that DWP data reaches or is accessed from (hosted there, copied "
                  "there, sent there as telemetry, or reached by staff or systems there), and for each place not "
                  "established: whether UK adequacy regulations cover it and, where they do not, the transfer "
                  "mechanism (IDTA or the Addendum) and the transfer risk assessment (TRA) that must be named. "
                  "The questionnaire cites the Data Protection Act 1998; the answer is now given under the UK GDPR "
                  "and the Data Protection Act 2018. A processor's onward transfers (a provider's or vendor's "
                  f"support staff abroad) need the same answer. Adequacy table: {pack.adequacy_source}; "
                  "offshore-scan.yaml's adequacy: key overrides it. This is not legal advice: the contractor's data "
                  "protection officer confirms it."),
        Table(("Country", "Name", "How the data gets there", "UK adequacy regulations", "Mechanism needed",
               "DWP resources, copies or access"),
              tuple((t.country, t.name or "not named", ", ".join(t.how), t.adequacy, t.needed, "; ".join(t.what))
                    for t in pack.transfers),
              "DWP data reaches no country outside the UK and is accessed from none."),
        Paragraph("Key custody for each DWP resource or copy outside the UK or whose place is not established, "
                  "and for each in the UK whose key is held outside the UK or may be used from outside it (a grant "
                  "the scan records on the key): is it encrypted at rest, with which key, and where that key is "
                  "held. A customer key held in the UK keeps the data unreadable abroad without it, unless a "
                  "principal abroad may use it; a multi-Region replica key or a key vault abroad does not, even for "
                  "data held in the UK."),
        Table(("Resource or copy", "Location", "Encrypted at rest", "Key", "Key held", "Held by"),
              tuple((c.copy, c.location, c.encrypted, c.key, c.key_location, c.held_by) for c in pack.custody),
              "No DWP resource or copy outside the UK or not placed, and no key of UK data held or usable "
              "outside the UK."),
        Heading(2, "Questions infrastructure cannot answer"),
        Paragraph("Where staff sit and who they are is not written in infrastructure. To be completed by the "
                  "contractor:"),
    ]
    out += [Blank(section, title, asks) for section, title, asks in UNANSWERED]
    out.append(Heading(2, "Inputs"))
    out.append(Table(("Input", "What it decided"), pack.input_uses or tuple((i, "") for i in pack.inputs), "None."))
    out.append(Marking(pack.marking))
    return out


def _there(pack: EvidencePack, place: tuple[str, str, str]) -> list[Offshore]:
    return [i for i in pack.offshore_items if (i.place.country or "?", i.place.cloud, i.place.region or "?") == place]


def _counted(pack: EvidencePack, place: tuple[str, str, str]) -> str:
    """``2``, or ``1 + 1 key`` where a key or key vault is there: a key is not DWP information."""
    items = _there(pack, place)
    keys = sum(1 for i in items if i.via == "key")
    data = len(items) - keys
    return str(data) if not keys else f"{data} + {plural(keys, 'key')}" if data else plural(keys, "key")


def _mechanism(path: Path22) -> str:
    """``replication: S3 replication rule (...)``, naming the resource that declares the path when the description
    does not."""
    mechanism = f"{path.mechanism}: {path.description}"
    declared = path.declared
    return mechanism if declared in mechanism else f"{mechanism} (declared by {declared})"


def _cover(pack: EvidencePack) -> list[Block]:
    cover = pack.cover
    if cover is None:
        return []
    return [Fields((("Estate", cover.estate), ("Generated", cover.generated), ("Tool", ", ".join(cover.tools)),
                    ("Commit", cover.commit), ("Protective marking", pack.marking), *cover.scope)),
            Heading(2, "Summary"),
            Fields(cover.counts, css="counts")]


def _where(source: object) -> str:
    if not isinstance(source, dict):
        return ""
    path = str(source.get("path") or "")
    return f"{path}:{source['line']}" if source.get("line") else path


_SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}


def _by_severity(finding: Any) -> tuple[int, int, str, str]:
    return (_SEVERITY_ORDER.get(str(finding.get("severity")), 4), 0 if finding.get("outcome") == "fail" else 1,
            str(finding.get("resource")), str(finding.get("rule_id")))
