"""The evidence pack as one self-contained HTML file: inline CSS, the diagram as inline SVG drawn by
Graphviz (the Mermaid source when ``dot`` is not installed), no script and no network fetch, and a print
stylesheet so it can be filed as a PDF."""

from __future__ import annotations

from html import escape

from scanner.evidence.diagram import build_graph, mermaid, svg
from scanner.evidence.document import Blank, Diagram, Heading, Paragraph, Table, blocks
from scanner.evidence.pack import EvidencePack

_STYLE = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 72em;
       color: #1b1b1b; line-height: 1.4; padding: 0 1em; }
h1 { font-size: 1.6em; border-bottom: 3px solid #1d70b8; padding-bottom: .3em; }
h2 { font-size: 1.3em; margin-top: 1.8em; border-bottom: 1px solid #b1b4b6; }
h3 { font-size: 1.05em; }
table { border-collapse: collapse; width: 100%; margin: .5em 0 1em; font-size: .9em; }
th, td { border: 1px solid #b1b4b6; padding: .3em .5em; text-align: left; vertical-align: top;
         overflow-wrap: anywhere; }
th { background: #f3f2f1; }
.empty { color: #505a5f; font-style: italic; }
.warning { background: #fff4e5; border-left: 5px solid #f47738; padding: .5em 1em; }
.blank { border: 2px dashed #b1b4b6; padding: .5em 1em; margin: .5em 0 1em; min-height: 3em; }
.blank p.todo { color: #505a5f; font-style: italic; }
.diagram { overflow-x: auto; border: 1px solid #b1b4b6; padding: .5em; }
.diagram svg { max-width: 100%; height: auto; }
pre { background: #f3f2f1; padding: .5em; overflow-x: auto; font-size: .85em; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  h2 { page-break-after: avoid; }
  table, .diagram, .blank { page-break-inside: avoid; }
  .diagram { overflow: visible; border: none; }
}
"""


def render_html(pack: EvidencePack, use_graphviz: bool = True) -> str:
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             "<title>DWP Offshore Proposal Questionnaire: evidence from infrastructure</title>",
             f"<style>{_STYLE}</style>", "</head>", "<body>"]
    for block in blocks(pack):
        if isinstance(block, Heading):
            parts.append(f"<h{block.level}>{escape(block.text)}</h{block.level}>")
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
            body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in block.rows)
            parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        elif isinstance(block, Diagram):
            parts.append(_diagram(pack, use_graphviz))
        elif isinstance(block, Blank):
            parts.append(f'<div class="blank"><p><strong>{escape(block.section)} {escape(block.title)}</strong> '
                         f'({escape(block.asks)})</p><p class="todo">To be completed by the contractor.</p></div>')
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"


def _diagram(pack: EvidencePack, use_graphviz: bool) -> str:
    graph = build_graph(pack.paths)
    if not graph.nodes:
        return '<p class="empty">No paths of DWP information to draw.</p>'
    note = (f'<p class="empty">{graph.left_out} further path(s) are in the table above but not drawn.</p>'
            if graph.left_out else "")
    drawn = svg(graph, use_graphviz)
    if drawn.svg is not None:
        return f'<div class="diagram" id="network-diagram">{drawn.svg}</div>{note}'
    # Said as it is: a missing Graphviz is never blamed for a graph it could not draw.
    why = ("Graphviz (<code>dot</code>) is not installed, so the diagram is not drawn here; its Mermaid source "
           "follows (paste it into any Mermaid viewer, or install Graphviz and make the pack again)."
           if drawn.missing else f"{escape(drawn.problem)}, so the diagram is not drawn here; its Mermaid source "
           "follows (paste it into any Mermaid viewer).")
    return (f'<p class="empty">{why}</p><pre id="network-diagram-source">{escape(mermaid(graph))}</pre>{note}')
