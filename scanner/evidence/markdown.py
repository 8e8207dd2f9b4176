"""The evidence pack in Markdown, with the network diagram as a Mermaid block (GitHub and GitLab draw it)."""

from __future__ import annotations

from scanner.evidence.diagram import build_graph, mermaid
from scanner.evidence.document import Blank, Diagram, Heading, Paragraph, Table, blocks
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
        elif isinstance(block, Diagram):
            graph = build_graph(pack.paths)
            if not graph.nodes:
                lines += ["_No paths of DWP information to draw._", ""]
                continue
            lines += ["```mermaid", mermaid(graph).rstrip("\n"), "```", ""]
            if graph.left_out:
                lines += [f"_{graph.left_out} further path(s) are in the table above but not drawn._", ""]
        elif isinstance(block, Blank):
            lines += [f"**{block.section} {block.title}** ({block.asks})", "",
                      "> _To be completed by the contractor._", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _cell(value: str) -> str:
    # A pipe ends a cell and a line break ends the row; values come from the estate.
    return value.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("\r", " ")
