"""Every AWS answer is checked before a collector reads it, and every call is held to ``--timeout``: botocore
event hooks that ``session.guarded`` registers on each session (assumed-role ones included).

botocore does not raise on every answer it cannot read: a JSON protocol's 200 HTML page parses to
``{"message": "<html>..."}`` and then to an empty dict, and a well-formed XML document of the wrong kind to
an empty or partial one (and its query parser raises a bare ``KeyError`` on a well-formed ``<html>``). So the
raw HTTP answer is checked before botocore parses it (``before-parse``): that the body is the protocol's
syntax (a JSON object; XML), and that an XML answer's root element is the operation's (never ``<html>``).
The body decides, not the ``Content-Type``: moto labels its JSON answers ``text/html``. The parsed answer is
then checked against the operation's output shape (``after-call``; ``service_model.operation_model(name)
.output_shape``): required members present, lists lists, structures dicts. A failure raises
``DamagedAnswer``; ``calls.ScopedClient`` makes it a ``Failed`` naming the call.

The deadline: ``before-call`` notes when a call starts; ``needs-retry`` refuses a retry once ``--timeout``
(the client's ``read_timeout``) has passed since then, raising ``DeadlinePassed``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any
from xml.etree import ElementTree

from providers.live.answers import DamagedAnswer, DeadlinePassed

_STARTED = "offshore_scan_started"
"""Key of the request context holding the call's start (``time.monotonic()``)."""
_JSON = frozenset({"json", "rest-json"})
_XML_ENVELOPE = frozenset({"query", "ec2"})
"""Protocols whose answer is ``<OperationResponse>``."""
_RETRIED_STATUS = frozenset({429, 500, 502, 503, 504})


def note_start(context: dict[str, Any], **_: Any) -> None:
    """``before-call``: the call's deadline counts from here."""
    context[_STARTED] = time.monotonic()


def refuse_late_retry(request_dict: Mapping[str, Any], response: Any = None, caught_exception: Any = None,
                      **_: Any) -> None:
    """``needs-retry``: after a failed attempt, no retry once ``--timeout`` has passed since the call started."""
    context = request_dict.get("context") or {}
    started = context.get(_STARTED)
    timeout = getattr(context.get("client_config"), "read_timeout", None)
    if started is None or not isinstance(timeout, int | float):
        return
    failed = caught_exception is not None or (response is not None and response[0].status_code in _RETRIED_STATUS)
    if failed and time.monotonic() - started >= timeout:
        why = type(caught_exception).__name__ if caught_exception is not None else f"HTTP {response[0].status_code}"
        raise DeadlinePassed(f"no answer within --timeout {timeout:g} s, retries included (last: {why})")


