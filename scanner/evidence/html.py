"""The evidence pack as one self-contained HTML file: inline CSS, the diagram as inline SVG drawn by
Graphviz (the Mermaid source when ``dot`` is not installed), no script and no network fetch, and a print
stylesheet so it can be filed as a PDF."""

from __future__ import annotations

import re
from html import escape

from scanner.evidence.diagram import build_graph, mermaid, svg
from scanner.evidence.document import Blank, Diagram, Fields, Heading, Paragraph, Table, blocks
from scanner.evidence.pack import EvidencePack

_STYLE = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 76em;
       color: #1b1b1b; background: #fff; line-height: 1.4; padding: 0 1em; }
h1 { font-size: 1.6em; border-bottom: 3px solid #1d70b8; padding-bottom: .3em; }
h2 { font-size: 1.3em; margin-top: 1.8em; border-bottom: 1px solid #b1b4b6; }
h3 { font-size: 1.05em; }
table { border-collapse: collapse; width: 100%; margin: .5em 0 1em; font-size: .9em; }
/* Words and identifiers wrap only where they may: at spaces, or (last resort) anywhere in a value longer than the
   column, never in the middle of an ordinary word. */
th, td { border: 1px solid #b1b4b6; padding: .3em .5em; text-align: left; vertical-align: top;
         word-break: normal; overflow-wrap: break-word; hyphens: none; }
td code { font-size: .95em; white-space: nowrap; }
.nw { white-space: nowrap; }
td code.long { white-space: normal; overflow-wrap: anywhere; }
th { background: #f3f2f1; }
dl.cover { display: grid; grid-template-columns: max-content 1fr; gap: .2em 1em; border: 1px solid #b1b4b6;
           border-left: 5px solid #1d70b8; padding: .6em 1em; margin: 1em 0; }
dl.cover dt, dl.counts dt { font-weight: bold; }
dl.cover dd, dl.counts dd { margin: 0; overflow-wrap: break-word; }
dl.counts { display: grid; grid-template-columns: max-content 1fr; gap: .2em 1em; margin: .5em 0 1em; }
.empty { color: #505a5f; font-style: italic; }
.warning { background: #fff4e5; border-left: 5px solid #f47738; padding: .5em 1em; }
.blank { border: 2px dashed #b1b4b6; padding: .5em 1em; margin: .5em 0 1em; min-height: 3em; }
.blank p.todo { color: #505a5f; font-style: italic; }
.diagram { overflow-x: auto; border: 1px solid #b1b4b6; padding: .5em; }
.diagram svg { max-width: 100%; height: auto; }
pre { background: #f3f2f1; padding: .5em; overflow-x: auto; font-size: .85em; white-space: pre-wrap; }
@page { size: A4; margin: 15mm; }
@media print {
  body { margin: 0; max-width: none; font-size: 9.5pt; background: #fff; color: #000; }
  h2 { page-break-before: always; break-before: page; page-break-after: avoid; break-after: avoid; }
  h2.summary, h3 { page-break-before: auto; break-before: auto; page-break-after: avoid; break-after: avoid; }
  tr, .blank, dl.cover { page-break-inside: avoid; break-inside: avoid; }
  thead { display: table-header-group; }
  th { background: #fff; border-bottom: 2px solid #000; }
  .warning { background: #fff; border: 2px solid #000; }
  pre { background: #fff; border: 1px solid #b1b4b6; }
  .diagram { overflow: visible; border: none; page-break-inside: avoid; break-inside: avoid; }
  a { color: #000; text-decoration: none; }
}
"""


_IDENTIFIER = re.compile(r"\S*[._/:\[\]]\S*")
"""A value with no space and a separator (``aws_s3_bucket.evidence``, an ARN, a path): an identifier, kept whole."""
_LONG = 40
"""Characters past which an identifier may wrap anywhere: kept whole it would push the table off the page."""


_SEPARATOR = re.compile(r"(?<=[./:])")


def _cell(value: str) -> str:
    """One table cell: an identifier in ``<code>``, kept on one line but for a line-break opportunity (``<wbr>``)
    after each ``.``, ``/`` and ``:`` of a long one, so it wraps between its parts, never inside a name; words as
    words. Either way HTML-escaped."""
    if value and _IDENTIFIER.fullmatch(value):
        if len(value) <= _LONG // 2:
            return f"<code>{escape(value)}</code>"
        css = ' class="long"' if max(map(len, re.split(r"[./:]", value))) > _LONG else ""
        return f"<code{css}>{'<wbr>'.join(escape(part) for part in _SEPARATOR.split(value))}</code>"
    # A browser breaks after a hyphen (eu-<br>west-2, OFFICIAL-<br>SENSITIVE): such words are kept whole.
    return _HYPHENATED.sub(lambda m: f'<span class="nw">{m.group(0)}</span>', escape(value))


_HYPHENATED = re.compile(r"[^\s<>]+-[^\s<>]+")


def render_html(pack: EvidencePack, use_graphviz: bool = True, notes: list[str] | None = None) -> str:
    """The pack as one HTML file. ``notes`` receives what the user should know but the pack need not say (Graphviz
    is not installed: how to install it)."""
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             "<title>DWP Offshore Proposal Questionnaire: evidence from infrastructure</title>",
             f"<style>{_STYLE}</style>", "</head>", "<body>"]
    for block in blocks(pack):
        if isinstance(block, Heading):
            # The summary sits on the cover page: the print stylesheet starts a page before every other section.
            css = ' class="summary"' if block.text == "Summary" else ""
            parts.append(f"<h{block.level}{css}>{escape(block.text)}</h{block.level}>")
        elif isinstance(block, Paragraph):
            if not block.text:
                continue
            text = escape(block.text)
            if text.startswith("**"):
                head, _, rest = text[2:].partition("**")
                parts.append(f'<p class="warning"><strong>{head}</strong>{rest}</p>')
            else:
                parts.append(f"<p>{text}</p>")
        elif isinstance(block, Table):
            if not block.rows:
                parts.append(f'<p class="empty">{escape(block.empty)}</p>')
                continue
            head = "".join(f"<th>{escape(h)}</th>" for h in block.headers)
            body = "".join("<tr>" + "".join(f"<td>{_cell(c)}</td>" for c in row) + "</tr>" for row in block.rows)
            parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        elif isinstance(block, Fields):
            items = "".join(f"<dt>{escape(label)}</dt><dd>{_cell(value)}</dd>" for label, value in block.rows)
            parts.append(f'<dl class="{block.css}">{items}</dl>')
        elif isinstance(block, Diagram):
            parts.append(_diagram(pack, use_graphviz, notes))
        elif isinstance(block, Blank):
            parts.append(f'<div class="blank"><p><strong>{escape(block.label)}</strong> '
                         f'({escape(block.asks)})</p><p class="todo">To be completed by the contractor.</p></div>')
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"


INSTALL_GRAPHVIZ = ("Graphviz (dot) is not installed: the HTML pack shows the diagram's Mermaid source instead of "
                    "drawing it. Install it with `apt-get install graphviz` (Debian, Ubuntu) or `brew install "
                    "graphviz` (macOS) and make the pack again.")


def _diagram(pack: EvidencePack, use_graphviz: bool, notes: list[str] | None) -> str:
    graph = build_graph(pack)
    if not graph.nodes:
        return '<p class="empty">No paths of DWP information to draw.</p>'
    note = (f'<p class="empty">{graph.left_out} further path(s) are in the table above but not drawn.</p>'
            if graph.left_out else "")
    drawn = svg(graph, use_graphviz)
    if drawn.missing and use_graphviz and notes is not None:
        notes.append(INSTALL_GRAPHVIZ)
    elif drawn.problem and notes is not None:
        notes.append(f"the network diagram is not drawn: {drawn.problem}")
    if drawn.svg is not None:
        return f'<div class="diagram" id="network-diagram">{drawn.svg}</div>{note}'
    # Said as it is: a missing Graphviz is never blamed for a graph it could not draw.
    why = ("Graphviz (<code>dot</code>) is not installed, so the diagram is not drawn here; its Mermaid source "
           "follows (paste it into any Mermaid viewer, or install Graphviz, <code>apt-get install graphviz</code> or "
           "<code>brew install graphviz</code>, and make the pack again)."
           if drawn.missing else f"{escape(drawn.problem)}, so the diagram is not drawn here; its Mermaid source "
           "follows (paste it into any Mermaid viewer).")
    return (f'<p class="empty">{why}</p><pre id="network-diagram-source">{escape(mermaid(graph))}</pre>{note}')
