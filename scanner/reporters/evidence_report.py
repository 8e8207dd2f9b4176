"""``--format markdown|html`` on a scan: the evidence pack of this scan alone (``offshore-scan evidence``
merges saved JSON results instead). Built from the JSON report, so both paths give the same pack."""

from __future__ import annotations

import sys
from pathlib import Path, PurePosixPath

from scanner.evidence.cover import PackContext, generated_at, git_commit, scanned_root
from scanner.evidence.html import render_html
from scanner.evidence.markdown import render_markdown
from scanner.evidence.pack import build_pack
from scanner.printable import escape
from scanner.reporters.interface import ScanReport
from scanner.reporters.json_report import JsonReporter


class EvidenceReporter:
    """The evidence pack in Markdown or HTML."""

    def __init__(self, output_format: str) -> None:
        self.output_format = output_format

    def render(self, report: ScanReport) -> str:
        document = JsonReporter().document(report)
        pack = build_pack([document], context_for(report, document.get("scanned") or ()))
        if self.output_format == "markdown":
            return render_markdown(pack)
        notes: list[str] = []
        rendered = render_html(pack, notes=notes)
        for note in notes:
            # Said on stderr as well as in the pack: whoever made it may never open it before sending it on.
            print(f"offshore-scan: note: {escape(note)}", file=sys.stderr)
        return rendered


def context_for(report: ScanReport, scanned: object) -> PackContext:
    """What the pack says beyond the results: the time (``SOURCE_DATE_EPOCH`` when set), the config's
    ``estate_name`` and ``adequacy``, and the commit of the checkout the scanned files are in."""
    estate = report.estate_name
    adequacy = dict(report.adequacy) or None
    root = scanned_root(str(s) for s in scanned) if isinstance(scanned, (list, tuple)) else None
    base = Path(report.base) if report.base else Path.cwd()
    commit = git_commit(base / PurePosixPath(root)) if root else None
    return PackContext(generated=generated_at(), estate_name=estate, commit=commit, config=report.config_path,
                       adequacy=adequacy, marking=report.protective_marking)
