"""EBS snapshots and AMIs: snapshots of DWP volumes, the copies of snapshots (and of the AMIs they back) made in
this region, and the AMIs built on DWP snapshots, each as the Terraform type that would create it.

Run in every enabled region: copies carry no tag of their source and the Tagging API cannot say what they copy,
so each region lists its own account's copies (one call: ``DescribeSnapshots`` owned by this account whose
description says ``Copied``), then only what the region's DWP volumes and snapshots name. A copy names its
source snapshot by id (``[Copied snap-... from eu-west-2]``, ``Copied for DestinationAmi ... from SourceAmi ...
for SourceSnapshot snap-...``): the shared meaning finds the source wherever it was read, and the copy is DWP as a
copy of it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from providers.aws.arns import parse_arn
from providers.aws.calls import Failed
from providers.aws.collectors import Work
from providers.aws.records import Scope, live_record, tag_map
from providers.semantics.records import ResourceRecord

SERVICE = "ec2"
_BATCH = 200
"""Values per DescribeSnapshots / DescribeImages filter."""
_COPIED = re.compile(r"\[Copied (?P<snapshot>snap-[0-9a-f]+) from (?P<region>[a-z0-9-]+)\]"
                     r"|from SourceAmi (?P<ami>ami-[0-9a-f]+) for SourceSnapshot (?P<ami_snapshot>snap-[0-9a-f]+)")


@dataclass(frozen=True)
class SnapshotResponses:
    """The answers of one region."""

    of_volumes: list[Any] | Failed | None
    """Snapshots of the region's DWP volumes (and the DWP snapshots themselves)."""
    copies: list[Any] | Failed | None
    """The account's snapshots in the region whose description says they are copies."""
    images: list[Any] | Failed | None
    """The account's AMIs in the region whose block devices are DWP snapshots."""


def _ids(work: Work, kind: str) -> list[str]:
    return sorted(p.name for a in work.arns if (p := parse_arn(a)) is not None and p.kind == kind)


def _batched(pages: Any, method: str, key: str, name: str, values: Sequence[str], **params: Any) -> Any:
    found: list[Any] = []
    for start in range(0, len(values), _BATCH):
        page = pages(method, key, Filters=[{"Name": name, "Values": list(values[start:start + _BATCH])}], **params)
        if isinstance(page, Failed):
            return page
        found.extend(page or [])
    return found


def fetch_snapshots(work: Work) -> SnapshotResponses:
    """DescribeSnapshots of the DWP volumes and snapshots here, the copies here, and DescribeImages of the AMIs
    that the snapshots back."""
    ec2 = work.client(SERVICE)
    owner = {"OwnerIds": ["self"]}
    volumes, snapshots = _ids(work, "volume"), _ids(work, "snapshot")
    of_volumes = _batched(ec2.pages, "describe_snapshots", "Snapshots", "volume-id", volumes, **owner) \
        if volumes else None
    tagged = _batched(ec2.pages, "describe_snapshots", "Snapshots", "snapshot-id", snapshots, **owner) \
        if snapshots else None
    if isinstance(of_volumes, list) and isinstance(tagged, list):
        of_volumes = [*of_volumes, *tagged]
    elif of_volumes is None or isinstance(tagged, Failed):
        of_volumes = tagged
    copies = ec2.pages("describe_snapshots", "Snapshots", expect=("SnapshotId",),
                       Filters=[{"Name": "description", "Values": ["*Copied*"]}], **owner)
    backing = sorted({s["SnapshotId"] for found in (of_volumes, copies) if isinstance(found, list) for s in found
                      if s.get("OwnerId", work.scope.account) == work.scope.account} | set(snapshots))
    images = _batched(ec2.pages, "describe_images", "Images", "block-device-mapping.snapshot-id", backing,
                      Owners=["self"]) if backing else None
    return SnapshotResponses(of_volumes, copies, images)


def _arn(scope: Scope, kind: str, identifier: str) -> str:
    return f"arn:aws:ec2:{scope.region}:{scope.account}:{kind}/{identifier}"


def translate_snapshots(scope: Scope, answers: SnapshotResponses,
                        tags: Mapping[str, Mapping[str, str]]) -> list[ResourceRecord]:
    """Snapshots as ``aws_ebs_snapshot`` (``volume_id``), copies as ``aws_ebs_snapshot_copy``
    (``source_snapshot_id``, ``source_region``), AMIs as ``aws_ami`` (``ebs_block_device[].snapshot_id``) or, when
    copied, ``aws_ami_copy`` (``source_ami_id``, ``source_ami_region``). Only this account's own are kept."""
    records: dict[str, ResourceRecord] = {}
    for found in (answers.of_volumes, answers.copies):
        for snapshot in found if isinstance(found, list) else []:
            if snapshot.get("OwnerId", scope.account) != scope.account:
                continue
            record = _snapshot(scope, snapshot, tags)
            records[record.address] = record
    for image in answers.images if isinstance(answers.images, list) else []:
        if image.get("OwnerId", scope.account) != scope.account:
            continue
        arn = _arn(scope, "image", image["ImageId"])
        values: dict[str, Any] = {
            "id": image["ImageId"], "name": image.get("Name"),
            "ebs_block_device": [{"device_name": d.get("DeviceName"), "snapshot_id": d["Ebs"].get("SnapshotId")}
                                 for d in image.get("BlockDeviceMappings") or [] if d.get("Ebs")],
            "tags": dict(tags.get(arn) or tag_map(image.get("Tags")))}
        if image.get("SourceImageId"):
            values.update(source_ami_id=image["SourceImageId"], source_ami_region=image.get("SourceImageRegion"))
            records[arn] = live_record(scope, arn, "aws_ami_copy", values, "ec2:DescribeImages")
        else:
            records[arn] = live_record(scope, arn, "aws_ami", values, "ec2:DescribeImages")
    return list(records.values())


def _snapshot(scope: Scope, snapshot: Mapping[str, Any], tags: Mapping[str, Mapping[str, str]]) -> ResourceRecord:
    arn = _arn(scope, "snapshot", snapshot["SnapshotId"])
    description = snapshot.get("Description") or ""
    values: dict[str, Any] = {"id": snapshot["SnapshotId"], "description": description,
                              "encrypted": snapshot.get("Encrypted"), "kms_key_id": snapshot.get("KmsKeyId"),
                              "tags": dict(tags.get(arn) or tag_map(snapshot.get("Tags")))}
    copied = _COPIED.search(description)
    if copied is None:
        values["volume_id"] = snapshot.get("VolumeId")
        return live_record(scope, arn, "aws_ebs_snapshot", values, "ec2:DescribeSnapshots")
    values["source_snapshot_id"] = copied["snapshot"] or copied["ami_snapshot"]
    values["source_region"] = copied["region"]
    return live_record(scope, arn, "aws_ebs_snapshot_copy", values, "ec2:DescribeSnapshots Description")


def collect(work: Work) -> list[ResourceRecord]:
    """EBS snapshots and AMIs for one (account, region)."""
    return translate_snapshots(work.scope, fetch_snapshots(work), work.tags)
