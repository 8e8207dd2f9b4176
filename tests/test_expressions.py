"""Expression evaluation and name resolution over real python-hcl2 parses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import evaluated

from providers.semantics.records import Unknown
from providers.terraform.hcl_loader import HclOptions, load_directory
from providers.terraform.hcl_syntax import HclSyntaxError, parse_hcl

_eval = evaluated


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('"eu-west-2"', "eu-west-2"),
        ('"${var.a}-${var.b}"', "x-y"),
        ("merge({a = 1}, {b = 2}, {a = 3})", {"a": 3, "b": 2}),
        ('lookup({eu = "eu-west-2"}, "eu", "us-east-1")', "eu-west-2"),
        ('lookup({eu = "eu-west-2"}, "us", "us-east-1")', "us-east-1"),
        ('concat(["a"], ["b", "c"])', ["a", "b", "c"]),
        ('format("%s-%03d", "bucket", 7)', "bucket-007"),
        ('lower("OFFICIAL")', "official"),
        ('upper("official")', "OFFICIAL"),
        ('coalesce("", null, "eu-west-2")', "eu-west-2"),
        ("try(var.map.missing, \"eu-west-2\")", "eu-west-2"),
        ('var.flag ? "us-east-1" : "eu-west-2"', "eu-west-2"),
        ("[for r in var.regions : upper(r) if r != \"\"]", ["EU-WEST-2", "US-EAST-1"]),
        ("{for k, v in var.map : v => k}", {"b": "a"}),
        ("var.map[\"a\"]", "b"),
        ("var.list[*].region", ["eu-west-2"]),
        ("1 + 2 * 3", 7),
        ('join("-", ["a", "b"])', "a-b"),
        ("<<EOT\nregion ${var.a}\nEOT", "region x\n"),
    ],
)
def test_evaluates(source: str, expected: Any) -> None:
    variables = {
        "a": "x", "b": "y", "flag": False, "regions": ["eu-west-2", "", "us-east-1"],
        "map": {"a": "b"}, "list": [{"region": "eu-west-2"}],
    }
    assert _eval(source, **variables) == expected


@pytest.mark.parametrize(
    "source",
    ['"${var.unset}-x"', "merge(var.unset, {a = 1})", "var.unset ? 1 : 2", "upper(var.unset)", "file(\"x\")"],
)
def test_unknown_inputs_stay_unknown(source: str) -> None:
    assert isinstance(_eval(source), Unknown)


def test_unknown_never_passes_as_a_boolean() -> None:
    with pytest.raises(TypeError):
        bool(Unknown("x"))


def test_syntax_error_reports_the_line() -> None:
    with pytest.raises(HclSyntaxError) as raised:
        parse_hcl('resource "a" "b" {\n  x = "ok"\n  y = \n}\n', "bad.tf")
    assert raised.value.line == 3


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_variable_precedence_and_provenance(tmp_path: Path) -> None:
    _write(tmp_path, {
        "main.tf": (
            'variable "r" { default = "a" }\n'
            'provider "aws" { region = var.r }\n'
            'resource "aws_sqs_queue" "q" {}\n'
        ),
        "terraform.tfvars": 'r = "b"\n',
        "x.auto.tfvars": 'r = "c"\n',
        "extra.tfvars": 'r = "d"\n',
    })
    assert load_directory(tmp_path).resources[0].placement.region.value == "c"
    with_file = load_directory(tmp_path, HclOptions(var_files=(tmp_path / "extra.tfvars",)))
    assert with_file.resources[0].placement.region.value == "d"
    with_var = load_directory(tmp_path, HclOptions((tmp_path / "extra.tfvars",), {"r": "e"}))
    region = with_var.resources[0].placement.region
    assert region.value == "e"
    assert region.provenance[-1] == 'var.r = "e" (--var)'


def test_module_providers_map_and_arguments(tmp_path: Path) -> None:
    _write(tmp_path, {
        "main.tf": """
provider "aws" { region = "eu-west-2" }
provider "aws" {
  alias  = "us"
  region = "us-east-1"
}
module "copy" {
  source    = "./modules/copy"
  providers = { aws = aws.us }
  name      = "claims"
}
""",
        "modules/copy/main.tf": """