class EndpointStatus(Exception):
    """An HTTP error status whose body is no AWS error answer (a proxy's or a server's HTML page)."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status} from the endpoint (not an AWS API answer)")
        self.status = status


def check_raw(operation_model: Any, response_dict: Mapping[str, Any], **_: Any) -> None:
    """``before-parse``: raise ``DamagedAnswer`` for a successful raw answer that is not the operation's, and
    ``EndpointStatus`` for an error status whose body is not the protocol's. botocore would make a 5xx page a
    ``ClientError`` coded with the status for JSON services but a ``ResponseParserError`` for XML ones: the page
    is dropped, so both are the one ``HTTP 500 from the endpoint (not an AWS API answer)``."""
    status = int(response_dict.get("status_code") or 0)
    if status >= 300:
        if _error_body_problem(operation_model, response_dict.get("body")):
            if status >= 500 and isinstance(response_dict, dict):
                # botocore reads a 5xx with no body as a generic error coded with the status (and retries it):
                # the page (an HTML error page that does not start with <html>) is not the service's anyway.
                response_dict["body"] = b""
                return
            raise EndpointStatus(status)
        return  # an AWS error answer: botocore makes it a ClientError, which the caller classifies
    problem = raw_problem(operation_model, response_dict.get("body"))
    if problem is not None:
        raise DamagedAnswer(problem)


def check_answer(http_response: Any, parsed: Any, model: Any, **_: Any) -> None:
    """``after-call``: raise ``DamagedAnswer`` for a successful parsed answer departing from the output shape
    (a stubbed or recorded answer too, which never passes ``before-parse``)."""
    if http_response is None or http_response.status_code >= 300:
        return
    problem = shape_problem(model.output_shape, parsed)
    if problem is not None:
        raise DamagedAnswer(problem)


def raw_problem(model: Any, body: Any) -> str | None:
    """What is wrong with the raw body of a successful answer, or None (None for a streamed body)."""
    if model.has_streaming_output or not isinstance(body, bytes | bytearray):
        return None
    body = bytes(body)
    shape = model.output_shape
    if shape is not None and _policy_payload(shape):
        # A policy is the service's own text, but always an IAM JSON document: one cut short or a proxy's page
        # would otherwise reach the access rules as an unreadable policy rather than as a failed call.
        return _json_problem(body)
    if shape is None or not _body_members(shape):
        return None
    # The protocol botocore speaks to the service (a model may offer several: the Tagging API's first is CBOR).
    service = model.service_model
    protocol = getattr(service, "resolved_protocol", None) or service.protocol
    if protocol in _JSON:
        return _json_problem(body)
    if protocol in _XML_ENVELOPE:
        return _xml_problem(body, f"{model.name}Response")
    if protocol == "rest-xml":
        return _xml_problem(body, None)
    return None


def _error_body_problem(model: Any, body: Any) -> bool:
    """Whether an error answer's body is not one the protocol's error parser reads (an HTML page). An empty
    body is left to botocore, which codes the error with the status."""
    if not isinstance(body, bytes | bytearray) or not bytes(body).strip():
        return False
    service = model.service_model
    protocol = getattr(service, "resolved_protocol", None) or service.protocol
    if protocol in _JSON:
        return _json_problem(bytes(body)) is not None
    if protocol in _XML_ENVELOPE or protocol == "rest-xml":
        return _xml_problem(bytes(body), None) is not None
    return False


def _body_members(shape: Any) -> bool:
    """Whether the answer carries members in its body (not only headers or the status), as JSON or XML."""
    payload = shape.serialization.get("payload")
    if payload is not None:
        # A blob or string payload (a bucket policy's JSON text) is the service's own bytes: not parsed here.
        return bool(shape.members[payload].type_name == "structure")
    return any(m.serialization.get("location") in (None, "body") for m in shape.members.values())


def _policy_payload(shape: Any) -> bool:
    """Whether the answer's body is a policy document as text (S3 ``GetBucketPolicy``)."""
    payload = shape.serialization.get("payload")
    return payload is not None and payload.endswith("Policy") and shape.members[payload].type_name == "string"


def _json_problem(body: bytes) -> str | None:
    if not body.strip():
        return "an empty body where the operation answers a JSON document (cut short?)"
    try:
        document = json.loads(body)
    except ValueError:
        return f"a body that is not JSON (cut short, or not the service's: {_start(body)})"
    return None if isinstance(document, dict) else f"a JSON {type(document).__name__}, not an object"


def _xml_problem(body: bytes, root: str | None) -> str | None:
    if not body.strip():
        return "an empty body where the operation answers an XML document (cut short?)"
    try:
        element = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return f"a body that is not XML (cut short, or not the service's: {_start(body)})"
    name = element.tag.rsplit("}", 1)[-1]
    if name.lower() == "html" or (root is not None and name != root):
        return f"an XML document <{name}>, not <{root or 'the operation answer'}>"
    return None


def _start(body: bytes) -> str:
    return repr(body[:40].decode("utf-8", "replace"))


def shape_problem(shape: Any, parsed: Any, path: str = "the answer") -> str | None:
    """The first way ``parsed`` departs from ``shape`` (a required member missing, a list that is not a list,
    a structure that is not a dict), or None."""
    if shape is None:
        return None
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(parsed, Mapping):
            return f"{path} is a {type(parsed).__name__}, not a structure"
        missing = [name for name in shape.required_members if name not in parsed]
        if missing and path == "the answer":
            # Only at the top: services leave required members of nested shapes out more often than the
            # models admit, and the collectors index nested members through .get().
            return f"{path} lacks {', '.join(missing)}, which the operation's output shape requires"
        for name, member in shape.members.items():
            if name in parsed and (problem := shape_problem(member, parsed[name], name)) is not None:
                return problem
        return None
    if kind == "list":
        if not isinstance(parsed, list):
            return f"{path} is a {type(parsed).__name__}, not a list"
        return next((p for item in parsed if (p := shape_problem(shape.member, item, f"an item of {path}"))), None)
    if kind == "map":
        return None if isinstance(parsed, Mapping) else f"{path} is a {type(parsed).__name__}, not a map"
    return None


def register(events: Any) -> None:
    """The hooks on a session's (or client's) event system."""
    events.register("before-call.*.*", note_start, unique_id="offshore-scan-deadline-start")
    events.register("needs-retry.*.*", refuse_late_retry, unique_id="offshore-scan-deadline")
    events.register("before-parse.*.*", check_raw, unique_id="offshore-scan-raw-check")
    events.register("after-call.*.*", check_answer, unique_id="offshore-scan-answer-check")
