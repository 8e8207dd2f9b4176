"""A fault-injecting HTTP proxy for tests: a small threaded server on 127.0.0.1 that forwards every request to an
upstream (the moto server, the local ARM endpoint) and, for the one operation it is told to break, serves a
fault instead of (or made from) the upstream's answer.

Operations are told apart as the services tell them apart:

* AWS JSON protocols: the ``X-Amz-Target`` header (``TrentService.DescribeKey`` -> ``kms:DescribeKey``);
* AWS query protocols: the ``Action=`` form field (or query parameter);
* AWS REST protocols (S3, CloudFront, Lambda, Backup): the method, path and query matched against the
  operation's ``requestUri`` in botocore's own service model;
  the service in every case from the SigV4 credential scope of the ``Authorization`` header;
* ARM: the URL path (``FaultProxy.arm_operation``: the path with its names left out, as ``calls._shape``
  writes it, or an SDK pager's path).

Faults: ``cut`` (the answer cut short, with a matching Content-Length), ``html`` (a 200 proxy page, well-formed
so that only a check of the answer's kind can tell), ``endless`` (the answer with a pagination token that
never ends: a fresh one each page), ``repeat`` (the same token on every page), ``stall`` (no answer for
``stall_seconds``), ``500`` and ``503`` (a proxy's plain-text error page), ``deny`` and ``throttle`` (AWS's own
error answer, AccessDenied or ThrottlingException, in the service's protocol).

A fault is told one operation (``ec2:DescribeSnapshots``) or one operation in one region
(``ec2:DescribeSnapshots@us-east-1``, the region of the request's credential scope).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit
from xml.etree import ElementTree

FAULTS = ("cut", "html", "endless", "stall", "503")
"""The faults every operation is tested with (``repeat`` and ``500`` are kept for targeted tests)."""
HTML_PAGE = (b"<!DOCTYPE html><html><head><title>Proxy</title></head><body><h1>Access to this site is "
             b"blocked</h1><p>Your organisation's web proxy refused the request.</p></body></html>")
_TOKEN = "offshore-scan-test-token"
_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")
_SIGNING_TO_SERVICE = {"tagging": "resourcegroupstaggingapi", "monitoring": "cloudwatch", "states": "stepfunctions"}


class ListeningServer(ThreadingHTTPServer):
    """A threaded server with a long accept queue. The default (5) overflows when a scan's workers connect at once
    on a loaded machine, and the kernel then drops the connection attempt: the client retries it a second later,
    which a short ``--timeout`` would report as a gap of its own."""

    request_queue_size = 128


@dataclass
class Fault:
    """What to break: an operation (``kms:DescribeKey``, ``GET /subscriptions/*/resources``) and how."""

    operation: str
    kind: str
    hits: int = 0
    """Requests the fault was served to."""


@dataclass
class FaultProxy:
    """The running proxy: ``url``; ``faults`` by operation (empty to pass everything through); ``seen``
    operations."""

    upstream: str
    stall_seconds: float = 3.0
    faults: dict[str, Fault] = field(default_factory=dict)
    seen: list[str] = field(default_factory=list)
    answered: dict[str, set[str]] = field(default_factory=dict)
    """Operation -> what its unbroken answers were: ``ok`` (a 2xx), ``listing`` (an ARM page, with ``value``)."""
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _tokens: int = 0

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def breaking(self, operation: str, kind: str) -> Fault:
        """Break ``operation`` with ``kind`` from now on (as well as the others broken); the fault counts its hits."""
        self.faults[operation] = Fault(operation, kind)
        return self.faults[operation]

    def _next_token(self) -> str:
        with self._lock:
            self._tokens += 1
            return f"{_TOKEN}-{self._tokens}"

    # --- serving ---------------------------------------------------------------------------------------

    def serve(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        operation = self.operation_of(handler.command, handler.path, dict(handler.headers.items()), body)
        with self._lock:
            self.seen.append(operation)
        region = _signed_region(dict(handler.headers.items()))
        fault = self.faults.get(f"{operation}@{region}") or self.faults.get(operation)
        if fault is not None:
            with self._lock:
                fault.hits += 1
        if fault is not None and fault.kind == "stall":
            time.sleep(self.stall_seconds)
            return _send(handler, 504, b"Gateway Timeout", "text/plain")
        if fault is not None and fault.kind in ("500", "503"):
            return _send(handler, int(fault.kind), b"Service Unavailable (proxy)", "text/plain")
        if fault is not None and fault.kind == "html":
            return _send(handler, 200, HTML_PAGE, "text/html; charset=utf-8")
        if fault is not None and fault.kind in ("deny", "throttle"):
            return _send(handler, *aws_error(operation, fault.kind))
        path = handler.path
        if fault is not None and fault.kind in ("endless", "repeat"):
            # A token this proxy made up: the upstream is asked for the first page again.
            path, body = _without_our_token(path), _without_our_token_in_body(body)
        status, headers, answer = self._forward(handler.command, path, dict(handler.headers.items()), body)
        if fault is None and status < 300:
            with self._lock:
                kinds = self.answered.setdefault(operation, set())
                kinds.add("ok")
                if answer.startswith(b"{") and b'"value"' in answer:
                    kinds.add("listing")
        if fault is not None and fault.kind == "cut" and status < 300:
            answer = answer[: max(1, len(answer) // 2)]
        elif fault is not None and fault.kind in ("endless", "repeat") and status < 300:
            token = _TOKEN if fault.kind == "repeat" else self._next_token()
            answer = self._paginated(operation, path, answer, token)
        _send(handler, status, answer, headers.get("content-type", "application/octet-stream"))

    def _forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str],
                                                                                                bytes]:
        parts = urlsplit(self.upstream)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        kept = {k: v for k, v in headers.items() if k.lower() not in ("host", "connection", "accept-encoding",
                                                                  "content-length")}
        if ".s3-control." in headers.get("Host", headers.get("host", "")):
            kept["Host"] = headers.get("Host", headers.get("host", ""))  # moto routes S3 Control by its host name
        connection.request(method, path, body=body or None, headers=kept)
        response = connection.getresponse()
        data = response.read()
        answer_headers = {k.lower(): v for k, v in response.getheaders()}
        connection.close()
        return response.status, answer_headers, data

    # --- operations ------------------------------------------------------------------------------------

    def operation_of(self, method: str, path: str, headers: dict[str, str], body: bytes) -> str:
        """``service:Operation`` of an AWS request, else the ARM operation of the path."""
        lowered = {k.lower(): v for k, v in headers.items()}
        signed = _CREDENTIAL_SCOPE.search(lowered.get("authorization", ""))
        if signed is None:
            return arm_operation(method, path)
        service = _SIGNING_TO_SERVICE.get(signed.group(1), signed.group(1))
        if service == "s3" and urlsplit(path).path.startswith("/v20180820/"):
            service = "s3control"  # signed as s3, on its own paths
        target = lowered.get("x-amz-target")
        if target:
            return f"{service}:{target.rsplit('.', 1)[-1]}"
        form = dict(parse_qsl(body.decode("utf-8", "replace"))) if body else {}
        query = dict(parse_qsl(urlsplit(path).query, keep_blank_values=True))
        action = form.get("Action") or query.get("Action")
        if action:
            return f"{service}:{action}"
        return f"{service}:{rest_operation(service, method, path) or method + ' ' + urlsplit(path).path}"

    def _paginated(self, operation: str, path: str, answer: bytes, token: str) -> bytes:
        """The answer with a pagination token added (a nextLink for ARM)."""
        if ":" not in operation.split(" ", 1)[0]:
            document = json.loads(answer)
            link = f"{self.url}{_without_skiptoken(path)}&$skiptoken={token}"
            document["nextLink"] = link
            return json.dumps(document).encode()
        service, name = operation.split(":", 1)
        return with_token(service, name, answer, token)


def _send(handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up first (a stall)
        handler.wfile.write(body)


def _signed_region(headers: dict[str, str]) -> str | None:
    """The region of a SigV4 request's credential scope."""
    lowered = {k.lower(): v for k, v in headers.items()}
    found = re.search(r"Credential=[^/]+/\d{8}/([^/]+)/", lowered.get("authorization", ""))
    return found.group(1) if found else None


def aws_error(operation: str, kind: str) -> tuple[int, bytes, str]:
    """AWS's own error answer (status, body, content type) for ``deny`` or ``throttle``, in the protocol of the
    operation's service: a JSON ``__type``, a query ``<ErrorResponse>``, EC2's ``<Response><Errors>``, an S3
    ``<Error>``."""
    service, name = operation.split(":", 1)
    status, code = (403, "AccessDenied") if kind == "deny" else (400, "ThrottlingException")
    model = _model(service)
    protocol = getattr(model, "resolved_protocol", None) or model.protocol
    message = f"{name} {'is not authorized' if kind == 'deny' else 'rate exceeded'} (injected)"
    if protocol in ("json", "rest-json"):
        code = "AccessDeniedException" if kind == "deny" else code
        body = json.dumps({"__type": code, "message": message, "Message": message}).encode()
        return status, body, "application/x-amz-json-1.1"
    if protocol == "ec2":
        code = "UnauthorizedOperation" if kind == "deny" else "RequestLimitExceeded"
        return status, (f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>"
                        "<RequestID>fault</RequestID></Response>").encode(), "text/xml"
    if protocol == "query":
        return status, (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>"
                        "</Error><RequestId>fault</RequestId></ErrorResponse>").encode(), "text/xml"
    return status, (f"<Error><Code>{code}</Code><Message>{message}</Message><RequestId>fault</RequestId>"
                    "</Error>").encode(), "application/xml"


def _without_our_token(path: str) -> str:
    parts = urlsplit(path)
    if _TOKEN not in parts.query:
        return path
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not v.startswith(_TOKEN)]
    return f"{parts.path}?{urlencode(query)}"


def _without_our_token_in_body(body: bytes) -> bytes:
    if _TOKEN.encode() not in body:
        return body
    try:
        document = json.loads(body)
    except ValueError:
        form = [(k, v) for k, v in parse_qsl(body.decode(), keep_blank_values=True) if not v.startswith(_TOKEN)]
        return urlencode(form).encode()
    return json.dumps({k: v for k, v in document.items() if not str(v).startswith(_TOKEN)}).encode()


def _without_skiptoken(path: str) -> str:
    parts = urlsplit(path)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "$skiptoken"]
    return f"{parts.path}?{urlencode(query)}"


def arm_operation(method: str, path: str) -> str:
    """An ARM request as ``get /subscriptions/*/providers/microsoft.storage/storageaccounts/*``: the path with
    its names left out (what ``providers.azure.calls._shape`` writes), lower case; an extension resource
    (diagnostic settings) as ``get */providers/microsoft.insights/diagnosticsettings``."""
    parts = [p for p in urlsplit(path).path.split("/") if p]
    kept: list[str] = []
    name_next = False
    for part in parts:
        if part.lower() == "providers" or "." in part:
            kept.append(part)
            name_next = False
        else:
            kept.append("*" if name_next else part)
            name_next = not name_next
    operation = f"{method} /{'/'.join(kept)}".lower()
    # One ARM operation whatever resource it is asked of: the diagnostic settings of every kind of resource.
    extension = operation.find("/providers/microsoft.insights/diagnosticsettings")
    return f"{method.lower()} */{operation[extension + 1:]}" if extension > 0 else operation


# --- botocore models: REST operations and pagination tokens ------------------------------------------------


@cache
def _model(service: str) -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model(service)


@cache
def _paginator(service: str, operation: str) -> dict[str, Any] | None:
    import botocore.session

    try:
        config = botocore.session.get_session().get_paginator_model(service)
        return config.get_paginator(operation)  # type: ignore[no-any-return]
    except Exception:  # a service without paginators
        return None


def rest_operation(service: str, method: str, path: str) -> str | None:
    """The operation of a REST request, from the ``requestUri`` templates of the service's model: the one whose
    method and path match with the most literal query keys (``/{Bucket}?replication`` before ``/{Bucket}``)."""
    parts = urlsplit(path)
    query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    best: tuple[int, int, int, str] | None = None
    model = _model(service)
    for name in model.operation_names:
        http = model.operation_model(name).http
        if http.get("method", "").upper() != method.upper():
            continue
        template_path, _, template_query = http.get("requestUri", "/").partition("?")
        literal = dict([*q.split("=", 1), ""][:2] for q in template_query.split("&") if q)
        if any(k not in query or (v and query[k] != v) for k, v in literal.items()):
            continue
        if any(name not in query for name in _required_query(model.operation_model(name))):
            continue  # GetBucketInventoryConfiguration (``?inventory&id=``), not ListBucketInventoryConfigurations
        if re.fullmatch(_path_pattern(template_path), parts.path.rstrip("/") or "/") is None:
            continue
        score = (len(literal), len(template_path), -len(name), name)  # ties: the plainer operation
        if best is None or score > best:
            best = score
    return best[3] if best is not None else None


def _required_query(operation: Any) -> list[str]:
    """The query keys an operation's request always carries (its required querystring members)."""
    shape = operation.input_shape
    if shape is None:
        return []
    return [shape.members[m].serialization.get("name", m) for m in shape.required_members
            if m in shape.members and shape.members[m].serialization.get("location") == "querystring"]


def _path_pattern(template: str) -> str:
    """``/{Bucket}/{Key+}`` as a regular expression (a trailing slash optional)."""
    segments = []
    for segment in template.strip("/").split("/"):
        if re.fullmatch(r"\{[^}]+\+\}", segment):
            segments.append(".+")
        else:
            segments.append(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(segment)))
    return ("/" + "/".join(segments)).rstrip("/") or "/"


