"""Organisation mode (``offshore-scan aws --org --role-name NAME``) against a moto server on 127.0.0.1.

The organisation is built here with boto3, independently of the adapter: a management account with nothing
DWP, an OU whose SCP denies every region but eu-west-2 (with a nested OU under it), and an OU whose SCP
denies something else. Each member is entered through the role moto's STS grants for any ARN, and holds
DWP buckets. moto cannot refuse ``sts:AssumeRole`` (it accepts any role ARN and enforces no trust policy),
so the account whose role cannot be assumed is answered with a recorded ``AccessDenied``, the way
botocore's Stubber answers: a ``before-call`` handler returning the recorded response, registered on the
scan's own (guarded) session so the read-only guard still sees every call. moto has no metric streams:
ListMetricStreams fails in each region of each account holding DWP buckets (``helpers.moto_metric_stream_coverage``),
a gap the tests name apart from the ones they are about.

Every test here scans the organisation (built once for the module, about ten seconds): all are ``slow``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from providers.aws.accounts import sessions_for
from providers.aws.adapter import scan_aws
from providers.aws.coverage import Recorder
from providers.aws.options import AwsOptions
from providers.aws.session import WriteRefused, guarded
from providers.interface import ScanOptions
from scanner.cli import EXIT_FINDINGS, EXIT_INCOMPLETE, report_and_exit
from scanner.engine import evaluate
from scanner.model import Inventory, ScopeStatus
from tests.helpers import moto_metric_stream_coverage, moto_metric_stream_scope, moto_server

pytestmark = pytest.mark.slow

MANAGEMENT = "123456789012"  # moto's default account: the caller, as the organisation's management account
ROLE = "OffshoreScanReadOnly"
REGIONS = ("eu-west-2", "eu-west-1")
DWP = [{"Key": "Classification", "Value": "OFFICIAL-SENSITIVE"}, {"Key": "Owner", "Value": "DWP Claims"}]
EXEMPT = ["iam:*", "organizations:*", "sts:*", "route53:*", "cloudfront:*", "support:*"]
UK_ONLY = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Deny", "NotAction": EXEMPT, "Resource": "*",
    "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-2"]}}}]}
NO_LEAVING = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}]}
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def _member(endpoint: str, org: Any, name: str, parent: str, root: str) -> tuple[str, boto3.Session]:
    """A member account moved under ``parent``, and an (unguarded) session in it to build its estate."""
    request = org.create_account(Email=f"{name}@example.gov.uk", AccountName=name)["CreateAccountStatus"]["Id"]
    account = org.describe_create_account_status(CreateAccountRequestId=request)["CreateAccountStatus"]["AccountId"]
    org.move_account(AccountId=account, SourceParentId=root, DestinationParentId=parent)
    sts = boto3.client("sts", region_name="us-east-1", endpoint_url=endpoint, **CREDENTIALS)
    entered = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{ROLE}", RoleSessionName="build")["Credentials"]
    return account, boto3.Session(aws_access_key_id=entered["AccessKeyId"],
                                  aws_secret_access_key=entered["SecretAccessKey"],
                                  aws_session_token=entered["SessionToken"])


def _bucket(endpoint: str, session: boto3.Session, name: str, region: str) -> None:
    s3 = session.client("s3", region_name=region, endpoint_url=endpoint)
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": DWP})


def _build(endpoint: str) -> dict[str, str]:
    org = boto3.client("organizations", region_name="us-east-1", endpoint_url=endpoint, **CREDENTIALS)
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    guarded_ou = org.create_organizational_unit(ParentId=root, Name="uk-only")["OrganizationalUnit"]["Id"]
    nested_ou = org.create_organizational_unit(ParentId=guarded_ou, Name="letters")["OrganizationalUnit"]["Id"]
    open_ou = org.create_organizational_unit(ParentId=root, Name="payments")["OrganizationalUnit"]["Id"]
    built = {"root": root, "guarded_ou": guarded_ou, "open_ou": open_ou}
    for name, parent in (("claims", guarded_ou), ("letters", nested_ou), ("payments", open_ou)):
        account, session = _member(endpoint, org, name, parent, root)
        built[name] = account
        _bucket(endpoint, session, f"{name}-records", "eu-west-2")
        _bucket(endpoint, session, f"{name}-ireland", "eu-west-1")
    for policy, name, target in ((UK_ONLY, "uk-only", guarded_ou), (NO_LEAVING, "no-leaving", open_ou)):
        created = org.create_policy(Content=json.dumps(policy), Description=name, Name=name,
                                    Type="SERVICE_CONTROL_POLICY")["Policy"]["PolicySummary"]
        org.attach_policy(PolicyId=created["Id"], TargetId=target)
        built[name] = created["Arn"]
    return built


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def estate(server: str) -> Iterator[dict[str, str]]:
    """The organisation, and the process environment pointed at the server (assumed-role sessions are built
    from the environment, as on AWS)."""
    built = _build(server)
    with pytest.MonkeyPatch.context() as patch:
        for key in [k for k in os.environ if k.startswith("AWS_")]:
            patch.delenv(key)
        for key, value in _env(server).items():
            patch.setenv(key, value)
        yield built


def _env(endpoint: str) -> dict[str, str]:
    return {"AWS_MAX_ATTEMPTS": "1", "AWS_DEFAULT_REGION": "eu-west-2", "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def _options(**changes: Any) -> AwsOptions:
    # In-process scans read one region (the offshore buckets'): the CLI test reads both.
    return AwsOptions(**{"regions": ("eu-west-1",), "org": True, "role_name": ROLE, **changes})


def _scan(base: boto3.Session | None = None, **changes: Any) -> Inventory:
    return scan_aws(_options(**changes), ScanOptions(), session=base or guarded(boto3.Session()))


def _incomplete(inventory: Inventory) -> list[str]:
    """The gaps that leave the scan incomplete, but moto's metric-stream gaps (``_stream_gaps``)."""
    return [f"{g.path}: {g.reason}" for g in inventory.coverage
            if g.incomplete and not moto_metric_stream_coverage(g, inventory.scopes)]


