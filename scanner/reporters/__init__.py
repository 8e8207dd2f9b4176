"""Report: one module per output format; ``REPORTERS`` is the whole registry."""

from __future__ import annotations

from enum import StrEnum
from typing import assert_never

from scanner.reporters.interface import Reporter, ReporterError, ScanReport
from scanner.reporters.json_report import JsonReporter
from scanner.reporters.text import TextReporter


class OutputFormat(StrEnum):
    """The ``--format`` choices."""

    TEXT = "text"
    JSON = "json"


def reporter_for(output_format: OutputFormat, colour: bool = False) -> Reporter:
    """The reporter for a format."""
    if output_format is OutputFormat.TEXT:
        return TextReporter(colour=colour)
    if output_format is OutputFormat.JSON:
        return JsonReporter()
    assert_never(output_format)


__all__ = ["OutputFormat", "Reporter", "ReporterError", "ScanReport", "reporter_for"]
