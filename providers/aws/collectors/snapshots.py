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
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from providers.aws.arns import parse_arn
from providers.aws.calls import Clients, Failed, ScopedClient
from providers.aws.collectors import Work
from providers.aws.records import Scope, live_record, tag_map
from providers.semantics.records import ResourceRecord, Unknown

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
        if isinstance(found, Failed):
            marker = _unread_here(scope, found)
            records[marker.address] = marker
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


_UNREAD = "?unread-snapshots"
"""The address ending of a region's mark that its snapshot listing failed (``unread_copies`` replaces it)."""


def _unread_here(scope: Scope, failed: Failed) -> ResourceRecord:
    """The mark of a region whose snapshots could not be listed: what copies it holds of the account's DWP
    snapshots and volumes is unknown. ``unread_copies`` turns it into one unknown copy of each."""
    return live_record(scope, "", "aws_ebs_snapshot_copy",
                       {"source_snapshot_id": None, "failed": failed.unknown(f"snapshots in {scope.region}")},
                       f"ec2:{failed.operation}", address=f"arn:aws:ec2:{scope.region}:{scope.account}:snapshot/"
                       f"{_UNREAD}", stand_in=True)


def unread_copies(account: str, records: Sequence[ResourceRecord], dwp: Iterable[str],
                  everything: bool) -> list[ResourceRecord]:
    """The records, each region's mark of a failed snapshot listing replaced by an unknown copy there of each DWP
    snapshot and volume of the account held elsewhere (the copies a region holds are known only from its own
    listing): one unknown flow per snapshot or volume per region, so each says whose copies are unknown."""
    marks = [r for r in records if r.address.endswith(_UNREAD)]
    if not marks:
        return list(records)
    kept = [r for r in records if not r.address.endswith(_UNREAD)]
    held = [a for a in dwp_snapshots_and_images(kept, dwp, everything) if ":snapshot/" in a]
    held.extend(a for a in dwp if (p := parse_arn(a)) is not None and p.service == "ec2" and p.kind == "volume")
    for mark in sorted({m.address: m for m in marks}.values(), key=lambda m: m.address):
        region = str(mark.placement.region.value)
        failed = mark.values["failed"]
        reason = failed.reason.split(" could not be read: ", 1)[-1]
        for arn in sorted(set(held)):
            parsed = parse_arn(arn)
            if parsed is None or parsed.account != account or parsed.region == region:
                continue
            where = Unknown(f"copies of {parsed.name} in {region} could not be read ({reason})")
            kept.append(live_record(Scope(account, region), "", "aws_ebs_snapshot_copy",
                                    {"source_snapshot_id": parsed.name, "source_region": parsed.region},
                                    "ec2:DescribeSnapshots", address=f"{arn}?copies-in={region}", region=where,
                                    how=(where.reason,), stand_in=True))
    return kept


def collect(work: Work) -> list[ResourceRecord]:
    """EBS snapshots and AMIs for one (account, region)."""
    return translate_snapshots(work.scope, fetch_snapshots(work), work.tags)


# --- copies made in regions the scan does not read ------------------------------------------------------


def copies_elsewhere(clients: Clients, account: str, regions: Sequence[str], records: Sequence[ResourceRecord],
                     tags: Mapping[str, Mapping[str, str]]) -> list[ResourceRecord]:
    """Copies, in the enabled ``regions`` outside ``--region``, of the snapshots and AMIs the scanned regions read.

    A copy lives in the region it was copied to and names its source only by id, so a scan narrowed by
    ``--region`` would never see a copy of a UK snapshot made abroad. As the secrets' and keys' replicas are
    found from the UK side, each of these regions is asked once for the account's copies (``DescribeSnapshots``
    owned by the account whose description says ``Copied``): only the copies of what was read (and copies of
    those copies) are kept, then ``DescribeImages`` of the AMIs those copies back, in that region only.
    """
    if not regions:
        return []
    known = {r.values.get("id") for r in records if r.type in _SNAPSHOT_TYPES | _IMAGE_TYPES}
    with ThreadPoolExecutor(max_workers=min(8, len(regions))) as pool:
        listed = dict(zip(regions, pool.map(lambda region: _copies(clients, account, region), regions), strict=True))
    found = {region: [_snapshot(Scope(account, region), s, tags) for s in answer
                      if s.get("OwnerId", account) == account]
             for region, answer in listed.items() if isinstance(answer, list)}
    unread = [_unread_here(Scope(account, region), answer) for region, answer in sorted(listed.items())
              if isinstance(answer, Failed)]
    kept: dict[str, list[ResourceRecord]] = {}
    grew = True
    while grew:  # a copy of a copy: the first copy's id is known only once it is kept
        grew = False
        for region, copies in found.items():
            for record in copies:
                if record.values.get("source_snapshot_id") in known and record.values["id"] not in known:
                    known.add(record.values["id"])
                    kept.setdefault(region, []).append(record)
                    grew = True
    result = [*unread, *(r for copies in kept.values() for r in copies)]
    for region, copies in sorted(kept.items()):
        ec2 = clients.get(account, region, SERVICE)
        images = _batched(ec2.pages, "describe_images", "Images", "block-device-mapping.snapshot-id",
                          sorted(r.values["id"] for r in copies), Owners=["self"])
        answers = SnapshotResponses(None, None, images)
        result.extend(translate_snapshots(Scope(account, region), answers, tags))
    return result