def _stream_gaps(inventory: Inventory) -> list[str]:
    """The paths of moto's metric-stream gaps: each scanned account and region holding DWP resources."""
    return sorted(g.path for g in inventory.coverage if moto_metric_stream_coverage(g, inventory.scopes))


# --- the real CLI ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_report(estate: dict[str, str], server: str,
               tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | _env(server)
    # --allow-partial: moto's metric-stream gaps would exit 2 (the test asserts they are the only incomplete scopes).
    args = ["--org", "--role-name", ROLE, *(a for r in REGIONS for a in ("--region", r)), "--format", "json",
            "--quiet", "--allow-partial"]
    result = subprocess.run([sys.executable, "-m", "scanner.cli", "aws", *args], env=env,
                            cwd=tmp_path_factory.mktemp("org"), capture_output=True, text=True, timeout=120)
    assert "Traceback" not in result.stderr, result.stderr
    return json.loads(result.stdout), result.returncode


def test_every_member_account_is_scanned_through_the_role(estate: dict[str, str],
                                                          cli_report: tuple[dict[str, Any], int]) -> None:
    report, code = cli_report
    members = {estate["claims"], estate["letters"], estate["payments"]}
    scopes = report["scopes"]
    # Each account was entered (one AssumeRole each; the caller uses its own credentials) and read in every region.
    assert {s["account"] for s in scopes if s["service"] == "sts"} == members
    for account in {*members, MANAGEMENT}:
        read = {s["region"] for s in scopes if s["account"] == account and s["service"] == "resourcegroupstaggingapi"}
        assert read == set(REGIONS), account
    # Every scope was read whole but moto's metric streams: ListMetricStreams fails in each member (the
    # management account holds nothing DWP, so its streams are not read) in each region.
    unread = sorted((s["account"], s["region"], s["service"], s["status"]) for s in scopes if s["status"] != "scanned")
    assert unread == sorted((m, *moto_metric_stream_scope(r)) for m in members for r in REGIONS), unread
    errors = [g for g in report["coverage"] if g["kind"] != "note"]
    assert all(moto_metric_stream_coverage(g) for g in errors), errors
    assert sorted(g["path"] for g in errors) == sorted(f"{m}/{r}" for m in members for r in REGIONS)
    found = {(f["rule_id"], f["resource"]) for f in report["findings"] if f["outcome"] == "fail"}
    assert {("OFS-HOST-001", f"arn:aws:s3:::{name}-ireland") for name in ("claims", "letters", "payments")} <= found
    assert not any("-records" in resource for _, resource in found)  # the eu-west-2 buckets pass
    assert code == EXIT_FINDINGS  # complete but moto's metric streams (--allow-partial), with findings