variable "name" {}
module "inner" {
  source = "../inner"
  label  = "${var.name}-inner"
}
resource "aws_s3_bucket" "b" { bucket = var.name }
""",
        "modules/inner/main.tf": 'variable "label" {}\nresource "aws_s3_bucket" "c" { bucket = var.label }\n',
    })
    records = {r.address: r for r in load_directory(tmp_path).resources}
    assert set(records) == {"module.copy.aws_s3_bucket.b", "module.copy.module.inner.aws_s3_bucket.c"}
    outer, inner = records["module.copy.aws_s3_bucket.b"], records["module.copy.module.inner.aws_s3_bucket.c"]
    assert outer.values["bucket"] == "claims"
    assert outer.placement.region.value == "us-east-1"
    assert inner.values["bucket"] == "claims-inner"
    assert inner.placement.region.value == "us-east-1"  # default providers pass down implicitly


def test_reference_to_a_computed_attribute_keeps_its_resource(tmp_path: Path) -> None:
    _write(tmp_path, {"main.tf": """
resource "azurerm_resource_group" "rg" {
  name     = "rg"
  location = "UK South"
}
resource "azurerm_storage_account" "sa" {
  location          = azurerm_resource_group.rg.location
  resource_group_id = azurerm_resource_group.rg.id
}
"""})
    sa = next(r for r in load_directory(tmp_path).resources if r.type == "azurerm_storage_account")
    assert sa.values["location"] == "UK South"
    unknown = sa.values["resource_group_id"]
    assert isinstance(unknown, Unknown)
    assert (unknown.ref, unknown.attribute) == ("azurerm_resource_group.rg", "id")


def test_bad_file_is_a_gap_and_the_rest_is_read(tmp_path: Path) -> None:
    _write(tmp_path, {
        "good.tf": 'resource "aws_s3_bucket" "b" { bucket = "ok" }\n',
        "broken.tf": 'resource "aws_s3_bucket" "c" {\n  bucket = "x"\n',
    })
    result = load_directory(tmp_path)
    assert [r.address for r in result.resources] == ["aws_s3_bucket.b"]
    assert len(result.gaps) == 1 and result.gaps[0].path.endswith("broken.tf")


def test_count_zero_switches_a_resource_off(tmp_path: Path) -> None:
    _write(tmp_path, {"main.tf": """
variable "replicate" { default = false }
resource "aws_s3_bucket" "copy" {
  count  = var.replicate ? 1 : 0
  bucket = "copy"
}
"""})
    assert load_directory(tmp_path).resources == ()


def test_parallel_parsing_matches_serial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from providers.terraform import parallel_parse

    _write(tmp_path, {
        f"m{i}.tf": f'resource "aws_s3_bucket" "b{i}" {{\n  bucket = "b{i}"\n}}\n' for i in range(6)
    } | {"broken.tf": "resource {\n"})
    serial = load_directory(tmp_path)
    monkeypatch.setattr(parallel_parse, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setenv("OFFSHORE_SCAN_WORKERS", "2")
    parallel = load_directory(tmp_path)
    assert parallel.resources == serial.resources
    assert parallel.gaps == serial.gaps and len(parallel.gaps) == 1


def test_module_instances_and_their_outputs(tmp_path: Path) -> None:
    _write(tmp_path, {
        "main.tf": """
provider "aws" { region = "eu-west-2" }
module "vpc" {
  source   = "./vpc"
  for_each = { a = "10.0.0.0/16", b = "10.1.0.0/16" }
  cidr     = each.value
}
module "off" {
  source = "./vpc"
  count  = 0
  cidr   = "x"
}
resource "aws_flow_log" "each" {
  for_each = module.vpc
  vpc_id   = each.value.cidr_out
}
resource "aws_flow_log" "one" {
  vpc_id = module.vpc["b"].cidr_out
}
""",
        "vpc/main.tf": 'variable "cidr" {}\nresource "aws_vpc" "this" { cidr_block = var.cidr }\n'
                       'output "cidr_out" { value = var.cidr }\n',
    })
    records = {r.address: r for r in load_directory(tmp_path).resources}
    assert 'module.vpc["a"].aws_vpc.this' in records and 'module.vpc["b"].aws_vpc.this' in records
    assert not [a for a in records if a.startswith("module.off")]
    assert records['aws_flow_log.each["a"]'].values["vpc_id"] == "10.0.0.0/16"
    assert records["aws_flow_log.one"].values["vpc_id"] == "10.1.0.0/16"


def test_a_whole_resource_as_a_value(tmp_path: Path) -> None:
    _write(tmp_path, {"main.tf": """