def _wire_path(shape: Any, dotted: str) -> str:
    """A dotted path of output members as the answer writes it (each member's ``locationName``)."""
    steps = []
    for step in dotted.split("."):
        member = getattr(shape, "members", {}).get(step)
        steps.append(member.serialization.get("name", step) if member is not None else step)
        shape = member
    return ".".join(steps)


def with_token(service: str, operation: str, answer: bytes, token: str) -> bytes:
    """An AWS answer with its paginator's output token set (and ``more_results`` true), in the answer's syntax."""
    paginator = _paginator(service, operation)
    if paginator is None:
        return answer
    output = paginator["output_token"]
    output = output[0] if isinstance(output, list) else output
    more = paginator.get("more_results")
    model = _model(service)
    protocol = getattr(model, "resolved_protocol", None) or model.protocol
    if protocol in ("json", "rest-json"):
        document = json.loads(answer or b"{}")
        shape = model.operation_model(operation).output_shape
        _set_path(document, _wire_path(shape, output), token)  # GuardDuty writes NextToken as nextToken
        if more:
            _set_path(document, _wire_path(shape, more), True)
        return json.dumps(document).encode()
    root = ElementTree.fromstring(answer)
    namespace = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    shape = model.operation_model(operation).output_shape
    wrapper = shape.serialization.get("resultWrapper")
    holder = root.find(f"{namespace}{wrapper}") if wrapper else root
    holder = root if holder is None else holder
    payload = shape.serialization.get("payload")
    for dotted, value in ((output, token), *(((more, "true"),) if more else ())):
        target, step_shape = holder, shape
        steps = dotted.split(".")
        if payload is not None and steps[0] == payload:
            # A payload structure is the document's root (CloudFront's <DistributionList>).
            step_shape, steps = shape.members[payload], steps[1:]
        for number, step in enumerate(steps):
            member = step_shape.members[step]
            name = f"{namespace}{member.serialization.get('name', step)}"  # ec2 writes NextToken as nextToken
            found = target.find(name)
            target = found if found is not None else ElementTree.SubElement(target, name)
            step_shape = member
            if number == len(steps) - 1:
                target.text = str(value)
    if namespace:
        ElementTree.register_namespace("", namespace[1:-1])
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def _set_path(document: dict[str, Any], dotted: str, value: Any) -> None:
    steps = dotted.split(".")
    for step in steps[:-1]:
        document = document.setdefault(step, {})
    document[steps[-1]] = value


@contextmanager
def fault_proxy(upstream: str, stall_seconds: float = 3.0) -> Iterator[FaultProxy]:
    """A running proxy in front of ``upstream``; shut down on exit."""
    proxy = FaultProxy(upstream, stall_seconds)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # quiet test output
            pass

        def _any(self) -> None:
            proxy.serve(self)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _any

    server = ListeningServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    proxy._server = server
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
