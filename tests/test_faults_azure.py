"""The Azure half of ``test_faults.py``: every ARM operation a scan of the recorded estate calls, broken by the
fault proxy in front of the local ARM endpoint, is a coverage gap naming it; no finding of another
(subscription, resource provider) is lost; nothing waits past ``--timeout``."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from azure_arm import TOKEN, arm_endpoint
from fault_proxy import FAULTS, FaultProxy, fault_proxy

from providers.azure.adapter import scan_azure
from providers.azure.options import AzureOptions
from providers.interface import ScanOptions
from scanner.config import load_config
from scanner.engine import evaluate
from scanner.model import Inventory

TIMEOUT = 0.75
"""--timeout of the scans that break calls by stalling them (seconds); the proxy stalls for twice as long. Each
stalled call costs one --timeout, and the matrix stalls every operation, so it is short; the local ARM endpoint
answers in milliseconds, so no unbroken call makes a gap."""
RELAXED = 30.0
"""--timeout of the scans that break nothing by stalling: a loaded test machine never makes a gap of its own."""
SUBSCRIPTIONS = 4
"""Subscriptions of the recorded estate (fixtures/providers/azure/claims)."""
CONFIG = """
estate:
  tenants:
    bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb: {owner: Offshore MSP, country: IN}
  principals:
    cccccccc-cccc-cccc-cccc-cccccccccccc: {owner: Contractor support group, country: IN}
"""
SDK_OPERATIONS = {
    "get /subscriptions": "subscriptions.list",
    "get /subscriptions/*/resources": "resources.list",
    "get /subscriptions/*/resourcegroups": "resource_groups.list",
    "get /subscriptions/*/resourcegroups/*/providers/microsoft.storage/storageaccounts/*":
        "storage_accounts.get_properties",
    "get /subscriptions/*/resourcegroups/*/providers/microsoft.storage/storageaccounts/*/objectreplicationpolicies":
        "object_replication_policies.list",
    "get /subscriptions/*/providers/microsoft.authorization/roleassignments": "role_assignments.list_for_subscription",
    "get /subscriptions/*/providers/microsoft.authorization/policyassignments": "policy_assignments.list",
}
"""ARM paths the SDK's typed operations call, by the name a gap gives them; every other path is named by itself."""
FIRST = "get /subscriptions"
"""The first call: a fault there is a one-line error (the endpoint cannot be used), tested apart."""
EVERYTHING = "get /subscriptions/*/resources"
"""The inventory: with it broken, nothing of the subscription is judged."""


@pytest.fixture(scope="module")
def azure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FaultProxy, ScanOptions]]:
    config_file = tmp_path_factory.mktemp("faults-azure") / "offshore-scan.yaml"
    config_file.write_text(CONFIG, encoding="utf-8")
    config = load_config(config_file)
    scan = ScanOptions(rules=config.rules, estate=config.estate)
    with arm_endpoint() as endpoint, fault_proxy(endpoint.url, stall_seconds=2 * TIMEOUT) as proxy:
        yield proxy, scan


def _scan(proxy: FaultProxy, scan: ScanOptions,
          timeout: float = RELAXED) -> tuple[Inventory, set[tuple[str, str]], float]:
    options = AzureOptions(arm_endpoint=proxy.url, token=TOKEN, timeout=timeout)
    started = time.monotonic()
    inventory = scan_azure(options, scan)
    seconds = time.monotonic() - started
    return inventory, {(f.rule_id, f.resource.id.lower()) for f in evaluate(inventory) if f.outcome.value == "fail"}, \
        seconds


@pytest.fixture(scope="module")
def clean(azure: tuple[FaultProxy, ScanOptions]) -> tuple[Inventory, set[tuple[str, str]], float, set[str]]:
    proxy, scan = azure
    proxy.faults.clear()
    proxy.seen.clear()
    inventory, found, seconds = _scan(proxy, scan)
    return inventory, found, seconds, set(proxy.seen)


def _provider(operation: str) -> str:
    """The resource provider a path's calls are counted against (``Microsoft.Resources`` for the listings)."""
    named = [p for p in operation.split(" ", 1)[1].split("/") if "." in p]
    return named[-1] if named else "microsoft.resources"


def _name(operation: str) -> str:
    """What a gap calls the operation: the SDK operation, else the path (an extension resource's tail)."""
    if re.fullmatch(r"get /subscriptions/\*/providers/[^/]+", operation):
        return "providers.get"  # a resource provider's api-versions
    return SDK_OPERATIONS.get(operation, operation.removeprefix("get ").lstrip("*"))


def _batches(operations: list[str]) -> list[tuple[str, ...]]:
    """One operation of a provider per scan (the inventory on its own)."""
    batches: list[list[str]] = [[EVERYTHING]] if EVERYTHING in operations else [[]]
    for operation in (o for o in operations if o != EVERYTHING):
        for batch in batches[1:]:
            if _provider(operation) not in {_provider(o) for o in batch}:
                batch.append(operation)
                break
        else:
            batches.append([operation])
    return [tuple(b) for b in batches if b]


