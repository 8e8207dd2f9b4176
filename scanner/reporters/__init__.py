"""Report: one module per output format; ``REPORTERS`` is the whole registry.

Adding a format is one module and one entry here: the CLI's ``--format`` choices are read from it.
"""

from __future__ import annotations

from collections.abc import Callable

from scanner.reporters.interface import Reporter, ReporterError, RuleInfo, ScanReport


# Each format's module is imported when it is used, so `offshore-scan --help` loads none of them.
def _text(colour: bool) -> Reporter:
    from scanner.reporters.text import TextReporter

    return TextReporter(colour=colour)


def _json(colour: bool) -> Reporter:
    from scanner.reporters.json_report import JsonReporter

    return JsonReporter()


def _sarif(colour: bool) -> Reporter:
    from scanner.reporters.sarif import SarifReporter

    return SarifReporter()


def _junit(colour: bool) -> Reporter:
    from scanner.reporters.junit import JunitReporter

    return JunitReporter()


def _markdown(colour: bool) -> Reporter:
    from scanner.reporters.evidence_report import EvidenceReporter

    return EvidenceReporter("markdown")


def _html(colour: bool) -> Reporter:
    from scanner.reporters.evidence_report import EvidenceReporter

    return EvidenceReporter("html")


REPORTERS: dict[str, Callable[[bool], Reporter]] = {
    "text": _text, "json": _json, "sarif": _sarif, "junit": _junit, "markdown": _markdown, "html": _html,
}
"""``--format`` name -> a reporter, given whether the terminal takes colour."""

FORMATS = tuple(REPORTERS)
"""The ``--format`` choices, in the order ``--help`` lists them."""


def reporter_for(output_format: str, colour: bool = False) -> Reporter:
    """The reporter for a format name (one of ``FORMATS``)."""
    return REPORTERS[output_format](colour)


__all__ = ["FORMATS", "REPORTERS", "Reporter", "ReporterError", "RuleInfo", "ScanReport", "reporter_for"]
