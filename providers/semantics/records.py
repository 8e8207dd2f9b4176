"""Records: one cloud resource in the shared vocabulary, whichever input it came from.

The vocabulary is the Terraform provider schema: types in Terraform's naming (``aws_s3_bucket``,
``azurerm_storage_account``), values in the schema's shape (nested blocks as lists of dicts, as in
plan JSON). HCL and plans already speak it; a live adapter translates API responses into it. Every
rule about what a resource means reads records, so each rule is written once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from scanner.model import SourceRef


@dataclass(frozen=True)
class Unknown:
    """A value the scanner cannot know; never treated as a pass."""

    reason: str
    """What is missing, in words a user can act on: ``var.dr_region has no value``."""
    ref: str | None = None
    """When the value is another resource's computed attribute: that resource's address."""
    attribute: str | None = None
    """The computed attribute of ``ref`` (``arn``, ``id``)."""
    exact: bool = True
    """False when the value is built from ``ref``'s attribute rather than being it (``"${arn}/*"``,
    ``"${var.name}-${random_id.suffix.hex}"``): it still points at ``ref``, but an attribute set to it
    belongs to the resource that sets it."""

    def __bool__(self) -> bool:
        # An unknown must never pass as "set and truthy" or "unset and falsy" by accident.
        raise TypeError("truth value of an unknown value")


def first_unknown(value: Any, kind: type[Unknown] = Unknown) -> Unknown | None:
    """The first unknown (of ``kind``, when a subclass is asked for) anywhere inside a value, depth first."""
    if isinstance(value, kind):
        return value
    if isinstance(value, Mapping):
        for item in value.values():
            found = first_unknown(item, kind)
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for item in value:
            found = first_unknown(item, kind)
            if found is not None:
                return found
    return None


@dataclass(frozen=True)
class Resolved:
    """A value with the chain of steps that produced it (for a location's provenance)."""

    value: Any
    """The value, or ``Unknown``."""
    provenance: tuple[str, ...] = ()
    """Steps, first to last: ``provider aws.dr (main.tf:3)``, ``var.dr_region = "us-east-1" (default)``."""


PLACEMENT_SETTINGS = ("zone", "project", "api_url", "base_url", "url", "custom_app_url")
"""Settings besides ``region`` that the shared rules read from a record's placement: Google's zone and
project, and the site URLs of vendor providers (Datadog and SignalFx ``api_url``, Sentry ``base_url``).
Each is present in ``Placement.extra``, as ``Resolved(None)`` when the configuration leaves it unset."""


@dataclass(frozen=True)
class Placement:
    """Where a record was created: what a Terraform provider block says, or the account and region an
    API call was made in."""

    key: str
    """Who placed it: ``aws``, ``aws.dr`` or ``module.net:aws.dr`` (Terraform providers), ``aws 111122223333
    eu-west-2`` (live)."""
    region: Resolved = field(default_factory=lambda: Resolved(None))
    """The region (AWS, Google); None when nothing sets one."""
    default_tags: Mapping[str, Any] = field(default_factory=dict)
    """Tags applied to every resource created here (AWS provider ``default_tags``); may be ``Unknown``."""
    extra: Mapping[str, Resolved] = field(default_factory=dict)
    """The ``PLACEMENT_SETTINGS``; empty when nothing configures them (no provider block)."""
    account: str | None = None
    """The AWS account, Azure subscription or GCP project the record is in, when the input says so (live
    inputs always); a config's ``dwp.accounts``/``subscriptions``/``projects`` match it."""
    own_accounts: tuple[Any, ...] = ()
    """Accounts, subscriptions and tenants the configuration says it deploys to or as (AWS
    ``allowed_account_ids``, the account of ``assume_role.role_arn``, azurerm ``subscription_id`` and
    ``tenant_id``): ids, or ``Unknown``s naming the input that would give them."""


@dataclass(frozen=True)
class ResourceRecord:
    """One resource (or data source) instance in the shared vocabulary."""

    address: str
    """Unique within one input: ``aws_s3_bucket.b``, ``module.dr.aws_s3_bucket.b``, ``aws_s3_bucket.b[0]`` in
    plans, the ARN or resource id for live inputs."""
    type: str
    """Resource type in Terraform's naming, e.g. ``aws_s3_bucket``."""
    values: Mapping[str, Any]
    """Attributes and nested blocks (blocks as lists of dicts, as in plan JSON); ``Unknown`` where unknown."""
    placement: Placement
    """The provider configuration, or the account and region, in effect."""
    source: SourceRef
    """File and line (HCL), plan file (plans), or account/region and ARN (live)."""
    provenance: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Per top-level attribute, how its value was resolved (variables, locals) when it was not a literal."""
    module_path: str = ""
    """``module.a.module.b`` or empty for the root module; references resolve within it (Terraform only)."""
    lines: Mapping[str, int] = field(default_factory=dict)
    """Line of each attribute and nested block by dotted path (``environment.variables``), HCL only."""
    mode: str = "managed"
    """``managed`` for resources, ``data`` for data sources (kept for what they say, e.g. policy documents)."""
    stand_in: bool = False
    """True for what a failed read would have shown (the region's workgroups when they could not be listed, the
    copies of a snapshot in a region whose snapshots could not be read): its unknown values and flows reach the
    DWP resources they concern, but it is no resource of its own. It is never judged for hosting or location,
    holds no data, and is never a subject of another setting's flows (Config, CloudTrail, metric streams)."""