def test_the_region_deny_scp_governs_only_the_accounts_under_its_ou(
        estate: dict[str, str], cli_report: tuple[dict[str, Any], int]) -> None:
    report, _ = cli_report
    [guard] = [g for g in report["guardrails"] if estate["uk-only"] in g["description"]]
    assert guard["uk_only"] is True and guard["regions"] == ["eu-west-2"]
    # The nested OU's account is governed through its parent OU; the payments account is not.
    assert f"governs account(s) {', '.join(sorted([estate['claims'], estate['letters']]))}" in guard["description"]
    assert not any(estate["no-leaving"] in g["description"] for g in report["guardrails"])  # not a region deny
    [missing] = [f for f in report["findings"] if f["rule_id"] == "OFS-GRD-001"]
    assert missing["outcome"] == "fail"
    assert f"aws account(s) {estate['payments']} that no such control governs" in missing["message"]
    assert estate["claims"] not in missing["message"].split("governs", 1)[0]


def test_an_scp_attached_to_the_root_governs_every_account(estate: dict[str, str]) -> None:
    org = boto3.client("organizations", region_name="us-east-1")
    org.attach_policy(PolicyId=estate["uk-only"].rsplit("/", 1)[-1], TargetId=estate["root"])
    try:
        inventory = _scan()
    finally:
        org.detach_policy(PolicyId=estate["uk-only"].rsplit("/", 1)[-1], TargetId=estate["root"])
    assert _incomplete(inventory) == []
    assert _stream_gaps(inventory) == sorted(f"{estate[m]}/eu-west-1" for m in ("claims", "letters", "payments"))
    assert [g.accounts for g in inventory.guardrails] == [None]  # the whole organisation
    assert [f for f in evaluate(inventory) if f.rule_id == "OFS-GRD-001"] == []


# --- accounts left out, and accounts that cannot be entered ---------------------------------------------


def test_excluded_accounts_are_said_and_not_scanned(estate: dict[str, str]) -> None:
    inventory = _scan(exclude_accounts=(estate["payments"],))
    assert _incomplete(inventory) == []
    assert _stream_gaps(inventory) == sorted(f"{estate[m]}/eu-west-1" for m in ("claims", "letters"))
    assert estate["payments"] not in {s.account for s in inventory.scopes}
    assert f"aws account {estate['payments']}" not in inventory.scanned
    [note] = [g for g in inventory.coverage if estate["payments"] in g.path]
    assert note.kind == "note" and "--exclude-account" in note.reason
    # With the open account left out, every DWP resource scanned is under the region-deny SCP.
    assert [f for f in evaluate(inventory) if f.rule_id == "OFS-GRD-001"] == []


def test_account_narrows_the_organisation_and_a_stranger_is_a_gap(estate: dict[str, str]) -> None:
    stranger = "999999999999"
    inventory = _scan(accounts=(estate["letters"], stranger))
    assert inventory.scanned == (f"aws account {estate['letters']}",)
    assert {s.account for s in inventory.scopes} == {estate["letters"], MANAGEMENT}  # organizations is read there
    assert {s.service for s in inventory.scopes if s.account == MANAGEMENT} == {"organizations"}
    [gap] = [g for g in inventory.coverage if g.incomplete and not moto_metric_stream_coverage(g, inventory.scopes)]
    assert gap.path == f"{stranger}/global"
    assert _stream_gaps(inventory) == [f"{estate['letters']}/eu-west-1"]
    assert "not an active account of the organisation" in gap.reason


