"""Live AWS scan cost: API calls and wall time against a moto server, for estates of growing size.

Builds 10 regions x 200 resources (20 DWP per region: secrets, log groups, SQS queues, SNS topics and EBS
volumes, the last two kinds read by collectors only since the generic reader and the SNS collector came), scans
them with ``offshore-scan aws``, and prints the API calls per service, the requests per DWP resource and the
wall time; then the same with twice the non-DWP resources, and with twice the DWP ones, to show that calls grow
with DWP resources and regions, not with total resources.

    python bench/bench_aws.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import moto_endpoint

REGIONS = ("eu-west-2", "eu-west-1", "us-east-1", "us-east-2", "us-west-2", "eu-central-1", "eu-north-1",
           "ap-southeast-2", "ca-central-1", "sa-east-1")
DWP = {"Classification": "OFFICIAL-SENSITIVE"}
OTHER = {"Owner": "Contractor Ltd"}


def _build(endpoint: str, per_region: int, dwp_per_region: int) -> None:
    for region in REGIONS:
        args: dict[str, Any] = {"region_name": region, "endpoint_url": endpoint, "aws_access_key_id": "testing",
                                "aws_secret_access_key": "testing"}
        logs, secrets = boto3.client("logs", **args), boto3.client("secretsmanager", **args)
        sqs, sns, ec2 = boto3.client("sqs", **args), boto3.client("sns", **args), boto3.client("ec2", **args)
        tag_list = [{"Key": k, "Value": v} for k, v in DWP.items()]
        for index in range(per_region):
            dwp = index < dwp_per_region
            kind = index % 5 if dwp else 0
            if kind == 1:
                secrets.create_secret(Name=f"dwp-{index}", SecretString="x", Tags=tag_list)
            elif kind == 2:
                sqs.create_queue(QueueName=f"dwp-{index}", tags=DWP)
            elif kind == 3:
                sns.create_topic(Name=f"dwp-{index}", Tags=tag_list)
            elif kind == 4:
                ec2.create_volume(AvailabilityZone=f"{region}a", Size=1,
                                  TagSpecifications=[{"ResourceType": "volume", "Tags": tag_list}])
            else:
                logs.create_log_group(logGroupName=f"/{'dwp' if dwp else 'other'}/{index}", tags=DWP if dwp else OTHER)


def _scan(endpoint: str) -> tuple[dict[str, int], float, int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_DEFAULT_REGION="eu-west-2", AWS_MAX_ATTEMPTS="1")
    regions = [arg for region in REGIONS for arg in ("--region", region)]
    command = [str(Path(sys.executable).parent / "offshore-scan"), "aws", *regions, "--format", "json", "--quiet",
               "--allow-partial"]
    with tempfile.TemporaryDirectory() as work:
        started = time.perf_counter()
        result = subprocess.run(command, env=env, cwd=work, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - started
    if not result.stdout:
        raise SystemExit(f"the scan wrote no report (exit {result.returncode}): {result.stderr[-2000:]}")
    report = json.loads(result.stdout)
    dwp = sum(1 for r in report["inventory"]["resources"] if r["dwp"])
    return report["api_calls"], elapsed, dwp


def _run(per_region: int, dwp_per_region: int) -> None:
    with moto_endpoint() as endpoint:  # each estate starts empty
        _build(endpoint, per_region, dwp_per_region)
        calls, elapsed, dwp = _scan(endpoint)
    total = len(REGIONS) * per_region
    listed = ", ".join(f"{service} {count}" for service, count in sorted(calls.items()) if count)
    requests, built = sum(calls.values()), len(REGIONS) * dwp_per_region
    print(f"{len(REGIONS)} regions x {per_region} resources = {total} ({built} DWP, {dwp} DWP records): "
          f"{requests} API calls ({requests / built:.2f} per DWP resource) in {elapsed:.2f} s  [{listed}]")


def main() -> None:
    import logging

    # moto's server logs a traceback for each call it does not implement (answered as a 500, which the scan
    # records as a failed scope): silenced, so the figures are what this prints.
    logging.disable(logging.CRITICAL)
    _run(200, 20)
    _run(400, 20)  # twice the resources, the same DWP ones: the same calls
    _run(200, 40)  # twice the DWP resources: more calls


if __name__ == "__main__":
    main()