resource "aws_iam_role" "support" {
  for_each = toset(["a", "b"])
  name     = "support-${each.key}"
}
resource "aws_iam_role_policy_attachment" "read" {
  for_each   = aws_iam_role.support
  role       = each.value.name
  policy_arn = each.value.arn
}
"""})
    records = {r.address: r for r in load_directory(tmp_path).resources}
    attachment = records['aws_iam_role_policy_attachment.read["b"]']
    assert attachment.values["role"] == "support-b"
    computed = attachment.values["policy_arn"]
    assert isinstance(computed, Unknown) and computed.ref == 'aws_iam_role.support["b"]'


def test_optional_attribute_defaults_in_variable_types(tmp_path: Path) -> None:
    _write(tmp_path, {"main.tf": """
variable "queues" {
  type = map(object({
    region    = optional(string, "eu-west-1")
    sensitive = optional(bool, false)
    tags      = optional(map(string))
  }))
  default = {
    a = {}
    b = { region = "eu-west-2", sensitive = true }
  }
}
resource "aws_sqs_queue" "q" {
  for_each = var.queues
  name     = each.key
  region   = each.value.region
  fifo     = each.value.sensitive
  tags     = each.value.tags
}
"""})
    records = {r.address: r.values for r in load_directory(tmp_path).resources}
    assert records['aws_sqs_queue.q["a"]']["region"] == "eu-west-1"
    assert records['aws_sqs_queue.q["a"]']["fifo"] is False
    assert records['aws_sqs_queue.q["a"]']["tags"] is None
    assert records['aws_sqs_queue.q["b"]']["region"] == "eu-west-2"


def test_a_nested_block_of_a_resource_can_be_referenced(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "kubernetes_namespace_v1" "claims" {\n  metadata {\n    name = "claims"\n  }\n}\n'
        'resource "azurerm_linux_function_app" "fn" {\n  identity {\n    type = "SystemAssigned"\n  }\n}\n'
        'resource "aws_s3_bucket" "uses" {\n'
        '  bucket = kubernetes_namespace_v1.claims.metadata[0].name\n'
        '  tags   = { who = azurerm_linux_function_app.fn.identity.0.principal_id }\n}\n')
    uses = next(r for r in load_directory(tmp_path).resources if r.address == "aws_s3_bucket.uses")
    assert uses.values["bucket"] == "claims"
    # Set by the provider, not the configuration: unknown, but still the function app's.
    principal = uses.values["tags"]["who"]
    assert isinstance(principal, Unknown) and principal.ref == "azurerm_linux_function_app.fn"


def test_a_template_past_the_string_budget_is_unknown() -> None:
    value = _eval('"${var.a}${var.a}"', a="x" * 600_000)
    assert isinstance(value, Unknown) and "1,200,000 characters" in value.reason


def test_a_resource_switched_off_is_an_empty_collection_not_an_unknown(tmp_path: Path) -> None:
    _write(tmp_path, {"main.tf": """
variable "create" { default = false }
resource "aws_s3_bucket" "this" {
  count  = var.create ? 1 : 0
  bucket = "claims"
}
resource "aws_sqs_queue" "each" {
  for_each = toset([])
  name     = each.key
}
resource "aws_s3_bucket_policy" "this" {
  count  = length(aws_s3_bucket.this)
  bucket = aws_s3_bucket.this[0].id
}
resource "aws_sns_topic" "t" {
  name    = "t"
  tags = {
    bucket = one(aws_s3_bucket.this[*].arn)
    queues = length(aws_sqs_queue.each)
    first  = try(aws_s3_bucket.this[0].arn, "none")
  }
}
"""})
    records = {r.address: r for r in load_directory(tmp_path).resources}
    assert list(records) == ["aws_sns_topic.t"]
    assert records["aws_sns_topic.t"].values["tags"] == {"bucket": None, "queues": 0, "first": "none"}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("length([aws_s3_bucket.a.arn, var.unset])", 2),
        ("length(var.partly)", 3),
        ("length({a = var.unset})", 1),
        ("element(var.partly, 0)", "eu-west-2"),
        ("reverse(var.partly)[2]", "eu-west-2"),
    ],
)
def test_a_collection_of_unknown_elements_has_a_known_size(source: str, expected: Any) -> None:
    partly = ["eu-west-2", Unknown("var.b has no value"), Unknown("var.c has no value")]
    assert _eval(source, partly=partly) == expected


@pytest.mark.parametrize("source", ["length(var.unset)", "flatten([var.unset])", "length(\"${var.unset}\")"])
def test_a_collection_whose_shape_is_unknown_stays_unknown(source: str) -> None:
    assert isinstance(_eval(source), Unknown)


@pytest.mark.parametrize(
    ("region", "partition", "suffix"),
    [("eu-west-2", "aws", "amazonaws.com"), ("cn-north-1", "aws-cn", "amazonaws.com.cn"),
     ("us-gov-west-1", "aws-us-gov", "amazonaws.com")],
)
def test_provider_data_sources_answer_from_the_provider(tmp_path: Path, region: str, partition: str,
                                                        suffix: str) -> None:
    _write(tmp_path, {"main.tf": f"""
