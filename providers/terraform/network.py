"""Network paths: peerings and interconnects that connect a DWP network to another place.

Hooks used by ``normalise``: ``TARGETS`` (resolvers ``resource_map/network.yaml`` may name) and
``extra_flows`` (paths a map entry cannot express).
"""

from __future__ import annotations

from collections.abc import Iterator

from providers.terraform.context import NormaliseContext
from providers.terraform.targets import TargetResolver
from providers.terraform.values import TerraformResource
from scanner.model import Flow

TARGETS: dict[str, TargetResolver] = {}
"""Target resolvers for network far ends, by the name the resource map uses."""


def extra_flows(context: NormaliseContext, record: TerraformResource) -> Iterator[Flow]:
    """Network flows of one record beyond what the resource map declares."""
    return iter(())
