"""ARM calls: each one counted against its (subscription, resource provider) scope, each failure a value.

``Calls.read`` runs one SDK call and returns its answer in ARM's JSON shape, ``None`` when ARM answers
404 (nothing there), or a ``Failed`` saying why the answer is missing: 401/403 denied, 429 throttled
(after azure-core's retries, which honour ``Retry-After``), anything else failed. Collectors turn a
``Failed`` into ``Unknown`` values or coverage, so a denied call can never read as a clean answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from providers.azure.answers import EndlessPages, pages, resource_problem
from providers.azure.session import CredentialsError, RegistrationRefused, WriteRefused
from providers.live.answers import DEFAULT_TIMEOUT, MAX_PAGES, SCOPE_BUDGET, DamagedAnswer
from providers.live.coverage import Recorder
from providers.live.failed import Failed
from scanner.model import ScopeStatus

TENANT = "tenant"
"""The scope ``account`` of calls that belong to no subscription (listing subscriptions, management groups)."""
GLOBAL = "global"
"""ARM is one global endpoint: every scope's ``region``."""

Answer = Any
"""ARM JSON (a dict, or a list of dicts for a listing), ``None`` for 404, or ``Failed``."""


def arm_json(model: Any) -> Any:
    """An SDK model as ARM's JSON (camelCase keys, ``properties`` nested), whatever the SDK generation."""
    if isinstance(model, Mapping):
        # TypeSpec-generated models are mappings over the JSON they were read from.
        as_dict = getattr(model, "as_dict", None)
        return as_dict() if callable(as_dict) else dict(model)
    serialize = getattr(model, "serialize", None)
    if callable(serialize):
        return serialize(keep_readonly=True)
    raise TypeError(f"not an SDK model: {type(model).__name__}")


def status_of_http(code: int | None) -> ScopeStatus:
    """The scope status an HTTP answer means."""
    if code in (401, 403):
        return ScopeStatus.DENIED
    if code == 429:
        return ScopeStatus.THROTTLED
    return ScopeStatus.FAILED