provider "aws" {{ region = "{region}" }}
data "aws_partition" "current" {{}}
data "aws_region" "current" {{}}
data "aws_caller_identity" "current" {{}}
resource "aws_sns_topic" "t" {{
  name = "alerts"
  tags = {{
    arn    = "arn:${{data.aws_partition.current.partition}}:sns:${{data.aws_region.current.region}}:1:x"
    suffix = data.aws_partition.current.dns_suffix
    root   = "arn:${{data.aws_partition.current.partition}}:iam::${{data.aws_caller_identity.current.account_id}}:root"
  }}
}}
"""})
    records = {r.address: r for r in load_directory(tmp_path).resources}
    tags = records["aws_sns_topic.t"].values["tags"]
    assert tags["arn"] == f"arn:{partition}:sns:{region}:1:x" and tags["suffix"] == suffix
    # The account is not known, but whose it is is: the access rules judge it the estate's own.
    assert isinstance(tags["root"], Unknown) and tags["root"].ref == "data.aws_caller_identity.current"


def test_the_partition_of_a_provider_with_no_known_region_is_unknown(tmp_path: Path) -> None:
    _write(tmp_path, {"main.tf": """
variable "region" {}
provider "aws" { region = var.region }
data "aws_partition" "current" {}
resource "aws_sns_topic" "t" { name = data.aws_partition.current.partition }
"""})
    records = {r.address: r for r in load_directory(tmp_path).resources}
    name = records["aws_sns_topic.t"].values["name"]
    assert isinstance(name, Unknown) and "var.region" in name.reason


def test_compact_keeps_the_known_elements_beside_an_unknown_one() -> None:
    # The s3-bucket module merges policy documents with compact([...]): one unknown document must not hide the
    # others (a public statement among them is still judged).
    from providers.semantics.records import Unknown

    value = evaluated('compact([var.unset, "{\\"Statement\\": []}", "", null])')
    assert isinstance(value, list) and len(value) == 2
    assert isinstance(value[0], Unknown) and value[1] == '{"Statement": []}'


@pytest.mark.parametrize(("source", "expected"), [
    ("var.dest != null ? [1] : []", [1]),
    ("var.dest == null", False),
    ("null != var.dest", True),
])
def test_a_resources_arn_or_id_is_never_null(source: str, expected: Any) -> None:
    # terraform-aws-modules/lambda creates destination_config only when `var.destination_on_failure != null`; given
    # `aws_sqs_queue.dlq.arn` (known after apply, never null) the block exists and names that queue.
    arn = Unknown("aws_sqs_queue.dlq.arn is known only after apply", ref="aws_sqs_queue.dlq", attribute="arn")
    assert evaluated(source, dest=arn) == expected


@pytest.mark.parametrize("attribute", ["tags_all", "endpoint"])
def test_other_computed_attributes_compared_with_null_stay_unknown(attribute: str) -> None:
    value = Unknown("known only after apply", ref="aws_db_instance.a", attribute=attribute)
    assert isinstance(evaluated("var.dest != null", dest=value), Unknown)
    built = Unknown("built from the arn", ref="aws_sqs_queue.dlq", attribute="arn", exact=False)
    assert isinstance(evaluated("var.dest != null", dest=built), Unknown)
