"""``offshore-scan azure`` end to end: the real CLI in a subprocess, the real azure SDK clients, real HTTP to a
local ARM endpoint serving the recorded-shape estate in fixtures/providers/azure/claims."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from azure_arm import TOKEN, ArmEndpoint, arm_endpoint

from providers.azure.adapter import scan_azure
from providers.azure.options import AzureOptions
from providers.interface import ScanOptions

ROOT = Path(__file__).resolve().parent.parent
S1 = "11111111-1111-1111-1111-111111111111"
S2 = "22222222-2222-2222-2222-222222222222"
S3 = "33333333-3333-3333-3333-333333333333"
CONFIG = """
estate:
  tenants:
    bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb: {owner: Offshore MSP, country: IN}
  principals:
    cccccccc-cccc-cccc-cccc-cccccccccccc: {owner: Contractor support group, country: IN}
"""


def _run(endpoint: ArmEndpoint, tmp_path: Path, *args: str, token: str = TOKEN) -> subprocess.CompletedProcess[str]:
    (tmp_path / "offshore-scan.yaml").write_text(CONFIG, encoding="utf-8")
    env = {**os.environ, "OFFSHORE_SCAN_AZURE_TOKEN": token, "PYTHONPATH": str(ROOT)}
    env.pop("AZURE_ARM_ENDPOINT", None)
    return subprocess.run([sys.executable, "-m", "scanner.cli", "azure", "--arm-endpoint", endpoint.url, *args],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp_path = tmp_path_factory.mktemp("azure")
    with arm_endpoint() as endpoint:
        started = time.monotonic()
        done = _run(endpoint, tmp_path, "--format", "json")
        seconds = time.monotonic() - started
    assert done.returncode == 2, done.stderr[-3000:]  # denied scopes: the scan is incomplete
    return {"json": json.loads(done.stdout), "stderr": done.stderr, "seen": endpoint.seen, "seconds": seconds}


def _name(resource_id: str) -> str:
    return resource_id.rstrip("/").rsplit("/", 1)[-1]


def _findings(report: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(f["rule_id"], f["outcome"], _name(f["resource"])) for f in report["json"]["findings"]}


def test_only_gets_reached_the_endpoint(report: dict[str, Any]) -> None:
    # The POSTs are the read-only ones: the Resource Graph query, which this endpoint refuses (405: the scan lists
    # every subscription instead), and the app settings lists (one of them denied).
    posts = {(seen.path.lower().rsplit("/", 3)[-3:][0] if "appsettings" in seen.path.lower() else seen.path.lower(),
              seen.status) for seen in report["seen"] if seen.method != "GET"}
    assert posts == {("/providers/microsoft.resourcegraph/resources", 405), ("config", 200), ("config", 403)}
    assert all("api-version" in seen.query for seen in report["seen"])
    assert report["json"]["api_calls"]["Microsoft.Resources"] >= 7


def test_resources_outside_the_uk_are_reported(report: dict[str, Any]) -> None:
    found = _findings(report)
    assert ("OFS-HOST-001", "fail", "claimsarchive") in found  # storage in westeurope
    assert ("OFS-HOST-001", "fail", "claims-portal") in found  # a type placed by its location only ("East US")


def test_replication_leaving_the_uk_is_reported(report: dict[str, Any]) -> None:
    found = _findings(report)
    for resource in ("claimsarchive",  # RA-GRS from westeurope to northeurope
                     "claimsexport",  # blob object replication to an eastus account
                     "claims-cosmos",  # a North Europe geo-location
                     "claims-sql",  # failover group partner in East US
                     "claimsdb",  # geo-secondary in West US
                     "claimsacr"):  # geo-replica in francecentral
        assert ("OFS-REPL-001", "fail", resource) in found, resource
    messages = [f["message"] for f in report["json"]["findings"] if f["rule_id"] == "OFS-REPL-001"]
    assert any("westus" in m and "claimsdb" in m for m in messages)
    assert any("francecentral" in m for m in messages)


def test_diagnostics_to_non_uk_workspaces_event_hubs_and_partners_are_reported(report: dict[str, Any]) -> None:
    findings = [f for f in report["json"]["findings"] if f["category"] == "diagnostics"]
    by = {(f["outcome"], _name(f["resource"]), f["target"]["region"] if f["target"] else None) for f in findings}
    assert ("fail", "claims-kv", "eastus") in by  # Log Analytics workspace us-logs
    assert ("fail", "claimsdb", "westeurope") in by  # Event Hub namespace read by id in another subscription
    partner = [f for f in findings if _name(f["resource"]) == "claims-kv" and f["outcome"] == "unknown"]
    assert partner and "Datadog" in partner[0]["message"]


def test_cross_tenant_access_and_peering_abroad_are_reported(report: dict[str, Any]) -> None:
    access = [f for f in report["json"]["findings"] if f["rule_id"] == "OFS-ACC-001" and f["outcome"] == "fail"]
    principals = {f["target"]["region"] for f in access}
    assert principals == {"bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb", "cccccccc-cccc-cccc-cccc-cccccccccccc"}
    # The foreign group is Contributor on claims-rg only; the Lighthouse delegation covers subscription 1 only.
    reached = {(f["target"]["region"][:4], f["resource"].split("/")[2]) for f in access}
    assert ("bbbb", S2) not in reached and ("cccc", S2) not in reached
    assert ("OFS-NET-001", "fail", "claims-vnet") in _findings(report)


def test_uk_resources_and_non_dwp_resources_abroad_pass(report: dict[str, Any]) -> None:
    judged = {(f["category"], _name(f["resource"])) for f in report["json"]["findings"] if f["category"] != "access"}
    for resource in ("claimsevidence",  # uksouth GRS: its copy stays in ukwest; diagnostics to uksouth
                     "claims-rsv"):  # GeoRedundant vault in uksouth, cross-region restore to ukwest
        assert [c for c, r in judged if r == resource] == [], resource
    for resource in ("marketingassets", "dr-vnet", "us-logs"):  # not DWP
        assert not [f for f in report["json"]["findings"] if _name(f["resource"]) == resource], resource
    # The object replication's destination and the failover group's secondary hold the DWP copies: DWP as those
    # copies, their place said once (by the replication findings), reachable through the offshore delegation.
    for resource in ("claimsexportdr", "claims-sql-dr"):
        dr = [f for f in report["json"]["findings"] if _name(f["resource"]) == resource]
        assert {f["rule_id"] for f in dr} == {"OFS-ACC-001"}, dr
    # No finding is only a pass where nothing went unread: every scope of subscription 1 was read.
    assert [s for s in report["json"]["scopes"] if s["account"] == S1 and s["status"] != "scanned"] == []
    assert [g for g in report["json"]["coverage"] if g["path"].startswith(S1) and g["kind"] != "note"] == []


def test_every_subscription_has_coverage_and_a_403_is_never_a_pass(report: dict[str, Any]) -> None:
    scopes = report["json"]["scopes"]
    assert {s["account"] for s in scopes} >= {S1, S2, S3}
    status = {(s["account"], s["service"]): s["status"] for s in scopes}
    assert status[(S2, "Microsoft.Insights")] == "denied"
    assert status[(S3, "Microsoft.Resources")] == "denied"
    assert status[(S2, "Microsoft.Resources")] == "scanned"  # throttled once, retried after Retry-After
    gaps = [g for g in report["json"]["coverage"] if g["kind"] != "note"]
    assert any(g["path"] == f"{S3}/global" and "Microsoft.Resources denied" in g["reason"] for g in gaps)
    assert any(g["path"] == f"{S2}/global" and "Microsoft.Insights denied" in g["reason"] for g in gaps)
    # The denied diagnostic settings leave the key vault's diagnostics unknown, not passed.
    unknown = [f for f in report["json"]["findings"] if _name(f["resource"]) == "monitoring-kv"
               and f["category"] == "diagnostics"]
    assert unknown and unknown[0]["outcome"] == "unknown" and "denied" in unknown[0]["message"]
    assert "offshore-scan: error:" in report["stderr"] and "Traceback" not in report["stderr"]


@pytest.mark.slow
def test_allow_partial_judges_on_what_was_read(tmp_path: Path) -> None:
    with arm_endpoint() as endpoint:
        done = _run(endpoint, tmp_path, "--allow-partial", "--quiet", "--format", "json", "-o", "out.json")
    assert done.returncode == 1, done.stderr[-2000:]
    assert json.loads((tmp_path / "out.json").read_text())["findings"]


def test_a_refused_token_is_one_line_and_exit_2(tmp_path: Path) -> None:
    with arm_endpoint() as endpoint:
        done = _run(endpoint, tmp_path, token="expired")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("offshore-scan: error:")
    assert "HTTP 401" in done.stderr and "Traceback" not in done.stderr


def test_a_management_group_scans_the_subscriptions_under_it() -> None:
    with arm_endpoint() as endpoint:
        inventory = scan_azure(AzureOptions(management_group="dwp-root", arm_endpoint=endpoint.url, token=TOKEN),
                               ScanOptions())
    assert inventory.scanned == (f"azure subscription {S1}",)
    assert not [g for g in inventory.coverage if g.incomplete]


def test_a_subscription_of_another_tenant_is_left_out_and_said() -> None:
    with arm_endpoint() as endpoint:
        inventory = scan_azure(AzureOptions(tenant="99999999-9999-9999-9999-999999999999",
                                            arm_endpoint=endpoint.url, token=TOKEN), ScanOptions())
    assert inventory.scanned == ()
    notes = [g.reason for g in inventory.coverage]
    assert any("not --tenant" in n for n in notes)
    assert any("no subscription was scanned" in n for n in notes)  # nothing judged is never a clean scan
    assert any(g.incomplete for g in inventory.coverage)


def test_a_subscription_asked_for_but_not_readable_is_a_gap() -> None:
    with arm_endpoint() as endpoint:
        inventory = scan_azure(AzureOptions(subscriptions=("44444444-4444-4444-4444-444444444444",),
                                            arm_endpoint=endpoint.url, token=TOKEN), ScanOptions())
    assert any("44444444-4444-4444-4444-444444444444 is not readable" in g.reason and g.incomplete
               for g in inventory.coverage)


def test_a_subscription_asked_for_is_read_by_id_when_the_listing_lacks_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import azure_arm

    routes = azure_arm.load_routes("claims")
    everything = routes["/subscriptions"]["value"]
    routes["/subscriptions"] = {"value": []}  # an identity that may read a subscription but not list them
    routes[f"/subscriptions/{S1}"] = next(s for s in everything if s["subscriptionId"] == S1)
    monkeypatch.setattr(azure_arm, "load_routes", lambda estate: routes)
    with arm_endpoint() as endpoint:
        inventory = scan_azure(AzureOptions(subscriptions=(S1,), arm_endpoint=endpoint.url, token=TOKEN),
                               ScanOptions())
    assert inventory.scanned == (f"azure subscription {S1}",)
    assert not [g for g in inventory.coverage if g.incomplete]


def _judged(routes: dict) -> set[tuple[str, str, str]]:
    from scanner.engine import evaluate

    endpoint = ArmEndpoint(routes).start()
    try:
        inventory = scan_azure(AzureOptions(subscriptions=(S1,), arm_endpoint=endpoint.url, token=TOKEN),
                               ScanOptions())
    finally:
        endpoint.close()
    return {(f.rule_id, f.outcome.value, _name(f.resource.id)) for f in evaluate(inventory)}


def test_types_and_locations_are_read_whatever_their_spelling() -> None:
    from azure_arm import load_routes

    as_recorded = load_routes("claims")
    respelt = load_routes("claims")
    listing = respelt[f"/subscriptions/{S1}/resources"]["value"]
    for resource in listing:
        resource["type"] = resource["type"].lower()  # ARM answers spell types in either case
        resource["location"] = {"uksouth": "UK South", "westeurope": "West Europe"}.get(resource["location"],
                                                                                       resource["location"])
    assert _judged(respelt) == _judged(as_recorded)
    assert ("OFS-HOST-001", "fail", "claimsarchive") in _judged(respelt)


@pytest.mark.slow
def test_the_text_report_names_subscriptions_and_lists_live_coverage(tmp_path: Path) -> None:
    with arm_endpoint() as endpoint:
        done = _run(endpoint, tmp_path, "--subscription", S1, "--fail-on", "never")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("offshore-scan ") and "1 Azure subscription(s)" in done.stdout.splitlines()[0]
    assert "Live coverage" in done.stdout and "Microsoft.Storage" in done.stdout
