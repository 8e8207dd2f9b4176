"""What the live scans trust from an endpoint, checked without one: the AWS answer checks against botocore's
output shapes, ARM bodies and pagers, the SDKs' environment, and principals that are no ARN or account id."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import botocore.session
import pytest

from providers.aws import environment as aws_environment
from providers.aws.answers import raw_problem, shape_problem
from providers.aws.collectors.iam import trusts_outside
from providers.azure import environment as azure_environment
from providers.azure.answers import EndlessPages, body_problem, pages
from providers.live.errors import ConfigurationError
from tests.test_access import AWS, _grants

ROOT = Path(__file__).resolve().parent.parent


def _operation(service: str, name: str) -> Any:
    return botocore.session.get_session().get_service_model(service).operation_model(name)


# --- AWS answers --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("service", "operation", "body", "problem"), [
    ("resourcegroupstaggingapi", "GetResources", b"<!DOCTYPE html><html><body>blocked</body></html>", "not JSON"),
    ("resourcegroupstaggingapi", "GetResources", b'{"ResourceTagMappingList": [{"Resour', "not JSON"),
    ("resourcegroupstaggingapi", "GetResources", b"", "empty body"),
    ("resourcegroupstaggingapi", "GetResources", b"[]", "not an object"),
    ("iam", "ListRoles", b"<html><body>blocked</body></html>", "<html>"),
    ("iam", "ListRoles", b"<ListRolesResponse><ListRolesResult><Roles>", "not XML"),
    ("ec2", "DescribeVpcs", b"<DescribeRegionsResponse/>", "not <DescribeVpcsResponse>"),
    ("s3", "GetBucketPolicy", b"<html>blocked</html>", "not JSON"),  # a policy is always a JSON document
])
def test_a_body_that_is_not_the_operations_is_damaged(service: str, operation: str, body: bytes,
                                                      problem: str) -> None:
    found = raw_problem(_operation(service, operation), body)
    assert found is not None and problem in found, found


@pytest.mark.parametrize(("service", "operation", "body"), [
    ("resourcegroupstaggingapi", "GetResources", b'{"ResourceTagMappingList": []}'),
    ("iam", "ListRoles", b'<ListRolesResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListRolesResult>'
                         b'<Roles/></ListRolesResult></ListRolesResponse>'),
    ("s3", "GetBucketPolicy", b'{"Version": "2012-10-17", "Statement": []}'),
    ("s3", "GetBucketLogging", b"<BucketLoggingStatus/>"),
])
def test_the_operations_own_answers_pass(service: str, operation: str, body: bytes) -> None:
    assert raw_problem(_operation(service, operation), body) is None


def test_the_parsed_answer_is_checked_against_the_output_shape() -> None:
    shape = _operation("resourcegroupstaggingapi", "GetResources").output_shape
    assert shape_problem(shape, {"ResourceTagMappingList": []}) is None
    assert "not a list" in (shape_problem(shape, {"ResourceTagMappingList": {"x": 1}}) or "")
    assert "not a structure" in (shape_problem(shape, {"ResourceTagMappingList": ["arn"]}) or "")
    assert "not a structure" in (shape_problem(shape, "<html>") or "")


# --- ARM answers --------------------------------------------------------------------------------------


def test_an_arm_body_must_be_a_json_object() -> None:
    assert body_problem(b'{"value": []}') is None
    assert "not JSON" in (body_problem(b"<!DOCTYPE html><html></html>") or "")
    assert "not JSON" in (body_problem(b'{"value": [{"id": "/subscr') or "")
    assert "empty" in (body_problem(b"  ") or "")


class _Pager:
    """An SDK pager (``ItemPaged``) whose pages come with these continuation tokens."""

    def __init__(self, tokens: list[str | None]) -> None:
        self.tokens = tokens

    def by_page(self) -> Any:
        pager = self

        class Pages:
            continuation_token: str | None = None

            def __iter__(self) -> Any:
                for token in pager.tokens:
                    self.continuation_token = token
                    yield [{"id": f"/x/{token}"}]

        return Pages()


def test_an_sdk_pager_is_bounded() -> None:
    assert len(list(pages(_Pager(["a", "b", None])))) == 3
    with pytest.raises(EndlessPages, match="repeated"):
        list(pages(_Pager(["a", "b", "a", None])))
    with pytest.raises(EndlessPages, match="more than 3 pages"):
        list(pages(_Pager([str(n) for n in range(10)]), limit=3))


# --- the SDKs' environment ------------------------------------------------------------------------------


@pytest.mark.parametrize(("variable", "value"), [
    ("AWS_MAX_ATTEMPTS", "abc"), ("AWS_MAX_ATTEMPTS", "0"), ("AWS_ENDPOINT_URL", "not a url"),
    ("AWS_ENDPOINT_URL_S3", "ftp://x"), ("AWS_RETRY_MODE", "sometimes"), ("AWS_DEFAULT_REGION", "eu west 2"),
])
def test_garbage_in_the_aws_environment_names_the_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigurationError, match=variable):
        aws_environment.check(None, {variable: value, "AWS_CONFIG_FILE": os.devnull,
                                     "AWS_SHARED_CREDENTIALS_FILE": os.devnull})


def test_a_garbled_aws_config_file_names_the_file(tmp_path: Path) -> None:
    garbled = tmp_path / "config"
    garbled.write_text("[default\nregion = eu-west-2\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="AWS_CONFIG_FILE") as raised:
        aws_environment.check(None, {"AWS_CONFIG_FILE": str(garbled), "AWS_SHARED_CREDENTIALS_FILE": os.devnull})
    assert str(garbled) in str(raised.value)
    garbled.write_text("[profile audit]\nmax_attempts = many\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="profile audit: max_attempts"):
        aws_environment.check("audit", {"AWS_CONFIG_FILE": str(garbled), "AWS_SHARED_CREDENTIALS_FILE": os.devnull})
    aws_environment.check(None, {"AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                                 "AWS_MAX_ATTEMPTS": "2", "AWS_ENDPOINT_URL": "http://127.0.0.1:5000"})


def test_garbage_in_the_azure_environment_names_the_variable() -> None:
    for value in ("nonsense", "http://login.microsoftonline.com", "login microsoftonline.com"):
        with pytest.raises(ConfigurationError, match="AZURE_AUTHORITY_HOST"):
            azure_environment.check({"AZURE_AUTHORITY_HOST": value})
    for value in ("login.microsoftonline.com", "https://login.microsoftonline.us/"):
        azure_environment.check({"AZURE_AUTHORITY_HOST": value})


@pytest.mark.parametrize(("command", "variable", "value"), [
    ("aws", "AWS_MAX_ATTEMPTS", "abc"),
    ("aws", "AWS_ENDPOINT_URL", "not a url"),
    ("aws", "AWS_CONFIG_FILE", "garbled"),
    ("azure", "AZURE_AUTHORITY_HOST", "nonsense"),
])
def test_the_commands_say_it_in_one_line_and_exit_2(tmp_path: Path, command: str, variable: str, value: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AZURE_"))}
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_SHARED_CREDENTIALS_FILE=os.devnull,
               AWS_CONFIG_FILE=os.devnull, PYTHONPATH=str(ROOT))
    if value == "garbled":
        (tmp_path / "config").write_text("[default\n", encoding="utf-8")
        value = str(tmp_path / "config")
    env[variable] = value
    done = subprocess.run([sys.executable, "-m", "scanner.cli", command, "--quiet"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert variable in done.stderr, done.stderr


# --- principals that are no ARN, account id, service or "*" ------------------------------------------------


@pytest.mark.parametrize("principal", ["AIDAJQABLZS4A3QDU576Q", "AROADBQP57FF2AEXAMPLE", "not a principal"])
def test_a_principal_that_is_no_arn_or_account_is_an_unknown_grant_naming_it(tmp_path: Path, principal: str) -> None:
    policy = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}]}
    (grant,) = _grants(tmp_path, AWS + f"""
        resource "aws_iam_role" "ops" {{
          name = "ops"
          assume_role_policy = {json.dumps(json.dumps(policy))}
        }}
    """)
    assert grant.principal == principal and grant.country is None and not grant.internal
    assert "not an ARN, an account id" in grant.description


def test_a_role_trusting_a_unique_id_is_trusted_outside_the_account() -> None:
    # Its tags are then read, so a DWP role's unknown grant is judged rather than left unread.
    role = {"AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "AIDAEXAMPLE1"}}]}}
    assert trusts_outside(role, "123456789012")
    own = {"AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow",
                                                        "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}]}}
    assert not trusts_outside(own, "123456789012")
