"""Building live records: addressed by ARN, placed by account and region, the API call as provenance."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from providers.semantics.records import Placement, Resolved, ResourceRecord, Unknown
from scanner.model import SourceRef


@dataclass(frozen=True)
class Scope:
    """Where a response was read: an account and a region."""

    account: str
    """The 12-digit account id."""
    region: str
    """The region the call was made in (for S3, the bucket's own region)."""

    @property
    def path(self) -> str:
        """``account/region``: the ``SourceRef.path`` of live records."""
        return f"{self.account}/{self.region}"

    def placement(self, region: Any = None, how: tuple[str, ...] = ()) -> Placement:
        """The record's placement: this scope's region, or ``region`` (possibly ``Unknown``) with how it was found."""
        value = self.region if region is None else region
        steps = how or (f"account {self.account} region {self.region}",)
        return Placement(f"aws {self.account} {self.region}", Resolved(value, steps), account=self.account)


def live_record(scope: Scope, arn: str, resource_type: str, values: Mapping[str, Any], call: str,
                address: str | None = None, region: Any = None, how: tuple[str, ...] = (),
                fields: Mapping[str, str] | None = None, asked: Scope | None = None,
                stand_in: bool = False) -> ResourceRecord:
    """A record as the shared meaning expects it from a live source.

    ``arn`` names the resource: its address and its ``arn`` attribute. A setting of another resource (a
    bucket's replication configuration) has no ARN of its own: it gets ``address`` (``ARN?replication``)
    and no ``arn``, so it never answers for the resource it configures. ``call`` is the API operation
    the values came from (``s3:GetBucketReplication``); ``fields`` names, per attribute path (``peer_region``,
    ``replica.region``), the response field that gave it (``AccepterVpcInfo.Region``), so a finding's ``how``
    cites the call and field as a static finding cites the file and line. ``how`` says where the placement
    came from; by default, the call made in the record's account and region. ``asked`` is where the call was
    made when that is not where the resource is (a replica another region's answer names). ``stand_in`` marks a
    record built for what a failed read would have shown (``ResourceRecord.stand_in``); its address is plain
    text, never the repr of an ``Unknown``.
    """
    if address is not None and "Unknown(" in address:
        raise ValueError(f"an address is built from plain text, never an unknown's repr: {address}")
    where = address or arn
    merged = {"arn": arn, **values} if address is None else dict(values)
    made = asked or scope
    said = f"{call} (account {made.account}, region {made.region})"
    named = dict(fields or {})
    # The first step of a top-level attribute names the attribute (``setting()`` shows it as the attribute
    # itself); the second is the answer that gave the value. A nested path's steps are the answer alone.
    provenance: dict[str, tuple[str, ...]] = {
        key: (f"{key} from {said}", _answer(call, named.get(key), made)) for key in merged}
    provenance.update({path: (_answer(call, field, made),) for path, field in named.items() if path not in merged})
    return ResourceRecord(
        address=where,
        type=resource_type,
        values=merged,
        placement=scope.placement(region, how or (f"read by {said}",)),
        source=SourceRef(scope.path, None, where),
        provenance=provenance,
        stand_in=stand_in,
    )


def _answer(call: str, field: str | None, scope: Scope) -> str:
    """A provenance step: the API answer (and its field) that gave a value."""
    return f"{call}{f' {field}' if field else ''} (account {scope.account}, region {scope.region})"


LOCATED_ONLY = "placed by the region in its ARN only"
"""The provenance mark of a record no call read closely: where it is, and nothing it names, is known."""


def located_record(scope: Scope, arn: str, resource_type: str, tags: Mapping[str, Any], call: str,
                   why: Any = None) -> ResourceRecord:
    """A resource known only by its ARN (and tags): placed by the ARN's region, named by its last segment.

    ``why`` (an ``Unknown``) says why no closer read was possible; it stays in the provenance, and the
    adapter lists every such resource by name in the coverage notes."""
    from providers.aws.arns import parse_arn

    parsed = parse_arn(arn)
    name = parsed.name if parsed is not None else arn
    values = {"id": name, "name": name.rsplit("/", 1)[-1], "tags": dict(tags)}
    where = f"account {scope.account}, region {scope.region}"
    # Never "read by" a call that failed: the record says it is placed by its ARN, and which read failed.
    how = f"{LOCATED_ONLY} ({call} failed: {why.reason}; {where})" if isinstance(why, Unknown) else \
        f"{LOCATED_ONLY} (listed by {call}; {where})"
    record = live_record(scope, arn, resource_type, values, call if why is None else f"the ARN ({call} failed)",
                         how=(how,))
    reason = f"; {call} failed: {why.reason}" if isinstance(why, Unknown) else ""
    provenance = {**record.provenance, "arn": (*record.provenance["arn"], f"{LOCATED_ONLY}{reason}")}
    return replace(record, provenance=provenance)


def located_only(record: ResourceRecord) -> str | None:
    """Why ``record`` is known only by its ARN (``LOCATED_ONLY`` and the reason), or None when it was read."""
    return next((step for step in record.provenance.get("arn", ()) if step.startswith(LOCATED_ONLY)), None)


def tag_map(tags: Any, key: str = "Key", value: str = "Value") -> dict[str, str]:
    """AWS tag lists (``[{"Key": k, "Value": v}]``) or maps as the schema's ``tags`` map."""
    if isinstance(tags, Mapping):
        return {str(k): str(v) for k, v in tags.items()}
    if isinstance(tags, Iterable) and not isinstance(tags, str):
        return {str(t[key]): str(t.get(value, "")) for t in tags if isinstance(t, Mapping) and key in t}
    return {}


def unknown_or(value: Any, failed: Any, what: str) -> Any:
    """``value``, or an ``Unknown`` saying why a failed call leaves it unknown."""
    from providers.aws.calls import Failed

    return failed.unknown(what) if isinstance(failed, Failed) else value


def is_unknown(value: Any) -> bool:
    """Whether a value is unknown (never truth-tested: ``Unknown`` refuses that)."""
    return isinstance(value, Unknown)
