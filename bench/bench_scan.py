"""Benchmark: start-up, Terraform tree, plan and Kubernetes figures, each printed beside its target.

    python bench/bench_scan.py [--repeat 3] [--stacks 100] [--checkov PATH | --no-checkov] [--profile]
    python bench/bench_scan.py --quick          # a smoke run in well under a minute, no Checkov

Prints figures with PASS/MISS against the targets of the performance issue (2-core reference machine);
asserts nothing about speed. It does stop when a scan it measures did not complete (exit 2, or a coverage
error): a benchmark of an incomplete scan measures nothing. Every figure is the median of ``--repeat`` runs,
each run in a fresh process (see ``harness.py`` for how time and peak memory are taken).

Inputs are generated in a temporary directory: the estate of ``estate.py`` (100 stacks, 500 files,
2,300 resources), a plan of ``plan_json.py`` (10,000 resources) and the manifest stream of
``bench_kubernetes.py`` (10,000 documents). The parse cache is pointed at that directory too, so a run
never reads or fills the user's own cache and "cold" really is cold.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import bench_kubernetes
import estate
import plan_json
from harness import (
    CLI,
    Run,
    Scorecard,
    check_exit,
    median_seconds,
    report_memory,
    run,
    runs,
    sample_tree_memory,
    scanner_env,
    timing,
)

_REPO = Path(__file__).resolve().parent.parent
_DEFAULT_CHECKOV = Path("/tmp/checkov-venv/bin/checkov")
# A cross-region-replication check: the closest Checkov comes to offshore-scan's question, and the one
# that recommends the opposite answer (replicate elsewhere) for a UK-only estate.
_CHECKOV_CHECK = "CKV_AWS_144"


@dataclass(frozen=True)
class Targets:
    """The issue's targets, in seconds, MB and times faster."""

    help: float = 0.15
    demo: float = 0.4
    tree_cold: float = 1.5
    tree_warm: float = 0.5
    plan: float = 1.0
    memory: float = 250.0
    checkov_ratio: float = 6.0
    linearity: float = 0.8
    """Throughput at the largest size over throughput at the smallest: 1.0 is linear, less is worse."""


TARGETS = Targets()
SPEC_STACKS = 100
SPEC_PLAN_RESOURCES = 10_000


@dataclass
class Context:
    """What every measurement needs: options, where scratch files go, and the scorecard."""

    options: argparse.Namespace
    work: Path
    card: Scorecard
    has_cache: bool

    def env(self, cache: Path | None = None) -> dict[str, str]:
        """The scanner's environment, its parse cache in ``cache`` (a fresh directory when None)."""
        return scanner_env(self.work, cache)

    def cold_flags(self) -> list[str]:
        return ["--no-cache"] if self.has_cache else []


def warm_bytecode(ctx: Context) -> None:
    """Compile every module a measured command imports, once, before anything is timed."""
    plan = _REPO / "fixtures" / "plan-aws-s3-crr-alias-var" / "plan.json"
    for flags in (["--format", "json"], ["--format", "text"]):
        run([*CLI, "scan", str(_REPO / "fixtures" / "demo"), str(plan), *flags], ctx.env())


# --- start-up -----------------------------------------------------------------------------------


def measure_startup(ctx: Context) -> None:
    repeat = ctx.options.repeat
    help_runs = runs([*CLI, "--help"], repeat, ctx.env())
    check_exit("offshore-scan --help", help_runs[0], allowed=(0,))
    ctx.card.seconds("offshore-scan --help", median_seconds(help_runs), TARGETS.help, timing(help_runs))
    # The README's first command: text report, default --fail-on, a fresh cache each run as a new user has.
    argv = [*CLI, "scan", str(_REPO / "fixtures" / "demo")]
    demo_runs = runs(argv, repeat, before_each=ctx.env)
    for result in demo_runs:
        check_exit("scan fixtures/demo", result)
    ctx.card.seconds("scan fixtures/demo (first run, empty cache)", median_seconds(demo_runs), TARGETS.demo,
                     f"{timing(demo_runs)}, exit {demo_runs[0].returncode}")
    report_memory(ctx.card, "scan fixtures/demo peak memory", demo_runs, sample_tree_memory(argv, ctx.env()),
                  TARGETS.memory)
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        measure_without_bytecode(ctx, argv)


