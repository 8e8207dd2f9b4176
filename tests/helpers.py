"""Helpers shared by the unit tests."""

from __future__ import annotations

from collections.abc import Sequence

from providers.interface import ScanOptions
from providers.semantics.normalise import to_inventory
from providers.semantics.records import ResourceRecord
from scanner.model import Inventory


def normalised(records: Sequence[ResourceRecord], options: ScanOptions | None = None) -> Inventory:
    """The inventory of records, which must have been read whole.

    A concern that raises costs only its own record (a coverage gap), so a test that asserts "no flow"
    would still pass on a crash; every test that builds an inventory this way also asserts that nothing
    was skipped. A test that expects a gap calls ``to_inventory`` itself.
    """
    inventory = to_inventory(records, options or ScanOptions())
    assert inventory.coverage == (), f"records were not read whole: {inventory.coverage}"
    return inventory
