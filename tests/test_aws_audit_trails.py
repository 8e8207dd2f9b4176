"""CloudTrail trails, AWS Config delivery channels and aggregators, and the identity policies of roles trusted
outside the account, end to end on a moto server on 127.0.0.1 (one server for the module), with translations
tested on recorded answers where moto cannot answer (a denied call).

The estate: DWP bucket ``claims`` and DWP bucket ``benefits-uk`` in eu-west-2, DWP table ``appeals`` in
eu-west-1; audit buckets ``audit-us`` (us-east-1) and ``audit-uk`` (eu-west-2). A trail selects the data events of
``claims`` and delivers to ``audit-us`` (a finding); another selects ``benefits-uk`` and delivers to ``audit-uk``
(none). eu-west-2's Config channel delivers to ``audit-uk`` (none); an aggregator in us-east-1 collects eu-west-1
(``appeals``'s configuration leaves). A role trusted by an account in India reaches ``claims`` (a customer
managed policy) and ``appeals`` (an inline wildcard); a role trusted by another account reaches nothing DWP.
moto has no metric streams: each DWP resource has a telemetry flow to an unknown place and an unknown finding
declared by its region's placeholder stream (``helpers.moto_metric_stream_flow``, ``moto_metric_stream_gap``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from providers.aws.adapter import scan_aws
from providers.aws.calls import Failed
from providers.aws.collectors import cloudtrail, config, iam
from providers.aws.options import AwsOptions
from providers.aws.records import Scope
from providers.interface import ScanOptions
from providers.semantics.records import Unknown
from scanner.engine import evaluate
from scanner.model import Finding, Inventory, ScopeStatus
from tests.helpers import moto_metric_stream_flow, moto_metric_stream_gap, moto_server, normalised

pytestmark = pytest.mark.slow  # moto end to end: out of the quick loop (-m 'not slow'), in the full suite

ACCOUNT = "123456789012"  # moto's default account
INDIA = "999999999999"
OTHER = "888888888888"
DWP = [{"Key": "Classification", "Value": "OFFICIAL-SENSITIVE"}]
REGIONS = ("eu-west-2", "eu-west-1", "us-east-1")
CLAIMS, BENEFITS = "arn:aws:s3:::claims", "arn:aws:s3:::benefits-uk"
APPEALS = f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/appeals"
MINE = ("cloudtrail", "config", "iam")


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with moto_server() as url:
        yield url


def _client(endpoint: str, service: str, region: str = "eu-west-2") -> Any:
    return boto3.client(service, region_name=region, endpoint_url=endpoint, aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def _trust(account: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}]})


def _policy(action: str, resource: str) -> str:
    return json.dumps({"Version": "2012-10-17",
                       "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]})


@pytest.fixture(scope="module")
def inventory(endpoint: str) -> Inventory:
    for name, region in (("claims", "eu-west-2"), ("benefits-uk", "eu-west-2"), ("audit-us", "us-east-1"),
                         ("audit-uk", "eu-west-2")):
        s3 = _client(endpoint, "s3", region)
        extra = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=name, **extra)
        if name in ("claims", "benefits-uk"):
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": DWP})
    _client(endpoint, "dynamodb", "eu-west-1").create_table(
        TableName="appeals", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
        Tags=DWP)

    trails = _client(endpoint, "cloudtrail")
    trails.create_trail(Name="data-to-us", S3BucketName="audit-us")
    trails.put_event_selectors(TrailName="data-to-us", AdvancedEventSelectors=[{"Name": "claims", "FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Data"]}, {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
        {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::claims/"]}]}])
    trails.create_trail(Name="data-to-uk", S3BucketName="audit-uk", IsMultiRegionTrail=True)
    trails.put_event_selectors(TrailName="data-to-uk", EventSelectors=[{
        "ReadWriteType": "All", "IncludeManagementEvents": True,
        "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::benefits-uk/"]}]}])

    recorder = {"name": "default", "roleARN": f"arn:aws:iam::{ACCOUNT}:role/config"}
    uk = _client(endpoint, "config")
    uk.put_configuration_recorder(ConfigurationRecorder=recorder)
    uk.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": "audit-uk"})
    _client(endpoint, "config", "us-east-1").put_configuration_aggregator(
        ConfigurationAggregatorName="estate", AccountAggregationSources=[{"AccountIds": [ACCOUNT],
                                                                          "AwsRegions": ["eu-west-1"]}])

    roles = _client(endpoint, "iam")
    roles.create_role(RoleName="partner-india", AssumeRolePolicyDocument=_trust(INDIA))
    read = roles.create_policy(PolicyName="claims-read", PolicyDocument=_policy("s3:GetObject", f"{CLAIMS}/*"))
    roles.attach_role_policy(RoleName="partner-india", PolicyArn=read["Policy"]["Arn"])
    tables = f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/app*"
    roles.put_role_policy(RoleName="partner-india", PolicyName="appeals",
                          PolicyDocument=_policy("dynamodb:GetItem", tables))
    roles.create_role(RoleName="partner-audit", AssumeRolePolicyDocument=_trust(OTHER))
    roles.put_role_policy(RoleName="partner-audit", PolicyName="audit",
                          PolicyDocument=_policy("s3:*", "arn:aws:s3:::audit-*"))
    roles.create_role(RoleName="internal", AssumeRolePolicyDocument=_trust(ACCOUNT))
    roles.put_role_policy(RoleName="internal", PolicyName="all", PolicyDocument=_policy("s3:*", f"{CLAIMS}/*"))

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ENDPOINT_URL", endpoint)
        patch.setenv("AWS_MAX_ATTEMPTS", "1")
        session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                region_name="eu-west-2")
        options = AwsOptions.from_command_line(None, REGIONS, False, False, None, (), (), 4)
        return scan_aws(options, ScanOptions(), session=session)


def _findings(inventory: Inventory, resource: str) -> list[Finding]:
    return [f for f in evaluate(inventory) if f.resource.id == resource and f.rule_id != "OFS-GRD-001"
            and f.outcome.value in ("fail", "unknown") and not moto_metric_stream_gap(f)]


def test_nothing_of_trails_config_or_iam_is_skipped(inventory: Inventory) -> None:
    assert [s for s in inventory.scopes if s.service in MINE and s.status is not ScopeStatus.SCANNED] == []
    assert not [g for g in inventory.coverage if g.incomplete and any(
        m in g.reason for m in ("cloudtrail", "config", "aws_iam", "claims", "benefits-uk", "appeals"))]


def test_a_trail_logging_dwp_data_events_to_a_us_bucket_is_audit_data_leaving(inventory: Inventory) -> None:
    trail = f"arn:aws:cloudtrail:eu-west-2:{ACCOUNT}:trail/data-to-us"
    flows = [f for f in inventory.flows if f.resource_id == CLAIMS and "CloudTrail data events" in f.description]
    assert [(f.target.region, f.target.uk) for f in flows] == [("us-east-1", False)]
    assert trail in flows[0].description and "audit-us" in flows[0].description
    found = [f for f in _findings(inventory, CLAIMS) if f.rule_id == "OFS-DIAG-001"]
    assert found and found[0].outcome.value == "fail"


def test_a_trail_to_a_uk_bucket_is_no_finding(inventory: Inventory) -> None:
    [bucket] = [r for r in inventory.resources if r.id == BENEFITS]
    every = [f for f in inventory.flows if f.resource_id == BENEFITS]
    # moto's metric-stream gap is one flow of the bucket to an unknown place; every other flow stays in the UK.
    assert len([f for f in every if moto_metric_stream_flow(f, bucket)]) == 1
    flows = [f for f in every if not moto_metric_stream_flow(f, bucket)]
    assert flows and all(f.target.uk is True for f in flows)
    assert any("data-to-uk" in f.description for f in flows)
    assert _findings(inventory, BENEFITS) == []


def test_a_config_aggregator_abroad_takes_the_configuration_of_the_regions_it_collects(inventory: Inventory) -> None:
    flows = [f for f in inventory.flows if "AWS Config aggregation" in f.description]
    assert {(f.resource_id, f.target.region) for f in flows} == {(APPEALS, "us-east-1")}
    assert any(f.rule_id == "OFS-DIAG-001" for f in _findings(inventory, APPEALS))
    # The UK channel's delivery is listed and judged UK: no finding on the UK buckets.
    channel = [f for f in inventory.flows if "AWS Config delivery channel" in f.description]
    assert {f.resource_id for f in channel} >= {CLAIMS, BENEFITS} and all(f.target.uk is True for f in channel)


def test_a_role_assumable_from_india_says_which_dwp_resources_it_reaches(inventory: Inventory) -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/partner-india"
    reached = {g.resource_id for g in inventory.grants if g.principal.startswith(f"arn:aws:iam::{INDIA}")
               or g.principal == INDIA}
    assert {role, CLAIMS, APPEALS} <= reached
    other = {g.resource_id for g in inventory.grants if OTHER in g.principal}
    assert other == {f"arn:aws:iam::{ACCOUNT}:role/partner-audit"}  # its policies reach nothing DWP


def test_identity_policies_are_read_only_for_roles_trusted_outside(inventory: Inventory) -> None:
    (scope,) = [s for s in inventory.scopes if s.service == "iam"]
    # ListRoles; ListRoleTags x2; per outside role ListRolePolicies, GetRolePolicy, ListAttachedRolePolicies (x2);
    # GetPolicy and GetPolicyVersion of the one customer managed policy; nothing for the internal role.
    assert scope.calls == 1 + 2 + 2 * 3 + 2
    # AWS managed policies (moto does not load them by default) are never read: they name no account's resources.
    assert iam._aws_managed("arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert not iam._aws_managed(f"arn:aws:iam::{ACCOUNT}:policy/claims-read")


def test_trail_translation_keeps_selectors_in_the_schema_shape() -> None:
    scope = Scope(ACCOUNT, "eu-west-2")
    trail = {"Name": "t", "TrailARN": f"arn:aws:cloudtrail:eu-west-2:{ACCOUNT}:trail/t", "S3BucketName": "b",
             "CloudWatchLogsLogGroupArn": "arn:aws:logs:eu-west-2:1:log-group:g:*", "KmsKeyId": "k",
             "IsMultiRegionTrail": True, "IsOrganizationTrail": True}
    selectors = {"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": [
        {"Type": "AWS::Lambda::Function", "Values": ["arn:aws:lambda"]}]}],
        "AdvancedEventSelectors": [{"Name": "n", "FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Data"]}, {"Field": "resources.ARN", "NotStartsWith": ["x"]}]}]}
    (record,) = cloudtrail.translate_trails(scope, [trail], {trail["TrailARN"]: selectors}, {})
    assert record.type == "aws_cloudtrail" and record.values["kms_key_id"] == "k"
    assert record.values["event_selector"][0]["data_resource"] == [{"type": "AWS::Lambda::Function",
                                                                    "values": ["arn:aws:lambda"]}]
    assert record.values["advanced_event_selector"][0]["field_selector"][1] == {"field": "resources.ARN",
                                                                                "not_starts_with": ["x"]}
    assert any("GetEventSelectors" in step for step in record.provenance["event_selector"])
    denied = Failed("cloudtrail", "GetEventSelectors", ScopeStatus.DENIED, "AccessDenied")
    (unread,) = cloudtrail.translate_trails(scope, [trail], {trail["TrailARN"]: denied}, {})
    assert isinstance(unread.values["event_selector"], Unknown)
    assert cloudtrail.translate_trails(scope, Failed("cloudtrail", "DescribeTrails", ScopeStatus.DENIED, "x"), {},
                                       {}) == []


def test_a_denied_channel_listing_is_an_unknown_destination_never_none() -> None:
    scope = Scope(ACCOUNT, "eu-west-2")
    (channel,) = config.translate_channels(scope, Failed("config", "DescribeDeliveryChannels", ScopeStatus.DENIED,
                                                         "AccessDenied"))
    assert isinstance(channel.values["s3_bucket_name"], Unknown)


def test_a_denied_policy_read_is_an_unknown_document() -> None:
    role = {"RoleName": "r", "Arn": f"arn:aws:iam::{ACCOUNT}:role/r"}
    denied = Failed("iam", "GetRolePolicy", ScopeStatus.DENIED, "AccessDenied")
    answers = iam.RolePolicies(role, ["p"], {"p": denied}, denied)
    records = iam.translate_role_policies(ACCOUNT, answers)
    assert [r.type for r in records] == ["aws_iam_role_policy", "aws_iam_role_policy"]
    assert all(isinstance(r.values["policy"], Unknown) for r in records)


def test_the_same_estate_in_terraform_reads_the_same() -> None:
    """A trail's data event selector and an aggregator, as HCL would give them, are judged by the same meaning."""
    from providers.semantics.records import Placement, Resolved
    from scanner.model import SourceRef

    def record(address: str, kind: str, region: str, values: dict[str, Any]) -> Any:
        from providers.semantics.records import ResourceRecord

        return ResourceRecord(address, kind, values, Placement("aws", Resolved(region, ())),
                              SourceRef("main.tf", 1, address))

    bucket = record("aws_s3_bucket.claims", "aws_s3_bucket", "eu-west-2",
                    {"bucket": "claims", "tags": {"Classification": "OFFICIAL"}})
    audit = record("aws_s3_bucket.audit", "aws_s3_bucket", "us-east-1", {"bucket": "audit"})
    trail = record("aws_cloudtrail.t", "aws_cloudtrail", "eu-west-2", {
        "s3_bucket_name": "audit", "event_selector": [{"data_resource": [
            {"type": "AWS::S3::Object", "values": ["arn:aws:s3:::claims/"]}]}]})
    quiet = record("aws_cloudtrail.q", "aws_cloudtrail", "eu-west-2", {
        "s3_bucket_name": "audit", "event_selector": [{"data_resource": [
            {"type": "AWS::S3::Object", "values": ["arn:aws:s3:::other/"]}]}]})
    result = normalised([bucket, audit, trail, quiet])
    flows = [f for f in result.flows if "CloudTrail data events" in f.description]
    assert [(f.resource_id, f.target.region) for f in flows] == [("aws_s3_bucket.claims", "us-east-1")]
    assert "aws_cloudtrail.t" in flows[0].description


def test_trails_and_config_cost_a_few_calls_per_region(inventory: Inventory) -> None:
    calls = {(s.service, s.region): s.calls for s in inventory.scopes if s.service in ("cloudtrail", "config")}
    # DescribeTrails in each region, GetEventSelectors for each of eu-west-2's two trails (a multi-Region trail is
    # read once, in its home region); DescribeDeliveryChannels and DescribeConfigurationAggregators in each region,
    # DescribeConfigurationRecorders only where a channel delivers.
    assert calls == {("cloudtrail", "eu-west-2"): 3, ("cloudtrail", "eu-west-1"): 1, ("cloudtrail", "us-east-1"): 1,
                     ("config", "eu-west-2"): 3, ("config", "eu-west-1"): 2, ("config", "us-east-1"): 2}