def _refuse_assume_role_into(account: str) -> Any:
    """A before-call handler answering AssumeRole into ``account`` with AWS's recorded refusal."""
    recorded = {"Error": {"Code": "AccessDenied", "Message": f"User: arn:aws:iam::{MANAGEMENT}:user/audit is not "
                          f"authorized to perform: sts:AssumeRole on resource: arn:aws:iam::{account}:role/{ROLE}"},
                "ResponseMetadata": {"HTTPStatusCode": 403}}

    def answer(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if f"::{account}:" not in str(params.get("body", {}).get("RoleArn", "")):
            return None
        return AWSResponse("https://sts.amazonaws.com/", 403, {}, None), recorded

    return answer


def test_an_account_whose_role_cannot_be_assumed_is_a_coverage_gap(estate: dict[str, str], capsys: Any) -> None:
    base = guarded(boto3.Session())
    base.events.register("before-call.sts.AssumeRole", _refuse_assume_role_into(estate["payments"]))
    inventory = _scan(base)
    [entry] = [s for s in inventory.scopes if s.account == estate["payments"]]
    assert (entry.service, entry.status, entry.calls) == ("sts", ScopeStatus.DENIED, 1)
    assert entry.detail is not None and "AccessDenied" in entry.detail and "not scanned" in entry.detail
    assert [p.split(": ", 1)[0] for p in _incomplete(inventory)] == [f"{estate['payments']}/global"]
    assert _stream_gaps(inventory) == sorted(f"{estate[m]}/eu-west-1" for m in ("claims", "letters"))
    # The other accounts are still read whole.
    assert {f"aws account {a}" for a in (MANAGEMENT, estate["claims"], estate["letters"])} == set(inventory.scanned)
    # Incomplete for the refused account (and for moto's metric streams, asserted above).
    with pytest.raises(SystemExit) as incomplete:
        report_and_exit(inventory, "json", None, "high", None, allow_partial=False)
    assert incomplete.value.code == EXIT_INCOMPLETE
    with pytest.raises(SystemExit) as judged:
        report_and_exit(inventory, "json", None, "high", None, allow_partial=True)
    assert judged.value.code == EXIT_FINDINGS
    assert "sts denied" in capsys.readouterr().err


def test_every_assumed_role_session_refuses_writes_before_sending(estate: dict[str, str]) -> None:
    found = sessions_for(guarded(boto3.Session()), MANAGEMENT, _options(), Recorder())
    assert set(found.sessions) == {MANAGEMENT, estate["claims"], estate["letters"], estate["payments"]}
    for account, session in found.sessions.items():
        s3 = session.client("s3", region_name="eu-west-2")
        sent: list[str] = []
        s3.meta.events.register("before-send.*.*", lambda request, sent=sent, **_: sent.append(request.url))
        with pytest.raises(WriteRefused, match="CreateBucket"):
            s3.create_bucket(Bucket=f"written-{account}", CreateBucketConfiguration={
                "LocationConstraint": "eu-west-2"})
        assert sent == [], account
        # The session reads in its own account, not the caller's.
        assert session.client("sts").get_caller_identity()["Account"] == account


def test_scps_that_cannot_be_read_leave_the_guardrail_unknown_never_failed(estate: dict[str, str]) -> None:
    """A denied ListPoliciesForTarget is not "no SCP": OFS-GRD-001 is unknown, naming the call, and the scan is
    incomplete (the guarded OU's SCP exists; a fail saying "none was found" would be false)."""
    recorded = {"Error": {"Code": "AccessDeniedException", "Message": "You don't have permissions to access this "
                          "resource."}, "ResponseMetadata": {"HTTPStatusCode": 400}}

    def refuse(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        return AWSResponse("https://organizations.us-east-1.amazonaws.com/", 400, {}, None), recorded

    base = guarded(boto3.Session())
    base.events.register("before-call.organizations.ListPoliciesForTarget", refuse)
    inventory = _scan(base)
    [guard] = [f for f in evaluate(inventory) if f.rule_id == "OFS-GRD-001"]
    assert guard.outcome.value == "unknown"
    assert "could not all be read" in guard.message and "ListPoliciesForTarget" in guard.message
    assert any(s.service == "organizations" and s.status is ScopeStatus.DENIED for s in inventory.scopes)
    assert any(g.incomplete for g in inventory.coverage)


def test_account_narrows_an_account_file_and_unknown_exclusions_are_said(estate: dict[str, str]) -> None:
    listed = (estate["claims"], estate["letters"], estate["payments"])
    options = AwsOptions(role_name=ROLE, account_list=listed, accounts=(estate["letters"],),
                         exclude_accounts=("999999999999",))
    found = sessions_for(guarded(boto3.Session()), MANAGEMENT, options, Recorder())
    assert set(found.sessions) == {estate["letters"]}
    assert set(found.excluded) == {estate["claims"], estate["payments"]}
    assert (found.listed_by, found.unknown_exclusions) == ("the account file", ("999999999999",))
