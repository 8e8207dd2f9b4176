"""Scan the rendered examples and test baselines of public observability charts and tabulate what is found.

Each ``--repo FAMILY=GITDIR`` is a clone (or bare mirror) of one of the projects below; the inputs are read from
its ``HEAD`` with ``git archive``, so nothing is copied into this repository. Every input is scanned twice, with
``--cluster-region eu-west-2`` and ``--format json``:

- **with DWP**: beside a generated DWP workload (a Namespace ``claims`` labelled
  ``dwp.gov.uk/classification: OFFICIAL`` and a Deployment in it), so a node agent, a Prometheus or a collector
  that carries every workload's data carries the DWP workload's;
- **alone**: the chart's own output, where every finding is about the chart's own shipper, which reads no DWP
  namespace: fails there are false alarms (unknowns may still be right: a host nobody can place).

    python bench/sweep_charts.py \\
        --repo datadog=/path/to/DataDog/helm-charts \\
        --repo newrelic=/path/to/newrelic/helm-charts \\
        --repo dynatrace=/path/to/Dynatrace/dynatrace-operator \\
        --repo k8s-monitoring=/path/to/grafana/k8s-monitoring-helm \\
        --repo fluent-bit=/path/to/fluent/fluent-bit-kubernetes-logging

Prints Markdown: per family, the inputs, how many had a fail or an unknown with and without the DWP workload,
crashes (exit code other than 0 or 1, or a traceback), the hosts the unknowns name, and every input that failed
alone. Findings of the guardrail rule (OFS-GRD-001, said of every estate) are left out. Standard library only.
"""

from __future__ import annotations

import argparse
import io
import json
import shlex
import subprocess
import sys
import tarfile
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

# Which files of each project are rendered Kubernetes output, and how they group into one input (a file, or a
# directory of files rendered together).
FAMILIES: dict[str, tuple[str, str]] = {
    "datadog": ("test/datadog/baseline/manifests/*.yaml", "file"),
    "newrelic": ("charts/*/examples/*/rendered/*.yaml", "directory"),
    "dynatrace": ("assets/samples/dynakube/v1beta5/*.yaml", "file"),
    "k8s-monitoring": ("charts/k8s-monitoring/docs/examples/**/output.yaml", "file"),
    "fluent-bit": ("output/*/*.yaml", "directory"),
}

DWP_WORKLOAD = """\
apiVersion: v1
kind: Namespace
metadata:
  name: claims
  labels:
    dwp.gov.uk/classification: OFFICIAL
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: claims-api
  namespace: claims
spec:
  selector:
    matchLabels: {app: claims-api}
  template:
    metadata:
      labels: {app: claims-api}
    spec:
      containers:
        - name: api
          image: 111122223333.dkr.ecr.eu-west-2.amazonaws.com/claims/api:2.14.0
"""

IGNORED_RULES = {"OFS-GRD-001"}


@dataclass
class Result:
    family: str
    name: str
    with_dwp: Counter[str] = field(default_factory=Counter)
    alone: Counter[str] = field(default_factory=Counter)
    hosts: Counter[str] = field(default_factory=Counter)
    crashes: list[str] = field(default_factory=list)
    alone_fails: list[str] = field(default_factory=list)


