"""The normalised inventory every input becomes, and the findings policies make of it.

Everything here is a frozen value: providers build these, policies read them, reporters print them.
Change one with ``dataclasses.replace``. This module imports nothing else of ours (the layering
contract in pyproject.toml enforces it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property


class Category(StrEnum):
    """What kind of offshoring a finding is about."""

    HOSTING = "hosting"
    REPLICATION = "replication"
    DIAGNOSTICS = "diagnostics"
    ACCESS = "access"
    NETWORK = "network"


class Outcome(StrEnum):
    """A finding either failed the policy or could not be decided; a pass is the absence of both."""

    FAIL = "fail"
    UNKNOWN = "unknown"


class Severity(StrEnum):
    """Ordered from most to least severe; ``rank`` gives the order."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        """4 for critical down to 1 for low, so thresholds compare as numbers."""
        return {"critical": 4, "high": 3, "medium": 2, "low": 1}[self.value]


class FlowKind(StrEnum):
    """How data leaves a resource for somewhere else."""

    REPLICATION = "replication"
    BACKUP_COPY = "backup-copy"
    READ_REPLICA = "read-replica"
    EDGE_CACHE = "edge-cache"
    LOG_EXPORT = "log-export"
    TELEMETRY = "telemetry"
    ALERTING = "alerting"
    PEERING = "peering"
    INTERCONNECT = "interconnect"
    EGRESS = "egress"
    CONNECTED = "connected"
    """A resource connected to DWP data names a place abroad or unknown, in a relation the resource map does not
    model (the net beneath the map): where the data goes is not established."""

    @property
    def category(self) -> Category:
        """Which policy category a flow of this kind belongs to."""
        return _FLOW_CATEGORIES[self]


_FLOW_CATEGORIES = {
    FlowKind.REPLICATION: Category.REPLICATION,
    FlowKind.BACKUP_COPY: Category.REPLICATION,
    FlowKind.READ_REPLICA: Category.REPLICATION,
    FlowKind.EDGE_CACHE: Category.REPLICATION,
    FlowKind.LOG_EXPORT: Category.DIAGNOSTICS,
    FlowKind.TELEMETRY: Category.DIAGNOSTICS,
    FlowKind.ALERTING: Category.DIAGNOSTICS,
    FlowKind.PEERING: Category.NETWORK,
    FlowKind.INTERCONNECT: Category.NETWORK,
    FlowKind.EGRESS: Category.NETWORK,
    # Where the data of an unmodelled relation goes is the question a replication answers.
    FlowKind.CONNECTED: Category.REPLICATION,
}


@dataclass(frozen=True)
class Location:
    """Where something is hosted, and how the scanner decided it."""

    cloud: str
    """``aws``, ``azure``, ``gcp``, or ``external`` for a vendor endpoint."""
    region: str | None
    """Normalised region name, ``global`` for edge services, a hostname for endpoints; None if unresolved."""
    country: str | None
    """ISO 3166-1 alpha-2 code (``GB``), ``EU`` for EU multi-regions; None when it cannot be said."""
    uk: bool | None
    """True inside the UK, False outside it, None when the location is not established."""
    provenance: tuple[str, ...] = ()
    """The chain of steps that decided the location, first to last, e.g. ``provider aws.dr``, ``var.dr_region``."""
    note: str | None = None
    """Anything surprising about the place (an unknown region name, a multi-region, an unconfirmed partition)."""

    def describe(self) -> str:
        """A short human label: ``aws us-east-1 (US)``."""
        where = self.region or "unresolved"
        country = f" ({self.country})" if self.country else ""
        return f"{self.cloud} {where}{country}"


@dataclass(frozen=True)
class SourceRef:
    """Where in the input a fact was read."""

    path: str
    """File path as given on the command line (static inputs) or ``account/region`` (live inputs)."""
    line: int | None
    """1-based line of the block or attribute, None where the input has no lines (plan JSON, API)."""
    address: str
    """Native address: Terraform address, ``Kind/namespace/name``, ARN or Azure resource id."""


@dataclass(frozen=True)
class Classification:
    """Why a resource counts as DWP data or a DWP system."""

    dwp: bool
    """True when the resource is in scope of the policy."""
    reason: str
    """The tag, label or config rule that decided it, e.g. ``tag Classification=OFFICIAL``."""
    marking: str | None = None
    """The Government Security Classification read from a tag, normalised (``OFFICIAL-SENSITIVE``)."""
    certain: bool = True
    """False when the tag that would decide is not known statically: the resource is judged, and what
    would fail is reported as ``unknown``."""


NOT_DWP = Classification(dwp=False, reason="no DWP tag, label or scope rule matched")


class KeyKind(StrEnum):
    """Who manages the key that encrypts data at rest."""

    CUSTOMER = "customer"
    """A key the customer creates and controls (a KMS key, a Key Vault key, a Cloud KMS key)."""
    PROVIDER = "provider"
    """A key the cloud provider creates and holds (SSE-S3, an AWS managed ``aws/rds`` key, Microsoft-managed keys)."""


@dataclass(frozen=True)
class Encryption:
    """How one data-holding resource (or a copy of it) is encrypted at rest, and where its key lives."""

    encrypted: bool | None
    """True when encrypted at rest, False when the configuration says not, None when it is not shown or not known."""
    key: str | None = None
    """The key that does it: the key resource's address or its ARN, id or name as the configuration names it;
    a provider key's alias (``aws/s3``); None when no key is named."""
    key_kind: KeyKind | None = None
    """``customer`` or ``provider``; None when not known."""
    key_location: Location | None = None
    """Where the key lives (the KMS key's region, the Key Vault's location); None when not placed."""
    how: tuple[str, ...] = ()
    """The steps that decided it, first to last (``aws_s3_bucket_server_side_encryption_configuration.b
    rule.apply_server_side_encryption_by_default.kms_master_key_id -> aws_kms_key.k``)."""
    multi_region: bool = False
    """True for a multi-Region key (or a replica of one): copies of the key may be held in other regions."""
    copies: tuple[CopyKey, ...] = ()
    """Keys that copies of the resource which are not resources of their own land under (a Secrets Manager
    replica's ``kms_key_id``, a DynamoDB replica's ``kms_key_arn``)."""


