"""The plain-document builder gives exactly what PyYAML's safe constructor gives, on every YAML file of the
fixtures and on generated documents; what it does not handle (merge keys, other tags) goes to PyYAML itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from providers.kubernetes.adapter import decode
from scanner.yaml_data import YamlRefused, _InputLoader, load_documents_guarded

ROOT = Path(__file__).resolve().parent.parent
YAML_FILES = sorted(p for p in (ROOT / "fixtures").rglob("*.y*ml") if p.suffix in (".yaml", ".yml"))


def _pyyaml(text: str) -> list[Any]:
    # The manifest reader's loader (the safe loader plus YAML 1.1's `=` scalar), through PyYAML's own constructor.
    return [d for d in yaml.load_all(text, Loader=_InputLoader) if d is not None]


def _ours(text: str) -> list[Any]:
    return [value for _, value in load_documents_guarded(text) if value is not None]


def _same(text: str) -> None:
    try:
        expected = _pyyaml(text)
    except yaml.YAMLError:
        with pytest.raises((yaml.YAMLError, YamlRefused)):
            _ours(text)
        return
    try:
        ours = _ours(text)
    except YamlRefused:
        return  # refused as hostile (duplicate keys, alias bombs): PyYAML reads those, we never do
    assert ours == expected
    assert [type(v) for v in ours] == [type(v) for v in expected]


@pytest.mark.parametrize("path", YAML_FILES, ids=[str(p.relative_to(ROOT / "fixtures")) for p in YAML_FILES])
def test_every_fixture_reads_as_pyyaml_reads_it(path: Path) -> None:
    # Decoded as the manifest reader decodes a file (UTF-8, or UTF-16/32 behind a byte-order mark).
    _same(decode(path.read_bytes(), lenient=True))


def test_merge_keys_other_tags_and_typed_keys() -> None:
    _same("base: &b {a: 1}\nderived:\n  <<: *b\n  c: 2\n")  # an alias: the guarded path
    _same("x:\n  <<: {a: 1}\n  b: 2\n")  # a merge key without an alias
    _same("when: 2026-12-06\nsize: 0x1F\nratio: 1.5e3\non: yes\n~: null\n1: one\nbinary: !!binary aGk=\n")
    _same("set: !!set {a, b}\nomap: !!omap [{a: 1}, {b: 2}]\n")
    _same("deep: " + "[" * 500 + "]" * 500 + "\n")


scalars = st.one_of(st.text(max_size=8), st.integers(), st.booleans(), st.none(),
                    st.floats(allow_nan=False, allow_infinity=False))
documents = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)), max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(documents, st.booleans())
def test_generated_documents_read_as_pyyaml_reads_them(document: Any, flow: bool) -> None:
    _same(yaml.safe_dump(document, default_flow_style=flow))
