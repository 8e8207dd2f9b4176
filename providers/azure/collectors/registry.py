"""Container registries: geo-replications (each a full copy of every image in another region)."""

from __future__ import annotations

from typing import Any

from providers.azure.collectors import API_VERSIONS, Work
from providers.azure.records import arm_record, with_values
from providers.live.failed import Failed
from providers.semantics.records import ResourceRecord

_PROVIDER = "Microsoft.ContainerRegistry"
_VERSION = API_VERSIONS["microsoft.containerregistry/registries"]


def collect_registry(work: Work) -> list[ResourceRecord]:
    """The registry and its replications."""
    replications = work.calls.listing(work.subscription, _PROVIDER, f"{work.id}/replications", _VERSION)
    return transform_registry(work.subscription, work.listed, replications)


def transform_registry(subscription: str, listed: Any, replications: Any) -> list[ResourceRecord]:
    """The registry's record with ``georeplications`` (the schema's block) from its replications; the
    replication in the registry's own region is the registry itself. A listing that failed is unknown."""
    record = arm_record(subscription, listed, "resources.list")
    if isinstance(replications, Failed):
        return [with_values(record, {"georeplications": [{"location": replications.unknown("the geo-replications")}]},
                            "GET replications")]
    own = "".join(str(listed.get("location", "")).split()).lower()
    copies = [{"location": r["location"]} for r in replications or []
              if isinstance(r.get("location"), str) and "".join(r["location"].split()).lower() != own]
    return [with_values(record, {"georeplications": copies}, "GET replications")] if copies else [record]
