"""A small local Azure Resource Manager endpoint for tests: real HTTP on 127.0.0.1, answers from JSON files.

Each JSON file of an estate folder maps ARM paths (matched without case; the query string is not part of
the match) to an answer: a JSON body; ``{"$status": code, "$body": ..., "$headers": {...}}``; or
``{"$sequence": [answer, ...]}``, given in order, the last one repeated. Like ARM it refuses a request
without ``api-version`` (400) or without the expected bearer token (401), answers any api-version, and
gives an empty ``value`` for a child collection the estate does not list. It records every request, and
answers every method other than GET with 405 (so a test sees any that got through), except the read-only
POSTs: an action listing (``.../config/appsettings/list``) the estate answers, and, with ``resource_graph=True``,
a Resource Graph query, answered from the estate's listings and resources (``resource_graph.py``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ESTATES = Path(__file__).resolve().parent.parent / "fixtures" / "providers" / "azure"
TOKEN = "local-test-token"
_EMPTY_COLLECTIONS = ("/diagnosticsettings", "/failovergroups", "/replicationlinks", "/replications",
                      "/objectreplicationpolicies", "/registrationassignments", "/roleassignments",
                      "/policyassignments", "/resourcegroups", "/resources")


class _Server(ThreadingHTTPServer):
    """A long accept queue: the default (5) overflows when a scan's workers connect at once on a loaded machine, and
    each connection the kernel drops then waits a second for its retry (a gap, with a short ``--timeout``)."""

    request_queue_size = 128


@dataclass(frozen=True)
class Seen:
    """One request the endpoint received."""

    method: str
    path: str
    query: dict[str, list[str]]
    status: int


def load_routes(estate: str | Path) -> dict[str, Any]:
    """Path (lower case, no trailing slash) -> answer, from every JSON file of an estate folder."""
    folder = estate if isinstance(estate, Path) else ESTATES / estate
    routes: dict[str, Any] = {}
    for file in sorted(folder.glob("*.json")):
        for path, answer in json.loads(file.read_text(encoding="utf-8")).items():
            routes[path.lower().rstrip("/")] = answer
    return routes


class ArmEndpoint:
    """The endpoint: ``url`` while running; ``seen`` lists the requests."""

    def __init__(self, routes: dict[str, Any], token: str | None = TOKEN, resource_graph: bool = False) -> None:
        self.routes = routes
        self.token = token
        self.resource_graph = resource_graph
        self.seen: list[Seen] = []
        self._served: dict[str, int] = {}
        self._lock = threading.Lock()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet test output
                pass

            def do_GET(self) -> None:
                endpoint._answer(self)

            def _refuse(self) -> None:
                endpoint._record(self, 405)
                self._send(405, {"error": {"code": "MethodNotAllowed", "message": "read-only test endpoint"}}, {})

            def do_POST(self) -> None:
                if not endpoint._post(self):
                    self._refuse()

            do_PUT = do_PATCH = do_DELETE = do_HEAD = _refuse

            def _send(self, status: int, body: Any, headers: dict[str, str]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> ArmEndpoint:
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _record(self, handler: BaseHTTPRequestHandler, status: int) -> None:
        parts = urlsplit(handler.path)
        with self._lock:
            self.seen.append(Seen(handler.command, parts.path, parse_qs(parts.query), status))

    def _post(self, handler: Any) -> bool:
        """Answers a read-only POST the estate serves; False for any other (refused)."""
        from resource_graph import GRAPH_PATH, graph_answer

        parts = urlsplit(handler.path)
        path = parts.path.lower().rstrip("/")
        length = int(handler.headers.get("Content-Length") or 0)
        request = json.loads(handler.rfile.read(length) or b"{}") if length else {}
        if path == GRAPH_PATH and self.resource_graph:
            status, body, headers = self._route(path, handler.headers.get("Authorization"), parse_qs(parts.query),
                                                answer=graph_answer(self.routes, request))
        elif path.endswith("/list") and path in self.routes:
            status, body, headers = self._route(path, handler.headers.get("Authorization"), parse_qs(parts.query))
        else:
            return False
        body = json.loads(json.dumps(body).replace("{endpoint}", self.url))
        self._record(handler, status)
        handler._send(status, body, headers)
        return True

    def _answer(self, handler: Any) -> None:
        parts = urlsplit(handler.path)
        query = parse_qs(parts.query)
        status, body, headers = self._route(parts.path.lower().rstrip("/"), handler.headers.get("Authorization"), query)
        body = json.loads(json.dumps(body).replace("{endpoint}", self.url))
        self._record(handler, status)
        handler._send(status, body, headers)

    def _route(self, path: str, authorization: str | None, query: dict[str, list[str]],
               answer: Any = None) -> tuple[int, Any, dict]:
        if self.token is not None and authorization != f"Bearer {self.token}":
            return 401, {"error": {"code": "InvalidAuthenticationToken", "message": "The access token is invalid."}}, {}
        if "api-version" not in query:
            return 400, {"error": {"code": "MissingApiVersionParameter",
                                   "message": "The api-version query parameter (?api-version=) is required."}}, {}
        page = query.get("$skiptoken")
        if answer is None:
            answer = self.routes.get(f"{path}?$skiptoken={page[0].lower()}") if page else self.routes.get(path)
        if answer is None:
            if path.endswith(_EMPTY_COLLECTIONS):
                return 200, {"value": []}, {}
            return 404, {"error": {"code": "ResourceNotFound", "message": f"{path} was not found."}}, {}
        if isinstance(answer, dict) and "$sequence" in answer:
            with self._lock:
                index = self._served.get(path, 0)
                self._served[path] = index + 1
            steps = answer["$sequence"]
            answer = steps[min(index, len(steps) - 1)]
        if isinstance(answer, dict) and "$status" in answer:
            return int(answer["$status"]), answer.get("$body", {}), dict(answer.get("$headers", {}))
        return 200, answer, {}


@contextmanager
def arm_endpoint(estate: str | Path = "claims", token: str | None = TOKEN,
                 resource_graph: bool = False) -> Iterator[ArmEndpoint]:
    """A running endpoint serving an estate; shut down on exit."""
    endpoint = ArmEndpoint(load_routes(estate), token, resource_graph).start()
    try:
        yield endpoint
    finally:
        endpoint.close()
