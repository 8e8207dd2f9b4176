"""Benchmark: a cloudposse-shaped chain of modules (``module_chain.py``), one to six levels deep.

    python bench/bench_module_chain.py [--max-depth 6] [--fan-out 2] [--repeat 3]

Each level labels itself with a null-label-shaped ``module.this`` and calls the next level twice, passing
``module.this.context`` down; depth 6 is 127 level instances and 127 labels, 252 resources. Each figure is
``offshore-scan scan DIR --format json`` in a fresh process (start-up included, see ``harness.py``): the
median wall time and the peak RSS. The target is the deepest chain's: 2 s and 300 MB on the 2-core reference
machine. Asserts nothing about speed; stops if a scan did not complete (exit 2 or a coverage gap), since the
chain has every module on disk and a gap would mean part of it was not evaluated.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import module_chain
from harness import CLI, Scorecard, check_exit, max_peak_mb, median_seconds, run, runs, scanner_env, timing

TARGET_SECONDS = 2.0
TARGET_MB = 300.0
SPEC_DEPTH = 6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-depth", type=int, default=SPEC_DEPTH)
    parser.add_argument("--fan-out", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    card = Scorecard()
    with tempfile.TemporaryDirectory(prefix="bench-chain-") as scratch:
        work = Path(scratch)
        env = scanner_env(work)
        # One untimed run compiles the modules, so the figures are of the scan, not of Python compiling it.
        module_chain.write_chain(work / "warm", 1, 1)
        run([*CLI, "scan", str(work / "warm"), "--format", "json"], env)
        for depth in range(1, options.max_depth + 1):
            tree = module_chain.write_chain(work / f"depth{depth}", depth, options.fan_out)
            argv = [*CLI, "scan", str(tree), "--format", "json"]
            results = runs(argv, options.repeat, before_each=lambda: scanner_env(work))
            check_exit(f"chain depth {depth}", results[0])
            report = json.loads(results[0].stdout)
            if report["coverage"]:
                raise SystemExit(f"chain depth {depth}: coverage gaps {report['coverage']}")
            resources = len(report["inventory"]["resources"])
            judged = depth == options.max_depth == SPEC_DEPTH and options.fan_out == 2
            label = f"chain depth {depth}, fan-out {options.fan_out} ({resources} resources)"
            card.seconds(label, median_seconds(results), TARGET_SECONDS if judged else None, timing(results))
            card.megabytes(f"{label} peak memory", max_peak_mb(results), TARGET_MB if judged else None)
    print(card.summary())


if __name__ == "__main__":
    main()
