"""Terraform's JSON configuration syntax (``*.tf.json``) reads as the same configuration written in HCL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from providers.terraform import hcl_syntax as syn
from providers.terraform.hcl_loader import HclOptions, load_directory
from providers.terraform.json_syntax import parse_json_config
from scanner.inputs import InputKind, detect

_HCL = """
variable "env" {
  type    = string
  default = "prod"
}

provider "aws" {
  region = "eu-west-2"
}

provider "aws" {
  alias  = "dr"
  region = "us-east-1"
  default_tags {
    tags = { Owner = "dwp" }
  }
}

locals {
  tags = { Classification = "OFFICIAL", Environment = var.env }
}

resource "aws_s3_bucket" "claims" {
  provider = aws.dr
  count    = 2
  bucket   = "dwp-${var.env}-claims-${count.index}"
  tags     = local.tags
}

resource "aws_dynamodb_table" "payments" {
  name = "payments"
  replica {
    region_name = "us-east-1"
  }
  replica {
    region_name = "eu-west-1"
  }
  dynamic "attribute" {
    for_each = ["id", "ts"]
    content {
      name = attribute.value
      type = "S"
    }
  }
  labels = { owner = "claims" }
}

module "store" {
  source    = "./store"
  providers = { aws = aws.dr }
  name      = upper(var.env)
}
"""

_JSON = {
    "//": "the same configuration, in JSON",
    "variable": {"env": {"type": "string", "default": "prod"}},
    "provider": {"aws": [
        {"region": "eu-west-2"},
        {"alias": "dr", "region": "us-east-1", "default_tags": {"tags": {"Owner": "dwp"}}},
    ]},
    "locals": {"tags": {"Classification": "OFFICIAL", "Environment": "${var.env}"}},
    "resource": {
        "aws_s3_bucket": {"claims": {
            "//": "a comment in a block body",
            "provider": "aws.dr",
            "count": 2,
            "bucket": "dwp-${var.env}-claims-${count.index}",
            "tags": "${local.tags}",
        }},
        "aws_dynamodb_table": {"payments": {
            "name": "payments",
            "replica": [{"region_name": "us-east-1"}, {"region_name": "eu-west-1"}],
            "dynamic": {"attribute": {"for_each": ["id", "ts"], "content": {"name": "${attribute.value}",
                                                                            "type": "S"}}},
            "labels": {"owner": "claims"},
        }},
    },
    "module": {"store": {"source": "./store", "providers": {"aws": "aws.dr"}, "name": "${upper(var.env)}"}},
}

_STORE = 'variable "name" {}\nresource "aws_sqs_queue" "q" {\n  name = var.name\n}\n'


def _records(root: Path) -> dict[str, tuple[object, object, object]]:
    return {r.address: (r.values, r.placement.region.value, r.placement.default_tags)
            for r in load_directory(root).resources}


def test_json_configuration_reads_as_the_same_hcl(tmp_path: Path) -> None:
    (tmp_path / "hcl" / "store").mkdir(parents=True)
    (tmp_path / "json" / "store").mkdir(parents=True)
    (tmp_path / "hcl" / "main.tf").write_text(_HCL)
    (tmp_path / "hcl" / "store" / "main.tf").write_text(_STORE)
    (tmp_path / "json" / "main.tf.json").write_text(json.dumps(_JSON, indent=2))
    (tmp_path / "json" / "store" / "main.tf").write_text(_STORE)
    native, generated = _records(tmp_path / "hcl"), _records(tmp_path / "json")
    assert native == generated
    assert generated["module.store.aws_sqs_queue.q"] == ({"name": "PROD"}, "us-east-1", {"Owner": "dwp"})
    assert generated["aws_s3_bucket.claims[1]"][0] == {
        "bucket": "dwp-prod-claims-1", "tags": {"Classification": "OFFICIAL", "Environment": "prod"}}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", syn.Template(("plain",))),
        ("", syn.Template(())),
        ("${var.a}", syn.Template((syn.GetAttr(syn.Variable("var"), "a"),))),
        ("$${literal} and %%{ if }", syn.Template(("${literal} and %{ if }",))),
        ("a ${~ var.a ~}  b", syn.Template(("a", syn.GetAttr(syn.Variable("var"), "a"), "b"))),
        ('${lookup(var.m, "k}")}', syn.Template((syn.Call("lookup", (
            syn.GetAttr(syn.Variable("var"), "m"), syn.Template(("k}",)))),))),
        ("%{ if var.a }x%{ endif }", syn.Opaque("template directive in a JSON string")),
    ],
)
def test_strings_are_templates(text: str, expected: syn.Expr) -> None:
    parsed = parse_json_config(json.dumps({"locals": {"x": text}}), "t.tf.json")
    assert parsed.blocks[0].attributes["x"].expr == expected


def test_variable_defaults_are_literal_and_types_are_expressions() -> None:
    parsed = parse_json_config(json.dumps({"variable": {"v": {"type": "list(string)", "default": ["${x}"]}}}),
                               "t.tf.json")
    block = parsed.blocks[0]
    assert block.attributes["default"].expr == syn.TupleExpr((syn.Template(("${x}",)),))
    assert block.attributes["type"].expr == syn.Call("list", (syn.Variable("string"),))


def test_lines_are_those_of_the_keys() -> None:
    text = '{\n  "resource": {\n    "aws_s3_bucket": {\n      "b": {\n        "bucket": "x",\n' \
           '        "versioning": {\n          "enabled": true\n        }\n      }\n    }\n  }\n}\n'
    block = parse_json_config(text, "t.tf.json").blocks[0]
    assert (block.line, block.attributes["bucket"].line) == (4, 5)
    assert (block.blocks[0].type, block.blocks[0].line, block.blocks[0].attributes["enabled"].line) == \
        ("versioning", 6, 7)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('{\n  "locals": {\n    "a": 1,\n  }\n}\n', 4),
        ('{\n  "locals": {\n    "a": "${upper(}"\n  }\n}\n', 3),
        ('[1, 2]', 1),
        ('{\n  "locals": {"a": 1, "a": 2}\n}\n', 2),
    ],
)
def test_a_malformed_file_names_its_line(text: str, line: int) -> None:
    with pytest.raises(syn.HclSyntaxError) as raised:
        parse_json_config(text, "t.tf.json")
    assert raised.value.line == line


def test_a_malformed_file_is_a_gap_and_the_rest_is_read(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\n')
    (tmp_path / "broken.tf.json").write_text('{"resource": ')
    result = load_directory(tmp_path)
    assert [r.address for r in result.resources] == ["aws_s3_bucket.b"]
    assert [(Path(g.path).name, g.line) for g in result.gaps] == [("broken.tf.json", 1)]
    assert any(f.endswith("broken.tf.json") for f in result.files)


def test_the_parse_cache_never_serves_one_syntax_for_the_other(tmp_path: Path) -> None:
    # The same text is an empty HCL file and an invalid JSON one: each must be parsed as what it is.
    (tmp_path / "a.tf").write_text("\n")
    (tmp_path / "b.tf.json").write_text("\n")
    options = HclOptions(cache_dir=tmp_path / ".cache")
    for _ in range(2):
        gaps = load_directory(tmp_path, options).gaps
        assert [Path(g.path).name for g in gaps] == ["b.tf.json"]


def test_a_tf_json_file_is_configuration_not_a_plan(tmp_path: Path) -> None:
    path = tmp_path / "main.tf.json"
    path.write_text("{}")
    assert detect(str(path)) == [InputKind.TERRAFORM_CONFIGURATION]
    assert detect(str(tmp_path)) == [InputKind.TERRAFORM_CONFIGURATION]
