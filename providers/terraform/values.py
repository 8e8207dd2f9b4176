"""Values the Terraform adapters produce: plain JSON-like data, plus one marker for what is not known.

Both the HCL and the plan adapters reduce a resource to ``TerraformResource`` (address, type,
values, provider context, source), so the resource map and everything after it are written once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from scanner.model import SourceRef


@dataclass(frozen=True)
class Unknown:
    """A value the scanner cannot know statically; never treated as a pass."""

    reason: str
    """What is missing, in words a user can act on: ``var.dr_region has no value``."""
    ref: str | None = None
    """When the value is another resource's computed attribute: that resource's address."""
    attribute: str | None = None
    """The computed attribute of ``ref`` (``arn``, ``id``)."""

    def __bool__(self) -> bool:
        # An unknown must never pass as "set and truthy" or "unset and falsy" by accident.
        raise TypeError("truth value of an unknown Terraform value")


class ResourceObject(dict[str, Any]):
    """A whole resource instance used as a value (``for_each = aws_iam_role.support``).

    Holds the attributes its configuration sets; an attribute it does not set is computed by the
    provider, so reading one gives an ``Unknown`` that still names the instance.
    """

    def __init__(self, address: str, attributes: dict[str, Any]) -> None:
        super().__init__(attributes)
        self.address = address

    def missing(self, attribute: str) -> Unknown:
        """The value of an attribute the configuration does not set."""
        return Unknown(f"{self.address}.{attribute} is known only after apply", ref=self.address, attribute=attribute)


def first_unknown(value: Any) -> Unknown | None:
    """The first unknown anywhere inside a value, depth first."""
    if isinstance(value, Unknown):
        return value
    if isinstance(value, Mapping):
        for item in value.values():
            found = first_unknown(item)
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for item in value:
            found = first_unknown(item)
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


PROVIDER_SETTINGS = ("zone", "project", "api_url", "base_url", "url", "custom_app_url")
"""Provider settings besides ``region`` that normalisers read: Google's zone and project, and the site
URLs of vendor providers (Datadog and SignalFx ``api_url``, Sentry ``base_url``). Each is present in
``ProviderContext.extra``, as ``Resolved(None)`` when the block leaves it unset."""


@dataclass(frozen=True)
class ProviderContext:
    """The provider configuration a resource was created through."""

    key: str
    """``aws``, ``aws.dr``, or ``module.net:aws.dr`` in the plan's notation."""
    region: Resolved = field(default_factory=lambda: Resolved(None))
    """The provider's ``region`` (AWS, Google); None when the provider sets none."""
    default_tags: Mapping[str, Any] = field(default_factory=dict)
    """AWS ``default_tags { tags = ... }``; may be ``Unknown``."""
    extra: Mapping[str, Resolved] = field(default_factory=dict)
    """The ``PROVIDER_SETTINGS`` of the provider block; empty when no block configures the provider."""


@dataclass(frozen=True)
class TerraformResource:
    """One resource (or data source) instance, whichever Terraform input it came from."""

    address: str
    """``aws_s3_bucket.b``, ``module.dr.aws_s3_bucket.b``, ``aws_s3_bucket.b[0]`` in plans."""
    type: str
    """Resource type, e.g. ``aws_s3_bucket``."""
    values: Mapping[str, Any]
    """Attributes and nested blocks (blocks as lists of dicts, as in plan JSON); ``Unknown`` where unknown."""
    provider: ProviderContext
    """The provider configuration in effect."""
    source: SourceRef
    """File and line (HCL) or plan file (plans)."""
    provenance: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Per top-level attribute, how its value was resolved (variables, locals) when it was not a literal."""
    module_path: str = ""
    """``module.a.module.b`` or empty for the root module; references resolve within it."""
    lines: Mapping[str, int] = field(default_factory=dict)
    """Line of each attribute and nested block by dotted path (``environment.variables``), HCL only."""
    mode: str = "managed"
    """``managed`` for resources, ``data`` for data sources (kept for what they say, e.g. policy documents)."""
