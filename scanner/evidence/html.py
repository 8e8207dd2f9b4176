"""The evidence pack as one self-contained HTML file: inline CSS, the diagram as inline SVG drawn by
Graphviz (the Mermaid source when ``dot`` is not installed), no script and no network fetch, and a print
stylesheet so it can be filed as a PDF."""

from __future__ import annotations

import re
from html import escape

from scanner.evidence.diagram import build_graph, mermaid, svg
from scanner.evidence.document import Blank, Diagram, Fields, Heading, Marking, Paragraph, Table, blocks, plural
from scanner.evidence.pack import EvidencePack

_STYLE = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 76em;
       color: #1b1b1b; background: #fff; line-height: 1.4; padding: 0 1em; }
h1 { font-size: 1.6em; border-bottom: 3px solid #1d70b8; padding-bottom: .3em; }
h2 { font-size: 1.3em; margin-top: 1.8em; border-bottom: 1px solid #b1b4b6; }
h3 { font-size: 1.05em; }
.marking { text-align: center; font-weight: bold; letter-spacing: .05em; border: 2px solid #1b1b1b;
           padding: .2em; margin: .5em 0; }
table { border-collapse: collapse; width: 100%; margin: .5em 0 1em; font-size: .9em; }
/* Words wrap only at spaces, never inside an ordinary word (a word longer than its column is the last resort).
   Identifiers (<code>) wrap between their parts: after each . / : _ (a <wbr>) and after a hyphen. */
th, td { border: 1px solid #b1b4b6; padding: .3em .5em; text-align: left; vertical-align: top;
         word-break: normal; overflow-wrap: break-word; hyphens: none; }
td code { font-size: .95em; white-space: normal; overflow-wrap: break-word; }
.nw { white-space: nowrap; }
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
.diagram-bands { display: none; }
ul.legend { list-style: none; padding: 0; margin: .3em 0; font-size: .8em; display: flex; flex-wrap: wrap;
            gap: .2em 1.2em; }
ul.legend li { display: flex; align-items: center; gap: .3em; }
pre { background: #f3f2f1; padding: .5em; overflow-x: auto; font-size: .85em; white-space: pre-wrap; }
/* Printed: A4, the protective marking centred at the top and foot of every page, the pack, estate and date at the
   foot, and the page number of the total (CSS paged media: Chromium 131 and later, and PDF tools that implement
   it; set the browser's own headers and footers off). The diagram gets a landscape page of its own. */
@page { size: A4; margin: 18mm 12mm 18mm 12mm;
  @top-center { content: var_marking; font: bold 9pt Helvetica, Arial, sans-serif; }
  @bottom-center { content: var_marking; font: bold 9pt Helvetica, Arial, sans-serif; white-space: nowrap; }
  @bottom-left { content: var_footer; font: 7pt Helvetica, Arial, sans-serif; color: #505a5f; white-space: pre; }
  @bottom-right { content: "Page " counter(page) " of " counter(pages); font: 8pt Helvetica, Arial, sans-serif;
                  white-space: nowrap; }
}
@page landscape { size: A4 landscape; }
@media print {
  body { margin: 0; max-width: none; font-size: 9.5pt; background: #fff; color: #000; padding: 0; }
  .marking { display: none; }
  h2 { page-break-after: avoid; break-after: avoid; }
  h2.section { page-break-before: always; break-before: page; }
  h3 { page-break-after: avoid; break-after: avoid; }
  h2 + p, h3 + p { page-break-after: avoid; break-after: avoid; }
  tr, .blank, dl.cover { page-break-inside: avoid; break-inside: avoid; }
  thead { display: table-header-group; }
  th { background: #fff; border-bottom: 2px solid #000; }
  td code { overflow-wrap: break-word; }
  /* The wide 2.2 table: set widths (a fixed layout), so no column is squeezed to its longest unbreakable part;
     an identifier breaks after . / _ : or a hyphen, OFFICIAL-SENSITIVE at its hyphen, a word never inside. */
  table.network { font-size: 7.5pt; table-layout: fixed; }
  table.network th, table.network td { padding: .2em .3em; }
  table.network .nw { white-space: normal; }
  table.network th:nth-child(1) { width: 15%; } table.network th:nth-child(2) { width: 9%; }
  table.network th:nth-child(3) { width: 9%; } table.network th:nth-child(4) { width: 13%; }
  table.network th:nth-child(5) { width: 7%; } table.network th:nth-child(6) { width: 14%; }
  table.network th:nth-child(7) { width: 23%; } table.network th:nth-child(8) { width: 10%; }
  .warning { background: #fff; border: 2px solid #000; }
  pre { background: #fff; border: 1px solid #b1b4b6; }
  section.figure { page: landscape; break-inside: avoid; }
  .diagram { overflow: visible; border: none; page-break-inside: avoid; break-inside: avoid; padding: 0; }
  .diagram svg { width: auto; height: auto; max-width: 100%; max-height: 120mm; }
  /* A diagram too tall for one landscape page at its full width prints in bands, one a page, at the page's
     width; the whole drawing is then shown on screen only. */
  .diagram:has(+ .diagram-bands) { display: none; }
  .diagram-bands { display: block; }
  .diagram-bands .band { break-inside: avoid; page-break-inside: avoid; }
  .diagram-bands .band + .band { break-before: page; page-break-before: always; }
  .diagram-bands svg { width: 100%; height: auto; max-height: 125mm; }
  .band-note { font-size: 7pt; color: #505a5f; margin: 0 0 .2em; }
  ul.legend { font-size: 7pt; break-inside: avoid; }
  a { color: #000; text-decoration: none; }
}
"""


_IDENTIFIER = re.compile(r"\S*[._/:\[\]]\S*")
"""A value with no space and a separator (``aws_s3_bucket.evidence``, an ARN, a path): an identifier."""
_SHORT = 16
"""Characters up to which an identifier is kept whole: it fits any column."""


_SEPARATOR = re.compile(r"(?<=[./_])|(?<=:)(?!:)")
"""Where an identifier may break: after ``.``, ``/``, ``_``, and after a ``:`` unless another follows (an ARN's
``iam::123`` stays ``iam::`` then the account)."""


def _cell(value: str) -> str:
    """One table cell: an identifier in ``<code>`` with a line-break opportunity (``<wbr>``) after each ``.``, ``/``,
    ``:`` and ``_`` of a long one (and, as browsers do, after a hyphen), so it wraps between its parts, never
    inside a name; words as words, never broken inside (a hyphenated word is kept whole). Either way HTML-escaped."""
    if value and _IDENTIFIER.fullmatch(value):
        if len(value) <= _SHORT:
            return f'<code class="nw">{escape(value)}</code>'
        return f"<code>{'<wbr>'.join(escape(part) for part in _SEPARATOR.split(value) if part)}</code>"
    # In running text, a long identifier breaks between its parts as in a code cell; a browser breaks after a
    # hyphen (eu-<br>west-2, OFFICIAL-<br>SENSITIVE), so other hyphenated words are kept whole.
    out = []
    for token in _SPACE.split(value):
        if len(token) > _SHORT and _SEPARATED.search(token):
            out.append("<wbr>".join(escape(part) for part in _SEPARATOR.split(token) if part))
        else:
            out.append(_HYPHENATED.sub(lambda m: f'<span class="nw">{m.group(0)}</span>', escape(token)))
    return "".join(out)


def _css_string(value: str) -> str:
    """A value as a CSS string literal: quotes, backslashes, line breaks and ``<`` (which could close the style
    element) as CSS escapes."""
    out = []
    for character in value:
        if character in '"\\<>' or ord(character) < 0x20 or ord(character) == 0x7f:
            out.append(f"\\{ord(character):x} ")
        else:
            out.append(character)
    return '"' + "".join(out) + '"'


_HYPHENATED = re.compile(r"[^\s<>]+-[^\s<>]+")
_SPACE = re.compile(r"(\s+)")
_SEPARATED = re.compile(r"[._/:]\w")
"""A token with a part after a separator (``aws_lambda_function.benefits_api``): an identifier in running text."""


def render_html(pack: EvidencePack, use_graphviz: bool = True, notes: list[str] | None = None) -> str:
    """The pack as one HTML file. ``notes`` receives what the user should know but the pack need not say (Graphviz
    is not installed: how to install it)."""
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             "<title>DWP Offshore Proposal Questionnaire: evidence from infrastructure</title>",
             f"<style>{_style(pack)}</style>", "</head>", "<body>"]
    for block in blocks(pack):
        if isinstance(block, Heading):
            # A questionnaire section (2, 2.1, ... 4) starts a printed page; the summary and the annexes (guardrails,
            # findings, waivers, coverage, inputs) run on, so a short one never leaves a near-empty page.
            css = ' class="section"' if block.level == 2 and block.text[:1].isdigit() else ""
            if block.level == 3 and block.text == "Diagram":
                # The heading, its caption and the figure stay together (on a landscape page when printed).
                parts.append('<section class="figure">')
            parts.append(f"<h{block.level}{css}>{escape(block.text)}</h{block.level}>")
        elif isinstance(block, Marking):
            parts.append(f'<div class="marking">{escape(block.text)}</div>')
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
            css = f' class="{block.css}"' if block.css else ""
            parts.append(f"<table{css}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        elif isinstance(block, Fields):
            items = "".join(f"<dt>{escape(label)}</dt><dd>{_cell(value)}</dd>" for label, value in block.rows)
            parts.append(f'<dl class="{block.css}">{items}</dl>')
        elif isinstance(block, Diagram):
            parts.append(_diagram(pack, use_graphviz, notes))
            parts.append("</section>")
        elif isinstance(block, Blank):
            parts.append(f'<div class="blank"><p><strong>{escape(block.label)}</strong> '
                         f'({escape(block.asks)})</p><p class="todo">To be completed by the contractor.</p></div>')
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"


def _swatch(colour: str, dashed: bool = False, dotted: bool = False) -> str:
    dash = ' stroke-dasharray="4 3"' if dashed else ' stroke-dasharray="1 3"' if dotted else ""
    return (f'<svg width="36" height="10" aria-hidden="true"><line x1="1" y1="5" x2="28" y2="5" stroke="{colour}" '
            f'stroke-width="2"{dash}/><polygon points="28,1 35,5 28,9" fill="{colour}"/></svg>')


def _box(fill: str, dashed: bool = False) -> str:
    dash = ' stroke-dasharray="3 2"' if dashed else ""
    return (f'<svg width="36" height="14" aria-hidden="true"><rect x="1" y="1" width="34" height="12" rx="3" '
            f'fill="{fill}" stroke="#1b1b1b"{dash}/></svg>')


_LEGEND = ('<ul class="legend"><li><strong>Legend</strong></li>'
           + "".join(f"<li>{mark} {text}</li>" for mark, text in (
               (_swatch("#000"), "a path of DWP information within the UK (replication, copy, telemetry, peering)"),
               (_swatch("#cc0000"), "a path that crosses the UK boundary"),
               (_swatch("#cc0000", True), "access from outside the UK: a principal can assume a role, the role can "
                                          "reach a DWP resource"),
               (_swatch("#7a3e00", True), "access from a place not established"),
               (_swatch("#505a5f", dotted=True), "the key of a DWP resource is held there (custody, not a data path)"),
               (_box("#fff"), "a DWP resource"),
               (_box("#fff", True), "a region, a third party or a principal (no DWP resource the scan holds)"),
               (_box("#e8f4e8"), "group: the UK"),
               (_box("#fbe9e9"), "group: outside the UK"),
               (_box("#f2f2f2"), "group: location not established"),
               (_box("#e8eef8"), "group: global roles (configuration only, no DWP data)")))
           + "</ul>")
"""What each line and box of the drawn diagram means, beside it."""


def _style(pack: EvidencePack) -> str:
    """The stylesheet, with the pack's marking and footer in the printed page's margins."""
    estate = pack.cover.estate if pack.cover else ""
    generated = pack.cover.generated if pack.cover else ""
    # Two short lines, so the marking beside them is never squeezed into wrapping (OFFICIAL- / SENSITIVE): the pack
    # and date, then the estate, cut with an ellipsis when it is longer than the margin box holds.
    if len(estate) > _FOOTER_ESTATE:
        estate = estate[:_FOOTER_ESTATE - 1].rstrip() + "\u2026"
    footer = "\n".join(p for p in (" \u00b7 ".join(q for q in ("offshore-scan evidence pack", generated) if q),
                                   estate) if p)
    return _STYLE.replace("var_marking", _css_string(pack.marking)).replace("var_footer", _css_string(footer))


_FOOTER_ESTATE = 44
"""Characters of the estate's name the printed footer holds on its line."""


INSTALL_GRAPHVIZ = ("Graphviz (dot) is not installed: the HTML pack shows the diagram's Mermaid source instead of "
                    "drawing it. Install it with `apt-get install graphviz` (Debian, Ubuntu) or `brew install "
                    "graphviz` (macOS) and make the pack again.")


_VIEWBOX = re.compile(r'<svg([^>]*?)\swidth="[^"]*"\s+height="[^"]*"([^>]*?)'
                      r'\sviewBox="([-\d.]+) ([-\d.]+) ([\d.]+) ([\d.]+)"')
_PAGE = (774.0, 340.0)
"""Points a landscape A4 page holds for the drawing: 273 mm wide, and 120 mm tall beside the heading, caption and
legend (the print stylesheet's max-height), so all of them stay on the page."""
_LEGIBLE = 0.6
"""The least scale at which the drawing's 10-point labels stay legible (6 points)."""


def _bands(drawn: str) -> str:
    """For print, a diagram taller than a landscape page holds at its full width is cut into horizontal bands, one
    a page, each at the page's width (a cropped view of the same drawing), so its labels stay legible instead of
    the whole shrinking to fit one page. Shown only in print; the screen keeps the whole drawing."""
    match = _VIEWBOX.search(drawn)
    if match is None:
        return ""
    x, y, width, height = (float(match.group(n)) for n in (3, 4, 5, 6))
    if width <= 0 or height <= 0 or min(_PAGE[0] / width, _PAGE[1] / height) >= _LEGIBLE:
        return ""  # the whole drawing fits one page legibly
    across = min(_PAGE[0] / width, 1.0)
    count = -(-height // (_PAGE[1] / across))
    if count < 2:
        return ""
    step = height / count
    bands = []
    for index in range(int(count)):
        top = y + index * step
        # Each band shows its slice of the drawing, with a little of the next so an edge is followed across.
        view = f'{x:g} {top:g} {width:g} {min(step * 1.04, y + height - top):g}'
        band = _VIEWBOX.sub(lambda m, v=view: f'<svg{m.group(1)} width="100%"{m.group(2)} viewBox="{v}"', drawn, 1)
        band = band.replace(' id="', ' data-id="')  # one drawing's ids once in the document
        bands.append(f'<div class="band"><p class="band-note">Diagram, part {index + 1} of {int(count)}</p>'
                     f'{band}</div>')
    return f'<div class="diagram-bands">{"".join(bands)}</div>'


def _diagram(pack: EvidencePack, use_graphviz: bool, notes: list[str] | None) -> str:
    graph = build_graph(pack)
    if not graph.nodes:
        return '<p class="empty">No paths of DWP information to draw.</p>'
    note = (f'<p class="empty">{plural(graph.left_out, "further path is", "further paths are")} in the table above '
            'but not drawn.</p>' if graph.left_out else "")
    drawn = svg(graph, use_graphviz)
    if drawn.missing and use_graphviz and notes is not None:
        notes.append(INSTALL_GRAPHVIZ)
    elif drawn.problem and notes is not None:
        notes.append(f"the network diagram is not drawn: {drawn.problem}")
    if drawn.svg is not None:
        return f'<div class="diagram" id="network-diagram">{drawn.svg}</div>{_bands(drawn.svg)}{_LEGEND}{note}'
    # Said as it is: a missing Graphviz is never blamed for a graph it could not draw.
    why = ("Graphviz (<code>dot</code>) is not installed, so the diagram is not drawn here; its Mermaid source "
           "follows (paste it into any Mermaid viewer, or install Graphviz, <code>apt-get install graphviz</code> or "
           "<code>brew install graphviz</code>, and make the pack again)."
           if drawn.missing else f"{escape(drawn.problem)}, so the diagram is not drawn here; its Mermaid source "
           "follows (paste it into any Mermaid viewer).")
    return (f'<p class="empty">{why}</p><pre id="network-diagram-source">{escape(mermaid(graph))}</pre>{note}')
