"""Comments of an HCL file, read from the lexer's comment tokens, each with the block it is attached to.

Inline waivers (``# offshore-scan:waive ...``) are read from here, never by searching the text: a marker inside a
string or a heredoc is no comment, and a comment covers exactly the block it precedes (the next token after it is
that block's first), or else the top-level block it sits in, never the blocks after.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from providers.terraform.hcl_fast import parser


@dataclass(frozen=True)
class Comment:
    """One comment token."""

    text: str
    """The comment without its sigil (``#``, ``//``, ``/* */``), stripped."""
    line: int
    """1-based line where the comment starts."""
    block: tuple[int, int] | None
    """First and last line (1-based) of the block the comment is attached to; None when it is attached to none."""


def comments(text: str) -> list[Comment]:
    """Every comment of the file with its block; a file the grammar cannot fully read still yields its comments."""
    source = text.encode("utf-8", "surrogatepass")
    root = parser().parse(source).root_node
    leaves: list[tuple[int, object]] = []
    blocks_at: dict[int, object] = {}
    found: list[object] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "comment":
            found.append(node)
            continue
        if node.type == "block":
            # The outermost block starting at a byte is the one a comment above it is attached to.
            blocks_at.setdefault(node.start_byte, node)
        if node.child_count == 0:
            leaves.append((node.start_byte, node))
        stack.extend(reversed(node.children))
    leaves.sort(key=lambda item: item[0])
    starts = [start for start, _ in leaves]
    result = []
    for node in sorted(found, key=lambda n: n.start_byte):
        body = source[node.start_byte:node.end_byte].decode("utf-8", "replace")
        result.append(Comment(_without_sigil(body), node.start_point[0] + 1, _attached(node, starts, leaves,
                                                                                       blocks_at)))
    return result


def _attached(node: object, starts: list[int], leaves: list[tuple[int, object]],
              blocks_at: dict[int, object]) -> tuple[int, int] | None:
    following = bisect.bisect_left(starts, node.end_byte)
    if following < len(leaves):
        block = blocks_at.get(leaves[following][0])
        if block is not None and not _inside(node, block):
            return block.start_point[0] + 1, block.end_point[0] + 1
    enclosing = None
    parent = node.parent
    while parent is not None:
        if parent.type == "block":
            enclosing = parent  # keep climbing: a waiver inside a resource covers the whole resource
        parent = parent.parent
    return (enclosing.start_point[0] + 1, enclosing.end_point[0] + 1) if enclosing is not None else None


def _inside(node: object, block: object) -> bool:
    return block.start_byte <= node.start_byte < block.end_byte


def _without_sigil(body: str) -> str:
    if body.startswith("/*"):
        body = body[2:].removesuffix("*/")
    elif body.startswith("//"):
        body = body[2:]
    elif body.startswith("#"):
        body = body[1:]
    return body.strip()
