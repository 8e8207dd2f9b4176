"""Read-only by construction: the guard refuses writes before anything is sent, on every session, and the
shipped IAM policy allows every operation the collectors can call (and nothing that writes)."""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
from pathlib import Path

import boto3
import pytest
from botocore.session import get_session
from moto import mock_aws

from providers.aws import collectors, discovery
from providers.aws.session import WriteRefused, assume, guarded, is_read_only

ROOT = Path(__file__).resolve().parent.parent
POLICY = json.loads((ROOT / "docs" / "aws-readonly-policy.json").read_text())
# IAM action names that differ from the API operation's name.
_IAM_NAMES = {("s3", "GetBucketReplication"): "s3:GetReplicationConfiguration",
              ("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration",
              ("s3", "ListBuckets"): "s3:ListAllMyBuckets",
              ("s3", "ListBucketInventoryConfigurations"): "s3:GetInventoryConfiguration",
              ("s3", "ListBucketAnalyticsConfigurations"): "s3:GetAnalyticsConfiguration",
              # API Gateway's IAM actions are HTTP verbs on the API's path, v1 and v2 alike.
              ("apigateway", "GetRestApis"): "apigateway:GET", ("apigateway", "GetStages"): "apigateway:GET",
              ("apigatewayv2", "GetApis"): "apigateway:GET", ("apigatewayv2", "GetStages"): "apigateway:GET"}
_IAM_PREFIX = {"resourcegroupstaggingapi": "tag", "efs": "elasticfilesystem", "opensearch": "es",
               "stepfunctions": "states"}

_IAM_PREFIX["s3control"] = "s3"  # S3 Control's IAM actions are S3's (s3:ListAccessPoints)


def _allowed_actions() -> set[str]:
    actions: set[str] = set()
    for statement in POLICY["Statement"]:
        listed = statement["Action"]
        actions.update([listed] if isinstance(listed, str) else listed)
    return actions


def _operations(service: str, source: str) -> set[str]:
    """The operations of ``service`` whose method names appear as string literals in ``source``."""
    from botocore import xform_name

    model = get_session().get_service_model(service)
    literals = set(re.findall(r'"([a-z_]+)"', source))
    return {op for op in model.operation_names if xform_name(op) in literals}


def _called() -> set[tuple[str, str]]:
    """Every (service, operation) the adapter can call, read from its source."""
    found: set[tuple[str, str]] = set()
    package = Path(collectors.__file__).parent
    for info in pkgutil.iter_modules([str(package)]):
        module = importlib.import_module(f"providers.aws.collectors.{info.name}")
        service = getattr(module, "SERVICE", None)
        if service is not None:
            found.update((service, op) for op in _operations(service, Path(module.__file__).read_text()))
    for service, listers in discovery.LISTINGS.items():
        found.update((service, op) for op in _operations(service, " ".join(f'"{m}"' for m, _, _ in listers)))
    found |= {("ec2", "DescribeRegions"), ("resourcegroupstaggingapi", "GetResources"), ("s3", "ListBuckets"),
              ("organizations", "ListAccounts"), ("sts", "GetCallerIdentity"), ("sts", "AssumeRole")}
    return found


def test_every_operation_the_adapter_can_call_is_read_only_and_in_the_shipped_policy() -> None:
    called = _called()
    assert len(called) > 40  # the source scan found the collectors' calls, not an empty set
    allowed = _allowed_actions()
    missing = sorted(_IAM_NAMES.get((s, op), f"{_IAM_PREFIX.get(s, s)}:{op}") for s, op in called
                     if _IAM_NAMES.get((s, op), f"{_IAM_PREFIX.get(s, s)}:{op}") not in allowed)
    assert missing == []
    assert all(is_read_only(s, op) for s, op in called)


def test_the_shipped_policy_grants_nothing_that_writes() -> None:
    for action in _allowed_actions():
        service, operation = action.split(":", 1)
        # API Gateway's IAM actions are HTTP verbs: GET reads (every other verb would write).
        assert is_read_only(service, operation) or action == "apigateway:GET", action


@pytest.mark.parametrize(("service", "operation", "allowed"), [
    ("s3", "GetBucketReplication", True), ("ec2", "DescribeRegions", True), ("sts", "AssumeRole", True),
    ("dynamodb", "BatchGetItem", True), ("s3", "PutBucketReplication", False), ("s3", "CreateBucket", False),
    ("iam", "UpdateAssumeRolePolicy", False), ("sts", "AssumeRoleWithWebIdentity", False),
    ("ec2", "DeleteVpc", False),
])
def test_only_reads_and_assume_role_are_allowed(service: str, operation: str, allowed: bool) -> None:
    assert is_read_only(service, operation) is allowed


def test_a_write_is_refused_before_any_request_is_sent() -> None:
    session = guarded(boto3.Session(aws_access_key_id="k", aws_secret_access_key="s", region_name="eu-west-2"))
    # Nothing listens on port 9: a request that got as far as being sent would fail differently.
    s3 = session.client("s3", endpoint_url="http://127.0.0.1:9")
    sent: list[str] = []
    s3.meta.events.register("before-send.*.*", lambda request, **_: sent.append(request.url))
    with pytest.raises(WriteRefused, match="CreateBucket"):
        s3.create_bucket(Bucket="b")
    assert sent == []


def test_assumed_role_sessions_are_guarded_too() -> None:
    with mock_aws():
        base = guarded(boto3.Session(aws_access_key_id="k", aws_secret_access_key="s", region_name="eu-west-2"))
        member = assume(base, "210987654321", "OffshoreScanReadOnly")
        assert member is not base
        assert member.client("sts").get_caller_identity()["Account"] == "210987654321"
        with pytest.raises(WriteRefused):
            member.client("s3").create_bucket(Bucket="written", CreateBucketConfiguration={
                "LocationConstraint": "eu-west-2"})
        assert member.client("s3").list_buckets()["Buckets"] == []
