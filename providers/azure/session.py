"""Credentials, the read-only guard and the management clients, every one built the same way.

Every client gets the same pipeline additions:

* ``ReadOnlyGuard`` in the ``custom_hook_policy`` slot, after the retry and authentication policies and
  before the transport: a request that is not a GET (nor one of the two read-only POSTs: the Resource Graph
  query, and an App Service app's settings list) raises ``WriteRefused`` before it is sent. It also stops
  the automatic resource-provider registration POST azure-mgmt-core would send on a
  ``MissingSubscriptionRegistration`` answer.
* With ``--arm-endpoint``: ``base_url`` is that endpoint, and with ``OFFSHORE_SCAN_AZURE_TOKEN`` a
  ``StaticBearer`` policy sets the ``Authorization`` header (azure-core's bearer policy refuses plain
  http, which a local replay uses).
* ``AnswerCheck`` in the same slot (``answers.py``): a successful GET whose body is not a JSON object
  raises ``DamagedAnswer``.
* Retries: azure-core's ``RetryPolicy`` (429 and 5xx retried, ``Retry-After`` honoured), the whole call
  (its retries included) bounded by ``--timeout`` (the policy's ``timeout``), and each connection and read
  by the same (the transport's ``connection_timeout``, ``read_timeout``).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from azure.core.pipeline.policies import RetryPolicy, SansIOHTTPPolicy

from providers.azure.answers import AnswerCheck
from providers.azure.options import AzureOptions
from providers.live.errors import CredentialsError, WriteRefused

if TYPE_CHECKING:
    from azure.core.pipeline import PipelineRequest

RESOURCE_GRAPH_QUERY = "/providers/microsoft.resourcegraph/resources"
"""A POST a read-only scan may send: a Resource Graph query (it reads)."""
_APP_SETTINGS = re.compile(r"(?i)^/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\.web/sites/[^/]+"
                           r"(/slots/[^/]+)?/config/appsettings/list$")
"""The other: an App Service app's (or slot's) application settings, which ARM gives only to a POST
(``Microsoft.Web/sites/config/list/action``; it changes nothing). No other ``list`` action is allowed: most
return keys or secrets (``listKeys``)."""
RETRIES = 4
"""Attempts after the first, for 429 and 5xx answers (azure-core waits as ``Retry-After`` says)."""


class RegistrationRefused(WriteRefused):
    """azure-mgmt-core's automatic resource-provider registration (a POST), refused: the provider is not
    registered in the subscription, and offshore-scan never registers one."""


def is_read_only(method: str, url: str) -> bool:
    """Whether offshore-scan may send ``method`` to ``url``."""
    if method.upper() in ("GET", "HEAD"):
        return True
    path = urlsplit(url).path.rstrip("/")
    return method.upper() == "POST" and (path.lower() == RESOURCE_GRAPH_QUERY or _APP_SETTINGS.match(path) is not None)


class ReadOnlyGuard(SansIOHTTPPolicy):  # type: ignore[type-arg]
    """Refuses every request that is not a read, before it is sent."""

    def on_request(self, request: PipelineRequest) -> None:  # type: ignore[type-arg]
        http = request.http_request
        path = urlsplit(http.url).path
        if http.method.upper() == "POST" and path.lower().endswith("/register") and "/providers/" in path.lower():
            namespace = path.rstrip("/").split("/")[-2]
            raise RegistrationRefused(f"resource provider {namespace} is not registered in the subscription; "
                                      "offshore-scan never registers one (register it, or accept the gap)")
        if not is_read_only(http.method, http.url):
            raise WriteRefused(f"offshore-scan is read-only: refused {http.method} {path} before sending it")


MAX_RETRY_AFTER = 30.0
"""Seconds one ``Retry-After`` may make the scan wait: ARM asks for seconds; an answer asking for an hour would hold a
CI job for hours (with every retry), so past this the scope is throttled, said, and the scan goes on."""


class BoundedRetry(RetryPolicy):
    """azure-core's retries (429 and 5xx, ``Retry-After`` honoured), each wait at most ``MAX_RETRY_AFTER``."""

    def get_retry_after(self, response: Any) -> float | None:
        asked = super().get_retry_after(response)
        return None if asked is None else min(asked, MAX_RETRY_AFTER)


class Boundary(SansIOHTTPPolicy):  # type: ignore[type-arg]
    """The one ``custom_hook_policy`` slot holds both: the read-only guard on the way out, the answer check on
    the way back."""

    def __init__(self) -> None:
        self.guard, self.check = ReadOnlyGuard(), AnswerCheck()

    def on_request(self, request: PipelineRequest) -> None:  # type: ignore[type-arg]
        self.guard.on_request(request)

    def on_response(self, request: PipelineRequest, response: Any) -> None:  # type: ignore[type-arg]
        self.check.on_response(request, response)


