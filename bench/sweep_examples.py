"""Scan the examples of public Terraform modules with one or more builds of offshore-scan and tabulate the results.

Each DIR is a module repository: every directory directly under its ``examples/`` is scanned (a DIR without
``examples/`` is scanned itself). The examples call their module with ``source = "../../"``, which is on disk, so
the module is evaluated with them. Every example is scanned by every scanner with ``--scope all`` (every resource
treated as DWP: the stress test) and once more with the default scope (to check for crashes only), each run under a
timeout. A run is a crash when its exit code is not 0, 1 or 2, or when it prints a traceback.

    python bench/sweep_examples.py \\
        --scanner before=/tmp/before-venv/bin/offshore-scan --scanner after=offshore-scan \\
        --family terraform-aws-modules /tmp/sweep/terraform-aws-* \\
        --family cloudposse /tmp/sweep/cp-* \\
        --out /tmp/sweep-out --records /tmp/sweep-out/records.json

Prints Markdown: a table per family (crashes and timeouts count both scopes; gaps, findings, resources and time
are the ``--scope all`` runs), findings by rule and outcome, coverage gaps by kind, the top net unknowns
(OFS-CONN-001, and OFS-UNK-001 findings that say "offshore-scan does not model") by declaring type and argument for
the last scanner given, and every crash with the last lines of its stderr. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

NET_MARK = "offshore-scan does not model"
_NET_ARGUMENT = re.compile(r"\((?P<type>[A-Za-z0-9_]+)\)(?:, connected by .*?,)? (?P<arg>\S+) names")
_NET_PLACEMENT = re.compile(r"\((?P<type>[A-Za-z0-9_]+)\)(?:, connected by .*?,)? is placed in")


@dataclass
class Run:
    family: str
    example: str
    scanner: str
    scope: str
    command: str
    exit_code: int | None
    seconds: float
    crashed: bool
    timed_out: bool
    stderr_tail: list[str] = field(default_factory=list)
    resources: int = 0
    findings: dict[str, int] = field(default_factory=dict)
    """``RULE outcome`` -> count."""
    gaps: dict[str, int] = field(default_factory=dict)
    """coverage kind -> count."""
    net: dict[str, int] = field(default_factory=dict)
    """``type argument`` -> count of net unknowns."""
    connected_flows: dict[str, int] = field(default_factory=dict)
    """``inventory.flows[kind == connected].description`` -> count."""


def examples_of(directory: Path) -> list[Path]:
    examples = directory / "examples"
    if not examples.is_dir():
        return [directory]
    return sorted(path for path in examples.iterdir() if path.is_dir())


def net_key(message: str) -> str:
    """``type argument`` of a net unknown, from its message."""
    match = _NET_ARGUMENT.search(message)
    if match:
        return f"{match['type']} {match['arg']}"
    match = _NET_PLACEMENT.search(message)
    if match:
        return f"{match['type']} (placement)"
    return "? ?"


def read_report(run: Run, report: Path) -> None:
    try:
        data = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    inventory = data.get("inventory") or {}
    run.resources = len(inventory.get("resources") or [])
    findings: Counter[str] = Counter()
    net: Counter[str] = Counter()
    for finding in data.get("findings") or []:
        findings[f"{finding['rule_id']} {finding['outcome']}"] += 1
        rule, message = finding["rule_id"], finding.get("message") or ""
        if rule == "OFS-CONN-001" or (rule == "OFS-UNK-001" and NET_MARK in message):
            net[net_key(message)] += 1
    run.findings = dict(findings)
    run.net = dict(net)
    run.gaps = dict(Counter(str(gap.get("kind")) for gap in data.get("coverage") or []))
    run.connected_flows = dict(Counter(
        flow.get("description", "?") for flow in inventory.get("flows") or [] if flow.get("kind") == "connected"
    ))


def scan(family: str, example: Path, label: str, command: list[str], scope: str, out: Path, timeout: float,
         cache: Path) -> Run:
    report = out / label / scope / f"{family}--{example.parent.parent.name}--{example.name}.json"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.unlink(missing_ok=True)
    scoped = ["--scope", "all"] if scope == "all" else []
    argv = [*command, "scan", str(example), "--format", "json", *scoped, "--allow-partial", "-o", str(report)]
    env = {**os.environ, "OFFSHORE_SCAN_CACHE_DIR": str(cache / label)}
    started = time.perf_counter()
    timed_out = False
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env, check=False)
        code, stderr = done.returncode, done.stderr
    except subprocess.TimeoutExpired as expired:
        timed_out, code = True, None
        partial = expired.stderr or ""
        stderr = partial.decode(errors="replace") if isinstance(partial, bytes) else partial
    seconds = time.perf_counter() - started
    crashed = (code is not None and code not in (0, 1, 2)) or "Traceback (most recent call last)" in stderr
    run = Run(family, f"{example.parent.parent.name}/examples/{example.name}", label, scope, shlex.join(argv), code,
              round(seconds, 2), crashed, timed_out, stderr.strip().splitlines()[-8:] if crashed or timed_out else [])
    if scope == "all" and not timed_out:
        read_report(run, report)
    return run


def _sum(runs: list[Run], attribute: str) -> Counter[str]:
    total: Counter[str] = Counter()
    for run in runs:
        total.update(getattr(run, attribute))
    return total


def render(runs: list[Run], labels: list[str], top: int) -> str:
    lines: list[str] = []
    by_family: dict[str, list[Run]] = defaultdict(list)
    for run in runs:
        by_family[run.family].append(run)
    last = labels[-1]
    for family, family_runs in by_family.items():
        lines += [f"### {family}", ""]
        header = ["repository", "examples"]
        for label in labels:
            header += [f"crashes {label}", f"timeouts {label}", f"gaps {label}", f"findings {label}"]
        header += [f"resources {last}", f"net unknowns {last}"] + [f"time {label} (s)" for label in labels]
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        repositories = sorted({run.example.split("/examples/")[0] for run in family_runs})
        for repository in [*repositories, "**total**"]:
            chosen = [run for run in family_runs
                      if repository == "**total**" or run.example.split("/examples/")[0] == repository]
            row = [repository, str(len({run.example for run in chosen}))]
            for label in labels:
                mine = [run for run in chosen if run.scanner == label]
                alls = [run for run in mine if run.scope == "all"]
                row += [str(sum(run.crashed for run in mine)), str(sum(run.timed_out for run in mine)),
                        str(sum(_sum(alls, "gaps").values())), str(sum(_sum(alls, "findings").values()))]
            lasts = [run for run in chosen if run.scanner == last and run.scope == "all"]
            row += [str(sum(run.resources for run in lasts)), str(sum(_sum(lasts, "net").values()))]
            row += [f"{sum(run.seconds for run in chosen if run.scanner == label and run.scope == 'all'):.1f}"
                    for label in labels]
            lines.append("| " + " | ".join(row) + " |")
        lines.append("")
    alls = [run for run in runs if run.scope == "all"]
    lines += ["### Findings by rule and outcome (`--scope all`)", "",
              "| rule outcome | " + " | ".join(labels) + " |", "|---|" + "---|" * len(labels)]
    per_label = {label: _sum([run for run in alls if run.scanner == label], "findings") for label in labels}
    for key in sorted(set().union(*per_label.values())):
        lines.append(f"| {key} | " + " | ".join(str(per_label[label][key]) for label in labels) + " |")
    lines += ["", "### Coverage gaps by kind (`--scope all`)", "",
              "| kind | " + " | ".join(labels) + " |", "|---|" + "---|" * len(labels)]
    gaps = {label: _sum([run for run in alls if run.scanner == label], "gaps") for label in labels}
    for key in sorted(set().union(*gaps.values())):
        lines.append(f"| {key} | " + " | ".join(str(gaps[label][key]) for label in labels) + " |")
    net = _sum([run for run in alls if run.scanner == last], "net")
    lines += ["", f"### Net unknowns by declaring type and argument ({last}, top {top})", "",
              "| type | argument | findings | examples |", "|---|---|---|---|"]
    for key, count in net.most_common(top):
        kind, argument = key.split(" ", 1)
        examples = sum(1 for run in alls if run.scanner == last and key in run.net)
        lines.append(f"| `{kind}` | `{argument}` | {count} | {examples} |")
    crashes = [run for run in runs if run.crashed or run.timed_out]
    lines += ["", "### Crashes and timeouts", ""]
    if not crashes:
        lines.append("None.")
    for run in crashes:
        what = "timed out" if run.timed_out else f"exit {run.exit_code}"
        lines += [f"- {run.scanner}, `--scope {run.scope}`, `{run.example}`: {what}", "", "  ```text"]
        lines += [f"  {line}" for line in run.stderr_tail] + ["  ```", ""]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dirs", nargs="*", type=Path, help="module repositories (family 'modules')")
    parser.add_argument("--family", nargs="+", action="append", default=[], metavar=("NAME", "DIR"),
                        help="a family name and its module repositories; repeatable")
    parser.add_argument("--scanner", action="append", default=[], metavar="LABEL=COMMAND",
                        help="a build to run, e.g. after=offshore-scan; repeatable, the last is the one whose "
                             "net unknowns are listed (default: offshore-scan)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per run (default 120)")
    parser.add_argument("--jobs", type=int, default=1, help="runs at once (default 1)")
    parser.add_argument("--out", type=Path, help="where the JSON reports go (default: a temporary directory)")
    parser.add_argument("--records", type=Path, help="also write every run as JSON here")
    parser.add_argument("--top", type=int, default=25, help="net unknown rows to list (default 25)")
    parser.add_argument("--no-tagged", action="store_true", help="skip the default-scope crash check")
    args = parser.parse_args(argv)

    families = [("modules", path) for path in args.dirs]
    for name, *paths in args.family:
        families += [(name, Path(path)) for path in paths]
    if not families:
        parser.error("give at least one module repository")
    scanners = [item.split("=", 1) for item in args.scanner or ["after=offshore-scan"]]
    if any(len(item) != 2 for item in scanners):
        parser.error("--scanner is LABEL=COMMAND")
    out = args.out or Path(tempfile.mkdtemp(prefix="sweep-"))
    cache = out / "cache"
    scopes = ["all"] if args.no_tagged else ["all", "tagged"]
    jobs = [(family, example, label, shlex.split(command), scope)
            for family, repository in families for example in examples_of(repository)
            for scope in scopes for label, command in scanners]
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(scan, *job, out, args.timeout, cache) for job in jobs]
        runs = []
        for number, future in enumerate(futures, 1):
            runs.append(future.result())
            print(f"[{number}/{len(futures)}] {runs[-1].scanner} {runs[-1].scope} {runs[-1].example} "
                  f"exit={runs[-1].exit_code} {runs[-1].seconds}s", file=sys.stderr)
    if args.records:
        args.records.write_text(json.dumps([asdict(run) for run in runs], indent=1), encoding="utf-8")
    sys.stdout.write(render(runs, [label for label, _ in scanners], args.top))
    return 1 if any(run.crashed or run.timed_out for run in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
