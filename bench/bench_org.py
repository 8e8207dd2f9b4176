"""An organisation audit at scale: one process against N shards, merged, on a moto server.

Builds an AWS Organization of 50 member accounts on a moto server on 127.0.0.1 (each entered through an assumed
role, each with DWP buckets in the UK and abroad, a replicated bucket, a multi-Region KMS key, a replicated secret,
log groups and a non-DWP bucket), then:

1. scans it in one process (``aws --org``), and 10 and 25 of its accounts the same way, to show how time, calls
   and peak memory grow with accounts;
2. scans it as 4 shards in 4 processes at once (``--shard K/4``), merges them, and checks that the merged JSON is
   the unsharded JSON byte for byte;
3. prints wall time, API calls, calls per second and peak memory per process, and the extrapolation to 1,000
   accounts with its assumptions.

    python bench/bench_org.py [--accounts 50] [--shards 4] [--regions 3]

moto answers from this process, on 2 cores shared with the scans: its calls per second are the server's, not
AWS's. The extrapolation uses the measured calls per account and region, and AWS's latency and throttling
figures stated in the output.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import CLI, Run, moto_endpoint, run

ROLE = "OffshoreScanReadOnly"
REGIONS = ("eu-west-2", "eu-west-1", "us-east-1", "eu-central-1", "ap-southeast-2")
DWP = [{"Key": "Classification", "Value": "OFFICIAL-SENSITIVE"}]
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
UK_ONLY = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Deny", "NotAction": ["iam:*", "organizations:*", "sts:*"], "Resource": "*",
    "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-2"]}}}]}


def _member_estate(endpoint: str, org: Any, number: int, parent: str, root: str, regions: tuple[str, ...]) -> None:
    name = f"member{number:03d}"
    request = org.create_account(Email=f"{name}@example.gov.uk", AccountName=name)["CreateAccountStatus"]["Id"]
    account = org.describe_create_account_status(CreateAccountRequestId=request)["CreateAccountStatus"]["AccountId"]
    org.move_account(AccountId=account, SourceParentId=root, DestinationParentId=parent)
    sts = boto3.client("sts", region_name="us-east-1", endpoint_url=endpoint, **CREDENTIALS)
    entered = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{ROLE}", RoleSessionName="build")["Credentials"]
    session = boto3.Session(aws_access_key_id=entered["AccessKeyId"], aws_secret_access_key=entered["SecretAccessKey"],
                            aws_session_token=entered["SessionToken"])
    home, abroad = regions[0], regions[number % (len(regions) - 1) + 1]
    for region, bucket, tags in ((home, f"{name}-records", DWP), (abroad, f"{name}-offshore", DWP),
                                 (abroad, f"{name}-contractor", [{"Key": "Owner", "Value": "Contractor Ltd"}])):
        s3 = session.client("s3", region_name=region, endpoint_url=endpoint)
        # us-east-1 takes no location constraint (S3's oldest region is its default).
        where = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=bucket, **where)
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags})
    s3 = session.client("s3", region_name=home, endpoint_url=endpoint)
    s3.put_bucket_versioning(Bucket=f"{name}-records", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_versioning(Bucket=f"{name}-offshore", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_replication(Bucket=f"{name}-records", ReplicationConfiguration={
        "Role": f"arn:aws:iam::{account}:role/replication",
        "Rules": [{"ID": "dr", "Status": "Enabled", "Priority": 1, "Filter": {}, "DeleteMarkerReplication":
                   {"Status": "Disabled"}, "Destination": {"Bucket": f"arn:aws:s3:::{name}-offshore"}}]})
    kms = session.client("kms", region_name=home, endpoint_url=endpoint)
    key = kms.create_key(MultiRegion=True, Tags=[{"TagKey": "Classification", "TagValue": "OFFICIAL-SENSITIVE"}])
    session.client("kms", region_name=home, endpoint_url=endpoint).replicate_key(
        KeyId=key["KeyMetadata"]["KeyId"], ReplicaRegion=abroad)
    secrets = session.client("secretsmanager", region_name=home, endpoint_url=endpoint)
    secrets.create_secret(Name=f"{name}-db", SecretString="not-a-real-secret", Tags=DWP,
                          AddReplicaRegions=[{"Region": abroad}])
    logs = session.client("logs", region_name=home, endpoint_url=endpoint)
    for group in ("/dwp/claims", "/dwp/letters"):
        logs.create_log_group(logGroupName=group, tags={"Classification": "OFFICIAL-SENSITIVE"})


def build(endpoint: str, accounts: int, regions: tuple[str, ...]) -> None:
    org = boto3.client("organizations", region_name="us-east-1", endpoint_url=endpoint, **CREDENTIALS)
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    guarded = org.create_organizational_unit(ParentId=root, Name="uk-only")["OrganizationalUnit"]["Id"]
    open_ou = org.create_organizational_unit(ParentId=root, Name="legacy")["OrganizationalUnit"]["Id"]
    policy = org.create_policy(Content=json.dumps(UK_ONLY), Description="uk-only", Name="uk-only",
                               Type="SERVICE_CONTROL_POLICY")["Policy"]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=policy, TargetId=guarded)
    for number in range(accounts):
        _member_estate(endpoint, org, number, guarded if number % 3 else open_ou, root, regions)


def _env(endpoint: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ENDPOINT_URL=endpoint, AWS_DEFAULT_REGION="eu-west-2", AWS_MAX_ATTEMPTS="1",
               AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true",
               **{k.upper(): v for k, v in CREDENTIALS.items()})
    return env


def _scan(endpoint: str, work: Path, output: str, regions: tuple[str, ...], *more: str) -> Run:
    argv = [*CLI, "aws", "--org", "--role-name", ROLE, *(a for r in regions for a in ("--region", r)), "--quiet",
            "--allow-partial", "--format", "json", "--output", str(work / output), *more]
    result = run(argv, _env(endpoint))
    if result.returncode not in (0, 1):
        raise SystemExit(f"{output}: the scan exited {result.returncode}: {result.stderr.strip()[-2000:]}")
    return result


def _calls(path: Path) -> int:
    return sum(json.loads(path.read_text(encoding="utf-8")).get("api_calls", {}).values())


def _line(label: str, result: Run, calls: int, accounts: int) -> None:
    print(f"  {label:<34} {result.seconds:7.2f} s  {calls:6d} calls  {calls / result.seconds:6.0f} calls/s  "
          f"{result.seconds / max(accounts, 1):5.2f} s/account  peak {result.peak_mb:5.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=50, help="member accounts to build (default 50)")
    parser.add_argument("--shards", type=int, default=4, help="shards to split the audit into (default 4)")
    parser.add_argument("--regions", type=int, default=3, choices=range(2, len(REGIONS) + 1), metavar="2-5",
                        help="regions scanned per account (default 3)")
    args = parser.parse_args()
    regions = REGIONS[:args.regions]
    # moto's server logs every request, and a traceback for each call it does not implement (answered as a 500,
    # which the scan records as a failed scope): the figures are what this prints.
    logging.disable(logging.CRITICAL)
    with moto_endpoint() as endpoint:
        _audit(endpoint, args.accounts, args.shards, regions)


def _audit(endpoint: str, accounts: int, shard_count: int, regions: tuple[str, ...]) -> None:
    """Build the organisation, scan it whole and in shards, merge, and print the figures."""
    started = time.perf_counter()
    build(endpoint, accounts, regions)
    print(f"organisation of {accounts} member accounts + the management account, {len(regions)} regions "
          f"scanned each, built in {time.perf_counter() - started:.1f} s on {os.cpu_count()} cores "
          f"(load {os.getloadavg()[0]:.2f})")
    with tempfile.TemporaryDirectory(prefix="bench-org-") as scratch:
        work = Path(scratch)
        org = boto3.client("organizations", region_name="us-east-1", endpoint_url=endpoint, **CREDENTIALS)
        every = sorted(a["Id"] for a in org.get_paginator("list_accounts").paginate().build_full_result()[
            "Accounts"])
        print("one process, growing organisation (--account narrows the audit):")
        for size in sorted({min(10, len(every)), min(25, len(every))}):
            if size < len(every):
                chosen = [a for account in every[:size] for a in ("--account", account)]
                result = _scan(endpoint, work, f"first-{size}.json", regions, *chosen)
                _line(f"{size} accounts", result, _calls(work / f"first-{size}.json"), size)
        whole = _scan(endpoint, work, "whole.json", regions)
        _line(f"{len(every)} accounts (the whole audit)", whole, _calls(work / "whole.json"), len(every))
        print(f"{shard_count} shards in {shard_count} processes at once:")
        started = time.perf_counter()
        with ThreadPoolExecutor(shard_count) as pool:
            shards = list(pool.map(lambda k: _scan(endpoint, work, f"shard-{k}.json", regions, "--shard",
                                                   f"{k}/{shard_count}"), range(shard_count)))
        wall = time.perf_counter() - started
        shard_calls = [_calls(work / f"shard-{k}.json") for k in range(shard_count)]
        for k, (result, calls) in enumerate(zip(shards, shard_calls, strict=True)):
            share = len(json.loads((work / f"shard-{k}.json").read_text())["audit"]["shard"]["accounts"])
            _line(f"shard {k}/{shard_count} ({share} accounts)", result, calls, share)
        print(f"  all shards: {wall:.2f} s wall, {sum(shard_calls)} calls ({sum(shard_calls) / wall:.0f} calls/s), "
              f"{wall / whole.seconds:.2f}x the single process's time")
        merged = run([*CLI, "merge", *(str(work / f"shard-{k}.json") for k in range(shard_count)), "--format",
                      "json", "--output", str(work / "merged.json"), "--allow-partial"])
        same = (work / "merged.json").read_bytes() == (work / "whole.json").read_bytes()
        print(f"  merge: {merged.seconds:.2f} s, peak {merged.peak_mb:.0f} MB; merged JSON "
              f"{'is byte-identical to' if same else 'DIFFERS from'} the unsharded run's")
        report = json.loads((work / "whole.json").read_text())
        scopes = [s for s in report["scopes"] if s["region"] != "global"]
        per_scope = sum(s["calls"] for s in scopes) / max(len({(s['account'], s['region']) for s in scopes}), 1)
        _extrapolate(per_scope, _calls(work / "whole.json") / len(every), len(regions))
        if not same:
            raise SystemExit(1)


def _extrapolate(per_account_region: float, per_account: float, regions: int) -> None:
    """1,000 accounts x 17 regions on AWS, from the calls measured here and AWS's published behaviour."""
    latency = 0.08       # seconds per read call from a runner in eu-west-2 (AWS regional API round trips)
    workers = 8          # --max-workers: concurrent calls per (account, region)
    regional_rate = 10   # calls/s per account, region and API before throttling (most read APIs allow 10-20)
    aws_regions = 17
    calls_per_account = per_account_region * aws_regions + (per_account - per_account_region * regions)
    # A region's calls run `workers` at a time but no faster than the throttling rate; regions run one after another
    # within an account, accounts one after another within a shard.
    per_region_seconds = per_account_region / min(workers / latency, regional_rate * 4)
    per_account_seconds = per_region_seconds * aws_regions + 2 * latency  # + AssumeRole, DescribeRegions
    print(f"extrapolation to 1,000 accounts x {aws_regions} regions (stated assumptions: {latency * 1000:.0f} ms a "
          f"call, {workers} concurrent calls per account and region, throttling at ~{regional_rate} calls/s per "
          f"API, 4 APIs in flight):")
    print(f"  measured {per_account_region:.1f} calls per account and region, {per_account:.1f} per account "
          f"here -> about {calls_per_account:.0f} calls and {per_account_seconds:.1f} s per account on AWS")
    for shards in (1, 8, 16, 32):
        minutes = 1000 / shards * per_account_seconds / 60
        print(f"  {shards:3d} shard(s): {minutes:6.1f} min{'  <= 15 min target' if minutes <= 15 else ''}")


if __name__ == "__main__":
    main()
