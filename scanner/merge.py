"""Joining results: shards of one audit, and static and live results of one estate, into one inventory.

A pure function. What several results hold alike (an organisation's structure and SCPs, which every shard reads) is
kept once; a resource two results hold differently is kept once, the DWP reading preferred, so a join never loses a
DWP resource. Shards of an audit must add up to it: an account no result covers, or one covered twice, is a gap
(the scan is incomplete), never a silently smaller or doubled audit. Judging is left to the engine, on the joined
inventory, so an estate-wide verdict sees every account as one unsharded run would.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import replace
from typing import TypeVar

from scanner.model import Audit, CoverageGap, Inventory, Resource, ScopeCoverage, ScopeStatus

_T = TypeVar("_T", bound=Hashable)

_WORST_FIRST = (ScopeStatus.DENIED, ScopeStatus.FAILED, ScopeStatus.THROTTLED, ScopeStatus.DISABLED,
                ScopeStatus.SCANNED)
"""When two results read one scope differently, the worse answer stands: a denial is never hidden by a success."""


def merge_results(inventories: Sequence[Inventory], names: Sequence[str]) -> Inventory:
    """One inventory of every result; ``names`` (the files, in the same order) appear in the gaps."""
    audits, gaps = join_audits([(inventory.audit, name) for inventory, name in zip(inventories, names, strict=True)])
    if audits is not None:
        inventories = [_without_unread_controls(inventory, audits) for inventory in inventories]
    return Inventory(
        resources=_resources(r for inventory in inventories for r in inventory.resources),
        flows=_unique(f for inventory in inventories for f in inventory.flows),
        grants=_unique(g for inventory in inventories for g in inventory.grants),
        coverage=_unique((*(g for inventory in inventories for g in inventory.coverage), *gaps)),
        scanned=tuple(sorted(set(s for inventory in inventories for s in inventory.scanned))),
        guardrails=_unique(g for inventory in inventories for g in inventory.guardrails),
        scopes=_scopes(s for inventory in inventories for s in inventory.scopes),
        audit=audits,
    )


def _without_unread_controls(inventory: Inventory, audit: Audit) -> Inventory:
    """A result of accounts the audit covers, which did not read their controls (a scan without ``--org``), says
    nothing about them that the audit's own reading does not answer: its "not read" guardrail is dropped."""
    if inventory.audit is not None or not any(not g.read for g in inventory.guardrails):
        return inventory
    accounts = {s.account for s in inventory.scopes} | {r.account for r in inventory.resources if r.account}
    if not accounts or not accounts <= set(audit.accounts):
        return inventory
    return replace(inventory, guardrails=tuple(g for g in inventory.guardrails if g.read))


def _unique(items: Iterable[_T]) -> tuple[_T, ...]:
    """Each item once, in the order first met."""
    return tuple(dict.fromkeys(items))


def _resources(resources: Iterable[Resource]) -> tuple[Resource, ...]:
    """One resource per id. Of two readings, the DWP one, then the one sure of it, then the placed one; the rest
    of the tie by content, so the order the results are given in never changes the answer."""
    kept: dict[str, Resource] = {}
    for resource in resources:
        held = kept.get(resource.id)
        if held is None or _preference(resource) > _preference(held):
            kept[resource.id] = resource
    return tuple(kept.values())


def _preference(resource: Resource) -> tuple[bool, bool, bool, str]:
    return (resource.classification.dwp, resource.classification.certain, resource.location.uk is not None,
            repr(resource))


def _scopes(scopes: Iterable[ScopeCoverage]) -> tuple[ScopeCoverage, ...]:
    """One scope per (account, region, service): the worst status, its detail, and the most calls any result made
    (every shard reads the organisation alike, so the calls are not added up)."""
    kept: dict[tuple[str, str, str], ScopeCoverage] = {}
    for scope in scopes:
        key = (scope.account, scope.region, scope.service)
        held = kept.get(key)
        if held is None:
            kept[key] = scope
            continue
        worse = min((held, scope), key=lambda s: (_WORST_FIRST.index(s.status), s.detail or ""))
        kept[key] = ScopeCoverage(*key, worse.status, max(scope.calls, held.calls), worse.detail)
    return tuple(kept.values())


