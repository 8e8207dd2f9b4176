"""file(), fileset(), templatefile() and their kin read the scanned tree, and nothing outside it."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest
from helpers import evaluated

from providers.semantics.records import Unknown
from providers.terraform.hcl_loader import HclOptions, load_directory
from providers.terraform.templates import TemplateError, parse_template


def _values(root: Path, locals_hcl: str, options: HclOptions | None = None) -> Any:
    """The values of ``locals`` in ``root/main.tf``, read through a resource's tags."""
    (root / "main.tf").write_text(f'locals {{\n{locals_hcl}\n}}\nresource "aws_sqs_queue" "q" {{\n'
                                  "  tags = local.out\n}\n")
    records = load_directory(root, options or HclOptions()).resources
    return next(r for r in records if r.address.endswith("aws_sqs_queue.q")).values["tags"]


def test_files_are_read_relative_to_the_root_module(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "settings.yaml").write_text("region: us-east-1\n")
    (tmp_path / "blob.bin").write_bytes(b"\x00\x01")
    out = _values(tmp_path, """
  out = {
    region = yamldecode(file("${path.module}/config/settings.yaml")).region
    same   = file("config/settings.yaml") == file("${path.root}/config/settings.yaml")
    exists = [fileexists("config/settings.yaml"), fileexists("config/none.yaml")]
    b64    = filebase64("blob.bin")
    sha    = filesha256("blob.bin")
    paths  = [path.module, path.root]
  }""")
    assert out == {"region": "us-east-1", "same": True, "exists": [True, False], "b64": "AAE=",
                   "sha": hashlib.sha256(b"\x00\x01").hexdigest(), "paths": [".", "."]}


def test_a_child_module_reads_its_own_directory(tmp_path: Path) -> None:
    (tmp_path / "modules" / "q").mkdir(parents=True)
    (tmp_path / "modules" / "q" / "name.txt").write_text("claims")
    (tmp_path / "modules" / "q" / "main.tf").write_text(
        'resource "aws_sqs_queue" "q" {\n  name = file("${path.module}/name.txt")\n'
        '  tags = { module = path.module, root = path.root }\n}\n')
    (tmp_path / "main.tf").write_text('module "q" {\n  source = "./modules/q"\n}\n')
    record = load_directory(tmp_path).resources[0]
    assert record.values == {"name": "claims", "tags": {"module": "modules/q", "root": "."}}


@pytest.mark.parametrize("where", ["../secret.txt", "{outside}/secret.txt", "link.txt"])
def test_a_path_outside_the_scanned_tree_is_never_read(tmp_path: Path, where: str) -> None:
    outside, root = tmp_path / "outside", tmp_path / "root"
    outside.mkdir()
    root.mkdir()
    (outside / "secret.txt").write_text("eu-west-2")
    (tmp_path / "secret.txt").write_text("eu-west-2")
    os.symlink(outside / "secret.txt", root / "link.txt")
    path = where.format(outside=outside)
    out = _values(root, f'  out = {{ a = file("{path}"), b = try(file("{path}"), "fallback") }}')
    for value in out.values():
        # Unknown, not an error: try() must not pretend to know what the file holds.
        assert isinstance(value, Unknown) and "outside the scanned tree" in value.reason
        assert "secret.txt" in value.reason


def test_a_missing_file_is_an_error_try_catches(tmp_path: Path) -> None:
    out = _values(tmp_path, '  out = { a = file("none.yaml"), b = try(file("none.yaml"), "default") }')
    assert isinstance(out["a"], Unknown) and "none.yaml" in out["a"].reason
    assert out["b"] == "default"


def test_a_file_over_the_size_limit_is_unknown(tmp_path: Path) -> None:
    (tmp_path / "big.json").write_text("[" + "1," * 500 + "1]")
    out = _values(tmp_path, '  out = { a = jsondecode(file("big.json")) }', HclOptions(max_file_bytes=200))
    assert isinstance(out["a"], Unknown) and "limit" in out["a"].reason


def test_fileset_matches_terraform_patterns_inside_the_tree(tmp_path: Path) -> None:
    for name in ("a.yaml", "b.json", "c.txt", "deep/x/d.yaml", "deep/e1.yaml", "deep/e22.yaml"):
        (tmp_path / "files" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "files" / name).write_text("x")
    (tmp_path / "elsewhere.yaml").write_text("x")
    os.symlink(tmp_path / "elsewhere.yaml", tmp_path / "files" / "linked.yaml")
    out = _values(tmp_path / "files", """
  out = {
    top   = fileset(path.module, "*.{yaml,json}")
    all   = fileset(path.module, "**/*.yaml")
    one   = fileset("${path.module}/deep", "e?.yaml")
    class = fileset(path.module, "[ab].*")
  }""")
    assert out == {
        "top": ["a.yaml", "b.json"],
        "all": ["a.yaml", "deep/e1.yaml", "deep/e22.yaml", "deep/x/d.yaml"],
        "one": ["e1.yaml"],
        "class": ["a.yaml", "b.json"],
    }


def test_templatefile_renders_directives(tmp_path: Path) -> None:
    (tmp_path / "policy.tftpl").write_text(
        "%{ for i, b in buckets ~}\n${i}: ${b}\n%{ endfor ~}\n"
        "%{ if public }public%{ else }private%{ endif } $${literal} %%{literal}")
    out = _values(tmp_path, """
  out = {
    text    = templatefile("policy.tftpl", { buckets = ["a", "b"], public = false })
    unknown = templatefile("policy.tftpl", { buckets = var.unset, public = false })
    missing = try(templatefile("none.tftpl", {}), "none")
  }""")
    assert out["text"] == "0: a\n1: b\nprivate ${literal} %{literal}"
    assert isinstance(out["unknown"], Unknown)
    assert out["missing"] == "none"


def test_a_template_sees_only_its_variables(tmp_path: Path) -> None:
    (tmp_path / "t.tftpl").write_text("${local.secret}")
    (tmp_path / "list.tftpl").write_text("${items}")
    out = _values(tmp_path, """
  secret = "x"
  out = {
    a = try(templatefile("t.tftpl", {}), "not visible")
    b = try(templatefile("list.tftpl", { items = [1] }), "no collections")
  }""")
    assert out == {"a": "not visible", "b": "no collections"}


def test_templatestring_renders_directives_too() -> None:
    assert evaluated('templatestring(var.t, {xs = ["a", "b"]})', t="%{ for x in xs }[${x}]%{ endfor }") == "[a][b]"


def test_file_functions_without_a_scanned_directory_stay_unknown() -> None:
    assert isinstance(evaluated('file("x")'), Unknown)
    assert isinstance(evaluated('templatefile("x", {})'), Unknown)


@pytest.mark.parametrize("text", ["%{ if x }a", "%{ endfor }", "${", "%{ for in x }%{ endfor }", "${ 1 + }"])
def test_malformed_templates_are_refused(text: str) -> None:
    with pytest.raises(TemplateError):
        parse_template(text)
