"""Resources no collector read closely: placed by the region in their ARN, and each DWP one named in the coverage.

The Tagging API (and, in wholly DWP accounts, the listings) find resources that neither a collector nor the
generic reader could read: a kind Cloud Control does not model, a read that was denied. They are still judged
for where they are; what they name is not known, so every DWP one is listed by ARN, one note per type (never
a count with the rest elided), and a DWP resource of a kind the scan has no type for is a gap listing each.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from providers.aws.arns import parse_arn
from providers.aws.records import LOCATED_ONLY, Scope, located_only, located_record
from providers.semantics.records import ResourceRecord, Unknown
from scanner.model import CoverageGap

_LISTED_BY = {"sqs": "sqs:ListQueues", "sns": "sns:ListTopics"}


def tagged_only(account: str, tags: Mapping[str, Mapping[str, str]],
                records: Sequence[ResourceRecord]) -> list[ResourceRecord]:
    """Tagged resources no collector read: placed by the region in their ARN, with their tags.

    They are judged for hosting (DWP ones) or listed as passing (the rest); S3 buckets are left out
    unless read, since their ARNs carry no region and a non-DWP bucket is not worth a call.
    """
    seen = {r.address for r in records}
    extra = []
    for arn, resource_tags in sorted(tags.items()):
        parsed = parse_arn(arn)
        if arn in seen or parsed is None or not parsed.region or parsed.terraform_type is None:
            continue
        extra.append(located_record(Scope(account, parsed.region), arn, parsed.terraform_type, resource_tags,
                                    "tag:GetResources"))
    return extra


def read_failed(scope: Scope, failed: Mapping[str, str], tags: Mapping[str, Mapping[str, str]],
                records: Sequence[ResourceRecord]) -> list[ResourceRecord]:
    """Resources a collector was given whose read failed and that nothing else read (``failed``: ARN -> what
    failed, the services' coverage): placed by their ARNs, saying the read failed, never that no collector reads
    their type."""
    seen = {r.address for r in records}
    extra = []
    for arn, why in sorted(failed.items()):
        parsed = parse_arn(arn)
        if arn in seen or parsed is None or not parsed.region or parsed.terraform_type is None:
            continue
        extra.append(located_record(scope, arn, parsed.terraform_type, tags.get(arn) or {},
                                    f"the {parsed.service} read", Unknown(f"{arn} could not be read: {why}")))
    return extra


def listed_only(account: str, dwp: Iterable[str], records: Sequence[ResourceRecord]) -> list[ResourceRecord]:
    """Untagged resources of a wholly DWP account that no collector read: placed like the tagged ones."""
    seen = {r.address for r in records}
    extra = []
    for arn in sorted(dwp):
        parsed = parse_arn(arn)
        if arn in seen or parsed is None or not parsed.region or parsed.terraform_type is None:
            continue
        extra.append(located_record(Scope(account, parsed.region), arn, parsed.terraform_type, {},
                                    _LISTED_BY.get(parsed.service, f"{parsed.service} listing")))
    return extra


def coverage_notes(account: str, dwp: Iterable[str], records: Sequence[ResourceRecord]) -> list[CoverageGap]:
    """Every DWP resource read only by location, by ARN, one note per region, type and reason (no collector
    reads the type, or the read that would have read it failed); every DWP resource of a kind the scan has no
    type for, by ARN, in one gap per region (where it keeps DWP data is not judged at all)."""
    by_address = {r.address: r for r in records}
    wanted = set(dwp)
    grouped: dict[tuple[str, str, str], list[str]] = {}
    for address, record in sorted(by_address.items()):
        why = located_only(record) if address in wanted else None
        if why is not None:
            failed = _generic(why.removeprefix(LOCATED_ONLY).lstrip("; "), address)
            grouped.setdefault((_region(address), record.type, failed), []).append(address)
    notes = [CoverageGap(f"{account}/{region}", None,
                         f"{len(arns)} DWP {resource_type} resource(s) placed by the region in their ARN only ("
                         f"{f'their read failed: {failed}' if failed else 'no collector reads the type'}), so what "
                         f"they name is not judged: {', '.join(arns)}", kind="note")
             for (region, resource_type, failed), arns in sorted(grouped.items())]
    missing: dict[str, list[str]] = {}
    for arn in sorted(a for a in wanted if a not in by_address and not (a.startswith("arn:aws:s3:::") and "/" in a)):
        missing.setdefault(_region(arn), []).append(arn)
    notes.extend(CoverageGap(f"{account}/{region}", None,
                             f"{len(arns)} DWP resource(s) of kinds offshore-scan does not read live "
                             f"({', '.join(arns)}): where they keep DWP data is not judged", kind="skipped")
                 for region, arns in sorted(missing.items()))
    return notes


def _generic(reason: str, arn: str) -> str:
    """The reason with the resource's own ARN and id left out, so that resources whose reads failed alike (the
    error names each one) share one note, as those no collector reads do; their ARNs are listed after it."""
    identifier = re.split(r"[/:]", arn)[-1]
    reason = reason.replace(arn, "each")
    return reason.replace(identifier, "each") if len(identifier) > 3 else reason


def _region(arn: str) -> str:
    """The region an ARN names; ``global`` for a resource that has none (an IAM role, an S3 bucket)."""
    parsed = parse_arn(arn)
    return parsed.region if parsed is not None and parsed.region else "global"
