"""The live Azure adapter's entry point: subscriptions -> resources -> DWP resources read closely -> records ->
the shared meaning.

1. Subscriptions: the ``--subscription`` ones, those under ``--management-group``, or every readable one.
2. Per subscription: every resource and resource group (tags, locations); DWP ones by their tags (and
   their group's, where the config says so) or by the subscription (``dwp.subscriptions``).
3. Collectors read the DWP resources closely (``collectors/``), their diagnostic settings, and the
   subscription's role assignments, Lighthouse delegations and policy assignments.
4. Receivers the settings name are read by id (``follow.py``); ``providers.semantics`` judges the records
   exactly as it judges Terraform; coverage is added as data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from providers.azure import discovery, graph
from providers.azure.api_versions import ApiVersions
from providers.azure.calls import GLOBAL, Calls
from providers.azure.collectors import API_VERSIONS, NEIGHBOURS, Work, collectors
from providers.azure.collectors.access import collect_lighthouse, collect_role_assignments
from providers.azure.collectors.activity_log import collect_activity_log
from providers.azure.collectors.diagnostics import collect_settings
from providers.azure.collectors.generic import collect_resource
from providers.azure.collectors.policy import collect_policy_assignments
from providers.azure.follow import follow
from providers.azure.ids import subscription_path
from providers.azure.options import AzureOptions
from providers.azure.records import GENERIC_TYPE, arm_record, body_unread, canonical_ids, with_values
from providers.azure.session import AzureClients
from providers.interface import ScanOptions
from providers.live.coverage import Recorder
from providers.live.failed import Failed
from providers.semantics.normalise import to_inventory
from providers.semantics.records import ResourceRecord, Unknown
from scanner.model import CoverageGap, Guardrail, GuardrailKind, Inventory, ScopeStatus, SourceRef

ADVICE = {
    ScopeStatus.DENIED: "grant the custom role in docs/azure-readonly-role.json (Reader and the Microsoft.Insights "
                        "and Microsoft.Authorization reads) on the subscription",
    ScopeStatus.THROTTLED: "run again, or lower --max-workers",
    ScopeStatus.FAILED: "run again; if it persists, the endpoint does not answer this call",
}
"""What the user can do about a (subscription, resource provider) scope of each status."""


@dataclass(frozen=True)
class Progress:
    """How far the scan is, for a progress display."""

    subscriptions: int
    """Subscriptions to scan."""
    subscriptions_done: int
    """Subscriptions scanned so far."""
    calls: int
    """ARM calls made so far."""


ProgressCallback = Callable[[Progress], None]


def scan_azure(options: AzureOptions, scan: ScanOptions, clients: Any = None,
               progress: ProgressCallback | None = None) -> Inventory:
    """The inventory of the live subscriptions; raises ``CredentialsError`` when the credentials (or the
    endpoint) cannot be used at all."""
    recorder = Recorder(ADVICE)
    calls = Calls(clients if clients is not None else AzureClients(options), recorder)
    found = discovery.subscriptions(calls, options)
    records: list[ResourceRecord] = []
    notes: list[CoverageGap] = list(found.notes)
    policies_unread: list[str] = []
    if not found.found:
        # Nothing judged is not "no offshoring": the scan is incomplete, whatever the reason.
        notes.append(CoverageGap("azure", None, "no subscription was scanned (none was readable, or every one asked "
                                 "for was left out): nothing was judged", kind="skipped"))
    inventory_graph = graph.query(calls, found.found) if found.found else None
    if isinstance(inventory_graph, Failed):
        notes.append(graph.note(inventory_graph))
        inventory_graph = None
    versions = ApiVersions(calls, API_VERSIONS)
    for done, subscription in enumerate(sorted(found.found), start=1):
        subscription_records, subscription_notes, policies_read = _scan_subscription(
            calls, subscription, options, scan, Listed.of(calls, subscription, inventory_graph), versions)
        records.extend(subscription_records)
        notes.extend(subscription_notes)
        if not policies_read:
            policies_unread.append(subscription)
        if progress is not None:
            progress(Progress(len(found.found), done, recorder.calls()))
    records.extend(follow(calls, records))
    notes.extend(versions.notes())
    inventory = to_inventory(canonical_ids(_deduplicated(records)), scan, gaps=(*recorder.gaps(), *notes),
                             scanned=tuple(f"azure subscription {s}" for s in sorted(found.found)))
    guards = (*inventory.guardrails, *(_policies_not_read(s) for s in policies_unread))
    return replace(inventory, scopes=recorder.coverage(), guardrails=guards)


def _policies_not_read(subscription: str) -> Guardrail:
    return Guardrail(GuardrailKind.AZURE_POLICY_ALLOWED_LOCATIONS,
                     f"the policy assignments of subscription {subscription} could not be read: whether an Allowed "
                     "locations policy keeps new resources in the UK is not known", (),
                     SourceRef(f"{subscription}/global", None, subscription_path(subscription)), False, read=False)


@dataclass(frozen=True)
class Listed:
    """One subscription's resources and resource groups, from Resource Graph or the listings."""

    resources: list[dict[str, Any]] | Failed
    """Every resource (with ``properties`` when Resource Graph gave them), or why they could not be listed."""
    groups: list[dict[str, Any]] | Failed
    """Every resource group, or why they could not be listed."""

    @classmethod
    def of(cls, calls: Calls, subscription: str, inventory: graph.GraphInventory | None) -> Listed:
        """Resource Graph's answer where it covered the subscription; else ``resources.list`` and
        ``resource_groups.list``."""
        if inventory is not None and inventory.covers(subscription):
            return cls(list(inventory.resources[subscription]), list(inventory.groups[subscription]))
        return cls(discovery.resources(calls, subscription), discovery.resource_groups(calls, subscription))


