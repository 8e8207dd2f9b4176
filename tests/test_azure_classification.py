"""Which Azure resources are DWP in a live scan: their tags, their resource group's (where the config says so),
or their subscription (``dwp.subscriptions``); the config keys are checked like every other."""

from __future__ import annotations

from pathlib import Path

import pytest
from azure_arm import TOKEN, arm_endpoint

from providers.azure.adapter import Progress, scan_azure
from providers.azure.options import AzureOptions
from providers.interface import ScanOptions
from scanner.config import ConfigError, load_config
from scanner.engine import evaluate

S1 = "11111111-1111-1111-1111-111111111111"
DR = f"/subscriptions/{S1}/resourceGroups/dr-rg/providers/Microsoft.Storage/storageAccounts/claimsexportdr"
MARKETING = (f"/subscriptions/{S1}/resourceGroups/marketing-rg/providers/Microsoft.Storage/storageAccounts/"
             "marketingassets")


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "offshore-scan.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _scan(tmp_path: Path, text: str, **options: object) -> tuple[object, list[Progress]]:
    config = load_config(_config(tmp_path, text))
    seen: list[Progress] = []
    with arm_endpoint() as endpoint:
        inventory = scan_azure(
            AzureOptions(subscriptions=(S1,), arm_endpoint=endpoint.url, token=TOKEN,
                         resource_group_tags=config.resource_group_tags, **options),  # type: ignore[arg-type]
            ScanOptions(rules=config.rules, estate=config.estate), progress=seen.append)
    return inventory, seen


def _hosting_failures(inventory: object) -> set[str]:
    return {f.resource.id for f in evaluate(inventory) if f.rule_id == "OFS-HOST-001"}  # type: ignore[arg-type]


def test_untagged_resources_abroad_are_not_dwp_by_default(tmp_path: Path) -> None:
    inventory, progress = _scan(tmp_path, "{}\n")
    assert DR not in _hosting_failures(inventory) and MARKETING not in _hosting_failures(inventory)
    assert [g for g in inventory.coverage if g.incomplete] == []  # type: ignore[attr-defined]
    assert progress and progress[-1].subscriptions == progress[-1].subscriptions_done == 1
    assert progress[-1].calls > 10


def test_a_dwp_subscription_makes_every_resource_in_it_dwp(tmp_path: Path) -> None:
    inventory, _ = _scan(tmp_path, f"dwp:\n  subscriptions: ['{S1}']\n")
    assert {DR, MARKETING} <= _hosting_failures(inventory)


def test_a_resource_group_tag_counts_only_where_the_config_says(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import azure_arm

    routes = azure_arm.load_routes("claims")
    groups = routes[f"/subscriptions/{S1}/resourcegroups"]["value"]
    next(g for g in groups if g["name"] == "dr-rg")["tags"] = {"Owner": "DWP Claims"}
    monkeypatch.setattr(azure_arm, "load_routes", lambda estate: routes)
    without, _ = _scan(tmp_path, "{}\n")
    assert DR not in _hosting_failures(without)
    assert [g for g in without.coverage if g.incomplete] == []  # type: ignore[attr-defined]
    inherited, _ = _scan(tmp_path, "dwp:\n  resource_group_tags: true\n")
    assert DR in _hosting_failures(inherited)  # dr-rg is DWP's: its eastus account is DWP data abroad
    assert MARKETING not in _hosting_failures(inherited)
    assert [g for g in inherited.coverage if g.incomplete] == []  # type: ignore[attr-defined]


def test_resource_group_tags_must_be_a_boolean(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"dwp\.resource_group_tags must be true or false"):
        load_config(_config(tmp_path, "dwp:\n  resource_group_tags: yes-please\n"))
    assert load_config(_config(tmp_path, "dwp:\n  subscriptions: []\n")).resource_group_tags is False


def test_resource_groups_that_cannot_be_read_leave_group_tags_unapplied_and_said(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import azure_arm

    routes = azure_arm.load_routes("claims")
    routes[f"/subscriptions/{S1}/resourcegroups"] = {"$status": 403, "$body": {"error": {
        "code": "AuthorizationFailed", "message": "no resourceGroups/read"}}}
    monkeypatch.setattr(azure_arm, "load_routes", lambda estate: routes)
    inventory, _ = _scan(tmp_path, "dwp:\n  resource_group_tags: true\n")
    reasons = [g.reason for g in inventory.coverage if g.incomplete]  # type: ignore[attr-defined]
    assert any("Microsoft.Resources denied" in r for r in reasons)
    assert any("their tags (dwp.resource_group_tags) were not applied" in r for r in reasons)
    # The tagged resources are still judged.
    assert f"/subscriptions/{S1}/resourceGroups/claims-rg/providers/Microsoft.Storage/storageAccounts/claimsarchive" \
        in _hosting_failures(inventory)


def test_in_a_dwp_subscription_grants_reach_data_not_assignments(tmp_path: Path) -> None:
    inventory, _ = _scan(tmp_path, f"dwp:\n  subscriptions: ['{S1}']\n")
    reached = {g.resource_id for g in inventory.grants}  # type: ignore[attr-defined]
    settings = ("/Microsoft.Authorization/", "/Microsoft.ManagedServices/")
    assert reached and not [r for r in reached if any(s in r for s in settings)]
    assert DR in reached  # the Lighthouse delegation reaches every DWP store of the subscription
