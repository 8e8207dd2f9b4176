"""The evidence pack in Markdown, with the network diagram as a Mermaid block (GitHub and GitLab draw it)."""

from __future__ import annotations

import re

from scanner.evidence.diagram import build_graph, mermaid
from scanner.evidence.document import Blank, Diagram, Fields, Heading, Marking, Paragraph, Table, blocks, plural
from scanner.evidence.pack import EvidencePack


def render_markdown(pack: EvidencePack) -> str:
    lines: list[str] = []
    for block in blocks(pack):
        if isinstance(block, Heading):
            lines += ["#" * block.level + " " + block.text, ""]
        elif isinstance(block, Paragraph):
            if block.text:
                lines += [block.text, ""]
        elif isinstance(block, Table):
            if not block.rows:
                lines += [f"_{block.empty}_", ""]
                continue
            lines.append("| " + " | ".join(block.headers) + " |")
            lines.append("|" + "---|" * len(block.headers))
            lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in block.rows]
            lines.append("")
        elif isinstance(block, Fields):
            # One list item per field, each value escaped as a table cell is.
            lines += [f"- **{label}:** {_cell(value)}" for label, value in block.rows]
            lines.append("")
        elif isinstance(block, Diagram):
            graph = build_graph(pack)
            if not graph.nodes:
                lines += ["_No paths of DWP information to draw._", ""]
                continue
            lines += ["```mermaid", mermaid(graph).rstrip("\n"), "```", ""]
            if graph.left_out:
                lines += [f"_{plural(graph.left_out, 'further path is', 'further paths are')} in the table above but "
                          "not drawn._", ""]
        elif isinstance(block, Marking):
            # The protective marking, at the top and the foot of the document.
            lines += [f"**{_cell(block.text)}**", ""]
        elif isinstance(block, Blank):
            lines += [f"**{block.label}** ({block.asks})", "",
                      "> _To be completed by the contractor._", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


_BREAK = re.compile(r"\r\n|[\r\n\x0b\x0c\x85\u2028\u2029]")
_MARKUP = re.compile(r"[\\`*~\[\]|]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def _cell(value: str) -> str:
    """A value from the estate or a result as the text of one table cell, and nothing else: a pipe would end the
    cell and a line break the row; ``<`` opens HTML, ``[`` a link or an image (``![``), a backtick a code span or
    a fence, ``*``, ``_`` and ``~`` emphasis. Each is escaped (entities for HTML's characters), so the cell shows
    the value as it is."""
    text = _BREAK.sub(" ", value)
    text = "".join(_ENTITIES.get(character, character) for character in text)
    return _MARKUP.sub(lambda match: "\\" + match.group(0), text)
