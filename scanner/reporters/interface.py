"""The boundary every reporter implements: a finished scan in, text out.

Reporters see only the scanner's model (findings, inventory), never a provider.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    # Annotations only: `offshore-scan --help` imports the format names without loading the model.
    from scanner.model import Finding, Inventory


class ReporterError(Exception):
    """A report cannot be produced (e.g. the output file cannot be written)."""


@dataclass(frozen=True)
class RuleInfo:
    """What a reporter may say about a policy (reporters never import the policies themselves)."""

    id: str
    title: str
    severity: str
    """The policy's severity for a failure (``high``)."""
    policy_paragraph: str
    """The DWP Offshoring Policy paragraph the rule enforces."""
    rationale: str
    remediation: str
    questionnaire: tuple[str, ...] = ()


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
    rules: tuple[RuleInfo, ...] = ()
    """Every policy in force (SARIF and JUnit list them, with or without findings)."""
    base: str | None = None
    """The directory paths are reported relative to (the working directory of the scan); None leaves them
    as given."""
    baselined: tuple[Finding, ...] = ()
    """Findings a ``--baseline`` report already holds: not reported, but said (every format says how many, and
    the JSON report and the evidence pack list them)."""
    soft_fail: bool = False
    """``--soft-fail``: findings do not fail the run (the summary line says so beside the threshold)."""
    allow_partial: bool = False
    """``--allow-partial``: coverage gaps do not make the run exit 2 (the summary line says so beside the
    threshold, so a log shows why an incomplete scan passed)."""
    filtered: int = 0
    """How many findings ``--severity``, ``--check`` and ``--skip-check`` (or the config's) left out: an empty
    report then says they were hidden, never "no offshoring found"."""
    filters: tuple[str, ...] = ()
    """The filters that hid them, as given (``--severity high``, ``OFFSHORE_SCAN_CHECK OFS-REPL-001``)."""
    estate_name: str | None = None
    """The config's ``estate_name`` (the evidence pack's cover; default the scanned directory)."""
    adequacy: tuple[tuple[str, Any], ...] = ()
    """The config's ``adequacy`` entries (country code, entry) over the built-in table (the pack's section 4)."""
    protective_marking: str | None = None
    """The config's ``protective_marking`` (the evidence pack's page furniture); None: the highest marking found."""


@dataclass(frozen=True)
class Presentation:
    """How a person's terminal wants the text report; the other formats are files and ignore it."""

    colour: bool = False
    width: int = 100
    """Columns to wrap to."""
    compact: bool = False
    """Leave out the ``fix:`` lines."""


class Reporter(Protocol):
    """Renders a report as one string."""

    def render(self, report: ScanReport) -> str:
        """The whole report, ending in a newline."""
        ...
