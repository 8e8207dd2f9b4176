"""The api-version to read a resource of any ARM type by id with: ARM needs one per type, and the resource
provider says which it serves (``GET /subscriptions/{s}/providers/{namespace}``, ``providers.get``).

The collectors' own types have theirs in ``collectors.API_VERSIONS``; any other type's is asked of its
provider once per (subscription, namespace) and kept: the newest stable version, else the newest preview.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from providers.azure.calls import Calls
from providers.live.failed import Failed


class ApiVersions:
    """Per scan: the api-version of each ARM type, asked of its provider once."""

    def __init__(self, calls: Calls, known: Mapping[str, str]) -> None:
        self.calls = calls
        self.known = {k.lower(): v for k, v in known.items()}
        self._lock = threading.Lock()
        self._providers: dict[tuple[str, str], dict[str, str] | Failed] = {}
        # One lock per provider: workers asking for the same provider wait for one answer (the request count a
        # benchmark prints is then the same on every run); different providers are still asked in parallel.
        self._asking: dict[tuple[str, str], threading.Lock] = {}

    def of(self, subscription: str, arm_type: str) -> str | Failed | None:
        """The api-version for ``arm_type`` (``Microsoft.Web/sites``), ``Failed`` when its provider could not
        be read, None when the provider does not serve the type."""
        if arm_type.lower() in self.known:
            return self.known[arm_type.lower()]
        namespace, _, rest = arm_type.partition("/")
        key = (subscription, namespace.lower())
        with self._lock:
            served = self._providers.get(key)
            asking = self._asking.setdefault(key, threading.Lock())
        if served is None:
            with asking:
                with self._lock:
                    served = self._providers.get(key)
                if served is None:
                    client = self.calls.clients.get("resources", subscription)
                    answer = self.calls.read(subscription, "Microsoft.Resources", "providers.get",
                                             lambda: client.providers.get(namespace))
                    served = answer if isinstance(answer, Failed) else versions_served(answer)
                    with self._lock:
                        self._providers[key] = served
        return served if isinstance(served, Failed) else served.get(rest.lower())


def versions_served(provider: Any) -> dict[str, str]:
    """Resource type (lower case, without the namespace) -> the api-version to read it with; pure."""
    if not isinstance(provider, Mapping):
        return {}
    served: dict[str, str] = {}
    for entry in provider.get("resourceTypes") or []:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("resourceType"), str):
            continue
        versions = sorted((v for v in entry.get("apiVersions") or [] if isinstance(v, str)), reverse=True)
        stable = [v for v in versions if "preview" not in v.lower()]
        if stable or versions:
            served[entry["resourceType"].lower()] = (stable or versions)[0]
    return served
