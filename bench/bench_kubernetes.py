"""Benchmark: scanning a large rendered manifest stream (the shape of a big `helm template` output).

    python bench/bench_kubernetes.py [--objects 10000] [--repeat 3]

Prints figures with their targets (10,000 documents in at most 2 s, peak memory at most 250 MB);
asserts nothing but that the scan completed (exit 0 or 1, not 2). The stream is generated in a
temporary file: a DWP namespace, then Deployments with telemetry settings and their ConfigMaps,
one document each. ``bench_scan.py`` runs the same measurement as part of its suite.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Sequence
from pathlib import Path

from harness import (
    CLI,
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

TARGET_SECONDS = 2.0
"""For 10,000 documents (the issue's figure)."""
TARGET_MB = 250.0
_DEMO_MANIFESTS = Path(__file__).resolve().parent.parent / "fixtures" / "demo" / "k8s"

_NAMESPACE = """apiVersion: v1
kind: Namespace
metadata:
  name: claims
  labels:
    dwp.gov.uk/classification: OFFICIAL
"""

_DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: api-{i}
  namespace: claims
spec:
  template:
    spec:
      nodeSelector:
        topology.kubernetes.io/zone: eu-west-2a
      containers:
        - name: api
          image: 111122223333.dkr.ecr.eu-west-2.amazonaws.com/claims/api:{i}
          envFrom:
            - configMapRef:
                name: settings-{i}
"""

_CONFIG_MAP = """apiVersion: v1
kind: ConfigMap
metadata:
  name: settings-{i}
  namespace: claims
data:
  DD_SITE: {site}
  OTEL_EXPORTER_OTLP_ENDPOINT: https://otlp-gateway-prod-gb-south-0.grafana.net
"""


def generate(path: Path, objects: int) -> None:
    """Write exactly ``objects`` documents: the namespace, then Deployment and ConfigMap pairs."""
    documents = [_NAMESPACE]
    i = 0
    while len(documents) < objects:
        documents.append(_DEPLOYMENT.format(i=i))
        if len(documents) < objects:
            site = "datadoghq.eu" if i % 10 == 0 else "uk1.datadoghq.com"
            documents.append(_CONFIG_MAP.format(i=i, site=site))
        i += 1
    path.write_text("---\n".join(documents))


def measure(card: Scorecard, objects: int, repeat: int, env: dict[str, str] | None = None,
            flags: Sequence[str] = ()) -> None:
    """Time ``repeat`` scans of a generated stream of ``objects`` documents and print the figures."""
    with tempfile.TemporaryDirectory(prefix="bench-k8s-") as directory:
        stream = Path(directory) / "rendered.yaml"
        generate(stream, objects)
        argv = [*CLI, "scan", str(stream), "--format", "json", "--fail-on", "never", *flags]
        results = runs(argv, repeat, env)
        for result in results:
            check_exit(f"scan of {objects} Kubernetes documents", result, allowed=(0,))
        median = median_seconds(results)
        size = stream.stat().st_size / 1e6
        # The target is the figure at its own size; at another size (--quick) the time is only shown.
        target = TARGET_SECONDS if objects == 10_000 else None
        card.seconds(f"{objects:,} Kubernetes documents ({size:.1f} MB)", median, target,
                     f"{timing(results)}, {objects / median:,.0f} documents/s, {size / median:.1f} MB/s")
        tree = sample_tree_memory(argv, env)
        report_memory(card, f"{objects:,} Kubernetes documents peak memory", results, tree, TARGET_MB)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    card = Scorecard()
    with tempfile.TemporaryDirectory(prefix="bench-k8s-env-") as work:
        env = scanner_env(Path(work))
        # One untimed run compiles the modules, so the figures are of the scan, not of Python compiling it.
        run([*CLI, "scan", str(_DEMO_MANIFESTS), "--format", "json"], env)
        measure(card, options.objects, options.repeat, env)
    print(card.summary())


if __name__ == "__main__":
    main()
