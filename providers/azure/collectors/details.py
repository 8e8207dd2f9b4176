"""Resources whose listing lacks what places their copies: read by id (``GET {id}``), the ARM JSON
translated as it is (Cosmos DB ``properties.locations``, a Recovery Services vault's
``properties.redundancySettings``)."""

from __future__ import annotations

from providers.azure.collectors import API_VERSIONS, Work
from providers.azure.ids import provider_of
from providers.azure.records import arm_record, with_values
from providers.live.failed import Failed
from providers.semantics.records import ResourceRecord
from providers.semantics.resource_map import resource_map


def collect_by_id(work: Work) -> list[ResourceRecord]:
    """The resource as ``GET {id}`` answers; the listing's record (with the failure as coverage) when it fails."""
    answer = read_by_id(work)
    if isinstance(answer, Failed):
        return [unread_settings(arm_record(work.subscription, work.listed, "resources.list"), answer)]
    if not isinstance(answer, dict):
        return [arm_record(work.subscription, work.listed, "resources.list")]
    return [arm_record(work.subscription, {**work.listed, **answer}, f"GET {work.listed['type']}")]


def unread_settings(record: ResourceRecord, failed: Failed) -> ResourceRecord:
    """The record with every setting that says where its data goes (the resource map's flow paths) unknown,
    because the call that holds them failed: a denied read is never "no replica"."""
    spec = resource_map().get(record.type)
    names = {flow.path.split(".", 1)[0] for flow in spec.flows} if spec is not None else set()
    unknown = {name: failed.unknown(f"{name} of {record.address}") for name in sorted(names)
               if name not in record.values}
    return with_values(record, unknown, f"{failed.service}:{failed.operation}") if unknown else record


def read_by_id(work: Work) -> dict | Failed | None:
    """``GET {id}`` of the work's resource, at its type's api-version; the listing itself when Resource Graph
    gave it whole (with ``properties``)."""
    if isinstance(work.listed.get("properties"), dict):
        return dict(work.listed)
    version = API_VERSIONS[str(work.listed["type"]).lower()]
    return work.calls.get(work.subscription, provider_of(work.id), work.id, version)
