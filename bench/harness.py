"""Shared measuring and printing for the benchmarks: one wall-clock and peak-memory figure per run.

Every measured command runs inside a fresh ``python -c`` wrapper process. The wrapper times the
command and then reads ``getrusage(RUSAGE_CHILDREN).ru_maxrss``: the kernel's high-water mark of the
largest process among the wrapper's (reaped) descendants, the scan and any parse workers it started.
That figure is exact (no polling can miss a short peak) but it is a maximum, not a sum, and it is
cumulative over everything one process ever waited for, which is why every run gets its own wrapper:
in the benchmark's own process, one big run would mask every smaller one after it.

Because a large scan parses in a process pool, the largest process is not the whole footprint, so
``sample_tree_memory`` also samples the proportional set size (PSS, shared pages split between the
processes sharing them, so forked workers are not counted twice) of the whole process tree from
``/proc``. Sampling can miss a peak shorter than its interval; the judged figure is the larger of the two.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

CLI = [sys.executable, "-m", "scanner.cli"]
"""The scanner as the benchmarks run it: the package is installed editable in this interpreter."""

_WRAPPER = """
import json, resource, subprocess, sys, time
argv, out_path, err_path = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
with open(out_path, "wb") as out, open(err_path, "wb") as err:
    start = time.perf_counter()
    code = subprocess.run(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL).returncode
    seconds = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
# Linux reports KiB, macOS bytes.
peak_mb = usage.ru_maxrss / 1e6 if sys.platform == "darwin" else usage.ru_maxrss * 1024 / 1e6
cpu = usage.ru_utime + usage.ru_stime
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "peak_mb": peak_mb, "returncode": code}))
"""

_SAMPLE_INTERVAL = 0.01
"""Seconds between /proc samples: short enough for peaks of a sub-second scan, cheap for 3 processes."""


@dataclass(frozen=True)
class Run:
    """One measured run of a command."""

    seconds: float
    cpu_seconds: float
    """User and system time of the command and its workers: less sensitive than wall time to other load."""
    peak_mb: float
    """Peak RSS of the largest process of the run (the command or one of its workers), in MB."""
    returncode: int
    stdout: str
    stderr: str


def run(argv: Sequence[str], env: Mapping[str, str] | None = None) -> Run:
    """Run ``argv`` once in a fresh wrapper process; its output is kept for correctness checks."""
    with tempfile.TemporaryDirectory(prefix="bench-run-") as scratch:
        out_path, err_path = Path(scratch, "stdout"), Path(scratch, "stderr")
        wrapper = subprocess.run(
            [sys.executable, "-c", _WRAPPER, json.dumps(list(argv)), str(out_path), str(err_path)],
            capture_output=True, text=True, env=dict(env) if env is not None else None, check=False,
        )
        if wrapper.returncode != 0:
            raise RuntimeError(f"the measuring wrapper failed: {wrapper.stderr.strip()}")
        figures = json.loads(wrapper.stdout)
        return Run(figures["seconds"], figures["cpu_seconds"], figures["peak_mb"], figures["returncode"],
                   out_path.read_text(errors="replace"), err_path.read_text(errors="replace"))


def runs(argv: Sequence[str], repeat: int, env: Mapping[str, str] | None = None,
         before_each: Callable[[], Mapping[str, str] | None] | None = None) -> list[Run]:
    """``repeat`` runs; ``before_each`` may reset state (a cache) and return the environment for that run."""
    results = []
    for _ in range(repeat):
        run_env = before_each() if before_each is not None else None
        results.append(run(argv, run_env if run_env is not None else env))
    return results


def median_seconds(results: Sequence[Run]) -> float:
    return statistics.median(r.seconds for r in results)


def timing(results: Sequence[Run]) -> str:
    """How a median was taken, with CPU time beside it: on a shared machine wall time alone misleads."""
    cpu = statistics.median(r.cpu_seconds for r in results)
    return f"median of {len(results)}, cpu {cpu:.2f} s"


def max_peak_mb(results: Sequence[Run]) -> float:
    return max(r.peak_mb for r in results)


def bytecode_env(work: Path) -> dict[str, str]:
    """This environment, with Python's compiled bytecode kept (in the scratch directory, not the repo).

    An installed tool runs from cached bytecode; a sandbox or CI job with PYTHONDONTWRITEBYTECODE=1 and no
    __pycache__ compiles every module on every start (about 0.25 s of the demo scan here), which is not the
    scanner's start-up. PYTHONPYCACHEPREFIX keeps the .pyc files out of the source tree.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    return env