@dataclass(frozen=True)
class CopyKey:
    """The key a copy of a resource, in one region, is encrypted under."""

    region: str | None
    """The region the copy is in; None when not known (then it may be any copy's)."""
    encryption: Encryption


@dataclass(frozen=True)
class Resource:
    """One hosted thing: a bucket, a database, a cluster, a vault."""

    id: str
    """Unique within an inventory: the native address."""
    type: str
    """Native type, e.g. ``aws_s3_bucket`` or ``Microsoft.Storage/storageAccounts``."""
    location: Location
    """Where the resource itself is hosted."""
    classification: Classification
    """Whether it is DWP, and why."""
    source: SourceRef
    """Where it was declared or observed."""
    holds_data: bool = True
    """False for global control-plane objects (IAM, DNS zones) that hold configuration, not DWP information."""
    deployed_to: str | None = None
    """The cloud whose account, subscription or project holds the resource (``aws``, ``azure``, ``gcp``), so
    that cloud's guardrails govern it; None for objects of a platform on top of a cloud (Kubernetes
    workloads), even when their location is a cloud region."""
    part: str | None = None
    """When the resource is one part of a larger object (``container api``, the image a workload's container runs):
    which part. ``id`` stays unique; findings name the object (``object_id``) and the part."""
    placement_judged: bool = True
    """False when the input cannot say where the resource runs and the coverage record says so (a
    Kubernetes workload scanned without ``--cluster-region``): no hosting or unknown finding then."""
    account: str | None = None
    """The AWS account (Azure subscription, GCP project) that holds the resource when the input says so (live
    inputs always), so a guardrail that governs some accounts only is judged against the right ones."""
    encryption: Encryption | None = None
    """How its data is encrypted at rest and who holds the key; None for types that hold no data at rest
    (networks, keys, roles) and for results written before the fact existed."""


    @property
    def object_id(self) -> str:
        """The object a finding names: the resource itself, or the object it is a part of."""
        return self.source.address if self.part else self.id

    @property
    def label(self) -> str:
        """How messages name the resource: ``Deployment/claims/api (container api)`` for a part."""
        return f"{self.object_id} ({self.part})" if self.part else self.id