def _scan_subscription(calls: Calls, subscription: str, options: AzureOptions, scan: ScanOptions,
                       found: Listed, versions: ApiVersions) -> tuple[list[ResourceRecord], list[CoverageGap], bool]:
    """The records of one subscription, its notes, and whether its policy assignments were read."""
    for provider in ("Microsoft.Resources", "Microsoft.Insights", "Microsoft.Authorization"):
        calls.recorder.touch(subscription, GLOBAL, provider)
    listed, groups = found.resources, found.groups
    notes: list[CoverageGap] = []
    if isinstance(listed, Failed):
        return [], notes, False  # the recorder's gap says the subscription's resources were not read
    listed, malformed = _well_formed(listed)
    if malformed:
        notes.append(CoverageGap(f"{subscription}/global", None, f"resources.list answered {malformed} entr"
                                 f"{'y' if malformed == 1 else 'ies'} without an id or a type: not read, so what "
                                 "they are and where is not judged", kind="skipped"))
    if isinstance(groups, list):
        groups = [g for g in groups if isinstance(g, Mapping) and isinstance(g.get("name"), str)]
    group_tags = {str(g["name"]).lower(): dict(g.get("tags") or {}) for g in groups} \
        if isinstance(groups, list) else {}
    if isinstance(groups, Failed) and options.resource_group_tags:
        notes.append(CoverageGap(f"{subscription}/global", None, "the resource groups could not be read, so their "
                                 "tags (dwp.resource_group_tags) were not applied: resources tagged only through "
                                 "their group are not known to be DWP", kind="skipped"))
    resources = [_with_group_tags(r, group_tags) if options.resource_group_tags else r for r in listed]
    dwp = [r for r in resources if _is_dwp(scan, subscription, r)]
    dwp_ids = {str(r["id"]).lower() for r in dwp}
    read_groups = groups if isinstance(groups, list) else []
    records = [arm_record(subscription, g, "resource_groups.list") for g in read_groups]
    neighbours = [r for r in resources if str(r["id"]).lower() not in dwp_ids
                  and str(r["type"]).lower() in NEIGHBOURS]
    neighbour_ids = {str(r["id"]).lower() for r in neighbours}
    records.extend(arm_record(subscription, r, "resources.list") for r in resources
                   if str(r["id"]).lower() not in dwp_ids | neighbour_ids)
    registry = collectors()

    def read(resource: Mapping[str, Any]) -> list[ResourceRecord]:
        collect = registry.get(str(resource["type"]).lower(), collect_resource)
        own = collect(Work(calls, subscription, resource, versions))
        return own + collect_settings(calls, subscription, str(resource["id"]))

    def read_neighbour(resource: Mapping[str, Any]) -> list[ResourceRecord]:
        return registry.get(str(resource["type"]).lower(), collect_resource)(
            Work(calls, subscription, resource, versions))

    with ThreadPoolExecutor(max_workers=options.max_workers) as pool:
        for found in pool.map(read, dwp):
            records.extend(found)
        for found in pool.map(read_neighbour, neighbours):
            records.extend(found)
    records.extend(_unread_rule_coverage(subscription, records, dwp))
    records.extend(collect_activity_log(calls, subscription))
    assignments, assignment_notes = collect_role_assignments(calls, subscription, scan.estate)
    records.extend(assignments)
    notes.extend(assignment_notes)
    records.extend(collect_lighthouse(calls, subscription))
    policies, policies_read = collect_policy_assignments(calls, subscription)
    records.extend(policies)
    notes.extend(_placed_only(subscription, [r for r in records if str(r.values.get("id", "")).lower() in dwp_ids]))
    return records, notes, policies_read


_RULE_TARGETS = frozenset({"microsoft.compute/virtualmachines", "microsoft.compute/virtualmachinescalesets",
                           "microsoft.hybridcompute/machines", "microsoft.containerservice/managedclusters"})
"""ARM types a data collection rule collects from once associated (Azure Monitor Agent hosts, Container insights)."""
_UNREAD_ASSOCIATIONS = "/associations/(unread)"


