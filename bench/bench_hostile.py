"""Benchmark: hostile and oversized inputs end in a clear gap naming the file, in bounded time and memory.

    python bench/bench_hostile.py [--only NAME ...]

Each case is a directory holding one hostile file next to a good file that declares a DWP bucket in
us-east-1. For every case the scan must: exit 2 (incomplete) or say why not, keep the good file's
finding, name the hostile file in a gap, and finish in bounded time and memory. Prints one line per
case; asserts nothing. The large inputs are generated here rather than kept in the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

GOOD = ('provider "aws" {\n  region = "us-east-1"\n}\n'
        'resource "aws_s3_bucket" "good" {\n  bucket = "claims"\n  tags = { Classification = "OFFICIAL" }\n}\n')


def _big_tf(directory: Path) -> None:
    # 30 MB of ordinary resources: over the default 20 MB limit.
    block = 'resource "aws_sqs_queue" "q{i}" {{\n  name = "queue-{i}"\n}}\n'
    with (directory / "huge.tf").open("w") as out:
        i = 0
        while out.tell() < 30 * 1024 * 1024:
            out.write("".join(block.format(i=i + j) for j in range(1000)))
            i += 1000


def _long_string(directory: Path) -> None:
    (directory / "string.tf").write_text('locals {\n  s = "' + "x" * (15 * 1024 * 1024) + '"\n}\n')


def _count(directory: Path) -> None:
    (directory / "count.tf").write_text('resource "aws_s3_bucket" "many" {\n  count = 1000000000\n}\n')


def _for_each(directory: Path) -> None:
    (directory / "for_each.tf").write_text(
        'resource "aws_s3_bucket" "many" {\n  for_each = toset([for i in range(10000000) : tostring(i)])\n}\n')


def _product(directory: Path) -> None:
    (directory / "product.tf").write_text(
        'locals {\n  p = [for a in range(100000) : [for b in range(10000) : a * b]]\n}\n')


def _million_list(directory: Path) -> None:
    (directory / "list.tf").write_text("locals {\n  l = [" + ", ".join(["1"] * 1_000_000) + "]\n}\n")


def _million_lines(directory: Path) -> None:
    (directory / "lines.tf").write_text("locals {\n  l = [\n" + "".join(f"    {i},\n" for i in range(1_000_000))
                                        + "  ]\n}\n")


def _digits(directory: Path) -> None:
    (directory / "digits.tf").write_text("locals {\n  n = " + "9" * 5000 + "\n}\n")


def _dev_zero(directory: Path) -> None:
    os.symlink("/dev/zero", directory / "zero.tf")


def _fifo(directory: Path) -> None:
    os.mkfifo(directory / "fifo.tf")


def _big_yaml(directory: Path) -> None:
    document = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\ndata:\n  k: v\n---\n"
    with (directory / "huge.yaml").open("w") as out:
        i = 0
        while out.tell() < 30 * 1024 * 1024:
            out.write("".join(document.format(i=i + j) for j in range(1000)))
            i += 1000


def _fan_out(directory: Path) -> None:
    for level in range(14):
        (directory / f"m{level}").mkdir()
        (directory / f"m{level}" / "main.tf").write_text(
            f'module "a" {{\n  source = "../m{level + 1}"\n}}\nmodule "b" {{\n  source = "../m{level + 1}"\n}}\n')
    (directory / "m14").mkdir()
    (directory / "m14" / "main.tf").write_text('resource "aws_sqs_queue" "x" {\n  name = "q"\n}\n')
    (directory / "fan.tf").write_text('module "top" {\n  source = "./m0"\n}\n')


def _regex(directory: Path) -> None:
    (directory / "offshore-scan.yaml").write_text("dwp:\n  owner_patterns:\n    - '(a+)+$'\n")
    (directory / "owner.tf").write_text('resource "aws_s3_bucket" "o" {\n  tags = { Owner = "' + "a" * 40 + '!" }\n}\n')


CASES: dict[str, Callable[[Path], None]] = {
    "30 MB .tf": _big_tf, "15 MB string": _long_string, "count = 10^9": _count, "for_each over 10^7": _for_each,
    "for product 10^9": _product, "list of 10^6": _million_list, "list of 10^6, a line each": _million_lines,
    "5,000-digit number": _digits, "/dev/zero as x.tf": _dev_zero, "FIFO as x.tf": _fifo, "30 MB YAML": _big_yaml,
    "modules fanning to 2^14": _fan_out, "catastrophic owner pattern": _regex,
}

_MEASURE = """
import resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
sys.stdout.write(f"{done.returncode} {elapsed:.2f} {peak:.0f}\\n" + done.stdout)
sys.stderr.write(done.stderr)
"""


def run_case(name: str, build: Callable[[Path], None]) -> str:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        (root / "good.tf").write_text(GOOD)
        build(root)
        # Measured from a fresh wrapper so the peak RSS is this scan's alone (RUSAGE_CHILDREN is a maximum
        # over every child the measuring process ever waited for).
        command = [sys.executable, "-c", _MEASURE, sys.executable, "-m", "scanner.cli", "scan", directory,
                   "--format", "json", "--no-cache"]
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
        head, _, body = done.stdout.partition("\n")
        code, seconds, peak = head.split()
        try:
            report = json.loads(body)
        except ValueError:
            return f"{name:28} exit {code}  {seconds:>6} s  {peak:>5} MB  NO JSON REPORT: {done.stderr[-200:]!r}"
        kept = any(f["resource"] == "aws_s3_bucket.good" for f in report["findings"])
        gaps = [g for g in report["coverage"] if "good.tf" not in g["path"]]
        said = gaps[0]["reason"][:90] if gaps else "(no gap)"
        traceback = "Traceback" in done.stderr
        verdict = "ok" if kept and not traceback else "CHECK"
        return (f"{name:28} exit {code}  {seconds:>6} s  {peak:>5} MB  good finding kept: {kept!s:5}  "
                f"{verdict}  {len(gaps)} gap(s): {said}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=None, help="case names (substrings) to run")
    options = parser.parse_args()
    started = time.perf_counter()
    for name, build in CASES.items():
        if options.only and not any(part in name for part in options.only):
            continue
        print(run_case(name, build), flush=True)
    print(f"all cases: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