def _copies(clients: Clients, account: str, region: str) -> list[Any] | Failed | None:
    return clients.get(account, region, SERVICE).pages(
        "describe_snapshots", "Snapshots", expect=("SnapshotId",), OwnerIds=["self"],
        Filters=[{"Name": "description", "Values": ["*Copied*"]}])


# --- who a DWP snapshot or AMI is shared with ----------------------------------------------------------


_SNAPSHOT_TYPES = frozenset({"aws_ebs_snapshot", "aws_ebs_snapshot_copy"})
_IMAGE_TYPES = frozenset({"aws_ami", "aws_ami_copy"})


def dwp_snapshots_and_images(records: Sequence[ResourceRecord], dwp: Iterable[str],
                             everything: bool) -> list[str]:
    """ARNs of the snapshots and AMIs that hold DWP data: DWP themselves (tags, a wholly DWP account), or made
    from a DWP volume, snapshot or AMI, however many copies away (the chain ``copies.yaml`` follows)."""
    wanted = set(dwp)
    # An unknown copy (``ARN?copies-in=REGION``) is no snapshot of its own to ask about.
    read = [r for r in records if r.type in _SNAPSHOT_TYPES | _IMAGE_TYPES and "?" not in r.address]
    held = {r.address for r in read if everything or r.address in wanted}
    held.update(a for a in wanted if (p := parse_arn(a)) is not None and p.service == "ec2"
                and p.kind in ("snapshot", "image"))
    volumes = {p.name for a in wanted if (p := parse_arn(a)) is not None and p.kind == "volume"}
    grew = True
    while grew:
        ids = {a.rsplit("/", 1)[-1] for a in held} | volumes
        grew = False
        for record in read:
            sources = [record.values.get("volume_id"), record.values.get("source_snapshot_id"),
                       record.values.get("source_ami_id"),
                       *(d.get("snapshot_id") for d in record.values.get("ebs_block_device") or [])]
            if record.address not in held and any(s in ids for s in sources if isinstance(s, str)):
                held.add(record.address)
                grew = True
    return sorted(held)


@dataclass(frozen=True)
class ShareResponses:
    """``DescribeSnapshotAttribute createVolumePermission`` and ``DescribeImageAttribute launchPermission``
    answers, by the snapshot's or AMI's ARN."""

    snapshots: Mapping[str, Any]
    images: Mapping[str, Any]


def fetch_shares(client: ScopedClient, arns: Sequence[str]) -> ShareResponses:
    """One attribute read per DWP snapshot or AMI of one region."""
    snapshots, images = {}, {}
    for arn in arns:
        name = arn.rsplit("/", 1)[-1]
        if ":snapshot/" in arn:
            snapshots[arn] = client.call("describe_snapshot_attribute", Attribute="createVolumePermission",
                                         SnapshotId=name)
        else:
            images[arn] = client.call("describe_image_attribute", Attribute="launchPermission", ImageId=name)
    return ShareResponses(snapshots, images)


def translate_shares(scope: Scope, answers: ShareResponses) -> list[ResourceRecord]:
    """Each account (or the group ``all``: every AWS account) a snapshot is shared with as an
    ``aws_snapshot_create_volume_permission``, each an AMI may be launched by as an ``aws_ami_launch_permission``
    (``account_id``, ``group``, ``organization_arn``, ``organizational_unit_arn``); a read that failed is one
    permission whose principal is unknown."""
    records = []
    for kinds, subject, resource_type, call, key in (
            (answers.snapshots, "snapshot_id", "aws_snapshot_create_volume_permission",
             "ec2:DescribeSnapshotAttribute", "CreateVolumePermissions"),
            (answers.images, "image_id", "aws_ami_launch_permission", "ec2:DescribeImageAttribute",
             "LaunchPermissions")):
        for arn, answer in kinds.items():
            name = arn.rsplit("/", 1)[-1]
            if isinstance(answer, Failed):
                values = {subject: name, "account_id": answer.unknown(f"who {arn} is shared with")}
                records.append(live_record(scope, "", resource_type, values, call, address=f"{arn}?shared"))
                continue
            for grant in (answer or {}).get(key) or []:
                who = {_SHARE_KEYS[k]: v for k, v in grant.items() if k in _SHARE_KEYS and v}
                if not who:
                    continue
                values = {subject: name, **who}  # the group "all" is every AWS account (access.yaml's public)
                shown = "&".join(f"{k}={v}" for k, v in sorted(who.items()))
                records.append(live_record(scope, "", resource_type, values, call, address=f"{arn}?{shown}",
                                           fields={k: f"{key}[].{f}" for f, k in _SHARE_KEYS.items() if k in who}))
    return records


_SHARE_KEYS = {"UserId": "account_id", "Group": "group", "OrganizationArn": "organization_arn",
               "OrganizationalUnitArn": "organizational_unit_arn"}


def collect_shares(clients: Clients, account: str, records: Sequence[ResourceRecord], dwp: Iterable[str],
                   everything: bool) -> list[ResourceRecord]:
    """Who each DWP snapshot and AMI of the account is shared with, region by region: one call each, so the
    cost grows with DWP snapshots and AMIs, never with the account's others."""
    by_region: dict[str, list[str]] = {}
    for arn in dwp_snapshots_and_images(records, dwp, everything):
        parsed = parse_arn(arn)
        if parsed is not None and parsed.account == account and parsed.region:
            by_region.setdefault(parsed.region, []).append(arn)
    found = []
    for region, arns in sorted(by_region.items()):
        found.extend(translate_shares(Scope(account, region),
                                      fetch_shares(clients.get(account, region, SERVICE), arns)))
    return found