class Calls:
    """Runs ARM calls for the collectors, recording each against its scope.

    Every answer has passed ``answers.AnswerCheck`` in the pipeline; a resource answered by id must name
    itself, and a listing is bounded (``answers.pages``, ``MAX_PAGES``). A scope (subscription, resource
    provider) has a deadline: once one of its calls has gone unanswered past ``--timeout`` (azure-core's
    retry ``timeout``), or its calls have waited ``SCOPE_BUDGET`` times ``--timeout`` in all, its remaining
    calls are not made, each a ``Failed`` naming it.
    """

    def __init__(self, clients: Any, recorder: Recorder) -> None:
        self.clients = clients
        self.recorder = recorder
        options = getattr(clients, "options", None)
        self.timeout = float(getattr(options, "timeout", DEFAULT_TIMEOUT))

    def _closed(self, subscription: str, provider: str, operation: str) -> Failed | None:
        why = self.recorder.closed(subscription, GLOBAL, provider)
        if why is None and self.recorder.spent(subscription, GLOBAL, provider) > SCOPE_BUDGET * self.timeout:
            why = f"the scope's calls waited over {SCOPE_BUDGET * self.timeout:g} s in all ({SCOPE_BUDGET} x --timeout)"
            self.recorder.close(subscription, GLOBAL, provider, why)
        return None if why is None else self._failed(subscription, provider, operation, ScopeStatus.FAILED,
                                                     f"not called: {why}")

    def read(self, subscription: str, provider: str, operation: str, call: Callable[[], Any],
             absent: tuple[int, ...] = (404,)) -> Answer:
        """One call (a listing is read to its last page); its answer as ARM JSON, ``None`` when ARM answers
        one of the ``absent`` statuses (nothing there), or ``Failed``."""
        if (closed := self._closed(subscription, provider, operation)) is not None:
            return closed
        self.recorder.count(subscription, GLOBAL, provider)
        started = time.monotonic()
        try:
            return self._read(subscription, provider, operation, call, absent)
        finally:
            self.recorder.spend(subscription, GLOBAL, provider, time.monotonic() - started)

    def _read(self, subscription: str, provider: str, operation: str, call: Callable[[], Any],
              absent: tuple[int, ...]) -> Answer:
        from azure.core.exceptions import (
            ClientAuthenticationError,
            HttpResponseError,
            ServiceRequestError,
            ServiceRequestTimeoutError,
            ServiceResponseError,
            ServiceResponseTimeoutError,
        )

        try:
            answer = call()
            if isinstance(answer, Iterable) and not isinstance(answer, Mapping | str | bytes):
                if callable(getattr(answer, "by_page", None)):
                    return [arm_json(item) for item in pages(answer)]
                return [arm_json(item) for item in answer]
            if answer is None:
                return None
            found = arm_json(answer)
            problem = None if isinstance(answer, _Page) else (
                resource_problem(found) if isinstance(found, Mapping) else "the answer is not a JSON object")
            if problem is not None:
                return self._failed(subscription, provider, operation, ScopeStatus.FAILED,
                                    f"a damaged answer: {problem}")
            return found
        except DamagedAnswer as error:
            return self._failed(subscription, provider, operation, ScopeStatus.FAILED, f"a damaged answer: {error}")
        except EndlessPages as error:
            return self._failed(subscription, provider, operation, ScopeStatus.FAILED, str(error))
        except RegistrationRefused as error:
            # ARM answered 409 MissingSubscriptionRegistration and the SDK tried to register the provider.
            return self._failed(subscription, provider, operation, ScopeStatus.FAILED, str(error))
        except WriteRefused:
            raise  # a bug in a collector, never a coverage gap
        except ClientAuthenticationError as error:
            if error.status_code is None:
                # The credential chain gave no token: every later call would fail the same way.
                raise CredentialsError(no_credentials(str(error.message))) from None
            return self._failed(subscription, provider, operation, ScopeStatus.DENIED, f"HTTP {error.status_code}")
        except HttpResponseError as error:
            if error.status_code in absent:
                return None
            code = getattr(error.error, "code", None) if error.error is not None else None
            message = str(getattr(error.error, "message", "") or error.reason or "").split("\n", 1)[0][:200]
            # ("Code - message": a colon after AuthorizationFailed reads as a secret to the report's redaction.)
            detail = f"HTTP {error.status_code}{f' {code}' if code else ''}{f' - {message}' if message else ''}"
            return self._failed(subscription, provider, operation, status_of_http(error.status_code), detail)
        except (ServiceRequestTimeoutError, ServiceResponseTimeoutError) as error:
            self.recorder.close(subscription, GLOBAL, provider, f"{operation} went unanswered past --timeout")
            return self._failed(subscription, provider, operation, ScopeStatus.FAILED,
                                f"no answer from the endpoint within --timeout {self.timeout:g} s, retries included "
                                f"({type(error).__name__})")
        except (ServiceRequestError, ServiceResponseError) as error:
            return self._failed(subscription, provider, operation, ScopeStatus.FAILED,
                                f"no answer from the endpoint ({type(error).__name__})")
        except (ValueError, TypeError, KeyError) as error:
            # An answer that is not ARM's shape (a proxy's page, a truncated body).
            return self._failed(subscription, provider, operation, ScopeStatus.FAILED,
                                f"the answer is not an ARM answer ({type(error).__name__})")

    def get(self, subscription: str, provider: str, path: str, api_version: str) -> Answer:
        """``GET path`` through the generic resources client: one ARM resource (or 404 ``None``)."""
        return self._send(subscription, provider, path, api_version, listing=False)

    def listing(self, subscription: str, provider: str, path: str, api_version: str,
                client_kind: str = "resources", absent: tuple[int, ...] = (404,)) -> Answer:
        """``GET path`` of an ARM collection, every page (``nextLink``) read: its ``value`` items."""
        return self._send(subscription, provider, path, api_version, listing=True, client_kind=client_kind,
                          absent=absent)

    def _send(self, subscription: str, provider: str, path: str, api_version: str, listing: bool,
              client_kind: str = "resources", absent: tuple[int, ...] = (404,)) -> Answer:
        client = self.clients.get(client_kind, subscription if subscription != TENANT else "")
        operation = f"GET {_shape(path)}"
        separator = "&" if "?" in path else "?"
        url: str | None = f"{path}{separator}api-version={api_version}"
        items: list[Any] = []
        followed: set[str] = set()
        while url is not None:
            answer = self.read(subscription, provider, operation, lambda u=url: _send_request(client, u, listing),
                               absent)
            if not isinstance(answer, dict):
                return answer if isinstance(answer, Failed) or answer is None or not listing else items
            if not listing:
                return answer
            value = answer.get("value")
            if not isinstance(value, list):
                # Every ARM collection answers {"value": [...]}: anything else is not an empty list but no answer.
                return self._failed(subscription, provider, operation, ScopeStatus.FAILED,
                                    "the answer is not an ARM listing (no list under value)")
            items.extend(v for v in value if isinstance(v, dict))
            url = answer.get("nextLink") if isinstance(answer.get("nextLink"), str) else None
            if url is not None and (url in followed or len(followed) + 1 >= MAX_PAGES):
                why = "nextLink repeated" if url in followed else f"more than {MAX_PAGES:,} pages"
                return self._failed(subscription, provider, operation, ScopeStatus.FAILED,
                                    f"endless pagination ({why} after {len(followed) + 1} pages)")
            if url is not None:
                followed.add(url)
        return items

    def post(self, subscription: str, provider: str, path: str, api_version: str,
             body: Mapping[str, Any] | None = None) -> Answer:
        """``POST path`` through the generic resources client: one of the read-only POSTs the guard lets through
        (a Resource Graph query, an app's settings list); its JSON object, ``None`` for 404, or ``Failed``."""
        client = self.clients.get("resources", subscription if subscription != TENANT else "")
        operation = f"POST {_shape(path)}"
        url = f"{path}{'&' if '?' in path else '?'}api-version={api_version}"
        answer = self.read(subscription, provider, operation, lambda: _post_request(client, url, body))
        if answer is None or isinstance(answer, Failed | dict):
            return answer
        return self._failed(subscription, provider, operation, ScopeStatus.FAILED, "the answer is not a JSON object")

    def _failed(self, subscription: str, provider: str, operation: str, status: ScopeStatus, detail: str) -> Failed:
        self.recorder.problem(subscription, GLOBAL, provider, status, f"{operation}: {detail}")
        return Failed(provider, operation, status, detail)


