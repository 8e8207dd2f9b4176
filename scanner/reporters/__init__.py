"""Report: one module per output format; ``REPORTERS`` is the whole registry.

Adding a format is one module and one entry here: the CLI's ``--format`` choices are read from it.
"""

from __future__ import annotations

from collections.abc import Callable

from scanner.reporters.interface import Presentation, Reporter, ReporterError, RuleInfo, ScanReport


# Each format's module is imported when it is used, so `offshore-scan --help` loads none of them.
def _text(shown: Presentation) -> Reporter:
    from scanner.reporters.text import TextReporter

    return TextReporter(colour=shown.colour, width=shown.width, compact=shown.compact)


def _json(shown: Presentation) -> Reporter:
    from scanner.reporters.json_report import JsonReporter

    return JsonReporter()


def _sarif(shown: Presentation) -> Reporter:
    from scanner.reporters.sarif import SarifReporter

    return SarifReporter()


def _junit(shown: Presentation) -> Reporter:
    from scanner.reporters.junit import JunitReporter

    return JunitReporter()


def _markdown(shown: Presentation) -> Reporter:
    from scanner.reporters.evidence_report import EvidenceReporter

    return EvidenceReporter("markdown")


def _html(shown: Presentation) -> Reporter:
    from scanner.reporters.evidence_report import EvidenceReporter

    return EvidenceReporter("html")


REPORTERS: dict[str, Callable[[Presentation], Reporter]] = {
    "text": _text, "json": _json, "sarif": _sarif, "junit": _junit, "markdown": _markdown, "html": _html,
}
"""``--format`` name -> a reporter, given how the text report is to be shown."""

FORMATS = tuple(REPORTERS)
"""The ``--format`` choices, in the order ``--help`` lists them."""


def reporter_for(output_format: str, colour: bool = False, shown: Presentation | None = None) -> Reporter:
    """The reporter for a format name (one of ``FORMATS``); ``shown`` (else ``colour`` alone) for the text one."""
    return REPORTERS[output_format](shown or Presentation(colour=colour))


__all__ = ["FORMATS", "REPORTERS", "Presentation", "Reporter", "ReporterError", "RuleInfo", "ScanReport",
           "reporter_for"]