@dataclass(frozen=True)
class Flow:
    """Data leaving a resource for another place: a replica, a backup copy, an edge cache, an export."""

    resource_id: str
    """The resource whose data flows."""
    kind: FlowKind
    """How the data moves."""
    target: Location
    """Where the data lands."""
    description: str
    """What the flow is, in words: ``S3 replication rule 'all' to aws_s3_bucket.replica``."""
    source: SourceRef
    """Where the flow was declared (often a separate resource, e.g. a replication configuration)."""
    target_id: str | None = None
    """The receiving resource, when it is one the inventory knows."""

    @property
    def category(self) -> Category:
        """replication, diagnostics or network, from the kind."""
        return self.kind.category


@dataclass(frozen=True)
class Grant:
    """A principal that can reach a resource."""

    resource_id: str
    """The resource reached."""
    principal: str
    """Account id, tenant id, identity ARN, OIDC issuer or external organisation."""
    country: str | None
    """Country of the principal where the estate map knows it, None where not."""
    description: str
    """How access is granted: ``trust policy of aws_iam_role.ops``."""
    source: SourceRef
    """Where the grant was declared."""
    owner: str | None = None
    """Who the principal belongs to, from the estate map or the known-vendor list (``Datadog``)."""
    internal: bool = False
    """True for principals inside the scanned estate (the same account, a role the configuration creates,
    an AWS service): they are listed but never findings."""
    readable: bool = True
    """False when the policy that grants access could not be read: who can reach the resource is unknown."""
    public: bool = False
    """True when anyone can reach it (``Principal: "*"`` that no condition narrows): no country, but certainly
    not the UK only."""

    @property
    def uk(self) -> bool | None:
        """True/False when the principal's country is known (False for anyone at all), None when not."""
        if self.public:
            return False
        return None if self.country is None else self.country == "GB"


class GuardrailKind(StrEnum):
    """The region-deny controls offshore-scan recognises, one per cloud."""

    AWS_SCP_REGION_DENY = "aws-scp-region-deny"
    AZURE_POLICY_ALLOWED_LOCATIONS = "azure-policy-allowed-locations"

    @property
    def cloud(self) -> str:
        """The cloud whose new resources the control keeps in place."""
        return {"aws-scp-region-deny": "aws", "azure-policy-allowed-locations": "azure"}[self.value]


@dataclass(frozen=True)
class Guardrail:
    """A control that keeps resources out of non-UK regions, reported as a fact."""

    kind: GuardrailKind
    """Which control it is (an AWS SCP, an Azure Policy assignment)."""
    description: str
    """What it allows: ``SCP denies every region but eu-west-2 (global services exempt)``."""
    regions: tuple[str, ...]
    """The regions it allows."""
    source: SourceRef
    """Where it is declared."""
    uk_only: bool
    """True when every allowed region is in the UK."""
    accounts: tuple[str, ...] | None = None
    """The accounts it governs, when the input shows the organisation's structure (a live ``--org`` scan: the
    accounts under the targets it is attached to); None when it governs the whole estate as far as the input says."""
    read: bool = True
    """False when the input could not show the controls at all (a live scan without ``--org`` reads no SCP): the
    description says why, and whether a guardrail holds is unknown, never a fail."""


@dataclass(frozen=True)
class CoverageGap:
    """Something the scan could not read or decide; any gap makes the scan incomplete."""

    path: str
    """The file, directory or API scope concerned."""
    line: int | None
    """1-based line where the problem is, if known."""
    reason: str
    """One sentence saying what went wrong and what to do."""
    kind: str = "error"
    """``error`` (unreadable or unparsable input), ``skipped`` (not scanned: e.g. a module not on disk), or
    ``note`` (read, but something could not be judged; does not make the scan incomplete)."""

    @property
    def incomplete(self) -> bool:
        """Whether this gap makes the scan incomplete (exit code 2)."""
        return self.kind != "note"


