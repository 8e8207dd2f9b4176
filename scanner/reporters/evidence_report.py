"""``--format markdown|html`` on a scan: the evidence pack of this scan alone (``offshore-scan evidence``
merges saved JSON results instead). Built from the JSON report, so both paths give the same pack."""

from __future__ import annotations

from scanner.evidence.html import render_html
from scanner.evidence.markdown import render_markdown
from scanner.evidence.pack import build_pack
from scanner.reporters.interface import ScanReport
from scanner.reporters.json_report import JsonReporter


class EvidenceReporter:
    """The evidence pack in Markdown or HTML."""

    def __init__(self, output_format: str) -> None:
        self.output_format = output_format

    def render(self, report: ScanReport) -> str:
        pack = build_pack([JsonReporter().document(report)])
        return render_markdown(pack) if self.output_format == "markdown" else render_html(pack)
