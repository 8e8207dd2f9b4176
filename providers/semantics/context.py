"""What normalising needs across all records of one input: references, locations, DWP-ness.

``NormaliseContext`` answers "which resource does this value point at" and "where is that
resource"; the helpers below turn region values into ``Location``s. Target resolvers
(``targets.py`` and the concern modules) and subject resolvers build on them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from providers.interface import ScanOptions
from providers.semantics import backup_selection, dlm, geography
from providers.semantics.classification import higher_marking
from providers.semantics.records import ResourceRecord, Unknown
from providers.semantics.resource_map import (
    Association,
    FlowSpec,
    TypeSpec,
    copy_sources,
    holds_data,
    identity_attributes,
    parent_argument,
    resource_hosts,
    resource_map,
)
from scanner.model import NOT_DWP, Classification, Flow, FlowKind, Location, Resource

_T = TypeVar("_T")

CLOUD_OF_PREFIX = {"aws": "aws", "azurerm": "azure", "google": "gcp"}


class NormaliseContext:
    """Lookups across all records of one input (references, bucket names, ARNs)."""

    def __init__(self, records: Sequence[ResourceRecord], options: ScanOptions) -> None:
        self.options = options
        self.rules = options.rules
        self.estate = options.estate
        self.endpoints = dict(options.endpoints)
        self.by_address = {r.address: r for r in records}
        # Plans index instances (aws_s3_bucket.b[0]); HCL references name the resource (aws_s3_bucket.b).
        for record in records:
            self.by_address.setdefault(re.sub(r"\[[^\]]*\]$", "", record.address), record)
        self.by_identity: dict[str, ResourceRecord] = {}
        for record in records:
            for key in identity_attributes(record.type):
                value = record.values.get(key)
                if isinstance(value, str) and value:
                    self.by_identity.setdefault(value, record)
        self.records = records
        self._by_type: dict[str, list[ResourceRecord]] = {}
        for record in records:
            self._by_type.setdefault(record.type, []).append(record)
        self.own_accounts, self.own_inputs = _own_accounts(records, options.members)
        self._memos: dict[str, Any] = {}
        self._locations: dict[str, Location] = {}
        self._resources: dict[str, Resource] = {}
        self._classifying: set[str] = set()
        self.unidentified_addresses: list[str] = []
        """Stand-ins for subjects that could not be identified, in the order they were met."""
        self.copied_into: Mapping[str, tuple[str, ...]] = {}
        """Receiving resource -> subjects a replica flow copies onto it (``replicas.landing_copies``), set by
        ``normalise`` before any resource is classified."""

    def of_type(self, resource_type: str) -> Sequence[ResourceRecord]:
        """Every record of one type, in input order (concern modules ask this a lot)."""
        return self._by_type.get(resource_type, ())

    def memo(self, key: str, build: Callable[[NormaliseContext], _T]) -> _T:
        """A per-input index a concern module builds once (``build(context)``) and reuses."""
        if key not in self._memos:
            self._memos[key] = build(self)
        return self._memos[key]

    # --- resources -----------------------------------------------------------------------------

    def resource(self, record: ResourceRecord) -> Resource:
        cached = self._resources.get(record.address)
        if cached is not None:
            return cached
        kind = geography.aws_service_kind(record.type) if record.type.startswith("aws_") else "regional"
        resource = Resource(
            id=record.address,
            type=record.type,
            location=self.location(record),
            classification=self.classification(record),
            source=record.source,
            # A stand-in for what a failed read would have shown holds no data and has no place of its own to judge:
            # its unknowns are its flows, on the DWP resources they concern.
            holds_data=holds_data(record.type) and kind != "global-control-plane" and not record.stand_in,
            deployed_to=CLOUD_OF_PREFIX.get(record.type.split("_", 1)[0]),
            placement_judged=not record.stand_in,
            account=record.placement.account,
        )
        self._resources[record.address] = resource
        return resource

    def resource_by_address(self, address: str) -> Resource:
        """A resource already built (including a stand-in for an unidentified subject)."""
        return self._resources[address]

    def classification(self, record: ResourceRecord) -> Classification:
        tags: dict[str, Any] = {}
        unknown_tags: str | None = None
        if record.type.startswith("aws_"):
            default_tags = record.placement.default_tags
            marker = default_tags.get("__unknown__")
            if isinstance(marker, Unknown):
                unknown_tags = f"the provider's default_tags: {marker.reason}"
            else:
                tags.update(default_tags)
        for key in ("tags_all", "tags", "labels"):
            value = record.values.get(key)
            if isinstance(value, dict):
                tags.update(value)
            elif isinstance(value, Unknown) and key != "tags_all":
                unknown_tags = f"{key}: {value.reason}"
        labels_from = resource_map().get(record.type, TypeSpec()).labels_from
        if labels_from is not None:
            for value in values_at(record.values, labels_from):
                if isinstance(value, dict):
                    tags.update(value)
        scopes = self.scopes_of(record)
        if not (tags or scopes or unknown_tags or self.rules.scope_all):
            return self._copy_classification(record)
        unknown_values = {str(k): v.reason for k, v in tags.items() if isinstance(v, Unknown)}
        known = {k: v for k, v in tags.items() if not isinstance(v, Unknown)}
        own = self.rules.classify(known, scopes, unknown_tags=unknown_tags, unknown_values=unknown_values)
        copied = self._copy_classification(record)
        if not own.dwp:
            return copied
        if copied.dwp and higher_marking(copied.marking, own.marking):
            # A copy holds its source's data, so it carries the source's marking whatever its own tags say (a DR
            # bucket tagged only with its owner holds OFFICIAL-SENSITIVE replicas): the higher marking decides.
            # DWP in its own right too (its hosting is still said), so the reason leads with its own tag.
            return Classification(True, f"{own.reason}; marked {copied.marking} as a {copied.reason}",
                                  copied.marking, own.certain and copied.certain)
        return own

    def _copy_classification(self, record: ResourceRecord) -> Classification:
        """A copy (``resource_map/copies.yaml``) holds the data of what it copies: DWP as a copy of a DWP source."""
        if record.address in self._classifying:
            return NOT_DWP  # a copy of a copy of itself: data no source makes DWP
        self._classifying.add(record.address)
        try:
            for path in copy_sources(record.type):
                for value in values_at(record.values, path):
                    source = self.referenced(value)
                    if source is None or source is record:
                        continue
                    found = self.classification(source)
                    if found.dwp:
                        return Classification(True, _copy_reason(source.address, found), found.marking,
                                              found.certain)
            # A replica named by what it copies (a DR bucket a replication rule names, a secret's replica).
            for address in self.copied_into.get(record.address, ()):
                source = self.by_address.get(address)
                found = self.classification(source) if source is not None and source is not record else NOT_DWP
                if found.dwp:
                    return Classification(True, _copy_reason(address, found), found.marking, found.certain)
        finally:
            self._classifying.discard(record.address)
        return NOT_DWP

    def scopes_of(self, record: ResourceRecord) -> list[str]:
        """Every account, subscription or project the record may be in: its own, and those its provider deploys
        to or as (azurerm ``subscription_id``, AWS ``allowed_account_ids`` or an assumed role's account), so a
        config's ``dwp.subscriptions``/``accounts``/``projects`` apply through a provider too."""
        scopes = [s for s in (self.scope_of(record),) if s]
        for value in record.placement.own_accounts:
            if isinstance(value, str) and value:
                match = _ARN_ACCOUNT.match(value)
                scopes.append(match.group(1) if match else value)
        return scopes

    def scope_of(self, record: ResourceRecord) -> str | None:
        for key in ("project", "subscription_id", "account_id"):
            value = record.values.get(key)
            if isinstance(value, str):
                return value
        if record.placement.account is not None:
            return record.placement.account
        for key in ("project", "subscription_id", "account_id"):
            setting = record.placement.extra.get(key)
            if setting is not None and isinstance(setting.value, str):
                return setting.value
        return None

    def location(self, record: ResourceRecord) -> Location:
        cached = self._locations.get(record.address)
        if cached is None:
            self._locations[record.address] = Location("unknown", None, None, None, ("(placing)",))
            cached = self._place(record)
            self._locations[record.address] = cached
        return cached

    def _place(self, record: ResourceRecord) -> Location:
        cloud = CLOUD_OF_PREFIX.get(record.type.split("_", 1)[0], "unknown")
        spec = resource_map().get(record.type, TypeSpec())
        if cloud == "aws":
            kind = geography.aws_service_kind(record.type)
            if kind != "regional":
                return global_aws(record.type, kind)
            if "region" in record.values and record.values["region"] is not None:
                return placed("aws", record.values["region"], record.provenance.get("region", ("region",)))
            return placed("aws", record.placement.region.value, record.placement.region.provenance)
        if cloud == "azure":
            if "location" in record.values:
                return placed("azure", record.values["location"], record.provenance.get("location", ("location",)))
            if spec.location_from:
                return self._location_of_reference(record, spec.location_from)
            inherited = self._parent_location(record)
            if inherited is not None:
                return inherited
            return self._parent_not_scanned(record, "azure") or unplaced(
                "azure", f"{record.type} has no location of its own, and no parent of it is in the scan")
        if spec.location_at is not None:
            value = first(values_at(record.values, spec.location_at))
            if value is not None:
                if isinstance(value, str) and spec.location_prefix:
                    value = value.removeprefix(spec.location_prefix)
                return placed(cloud, value, (setting(record, spec.location_at, value),))
        if cloud == "gcp":
            for key in ("location", "region", "zone"):
                if record.values.get(key) is not None:
                    return placed("gcp", record.values[key], record.provenance.get(key, (key,)))
            inherited = self._parent_location(record)
            if inherited is not None:
                return inherited
            # A type that takes its parent's location is never placed by the provider's default region.
            not_scanned = self._parent_not_scanned(record, "gcp")
            if not_scanned is not None:
                return not_scanned
            for configured in (record.placement.region, record.placement.extra.get("zone")):
                if configured is not None and configured.value is not None:
                    return placed("gcp", configured.value, configured.provenance)
            return placed("gcp", Unknown("neither the resource nor its provider sets a region"), ())
        return unplaced(cloud, f"{record.type} is not a cloud resource")

    def parent(self, record: ResourceRecord) -> tuple[str, ResourceRecord] | None:
        """The resource a child without a location of its own lives in, and the attribute that says so.

        An attribute names the parent when the resource it points at (by reference, id or name) is of a
        type that ends with the attribute's stem: ``storage_account_id`` -> ``azurerm_storage_account``,
        ``virtual_network_name`` -> ``azurerm_virtual_network``, ``key_ring`` -> ``google_kms_key_ring``,
        ``dataset_id`` -> ``google_bigquery_dataset``. ``parent_id`` names it whatever its type;
        ``resource_group_name`` is the last resort (a resource group's location is only a default).
        """
        prefix = record.type.split("_", 1)[0] + "_"
        documented = parent_argument(record.type)
        if documented is not None:
            other = self.referenced(record.values.get(documented))
            if other is not None and other is not record and other.type.startswith(prefix):
                return documented, other
        keys = sorted(record.values, key=lambda k: (k != "parent_id", k == "resource_group_name", k))
        for key in keys:
            value = record.values[key]
            if key in ("id", "name") or not isinstance(value, str | Unknown):
                continue
            stem = "resource_group" if key == "resource_group_name" else re.sub(r"_(id|name)$", "", key)
            other = self.referenced(value)
            if other is not None and other is not record and other.type.startswith(prefix) and (
                    key == "parent_id" or _names_parent(stem, other.type, record.type)):
                return key, other
            if isinstance(value, str) and key.endswith("_name"):
                named = self._named(prefix, stem, value, record)
                if named is not None:
                    return key, named
        return None

    def _named(self, prefix: str, stem: str, name: str, child: ResourceRecord) -> ResourceRecord | None:
        group = child.values.get("resource_group_name")
        for resource_type, records in self._by_type.items():
            if not (resource_type.startswith(prefix) and resource_type.endswith(stem)):
                continue
            for candidate in records:
                same_group = group is None or candidate.values.get("resource_group_name") in (group, None) \
                    or resource_type.endswith("resource_group")
                if candidate.values.get("name") == name and same_group and candidate is not child:
                    return candidate
        return None

    def _parent_location(self, record: ResourceRecord) -> Location | None:
        found = self.parent(record)
        if found is None:
            return None
        key, other = found
        located = self.location(other)
        if located.provenance == ("(placing)",):
            return None  # a loop of children naming each other: no parent after all
        step = f"{record.address} {key} -> parent {other.address}"
        return with_provenance(located, (step, *located.provenance))

    def _parent_not_scanned(self, record: ResourceRecord, cloud: str) -> Location | None:
        """Unplaced, naming the parent, when the documentation says the type takes its location from a parent
        that its argument names but the scan does not hold."""
        argument = parent_argument(record.type)
        value = record.values.get(argument) if argument else None
        if argument is None or value is None:
            return None
        shown = f"unknown ({value.reason})" if isinstance(value, Unknown) else repr(value)
        return Location(cloud, None, None, None, (setting(record, argument, value),),
                        f"{record.type} takes the location of the parent its {argument} names ({shown}), which is "
                        "not in the scanned configuration (scan the configuration or the account that holds it)")

    def _location_of_reference(self, record: ResourceRecord, path: str) -> Location:
        value = first(values_at(record.values, path))
        other = self.referenced(value)
        if other is None:
            reason = value.reason if isinstance(value, Unknown) else f"{path} does not name a scanned resource"
            return Location(CLOUD_OF_PREFIX.get(record.type.split("_", 1)[0], "unknown"), None, None, None,
                            (f"{path} ->",), f"{reason}")
        placed = self.location(other)
        return with_provenance(placed, (f"{path} -> {other.address}", *placed.provenance))

    # --- references ----------------------------------------------------------------------------

    def referenced(self, value: Any) -> ResourceRecord | None:
        """The record a value points at: an unknown with ``ref``, an ARN, a name or an Azure id."""
        if isinstance(value, Unknown):
            return self.by_address.get(value.ref) if value.ref else None
        if not isinstance(value, str) or not value:
            return None
        found = self.by_identity.get(value)
        if found is not None:
            return found
        if value.startswith("arn:aws:dynamodb:") and "/stream/" in value:
            # A table's stream (a Lambda mapping's source) carries the table's items.
            return self.referenced(value.split("/stream/", 1)[0])
        if value.startswith("arn:aws:s3:::"):
            return self.by_identity.get(value.removeprefix("arn:aws:s3:::").split("/")[0])
        hosted = self.hosted(value)
        if hosted is not None:
            return hosted
        tail = value.rsplit(":", 1)[-1].rsplit("/", 1)[-1]
        found = self.by_identity.get(tail)
        if found is not None and _elsewhere(value, found.values.get("arn")):
            # An ARN of another region or account naming a resource of the same name (us-east-1's default
            # event bus is not eu-west-2's): not this record.
            return None
        return found

    def hosted(self, value: str) -> ResourceRecord | None:
        """The resource a service host or URL names (``identity.yaml`` ``resource_hosts``), when the scan has it."""
        text = value.split("://", 1)[1] if "://" in value else value
        host = re.split(r"[/:?#]", text, maxsplit=1)[0].lower()
        if "." not in host:
            return None
        for pattern, resource_type in resource_hosts():
            match = pattern.fullmatch(host)
            if match is not None:
                found = self.by_identity.get(match.group("name"))
                if found is not None and found.type == resource_type:
                    return found
        return None

    # --- flows ---------------------------------------------------------------------------------

    def subjects(self, record: ResourceRecord, spec: FlowSpec) -> list[ResourceRecord]:
        """Whose data the flow carries: the named subject when it resolves, else the declaring resource."""
        if not spec.subject and spec.associated is None:
            return [record]
        # (candidate, whether it may be the declaring resource itself): a path naming the record's own identity
        # is no subject, but `self` names the record on purpose.
        found: list[tuple[ResourceRecord | None, bool]] = []
        for path in spec.subject:
            special = SUBJECTS.get(path)
            if path == SELF:
                found.append((record, True))
            elif special is not None:
                found.extend((s, False) for s in special(self, record))
            else:
                found.extend((self.referenced(v), False) for v in values_at(record.values, path))
        if spec.associated is not None:
            found.extend((s, False) for s in self.associated_subjects(record, spec.associated))
        subjects: dict[str, ResourceRecord] = {}
        for subject, itself in found:
            if subject is not None and (itself or subject.address != record.address):
                subjects.setdefault(subject.address, subject)
        if subjects and spec.one_subject:
            # One body of data named several ways (a rule and its bus): one flow, on the DWP one if any.
            listed = list(subjects.values())
            return [next((s for s in listed if self.classification(s).dwp), listed[0])]
        if subjects or holds_data(record.type):
            # A resource that holds data and names no scanned source copies its own data.
            return list(subjects.values()) or [record]
        named = [(path, value) for path in spec.subject if path not in SUBJECTS and path != SELF
                 for value in values_at(record.values, path) if value is not None]
        if not named:
            return [record]
        # A setting (a replication rule, a subscription) of a resource that cannot be identified: never
        # credited to the setting itself or to another resource, and judged as possibly DWP.
        return [self.unidentified(record, *named[0])]

    def associated_subjects(self, record: ResourceRecord, association: Association) -> list[ResourceRecord]:
        """What the associations of ``record`` name (``associated`` in the map): for each record of the association
        type whose ``by`` names ``record``, the resource its ``subject`` names, or a stand-in for one the scan does
        not hold (possibly DWP, never nothing)."""
        found: list[ResourceRecord] = []
        for other in self.of_type(association.type):
            if not any(self.referenced(v) is record for v in values_at(other.values, association.by)):
                continue
            for value in values_at(other.values, association.subject):
                if value is not None:
                    found.append(self.referenced(value) or self.unidentified(other, association.subject, value))
        return found

    def unidentified(self, record: ResourceRecord, path: str, value: Any) -> ResourceRecord:
        """A stand-in for the resource ``record``'s ``path`` names but the scan does not have."""
        shown = f"unknown ({value.reason})" if isinstance(value, Unknown) else repr(value)
        address = f"{record.address}.{path}"
        stand_in = ResourceRecord(address, "unidentified", {}, record.placement, record.source)
        if address in self._resources:
            return stand_in
        own = self.classification(record)
        region = geography.aws_region_of_arn(value) if isinstance(value, str) else None
        # An ARN says where its resource is even when the scan does not hold it (a live queue another account owns).
        where = geography.locate("aws", region, (setting(record, path, value),)) if region else Location(
            "unknown", None, None, None, (setting(record, path, value),),
            f"{path} = {shown} names no resource in the scan")
        self._resources[address] = Resource(
            id=address,
            type="unidentified resource",
            location=where,
            classification=own if own.dwp else Classification(
                True, f"possibly DWP: {record.address} {path} = {shown} names a resource that is not in the scan "
                "(scan the configuration or the account that holds it)", certain=False),
            source=record.source,
            holds_data=False,
        )
        self.unidentified_addresses.append(address)
        return stand_in

    def backup_subjects(self, plan: ResourceRecord) -> list[ResourceRecord]:
        """Resources an AWS Backup plan copies: those its selections name (and the plan itself)."""
        subjects: list[ResourceRecord] = []
        for record in self.of_type("aws_backup_selection"):
            plan_id = record.values.get("plan_id")
            if self.referenced(plan_id) is not plan:
                continue
            subjects.extend(backup_selection.selected(self.records, record, self.referenced,
                                                      lambda r: self.location(r).region))
        # The plan itself may be tagged DWP; keep it so its own classification counts too.
        return [plan, *subjects] if subjects else []

    def registry_subjects(self, config: ResourceRecord) -> list[ResourceRecord]:
        """Repositories an ECR registry replication copies: those in the same region that a rule selects.

        A rule without a repository_filter selects every repository; a PREFIX_MATCH filter those whose name
        starts with it. A filter or name not known, or a filter type not understood, may select it, so it
        counts. The subjects are those of any rule (the resolver is asked per destination, not per rule): a
        repository one rule copies to Ireland and another to Virginia is judged for both, never for neither.
        """
        here = self.location(config).region
        rules = list(values_at(config.values, "replication_configuration.rule"))
        prefixes: list[Any] = []
        for rule in rules:
            filters = [f for f in values_at(rule, "repository_filter") if f is not None]
            if not isinstance(rule, Mapping) or not filters:
                return [r for r in self.of_type("aws_ecr_repository") if self.location(r).region == here]
            for found in filters:
                understood = isinstance(found, Mapping) and found.get("filter_type") == "PREFIX_MATCH"
                prefixes.append(found.get("filter") if understood else None)

        def selected(name: Any) -> bool:
            if not isinstance(name, str):
                return True
            return any(not isinstance(prefix, str) or name.startswith(prefix) for prefix in prefixes)

        return [r for r in self.of_type("aws_ecr_repository")
                if self.location(r).region == here and selected(r.values.get("name"))]

    def global_cluster_peers(self, member: ResourceRecord) -> list[ResourceRecord]:
        """A global database (Aurora, DocumentDB, Neptune, an ElastiCache global datastore) copies every member's
        data to every other member: the group, the cluster it was created from (the group type's own flow whose
        subject is its path: ``source_db_cluster_identifier``, ``primary_replication_group_id``) and the records
        of the member's type whose joining argument (the path of its ``global_cluster_peers`` flow) names it."""
        joins = [f.path for f in resource_map().get(member.type, TypeSpec()).flows
                 if "global_cluster_peers" in f.subject]
        group = self.referenced(first(values_at(member.values, joins[0]))) if joins else None
        if group is None:
            return []
        peers = [group]
        for flow in resource_map().get(group.type, TypeSpec()).flows:
            if flow.target == "self" and flow.subject == (flow.path,):
                source = self.referenced(first(values_at(group.values, flow.path)))
                if source is not None:
                    peers.append(source)
        for record in self.of_type(member.type):
            joined = self.referenced(first(values_at(record.values, joins[0])))
            if record is not member and joined is group:
                peers.append(record)
        return peers

    def _region_of(self, record: ResourceRecord) -> str | None:
        return self.location(record).region

    def dlm_targets(self, policy: ResourceRecord) -> list[ResourceRecord]:
        """What a Data Lifecycle Manager policy's copies hold: the volumes or instances its target tags select, or,
        for an event-based policy, those the scanned policies sharing snapshots with its account select (none
        scanned: a stand-in for the snapshots the ``snapshot_owner`` accounts share, possibly DWP)."""
        details = first(values_at(policy.values, "policy_details"))
        if not (isinstance(details, Mapping) and details.get("policy_type") == "EVENT_BASED_POLICY"):
            return dlm.targeted(self.records, policy, self._region_of)
        found: dict[str, ResourceRecord] = {}
        for sharing in dlm.sharing_policies(self.records, policy, self.scopes_of(policy)):
            found.update((r.address, r) for r in dlm.targeted(self.records, sharing, self._region_of))
        if found:
            return list(found.values())
        path = "policy_details.event_source.parameters.snapshot_owner"
        return [self.unidentified(policy, path, first(values_at(policy.values, path)))]


    def snapshot_sources(self, copy: ResourceRecord) -> list[ResourceRecord]:
        """Whose data an RDS or Aurora snapshot copy carries: the snapshot's, and the database it was taken of."""
        named = copy.values.get("source_db_snapshot_identifier")
        if named is None:
            named = copy.values.get("source_db_cluster_snapshot_identifier")
        snapshot = self.referenced(named)
        if snapshot is None:
            return []
        database = None
        for key in ("db_instance_identifier", "db_cluster_identifier"):
            database = database or self.referenced(snapshot.values.get(key))
        return [s for s in (snapshot, database) if s is not None]

    def tables_named(self, global_table: ResourceRecord) -> list[ResourceRecord]:
        """The regional tables a (2017 version) DynamoDB global table joins: those of the same name."""
        name = global_table.values.get("name")
        return [r for r in self.of_type("aws_dynamodb_table") if isinstance(name, str) and r.values.get("name") == name]


def _elsewhere(value: str, arn: Any) -> bool:
    """Whether ARN ``value`` names another region or account than the record's own ARN ``arn``."""
    if not value.startswith("arn:") or not isinstance(arn, str) or not arn.startswith("arn:"):
        return False
    return value.split(":")[3:5] != arn.split(":")[3:5]


def _copy_reason(source: str, found: Classification) -> str:
    """Why a copy is DWP: ``copy of <source>``, and, when the source is itself a copy, the chain back to the first
    source (``copy of aws_ebs_snapshot_copy.a, a copy of aws_ebs_snapshot.b, a copy of aws_ebs_volume.c``)."""
    chain = found.reason if found.reason.startswith("copy of ") else None
    return f"copy of {source}, a {chain}" if chain else f"copy of {source}"


def _names_parent(stem: str, parent_type: str, child_type: str) -> bool:
    """Whether an attribute stem names a resource of ``parent_type``: the type ends with it
    (``storage_account``), holds it as a word run (``logic_app`` in ``azurerm_logic_app_workflow``), or
    the child's type extends the parent's (``loadbalancer_id`` of ``azurerm_lb_probe`` -> ``azurerm_lb``)."""
    return parent_type.endswith(stem) or f"_{stem}_" in f"{parent_type}_" or child_type.startswith(f"{parent_type}_")


_ARN_ACCOUNT = re.compile(r"^arn:aws[\w-]*:[^:]*:[^:]*:(\d{12}):")


def _own_accounts(records: Sequence[ResourceRecord],
                  members: Sequence[tuple[str, str]] = ()) -> tuple[dict[str, str], dict[str, str]]:
    """The estate's own accounts (id -> how we know) and the unknown inputs that name them (reason -> how).

    From the providers (allowed_account_ids, the account of an assumed role, subscription and tenant ids),
    the account each record is read in, and the account field of every managed resource's own ARN (a data
    source may look up another account's).
    """
    known: dict[str, str] = dict(members)  # first: the same reason whichever records a run holds
    inputs: dict[str, str] = {}
    seen: set[int] = set()
    for record in records:
        placement = record.placement
        if placement.account:
            # Said of the account, never of one record: a finding quoting it must not name a resource it is
            # not about (the first record read in the account is as good as any other, and unrelated).
            known.setdefault(placement.account, "an account the scan reads")
        if id(placement) not in seen:
            seen.add(id(placement))
            for value in placement.own_accounts:
                why = f"provider {placement.key} deploys to or as it"
                if isinstance(value, Unknown):
                    inputs.setdefault(value.reason, why)
                elif isinstance(value, str):
                    match = _ARN_ACCOUNT.match(value)
                    known.setdefault(match.group(1) if match else value, why)
        arn = record.values.get("arn") if record.mode == "managed" else None
        match = _ARN_ACCOUNT.match(arn) if isinstance(arn, str) else None
        if match:
            known.setdefault(match.group(1), "the configuration manages a resource in it")
    return known, inputs


SELF = "self"
"""A subject naming the declaring resource itself, among others (an API stage, or the API it belongs to)."""

SUBJECTS: dict[str, Callable[[NormaliseContext, ResourceRecord], list[ResourceRecord]]] = {
    "snapshot_source": NormaliseContext.snapshot_sources,
    "tables_named": NormaliseContext.tables_named,
    "backup_selection": NormaliseContext.backup_subjects,
    "ecr_registry": NormaliseContext.registry_subjects,
    "global_cluster_peers": NormaliseContext.global_cluster_peers,
    "dlm_targets": NormaliseContext.dlm_targets,
}


def flows_of_subjects(
    record: ResourceRecord, subjects: Iterable[ResourceRecord], kind: FlowKind, description: str,
    target: Location, target_id: str | None,
) -> Iterator[Flow]:
    """The flows ``record`` declares: the data of each subject goes to ``target``.

    The one place a flow is built. A subject never flows to itself (a replica whose source is not in the
    scan names the replica as both): its own location is judged by the hosting policy.
    """
    for subject in subjects:
        if subject.address != target_id:
            yield Flow(subject.address, kind, target, description, record.source, target_id)


# --- placing values --------------------------------------------------------------------------------


def placed(cloud: str, value: Any, provenance: Sequence[str]) -> Location:
    """A location from a region value, which may be unknown."""
    if isinstance(value, Unknown):
        return Location(cloud, None, None, None, tuple(provenance), f"{value.reason}")
    if not isinstance(value, str) or not value:
        return Location(cloud, None, None, None, tuple(provenance), "no region is set")
    return geography.locate(cloud, value, provenance)


def unplaced(cloud: str, reason: str) -> Location:
    return Location(cloud, None, None, None, (), f"{reason}")


def unresolved_value(cloud: str, value: Any, fallback: str = "the value cannot be resolved") -> Location:
    reason = value.reason if isinstance(value, Unknown) else fallback
    return Location(cloud, None, None, None, (), f"{reason}")


def global_aws(resource_type: str, kind: str) -> Location:
    note = (
        "global service: served from AWS edge locations worldwide, not from the UK"
        if kind == "global-edge"
        else "global service: configuration held in us-east-1, no DWP information"
    )
    return Location("aws", "global", None, False, (f"{resource_type} is a global AWS service",), note)


def with_provenance(location: Location, provenance: tuple[str, ...]) -> Location:
    return Location(location.cloud, location.region, location.country, location.uk, provenance, location.note)


def setting(record: ResourceRecord, path: str, value: Any) -> str:
    """A provenance step: what an attribute says and where, with the variables and locals behind it."""
    shown = f"unknown ({value.reason})" if isinstance(value, Unknown) else repr(value)
    known = _longest_known(record, path)
    line = record.lines.get(known, record.source.line) if known else record.source.line
    where = f" ({record.source.path}:{line})" if line else ""
    behind = record.provenance.get(known, ()) if known else ()
    # Top-level provenance starts with the attribute itself, which this step already names.
    behind = behind[1:] if behind and known in record.values else behind
    if known is not None and known != path and behind:
        # The steps behind a whole block (every variable of an environment) are not all this value's: keep
        # those that say this value, so provenance shows what decided it and nothing else.
        behind = tuple(step for step in behind if _decides(step, value))
    return " -> ".join((f"{record.address} {path} = {shown}{where}", *behind))


def _decides(step: str, value: Any) -> bool:
    if isinstance(value, Unknown):
        return (value.ref is not None and value.ref in step) or step.split(" ", 1)[0] in value.reason
    if isinstance(value, str):
        return repr(value) in step or json.dumps(value) in step
    return False


def _longest_known(record: ResourceRecord, path: str) -> str | None:
    parts = path.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in record.lines or candidate in record.provenance:
            return candidate
    return None


def values_at(values: Any, path: str) -> Iterator[Any]:
    """Every value at a dotted path, walking through lists (blocks) on the way."""
    head, _, rest = path.partition(".")
    if isinstance(values, list):
        for item in values:
            yield from values_at(item, path)
        return
    if isinstance(values, Unknown):
        yield values
        return
    if not isinstance(values, Mapping) or head not in values:
        return
    value = values[head]
    if not rest:
        if isinstance(value, list):
            yield from value
        else:
            yield value
        return
    yield from values_at(value, rest)


def first(values: Iterator[Any]) -> Any:
    return next(values, None)


def condition_holds(values: Mapping[str, Any], when: Mapping[str, Any]) -> bool | Unknown:
    """Whether a resource map ``when`` holds: True, False, or the ``Unknown`` that keeps it from being decided."""
    found = first(values_at(values, when["path"]))
    if isinstance(found, Unknown):
        return found
    if "in" in when:
        return isinstance(found, str) and found in when["in"]
    return found is not None


def json_document(value: Any) -> Any:
    """A JSON document attribute as data: already decoded (jsonencode, plans), or text to decode; None if not JSON."""
    if isinstance(value, list | dict):
        return value
    if not isinstance(value, str):
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None
