"""The api-version of each ARM type is asked of its provider once per subscription, however many workers ask."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from providers.azure.api_versions import ApiVersions


class _Providers:
    def __init__(self) -> None:
        self.asked: list[str] = []

    def get(self, namespace: str) -> dict[str, Any]:
        self.asked.append(namespace)
        time.sleep(0.05)  # long enough for every worker to arrive while the first answer is awaited
        return {"resourceTypes": [{"resourceType": "sites", "apiVersions": ["2024-04-01", "2025-01-01-preview"]}]}


class _Calls:
    """The two members ApiVersions uses: the client pool and a read that runs the call."""

    def __init__(self) -> None:
        self.client = type("Client", (), {"providers": _Providers()})()
        self.clients = self

    def get(self, service: str, subscription: str) -> Any:
        return self.client

    def read(self, subscription: str, provider: str, operation: str, call: Any, absent: Any = (404,)) -> Any:
        return call()


def test_parallel_workers_ask_a_provider_once() -> None:
    calls = _Calls()
    versions = ApiVersions(calls, {})  # type: ignore[arg-type]
    start = threading.Barrier(8)

    def ask(_: int) -> Any:
        start.wait()
        return versions.of("sub", "Microsoft.Web/sites")

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(ask, range(8)))
    assert answers == ["2024-04-01"] * 8
    assert calls.client.providers.asked == ["Microsoft.Web"]