class ScopeStatus(StrEnum):
    """What became of one (account, region, service) of a live scan."""

    SCANNED = "scanned"
    DENIED = "denied"
    DISABLED = "disabled"
    THROTTLED = "throttled"
    FAILED = "failed"

    @property
    def incomplete(self) -> bool:
        """Whether the scope leaves the scan incomplete: a region that is not enabled holds nothing to miss."""
        return self not in (ScopeStatus.SCANNED, ScopeStatus.DISABLED)


@dataclass(frozen=True)
class ScopeCoverage:
    """One (account, region, service) of a live scan, so what was and was not read is data, not silence."""

    account: str
    """The AWS account id (or subscription, project) scanned."""
    region: str
    """The region, or ``global`` for a service with one endpoint (IAM, Organizations, CloudFront)."""
    service: str
    """The API's service name (``s3``, ``kms``, ``resourcegroupstaggingapi``)."""
    status: ScopeStatus
    """Scanned, or why not wholly: denied, disabled (region not enabled), throttled, failed."""
    calls: int = 0
    """API calls made for this scope (including the ones that failed)."""
    detail: str | None = None
    """The first errors met, in words (``GetBucketPolicy: AccessDenied``); None when scanned."""


@dataclass(frozen=True)
class Shard:
    """One share of an audit split across processes (``--shard K/N``)."""

    index: int
    """K, from 0 to ``count - 1``."""
    count: int
    """N, the number of shards the audit is split into."""
    accounts: tuple[str, ...]
    """The audit's accounts this shard was given (sorted): those whose position in the organisation's sorted
    account list, modulo ``count``, is ``index``."""


@dataclass(frozen=True)
class Audit:
    """The accounts a live audit covers as a whole, so a merge can tell whether its parts add up to it."""

    organisation: str | None
    """The AWS Organization's id (``o-...``) for ``--org``; None for an account list (``--account-file``)."""
    accounts: tuple[str, ...]
    """Every account the whole audit covers (sorted), after ``--account`` and ``--exclude-account``."""
    shard: Shard | None = None
    """This result's share when the audit is sharded; None for a whole audit (or a merged one)."""
    regions: tuple[str, ...] | None = None
    """The regions scanned (``--region``, sorted); None for every enabled region of each account."""
    settings: str = ""
    """A hash of the configuration that decides what the scan judges (who is DWP, the estate map, endpoints):
    shards judged under different settings do not add up to one audit."""

    @property
    def label(self) -> str:
        """``organisation o-abc`` or ``account list``, for messages."""
        return f"organisation {self.organisation}" if self.organisation else "account list"


@dataclass(frozen=True)
class Inventory:
    """Everything one scan learnt, whatever the input; inventories from several inputs merge."""

    resources: tuple[Resource, ...] = ()
    """Hosted things, with their locations."""
    flows: tuple[Flow, ...] = ()
    """Data movements out of resources."""
    grants: tuple[Grant, ...] = ()
    """Who can reach resources."""
    coverage: tuple[CoverageGap, ...] = ()
    """What could not be scanned."""
    scanned: tuple[str, ...] = ()
    """Inputs that were read (files or scopes), for the report's header."""
    guardrails: tuple[Guardrail, ...] = ()
    """Region-deny controls found (SCPs, Azure Policy assignments)."""
    scopes: tuple[ScopeCoverage, ...] = ()
    """Live scans: every (account, region, service) and what became of it; empty for static inputs."""
    audit: Audit | None = None
    """Live scans of an organisation or an account list: the accounts the audit covers and this result's share;
    None for static inputs and single-account scans."""

    @property
    def clouds(self) -> tuple[str, ...]:
        """Clouds the scanned resources are deployed to (``aws``, ``azure``, ``gcp``), for the guardrail check."""
        return tuple(sorted({r.deployed_to for r in self.resources if r.deployed_to is not None}))

    def merge(self, other: Inventory) -> Inventory:
        """Both inventories together; neither is changed."""
        return Inventory(
            resources=self.resources + other.resources,
            flows=self.flows + other.flows,
            grants=self.grants + other.grants,
            coverage=self.coverage + other.coverage,
            scanned=self.scanned + other.scanned,
            guardrails=self.guardrails + other.guardrails,
            scopes=self.scopes + other.scopes,
            audit=self.audit or other.audit,
        )

    def resource(self, resource_id: str) -> Resource | None:
        """The resource with this id, if the inventory has it."""
        return self._by_id.get(resource_id)

    @cached_property
    def _by_id(self) -> dict[str, Resource]:
        # cached_property writes to the instance __dict__ directly, which a frozen dataclass allows.
        return {r.id: r for r in self.resources}