def measure_without_bytecode(ctx: Context, demo: list[str]) -> None:
    """The same start-up figures as this shell would see them, compiling every module on every start."""
    def env() -> dict[str, str]:
        # This shell's own environment (installed packages' bytecode is read, the repo's is never written),
        # with a fresh parse cache each run.
        cache = tempfile.mkdtemp(prefix="cache-", dir=ctx.work)
        return {**os.environ, "OFFSHORE_SCAN_CACHE_DIR": cache, "XDG_CACHE_HOME": cache}

    repeat = ctx.options.repeat
    help_seconds = median_seconds(runs([*CLI, "--help"], repeat, before_each=env))
    demo_seconds = median_seconds(runs(demo, repeat, before_each=env))
    ctx.card.info("without cached bytecode (PYTHONDONTWRITEBYTECODE=1, as this shell has)",
                  f"--help {help_seconds:.3f} s, demo {demo_seconds:.3f} s (median of {repeat}; not judged)")


# --- the generated tree -------------------------------------------------------------------------


def tree_argv(tree: Path, *flags: str) -> list[str]:
    return [*CLI, "scan", str(tree), "--format", "json", "--fail-on", "never", *flags]


def check_tree_report(label: str, result: Run, stats: estate.EstateStats) -> str:
    """Stop on an incomplete scan; otherwise say what the scanner found, as a sanity line."""
    check_exit(label, result, allowed=(0,))
    report = json.loads(result.stdout)
    errors = [gap for gap in report["coverage"] if gap.get("kind") == "error"]
    if errors:
        shown = "; ".join(f"{g['path']}:{g.get('line')}: {g['reason']}" for g in errors[:5])
        raise SystemExit(f"{label}: {len(errors)} coverage error(s), the scan is incomplete: {shown}")
    found = len(report["inventory"]["resources"])
    if found != stats.resources:
        print(f"WARNING: {label}: the scanner found {found} resources, the generator wrote {stats.resources}")
    notes = len(report["coverage"])
    return f"{found:,} resources scanned, {len(report['findings'])} findings, {notes} coverage notes"


def measure_tree(ctx: Context, tree: Path, stats: estate.EstateStats) -> float:
    """Cold and warm scans of the full tree; returns the cold median, for the scaling and Checkov figures."""
    repeat, card = ctx.options.repeat, ctx.card
    spec = stats.stacks == SPEC_STACKS
    card.info(f"{stats.stacks}-stack tree", f"{stats.files} files, {stats.lines:,} lines, "
              f"{stats.megabytes:.2f} MB, {stats.resources:,} resources")
    # A user's first run: nothing cached yet, and the scan writes the cache as it goes.
    first = runs(tree_argv(tree), repeat, before_each=ctx.env)
    card.info(f"{stats.stacks}-stack tree sanity", check_tree_report("tree scan", first[0], stats))
    card.seconds(f"{stats.stacks}-stack tree cold (first run, empty cache)", median_seconds(first),
                 TARGETS.tree_cold if spec else None, timing(first))
    cold = first
    if ctx.has_cache:
        cold = runs(tree_argv(tree, "--no-cache"), repeat, before_each=ctx.env)
        card.seconds(f"{stats.stacks}-stack tree cold (--no-cache)", median_seconds(cold),
                     TARGETS.tree_cold if spec else None, timing(cold))
    measure_warm(ctx, tree, stats, spec)
    tree_mb = sample_tree_memory(tree_argv(tree, *ctx.cold_flags()), ctx.env())
    report_memory(card, f"{stats.stacks}-stack tree cold peak memory", [*first, *cold], tree_mb, TARGETS.memory)
    return median_seconds(cold)


