"""S3 inventory reports and storage class analysis exports of DWP buckets, GuardDuty publishing destinations and
Security Hub finding aggregators: end to end on a moto server where moto implements the calls, and recorded
answers through botocore's Stubber where it does not.

moto 5.2.6 implements ``ListBucketInventoryConfigurations``, ``ListDetectors`` and ``DescribeHub``; it does not
implement ``ListBucketAnalyticsConfigurations`` (its answer parses as no configuration), GuardDuty publishing
destinations or Security Hub finding aggregators (recorded answers below).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from providers.aws.adapter import scan_aws
from providers.aws.calls import Clients
from providers.aws.collectors import Work, guardduty, securityhub
from providers.aws.collectors.s3 import BucketResponses, translate_bucket
from providers.aws.coverage import Recorder
from providers.aws.follow import wanted_buckets
from providers.aws.options import AwsOptions
from providers.aws.records import Scope
from providers.aws.session import guarded
from providers.interface import ScanOptions
from providers.semantics.normalise import to_inventory
from providers.semantics.records import ResourceRecord, Unknown
from scanner.engine import evaluate
from scanner.model import Finding, Inventory
from tests.helpers import moto_server

ACCOUNT = "123456789012"  # moto's default account
HERE = Scope(ACCOUNT, "eu-west-2")
DWP = {"Classification": "OFFICIAL-SENSITIVE"}
DWP_TAGS = [{"Key": k, "Value": v} for k, v in DWP.items()]
REGIONS = ("eu-west-2", "us-east-1")
METRIC_STREAMS = "metric-stream?streams"  # moto has no metric streams: each DWP region's placeholder stream


def _judged(records: list[ResourceRecord], clients: Clients | None = None) -> tuple[Inventory, set[tuple[str, str]]]:
    inventory = to_inventory(records, ScanOptions(), gaps=clients.recorder.gaps() if clients else ())
    return inventory, {(f.rule_id, f.resource.id) for f in evaluate(inventory)
                       if f.outcome.value in ("fail", "unknown") and f.rule_id != "OFS-GRD-001"}


def _bucket(name: str, region: str, tags: dict[str, str] | None = None, **answers: Any) -> list[ResourceRecord]:
    location = {"LocationConstraint": None if region == "us-east-1" else region}
    return translate_bucket(ACCOUNT, BucketResponses(name, location, settings_read=bool(answers), **answers),
                            tags or {})


def _database(scope: Scope, name: str) -> ResourceRecord:
    from providers.aws.collectors import rds

    arn = f"arn:aws:rds:{scope.region}:{scope.account}:db:{name}"
    [record] = rds.translate_instances(scope, [{"DBInstanceArn": arn, "DBInstanceIdentifier": name}], {arn: DWP})
    return record


def _skipped_or_incomplete(inventory: Inventory) -> list[Any]:
    return [g for g in inventory.coverage if g.incomplete or g.kind == "skipped"]


# --- recorded answers ------------------------------------------------------------------------------


@pytest.fixture
def clients() -> Iterator[Clients]:
    session = guarded(boto3.Session(aws_access_key_id="k", aws_secret_access_key="s", region_name="eu-west-2"))
    yield Clients({ACCOUNT: session}, Recorder())


def _stub(clients: Clients, service: str, region: str = "eu-west-2") -> Stubber:
    stubber = Stubber(clients.get(ACCOUNT, region, service).client)
    stubber.activate()
    return stubber


def _analytics(bucket: str) -> dict[str, Any]:
    return {"AnalyticsConfigurationList": [{"Id": "tiers", "StorageClassAnalysis": {"DataExport": {
        "OutputSchemaVersion": "V_1", "Destination": {"S3BucketDestination": {
            "Format": "CSV", "BucketAccountId": ACCOUNT, "Bucket": f"arn:aws:s3:::{bucket}"}}}}}]}


def test_an_analytics_export_to_a_bucket_abroad_is_data_about_dwp_data_leaving() -> None:
    records = _bucket("claims", "eu-west-2", DWP, analytics=_analytics("analytics-us"), logging={})
    [export] = [r for r in records if r.type == "aws_s3_bucket_analytics_configuration"]
    path = "storage_class_analysis.data_export.destination.s3_bucket_destination"
    assert "S3BucketDestination.Bucket" in " ".join(export.provenance[f"{path}.bucket_arn"])
    assert wanted_buckets(records) == [(ACCOUNT, "analytics-us")]
    _, found = _judged([*records, *_bucket("analytics-us", "us-east-1")])
    assert ("OFS-DIAG-001", "arn:aws:s3:::claims") in found


def test_an_analytics_export_in_the_uk_is_no_finding_and_nothing_is_skipped() -> None:
    records = _bucket("claims", "eu-west-2", DWP, analytics=_analytics("analytics-uk"), logging={})
    inventory, found = _judged([*records, *_bucket("analytics-uk", "eu-west-2")])
    assert found == set()
    assert _skipped_or_incomplete(inventory) == []


def test_unreadable_inventories_and_analytics_are_unknown_never_none(clients: Clients) -> None:
    home = Stubber(clients.get(ACCOUNT, "us-east-1", "s3", scope_region="global").client)
    home.add_response("get_bucket_location", {"LocationConstraint": "eu-west-2"}, {"Bucket": "claims"})
    home.activate()
    regional = _stub(clients, "s3")
    regional.add_response("get_bucket_replication", {"ReplicationConfiguration": {"Role": "r", "Rules": []}},
                          {"Bucket": "claims"})
    regional.add_response("get_bucket_policy", {"Policy": "{}"}, {"Bucket": "claims"})
    regional.add_response("get_bucket_logging", {}, {"Bucket": "claims"})
    regional.add_client_error("list_bucket_inventory_configurations", "AccessDenied", "denied", 403)
    regional.add_client_error("list_bucket_analytics_configurations", "AccessDenied", "denied", 403)
    regional.add_client_error("get_bucket_encryption", "ServerSideEncryptionConfigurationNotFoundError", "none", 404)
    from providers.aws.collectors.s3 import collect_buckets

    records = collect_buckets(clients, ACCOUNT, [("claims", True)], {"arn:aws:s3:::claims": DWP})
    regional.assert_no_pending_responses()
    inventory = next(r for r in records if r.type == "aws_s3_bucket_inventory")
    analytics = next(r for r in records if r.type == "aws_s3_bucket_analytics_configuration")
    assert isinstance(inventory.values["destination"][0]["bucket"][0]["bucket_arn"], Unknown)
    export = analytics.values["storage_class_analysis"][0]["data_export"][0]
    assert isinstance(export["destination"][0]["s3_bucket_destination"][0]["bucket_arn"], Unknown)
    _, found = _judged(records, clients)
    assert any(resource == "arn:aws:s3:::claims" for _, resource in found)


def _destination(bucket: str) -> dict[str, Any]:
    return {"DestinationId": "d1", "DestinationType": "S3", "Status": "PUBLISHING",
            "PublishingFailureStartTimestamp": 0, "DestinationProperties": {
                "DestinationArn": f"arn:aws:s3:::{bucket}/findings",
                "KmsKeyArn": f"arn:aws:kms:eu-west-2:{ACCOUNT}:key/k1"}}


def _guardduty(clients: Clients, bucket: str) -> list[ResourceRecord]:
    stubber = _stub(clients, "guardduty")
    stubber.add_response("list_detectors", {"DetectorIds": ["det1"]})
    stubber.add_response("list_publishing_destinations", {"Destinations": [
        {"DestinationId": "d1", "DestinationType": "S3", "Status": "PUBLISHING"}]}, {"DetectorId": "det1"})
    stubber.add_response("describe_publishing_destination", _destination(bucket),
                         {"DetectorId": "det1", "DestinationId": "d1"})
    records = guardduty.collect(Work(HERE, clients, (), {}))
    stubber.assert_no_pending_responses()
    return records


def test_guardduty_findings_published_to_a_bucket_abroad_leave_with_them(clients: Clients) -> None:
    [destination] = _guardduty(clients, "findings-us")
    assert destination.type == "aws_guardduty_publishing_destination"
    assert destination.values["destination_arn"] == "arn:aws:s3:::findings-us/findings"
    assert "DestinationProperties.DestinationArn" in " ".join(destination.provenance["destination_arn"])
    assert wanted_buckets([destination]) == [(ACCOUNT, "findings-us")]
    database = _database(HERE, "claims")
    _, found = _judged([database, destination, *_bucket("findings-us", "us-east-1")])
    assert ("OFS-DIAG-001", database.address) in found


def test_guardduty_findings_published_in_the_uk_are_no_finding_and_nothing_is_skipped(clients: Clients) -> None:
    [destination] = _guardduty(clients, "findings-uk")
    inventory, found = _judged([_database(HERE, "claims"), destination, *_bucket("findings-uk", "eu-west-2")],
                               clients)
    assert found == set()
    assert _skipped_or_incomplete(inventory) == []


def test_an_unreadable_guardduty_destination_is_unknown_never_none(clients: Clients) -> None:
    stubber = _stub(clients, "guardduty")
    stubber.add_response("list_detectors", {"DetectorIds": ["det1"]})
    stubber.add_client_error("list_publishing_destinations", "AccessDeniedException", "denied", 403)
    [record] = guardduty.collect(Work(HERE, clients, (), {}))
    assert isinstance(record.values["destination_arn"], Unknown)
    database = _database(HERE, "claims")
    _, found = _judged([database, record], clients)
    assert ("OFS-DIAG-001", database.address) in found or ("OFS-UNK-001", database.address) in found


def _aggregator(clients: Clients, region: str, mode: str, regions: list[str]) -> list[ResourceRecord]:
    arn = f"arn:aws:securityhub:{region}:{ACCOUNT}:finding-aggregator/agg1"
    stubber = _stub(clients, "securityhub", region)
    stubber.add_response("describe_hub", {"HubArn": f"arn:aws:securityhub:{region}:{ACCOUNT}:hub/default"})
    stubber.add_response("list_finding_aggregators", {"FindingAggregators": [{"FindingAggregatorArn": arn}]})
    stubber.add_response("get_finding_aggregator", {"FindingAggregatorArn": arn, "FindingAggregationRegion": region,
                                                    "RegionLinkingMode": mode, "Regions": regions},
                         {"FindingAggregatorArn": arn})
    records = securityhub.collect(Work(Scope(ACCOUNT, region), clients, (), {}))
    stubber.assert_no_pending_responses()
    return records


def test_security_hub_aggregating_london_findings_in_virginia_is_findings_leaving(clients: Clients) -> None:
    [aggregator] = _aggregator(clients, "us-east-1", "SPECIFIED_REGIONS", ["eu-west-2"])
    assert (aggregator.type, aggregator.values["linking_mode"], aggregator.values["specified_regions"]) == (
        "aws_securityhub_finding_aggregator", "SPECIFIED_REGIONS", ["eu-west-2"])
    database = _database(HERE, "claims")
    _, found = _judged([database, aggregator])
    assert ("OFS-DIAG-001", database.address) in found


def test_security_hub_aggregating_in_london_or_not_linking_it_is_no_finding(clients: Clients) -> None:
    [london] = _aggregator(clients, "eu-west-2", "ALL_REGIONS", [])
    [elsewhere] = _aggregator(clients, "us-east-1", "ALL_REGIONS_EXCEPT_SPECIFIED", ["eu-west-2"])
    for aggregator in (london, elsewhere):
        inventory, found = _judged([_database(HERE, "claims"), aggregator], clients)
        assert found == set()
        assert _skipped_or_incomplete(inventory) == []


def test_security_hub_not_enabled_reads_no_aggregator_and_an_unreadable_one_is_unknown(clients: Clients) -> None:
    stubber = _stub(clients, "securityhub")
    stubber.add_client_error("describe_hub", "InvalidAccessException", "not subscribed", 401)
    assert securityhub.collect(Work(HERE, clients, (), {})) == []
    stubber.add_response("describe_hub", {"HubArn": f"arn:aws:securityhub:eu-west-2:{ACCOUNT}:hub/default"})
    stubber.add_client_error("list_finding_aggregators", "AccessDeniedException", "denied", 403)
    [record] = securityhub.collect(Work(HERE, clients, (), {}))
    assert isinstance(record.values["linking_mode"], Unknown)
    stubber.add_client_error("describe_hub", "AccessDeniedException", "denied", 403)
    [denied] = securityhub.collect(Work(HERE, clients, (), {}))
    assert isinstance(denied.values["specified_regions"], Unknown)
    assert "DescribeHub" in " ".join(denied.provenance["linking_mode"])
    database = _database(HERE, "claims")
    _, found = _judged([database, record], clients)
    assert any(resource == database.address for _, resource in found)


# --- moto server, end to end -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with moto_server() as url:
        yield url


def _client(endpoint: str, service: str, region: str = "eu-west-2") -> Any:
    return boto3.client(service, region_name=region, endpoint_url=endpoint, aws_access_key_id="testing",
                        aws_secret_access_key="testing")


@pytest.fixture(scope="module")
def scanned(endpoint: str) -> Iterator[Inventory]:
    london, virginia = _client(endpoint, "s3"), _client(endpoint, "s3", "us-east-1")
    virginia.create_bucket(Bucket="inventory-us")
    for name in ("claims-records", "claims-uk", "inventory-uk"):
        london.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    for name, destination in (("claims-records", "inventory-us"), ("claims-uk", "inventory-uk")):
        london.put_bucket_tagging(Bucket=name, Tagging={"TagSet": DWP_TAGS})
        london.put_bucket_inventory_configuration(Bucket=name, Id="daily", InventoryConfiguration={
            "Id": "daily", "IsEnabled": True, "IncludedObjectVersions": "Current", "Schedule": {"Frequency": "Daily"},
            "Destination": {"S3BucketDestination": {"Bucket": f"arn:aws:s3:::{destination}", "Format": "CSV",
                                                    "AccountId": ACCOUNT}}})
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ENDPOINT_URL", endpoint)
        patch.setenv("AWS_MAX_ATTEMPTS", "1")
        session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="eu-west-2")
        options = AwsOptions.from_command_line(None, REGIONS, False, False, None, (), (), 4)
        yield scan_aws(options, ScanOptions(), session=session)


def _findings(inventory: Inventory) -> dict[tuple[str, str], Finding]:
    return {(f.rule_id, f.resource.id): f for f in evaluate(inventory)
            if f.outcome.value in ("fail", "unknown") and f.rule_id != "OFS-GRD-001"
            and METRIC_STREAMS not in (f.declared_by or "")}


@pytest.mark.slow  # a moto scan of two regions
def test_an_inventory_of_a_dwp_bucket_written_abroad_is_its_listing_leaving(scanned: Inventory) -> None:
    inventories = {r.id for r in scanned.resources if r.type == "aws_s3_bucket_inventory"}
    assert inventories == {"arn:aws:s3:::claims-records?inventory=daily", "arn:aws:s3:::claims-uk?inventory=daily"}
    found = _findings(scanned)
    flow = found[("OFS-DIAG-001", "arn:aws:s3:::claims-records")]
    assert (flow.target or flow.location).region == "us-east-1"
    assert "S3 Inventory report" in " ".join(f.description for f in scanned.flows)


@pytest.mark.slow  # a moto scan of two regions
def test_an_inventory_written_in_the_uk_is_no_finding_and_nothing_is_skipped(scanned: Inventory) -> None:
    assert not [key for key in _findings(scanned) if key[1] == "arn:aws:s3:::claims-uk"]
    assert not [g for g in scanned.coverage if g.kind == "skipped"]
    # The one gap is moto's: it has no metric streams (ListMetricStreams is a 500).
    assert [g.reason for g in scanned.coverage if g.incomplete and "ListMetricStreams" not in g.reason] == []
