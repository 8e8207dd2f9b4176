"""The ARM-type table: ARM resources (azapi bodies, later live Azure) read with their azurerm meaning."""

from __future__ import annotations

from pathlib import Path

from providers.semantics.arm import azurerm_type, azurerm_values
from providers.semantics.records import Unknown
from providers.terraform.azapi import translate
from providers.terraform.hcl_loader import load_directory

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "azure-azapi-verified-module-shapes"


def test_arm_types_are_matched_without_case_or_api_version() -> None:
    assert azurerm_type("Microsoft.Storage/storageAccounts@2023-05-01") == "azurerm_storage_account"
    assert azurerm_type("microsoft.storage/STORAGEACCOUNTS") == "azurerm_storage_account"
    assert azurerm_type("Microsoft.Search/searchServices@2024-06-01-preview") is None


def test_arm_values_follow_the_table() -> None:
    values = azurerm_values("Microsoft.DocumentDB/databaseAccounts", {
        "name": "c", "location": "UK South",
        "properties": {"Locations": [{"locationName": "UK South", "failoverPriority": 0}]},
    })
    assert values == {"name": "c", "location": "UK South",
                      "geo_location": [{"location": "UK South", "failover_priority": 0}]}
    storage = azurerm_values("Microsoft.Storage/storageAccounts", {"sku": {"name": "Standard_GZRS"}})
    assert storage == {"account_replication_type": "GZRS"}


def test_an_unknown_body_makes_the_values_it_would_give_unknown() -> None:
    body = Unknown("var.body has no value")
    values = azurerm_values("Microsoft.Storage/storageAccounts", {"sku": body, "properties": body})
    assert values == {"account_replication_type": body, "secondary_location": body}


def test_an_update_resource_changes_the_resource_it_updates() -> None:
    records = translate(load_directory(FIXTURE).resources)
    storage = next(r for r in records if r.address == "azapi_resource.storage")
    assert storage.type == "azurerm_storage_account"
    assert storage.values["account_replication_type"] == "RAGZRS"
    assert not [r for r in records if r.type == "azapi_update_resource"]
