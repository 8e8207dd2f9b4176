"""The pack's cover block and its list of inputs: when it was made, by which version, of what estate and scope, at
which commit, with the summary counts, and every file that decided an answer.

What the results cannot say (the clock, the config, the git checkout) comes in a ``PackContext`` the caller fills
(``context_for``), so ``build_pack`` stays a function of its arguments and goldens stay byte-identical.
"""

from __future__ import annotations

import datetime
import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

_SEVERITIES = ("critical", "high", "medium", "low")


@dataclass(frozen=True)
class PackContext:
    """What the pack says about itself beyond the results."""

    generated: str | None = None
    """``2026-12-07 17:10 UTC``; None says "not recorded"."""
    estate_name: str | None = None
    """The config's ``estate_name``; None falls back to the organisation or the scanned directory's name."""
    commit: str | None = None
    config: str | None = None
    """The config file the scan read, listed among the inputs."""
    adequacy: Mapping[str, Any] | None = None
    """The config's ``adequacy:`` entries, over the built-in table."""
    marking: str | None = None
    """The config's ``protective_marking``; None: the highest marking found, at least OFFICIAL-SENSITIVE."""


@dataclass(frozen=True)
class Cover:
    estate: str
    generated: str
    tools: tuple[str, ...]
    commit: str
    scope: tuple[tuple[str, str], ...]
    """(what, which): directories, plan and state files, accounts and regions, subscriptions."""
    counts: tuple[tuple[str, str], ...]


