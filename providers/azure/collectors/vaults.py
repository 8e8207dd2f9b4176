"""Recovery Services vaults: backup storage redundancy (a geo-redundant vault copies to the paired region) and
cross-region restore (which reads that copy in the pair)."""

from __future__ import annotations

from typing import Any

from providers.azure.collectors import Work
from providers.azure.collectors.details import read_by_id
from providers.azure.records import arm_record, with_values
from providers.semantics.records import ResourceRecord


def collect_vault(work: Work) -> list[ResourceRecord]:
    """The vault as ``GET {id}`` answers (its ``properties.redundancySettings``)."""
    return transform_vault(work.subscription, work.listed, read_by_id(work))


def transform_vault(subscription: str, listed: Any, vault: Any) -> list[ResourceRecord]:
    """``azurerm_recovery_services_vault`` with ``storage_mode_type`` (through the ARM-type table) and the
    schema's boolean ``cross_region_restore_enabled``; the listing's record when the vault could not be read
    (the failed call is coverage, and the default redundancy, GeoRedundant, is judged)."""
    if not isinstance(vault, dict):
        return [arm_record(subscription, listed, "resources.list")]
    record = arm_record(subscription, {**listed, **vault}, "GET Microsoft.RecoveryServices/vaults")
    restore = ((vault.get("properties") or {}).get("redundancySettings") or {}).get("crossRegionRestore")
    if not isinstance(restore, str):
        return [record]
    return [with_values(record, {"cross_region_restore_enabled": restore.lower() == "enabled"},
                        "GET Microsoft.RecoveryServices/vaults")]
