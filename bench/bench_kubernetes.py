"""Benchmark: scanning a large rendered manifest stream (the shape of a big `helm template` output).

    python bench/bench_kubernetes.py [--objects 5000] [--repeat 3]

Prints figures; asserts nothing. The stream is generated in a temporary file: a DWP namespace,
Deployments with telemetry settings and ConfigMaps, one document each.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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
    documents = [_NAMESPACE]
    for i in range(objects // 2):
        documents.append(_DEPLOYMENT.format(i=i))
        documents.append(_CONFIG_MAP.format(i=i, site="datadoghq.eu" if i % 10 == 0 else "uk1.datadoghq.com"))
    path.write_text("---\n".join(documents))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        stream = Path(directory) / "rendered.yaml"
        generate(stream, options.objects)
        timings = []
        for _ in range(options.repeat):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "scanner.cli", "scan", str(stream), "--format", "json",
                            "--fail-on", "never"], capture_output=True, check=False)
            timings.append(time.perf_counter() - start)
        median = statistics.median(timings)
        size = stream.stat().st_size / 1e6
        print(f"scan {options.objects} objects ({size:.1f} MB): median {median:.2f} s over {options.repeat} runs "
              f"({options.objects / median:.0f} objects/s)")


if __name__ == "__main__":
    main()
