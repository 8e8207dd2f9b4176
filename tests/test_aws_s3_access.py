"""Ways into DWP data other than its own name, and who holds a DWP bucket's key: S3 access points and their
policies, Multi-Region Access Points, AWS RAM resource shares and S3 default encryption, end to end on a moto
server; the failed and cross-account paths with recorded answers through botocore's Stubber.

moto 5.2.6 implements ``ListAccessPoints``, ``GetAccessPointPolicy``, ``ListMultiRegionAccessPoints`` (answering
``us-east-1`` as every bucket's region: the buckets are located by ``GetBucketLocation``, as on AWS),
``GetResourceShares``, ``GetResourceShareAssociations`` and ``GetBucketEncryption``. Its S3 Control is reached
on its own paths (``/v20180820/...``) with the account in its header: the SDK would put the account id in the
host, which the scan leaves out on an endpoint of one's own, as the builder here does.
It answers no ``BucketAccountId``: cross-account access points are recorded answers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from providers.aws.adapter import scan_aws
from providers.aws.calls import Clients, own_endpoint_host
from providers.aws.collectors import Work, ram, s3control
from providers.aws.collectors.s3 import BucketResponses, translate_bucket
from providers.aws.coverage import Recorder
from providers.aws.follow import wanted_buckets
from providers.aws.options import AwsOptions
from providers.aws.records import Scope
from providers.aws.session import guarded
from providers.interface import ScanOptions
from providers.semantics.normalise import to_inventory
from providers.semantics.records import ResourceRecord, Unknown
from scanner.config import load_config
from scanner.engine import evaluate
from scanner.model import Finding, Inventory
from tests.helpers import moto_server

ACCOUNT = "123456789012"  # moto's default account
OFFSHORE = "444455556666"
HERE = Scope(ACCOUNT, "eu-west-2")
DWP = {"Classification": "OFFICIAL-SENSITIVE"}
DWP_TAGS = [{"Key": k, "Value": v} for k, v in DWP.items()]
REGIONS = ("eu-west-2", "us-east-1")
CONFIG = f'estate:\n  accounts:\n    "{OFFSHORE}": {{owner: "Contractor Ltd (Bangalore)", country: IN}}\n'
METRIC_STREAMS = "metric-stream?streams"  # moto has no metric streams: each DWP region's placeholder stream


@pytest.fixture(scope="module")
def scan_options(tmp_path_factory: pytest.TempPathFactory) -> ScanOptions:
    path = tmp_path_factory.mktemp("s3-access") / "offshore-scan.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    config = load_config(path)
    return ScanOptions(rules=config.rules, estate=config.estate)


def _judged(records: list[ResourceRecord], scan: ScanOptions,
            clients: Clients | None = None) -> tuple[Inventory, set[tuple[str, str]]]:
    inventory = to_inventory(records, scan, gaps=clients.recorder.gaps() if clients else ())
    return inventory, {(f.rule_id, f.resource.id) for f in evaluate(inventory)
                       if f.outcome.value in ("fail", "unknown") and f.rule_id != "OFS-GRD-001"}


def _bucket(name: str, region: str, tags: dict[str, str] | None = None) -> list[ResourceRecord]:
    location = {"LocationConstraint": None if region == "us-east-1" else region}
    return translate_bucket(ACCOUNT, BucketResponses(name, location, settings_read=False), tags or {})


def _policy(principal: str, name: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{principal}:root"}, "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:eu-west-2:{ACCOUNT}:accesspoint/{name}/object/*"}]})


# --- recorded answers ------------------------------------------------------------------------------


@pytest.fixture
def clients() -> Iterator[Clients]:
    session = guarded(boto3.Session(aws_access_key_id="k", aws_secret_access_key="s", region_name="eu-west-2"))
    yield Clients({ACCOUNT: session}, Recorder())


def _stub(clients: Clients, service: str, region: str = "eu-west-2", scope_region: str | None = None) -> Stubber:
    stubber = Stubber(clients.get(ACCOUNT, region, service, scope_region=scope_region).client)
    stubber.activate()
    return stubber


def test_a_cross_account_access_point_on_a_dwp_bucket_lets_its_account_in(clients: Clients,
                                                                         scan_options: ScanOptions) -> None:
    # The access point is the offshore account's own, on the DWP bucket of another scanned account.
    stubber = _stub(clients, "s3control")
    item = {"Name": "mirror", "NetworkOrigin": "Internet", "Bucket": "claims", "BucketAccountId": OFFSHORE,
            "AccessPointArn": f"arn:aws:s3:eu-west-2:{ACCOUNT}:accesspoint/mirror"}
    stubber.add_response("list_access_points", {"AccessPointList": [item], "NextToken": "t1"}, {"AccountId": ACCOUNT})
    stubber.add_response("list_access_points", {"AccessPointList": []}, {"AccountId": ACCOUNT, "NextToken": "t1"})
    stubber.add_client_error("get_access_point_policy", "NoSuchAccessPointPolicy", "none", 404,
                             expected_params={"AccountId": ACCOUNT, "Name": "mirror"})
    [point] = s3control.collect_access_points(Work(HERE, clients, (), {}))
    stubber.assert_no_pending_responses()
    assert (point.type, point.values["bucket_account_id"], point.values["policy"]) == (
        "aws_s3_access_point", OFFSHORE, None)
    # Judged as the Terraform resource is (fixtures/access-aws-s3-access-point-offshore): the access point's
    # account reaches the bucket of the other. In a live scan that account was read, so it is the estate's own.
    offshore = Scope(OFFSHORE, "eu-west-2")
    theirs = s3control.translate_access_point(offshore, {**item, "BucketAccountId": ACCOUNT}, None)
    inventory, found = _judged([*_bucket("claims", "eu-west-2", DWP), theirs], scan_options)
    [grant] = inventory.grants
    assert (grant.resource_id, grant.principal, grant.internal) == ("arn:aws:s3:::claims", OFFSHORE, True)
    assert "cross-account access point" in grant.description
    assert found == set()


def test_unreadable_access_points_are_unknown_principals_never_none(clients: Clients,
                                                                    scan_options: ScanOptions) -> None:
    stubber = _stub(clients, "s3control")
    stubber.add_client_error("list_access_points", "AccessDenied", "denied", 403)
    [point] = s3control.collect_access_points(Work(HERE, clients, ("arn:aws:s3:::claims",), {}))
    assert isinstance(point.values["policy"], Unknown)
    assert "ListAccessPoints" in point.values["policy"].reason
    stubber.add_response("list_access_points", {"AccessPointList": [
        {"Name": "claims-ap", "NetworkOrigin": "Internet", "Bucket": "claims"}]})
    stubber.add_client_error("get_access_point_policy", "AccessDenied", "denied", 403)
    [unread] = s3control.collect_access_points(Work(HERE, clients, ("arn:aws:s3:::claims",), {}))
    assert isinstance(unread.values["policy"], Unknown)
    inventory, found = _judged([*_bucket("claims", "eu-west-2", DWP), point, unread], scan_options, clients)
    assert any(resource == "arn:aws:s3:::claims" for _, resource in found)
    assert {s.service for s in clients.recorder.coverage() if s.status.incomplete} == {"s3control"}
    assert any("ListAccessPoints" in g.reason for g in inventory.coverage)


def test_unreadable_multi_region_access_points_join_the_dwp_buckets_with_unknown_ones(
        clients: Clients, scan_options: ScanOptions) -> None:
    stubber = _stub(clients, "s3control", "us-west-2", scope_region="global")
    stubber.add_client_error("list_multi_region_access_points", "AccessDenied", "denied", 403)
    work = Work(Scope(ACCOUNT, "us-east-1"), clients, ("arn:aws:s3:::claims",), {})
    [mrap] = s3control.collect_multi_region_access_points(work)
    buckets = [r["bucket"] for r in mrap.values["details"][0]["region"]]
    assert buckets[0] == "claims" and isinstance(buckets[1], Unknown)
    _, found = _judged([*_bucket("claims", "eu-west-2", DWP), mrap], scan_options, clients)
    assert any(resource == "arn:aws:s3:::claims" for _, resource in found)
    # Two DWP buckets, one in London and one in Virginia: each is joined with unknown buckets, never with the other
    # (a stand-in joining both connected the London bucket to the Virginia one, which no answer said).
    stubber.add_client_error("list_multi_region_access_points", "AccessDenied", "denied", 403)
    work = Work(Scope(ACCOUNT, "us-east-1"), clients, ("arn:aws:s3:::claims", "arn:aws:s3:::claims-us"), {})
    stand_ins = s3control.collect_multi_region_access_points(work)
    assert sorted(r.values["details"][0]["region"][0]["bucket"] for r in stand_ins) == ["claims", "claims-us"]
    inventory, found = _judged([*_bucket("claims", "eu-west-2", DWP), *_bucket("claims-us", "us-east-1", DWP),
                                *stand_ins], scan_options, clients)
    assert not [f for f in inventory.flows if f.target_id in ("arn:aws:s3:::claims", "arn:aws:s3:::claims-us")
                and f.resource_id != f.target_id], inventory.flows
    assert {resource for _, resource in found} >= {"arn:aws:s3:::claims", "arn:aws:s3:::claims-us"}
    # No DWP bucket, nothing to join.
    stubber.add_client_error("list_multi_region_access_points", "AccessDenied", "denied", 403)
    assert s3control.collect_multi_region_access_points(Work(HERE, clients, (), {})) == []


def test_unreadable_ram_shares_share_the_regions_dwp_resources_with_unknown_principals(
        clients: Clients, scan_options: ScanOptions) -> None:
    subnet = f"arn:aws:ec2:eu-west-2:{ACCOUNT}:subnet/subnet-1"
    stubber = _stub(clients, "ram")
    stubber.add_client_error("get_resource_shares", "AccessDeniedException", "denied", 403)
    records = ram.collect(Work(HERE, clients, (subnet, "arn:aws:s3:::claims"), {}))
    [principal] = [r for r in records if r.type == "aws_ram_principal_association"]
    assert isinstance(principal.values["principal"], Unknown)
    assert [r.values["resource_arn"] for r in records if r.type == "aws_ram_resource_association"] == [subnet]
    share = f"arn:aws:ram:eu-west-2:{ACCOUNT}:resource-share/s1"
    stubber.add_response("get_resource_shares", {"resourceShares": [
        {"resourceShareArn": share, "name": "s", "status": "ACTIVE"}]})
    stubber.add_response("get_resource_share_associations", {"resourceShareAssociations": [
        {"resourceShareArn": share, "associatedEntity": subnet, "associationType": "RESOURCE",
         "status": "ASSOCIATED"}]})
    stubber.add_client_error("get_resource_share_associations", "AccessDeniedException", "denied", 403)
    records = ram.collect(Work(HERE, clients, (subnet,), {}))
    principals = [r.values["principal"] for r in records if r.type == "aws_ram_principal_association"]
    assert len(principals) == 1 and isinstance(principals[0], Unknown)
    assert "GetResourceShareAssociations" in principals[0].reason


def test_unreadable_default_encryption_is_an_unknown_key_never_sse_s3() -> None:
    from providers.aws.calls import Failed
    from scanner.model import ScopeStatus

    failed = Failed("s3", "GetBucketEncryption", ScopeStatus.DENIED, "AccessDenied: denied")
    location = {"LocationConstraint": "eu-west-2"}
    records = translate_bucket(ACCOUNT, BucketResponses("claims", location, encryption=failed), DWP)
    [setting] = [r for r in records if r.type == "aws_s3_bucket_server_side_encryption_configuration"]
    default = setting.values["rule"][0]["apply_server_side_encryption_by_default"][0]
    assert isinstance(default["kms_master_key_id"], Unknown) and isinstance(default["sse_algorithm"], Unknown)
    inventory = to_inventory(records, ScanOptions())
    [bucket] = [r for r in inventory.resources if r.id == "arn:aws:s3:::claims"]
    assert bucket.encryption is not None and bucket.encryption.key_kind is None


# --- moto server, end to end -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with moto_server() as url:
        yield url


def _session() -> boto3.Session:
    return boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="eu-west-2")


def _build(endpoint: str) -> None:
    """DWP buckets in London: ``claims`` (key in us-east-1, an access point letting the offshore account in, an
    MRAP joining it with a bucket in Virginia), ``claims-uk`` (UK key, an access point for its own account);
    a DWP Aurora cluster shared through RAM with the offshore account."""
    session = _session()

    def client(service: str, region: str = "eu-west-2") -> Any:
        made = session.client(service, region_name=region, endpoint_url=endpoint)
        # S3 Control would write the account id into the host (ACCOUNT.127.0.0.1), as the scan knows.
        made.meta.events.register("before-sign", own_endpoint_host(endpoint))
        return made

    s3, control = client("s3"), client("s3control")
    client("s3", "us-east-1").create_bucket(Bucket="mirror-us")
    for name, key_region in (("claims", "us-east-1"), ("claims-uk", "eu-west-2")):
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": DWP_TAGS})
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": [
            {"ApplyServerSideEncryptionByDefault": {
                "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": f"arn:aws:kms:{key_region}:{ACCOUNT}:key/k-{name}"}}]})
    control.create_access_point(AccountId=ACCOUNT, Name="claims-partner", Bucket="claims")
    control.put_access_point_policy(AccountId=ACCOUNT, Name="claims-partner", Policy=_policy(OFFSHORE,
                                                                                             "claims-partner"))
    control.create_access_point(AccountId=ACCOUNT, Name="claims-uk-app", Bucket="claims-uk")
    control.put_access_point_policy(AccountId=ACCOUNT, Name="claims-uk-app", Policy=_policy(ACCOUNT,
                                                                                           "claims-uk-app"))
    client("s3control", "us-west-2").create_multi_region_access_point(
        AccountId=ACCOUNT, ClientToken="claims", Details={"Name": "claims-global", "Regions": [
            {"Bucket": "claims"}, {"Bucket": "mirror-us"}]})
    cluster = client("rds").create_db_cluster(
        DBClusterIdentifier="housing-benefit", Engine="aurora-postgresql", MasterUsername="hb_admin",
        MasterUserPassword="not-a-secret-1", Tags=DWP_TAGS)["DBCluster"]["DBClusterArn"]
    client("ram").create_resource_share(name="housing-benefit-clone", principals=[OFFSHORE], resourceArns=[cluster],
                                        allowExternalPrincipals=True)


@pytest.fixture(scope="module")
def scanned(endpoint: str, scan_options: ScanOptions) -> Iterator[Inventory]:
    _build(endpoint)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ENDPOINT_URL", endpoint)
        patch.setenv("AWS_MAX_ATTEMPTS", "1")
        options = AwsOptions.from_command_line(None, REGIONS, False, False, None, (), (), 4)
        yield scan_aws(options, scan_options, session=_session())


def _findings(inventory: Inventory) -> dict[tuple[str, str], Finding]:
    return {(f.rule_id, f.resource.id): f for f in evaluate(inventory)
            if f.outcome.value in ("fail", "unknown") and f.rule_id != "OFS-GRD-001"
            and METRIC_STREAMS not in (f.declared_by or "")}


@pytest.mark.slow  # a moto scan of two regions
def test_an_access_point_letting_an_offshore_account_in_is_access_to_the_dwp_bucket(scanned: Inventory) -> None:
    points = {r.id: r for r in scanned.resources if r.type == "aws_s3_access_point"}
    assert {i.rsplit("/", 1)[-1] for i in points} == {"claims-partner", "claims-uk-app"}
    grants = {(g.resource_id, g.principal): g for g in scanned.grants}
    assert not grants[("arn:aws:s3:::claims", f"arn:aws:iam::{OFFSHORE}:root")].internal
    assert grants[("arn:aws:s3:::claims-uk", f"arn:aws:iam::{ACCOUNT}:root")].internal
    found = _findings(scanned)
    assert found[("OFS-ACC-001", "arn:aws:s3:::claims")].severity.value == "critical"
    assert not [key for key in found if key[1] == "arn:aws:s3:::claims-uk"]


@pytest.mark.slow  # a moto scan of two regions
def test_an_mrap_joining_a_dwp_bucket_with_one_in_virginia_routes_its_requests_there(scanned: Inventory) -> None:
    mrap = f"arn:aws:s3::{ACCOUNT}:accesspoint/claims-global"
    [flow] = [f for f in evaluate(scanned) if f.rule_id == "OFS-CONN-001" and f.declared_by == mrap]
    assert flow.resource.id == "arn:aws:s3:::claims"
    assert (flow.target or flow.location).region == "us-east-1"
    # Read once for the account, in us-west-2, whatever the regions scanned.
    [listing] = [s for s in scanned.scopes if s.service == "s3control" and s.region == "global"]
    assert listing.calls == 1


@pytest.mark.slow  # a moto scan of two regions
def test_a_dwp_cluster_shared_through_ram_with_an_offshore_account_is_access(scanned: Inventory) -> None:
    cluster = f"arn:aws:rds:eu-west-2:{ACCOUNT}:cluster:housing-benefit"
    finding = _findings(scanned)[("OFS-ACC-001", cluster)]
    assert finding.severity.value == "critical" and "RAM resource share" in finding.message


@pytest.mark.slow  # a moto scan of two regions
def test_live_default_encryption_gives_each_dwp_bucket_its_key_and_nothing_is_skipped(scanned: Inventory) -> None:
    keys = {r.id: r.encryption for r in scanned.resources if r.type == "aws_s3_bucket"}
    abroad, uk = keys["arn:aws:s3:::claims"], keys["arn:aws:s3:::claims-uk"]
    assert abroad is not None and abroad.key_location is not None and abroad.key_location.region == "us-east-1"
    assert uk is not None and uk.key_location is not None and uk.key_location.uk
    assert any("s3:GetBucketEncryption" in step for step in abroad.how)
    assert not [g for g in scanned.coverage if g.kind == "skipped"]
    # The one gap is moto's: it has no metric streams (ListMetricStreams is a 500).
    assert [g.reason for g in scanned.coverage if g.incomplete and "ListMetricStreams" not in g.reason] == []
    assert {s.service for s in scanned.scopes if s.status.incomplete} == {"cloudwatch"}


def test_an_mrap_over_uk_buckets_only_is_no_finding(scan_options: ScanOptions) -> None:
    mrap = s3control.translate_multi_region_access_point(ACCOUNT, {
        "Name": "claims-uk", "Alias": "a1.mrap", "Status": "READY", "Regions": [
            {"Bucket": "claims", "Region": "eu-west-2"}, {"Bucket": "claims-dr", "Region": "eu-west-2"}]})
    assert wanted_buckets([mrap]) == [(ACCOUNT, "claims"), (ACCOUNT, "claims-dr")]
    inventory, found = _judged([*_bucket("claims", "eu-west-2", DWP), *_bucket("claims-dr", "eu-west-2"), mrap],
                               scan_options)
    assert found == set()
    assert [g for g in inventory.coverage if g.incomplete or g.kind == "skipped"] == []
