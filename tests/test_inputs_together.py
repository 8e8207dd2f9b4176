"""Inputs given side by side: manifests are one cluster however they are given, and a path is read once."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from scanner.cli import main

DWP_NAMESPACE = """\
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
  template:
    spec:
      containers:
        - name: api
          image: 111122223333.dkr.ecr.eu-west-2.amazonaws.com/claims/api:2.14.0
"""

# A node log shipper in its own namespace, in the shape of a vendor chart's DaemonSet: it mounts the node's pod
# logs, so it carries every workload's logs, the DWP workload's included.
SHIPPER = """\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
  namespace: monitoring
spec:
  template:
    spec:
      containers:
        - name: agent
          image: datadog/agent:7.60.0
          env:
            - name: DD_LOGS_ENABLED
              value: "true"
            - name: DD_LOGS_CONFIG_CONTAINER_COLLECT_ALL
              value: "true"
          volumeMounts:
            - name: pods
              mountPath: /var/log/pods
      volumes:
        - name: pods
          hostPath:
            path: /var/log/pods
"""


def _scan(*args: str, stdin: str | None = None) -> tuple[int, dict]:
    result = CliRunner().invoke(main, ["scan", *args, "--cluster-region", "eu-west-2", "--format", "json"],
                                input=stdin)
    return result.exit_code, json.loads(result.stdout)


def _diagnostics(report: dict) -> list[dict]:
    return [f for f in report["findings"] if f["rule_id"] == "OFS-DIAG-001"]


def test_manifests_in_separate_files_are_one_cluster(tmp_path: Path) -> None:
    (tmp_path / "dwp.yaml").write_text(DWP_NAMESPACE)
    (tmp_path / "agent.yaml").write_text(SHIPPER)
    together = _diagnostics(_scan(str(tmp_path))[1])
    apart = _diagnostics(_scan(str(tmp_path / "agent.yaml"), str(tmp_path / "dwp.yaml"))[1])
    assert together and [f["resource"] for f in apart] == [f["resource"] for f in together]
    assert apart[0]["resource"] == "Deployment/claims/claims-api"


def test_manifests_on_stdin_and_in_a_file_are_one_cluster(tmp_path: Path) -> None:
    (tmp_path / "agent.yaml").write_text(SHIPPER)
    code, report = _scan("-", str(tmp_path / "agent.yaml"), stdin=DWP_NAMESPACE)
    assert code == 1
    assert [f["resource"] for f in _diagnostics(report)] == ["Deployment/claims/claims-api"]
    assert "<stdin>" in report["scanned"]


def test_a_shipper_alone_carries_no_dwp_data_and_nothing_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "agent.yaml").write_text(SHIPPER)
    code, report = _scan(str(tmp_path / "agent.yaml"))
    assert not _diagnostics(report)
    assert code == 0 and not [g for g in report["coverage"] if g.get("kind") != "note"]


def test_a_directory_and_a_file_in_it_are_read_once() -> None:
    demo = str(Path(__file__).resolve().parent.parent / "fixtures" / "demo")
    _, alone = _scan(demo)
    _, twice = _scan(demo, str(Path(demo) / "storage.tf"))
    assert len(twice["inventory"]["resources"]) == len(alone["inventory"]["resources"])
    assert sorted(twice["scanned"]) == sorted(alone["scanned"])
    assert [f["fingerprint"] for f in twice["findings"]] == [f["fingerprint"] for f in alone["findings"]]


def test_a_plan_beside_its_configuration_hides_none_of_its_findings() -> None:
    # A plan and the configuration it was made from hold the same addresses: each is its own estate, prefixed.
    root = Path(__file__).resolve().parent.parent / "fixtures"
    demo = str(root / "demo")
    plan = (root / "plan-aws-s3-crr-alias-var" / "plan.json").read_text()
    _, alone = _scan(demo)
    _, with_plan = _scan("-", demo, stdin=plan)
    own = {(f["rule_id"], f["resource"]) for f in alone["findings"] if f["rule_id"] != "OFS-GRD-001"}
    assert own <= {(f["rule_id"], f["resource"].removeprefix(f"{demo}:")) for f in with_plan["findings"]}
    assert any(f["resource"].startswith("<stdin>:") for f in with_plan["findings"])
    ids = [r["id"] for r in with_plan["inventory"]["resources"]]
    assert len(ids) == len(set(ids))