def measure_warm(ctx: Context, tree: Path, stats: estate.EstateStats, spec: bool) -> None:
    repeat, card = ctx.options.repeat, ctx.card
    cache = Path(tempfile.mkdtemp(prefix="warm-cache-", dir=ctx.work))
    env = ctx.env(cache)
    check_exit("priming run", run(tree_argv(tree), env), allowed=(0,))
    warm = runs(tree_argv(tree), repeat, env)
    check_tree_report("warm tree scan", warm[0], stats)
    detail = f"{timing(warm)}, after one priming run"
    if not ctx.has_cache:
        detail += "; this build has no parse cache (no --no-cache in scan --help), so only the OS cache is warm"
    card.seconds(f"{stats.stacks}-stack tree warm (parse cache)", median_seconds(warm),
                 TARGETS.tree_warm if spec else None, detail)
    report_memory(card, f"{stats.stacks}-stack tree warm peak memory", warm, None, TARGETS.memory)


def measure_scaling(ctx: Context, sizes: list[int], full: tuple[estate.EstateStats, float]) -> None:
    """Cold throughput at several sizes: a scan that is linear in its input keeps the same rate."""
    rates: list[tuple[int, float]] = []
    for stacks in sizes:
        if stacks == full[0].stacks:
            stats, seconds = full  # measured already
        else:
            tree = ctx.work / f"estate-{stacks}"
            stats = estate.generate(tree, stacks)
            results = runs(tree_argv(tree, *ctx.cold_flags()), ctx.options.repeat, before_each=ctx.env)
            check_tree_report(f"{stacks}-stack tree scan", results[0], stats)
            seconds = median_seconds(results)
        rates.append((stacks, stats.resources / seconds))
        ctx.card.info(f"throughput at {stacks:>3} stacks", f"{seconds:.2f} s, {stats.resources / seconds:,.0f} "
                      f"resources/s, {stats.megabytes / seconds:.2f} MB/s ({stats.resources:,} resources, cold)")
    if len(rates) >= 2:
        (small, slow), (large, fast) = rates[0], rates[-1]
        ctx.card.ratio(f"throughput {large} vs {small} stacks", fast / slow, TARGETS.linearity,
                       "1.0 is linear; the fixed start-up cost favours the larger size")


# --- Checkov ------------------------------------------------------------------------------------


def find_checkov(given: str | None) -> Path | None:
    if given:
        return Path(given)
    on_path = shutil.which("checkov")
    if on_path:
        return Path(on_path)
    return _DEFAULT_CHECKOV if _DEFAULT_CHECKOV.exists() else None


def checkov_env() -> dict[str, str]:
    """Checkov with nothing to fetch: no platform key, no version check, no SCA or mapping downloads."""
    env = {k: v for k, v in os.environ.items() if k not in ("BC_API_KEY", "PRISMA_API_URL")}
    env.update({
        "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",  # else it asks PyPI for a newer version on every run
        "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",
        "BC_SKIP_MAPPING": "TRUE",
    })
    return env


def measure_checkov(ctx: Context, tree: Path, ours: float) -> None:
    options = ctx.options
    if options.no_checkov or options.quick:
        ctx.card.info("Checkov comparison", "skipped (--quick or --no-checkov)")
        return
    checkov = find_checkov(options.checkov)
    if checkov is None or not checkov.exists():
        ctx.card.info("Checkov comparison", "SKIPPED: no checkov on PATH, at --checkov or at "
                      f"{_DEFAULT_CHECKOV} (python3 -m venv /tmp/checkov-venv && "
                      "/tmp/checkov-venv/bin/pip install checkov)")
        return
    argv = [str(checkov), "-d", str(tree), "--framework", "terraform", "--check", _CHECKOV_CHECK,
            "--quiet", "--compact", "--skip-download"]
    results = runs(argv, options.checkov_repeat, checkov_env())
    for result in results:
        check_exit("checkov", result)
    summary = re.search(r"Passed checks: (\d+), Failed checks: (\d+)", results[0].stdout)
    counted = f"{summary.group(1)} passed, {summary.group(2)} failed" if summary else "no summary line"
    theirs = median_seconds(results)
    ctx.card.info("Checkov on the same tree", f"{theirs:.2f} s ({timing(results)}; "
                  f"{_CHECKOV_CHECK} only: {counted}; peak RSS {max(r.peak_mb for r in results):.0f} MB; "
                  f"{_checkov_version(checkov)})")
    ctx.card.ratio("offshore-scan speed-up over Checkov (cold)", theirs / ours, TARGETS.checkov_ratio,
                   f"{theirs:.2f} s / {ours:.2f} s")