class StaticBearer(SansIOHTTPPolicy):  # type: ignore[type-arg]
    """An ``authentication_policy`` that sends a fixed bearer token (over http too)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def on_request(self, request: PipelineRequest) -> None:  # type: ignore[type-arg]
        request.http_request.headers["Authorization"] = f"Bearer {self._token}"


class _TenantCredential:
    """A credential that asks every token for one tenant (``--tenant``)."""

    def __init__(self, inner: Any, tenant: str) -> None:
        self.inner, self.tenant = inner, tenant

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        return self.inner.get_token(*scopes, **{**kwargs, "tenant_id": self.tenant})

    def get_token_info(self, *scopes: str, options: Any = None) -> Any:
        return self.inner.get_token_info(*scopes, options={**(options or {}), "tenant_id": self.tenant})


class _NoCredential:
    """Stands in for a credential when a static token authenticates (the clients insist on one)."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        raise CredentialsError("no credential: OFFSHORE_SCAN_AZURE_TOKEN is used instead")


def credential(options: AzureOptions) -> Any:
    """The credential chain (``DefaultAzureCredential``), or nothing when a static token is used."""
    if options.token is not None:
        return _NoCredential()
    import logging

    from azure.identity import DefaultAzureCredential

    # The chain logs its many-line account of every credential it tried; the scan says it in one line instead
    # (providers.azure.calls.no_credentials).
    logging.getLogger("azure.identity").addHandler(logging.NullHandler())
    logging.getLogger("azure.identity").propagate = False

    if options.tenant is None:
        return DefaultAzureCredential()
    return _TenantCredential(DefaultAzureCredential(additionally_allowed_tenants=[options.tenant]), options.tenant)


class AzureClients:
    """One client of each kind per subscription, made once, shared by the worker threads.

    ``factories`` is the registry of client kinds (``resources``, ``storage``...): ``make(kind,
    subscription)`` builds one with the guard, the endpoint and the authentication this scan uses.
    Tests inject a transport (``transport=``) through ``extra``.
    """

    def __init__(self, options: AzureOptions, extra: dict[str, Any] | None = None) -> None:
        from providers.azure import environment

        environment.check()
        self.options = options
        self.credential = credential(options)
        self._extra = dict(extra or {})
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str], Any] = {}

    def settings(self) -> dict[str, Any]:
        """The keyword arguments every management client is built with."""
        timeout = self.options.timeout
        settings: dict[str, Any] = {"custom_hook_policy": Boundary(), "retry_total": RETRIES,
                                    "retry_policy": BoundedRetry(retry_total=RETRIES, timeout=timeout),
                                    "connection_timeout": timeout, "read_timeout": timeout,
                                    "user_agent": "offshore-scan", **self._extra}
        if self.options.arm_endpoint is not None:
            settings["base_url"] = self.options.arm_endpoint
            # A sovereign cloud's ARM issues tokens for its own audience (management.usgovcloudapi.net).
            settings["credential_scopes"] = [f"{self.options.arm_endpoint}/.default"]
        if self.options.token is not None:
            settings["authentication_policy"] = StaticBearer(self.options.token)
        return settings

    def get(self, kind: str, subscription: str = "") -> Any:
        """The client of ``kind`` for ``subscription`` (empty for tenant-wide clients)."""
        key = (kind, subscription)
        with self._lock:
            found = self._clients.get(key)
            if found is None:
                found = CLIENTS[kind](self.credential, subscription, self.settings())
                self._clients[key] = found
        return found


def _subscriptions(credential: Any, subscription: str, settings: dict[str, Any]) -> Any:
    from azure.mgmt.resource.subscriptions import SubscriptionClient

    return SubscriptionClient(credential, **settings)


def _resources(credential: Any, subscription: str, settings: dict[str, Any]) -> Any:
    from azure.mgmt.resource.resources import ResourceManagementClient

    return ResourceManagementClient(credential, subscription or "none", **settings)


def _storage(credential: Any, subscription: str, settings: dict[str, Any]) -> Any:
    from azure.mgmt.storage import StorageManagementClient

    return StorageManagementClient(credential, subscription, **settings)


def _authorization(credential: Any, subscription: str, settings: dict[str, Any]) -> Any:
    from azure.mgmt.authorization import AuthorizationManagementClient

    return AuthorizationManagementClient(credential, subscription, **settings)


def _policy(credential: Any, subscription: str, settings: dict[str, Any]) -> Any:
    from azure.mgmt.resource.policy import PolicyClient

    return PolicyClient(credential, subscription, **settings)


CLIENTS: dict[str, Callable[[Any, str, dict[str, Any]], Any]] = {
    "subscriptions": _subscriptions,
    "resources": _resources,
    "storage": _storage,
    "authorization": _authorization,
    "policy": _policy,
}
"""Every kind of management client the scan uses (each one's package is imported only when it is made)."""