def _send_request(client: Any, url: str, listing: bool = False) -> Any:
    """One GET; its JSON (a listing page as it is: its ``value`` is checked by the caller)."""
    from azure.core.rest import HttpRequest

    response = client.send_request(HttpRequest("GET", url, headers={"Accept": "application/json"}))
    response.raise_for_status()
    answer = response.json()
    # A listing page names no resource: ``read`` checks ``id`` only on what is not a page.
    return _Page(answer) if listing and isinstance(answer, dict) else answer


def _post_request(client: Any, url: str, body: Mapping[str, Any] | None) -> Any:
    """One read-only POST; its JSON, marked like a page (an action's answer names no resource)."""
    from azure.core.rest import HttpRequest

    response = client.send_request(HttpRequest("POST", url, json=dict(body) if body is not None else None,
                                               headers={"Accept": "application/json"}))
    response.raise_for_status()
    answer = response.json()
    return _Page(answer) if isinstance(answer, dict) else answer


class _Page(dict):  # type: ignore[type-arg]
    """A listing page's JSON, marked so that ``Calls.read`` does not ask it for an ``id``."""


def _shape(path: str) -> str:
    """A path with its names left out, for coverage details (``/subscriptions/*/.../diagnosticSettings``)."""
    parts = [p for p in path.split("?", 1)[0].split("/") if p]
    kept: list[str] = []
    name_next = False
    for part in parts:
        if part.lower() == "providers" or "." in part:
            kept.append(part)
            name_next = False
        else:
            kept.append("*" if name_next else part)
            name_next = not name_next
    return "/" + "/".join(kept)


_CREDENTIAL_NAMES = {
    "EnvironmentCredential": "AZURE_* environment variables",
    "WorkloadIdentityCredential": "workload identity",
    "ManagedIdentityCredential": "managed identity",
    "SharedTokenCacheCredential": "the shared token cache",
    "VisualStudioCodeCredential": "VS Code",
    "AzureCliCredential": "Azure CLI",
    "AzurePowerShellCredential": "Azure PowerShell",
    "AzureDeveloperCliCredential": "Azure Developer CLI",
    "BrokerCredential": "the sign-in broker",
}


def no_credentials(message: str) -> str:
    """azure-identity's account of a credential chain that gave no token (a dozen lines, one per credential), said
    in one line: what was tried and how to sign in."""
    lines = message.splitlines()
    tried = [line.strip().split(":", 1)[0] for line in lines if line.startswith("\t") and ":" in line]
    if not tried:
        return f"no usable Azure credentials: {lines[0] if lines else 'no token'}"
    named = ", ".join(_CREDENTIAL_NAMES.get(name, name) for name in tried)
    return (f"no usable Azure credentials (tried {named}): sign in with `az login`, or set AZURE_TENANT_ID, "
            "AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (a service principal)")
