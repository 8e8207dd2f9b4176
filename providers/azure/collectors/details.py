"""Resources whose listing lacks what places their copies: read by id (``GET {id}``), the ARM JSON
translated as it is (Cosmos DB ``properties.locations``, a Recovery Services vault's
``properties.redundancySettings``)."""

from __future__ import annotations

from providers.azure.collectors import API_VERSIONS, Work
from providers.azure.ids import provider_of
from providers.azure.records import arm_record
from providers.live.failed import Failed
from providers.semantics.records import ResourceRecord


def collect_by_id(work: Work) -> list[ResourceRecord]:
    """The resource as ``GET {id}`` answers; the listing's record (with the failure as coverage) when it fails."""
    answer = read_by_id(work)
    if not isinstance(answer, dict):
        return [arm_record(work.subscription, work.listed, "resources.list")]
    return [arm_record(work.subscription, {**work.listed, **answer}, f"GET {work.listed['type']}")]


def read_by_id(work: Work) -> dict | Failed | None:
    """``GET {id}`` of the work's resource, at its type's api-version."""
    version = API_VERSIONS[str(work.listed["type"]).lower()]
    return work.calls.get(work.subscription, provider_of(work.id), work.id, version)
