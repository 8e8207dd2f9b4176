"""Property-based tests: the evaluator and the geography never raise, and never call an unknown known."""

from __future__ import annotations

import json
from typing import Any

from helpers import Vars
from hypothesis import given, settings
from hypothesis import strategies as st

from providers.semantics import geography
from providers.semantics.records import Unknown
from providers.terraform.expressions import evaluate
from providers.terraform.functions import FUNCTIONS
from providers.terraform.hcl_syntax import HclSyntaxError, parse_hcl


def _hcl(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int):
        return json.dumps(value)
    if isinstance(value, str):
        # HCL's escapes: \\ \" \n \r \t and \uNNNN; $${ and %%{ keep template markers literal.
        escaped = "".join({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(c)
                          or (f"\\u{ord(c):04x}" if ord(c) < 32 or ord(c) == 127 else c) for c in value)
        return '"' + escaped.replace("${", "$${").replace("%{", "%%{") + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_hcl(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {_hcl(v)}" for k, v in value.items()) + "}"


def _markers_closed(text: str) -> bool:
    # Both HCL grammars (python-hcl2's and tree-sitter-hcl's) refuse an escaped template marker ($${,
    # %%{) with no closing brace after it, though Terraform accepts one; such strings are left out.
    for marker in ("${", "%{"):
        position = text.find(marker)
        while position != -1:
            if "}" not in text[position + 2 :]:
                return False
            position = text.find(marker, position + 2)
    return True


_TEXT = st.text(max_size=12).filter(_markers_closed)

_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | _TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text("abcxyz", min_size=1, max_size=4), inner,
                                                                max_size=4),
    max_leaves=12,
)
_NAMES = st.sampled_from(sorted(FUNCTIONS))
_ARGUMENTS = st.lists(_VALUES.map(_hcl) | st.just("var.unset"), max_size=3)


@settings(max_examples=300, deadline=None)
@given(_NAMES, _ARGUMENTS)
def test_any_function_on_any_arguments_gives_a_value_or_an_unknown(name: str, arguments: list[str]) -> None:
    source = f"x = {name}({', '.join(arguments)})\n"
    try:
        expr = parse_hcl(source, "p.tf").attributes["x"].expr
    except HclSyntaxError:
        return
    value = evaluate(expr, Vars())
    if "var.unset" in arguments and name not in ("coalesce", "lookup", "merge", "jsonencode", "try", "can"):
        # An unknown argument never yields a value that looks known.
        assert isinstance(value, Unknown) or name in ("length", "keys", "values", "concat", "flatten", "one",
                                                      "element", "slice", "reverse", "tolist", "tomap",
                                                      "coalescelist", "chunklist")


@settings(max_examples=200, deadline=None)
@given(_VALUES)
def test_literals_evaluate_to_themselves(value: Any) -> None:
    expr = parse_hcl(f"x = {_hcl(value)}\n", "p.tf").attributes["x"].expr
    assert evaluate(expr, Vars()) == value


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["aws", "azure", "gcp", "oci", ""]), st.text(max_size=30))
def test_place_region_never_raises_and_only_the_uk_is_uk(cloud: str, name: str) -> None:
    place = geography.place_region(cloud, name)
    assert place.uk is (place.country == "GB")
    located = geography.locate(cloud, name)
    assert located.uk is place.uk