def _unread_rule_coverage(subscription: str, records: Iterable[ResourceRecord],
                          dwp: Iterable[Mapping[str, Any]]) -> list[ResourceRecord]:
    """For each data collection rule whose associations could not be read, and each DWP resource of the
    subscription a rule can collect from: a diagnostics destination that is unknown (whether the rule collects
    from it, and so sends its logs where the rule does, is not known), never "not associated"."""
    unread = [r for r in records if r.address.lower().endswith(_UNREAD_ASSOCIATIONS)
              and r.type == "azurerm_monitor_data_collection_rule_association"]
    targets = [str(r["id"]) for r in dwp if str(r["type"]).lower() in _RULE_TARGETS]
    stubs: list[ResourceRecord] = []
    for association in unread:
        rule = association.address[:-len(_UNREAD_ASSOCIATIONS)]
        why = next((v for v in association.values.values() if isinstance(v, Unknown)), None)
        reason = why.reason if why is not None else "its associations could not be read"
        for target in targets:
            stub = arm_record(subscription, {
                "id": f"{target}/providers/Microsoft.Insights/dataCollectionRuleAssociations/(unread "
                      f"{rule.rsplit('/', 1)[-1]})", "type": "Microsoft.Insights/diagnosticSettings",
                "parent_id": target}, f"GET associations of {rule}")
            stubs.append(with_values(stub, {"log_analytics_workspace_id": Unknown(
                f"whether data collection rule {rule} collects from it is not known: {reason}")},
                f"GET associations of {rule}"))
    return stubs


def _well_formed(listed: Iterable[Any]) -> tuple[list[dict[str, Any]], int]:
    """The listed resources that name themselves (an ``id`` and a ``type``), and how many did not. A resource ARM
    lists without a location is placed nowhere: its location is unknown, never its group's."""
    kept: list[dict[str, Any]] = []
    dropped = 0
    for resource in listed:
        if not isinstance(resource, Mapping) or not all(isinstance(resource.get(k), str) and resource.get(k)
                                                        for k in ("id", "type")):
            dropped += 1
            continue
        if resource.get("location") is None:
            resource = {**resource, "location": Unknown(f"resources.list gives no location for {resource['id']}")}
        kept.append(dict(resource))
    return kept, dropped


def _with_group_tags(resource: Mapping[str, Any], group_tags: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The resource with its group's tags under its own (``dwp.resource_group_tags``)."""
    group = str(resource["id"]).split("/")[4].lower() if str(resource["id"]).count("/") > 4 else ""
    inherited = group_tags.get(group) or {}
    return {**resource, "tags": {**inherited, **(resource.get("tags") or {})}} if inherited else dict(resource)


def _is_dwp(scan: ScanOptions, subscription: str, resource: Mapping[str, Any]) -> bool:
    """Whether to read a resource closely; the shared meaning classifies the records again."""
    if scan.rules.scope_all:
        return True
    return scan.rules.classify(dict(resource.get("tags") or {}), [subscription]).dwp


def _placed_only(subscription: str, dwp: Iterable[ResourceRecord]) -> list[CoverageGap]:
    """One note per DWP resource of an ARM type the table does not map, naming it and its type (never a count):
    it is placed by its location and its body judged by the net (or, when the body could not be read, where
    that body sends data is unknown), but no setting of its own type is modelled."""
    return [CoverageGap(f"{subscription}/global", None, f"DWP resource {r.values.get('name') or r.address} "
                        f"({r.values.get('arm_type')}, {r.address}) is of a type offshore-scan does not model: it is "
                        f"placed by its location and {_body_said(r)}, but what its own settings copy elsewhere is "
                        "not modelled", kind="note")
            for r in sorted(dwp, key=lambda r: r.address.lower()) if r.type == GENERIC_TYPE]


def _body_said(record: ResourceRecord) -> str:
    unread = body_unread(record)
    if unread is None:
        return "the places, endpoints and resource ids in its ARM body are judged by the net"
    return f"its ARM body could not be read ({unread.reason}), so where it sends data is unknown"


def _deduplicated(records: Iterable[ResourceRecord]) -> list[ResourceRecord]:
    """One record per resource id (ARM ids ignore case): a resource read closely wins over one another
    answer only mentions (a failover group's partner server). A policy assignment every subscription under its
    management group lists applies to each of them (``applies_to`` joined)."""
    best: dict[str, ResourceRecord] = {}
    applies: dict[str, set[str]] = {}
    for record in records:
        key = record.address.lower()
        held = best.get(key)
        if held is None or _weight(record) > _weight(held):
            best[key] = record
        if isinstance(record.values.get("applies_to"), tuple):
            applies.setdefault(key, set()).update(record.values["applies_to"])
    for key, subscriptions in applies.items():
        best[key] = with_values(best[key], {"applies_to": tuple(sorted(subscriptions))}, "policy_assignments.list")
    return list(best.values())


def _weight(record: ResourceRecord) -> int:
    return sum(1 for value in record.values.values() if not isinstance(value, str | dict | list) or value)