def merge_all(inventories: Iterable[Inventory]) -> Inventory:
    """One inventory holding all of them."""
    merged = Inventory()
    for inventory in inventories:
        merged = merged.merge(inventory)
    return merged


@dataclass(frozen=True)
class Waiver:
    """DWP's approval of one finding's offshoring: the finding is reported, with this, and no longer fails."""

    approval: str
    """The DWP approval reference (``DWP-OFF-2026-014``)."""
    approver: str
    """Who approved it (``DWP Security and Resilience``)."""
    reason: str
    """Why, in the approver's words."""
    expires: str
    """ISO date after which the waiver stops applying."""
    source: str
    """Where the waiver is written: ``offshore-waivers.yaml#3``, ``main.tf:12``."""


@dataclass(frozen=True)
class Finding:
    """One thing a contractor must answer for: a DWP resource offshore, or one that could not be placed."""

    rule_id: str
    """The policy that produced it, e.g. ``OFS-HOST-001``."""
    category: Category
    """hosting, replication, diagnostics, access or network."""
    outcome: Outcome
    """``fail`` (offshore) or ``unknown`` (could not be established)."""
    severity: Severity
    """How bad it is, from the policy and the resource's marking."""
    resource: Resource
    """The DWP resource concerned."""
    message: str
    """One sentence: what is where, and why that matters."""
    location: Location
    """The location judged: the resource's own, or a flow's target."""
    questionnaire: tuple[str, ...] = ()
    """Appendix A sections this finding feeds (``2.1``, ``2.2``)."""
    remediation: str = ""
    """What to change so the finding goes away (or the approval to seek)."""
    target: Location | None = None
    """For flows: where the data goes (same as ``location``); None for hosting findings."""
    source: SourceRef | None = None
    """Where the offending declaration is, when it is not the resource's own block."""
    evidence: tuple[str, ...] = field(default=())
    """Extra facts for the questionnaire (the flow's description, the tag that made it DWP)."""
    judged: str = ""
    """What was judged besides the location: a flow's kind and receiving resource, an access path's principal."""
    waiver: Waiver | None = None
    """DWP's recorded approval, when a waiver applies (the finding no longer fails the scan)."""

    @property
    def fingerprint(self) -> str:
        """The finding's identity, for baselines and waivers: the rule, the DWP resource, the resource that
        declares what was judged, the place judged and what was judged there. Never the message, a line
        number or a file's order, so rewording a description or moving a block keeps every waiver."""
        place = self.target or self.location
        key = "|".join((self.rule_id, self.resource.id, self.declared_by, place.cloud, str(place.region),
                        self.judged))
        # surrogatepass: a lone surrogate (an undecodable file name, a JSON escape) must not stop the judging.
        return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]

    @property
    def where(self) -> SourceRef:
        """The declaration to point the user at."""
        return self.source or self.resource.source

    @property
    def declared_by(self) -> str:
        """The resource or object whose configuration creates what was judged: the replication configuration,
        the diagnostic setting, the peering, the policy, the ConfigMap; the resource itself for hosting."""
        return self.where.address