def scanner_env(work: Path, cache: Path | None = None) -> dict[str, str]:
    """The scanner's environment: bytecode kept, the parse cache in ``cache`` (a fresh directory when None)."""
    if cache is None:
        cache = Path(tempfile.mkdtemp(prefix="cache-", dir=work))
    # OFFSHORE_SCAN_CACHE_DIR is the scanner's own setting; XDG_CACHE_HOME catches any other cache a
    # library keeps, so nothing outside the scratch directory is read warm and the user's cache is untouched.
    return {**bytecode_env(work), "OFFSHORE_SCAN_CACHE_DIR": str(cache), "XDG_CACHE_HOME": str(cache)}


# --- process-tree memory ------------------------------------------------------------------------


def sample_tree_memory(argv: Sequence[str], env: Mapping[str, str] | None = None) -> float | None:
    """Peak PSS (MB) of ``argv`` and all its descendants, sampled from /proc; None where there is no /proc."""
    if not Path("/proc/self/smaps_rollup").exists():
        return None
    process = subprocess.Popen(list(argv), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               stdin=subprocess.DEVNULL, env=dict(env) if env is not None else None)
    peak_kib = 0
    while process.poll() is None:
        peak_kib = max(peak_kib, sum(_pss_kib(pid) for pid in _tree(process.pid)))
        time.sleep(_SAMPLE_INTERVAL)
    return peak_kib * 1024 / 1e6


def _tree(root: int) -> list[int]:
    """``root`` and its descendants, through each thread's ``children`` list."""
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                children = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
                pending.extend(int(child) for child in children)
        except OSError:
            continue  # the process ended between two reads
    return found


def _pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass  # ended, or a kernel without the field: counts as nothing rather than failing the run
    return 0


# --- printing -----------------------------------------------------------------------------------


@dataclass
class Scorecard:
    """Every judged figure, so the run can end with one line saying how many targets were missed."""

    judged: list[tuple[str, bool]] = field(default_factory=list)

    def seconds(self, label: str, value: float, target: float | None, detail: str = "") -> None:
        self._line(label, _format_seconds(value), f"<= {_format_seconds(target)}" if target else None,
                   None if target is None else value <= target, detail)

    def megabytes(self, label: str, value: float, target: float | None, detail: str = "") -> None:
        self._line(label, f"{value:.0f} MB", f"<= {target:.0f} MB" if target else None,
                   None if target is None else value <= target, detail)

    def ratio(self, label: str, value: float, target: float | None, detail: str = "") -> None:
        self._line(label, f"{value:.2f}x", f">= {target:g}x" if target else None,
                   None if target is None else value >= target, detail)

    def info(self, label: str, text: str) -> None:
        print(f"{label}: {text}")

    def _line(self, label: str, value: str, target: str | None, ok: bool | None, detail: str) -> None:
        suffix = f" ({detail})" if detail else ""
        if target is None or ok is None:
            print(f"{label}: {value}{suffix}")
            return
        self.judged.append((label, ok))
        print(f"{label}: {value} (target {target}) {'PASS' if ok else 'MISS'}{suffix}")

    def summary(self) -> str:
        missed = [label for label, ok in self.judged if not ok]
        text = f"{len(self.judged) - len(missed)} of {len(self.judged)} targets met"
        return text + (f"; missed: {', '.join(missed)}" if missed else "")


def report_memory(card: Scorecard, label: str, results: Sequence[Run], tree_mb: float | None,
                  target: float) -> None:
    """Judge the larger of the exact largest-process peak and the sampled whole-tree PSS peak."""
    largest = max_peak_mb(results)
    detail = f"largest process RSS {largest:.0f} MB"
    if tree_mb is not None:
        detail += f", process tree PSS {tree_mb:.0f} MB sampled"
    card.megabytes(label, max(largest, tree_mb or 0.0), target, detail)


def _format_seconds(value: float) -> str:
    return f"{value:.2f} s" if value >= 1 else f"{value:.3f} s"


def check_exit(label: str, result: Run, allowed: tuple[int, ...] = (0, 1)) -> None:
    """Correctness, not speed: a benchmark of a scan that failed or was incomplete measures nothing."""
    if result.returncode not in allowed:
        tail = "\n".join(result.stderr.strip().splitlines()[-15:])
        raise SystemExit(f"{label}: exited {result.returncode}, expected one of {allowed}; stderr ends:\n{tail}")


@contextmanager
def moto_endpoint() -> Iterator[str]:
    """A moto server on 127.0.0.1 (a free port) with an empty cloud, as its endpoint URL; stopped on exit.

    moto's state lives in this process, whichever server serves it: each one starts by resetting it."""
    import urllib.request

    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))
        yield endpoint
    finally:
        server.stop()
