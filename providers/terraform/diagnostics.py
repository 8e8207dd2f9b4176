"""Diagnostics: where logs, metrics, traces and alerts about a resource are sent.

Two hooks, both used by ``normalise``:
- ``TARGETS``: target resolvers the resource map (``resource_map/diagnostics.yaml``) may name, for
  values such as a vendor URL or a Datadog site;
- ``extra_flows``: flows that a path in the map cannot express (environment variables of a Lambda
  function or an ECS task definition, vendor provider blocks).
"""

from __future__ import annotations

from collections.abc import Iterator

from providers.terraform.context import NormaliseContext
from providers.terraform.targets import TargetResolver
from providers.terraform.values import TerraformResource
from scanner.model import Flow

TARGETS: dict[str, TargetResolver] = {}
"""Target resolvers for diagnostics destinations, by the name the resource map uses."""


def extra_flows(context: NormaliseContext, record: TerraformResource) -> Iterator[Flow]:
    """Diagnostics flows of one record beyond what the resource map declares."""
    return iter(())
