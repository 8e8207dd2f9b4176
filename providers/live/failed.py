"""A call that gave no answer, as a value: never the same as "nothing configured"."""

from __future__ import annotations

from dataclasses import dataclass

from providers.semantics.records import Unknown
from scanner.model import ScopeStatus


@dataclass(frozen=True)
class Failed:
    """A call that gave no answer: never the same as "nothing configured"."""

    service: str
    """The API's service (``s3``) or resource provider (``Microsoft.Storage``)."""
    operation: str
    """The operation, as the SDK names it (``GetBucketReplication``, ``storage_accounts.get_properties``)."""
    status: ScopeStatus
    """denied, throttled or failed."""
    detail: str
    """The error code and message."""

    def unknown(self, what: str) -> Unknown:
        """An unknown value for what the call would have said."""
        # "Microsoft.Authorization:..." would read as a secret's `NAME: VALUE` to the report's redaction: the
        # Azure provider is written apart from the operation, AWS's service:Operation as AWS writes it.
        call = f"{self.service} {self.operation}" if "." in self.service else f"{self.service}:{self.operation}"
        return Unknown(f"{what} could not be read: {call} {self.status.value} ({self.detail})")