def _checkov_version(checkov: Path) -> str:
    done = subprocess.run([str(checkov), "--version"], capture_output=True, text=True, env=checkov_env(),
                          check=False)
    return f"checkov {done.stdout.strip() or 'version unknown'}"


# --- plan ---------------------------------------------------------------------------------------


def measure_plan(ctx: Context) -> None:
    resources, repeat = ctx.options.plan_resources, ctx.options.repeat
    path = ctx.work / "plan.json"
    size = plan_json.write_plan(path, resources)
    argv = [*CLI, "scan", str(path), "--format", "json", "--fail-on", "never", *ctx.cold_flags()]
    results = runs(argv, repeat, before_each=ctx.env)
    check_exit("plan scan", results[0], allowed=(0,))
    found = len(json.loads(results[0].stdout)["inventory"]["resources"])
    seconds = median_seconds(results)
    ctx.card.seconds(f"plan JSON, {resources:,} resources ({size / 1e6:.1f} MB)", seconds,
                     TARGETS.plan if resources == SPEC_PLAN_RESOURCES else None,
                     f"{timing(results)}, {resources / seconds:,.0f} resources/s, {size / 1e6 / seconds:.1f} MB/s, "
                     f"{found:,} resources scanned")
    report_memory(ctx.card, "plan JSON peak memory", results, sample_tree_memory(argv, ctx.env()), TARGETS.memory)


# --- profile ------------------------------------------------------------------------------------

_PROFILE = """
import cProfile, json, pstats, sys
argv = sys.argv[1:]
profiler = cProfile.Profile()
profiler.enable()
try:
    from scanner.cli import main
    main(argv, standalone_mode=False)
except SystemExit:
    pass
profiler.disable()
rows = [(ct, tt, nc, f"{file}:{line}({name})") for (file, line, name), (_, nc, tt, ct, _) in
        pstats.Stats(profiler).stats.items()]
print(json.dumps(rows))
"""
# Frames that only dispatch (click's command plumbing, the import system) top any cumulative listing
# without saying where the scan's time goes; they are left out of the cumulative table.
_PLUMBING = ("/click/", "<frozen importlib", "{built-in method builtins.exec}")


def profile_tree(ctx: Context, tree: Path) -> None:
    """cProfile of one cold scan in the scanner's own process, imports included."""
    argv = ["scan", str(tree), "--format", "json", "--fail-on", "never", "--output", os.devnull, *ctx.cold_flags()]
    # One worker: with a process pool the parse runs in the workers, where the profiler cannot see it.
    env = {**ctx.env(), "OFFSHORE_SCAN_WORKERS": "1"}
    done = subprocess.run([sys.executable, "-c", _PROFILE, *argv], capture_output=True, text=True, env=env,
                          check=False)
    if done.returncode != 0:
        print(f"profile failed: {done.stderr.strip()[-2000:]}")
        return
    rows = [tuple(row) for row in json.loads(done.stdout)]
    total = max(row[0] for row in rows)
    print(f"\nprofile: cold scan of {tree.name} in-process (OFFSHORE_SCAN_WORKERS=1), {total:.2f} s profiled")
    repo = str(_REPO) + "/"
    cumulative = [r for r in sorted(rows, reverse=True) if not any(p in r[3] for p in _PLUMBING)]
    _print_profile("top 10 by cumulative time (dispatch frames left out)", cumulative[:10], repo)
    _print_profile("top 10 by own time", sorted(rows, key=lambda r: -r[1])[:10], repo)


