"""Guardrails: controls that keep new resources in UK regions (SCPs, Azure Policy), reported as facts.

Hook used by ``normalise``: ``guardrails`` recognises a region-deny control in one record.
"""

from __future__ import annotations

from collections.abc import Iterator

from providers.terraform.context import NormaliseContext
from providers.terraform.values import TerraformResource
from scanner.model import Guardrail


def guardrails(context: NormaliseContext, record: TerraformResource) -> Iterator[Guardrail]:
    """The region guardrails one record establishes."""
    return iter(())