def join_audits(audits: Sequence[tuple[Audit | None, str]]) -> tuple[Audit | None, list[CoverageGap]]:
    """The whole audit the results (each an audit or None, with its file's name) make up, and a gap for every
    account missing or covered twice. ``offshore-scan evidence`` makes the same checks."""
    parts = [(audit, name) for audit, name in audits if audit is not None]
    if not parts:
        return None, []
    gaps: list[CoverageGap] = []
    wholes = {(audit.organisation, audit.accounts) for audit, _ in parts}
    if len({audit.organisation for audit, _ in parts}) > 1:
        described = "; ".join(f"{name}: {audit.label}, {len(audit.accounts)} accounts" for audit, name in parts)
        gaps.append(CoverageGap("merge", None, f"the results are parts of different audits ({described}): merge "
                                "the shards of one organisation or account list"))
    elif len(wholes) > 1:
        every = {a for audit, _ in parts for a in audit.accounts}
        some = sorted(a for a in every if any(a not in audit.accounts for audit, _ in parts))
        counts = "; ".join(f"{name}: {len(audit.accounts)}" for audit, name in parts)
        gaps.append(CoverageGap("merge", None, f"the results list different accounts for the audit ({counts}; in some "
                                f"lists only: {', '.join(some[:10])}{' and more' if len(some) > 10 else ''}): the "
                                "organisation changed while the shards ran, or they were run with different --account "
                                "or --exclude-account; run every shard again"))
    organisation, accounts = min(wholes, key=lambda whole: (whole[0] or "", whole[1]))
    regions = {audit.regions for audit, _ in parts}
    if len(regions) > 1:
        described = "; ".join(f"{name}: {', '.join(a.regions) if a.regions else 'every enabled region'}"
                              for a, name in parts)
        gaps.append(CoverageGap("merge", None, f"the results scanned different regions ({described}): what one "
                                "shard did not scan is not judged; run every shard with the same --region"))
    settings = {audit.settings for audit, _ in parts}
    if len(settings) > 1:
        described = "; ".join(f"{name}: {a.settings or 'none recorded'}" for a, name in parts)
        gaps.append(CoverageGap("merge", None, f"the results were judged under different configurations ({described}):"
                                " who is DWP, the estate map or the endpoints differ; run every shard with the same "
                                "offshore-scan.yaml and --scope"))
    audit = Audit(organisation, accounts, None, min(regions, key=lambda r: r or ()), min(settings))
    covered: dict[str, list[str]] = {}
    counts = {a.shard.count for a, _ in parts if a.shard is not None}
    for part, name in parts:
        share = part.accounts if part.shard is None else part.shard.accounts
        label = name if part.shard is None else f"{name} (shard {part.shard.index}/{part.shard.count})"
        for account in share:
            covered.setdefault(account, []).append(label)
    if len(counts) > 1:
        gaps.append(CoverageGap("merge", None, f"shards of different splits ({', '.join(map(str, sorted(counts)))} "
                                f"shards): every shard of one audit must be run with the same --shard K/N"))
    missing = [a for a in accounts if a not in covered]
    if missing:
        shown = ", ".join(missing[:20]) + (f" and {len(missing) - 20} more" if len(missing) > 20 else "")
        gaps.append(CoverageGap(f"{audit.label}", None, f"{len(missing)} of the {len(accounts)} accounts of the audit "
                                f"are in no result ({_missing_shards(parts, counts)}): {shown}; run the shards that "
                                "cover them, or merge their results", kind="skipped"))
    for account, labels in sorted(covered.items()):
        if len(labels) > 1:
            gaps.append(CoverageGap(f"{audit.label}", None, f"account {account} is in {len(labels)} results "
                                    f"({'; '.join(labels)}): a shard merged twice, or shards of overlapping runs"))
    return audit, gaps


def _missing_shards(parts: Sequence[tuple[Audit, str]], counts: set[int]) -> str:
    if len(counts) != 1:
        return "a result is missing"
    count = next(iter(counts))
    given = {part.shard.index for part, _ in parts if part.shard is not None}
    absent = [str(index) for index in range(count) if index not in given]
    return f"shard {', '.join(absent)} of {count} not given" if absent else "a shard covered fewer accounts"