def _print_profile(title: str, rows: list[tuple], repo: str) -> None:
    print(f"  {title}:")
    print(f"  {'cumtime':>8} {'tottime':>8} {'calls':>9}  function")
    for cumtime, tottime, calls, where in rows:
        print(f"  {cumtime:8.3f} {tottime:8.3f} {calls:9d}  {where.replace(repo, '')}")


# --- the run ------------------------------------------------------------------------------------


def cache_supported(env: dict[str, str]) -> bool:
    """Whether this build has a parse cache: it says so by accepting ``scan --no-cache``."""
    done = subprocess.run([*CLI, "scan", "--help"], capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"`{' '.join(CLI)} scan --help` failed (exit {done.returncode}):\n{done.stderr.strip()}")
    return "--no-cache" in done.stdout


def print_header(has_cache: bool) -> None:
    revision = subprocess.run(["git", "-C", str(_REPO), "describe", "--always", "--dirty"], capture_output=True,
                              text=True, check=False).stdout.strip() or "unknown"
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"offshore-scan benchmark: revision {revision}, Python {sys.version.split()[0]}, "
          f"{len(os.sched_getaffinity(0))} cores, load average {load}")
    print(f"parse cache: {'yes (cold runs use --no-cache or an empty cache)' if has_cache else 'not in this build'}; "
          "Python bytecode cached (PYTHONPYCACHEPREFIX in the scratch directory)")


def parse_options(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the median is printed")
    parser.add_argument("--stacks", type=int, default=SPEC_STACKS, help="stacks in the generated tree")
    parser.add_argument("--sizes", default="25,50,100", help="stack counts for the throughput figures")
    parser.add_argument("--plan-resources", type=int, default=SPEC_PLAN_RESOURCES)
    parser.add_argument("--k8s-objects", type=int, default=10_000)
    parser.add_argument("--checkov", metavar="PATH", help="checkov executable (default: PATH, then "
                        f"{_DEFAULT_CHECKOV})")
    parser.add_argument("--checkov-repeat", type=int, default=1,
                        help="Checkov runs (default 1: a run takes about half a minute)")
    parser.add_argument("--no-checkov", action="store_true", help="skip the Checkov comparison")
    parser.add_argument("--profile", action="store_true", help="print the cProfile top 10 of a cold tree scan")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: small inputs, one run each, no Checkov; size targets are not judged")
    options = parser.parse_args(argv)
    if options.quick:
        options.repeat, options.stacks, options.sizes = 1, 10, "5,10"
        options.plan_resources, options.k8s_objects = 1_000, 1_000
    options.sizes = sorted({int(size) for size in options.sizes.split(",")} | {options.stacks})
    return options


def main() -> None:
    options = parse_options()
    with tempfile.TemporaryDirectory(prefix="offshore-bench-") as directory:
        work = Path(directory)
        has_cache = cache_supported({**os.environ, "OFFSHORE_SCAN_CACHE_DIR": str(work / "help-cache")})
        print_header(has_cache)
        ctx = Context(options, work, Scorecard(), has_cache)
        warm_bytecode(ctx)
        measure_startup(ctx)
        tree = work / f"estate-{options.stacks}"
        stats = estate.generate(tree, options.stacks)
        cold = measure_tree(ctx, tree, stats)
        measure_scaling(ctx, [s for s in options.sizes if s <= options.stacks], (stats, cold))
        measure_checkov(ctx, tree, cold)
        measure_plan(ctx)
        bench_kubernetes.measure(ctx.card, options.k8s_objects, options.repeat, ctx.env(), ctx.cold_flags())
        if options.profile:
            profile_tree(ctx, tree)
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"\n{ctx.card.summary()} (load average at the end {load})")


if __name__ == "__main__":
    main()
