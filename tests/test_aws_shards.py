"""Sharded organisation audits against a moto server: ``aws --org --shard K/N`` then ``merge``, through the real CLI.

The organisation is the one ``test_aws_organisations`` builds (an OU whose SCP keeps accounts in eu-west-2, one
without, DWP buckets in the UK and in Ireland in each member), plus a role in one member that another member may
assume: a grant between two accounts of the organisation that different shards read. Three shards, merged, must give
the JSON of one unsharded run byte for byte; leaving a shard out must make ``merge`` exit 2 naming its accounts.
The tests that read those runs (four CLI scans, then the batch engines' recipes, each scanning again) are ``slow``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from providers.aws.options import AwsOptions, parse_shard, read_account_file
from providers.interface import OptionError
from scanner.cli import EXIT_INCOMPLETE
from tests.helpers import moto_metric_stream_coverage, moto_server
from tests.test_aws_organisations import CREDENTIALS, DWP, REGIONS, ROLE, _build, _env

SHARDS = 3


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def organisation(server: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], Path]:
    built = _build(server)
    sts = boto3.client("sts", region_name="us-east-1", endpoint_url=server, **CREDENTIALS)
    entered = sts.assume_role(RoleArn=f"arn:aws:iam::{built['claims']}:role/{ROLE}",
                              RoleSessionName="build")["Credentials"]
    iam = boto3.client("iam", region_name="us-east-1", endpoint_url=server,
                       aws_access_key_id=entered["AccessKeyId"], aws_secret_access_key=entered["SecretAccessKey"],
                       aws_session_token=entered["SessionToken"])
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"AWS": f"arn:aws:iam::{built['payments']}:root"}}]}
    iam.create_role(RoleName="claims-support", AssumeRolePolicyDocument=json.dumps(trust), Tags=DWP)
    return built, tmp_path_factory.mktemp("shards")


def _aws(server: str, where: Path, *args: str, extra_env: dict[str, str] | None = None) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | _env(server) | (extra_env or {})
    common = ["--org", "--role-name", ROLE, *(a for r in REGIONS for a in ("--region", r)), "--format", "json",
              "--quiet"]
    result = subprocess.run([sys.executable, "-m", "scanner.cli", "aws", *common, *args], env=env, cwd=where,
                            capture_output=True, text=True, timeout=300)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode


def _merge(where: Path, *results: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scanner.cli", "merge", *results, "--format", "json"], cwd=where,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def runs(server: str, organisation: tuple[dict[str, str], Path]) -> tuple[Path, int, list[int]]:
    _, where = organisation
    whole = _aws(server, where, "-o", "whole.json")
    shards = [_aws(server, where, "--shard", f"{k}/{SHARDS}", "-o", f"shard-{k}.json") for k in range(SHARDS)]
    return where, whole, shards


@pytest.mark.slow
def test_the_merged_shards_are_the_unsharded_run_byte_for_byte(runs: tuple[Path, int, list[int]]) -> None:
    where, whole_code, _ = runs
    whole = (where / "whole.json").read_text(encoding="utf-8")
    merged = _merge(where, *(f"shard-{k}.json" for k in range(SHARDS)))
    assert merged.stdout == whole
    assert merged.returncode == whole_code
    report = json.loads(whole)
    # The audit was real: every account scanned, findings made, the grant between members judged internal.
    assert len(report["audit"]["accounts"]) == 4 and report["audit"]["shard"] is None
    assert {f"aws account {a}" for a in report["audit"]["accounts"]} == set(report["scanned"])
    assert any(f["rule_id"] == "OFS-HOST-001" for f in report["findings"])
    member_grants = [g for g in report["inventory"]["grants"] if g["declared_by"].endswith("role/claims-support")]
    assert member_grants and all(g["internal"] for g in member_grants), member_grants


@pytest.mark.slow
def test_each_shard_scans_its_share_and_reads_the_whole_organisation(runs: tuple[Path, int, list[int]]) -> None:
    where, _, _ = runs
    shares = []
    for k in range(SHARDS):
        report = json.loads((where / f"shard-{k}.json").read_text(encoding="utf-8"))
        shard = report["audit"]["shard"]
        assert (shard["index"], shard["count"]) == (k, SHARDS)
        assert set(report["scanned"]) == {f"aws account {a}" for a in shard["accounts"]}
        # The organisation's structure and SCPs are read in full by every shard.
        assert [g["description"] for g in report["guardrails"]] == [
            g["description"] for g in json.loads((where / "whole.json").read_text())["guardrails"]]
        shares.append(shard["accounts"])
    every = sorted(a for share in shares for a in share)
    assert every == json.loads((where / "whole.json").read_text())["audit"]["accounts"]


@pytest.mark.slow
def test_a_missing_shard_makes_merge_exit_2_naming_its_accounts(runs: tuple[Path, int, list[int]]) -> None:
    where, _, _ = runs
    missing = json.loads((where / "shard-1.json").read_text(encoding="utf-8"))["audit"]["shard"]["accounts"]
    merged = _merge(where, "shard-0.json", "shard-2.json")
    assert merged.returncode == EXIT_INCOMPLETE
    assert f"shard 1 of {SHARDS} not given" in merged.stderr
    assert all(account in merged.stderr for account in missing)


@pytest.mark.slow
def test_the_evidence_pack_makes_the_same_checks_as_merge(runs: tuple[Path, int, list[int]]) -> None:
    where, _, _ = runs
    missing = json.loads((where / "shard-1.json").read_text(encoding="utf-8"))["audit"]["shard"]["accounts"]
    partial = subprocess.run([sys.executable, "-m", "scanner.cli", "evidence", "shard-0.json", "shard-2.json", "-o",
                              "partial.md"], cwd=where, capture_output=True, text=True, timeout=120)
    assert partial.returncode == EXIT_INCOMPLETE
    assert f"shard 1 of {SHARDS} not given" in partial.stderr
    pack = (where / "partial.md").read_text(encoding="utf-8")
    assert all(account in pack for account in missing)  # the pack itself says which accounts it lacks
    whole = subprocess.run([sys.executable, "-m", "scanner.cli", "evidence",
                            *(f"shard-{k}.json" for k in range(SHARDS)), "-o", "whole.md", "--fail-on", "never"],
                           cwd=where, capture_output=True, text=True, timeout=120)
    # Complete but for moto's metric streams (ListMetricStreams fails in each member's regions): exit 2, and every
    # error the pack reports is one of the shards' metric-stream gaps (none of merge's checks); the findings' exit
    # code (1) is merge's and scan's.
    gaps = [g for k in range(SHARDS) for g in json.loads((where / f"shard-{k}.json").read_text(encoding="utf-8"))[
        "coverage"] if g["kind"] != "note"]
    assert gaps and all(moto_metric_stream_coverage(g) for g in gaps), gaps
    errors = [line.removeprefix("offshore-scan: error: ") for line in whole.stderr.splitlines()
              if line.startswith("offshore-scan: error: ")]
    assert sorted(errors) == sorted(f"{g['path']}: {g['reason']}" for g in gaps), whole.stderr
    assert whole.returncode == EXIT_INCOMPLETE, whole.stderr


@pytest.mark.slow
def test_a_shard_merged_twice_makes_merge_exit_2(runs: tuple[Path, int, list[int]]) -> None:
    where, _, _ = runs
    merged = _merge(where, *(f"shard-{k}.json" for k in range(SHARDS)), "shard-0.json")
    assert merged.returncode == EXIT_INCOMPLETE
    assert "is in 2 results" in merged.stderr


@pytest.mark.slow
def test_auto_reads_the_index_a_kubernetes_indexed_job_sets(server: str, runs: tuple[Path, int, list[int]]) -> None:
    where, _, _ = runs
    _aws(server, where, "--shard", f"auto/{SHARDS}", "-o", "auto.json", extra_env={"JOB_COMPLETION_INDEX": "1"})
    assert (where / "auto.json").read_text() == (where / "shard-1.json").read_text()


# --- the options, without a server ------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "environ", "expected"), [
    ("0/4", {}, (0, 4)),
    (" 3 / 4 ", {}, (3, 4)),
    ("auto/4", {"JOB_COMPLETION_INDEX": "2"}, (2, 4)),
    ("auto/4", {"AWS_BATCH_JOB_ARRAY_INDEX": "3"}, (3, 4)),
    ("auto/4", {"CI_NODE_INDEX": "1"}, (0, 4)),  # GitLab numbers its parallel jobs from 1
    ("auto/4", {"OFFSHORE_SCAN_SHARD_INDEX": "1", "CI_NODE_INDEX": ""}, (1, 4)),
    ("auto/4", {"JOB_COMPLETION_INDEX": "0", "CI_NODE_INDEX": "4"}, (0, 4)),  # the first variable set wins
])
def test_shard_k_of_n(text: str, environ: dict[str, str], expected: tuple[int, int]) -> None:
    assert parse_shard(text, environ) == expected


@pytest.mark.parametrize(("text", "environ", "says"), [
    ("4/4", {}, "not between 0 and 3"),
    ("1/0", {}, "N must be between 1 and 100,000"),
    ("0/1000000000000000000000", {}, "N must be between 1 and 100,000"),
    ("a/b", {}, "write K/N"),
    ("auto/4", {}, "none of JOB_COMPLETION_INDEX"),
    ("auto/4", {"JOB_COMPLETION_INDEX": "x"}, "Kubernetes Indexed Job"),
    ("auto/4", {"CI_NODE_INDEX": "5"}, "CI_NODE_INDEX=5 .a GitLab CI parallel job numbers its jobs from 1, so K "
                                        "would be 4., but K must be between 0 and 3"),
    ("auto/4", {"CI_NODE_INDEX": "0"}, "numbers its jobs from 1, so K would be -1"),
])
def test_a_shard_that_cannot_be_read_is_said(text: str, environ: dict[str, str], says: str) -> None:
    with pytest.raises(OptionError, match=says):
        parse_shard(text, environ)


def test_an_account_file_is_read_with_comments_and_named_on_error() -> None:
    assert read_account_file("# DWP accounts\n111111111111\n\n222222222222  # letters\n", "a.txt") == (
        "111111111111", "222222222222")
    with pytest.raises(OptionError, match=r"a.txt:2: '1234' is not a 12-digit"):
        read_account_file("111111111111\n1234\n", "a.txt")


def test_shard_needs_an_account_list_and_org_excludes_a_file() -> None:
    with pytest.raises(OptionError, match="--shard splits an organisation"):
        AwsOptions.from_command_line(None, (), False, False, None, (), (), 8, "0/2", None)
    with pytest.raises(OptionError, match="not both"):
        AwsOptions.from_command_line(None, (), False, True, ROLE, (), (), 8, None, ("111111111111",))
    listed = AwsOptions.from_command_line(None, (), False, False, ROLE, ("222222222222",), (), 8, "1/2",
                                          ("111111111111", "222222222222", "111111111111"))
    # The file is the audit; --account narrows it (never widens it); a repeated id counts once.
    assert (listed.shard, listed.account_list, listed.accounts) == (
        (1, 2), ("111111111111", "222222222222"), ("222222222222",))


def test_an_account_file_with_a_byte_order_mark_is_read() -> None:
    assert read_account_file("\ufeff111111111111\r\n222222222222", "a.txt") == ("111111111111", "222222222222")


# --- the recipes for batch engines, their scripts run as the engine would run them ---------------------------


def _shimmed_path(where: Path) -> str:
    """PATH with an ``offshore-scan`` that limits live scans to the test's two regions (the recipes scan every
    enabled region; moto enables about thirty) and an ``aws`` CLI whose ``s3 cp`` copies to a local directory."""
    shims = where / "shims"
    shims.mkdir(exist_ok=True)
    scanner = shims / "offshore-scan"
    regions = " ".join(f"--region {r}" for r in REGIONS)
    scanner.write_text(f'#!/bin/sh\nif [ "$1" = aws ]; then shift; exec "{sys.executable}" -m scanner.cli aws '
                       f'{regions} "$@"; fi\nexec "{sys.executable}" -m scanner.cli "$@"\n', encoding="utf-8")
    aws = shims / "aws"
    aws.write_text(f"#!{sys.executable}\n" + _FAKE_AWS_CLI, encoding="utf-8")
    for shim in (scanner, aws):
        shim.chmod(0o755)
    return f"{shims}{os.pathsep}{os.environ['PATH']}"


_FAKE_AWS_CLI = '''
import fnmatch, os, shutil, sys
from pathlib import Path
args = [a for a in sys.argv[1:] if a != "--only-show-errors"]
assert args[:2] == ["s3", "cp"], args
args = args[2:]
recursive = "--recursive" in args
args = [a for a in args if a != "--recursive"]
patterns = []
while args and args[0] in ("--exclude", "--include"):
    patterns.append((args[0], args[1]))
    args = args[2:]
source, target = args
local = lambda uri: Path(os.environ["FAKE_S3"]) / uri[len("s3://"):] if uri.startswith("s3://") else Path(uri)
source, target = local(source), local(target)
if not recursive:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, target)
    sys.exit(0)
for path in sorted(p for p in source.iterdir() if p.is_file()):
    keep = True
    for kind, pattern in patterns:
        if fnmatch.fnmatch(path.name, pattern):
            keep = kind == "--include"
    if keep:
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target / path.name)
'''


def _script_env(server: str, where: Path, **more: str) -> dict[str, str]:
    return ({k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | _env(server)
            | {"PATH": _shimmed_path(where), **more})


def _recipe_script(script: str) -> str:
    # The install line needs the package index; here the checkout's own scanner stands in (the shim above).
    return "\n".join(line for line in script.splitlines() if "pip install" not in line)


@pytest.mark.slow
def test_the_kubernetes_indexed_job_shards_and_its_merge_job_answer_as_one_run(
        server: str, runs: tuple[Path, int, list[int]], tmp_path: Path) -> None:
    import yaml

    where, whole_code, _ = runs
    recipes = Path(__file__).resolve().parent.parent / "ci" / "kubernetes"
    documents = list(yaml.safe_load_all((recipes / "offshore-scan-org-job.yaml").read_text(encoding="utf-8")))
    job = next(d for d in documents if d["kind"] == "Job")
    container = job["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e["value"] for e in container["env"]}
    count = job["spec"]["completions"]
    assert job["spec"]["completionMode"] == "Indexed" and int(env["SHARDS"]) == count == job["spec"]["parallelism"]
    assert container["command"] == ["sh", "-c"]
    for index in range(count):
        done = subprocess.run(["sh", "-c", _recipe_script(container["args"][0])], capture_output=True, text=True,
                              timeout=300, env=_script_env(server, tmp_path, **{**env, "RESULTS": str(tmp_path),
                                                                                "JOB_COMPLETION_INDEX": str(index)}))
        assert done.returncode == 0, done.stderr
    merge_job = yaml.safe_load((recipes / "offshore-scan-org-merge.yaml").read_text(encoding="utf-8"))
    merger = merge_job["spec"]["template"]["spec"]["containers"][0]
    done = subprocess.run(["sh", "-c", _recipe_script(merger["args"][0])], capture_output=True, text=True,
                          timeout=300, env=_script_env(server, tmp_path, RESULTS=str(tmp_path)))
    assert done.returncode == whole_code, done.stderr
    [merged] = list(tmp_path.glob("merged-*"))  # the merged shards and reports, moved aside for the next run
    assert (merged / "organisation.json").read_text() == (where / "whole.json").read_text()
    assert (merged / "organisation.sarif").is_file() and (merged / "organisation-evidence.html").is_file()
    assert sorted(p.name for p in merged.glob("shard-*.json")) == [f"shard-{k}.json" for k in range(count)]
    assert not list(tmp_path.glob("shard-*.json"))


@pytest.mark.slow
def test_the_aws_batch_array_job_and_its_merge_step_answer_as_one_run(
        server: str, runs: tuple[Path, int, list[int]], tmp_path: Path) -> None:
    where, whole_code, _ = runs
    recipes = Path(__file__).resolve().parent.parent / "ci" / "aws-batch"
    definition = json.loads((recipes / "job-definition.json").read_text(encoding="utf-8"))
    env = {e["name"]: e["value"] for e in definition["containerProperties"]["environment"]}
    count = 3  # the definition's SHARDS is overridden at submission, as `aws batch submit-job` allows
    bucket = tmp_path / "s3"
    common = {**env, "SHARDS": str(count), "OFFSHORE_SCAN_ROLE_NAME": ROLE, "FAKE_S3": str(bucket),
              "RESULTS_S3_URI": "s3://audit/offshore-scan"}
    for index in range(count):
        done = subprocess.run(["sh", str(recipes / "run-shard.sh")], capture_output=True, text=True, timeout=300,
                              env=_script_env(server, tmp_path, **common, AWS_BATCH_JOB_ARRAY_INDEX=str(index),
                                              AWS_BATCH_JOB_ID=f"run-1:{index}"))
        assert done.returncode == 0, done.stderr
    stored = bucket / "audit" / "offshore-scan" / "run-1"
    assert sorted(p.name for p in stored.iterdir()) == [f"shard-{k}.json" for k in range(count)]
    done = subprocess.run(["sh", str(recipes / "merge.sh")], capture_output=True, text=True, timeout=300,
                          env=_script_env(server, tmp_path, **common, RUN="run-1"))
    assert done.returncode == whole_code, done.stderr
    assert (stored / "organisation.json").read_text() == (where / "whole.json").read_text()


def test_the_github_workflow_shards_match_its_matrix_and_its_merge_runs_whatever_the_shards_did() -> None:
    import yaml

    workflow = yaml.safe_load((Path(__file__).resolve().parent.parent / "ci" / "github" /
                               "offshore-scan-org.yml").read_text(encoding="utf-8"))
    scan, merge = workflow["jobs"]["scan"], workflow["jobs"]["merge"]
    assert scan["strategy"]["matrix"]["shard"] == list(range(int(workflow["env"]["SHARDS"])))
    assert scan["strategy"]["fail-fast"] is False
    assert merge["needs"] == "scan" and "always()" in merge["if"]
    script = next(s["run"] for s in scan["steps"] if s.get("name", "").startswith("Scan shard"))
    assert '--shard "$SHARD/$SHARDS"' in script and "${{" not in script  # inputs reach the shell through env
    uploads = [s for s in scan["steps"] if s.get("uses", "").startswith("actions/upload-artifact")]
    downloads = [s for s in merge["steps"] if s.get("uses", "").startswith("actions/download-artifact")]
    assert uploads[0]["with"]["name"].startswith(downloads[0]["with"]["pattern"].rstrip("*"))


@pytest.mark.slow
def test_the_github_workflow_scripts_run_as_the_runner_runs_them(server: str, runs: tuple[Path, int, list[int]],
                                                                 tmp_path: Path) -> None:
    import yaml

    where, whole_code, _ = runs
    workflow = yaml.safe_load((Path(__file__).resolve().parent.parent / "ci" / "github" /
                               "offshore-scan-org.yml").read_text(encoding="utf-8"))
    scan = next(s["run"] for s in workflow["jobs"]["scan"]["steps"] if s.get("name", "").startswith("Scan shard"))
    (tmp_path / "shards").mkdir()
    for shard in workflow["jobs"]["scan"]["strategy"]["matrix"]["shard"]:
        # GitHub runs `run:` with `bash -e {0}`; each shard's artifact lands in shards/ (merge-multiple).
        done = subprocess.run(["bash", "-e", "-c", scan], cwd=tmp_path / "shards", capture_output=True, text=True,
                              timeout=300, env=_script_env(server, tmp_path, SHARD=str(shard), ROLE_NAME=ROLE,
                                                           SHARDS=workflow["env"]["SHARDS"]))
        assert done.returncode == 0, done.stderr
    merging = next(s for s in workflow["jobs"]["merge"]["steps"] if s.get("id") == "merge")
    output = tmp_path / "github-output"
    done = subprocess.run(["bash", "-e", "-c", merging["run"]], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300, env=_script_env(server, tmp_path, GITHUB_OUTPUT=str(output)))
    assert done.returncode == 0, done.stderr
    assert output.read_text() == f"status={whole_code}\n"
    assert (tmp_path / "offshore-scan.json").read_text() == (where / "whole.json").read_text()
