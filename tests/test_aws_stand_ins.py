"""Stand-ins: the records the live collectors build for what a failed read would have shown (the region's
workgroups when ListWorkGroups fails, a database's read replicas when DescribeDBInstances fails). Recorded
answers, no network.

A stand-in carries its unknowns to the DWP resources they concern, but it is no resource of its own: it is never
judged for hosting or location, holds no data, and is never the subject of another setting's flows (a Config
delivery channel, a metric stream). An address built for one is plain text, never an ``Unknown``'s repr.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from providers.aws.calls import Failed
from providers.aws.collectors import athena, cloudwatch, config, ram, rds, s3control
from providers.aws.collectors.s3 import BucketResponses, translate_bucket
from providers.aws.records import Scope, live_record
from providers.interface import ScanOptions
from providers.semantics.normalise import to_inventory
from providers.semantics.records import ResourceRecord, Unknown
from scanner.engine import evaluate
from scanner.model import Finding, ScopeStatus

ACCOUNT = "123456789012"
CAPE_TOWN = Scope(ACCOUNT, "af-south-1")
LONDON = Scope(ACCOUNT, "eu-west-2")
WHOLLY_DWP = ScanOptions(rules=replace(ScanOptions().rules, scope_all=True))


def _denied(service: str, operation: str) -> Failed:
    return Failed(service, operation, ScopeStatus.DENIED, "AccessDenied")


def _findings(records: list[ResourceRecord]) -> list[Finding]:
    return [f for f in evaluate(to_inventory(records, WHOLLY_DWP)) if f.outcome.value in ("fail", "unknown")]


def _database(scope: Scope, name: str) -> ResourceRecord:
    arn = f"arn:aws:rds:{scope.region}:{ACCOUNT}:db:{name}"
    return live_record(scope, arn, "aws_db_instance", {"identifier": name, "tags": {}}, "rds:DescribeDBInstances")


def test_a_failed_listing_is_no_resource_hosted_abroad() -> None:
    """In a wholly DWP account, Cape Town's workgroups and metric streams could not be listed: their results and
    metrics may go anywhere (unknown), but the stand-ins are not DWP resources hosted in South Africa."""
    records = [*athena.translate_workgroups(CAPE_TOWN, athena.WorkGroupAnswers(
                   _denied("athena", "ListWorkGroups"), {}), {}),
               *cloudwatch.translate_streams(CAPE_TOWN, cloudwatch.StreamAnswers(
                   _denied("cloudwatch", "ListMetricStreams"), {}))]
    assert all(r.stand_in for r in records)
    found = _findings(records)
    assert not [f for f in found if f.rule_id == "OFS-HOST-001"], [f.message for f in found]
    assert not [f for f in found if "location not established" in f.message]
    # The workgroups' unknown result location is still said.
    assert any("could not be established" in f.message and "workgroup?workgroups" in f.message for f in found)


def test_a_failed_read_is_never_the_subject_of_another_settings_flows() -> None:
    """The read replicas of a database whose description failed are a stand-in in an unknown region: the replica
    flow is an unknown on the database, but the stand-in gets no "location not established" of its own, and the
    region's Config channel (whose bucket is unknown too) carries the database's configuration, not the stand-in's."""
    database = f"arn:aws:rds:eu-west-2:{ACCOUNT}:db:claims"
    records = [*rds.unread(LONDON, _denied("rds", "DescribeDBInstances"), [database], {}),
               *config.translate_channels(LONDON, _denied("config", "DescribeDeliveryChannels"))]
    stand_ins = {r.address for r in records if r.stand_in}
    assert f"{database}?replicas" in stand_ins
    found = _findings(records)
    assert not [f for f in found if f.resource.id in stand_ins and f.declared_by not in stand_ins], \
        [(f.resource.id, f.declared_by, f.message) for f in found if f.resource.id in stand_ins]
    assert any(f.resource.id == database and f.declared_by == f"{database}?replicas" for f in found)
    assert any(f.resource.id == database and "config" in (f.declared_by or "") for f in found)
    assert not to_inventory(records, WHOLLY_DWP).resource(f"{database}?replicas").holds_data


def test_a_failed_ram_read_names_its_stand_ins_in_words() -> None:
    bucket_table = f"arn:aws:dynamodb:eu-west-2:{ACCOUNT}:table/claims"
    records = [live_record(LONDON, bucket_table, "aws_dynamodb_table", {"name": "claims", "tags": {}},
                           "dynamodb:DescribeTable"),
               *ram._unknown_share(LONDON, (bucket_table,), _denied("ram", "GetResourceShares"))]
    assert not [r.address for r in records if "Unknown(" in r.address]
    [grant] = [f for f in _findings(records) if f.rule_id == "OFS-ACC-001"]
    assert "Unknown(" not in f"{grant.message} {grant.declared_by} {grant.location.provenance}"
    assert grant.message.startswith(f"who can reach {bucket_table} could not be read"), grant.message


def test_an_address_is_never_an_unknowns_repr() -> None:
    with pytest.raises(ValueError, match="plain text"):
        live_record(LONDON, "", "aws_ram_principal_association", {}, "ram:GetResourceShareAssociations",
                    address=f"share?principal={Unknown('who')}")


def test_a_multi_region_access_point_holds_no_data_and_routes_to_where_its_buckets_are() -> None:
    """An MRAP (placed "global") is configuration, not a DWP data store abroad; the buckets it joins are where their
    own GetBucketLocation says, whatever Region the MRAP answer gives them."""
    mrap = s3control.translate_multi_region_access_point(ACCOUNT, {
        "Name": "claims-global", "Alias": "a1.mrap", "Status": "READY", "Regions": [
            {"Bucket": "claims", "Region": "us-east-1"}, {"Bucket": "claims-dr", "Region": "us-east-1"}]})
    buckets = [record for name in ("claims", "claims-dr") for record in translate_bucket(
        ACCOUNT, BucketResponses(name, {"LocationConstraint": "eu-west-2"}, settings_read=False),
        {"Classification": "OFFICIAL"})]
    inventory = to_inventory([*buckets, mrap], WHOLLY_DWP)
    assert not inventory.resource(mrap.address).holds_data
    found = _findings([*buckets, mrap])
    assert not [f for f in found if f.resource.id == mrap.address], [f.message for f in found]
    assert not [f for f in found if f.declared_by == mrap.address], [f.message for f in found]


def test_the_region_guardrail_counts_the_estates_resources_never_its_stand_ins() -> None:
    """OFS-GRD-001 says how many DWP resources nothing stops being created abroad: the database, not the stand-in
    for its unread replicas."""
    database = f"arn:aws:rds:eu-west-2:{ACCOUNT}:db:claims"
    records = rds.unread(LONDON, _denied("rds", "DescribeDBInstances"), [database], {})
    assert any(r.stand_in for r in records)
    [guardrail] = [f for f in _findings(records) if f.rule_id == "OFS-GRD-001"]
    assert guardrail.resource.classification.reason == "1 DWP resource(s) deployed to aws", guardrail.message
