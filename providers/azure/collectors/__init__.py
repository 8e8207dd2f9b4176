"""The registry of collectors: which ARM types of DWP resources are read closely, and how.

A collector gets one DWP resource as the listing gave it and returns its records: the resource read
closely (with ``properties``), and the settings and children that reveal flows (replicas, failover
partners, peerings). A DWP resource of a type with no collector keeps its listing record: placed by its
location, judged for hosting. Every DWP resource also has its diagnostic settings read
(``diagnostics.py``), whatever its type.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from providers.azure.calls import Calls
from providers.semantics.records import ResourceRecord

if TYPE_CHECKING:
    from providers.azure.api_versions import ApiVersions

API_VERSIONS: Mapping[str, str] = {
    "microsoft.storage/storageaccounts": "2023-05-01",
    "microsoft.documentdb/databaseaccounts": "2024-11-15",
    "microsoft.sql/servers": "2023-08-01",
    "microsoft.sql/servers/databases": "2023-08-01",
    "microsoft.containerregistry/registries": "2023-07-01",
    "microsoft.recoveryservices/vaults": "2024-04-01",
    "microsoft.network/virtualnetworks": "2024-05-01",
    "microsoft.operationalinsights/workspaces": "2023-09-01",
    "microsoft.eventhub/namespaces": "2024-01-01",
    "microsoft.keyvault/vaults": "2023-07-01",
    "microsoft.keyvault/managedhsms": "2023-07-01",
    "microsoft.dbforpostgresql/flexibleservers": "2024-08-01",
    "microsoft.dbformysql/flexibleservers": "2023-12-30",
    "microsoft.servicebus/namespaces": "2024-01-01",
    "microsoft.cache/redis": "2024-11-01",
    "microsoft.cache/redisenterprise": "2024-10-01",
    "microsoft.insights/datacollectionrules": "2023-03-11",
    "microsoft.insights/components": "2020-02-02",
    "microsoft.web/sites": "2023-12-01",
    "microsoft.network/privateendpoints": "2024-05-01",
    "microsoft.network/expressroutecircuits": "2024-05-01",
}
"""The api-version each ARM type is read with by id (``GET {id}?api-version=``): ARM needs one per type."""


@dataclass(frozen=True)
class Work:
    """One DWP resource to read closely."""

    calls: Calls
    """The scan's calls (clients, coverage)."""
    subscription: str
    """The subscription it was listed in."""
    listed: Mapping[str, Any]
    """The resource as ``resources.list`` gave it (``id``, ``type``, ``name``, ``location``, ``tags``, ``sku``);
    with ``properties`` too when Resource Graph gave the inventory."""
    versions: ApiVersions | None = None
    """The api-version of any ARM type (asked of its provider), for reading a resource by id."""

    @property
    def id(self) -> str:
        """The resource id."""
        return str(self.listed["id"])


Collector = Callable[[Work], list[ResourceRecord]]
"""One DWP resource -> its records."""


NEIGHBOURS: frozenset[str] = frozenset({
    "microsoft.operationalinsights/workspaces",  # data exports, linked storage: where DWP logs go on to
    "microsoft.insights/datacollectionrules",  # destinations, and the DWP resources associated with them
    "microsoft.insights/components",  # where DWP apps' telemetry is kept (its workspace, or its own region)
    "microsoft.network/privateendpoints",  # a DWP resource reachable from a network, maybe in another region
    "microsoft.network/expressroutecircuits",  # the peering location the DWP networks reach
})
"""ARM types read closely whatever their tags: they are rarely tagged as DWP, but name DWP resources (or are named
by them) and say where their data goes. Their diagnostic settings are not read (they hold no DWP data)."""


def collectors() -> dict[str, Collector]:
    """ARM type (lower case) -> its collector (any other type: ``generic.collect_resource``)."""
    from providers.azure.collectors import apps, children, details, network, registry, sql, storage, vaults

    by_children = {arm_type: children.collect_with_children for arm_type in children.CHILDREN}
    return {
        **by_children,
        "microsoft.web/sites": apps.collect_app,
        "microsoft.storage/storageaccounts": storage.collect_account,
        "microsoft.documentdb/databaseaccounts": details.collect_by_id,
        "microsoft.recoveryservices/vaults": vaults.collect_vault,
        "microsoft.sql/servers": sql.collect_server,
        "microsoft.sql/servers/databases": sql.collect_database,
        "microsoft.containerregistry/registries": registry.collect_registry,
        "microsoft.network/virtualnetworks": network.collect_virtual_network,
    }
