"""Differential tests: the fast front end (tree-sitter) builds exactly the reference's (python-hcl2) nodes.

The fast front end may decline a file (answer None), and the reference then reads it; it may never
build different nodes. Checked on every HCL file in the repository and on a generated corpus of
expressions and blocks in the shapes public modules use.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers import Vars
from hypothesis import given, settings
from hypothesis import strategies as st

from providers.terraform import hcl_fast, hcl_reference
from providers.terraform.expressions import evaluate
from providers.terraform.hcl_syntax import HclSyntaxError, parse_hcl

ROOT = Path(__file__).resolve().parent.parent
HCL_FILES = sorted(
    p for base in (ROOT / "fixtures", ROOT / "tests" / "data") for p in base.rglob("*")
    if p.suffix in (".tf", ".tfvars") and p.is_file()
)


def _reference(text: str) -> object:
    try:
        return hcl_reference.parse(text, "f.tf")
    except HclSyntaxError as error:
        return ("refused", str(error), error.line)


def _fast(text: str) -> object:
    try:
        return hcl_fast.parse(text, "f.tf")
    except HclSyntaxError as error:
        return ("refused", str(error), error.line)


def test_the_repository_has_hcl_to_compare() -> None:
    assert len(HCL_FILES) > 100


@pytest.mark.parametrize("path", HCL_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_repository_file_gets_the_reference_nodes(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    reference, fast = _reference(text), _fast(text)
    if isinstance(reference, tuple):
        # A file the reference refuses is never accepted by the fast front end.
        assert fast is None or fast == reference
    else:
        # Every valid file in the repository is converted (none falls back), and identically.
        assert fast == reference


def test_a_syntax_error_is_the_references_message_and_line() -> None:
    text = 'resource "a" "b" {\n  x = "ok"\n  y = \n}\n'
    assert hcl_fast.parse(text, "bad.tf") is None
    with pytest.raises(HclSyntaxError) as caught:
        parse_hcl(text, "bad.tf")
    assert (str(caught.value), caught.value.line) == _reference(text)[1:]


def test_nested_conditionals_group_to_the_right_as_in_terraform() -> None:
    # tree-sitter-hcl's grammar groups these to the left; the converter regroups them.
    text = 'x = var.a == "1" ? "one" : var.a == "2" ? "two" : "many"\n'
    assert _fast(text) == _reference(text)
    expr = parse_hcl(text, "f.tf").attributes["x"].expr
    assert evaluate(expr, Vars(a="2")) == "two"
    assert evaluate(expr, Vars(a="3")) == "many"
    parenthesised = 'x = (true ? false : true) ? "yes" : "no"\n'
    assert evaluate(parse_hcl(parenthesised, "f.tf").attributes["x"].expr, Vars()) == "no"


def test_a_construct_the_fast_front_end_does_not_convert_is_read_by_the_reference() -> None:
    text = 'x = "%{ if var.on }on%{ else }off%{ endif }"\n'
    assert hcl_fast.parse(text, "f.tf") is None
    assert parse_hcl(text, "f.tf") == hcl_reference.parse(text, "f.tf")


def test_a_clean_scan_never_loads_the_reference_parser() -> None:
    # Lark takes about 120 ms to import; a scan of valid HCL must not pay it.
    code = ("import sys; from scanner.cli import main; sys.argv = ['offshore-scan', 'scan', 'fixtures/demo', "
            "'--no-cache']\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('lark' in sys.modules, file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False)
    assert result.stderr.strip().splitlines()[-1] == "False", result.stderr


# --- a generated corpus ------------------------------------------------------------------------

_NAMES = st.sampled_from(["a", "b", "name", "region", "tags", "for_each_x", "in_x", "v1", "x-y"])
_OPERATORS = st.sampled_from(["+", "-", "*", "/", "%", "==", "!=", "<", ">", "<=", ">=", "&&", "||"])
_TEXT = st.text(st.sampled_from(list("ab -_/:.é\\n\"$%{}")), max_size=8).map(
    lambda t: t.replace("\\", "\\\\").replace('"', '\\"').replace("${", "$${").replace("%{", "%%{")
).filter(lambda t: not t.endswith("$") and not t.endswith("%") and "$$$" not in t and "%%%" not in t)


def _atoms() -> st.SearchStrategy[str]:
    return st.one_of(
        st.integers(-1000, 10**6).map(str),
        st.sampled_from(["1.5", "0.25", "true", "false", "null"]),
        st.sampled_from(["var.a", "local.b", "each.key", "each.value.name", "count.index", "module.m.out",
                         "aws_s3_bucket.b.arn", "data.aws_region.current.name", "path.module"]),
        _TEXT.map(lambda t: f'"{t}"'),
    )


def _compound(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    pair = st.tuples(inner, inner)
    return st.one_of(
        st.tuples(inner, _OPERATORS, inner).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
        inner.map(lambda e: f"!{e}"),
        inner.map(lambda e: f"-{e}"),
        inner.map(lambda e: f"({e})"),
        st.tuples(inner, inner, inner).map(lambda t: f"{t[0]} ? {t[1]} : {t[2]}"),
        st.lists(inner, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
        st.lists(st.tuples(st.one_of(_NAMES, _TEXT.map(lambda t: f'"{t}"'), inner.map(lambda e: f"({e})")),
                           inner), max_size=3)
        .map(lambda items: "{ " + ", ".join(f"{k} = {v}" for k, v in items) + " }"),
        st.tuples(st.sampled_from(["merge", "lookup", "try", "length", "format", "provider::aws::arn_parse"]),
                  st.lists(inner, max_size=3), st.booleans())
        .map(lambda t: f"{t[0]}({', '.join(t[1])}{'...' if t[2] and t[1] else ''})"),
        st.tuples(inner, _NAMES).map(lambda t: f"({t[0]}).{t[1]}"),
        st.tuples(inner, inner).map(lambda t: f"var.list[{t[1]}]"),
        inner.map(lambda e: f"var.list.0.{'name'}"),
        st.sampled_from(["var.l[*].id", "var.l[*].a[0]", "var.l.*.id", "aws_instance.x[*].id"]),
        pair.map(lambda t: f"[for k, v in {t[0]} : {t[1]} if v != null]"),
        pair.map(lambda t: f"{{ for k, v in {t[0]} : k => {t[1]}... }}"),
        pair.map(lambda t: f'"pre-${{{t[0]}}}-mid-${{{t[1]}}}"'),
    )


_EXPRESSIONS = st.recursive(_atoms(), _compound, max_leaves=8)


def _attribute(name: str, value: str) -> str:
    return f"  {name} = {value}\n"


_BLOCKS = st.tuples(
    st.sampled_from(['resource "aws_s3_bucket" "b"', 'module "m"', "locals", 'dynamic "rule"', 'provider "aws"']),
    st.lists(st.tuples(_NAMES, _EXPRESSIONS), max_size=3, unique_by=lambda t: t[0]),
    st.sampled_from(["", "# a comment\n", "// another\n", "/* a\n block */\n", "\n\n"]),
    st.booleans(),
).map(lambda t: (
    f"{t[0]} {{\n{t[2]}" + "".join(_attribute(k, v) for k, v in t[1])
    + ('  content {\n    x = "y"\n  }\n' if t[3] else "") + "}\n"
))


@settings(max_examples=400, deadline=None)
@given(_EXPRESSIONS)
def test_generated_expressions_get_the_reference_nodes(expression: str) -> None:
    text = f"x = {expression}\n"
    reference, fast = _reference(text), _fast(text)
    assert fast is None or fast == reference, text


@settings(max_examples=150, deadline=None)
@given(st.lists(_BLOCKS, min_size=1, max_size=4))
def test_generated_files_get_the_reference_nodes(blocks: list[str]) -> None:
    text = "\n".join(blocks)
    reference, fast = _reference(text), _fast(text)
    assert fast is None or fast == reference, text


@settings(max_examples=100, deadline=None)
@given(st.text(st.sampled_from(list('ab ={}[]()"$%#/*\n\\.,:?!<>=-+')), max_size=40))
def test_arbitrary_text_never_gets_nodes_the_reference_would_not_give(text: str) -> None:
    reference, fast = _reference(text), _fast(text)
    assert fast is None or fast == reference, repr(text)


@pytest.mark.parametrize("text", ["{}", '{ "a" = 1 }\n', "# c\n{}\n"])
def test_a_bare_object_as_a_whole_file_is_the_references_to_refuse(text: str) -> None:
    """tree-sitter's grammar reads a file that is one object (``{}``) as a config; HCL's native syntax does not."""
    assert _fast(text) is None and _reference(text)[0] == "refused"
