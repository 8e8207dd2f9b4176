"""Options of the live Azure scan (``offshore-scan azure``); no azure SDK here, so ``--help`` stays fast."""

from __future__ import annotations

import re
from dataclasses import dataclass

from providers.interface import OptionError
from providers.live.answers import DEFAULT_TIMEOUT

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
ENDPOINT_VARIABLE = "AZURE_ARM_ENDPOINT"
"""Environment variable naming another ARM endpoint (``--arm-endpoint``)."""
TOKEN_VARIABLE = "OFFSHORE_SCAN_AZURE_TOKEN"
"""Environment variable holding a static bearer token, used only with another ARM endpoint."""


@dataclass(frozen=True)
class AzureOptions:
    """What to scan, and how to reach Azure Resource Manager."""

    subscriptions: tuple[str, ...] = ()
    """Only these subscriptions (``--subscription``); empty for every one the credentials can read."""
    all_subscriptions: bool = False
    """Every subscription the credentials can read (``--all-subscriptions``; the default without ``--subscription``)."""
    tenant: str | None = None
    """The Entra tenant to sign in to and scan (``--tenant``); None for the credential's own."""
    management_group: str | None = None
    """Every subscription under this management group (``--management-group``)."""
    max_workers: int = 8
    """Concurrent ARM calls per subscription (``--max-workers``)."""
    arm_endpoint: str | None = None
    """Another ARM endpoint (``--arm-endpoint``, ``AZURE_ARM_ENDPOINT``): a local replay, a sovereign cloud."""
    token: str | None = None
    """A static bearer token (``OFFSHORE_SCAN_AZURE_TOKEN``), honoured only with ``arm_endpoint``."""
    resource_group_tags: bool = False
    """A resource group's tags count for the resources in it (the config's ``dwp.resource_group_tags``)."""
    timeout: float = DEFAULT_TIMEOUT
    """Seconds one ARM call may take, its retries included (``--timeout``)."""

    @classmethod
    def from_command_line(cls, subscriptions: tuple[str, ...], all_subscriptions: bool, tenant: str | None,
                          management_group: str | None, max_workers: int, arm_endpoint: str | None,
                          token: str | None, resource_group_tags: bool = False,
                          timeout: float = DEFAULT_TIMEOUT) -> AzureOptions:
        """Validated options; ``OptionError`` says what is wrong."""
        if subscriptions and all_subscriptions:
            raise OptionError("give --subscription or --all-subscriptions, not both")
        if management_group and subscriptions:
            raise OptionError("give --subscription or --management-group, not both")
        bad = [s for s in subscriptions if not _GUID.match(s)]
        if bad:
            raise OptionError(f"not an Azure subscription id (a GUID): {', '.join(bad)}")
        if tenant is not None and not _GUID.match(tenant):
            raise OptionError(f"not an Entra tenant id (a GUID): {tenant}")
        endpoint = arm_endpoint.rstrip("/") if arm_endpoint else None
        if endpoint is not None and not endpoint.startswith(("http://", "https://")):
            raise OptionError(f"--arm-endpoint {arm_endpoint}: not an http(s) URL")
        return cls(tuple(s.lower() for s in subscriptions), all_subscriptions, tenant, management_group, max_workers,
                   endpoint, token if endpoint is not None and token else None, resource_group_tags, timeout)
