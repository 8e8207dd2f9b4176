"""The boundary every reporter implements: a finished scan in, text out.

Reporters see only the scanner's model (findings, inventory), never a provider.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from scanner.model import Finding, Inventory


class ReporterError(Exception):
    """A report cannot be produced (e.g. the output file cannot be written)."""


@dataclass(frozen=True)
class ScanReport:
    """Everything a reporter may print."""

    findings: tuple[Finding, ...]
    """Sorted findings."""
    inventory: Inventory
    """What was scanned, including coverage gaps."""
    tool_version: str
    """offshore-scan's version."""
    fail_on: str
    """The threshold in force, for the summary line."""
    config_path: str | None = None
    """The config file used, if any."""


class Reporter(Protocol):
    """Renders a report as one string."""

    def render(self, report: ScanReport) -> str:
        """The whole report, ending in a newline."""
        ...
