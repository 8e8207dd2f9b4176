"""Values the HCL evaluator produces beyond plain JSON-like data and ``Unknown``."""

from __future__ import annotations

from typing import Any

from providers.semantics.records import Unknown


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
