"""ECR, Lambda and ECS telemetry settings, CloudFront, and transit gateway peering, read live.

One estate is built with moto's ``mock_aws`` (in-process, shared by the module) and scanned whole with
``scan_aws``, so discovery is tested too: Lambda functions and ECS task definitions are found through the
Tagging API, ECR repositories (absent from it, on AWS as on moto) through ``ecr.list_tags_for_resource``,
and the CloudFront distribution because the account holds a DWP bucket. What moto cannot show (a
distribution or transit gateway tagged DWP: moto's Tagging API lists neither CloudFront nor EC2) and what
a failed call leaves are checked on the pure translations with recorded responses. moto has no metric streams:
London's ListMetricStreams fails (``helpers.moto_metric_stream_coverage``) and each DWP resource there has an
unknown finding declared by the region's placeholder stream (``helpers.moto_metric_stream_gap``), left out below.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from providers.aws.adapter import scan_aws
from providers.aws.calls import Failed
from providers.aws.collectors import cloudfront, ec2, ecr, lambda_
from providers.aws.collectors.ec2 import NetworkResponses
from providers.aws.collectors.ecr import RegistryResponses
from providers.aws.options import AwsOptions
from providers.aws.records import Scope
from providers.aws.session import guarded
from providers.interface import ScanOptions
from providers.semantics.normalise import to_inventory
from providers.semantics.records import ResourceRecord
from scanner.engine import evaluate
from scanner.model import Finding, Inventory, ScopeStatus
from tests.helpers import moto_metric_stream_coverage, moto_metric_stream_gap, moto_metric_stream_scope

pytestmark = pytest.mark.slow  # moto end to end: out of the quick loop (-m 'not slow'), in the full suite

ACCOUNT = "123456789012"  # moto's default account
HERE = Scope(ACCOUNT, "eu-west-2")
DWP = {"Classification": "OFFICIAL-SENSITIVE", "Owner": "DWP Claims"}
DWP_LIST = [{"Key": k, "Value": v} for k, v in DWP.items()]
DENIED = Failed("x", "Op", ScopeStatus.DENIED, "AccessDenied: not authorised")


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return None\n")
    return buffer.getvalue()


def _functions(role: str) -> dict[str, str]:
    client = boto3.client("lambda", region_name="eu-west-2")
    settings = {
        "claims-api": ({"DD_SITE": "datadoghq.com", "DD_API_KEY": "not-a-real-key"}, DWP),
        "claims-traces": ({"OTEL_EXPORTER_OTLP_ENDPOINT": "https://api.honeycomb.io"}, DWP),
        "claims-uk": ({"DD_SITE": "datadoghq.eu"}, {}),  # abroad, but not DWP: passes
        "claims-in-london": ({"LOG_LEVEL": "info"}, DWP),  # no telemetry setting at all: passes
    }
    arns = {}
    for name, (variables, tags) in settings.items():
        arns[name] = client.create_function(FunctionName=name, Runtime="python3.11", Role=role, Handler="index.handler",
                                            Code={"ZipFile": _zip()}, Environment={"Variables": variables},
                                            Tags=tags)["FunctionArn"]
    return arns


def _task_definitions() -> dict[str, str]:
    client = boto3.client("ecs", region_name="eu-west-2")
    arns = {}
    for family, region in (("claims-worker", "us-east-1"), ("claims-uk-worker", "eu-west-2")):
        container = {"name": "worker", "image": "claims/worker:1", "memory": 512, "logConfiguration": {
            "logDriver": "awslogs", "options": {"awslogs-group": f"/ecs/{family}", "awslogs-region": region}}}
        arns[family] = client.register_task_definition(
            family=family, containerDefinitions=[container],
            tags=[{"key": k, "value": v} for k, v in DWP.items()])["taskDefinition"]["taskDefinitionArn"]
    return arns


def _distribution(origin: str, reference: str) -> str:
    client = boto3.client("cloudfront", region_name="us-east-1")
    behaviour = {"TargetOriginId": "origin", "ViewerProtocolPolicy": "redirect-to-https", "MinTTL": 0,
                 "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}}}
    config = {"CallerReference": reference, "Comment": reference, "Enabled": True, "DefaultCacheBehavior": behaviour,
              "Origins": {"Quantity": 1, "Items": [{"Id": "origin", "DomainName": origin,
                                                    "S3OriginConfig": {"OriginAccessIdentity": ""}}]}}
    return str(client.create_distribution(DistributionConfig=config)["Distribution"]["ARN"])


def _transit_gateways() -> dict[str, str]:
    london, virginia = boto3.client("ec2", region_name="eu-west-2"), boto3.client("ec2", region_name="us-east-1")
    vpc = london.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": DWP_LIST}])
    vpc_id = vpc["Vpc"]["VpcId"]
    subnet = london.create_subnet(VpcId=vpc_id, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]
    ours = london.create_transit_gateway()["TransitGateway"]["TransitGatewayId"]
    theirs = virginia.create_transit_gateway()["TransitGateway"]["TransitGatewayId"]
    london.create_transit_gateway_vpc_attachment(TransitGatewayId=ours, VpcId=vpc_id, SubnetIds=[subnet])
    london.create_transit_gateway_peering_attachment(TransitGatewayId=ours, PeerTransitGatewayId=theirs,
                                                     PeerAccountId=ACCOUNT, PeerRegion="us-east-1")
    return {"vpc": f"arn:aws:ec2:eu-west-2:{ACCOUNT}:vpc/{vpc_id}", "tgw": ours}


def _build() -> dict[str, str]:
    s3 = boto3.client("s3", region_name="eu-west-2")
    for bucket, tags in (("claims-letters", DWP_LIST), ("public-leaflets", [])):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
        if tags:
            s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags})
    built = {"letters": _distribution("claims-letters.s3.eu-west-2.amazonaws.com", "letters"),
             "leaflets": _distribution("public-leaflets.s3.amazonaws.com", "leaflets")}

    registry = boto3.client("ecr", region_name="eu-west-2")
    built["repository"] = registry.create_repository(repositoryName="claims/api",
                                                     tags=DWP_LIST)["repository"]["repositoryArn"]
    built["tools"] = registry.create_repository(repositoryName="tools/lint")["repository"]["repositoryArn"]
    registry.put_replication_configuration(replicationConfiguration={"rules": [
        {"destinations": [{"region": "us-east-1", "registryId": ACCOUNT}]}]})

    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}]}
    role = boto3.client("iam").create_role(RoleName="claims-lambda", AssumeRolePolicyDocument=json.dumps(trust))
    built.update(_functions(role["Role"]["Arn"]))
    built.update(_task_definitions())
    built.update(_transit_gateways())
    return built


@pytest.fixture(scope="module")
def scanned() -> Iterator[tuple[Inventory, list[Finding], dict[str, str]]]:
    with mock_aws():
        built = _build()
        session = guarded(boto3.Session(region_name="eu-west-2"))
        inventory = scan_aws(AwsOptions(regions=("eu-west-2", "us-east-1")), ScanOptions(), session=session)
        # moto's metric-stream gap is left out here; test_the_scan_is_complete asserts it is all that is left out.
        yield inventory, [f for f in evaluate(inventory) if not moto_metric_stream_gap(f)], built


def _fails(findings: list[Finding]) -> dict[tuple[str, str], str | None]:
    return {(f.rule_id, f.resource.id): (f.target or f.location).region for f in findings
            if f.outcome.value == "fail" and f.rule_id != "OFS-GRD-001"}


Scanned = tuple[Inventory, list[Finding], dict[str, str]]


def test_the_scan_is_complete(scanned: Scanned) -> None:
    # Every assertion of "no finding" below relies on this: nothing went unread.
    # moto answers ListMetricStreams with HTTP 500: London's CloudWatch scope (the only region holding DWP
    # resources) is the one gap, and every other scope was read whole.
    inventory, findings, _ = scanned
    [gap] = [g for g in inventory.coverage if g.incomplete]
    assert moto_metric_stream_coverage(gap, inventory.scopes) and gap.path == f"{ACCOUNT}/eu-west-2", gap
    assert [(s.region, s.service, s.status.value) for s in inventory.scopes if s.status is not ScopeStatus.SCANNED] == [
        moto_metric_stream_scope("eu-west-2")]
    # Without --org no SCP is read: the guardrail question is open (unknown), everything else is answered.
    assert [f.rule_id for f in findings if f.outcome.value == "unknown"] == ["OFS-GRD-001"]
    # What the fixture left out is that gap's findings only: one for each DWP resource of London, none elsewhere.
    gaps = [f for f in evaluate(inventory) if moto_metric_stream_gap(f)]
    assert gaps and all(f.resource.location.region == "eu-west-2" and f.resource.classification.dwp for f in gaps)


def test_ecr_repositories_are_found_by_their_own_tags_and_registry_replication_abroad_is_reported(
        scanned: Scanned) -> None:
    inventory, findings, built = scanned
    assert _fails(findings)[("OFS-REPL-001", built["repository"])] == "us-east-1"
    assert not any(f.resource.id == built["tools"] for f in findings)  # replicated too, but not DWP
    [record] = [r for r in inventory.resources if r.id == built["repository"]]
    assert record.classification.dwp and record.location.region == "eu-west-2"
    ecr_calls = {s.region: s.calls for s in inventory.scopes if s.service == "ecr"}
    assert ecr_calls == {"eu-west-2": 4, "us-east-1": 1}  # repositories, a tag call each, the registry; one list


def test_lambda_telemetry_settings_abroad_are_diagnostics_findings(scanned: Scanned) -> None:
    _, findings, built = scanned
    fails = _fails(findings)
    assert fails[("OFS-DIAG-001", built["claims-api"])] == "datadoghq.com"
    assert fails[("OFS-DIAG-001", built["claims-traces"])] == "api.honeycomb.io"
    for quiet in ("claims-uk", "claims-in-london"):
        assert not any(f.resource.id == built[quiet] for f in findings), quiet
    # The API key is read (it decides nothing here) but never reaches a message.
    assert not any("not-a-real-key" in f.message + " ".join(f.evidence) for f in findings)


def test_ecs_log_drivers_abroad_are_diagnostics_findings(scanned: Scanned) -> None:
    _, findings, built = scanned
    fails = _fails(findings)
    assert fails[("OFS-DIAG-001", built["claims-worker"])] == "us-east-1"
    assert not any(f.resource.id == built["claims-uk-worker"] for f in findings)


def test_an_untagged_distribution_in_front_of_a_dwp_bucket_copies_it_to_the_edge(scanned: Scanned) -> None:
    inventory, findings, built = scanned
    [edge] = [f for f in findings if f.resource.id == "arn:aws:s3:::claims-letters"]
    assert (edge.rule_id, edge.outcome.value, edge.category.value) == ("OFS-REPL-001", "fail", "replication")
    assert built["letters"] in edge.message
    # Neither distribution is DWP itself, and the non-DWP bucket's distribution copies nothing of DWP's.
    assert not any(f.resource.id in (built["letters"], built["leaflets"], "arn:aws:s3:::public-leaflets")
                   for f in findings)
    [bucket] = [r for r in inventory.resources if r.id == "arn:aws:s3:::claims-letters"]
    assert bucket.location.region == "eu-west-2"


def test_a_dwp_vpc_behind_a_transit_gateway_peered_abroad_is_a_network_finding(scanned: Scanned) -> None:
    inventory, findings, built = scanned
    assert _fails(findings)[("OFS-NET-001", built["vpc"])] == "us-east-1"
    # moto also lists the peering under VPC attachments; only real VPC attachments become records.
    types = sorted(r.type for r in inventory.resources if r.type.startswith("aws_ec2_transit_gateway"))
    assert types == ["aws_ec2_transit_gateway", "aws_ec2_transit_gateway", "aws_ec2_transit_gateway_peering_attachment",
                     "aws_ec2_transit_gateway_peering_attachment_accepter", "aws_ec2_transit_gateway_vpc_attachment"]


# --- recorded responses: what moto cannot show, and failed calls ----------------------------------------


def _judged(records: list[ResourceRecord]) -> tuple[Inventory, list[Finding]]:
    inventory = to_inventory(records, ScanOptions())
    return inventory, [f for f in evaluate(inventory) if f.rule_id != "OFS-GRD-001"]


def test_a_distribution_tagged_dwp_is_hosted_at_the_edge() -> None:
    arn = f"arn:aws:cloudfront::{ACCOUNT}:distribution/E2EXAMPLE"
    recorded = [{"Id": "E2EXAMPLE", "ARN": arn, "DomainName": "d111111abcdef8.cloudfront.net", "Enabled": True,
                 "Origins": {"Quantity": 1, "Items": [{"Id": "web", "DomainName": "claims.example.gov.uk"}]}}]
    records = cloudfront.translate_distributions(ACCOUNT, recorded, {arn: DWP})  # tags as the Tagging API gives
    inventory, findings = _judged(records)
    assert inventory.coverage == ()
    assert [(f.rule_id, f.resource.id, f.outcome.value) for f in findings] == [("OFS-HOST-001", arn, "fail")]


def test_a_transit_gateway_tagged_dwp_carries_its_tagging_api_tags() -> None:
    gateway = f"arn:aws:ec2:eu-west-2:{ACCOUNT}:transit-gateway/tgw-0london"
    recorded = [{"TransitGatewayAttachmentId": "tgw-attach-0peer", "State": "available",
                 "RequesterTgwInfo": {"TransitGatewayId": "tgw-0london", "OwnerId": ACCOUNT, "Region": "eu-west-2"},
                 "AccepterTgwInfo": {"TransitGatewayId": "tgw-0dublin", "OwnerId": "444455556666",
                                     "Region": "eu-west-1"}}]
    records = ec2.translate_network(HERE, NetworkResponses([], recorded, [], None), {gateway: DWP})
    inventory, findings = _judged(records)
    assert inventory.coverage == ()
    assert [(f.rule_id, f.resource.id, (f.target or f.location).region) for f in findings] == [
        ("OFS-NET-001", gateway, "eu-west-1")]


def test_an_unreadable_registry_replication_is_unknown_for_its_repositories() -> None:
    repository = f"arn:aws:ecr:eu-west-2:{ACCOUNT}:repository/claims/api"
    answers = RegistryResponses([{"repositoryArn": repository, "repositoryName": "claims/api"}],
                                {repository: {"tags": DWP_LIST}}, DENIED)
    _, findings = _judged(ecr.translate_registry(HERE, answers))
    assert [(f.rule_id, f.resource.id, f.outcome.value) for f in findings] == [
        ("OFS-UNK-001", repository, "unknown")]
    assert "where the registry replicates could not be read" in findings[0].message


def test_unreadable_repository_tags_leave_the_repository_possibly_dwp_never_a_pass() -> None:
    repository = f"arn:aws:ecr:eu-west-2:{ACCOUNT}:repository/claims/api"
    answers = RegistryResponses([{"repositoryArn": repository, "repositoryName": "claims/api"}],
                                {repository: DENIED}, {"replicationConfiguration": {"rules": [
                                    {"destinations": [{"region": "us-east-1", "registryId": ACCOUNT}]}]}})
    _, findings = _judged(ecr.translate_registry(HERE, answers))
    assert [(f.rule_id, f.resource.id, f.outcome.value) for f in findings] == [
        ("OFS-REPL-001", repository, "unknown")]


def test_an_unreadable_function_configuration_is_an_unknown_destination() -> None:
    function = f"arn:aws:lambda:eu-west-2:{ACCOUNT}:function:claims-api"
    _, findings = _judged(lambda_.translate_function(HERE, function, DENIED, DWP))
    assert [(f.rule_id, f.resource.id, f.outcome.value) for f in findings] == [
        ("OFS-UNK-001", function, "unknown")]
