"""The api-version to read a resource of any ARM type by id with: ARM needs one per type, and the resource
provider says which it serves (``GET /subscriptions/{s}/providers/{namespace}``, ``providers.get``).

The collectors' own types have theirs in ``collectors.API_VERSIONS``; any other type's is asked of its
provider once per (subscription, namespace) and kept: the newest stable version, else the newest preview. A
provider that lists no version for the type lends its parent type's (``a/b`` for ``a/b/c``), else the newest of
any of its types, and a note says so; a provider with no type at all, or a lookup that fails (404 included: the
provider should exist, since the listing holds its resource), is a ``Failed``, never a silent skip.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from providers.azure.calls import GLOBAL, Calls
from providers.live.failed import Failed
from scanner.model import CoverageGap, ScopeStatus

_PROVIDER = "Microsoft.Resources"
_OPERATION = "providers.get"


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
        self._lent: dict[tuple[str, str], str | Failed] = {}
        self._notes: list[CoverageGap] = []

    def of(self, subscription: str, arm_type: str) -> str | Failed | None:
        """The api-version for ``arm_type`` (``Microsoft.Web/sites``): the one its provider lists, else one it
        lends (``notes`` says which); ``Failed`` when its provider could not be read or lists no version."""
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
                    answer = self.calls.read(subscription, _PROVIDER, f"{_OPERATION}({namespace})",
                                             lambda: client.providers.get(namespace), absent=())
                    served = answer if isinstance(answer, Failed) else versions_served(answer)
                    with self._lock:
                        self._providers[key] = served
        if isinstance(served, Failed):
            return served
        return served.get(rest.lower()) or self._lend(subscription, namespace, rest, served)

    def notes(self) -> list[CoverageGap]:
        """One note per (subscription, type) read with a version its provider lent from another type."""
        with self._lock:
            return list(self._notes)

    def _lend(self, subscription: str, namespace: str, rest: str, served: Mapping[str, str]) -> str | Failed:
        """The version of the type's parent, else the newest of the namespace, for a type its provider does not
        list; ``Failed`` (a gap) when the provider lists no type at all."""
        key = (subscription, f"{namespace}/{rest}".lower())
        with self._lock:
            if key in self._lent:
                return self._lent[key]
        parts = rest.lower().split("/")
        parents = ["/".join(parts[:n]) for n in range(len(parts) - 1, 0, -1)]
        lender = next((p for p in parents if p in served), None)
        if lender is None and served:
            lender = max(served, key=lambda t: (("preview" not in served[t].lower()), served[t]))
        lent: str | Failed
        if lender is None:
            detail = (f"{namespace} lists no api-version for {namespace}/{rest} (nor for any other of its types): "
                      "its resources' bodies were not read")
            operation = f"{_OPERATION}({namespace})"
            self.calls.recorder.problem(subscription, GLOBAL, _PROVIDER, ScopeStatus.FAILED, f"{operation}: {detail}")
            lent = Failed(_PROVIDER, operation, ScopeStatus.FAILED, detail)
        else:
            lent = served[lender]
            note = CoverageGap(f"{subscription}/global", None, f"{namespace} lists no api-version for "
                               f"{namespace}/{rest} (providers.get): its resources were read with {lent}, the "
                               f"version of {namespace}/{lender}{' (its parent type)' if lender in parents else ''};"
                               " an answer of another version's shape may leave settings out", kind="note")
        with self._lock:
            self._lent.setdefault(key, lent)
            if not isinstance(lent, Failed) and self._lent[key] is lent:
                self._notes.append(note)
            return self._lent[key]


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
