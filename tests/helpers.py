"""Helpers shared by the unit tests."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from providers.interface import ScanOptions
from providers.semantics.normalise import to_inventory
from providers.semantics.records import ResourceRecord, Unknown
from providers.terraform.expressions import evaluate
from providers.terraform.hcl_syntax import parse_hcl
from scanner.model import Finding, Inventory


def normalised(records: Sequence[ResourceRecord], options: ScanOptions | None = None) -> Inventory:
    """The inventory of records, which must have been read whole.

    A concern that raises costs only its own record (a coverage gap), so a test that asserts "no flow"
    would still pass on a crash; every test that builds an inventory this way also asserts that nothing
    was skipped. A test that expects a gap calls ``to_inventory`` itself.
    """
    inventory = to_inventory(records, options or ScanOptions())
    assert inventory.coverage == (), f"records were not read whole: {inventory.coverage}"
    return inventory


class Vars:
    """A resolver answering ``var.*`` from keyword arguments, and nothing else (everything else is unknown)."""

    def __init__(self, **values: Any) -> None:
        self.values = values

    def reference(self, root: str, steps: list[Any], trace: list[str]) -> tuple[Any, int]:
        if root == "" and steps:
            return steps[0], 1
        if root == "var" and steps and steps[0] in self.values:
            trace.append(f"var.{steps[0]}")
            return self.values[steps[0]], 1
        return Unknown(f"{root} is not known here"), len(steps)


def evaluated(source: str, **variables: Any) -> Any:
    """The value of one HCL expression, ``var.*`` answered from ``variables``."""
    return evaluate(parse_hcl(f"x = {source}\n", "test.tf").attributes["x"].expr, Vars(**variables))


def scan_directory(path: Path) -> tuple[Inventory, tuple[Finding, ...]]:
    """A directory scanned and judged as the CLI would, with default options (the demo has its own config
    file, which the CLI would find; it is read here too)."""
    from scanner.config import find_config, load_config
    from scanner.engine import evaluate as judge
    from scanner.inputs import InputOptions, scan_input

    config = load_config(find_config(None, [path]))
    options = InputOptions(ScanOptions(rules=config.rules, estate=config.estate,
                                       endpoints=tuple(config.endpoints.items())))
    inventory = scan_input(str(path), options)
    return inventory, judge(inventory)


@contextmanager
def moto_server() -> Iterator[str]:
    """A moto server on 127.0.0.1 (a free port) with an empty cloud, as its endpoint URL; stopped on exit.

    In-process servers share moto's backends, so each starts by resetting them, whatever ran before."""
    import requests
    from moto.server import ThreadedMotoServer

    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    requests.post(f"{endpoint}/moto-api/reset", timeout=10)
    try:
        yield endpoint
    finally:
        moto.stop()
