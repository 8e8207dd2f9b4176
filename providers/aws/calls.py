"""API calls: one client per (account, region, service), paginated, each failure a value.

``ScopedClient.call`` returns the response, ``None`` when AWS answers "nothing configured" (an error
code the caller names as absent, such as ``NoSuchBucketPolicy``), or a ``Failed`` that says why the
answer is missing. Collectors turn a ``Failed`` into ``Unknown`` values, so a denied call can never
read as a clean answer.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from providers.aws.coverage import Recorder, status_of_code
from providers.aws.session import WriteRefused, client_config
from providers.live.failed import Failed
from scanner.model import ScopeStatus

if TYPE_CHECKING:
    import boto3


__all__ = ["Clients", "Failed", "Response", "ScopedClient", "transport_errors"]

Response = Mapping[str, Any] | Failed | None
"""A response, ``Failed``, or ``None`` for an absent configuration."""


def transport_errors() -> tuple[type[Exception], ...]:
    """botocore's errors other than an AWS error answer: no connection, a timeout, or a body that is not an AWS
    API answer (``ResponseParserError`` is not a ``BotoCoreError``). Each one is a failed call, never a crash."""
    from botocore.exceptions import BotoCoreError
    from botocore.parsers import ResponseParserError

    return (BotoCoreError, ResponseParserError)


def _transport_detail(error: Exception) -> str:
    if type(error).__name__ == "ResponseParserError":
        return "the endpoint's answer is not an AWS API answer (ResponseParserError)"
    return f"{type(error).__name__}: {error}"


def _operation_name(client: Any, method: str) -> str:
    try:
        return str(client.meta.method_to_api_mapping[method])
    except (AttributeError, KeyError):
        return method


class ScopedClient:
    """A boto3 client bound to one (account, region, service), counting and classifying its calls."""

    def __init__(self, client: Any, account: str, region: str, service: str, recorder: Recorder) -> None:
        self.client = client
        self.account = account
        self.region = region
        self.service = service
        self.recorder = recorder
        recorder.touch(account, region, service)

    def _failed(self, method: str, status: ScopeStatus, detail: str) -> Failed:
        operation = _operation_name(self.client, method)
        self.recorder.problem(self.account, self.region, self.service, status, f"{operation}: {detail}")
        return Failed(self.service, operation, status, detail)

    def call(self, method: str, absent: Iterable[str] = (), **params: Any) -> Response:
        """One call; ``absent`` error codes mean "nothing configured" and give ``None``."""
        from botocore.exceptions import ClientError

        try:
            return dict(getattr(self.client, method)(**params))
        except ClientError as error:
            return self._client_error(method, error, frozenset(absent))
        except WriteRefused:
            raise  # a bug in a collector, never a coverage gap
        except NotImplementedError:
            # In-process moto: the endpoint does not implement the call.
            return self._failed(method, ScopeStatus.FAILED, "not implemented by the endpoint")
        except transport_errors() as error:
            return self._failed(method, ScopeStatus.FAILED, _transport_detail(error))

    def pages(self, method: str, key: str, absent: Iterable[str] = (), **params: Any) -> list[Any] | Failed | None:
        """Every item under ``key`` of every page (paginated when botocore can, else one call)."""
        from botocore.exceptions import ClientError

        if not self.client.can_paginate(method):
            answer = self.call(method, absent, **params)
            return answer if not isinstance(answer, Mapping) else list(answer.get(key) or [])
        items: list[Any] = []
        try:
            for page in self.client.get_paginator(method).paginate(**params):
                items.extend(page.get(key) or [])
        except ClientError as error:
            return self._client_error(method, error, frozenset(absent))
        except WriteRefused:
            raise
        except NotImplementedError:
            return self._failed(method, ScopeStatus.FAILED, "not implemented by the endpoint")
        except transport_errors() as error:
            return self._failed(method, ScopeStatus.FAILED, _transport_detail(error))
        return items

    def _client_error(self, method: str, error: Any, absent: frozenset[str]) -> Failed | None:
        info = error.response.get("Error", {})
        code = str(info.get("Code") or error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or "error")
        if code in absent:
            return None
        if code.isdigit():
            # No AWS error code: an HTTP status with a body that is not an AWS answer (a proxy's HTML page).
            return self._failed(method, status_of_code(code), f"HTTP {code} from the endpoint (not an AWS API answer)")
        message = str(info.get("Message") or "").split("\n", 1)[0][:200]
        return self._failed(method, status_of_code(code), f"{code}{': ' + message if message else ''}")


class Clients:
    """The client pool of a scan: one client per (account, region, service), made once, shared by threads."""

    def __init__(self, sessions: Mapping[str, boto3.Session], recorder: Recorder) -> None:
        self.sessions = dict(sessions)
        self.recorder = recorder
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str, str], ScopedClient] = {}

    def release(self, account: str) -> None:
        """Forget the account's clients (each holds a connection pool); its session stays for follow-up calls."""
        with self._lock:
            for key in [k for k in self._clients if k[0] == account]:
                del self._clients[key]

    def get(self, account: str, region: str, service: str, scope_region: str | None = None) -> ScopedClient:
        """The client of ``service`` in ``region``; ``scope_region`` is where its calls are counted (``global``)."""
        counted = scope_region or region
        key = (account, counted, service)
        with self._lock:
            found = self._clients.get(key)
            if found is None:
                # boto3 sessions are not thread-safe when making clients: made under the lock.
                client = self.sessions[account].client(service, region_name=region, config=client_config())
                recorder = self.recorder

                def count(**_: Any) -> None:
                    recorder.count(account, counted, service)

                client.meta.events.register("before-call.*.*", count)
                found = ScopedClient(client, account, counted, service, recorder)
                self._clients[key] = found
        return found