def generated_at(environ: Mapping[str, str] | None = None) -> str:
    """Now, or ``SOURCE_DATE_EPOCH`` when set (as reproducible-builds tools honour it), in UTC to the minute."""
    environ = os.environ if environ is None else environ
    epoch = environ.get("SOURCE_DATE_EPOCH", "").strip()
    moment = datetime.datetime.now(datetime.UTC)
    if epoch.isdigit():
        moment = datetime.datetime.fromtimestamp(int(epoch), datetime.UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def git_commit(start: Path) -> str | None:
    """The commit checked out where ``start`` is, or None: ``.git/HEAD`` and its ref read directly (no git needed),
    then ``git rev-parse``; anything unexpected (a worktree, a packed ref git is absent for, no repository) is None,
    never an error: a pack without a commit is still a pack."""
    try:
        directory = start.resolve()
        for candidate in (directory, *directory.parents):
            git = candidate / ".git"
            if git.is_dir():
                found = _read_head(git)
                return found if found is not None else _rev_parse(candidate)
            if git.is_file():  # a worktree or submodule: its gitdir is elsewhere; let git follow it
                return _rev_parse(candidate)
    except OSError:
        return None
    return None


def _read_head(git: Path) -> str | None:
    head = (git / "HEAD").read_text(encoding="utf-8", errors="replace").strip()
    if _SHA.fullmatch(head):
        return head
    if not head.startswith("ref: "):
        return None
    ref = head[5:].strip()
    if ".." in ref or not ref.startswith("refs/"):
        return None
    loose = git / ref
    if loose.is_file():
        value = loose.read_text(encoding="utf-8", errors="replace").strip()
        return value if _SHA.fullmatch(value) else None
    packed = git / "packed-refs"
    if packed.is_file():
        for line in packed.read_text(encoding="utf-8", errors="replace").splitlines():
            sha, _, name = line.partition(" ")
            if name.strip() == ref and _SHA.fullmatch(sha):
                return sha
    return None


def _rev_parse(directory: Path) -> str | None:
    git = shutil.which("git")
    if git is None:
        return None
    try:
        done = subprocess.run([git, "-C", str(directory), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    value = done.stdout.strip()
    return value if done.returncode == 0 and _SHA.fullmatch(value) else None


def scanned_root(scanned: Iterable[str]) -> str | None:
    """The directory every scanned file is under (``fixtures/demo``), or None for live scopes or nothing in common."""
    files = [s for s in scanned if "/" in s or "." in PurePosixPath(s).name]
    parents = [str(PurePosixPath(f).parent) for f in files if not _is_scope(f)]
    if not parents:
        return None
    common = os.path.commonpath(parents) if all(p.startswith("/") for p in parents) or not any(
        p.startswith("/") for p in parents) else None
    return common or None


_ACCOUNT = re.compile(r"\d{12}")
_SUBSCRIPTION = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_PLAN_OR_STATE = re.compile(r"(\.tfstate(\.backup)?|\.tfplan|plan[^/]*\.json|\.plan)$", re.IGNORECASE)


def _is_scope(entry: str) -> bool:
    first = entry.split("/", 1)[0]
    return bool(_ACCOUNT.fullmatch(first) or _SUBSCRIPTION.fullmatch(first))


def scope_of(results: Sequence[Mapping[str, Any]]) -> tuple[tuple[str, str], ...]:
    """The scope as a reviewer reads it: which directories, plan or state files, accounts and regions, subscriptions."""
    directories: set[str] = set()
    plans: set[str] = set()
    accounts: dict[str, set[str]] = {}
    subscriptions: set[str] = set()
    organisations: set[str] = set()
    for result in results:
        scanned = [str(s) for s in result.get("scanned") or ()]
        files = [s for s in scanned if not _is_scope(s)]
        plans.update(f for f in files if _PLAN_OR_STATE.search(f))
        root = scanned_root(f for f in files if not _PLAN_OR_STATE.search(f))
        if root:
            directories.add(root)
        for scope in result.get("scopes") or ():
            account = str(scope.get("account"))
            if _SUBSCRIPTION.fullmatch(account):
                subscriptions.add(account)
            else:
                accounts.setdefault(account, set()).add(str(scope.get("region")))
        audit = result.get("audit") or {}
        if audit.get("organisation"):
            organisations.add(str(audit["organisation"]))
    static = bool(directories or plans)
    live = bool(accounts or subscriptions or organisations)
    # "none" would read as "nothing in scope": a part a scan of this kind does not cover is said to be so.
    not_static = "not applicable (live account scan)"
    not_live = "not applicable (configuration scan)"
    rows = [("Directories", ", ".join(sorted(directories)) or (not_static if live else "none")),
            ("Plan and state files", ", ".join(sorted(plans)) or ("none" if static or not live else not_static))]
    if organisations:
        rows.append(("Organisation", ", ".join(sorted(organisations))))
    rows.append(("Accounts and regions", "; ".join(f"{a}: {', '.join(sorted(r))}" for a, r in sorted(accounts.items()))
                 or (not_live if static else "none")))
    rows.append(("Subscriptions", ", ".join(sorted(subscriptions)) or (not_live if static and not live else "none")))
    deployed = deploys_to(results)
    if deployed:
        rows.append(("Deploys to", deployed))
    return tuple(rows)


def deploys_to(results: Sequence[Mapping[str, Any]]) -> str:
    """The clouds and regions the scanned DWP resources are deployed to (``aws: eu-west-2, us-east-1; azure:
    uksouth``): what a configuration scan covers in place of accounts and subscriptions."""
    regions: dict[str, set[str]] = {}
    unresolved: set[str] = set()
    for result in results:
        for resource in (result.get("inventory") or {}).get("resources") or ():
            if not resource.get("dwp"):
                continue
            location = resource.get("location") or {}
            cloud, region = str(location.get("cloud") or ""), location.get("region")
            if cloud in ("", "unknown", "external"):
                continue
            if not region:
                unresolved.add(cloud)
            elif region != "global":
                regions.setdefault(cloud, set()).add(str(region))
    for cloud in unresolved:
        regions.setdefault(cloud, set()).add("a region not established")
    return "; ".join(f"{cloud}: {', '.join(sorted(found))}" for cloud, found in sorted(regions.items()))


def estate_name(context: PackContext, results: Sequence[Mapping[str, Any]]) -> str:
    """The config's ``estate_name``, else the organisation a live audit names, else the scanned directory's name."""
    if context.estate_name:
        return context.estate_name
    for result in results:
        organisation = (result.get("audit") or {}).get("organisation")
        if organisation:
            return str(organisation)
    roots = {scanned_root(str(s) for s in result.get("scanned") or ()) for result in results} - {None}
    names = sorted({PurePosixPath(str(r)).name or str(r) for r in roots if r not in (".", "")})
    return ", ".join(names) if names else "not named (set estate_name in offshore-scan.yaml)"


def counts(findings: Iterable[Mapping[str, Any]], coverage: Iterable[Mapping[str, Any]],
           baselined: int) -> tuple[tuple[str, str], ...]:
    found = list(findings)
    fails = [f for f in found if f.get("outcome") == "fail" and not f.get("waiver")]
    by_severity = ", ".join(f"{sum(1 for f in fails if f.get('severity') == s)} {s}" for s in _SEVERITIES)
    rows = [("Fail", f"{len(fails)} ({by_severity})"),
            ("Unknown (could not be decided)",
             str(sum(1 for f in found if f.get("outcome") == "unknown" and not f.get("waiver")))),
            ("Coverage gaps", str(sum(1 for g in coverage if g.get("kind") != "note"))),
            ("Waived (approved arrangements)", str(sum(1 for f in found if f.get("waiver"))))]
    if baselined:
        rows.append(("In the baseline, not reported again", str(baselined)))
    return tuple(rows)


_FILE_IN_PROVENANCE = re.compile(r"\((?:declared |default, )?([^()\s]+?\.[A-Za-z0-9]+):\d+")


def deciding_files(results: Sequence[Mapping[str, Any]], findings: Iterable[Mapping[str, Any]],
                   context: PackContext) -> tuple[tuple[str, str], ...]:
    """Every file that decided an answer and what it decided: the scanned files, the files provenance names (tfvars
    and variable files the scan read for a value), the waivers files of waived findings, and the config the scans
    recorded reading or the pack was given (its estate map places principals)."""
    files: dict[str, set[str]] = {}

    def add(name: str, use: str) -> None:
        files.setdefault(name, set()).add(use)

    placed: set[str] = set()
    for result in results:
        for scanned in result.get("scanned") or ():
            add(str(scanned), "scanned")
        inventory = result.get("inventory") or {}
        for item in (*(inventory.get("resources") or ()), *(inventory.get("flows") or ())):
            for step in item.get("provenance") or ():
                for found in _FILE_IN_PROVENANCE.findall(str(step)):
                    add(found, "a value a location depends on")
        for grant in inventory.get("grants") or ():
            if grant.get("owner") and not grant.get("internal"):
                placed.add(f"{grant['principal']} in {grant.get('country') or 'a country not established'}")
        if result.get("config"):
            add(str(result["config"]), _CONFIG)
    for finding in findings:
        source = str((finding.get("waiver") or {}).get("source") or "")
        if source:
            add(re.sub(r":\d+$", "", source), "waivers")
    if context.config:
        add(context.config, _CONFIG)
    # The estate map that placed the principals is the config's (the one the scan recorded reading, or the one the
    # pack was made with when a result records none).
    for uses in files.values():
        if "scanned" in uses:
            uses.discard("a value a location depends on")
    configs = [name for name, uses in files.items() if _CONFIG in uses]
    for name in configs:
        if placed:
            add(name, "its estate map places " + ", ".join(sorted(placed)))
    return tuple((name, "; ".join(sorted(uses, key=_use_order))) for name, uses in sorted(files.items()))


_CONFIG = ("config (the estate map, endpoints and cluster region the scan used; the pack's estate name, adequacy and "
           "marking)")


def _use_order(use: str) -> tuple[int, str]:
    return (1 if use.startswith("its estate map") else 0, use)
