"""API calls: one client per (account, region, service), paginated, each failure a value.

``ScopedClient.call`` returns the response, ``None`` when AWS answers "nothing configured" (an error
code the caller names as absent, such as ``NoSuchBucketPolicy``), or a ``Failed`` that says why the
answer is missing. Collectors turn a ``Failed`` into ``Unknown`` values, so a denied call can never
read as a clean answer.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

from providers.aws.answers import EndpointStatus
from providers.aws.coverage import Recorder, status_of_code
from providers.aws.session import WriteRefused, attempts_of, client_config
from providers.live.answers import DEFAULT_TIMEOUT, MAX_PAGES, SCOPE_BUDGET, DamagedAnswer, DeadlinePassed
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
    name = type(error).__name__
    if name == "ResponseParserError":
        return "the endpoint's answer is not an AWS API answer (ResponseParserError)"
    if name == "PaginationError":
        return f"endless pagination ({str(error).split(':', 1)[0]})"
    return f"{name}: {error}"


def _stalled(error: Exception) -> bool:
    """Whether the call failed for want of an answer in time (the scope's endpoint is stalling)."""
    from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError

    return isinstance(error, DeadlinePassed | ConnectTimeoutError | ReadTimeoutError)


def _operation_name(client: Any, method: str) -> str:
    try:
        return str(client.meta.method_to_api_mapping[method])
    except (AttributeError, KeyError):
        return method


def _at(page: Mapping[str, Any], key: str) -> Any:
    """The member at a dotted ``key`` of a page (``DistributionList.Items``); None where a step is absent."""
    value: Any = page
    for step in key.split("."):
        value = value.get(step) if isinstance(value, Mapping) else None
    return value


def _items_problem(items: Any, key: str, expect: tuple[str, ...]) -> str | None:
    """What is wrong with a listing's items (not a list, an item without a member the caller indexes), or None."""
    if items is None:
        return None  # services leave an empty list out
    if not isinstance(items, list):
        return f"{key} is a {type(items).__name__}, not a list"
    if expect:
        for item in items:
            missing = [k for k in expect if not isinstance(item, Mapping) or item.get(k) is None]
            if missing:
                return f"an item of {key} lacks {', '.join(missing)}"
    return None


class ScopedClient:
    """A boto3 client bound to one (account, region, service), counting and classifying its calls.

    Every answer has passed ``answers.check_answer`` (botocore's ``after-call``) before it reaches here; the
    members a collector indexes are checked here (``expect``, a listing's ``key``). The scope has a deadline:
    once a call has gone unanswered past ``--timeout``, or the scope's calls have waited ``SCOPE_BUDGET``
    times ``--timeout`` in all, its remaining calls are not made, each a ``Failed`` naming it.
    """

    def __init__(self, client: Any, account: str, region: str, service: str, recorder: Recorder,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        self.client = client
        self.account = account
        self.region = region
        self.service = service
        self.recorder = recorder
        self.timeout = timeout
        recorder.touch(account, region, service)

    def _failed(self, method: str, status: ScopeStatus, detail: str) -> Failed:
        operation = _operation_name(self.client, method)
        self.recorder.problem(self.account, self.region, self.service, status, f"{operation}: {detail}")
        return Failed(self.service, operation, status, detail)

    def _closed(self, method: str) -> Failed | None:
        """A ``Failed`` for a call not made because the scope's deadline has passed, else None."""
        scope = (self.account, self.region, self.service)
        why = self.recorder.closed(*scope)
        if why is None and self.recorder.spent(*scope) > SCOPE_BUDGET * self.timeout:
            why = f"the scope's calls waited over {SCOPE_BUDGET * self.timeout:g} s in all ({SCOPE_BUDGET} x --timeout)"
            self.recorder.close(*scope, why)
        return None if why is None else self._failed(method, ScopeStatus.FAILED, f"not called: {why}")

    def _transport_failed(self, method: str, error: Exception) -> Failed:
        if _stalled(error):
            self.recorder.close(self.account, self.region, self.service,
                                f"{_operation_name(self.client, method)} went unanswered past --timeout")
        return self._failed(method, ScopeStatus.FAILED, _transport_detail(error))

    def _timed(self, started: float) -> None:
        self.recorder.spend(self.account, self.region, self.service, time.monotonic() - started)

    def call(self, method: str, absent: Iterable[str] = (), expect: Iterable[str] = (), **params: Any) -> Response:
        """One call; ``absent`` error codes mean "nothing configured" and give ``None``; ``expect`` names the
        members the caller indexes, whose absence makes the answer damaged."""
        from botocore.exceptions import ClientError

        if (closed := self._closed(method)) is not None:
            return closed
        started = time.monotonic()
        try:
            answer = dict(getattr(self.client, method)(**params))
        except ClientError as error:
            return self._client_error(method, error, frozenset(absent))
        except WriteRefused:
            raise  # a bug in a collector, never a coverage gap
        except NotImplementedError:
            # In-process moto: the endpoint does not implement the call.
            return self._failed(method, ScopeStatus.FAILED, "not implemented by the endpoint")
        except EndpointStatus as error:
            return self._failed(method, status_of_code(str(error.status)), str(error))
        except DamagedAnswer as error:
            return self._failed(method, ScopeStatus.FAILED, f"not an AWS API answer: {error}")
        except ElementTree.ParseError:
            # botocore's own S3 handlers read some bodies with a bare XML parser, an error page included.
            return self._failed(method, ScopeStatus.FAILED, "not an AWS API answer: a body that is not XML")
        except (*transport_errors(), DeadlinePassed) as error:
            return self._transport_failed(method, error)
        finally:
            self._timed(started)
        missing = [key for key in expect if _at(answer, key) is None]
        if missing:
            return self._failed(method, ScopeStatus.FAILED, f"not an AWS API answer: it lacks {', '.join(missing)}")
        if (more := self._more_pages(method, answer)) is not None:
            return self._failed(method, ScopeStatus.FAILED, f"only the first page was read: the answer says more "
                                f"follow ({more}), which one call does not read")
        return answer

    def _more_pages(self, method: str, answer: Mapping[str, Any]) -> str | None:
        """The member saying a paginated operation read with one call has more pages, or None: a first page read
        as the whole answer would be a list cut short."""
        if not self.client.can_paginate(method):
            return None
        config = getattr(self.client.get_paginator(method), "_pagination_cfg", None) or {}
        more = config.get("more_results")
        if more:
            return more if _at(answer, more) is True else None
        tokens = config.get("output_token")
        return next((t for t in ([tokens] if isinstance(tokens, str) else tokens or []) if _at(answer, t)), None)

    def pages(self, method: str, key: str, absent: Iterable[str] = (), expect: Iterable[str] = (),
              token: str | None = None, **params: Any) -> list[Any] | Failed | None:
        """Every item under ``key`` (dotted for a nested list) of every page, paginated when botocore can, else
        one call, or (``token``, the member naming the next page in request and answer alike, for an operation
        botocore has no paginator for, such as ``s3control:ListAccessPoints``) a call per page. A page whose
        ``key`` is not a list, or an item without a member ``expect`` names (one the caller indexes), is
        damaged; more than ``MAX_PAGES`` pages, or a token seen twice (botocore's ``PaginationError``), is
        endless pagination: each is a ``Failed``, never a short list."""
        from botocore.exceptions import ClientError

        wanted = tuple(expect)
        if not self.client.can_paginate(method) and token is not None:
            return self._pages_by_token(method, key, token, frozenset(absent), wanted, params)
        if not self.client.can_paginate(method):
            answer = self.call(method, absent, **params)
            if not isinstance(answer, Mapping):
                return answer
            items = _at(answer, key)
            if (problem := _items_problem(items, key, wanted)) is not None:
                return self._failed(method, ScopeStatus.FAILED, f"not an AWS API answer: {problem}")
            return list(items or [])
        if (closed := self._closed(method)) is not None:
            return closed
        found: list[Any] = []
        started = time.monotonic()
        try:
            for number, page in enumerate(self.client.get_paginator(method).paginate(**params), start=1):
                items = _at(page, key)
                if (problem := _items_problem(items, key, wanted)) is not None:
                    return self._failed(method, ScopeStatus.FAILED, f"not an AWS API answer: page {number}: {problem}")
                found.extend(items or [])
                if number >= MAX_PAGES:
                    return self._failed(method, ScopeStatus.FAILED, f"endless pagination (more than {MAX_PAGES:,} "
                                        "pages)")
                self._timed(started)
                started = time.monotonic()
                if (closed := self._closed(method)) is not None:
                    return closed
        except ClientError as error:
            return self._client_error(method, error, frozenset(absent))
        except WriteRefused:
            raise
        except NotImplementedError:
            return self._failed(method, ScopeStatus.FAILED, "not implemented by the endpoint")
        except EndpointStatus as error:
            return self._failed(method, status_of_code(str(error.status)), str(error))
        except DamagedAnswer as error:
            return self._failed(method, ScopeStatus.FAILED, f"not an AWS API answer: {error}")
        except ElementTree.ParseError:
            return self._failed(method, ScopeStatus.FAILED, "not an AWS API answer: a body that is not XML")
        except (*transport_errors(), DeadlinePassed) as error:
            return self._transport_failed(method, error)
        finally:
            self._timed(started)
        return found

    def _pages_by_token(self, method: str, key: str, token: str, absent: frozenset[str], expect: tuple[str, ...],
                        params: dict[str, Any]) -> list[Any] | Failed | None:
        """Every page of an operation botocore cannot paginate, following ``token`` as its paginators do."""
        found: list[Any] = []
        seen: set[str] = set()
        for number in range(1, MAX_PAGES + 1):
            answer = self.call(method, absent, **params)
            if not isinstance(answer, Mapping):
                return answer
            items = _at(answer, key)
            if (problem := _items_problem(items, key, expect)) is not None:
                return self._failed(method, ScopeStatus.FAILED, f"not an AWS API answer: page {number}: {problem}")
            found.extend(items or [])
            following = answer.get(token)
            if not following:
                return found
            if str(following) in seen:
                return self._failed(method, ScopeStatus.FAILED, f"endless pagination (the {token} of page {number} "
                                    "was given before)")
            seen.add(str(following))
            params = {**params, token: following}
        return self._failed(method, ScopeStatus.FAILED, f"endless pagination (more than {MAX_PAGES:,} pages)")

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

    def __init__(self, sessions: Mapping[str, boto3.Session], recorder: Recorder,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        self.sessions = dict(sessions)
        self.recorder = recorder
        self.timeout = timeout
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
                session = self.sessions[account]
                client = session.client(service, region_name=region,
                                        config=client_config(self.timeout, attempts_of(session)))
                if _prefixes_hosts(client) and not _aws_endpoint(client.meta.endpoint_url):
                    # S3 Control writes the account id into the host (ACCOUNT.s3-control...): on an endpoint of
                    # one's own (AWS_ENDPOINT_URL: an emulator, a private gateway) ACCOUNT.127.0.0.1 names no
                    # host at all, so the id goes in its header alone (x-amz-account-id), as such endpoints expect.
                    client.meta.events.register("before-sign", own_endpoint_host(client.meta.endpoint_url))
                recorder = self.recorder

                def count(**_: Any) -> None:
                    recorder.count(account, counted, service)

                client.meta.events.register("before-call.*.*", count)
                found = ScopedClient(client, account, counted, service, recorder, self.timeout)
                self._clients[key] = found
        return found


_AWS_DOMAINS = (".amazonaws.com", ".amazonaws.com.cn", ".api.aws", ".c2s.ic.gov", ".sc2s.sgov.gov")


def _aws_endpoint(url: str) -> bool:
    """Whether ``url`` is one of AWS's own endpoints (any partition), where every host prefix resolves."""
    from urllib.parse import urlsplit

    host = (urlsplit(url).hostname or "").lower()
    return host.endswith(_AWS_DOMAINS)


def own_endpoint_host(endpoint_url: str) -> Any:
    """A ``before-sign`` handler that sends a request whose host the SDK prefixed with a label (``ACCOUNT.``) to
    ``endpoint_url``'s own host, before it is signed (so the signature is the host's it is sent to)."""
    from urllib.parse import urlsplit

    own = urlsplit(endpoint_url)

    def to_own_host(request: Any, **_: Any) -> None:
        url = urlsplit(request.url)
        label, _, rest = (url.hostname or "").partition(".")
        if label and rest == own.hostname and url.port == own.port:
            request.url = url._replace(netloc=own.netloc).geturl()

    return to_own_host


_HOST_PREFIXES: dict[str, bool] = {}
"""By service: whether any of its operations writes a label into the host (read once from its model)."""


def _prefixes_hosts(client: Any) -> bool:
    """Whether any operation of the client's service writes a label into the endpoint's host (``hostPrefix``)."""
    model = client.meta.service_model
    found = _HOST_PREFIXES.get(model.service_name)
    if found is None:
        found = any((model.operation_model(name).endpoint or {}).get("hostPrefix") for name in model.operation_names)
        _HOST_PREFIXES[model.service_name] = found
    return found