def _check(azure: tuple[FaultProxy, ScanOptions], clean: Any, broken: tuple[str, ...], kind: str) -> list[str]:
    """Scan with ``broken`` broken by ``kind``; the operations never called (another broken one hid them)."""
    proxy, scan = azure
    _, clean_found, clean_seconds, _ = clean
    proxy.faults.clear()
    faults = {operation: proxy.breaking(operation, kind) for operation in broken}
    try:
        inventory, found, seconds = _scan(proxy, scan, TIMEOUT if kind == "stall" else RELAXED)
    finally:
        proxy.faults.clear()
    for operation, fault in faults.items():
        if not fault.hits:
            continue
        name = _name(operation).lower()
        scopes = [s for s in inventory.scopes if s.status.incomplete and name in (s.detail or "").lower()]
        assert scopes, (operation, kind, [(s.account, s.service, s.status.value, s.detail) for s in inventory.scopes
                                          if s.status.incomplete])
    if EVERYTHING not in broken:
        # Findings of other providers' resources stay; diagnostics (whose destinations are read by id, of any
        # provider) and access (role assignments, Lighthouse) may turn unknown with the provider that holds them.
        providers = {_provider(o) for o in broken}
        kept = {f for f in clean_found if f[0] != "OFS-DIAG-001"
                and not any(f"/providers/{p}/" in f[1] for p in providers)}
        if providers & {"microsoft.authorization", "microsoft.managedservices"}:
            kept = {f for f in kept if f[0] not in ("OFS-ACC-001", "OFS-GRD-001")}
        assert not kept - found, (broken, kind, sorted(kept - found))
    # Nothing waits past the deadline: a broken call costs at most --timeout and one backoff, in each subscription.
    assert seconds < clean_seconds + 2 * TIMEOUT * len(broken) * SUBSCRIPTIONS + 5, (broken, kind, seconds)
    return [o for o, f in faults.items() if not f.hits]


def _operations(clean: Any, kind: str | None = None, proxy: FaultProxy | None = None) -> list[str]:
    """The GETs the clean scan made; for a fault made from the answer, those ARM answered (a 404 or 403 is passed
    on as it is), and for endless pages, the listings."""
    operations = sorted(o for o in clean[3] if o != FIRST and o.startswith("get "))
    if proxy is None or kind not in ("cut", "endless", "repeat"):
        return operations
    needed = "listing" if kind in ("endless", "repeat") else "ok"
    return [o for o in operations if needed in proxy.answered.get(o, set())]


def test_the_estate_reaches_every_collector(clean: Any) -> None:
    operations = _operations(clean)
    assert EVERYTHING in operations and len(operations) >= 10, operations


@pytest.mark.parametrize(("operation", "kind"), [
    (EVERYTHING, "html"),  # the inventory: never "no DWP resources"
    ("get /subscriptions/*/resourcegroups/*/providers/microsoft.sql/servers/*/failovergroups", "endless"),
    ("get /subscriptions/*/resourcegroups/*/providers/microsoft.documentdb/databaseaccounts/*", "stall"),
    pytest.param("get */providers/microsoft.insights/diagnosticsettings", "cut", marks=pytest.mark.slow),
    pytest.param("get /subscriptions/*/providers/microsoft.authorization/roleassignments", "repeat",
                 marks=pytest.mark.slow),
    pytest.param("get /subscriptions/*/resourcegroups/*/providers/microsoft.sql/servers/*", "503",
                 marks=pytest.mark.slow),  # retried by azure-core until --timeout: one scope's worth
])
def test_the_calls_that_matter_most_broken_are_gaps(azure: Any, clean: Any, operation: str, kind: str) -> None:
    assert operation in _operations(clean)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("providers.azure.calls.MAX_PAGES", 5)
        patch.setattr("providers.azure.answers.MAX_PAGES", 5)
        assert _check(azure, clean, (operation,), kind) == [], f"{operation} was never called"


@pytest.mark.slow
@pytest.mark.parametrize("kind", [k for k in FAULTS if k != "503"])  # 503: azure-core retries it up to --timeout
def test_every_arm_operation_broken_is_a_gap_naming_it(azure: Any, clean: Any, kind: str) -> None:
    failures = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("providers.azure.calls.MAX_PAGES", 5)
        patch.setattr("providers.azure.answers.MAX_PAGES", 5)
        for batch in _batches(_operations(clean, kind, azure[0])):
            try:
                hidden = _check(azure, clean, batch, kind)
                for operation in hidden:  # hidden by another broken call: broken alone
                    assert _check(azure, clean, (operation,), kind) == [], f"{operation} was never called"
            except AssertionError as error:
                failures.append(str(error)[:400])
    assert not failures, "\n".join(failures)


def test_a_broken_first_call_is_one_line(azure: Any) -> None:
    from providers.live.errors import CredentialsError

    proxy, scan = azure
    for kind in ("html", "stall"):
        proxy.breaking(FIRST, kind)
        try:
            inventory = None
            try:
                inventory, _, _ = _scan(proxy, scan, TIMEOUT)
            except CredentialsError as error:
                assert "\n" not in str(error), (kind, str(error))
        finally:
            proxy.faults.clear()
        if inventory is not None:
            # Not a refusal: nothing listed, so nothing judged, said as a gap.
            assert any("subscriptions.list" in (s.detail or "") for s in inventory.scopes), kind
            assert any("no subscription was scanned" in g.reason for g in inventory.coverage), kind

