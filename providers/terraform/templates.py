"""Terraform's template language, for ``templatefile`` and ``templatestring``: text with ``${...}``
interpolations and ``%{ if }``/``%{ for }`` directives, parsed into a small tree the evaluator renders.

Parsing only: the expressions inside are parsed by ``hcl_syntax.parse_hcl``, and ``expressions`` renders
the tree. Escapes (``$${``, ``%%{``) and strip markers (``${~ x ~}``, which remove the whitespace on that
side) follow the native syntax.
"""

from __future__ import annotations

from dataclasses import dataclass

from providers.terraform import hcl_syntax as syn


class TemplateError(ValueError):
    """The template is malformed (an unclosed directive, an expression that does not parse)."""


@dataclass(frozen=True)
class Interpolation:
    """``${ expr }``."""

    expr: syn.Expr


@dataclass(frozen=True)
class If:
    """``%{ if cond }...%{ else }...%{ endif }``."""

    condition: syn.Expr
    then: tuple[Node, ...]
    otherwise: tuple[Node, ...]


@dataclass(frozen=True)
class For:
    """``%{ for key, value in collection }...%{ endfor }``."""

    key_var: str | None
    value_var: str
    collection: syn.Expr
    body: tuple[Node, ...]


Node = str | Interpolation | If | For


@dataclass
class _Open:
    """A directive whose body is being read: ``if`` (then, and else once seen) or ``for``."""

    head: str
    parts: list[Node]
    condition: syn.Expr | None = None
    then: list[Node] | None = None
    names: tuple[str | None, str] | None = None
    collection: syn.Expr | None = None


def parse_template(text: str) -> tuple[Node, ...]:
    """The template's tree; raises ``TemplateError`` naming what is wrong."""
    stack: list[_Open] = [_Open("top", [])]
    position = 0
    strip_next = False
    while True:
        start = _next_sequence(text, position)
        if start is None:
            _add_text(stack[-1].parts, _strip(text[position:], leading=strip_next))
            break
        if text.startswith(("$${", "%%{"), start):
            _add_text(stack[-1].parts, _strip(text[position:start], leading=strip_next) + text[start + 1 : start + 3])
            strip_next = False
            position = start + 3
            continue
        end = syn.closing_brace(text, start + 2)
        if end is None:
            raise TemplateError(f"an unclosed {text[start:start + 2]} sequence at character {start + 1}")
        inner = text[start + 2 : end]
        strip_before, strip_after = inner.startswith("~"), inner.endswith("~")
        inner = inner[1 if strip_before else 0 : len(inner) - (1 if strip_after else 0)].strip()
        _add_text(stack[-1].parts, _strip(text[position:start], leading=strip_next, trailing=strip_before))
        if text[start] == "$":
            stack[-1].parts.append(Interpolation(expression(inner)))
        else:
            _directive(inner, stack)
        strip_next = strip_after
        position = end + 1
    if len(stack) > 1:
        raise TemplateError(f"%{{ {stack[-1].head} }} is never closed")
    return tuple(stack[0].parts)


def _directive(inner: str, stack: list[_Open]) -> None:
    keyword, _, rest = inner.partition(" ")
    rest = rest.strip()
    if keyword == "if":
        stack.append(_Open("if", [], condition=expression(rest)))
    elif keyword == "else" and not rest and stack[-1].head == "if" and stack[-1].then is None:
        stack[-1].then, stack[-1].parts = stack[-1].parts, []
    elif keyword == "endif" and not rest and stack[-1].head == "if":
        done = stack.pop()
        then, otherwise = (done.then, done.parts) if done.then is not None else (done.parts, [])
        assert done.condition is not None
        stack[-1].parts.append(If(done.condition, tuple(then), tuple(otherwise)))
    elif keyword == "for":
        names, separator, collection = rest.partition(" in ")
        variables = [n.strip() for n in names.split(",")]
        if not separator or len(variables) > 2 or not all(v.isidentifier() for v in variables):
            raise TemplateError(f"%{{ {inner} }} is not a for directive (for NAME in EXPR)")
        key, value = (variables[0], variables[1]) if len(variables) == 2 else (None, variables[0])
        stack.append(_Open("for", [], names=(key, value), collection=expression(collection)))
    elif keyword == "endfor" and not rest and stack[-1].head == "for":
        done = stack.pop()
        assert done.names is not None and done.collection is not None
        stack[-1].parts.append(For(done.names[0], done.names[1], done.collection, tuple(done.parts)))
    else:
        raise TemplateError(f"%{{ {inner} }} is not a directive here (if, else, endif, for, endfor)")


def expression(text: str) -> syn.Expr:
    """One native-syntax expression."""
    try:
        document = syn.parse_hcl(f"x = {text}\n", "<template>")
    except syn.HclSyntaxError:
        raise TemplateError(f"{text!r} is not a valid expression") from None
    if set(document.attributes) != {"x"} or document.blocks:
        raise TemplateError(f"{text!r} is not a valid expression")
    return document.attributes["x"].expr


def _add_text(parts: list[Node], text: str) -> None:
    if not text:
        return
    if parts and isinstance(parts[-1], str):
        parts[-1] = parts[-1] + text
    else:
        parts.append(text)


def _next_sequence(text: str, position: int) -> int | None:
    """Where the next ``${``/``%{`` (or its ``$${``/``%%{`` escape) starts."""
    found = [i for i in (text.find("${", position), text.find("%{", position)) if i != -1]
    if not found:
        return None
    start = min(found)
    if start > position and text[start - 1] == text[start]:
        return start - 1
    return start


def _strip(text: str, *, leading: bool = False, trailing: bool = False) -> str:
    if leading:
        text = text.lstrip()
    if trailing:
        text = text.rstrip()
    return text