def extract(gitdir: Path, pattern: str, into: Path) -> list[Path]:
    """The files of HEAD matching ``pattern``, written under ``into``."""
    names = subprocess.run(["git", "-C", str(gitdir), "ls-tree", "-r", "--name-only", "HEAD"], check=True,
                           capture_output=True, text=True).stdout.splitlines()
    chosen = [n for n in names if PurePosixPath(n).match(pattern) or _glob_match(n, pattern)]
    if not chosen:
        return []
    archive = subprocess.run(["git", "-C", str(gitdir), "archive", "--format=tar", "HEAD", *chosen], check=True,
                             capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return [into / n for n in chosen]


def _glob_match(name: str, pattern: str) -> bool:
    """``**`` across directories, which ``PurePosixPath.match`` does not do before Python 3.13."""
    if "**" not in pattern:
        return False
    head, _, tail = pattern.partition("**/")
    return name.startswith(head) and PurePosixPath(name).match(tail)


def inputs(files: list[Path], grouping: str, root: Path) -> dict[str, list[Path]]:
    groups: dict[str, list[Path]] = {}
    for f in sorted(files):
        key = f.parent if grouping == "directory" else f
        groups.setdefault(str(key.relative_to(root)), []).append(f)
    return groups


def scan(scanner: list[str], paths: list[Path]) -> tuple[int, str, dict | None]:
    cmd = [*scanner, "scan", *map(str, paths), "--cluster-region", "eu-west-2", "--format", "json",
           "--allow-partial", "--fail-on", "critical"]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    try:
        document = json.loads(run.stdout)
    except json.JSONDecodeError:
        document = None
    return run.returncode, run.stderr, document


def judged(family: str, name: str, paths: list[Path], dwp: Path, scanner: list[str]) -> Result:
    result = Result(family, name)
    for label, given in (("with_dwp", [*paths, dwp]), ("alone", paths)):
        code, stderr, document = scan(scanner, given)
        if code not in (0, 1) or "Traceback" in stderr or document is None:
            result.crashes.append(f"{label}: exit {code}: {stderr.strip().splitlines()[-1:] or ''}")
            continue
        counts: Counter[str] = getattr(result, label)
        for finding in document.get("findings", []):
            if finding.get("rule_id") in IGNORED_RULES:
                continue
            counts[finding.get("outcome", "?")] += 1
            target = finding.get("target") or {}
            if label == "with_dwp" and finding.get("outcome") == "unknown":
                result.hosts[str(target.get("host") or target.get("region") or target.get("name") or "?")] += 1
            if label == "alone" and finding.get("outcome") == "fail":
                result.alone_fails.append(f"{finding.get('rule_id')}: {finding.get('message', '')[:160]}")
        counts["gaps"] += len(document.get("coverage_gaps") or document.get("gaps") or [])
    return result


def report(results: list[Result]) -> str:
    out = ["| Family | Inputs | Fail (with DWP) | Unknown (with DWP) | Nothing (with DWP) | Fail alone | Crashes |",
           "|---|---|---|---|---|---|---|"]
    families = sorted({r.family for r in results})
    for family in families:
        rows = [r for r in results if r.family == family]
        out.append("| {} | {} | {} | {} | {} | {} | {} |".format(
            family, len(rows),
            sum(1 for r in rows if r.with_dwp["fail"]),
            sum(1 for r in rows if r.with_dwp["unknown"]),
            sum(1 for r in rows if not r.with_dwp["fail"] and not r.with_dwp["unknown"]),
            sum(1 for r in rows if r.alone["fail"]),
            sum(1 for r in rows if r.crashes)))
    for family in families:
        rows = [r for r in results if r.family == family]
        hosts: Counter[str] = Counter()
        for r in rows:
            hosts.update(r.hosts)
        out += ["", f"### {family}", ""]
        if hosts:
            out.append("Unknowns name: " + ", ".join(f"`{h}` {n}" for h, n in hosts.most_common(12)))
        quiet = [r.name for r in rows if not r.with_dwp["fail"] and not r.with_dwp["unknown"]]
        if quiet:
            out.append(f"Nothing found with the DWP workload ({len(quiet)}): " + ", ".join(
                f"`{PurePosixPath(q).parent.name}/{PurePosixPath(q).name}`" for q in quiet[:40]))
        for r in rows:
            for fail in r.alone_fails:
                out.append(f"- fail alone, `{r.name}`: {fail}")
            for crash in r.crashes:
                out.append(f"- crash, `{r.name}`: {crash}")
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", action="append", default=[], metavar="FAMILY=GITDIR",
                        help=f"a project's clone; families: {', '.join(FAMILIES)}")
    parser.add_argument("--scanner", default="offshore-scan", help="the command to run (default: offshore-scan)")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    scanner = shlex.split(args.scanner)
    with tempfile.TemporaryDirectory(prefix="sweep-charts-") as tmp:
        root = Path(tmp)
        dwp = root / "dwp-workload.yaml"
        dwp.write_text(DWP_WORKLOAD, encoding="utf-8")
        work: list[tuple[str, str, list[Path]]] = []
        for given in args.repo:
            family, _, gitdir = given.partition("=")
            if family not in FAMILIES or not gitdir:
                parser.error(f"--repo {given!r}: expected FAMILY=GITDIR, FAMILY one of {', '.join(FAMILIES)}")
            pattern, grouping = FAMILIES[family]
            files = extract(Path(gitdir), pattern, root / family)
            for name, paths in inputs(files, grouping, root / family).items():
                work.append((family, name, paths))
        with ThreadPoolExecutor(args.jobs) as pool:
            results = list(pool.map(lambda w: judged(w[0], w[1], w[2], dwp, scanner), work))
    print(report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
