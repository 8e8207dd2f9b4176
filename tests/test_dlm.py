"""Data Lifecycle Manager policies: what their target tags select, and event-based copies of shared snapshots."""

from __future__ import annotations

from typing import Any

from helpers import normalised

from providers.interface import ScanOptions
from providers.semantics.context import NormaliseContext
from providers.semantics.records import Placement, Resolved, ResourceRecord, Unknown
from scanner.model import SourceRef

DWP = {"Classification": "OFFICIAL"}


def _record(address: str, values: dict[str, Any], region: str = "eu-west-2") -> ResourceRecord:
    resource_type = address.split(".")[-2]
    return ResourceRecord(address=address, type=resource_type, values=values,
                          placement=Placement(key="aws", region=Resolved(region, ("provider aws (main.tf:1)",))),
                          source=SourceRef("main.tf", 10, address))


def _policy(address: str, details: dict[str, Any], region: str = "eu-west-2") -> ResourceRecord:
    return _record(address, {"policy_details": [details]}, region)


def test_target_tags_select_volumes_of_the_region_with_any_tag_and_those_whose_tags_are_not_known() -> None:
    volumes = [
        _record("aws_ebs_volume.a", {"tags": {"Snapshot": "daily", **DWP}}),
        _record("aws_ebs_volume.b", {"tags": {"Team": "claims"}}),
        _record("aws_ebs_volume.c", {"tags": {"Snapshot": "weekly"}}),
        _record("aws_ebs_volume.unknown", {"tags": Unknown("var.tags has no value")}),
        _record("aws_ebs_volume.ireland", {"tags": {"Snapshot": "daily"}}, region="eu-west-1"),
        _record("aws_instance.host", {"tags": {"Snapshot": "daily"}}),
    ]
    policy = _policy("aws_dlm_lifecycle_policy.p", {"resource_types": ["VOLUME"],
                                                     "target_tags": {"Snapshot": "daily", "Team": "claims"}})
    context = NormaliseContext([*volumes, policy], ScanOptions())
    assert [r.address for r in context.dlm_targets(policy)] == [
        "aws_ebs_volume.a", "aws_ebs_volume.b", "aws_ebs_volume.unknown"]


def test_an_event_based_copy_with_no_sharing_policy_scanned_is_judged_as_possibly_dwp() -> None:
    policy = _policy("aws_dlm_lifecycle_policy.copy", {
        "policy_type": "EVENT_BASED_POLICY",
        "action": [{"cross_region_copy": [{"target": "us-east-1"}]}],
        "event_source": [{"parameters": [{"snapshot_owner": ["111122223333"]}]}],
    })
    inventory = normalised([policy])
    (flow,) = [f for f in inventory.flows if f.target.region == "us-east-1"]
    subject = next(r for r in inventory.resources if r.id == flow.resource_id)
    assert subject.type == "unidentified resource" and subject.classification.dwp
    assert not subject.classification.certain
