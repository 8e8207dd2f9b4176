"""Generate a cloudposse-shaped chain of local modules: each level labels itself with a null-label-shaped
module and passes the label's ``context`` down to the next level, twice.

    python bench/module_chain.py DIR [--depth 6] [--fan-out 2]

The shape is the one cloudposse's modules share: every module has a ``context.tf`` declaring a ``context``
object variable (17 attributes) and each attribute again as its own variable defaulting to null, and a
``module "this"`` that merges them into a label; its outputs (``id``, ``tags``, ``context``) are built by a
few dozen locals that refer to each other (merge, coalesce, lookup, ``for`` over ``label_order``, format,
join, case functions, ``replace`` with a regex, substr, md5). Each level also creates an ``aws_s3_bucket``
tagged with ``module.this.tags``. The root's context carries ``Classification = "OFFICIAL"``, so every
bucket, however deep, is DWP data; the provider is in London.

Written for this project from the public shape of ``cloudposse/terraform-null-label`` (no file is copied).
Kept free of imports besides the standard library so the tests can load it by path.
"""

from __future__ import annotations

import argparse
from pathlib import Path

CONTEXT_FIELDS: dict[str, tuple[str, str]] = {
    # name: (type constraint, default inside the context object)
    "enabled": ("bool", "true"),
    "namespace": ("string", "null"),
    "tenant": ("string", "null"),
    "environment": ("string", "null"),
    "stage": ("string", "null"),
    "name": ("string", "null"),
    "delimiter": ("string", "null"),
    "attributes": ("list(string)", "[]"),
    "tags": ("map(string)", "{}"),
    "additional_tag_map": ("map(string)", "{}"),
    "label_order": ("list(string)", "[]"),
    "regex_replace_chars": ("string", "null"),
    "id_length_limit": ("number", "null"),
    "label_key_case": ("string", "null"),
    "label_value_case": ("string", "null"),
    "descriptor_formats": ("any", "{}"),
    "labels_as_tags": ("set(string)", '["unset"]'),
}

ROOT_REGION = "eu-west-2"

ROOT_CONTEXT = """\
context = {
  enabled             = true
  namespace           = "dwp"
  tenant              = null
  environment         = "ew2"
  stage               = "prod"
  name                = "claims"
  delimiter           = null
  attributes          = []
  tags                = { Classification = "OFFICIAL", Owner = "Claims Team" }
  additional_tag_map  = {}
  regex_replace_chars = null
  label_order         = []
  id_length_limit     = null
  label_key_case      = null
  label_value_case    = null
  descriptor_formats  = { stack = { format = "%v-%v", labels = ["environment", "stage"] } }
  labels_as_tags      = ["unset"]
}
"""


def context_tf(label_source: str) -> str:
    """A module's ``context.tf``: the ``context`` variable, each field as its own variable, ``module.this``."""
    default = "\n".join(f"    {name:<20} = {value}" for name, (_, value) in CONTEXT_FIELDS.items())
    arguments = "\n".join(f"  {name:<20} = var.{name}" for name in CONTEXT_FIELDS)
    variables = []
    for name, (type_text, _) in CONTEXT_FIELDS.items():
        # Lists and maps default to empty, as null-label's do; scalars to null (take the context's).
        fallback = {"list(string)": "[]", "map(string)": "{}", "any": "{}"}.get(type_text, "null")
        if name == "labels_as_tags":
            fallback = '["default"]'
        variables.append(f'variable "{name}" {{\n  type    = {type_text}\n  default = {fallback}\n'
                         f'  description = "Overrides context.{name} when set."\n}}\n')
    return (
        f'module "this" {{\n  source = "{label_source}"\n\n{arguments}\n\n  context = var.context\n}}\n\n'
        f'variable "context" {{\n  type = any\n  default = {{\n{default}\n  }}\n'
        '  description = "Single object for setting the entire context at once."\n\n'
        '  validation {\n    condition     = lookup(var.context, "label_key_case", null) == null ? true : '
        'contains(["lower", "title", "upper"], var.context["label_key_case"])\n'
        '    error_message = "Allowed values: `lower`, `title`, `upper`."\n  }\n}\n\n'
        + "\n".join(variables)
    )


LABEL_MAIN = """\
locals {
  defaults = {
    label_order         = ["namespace", "environment", "stage", "name", "attributes"]
    regex_replace_chars = "/[^-a-zA-Z0-9]/"
    delimiter           = "-"
    replacement         = ""
    id_length_limit     = 0
    id_hash_length      = 5
    label_key_case      = "title"
    label_value_case    = "lower"
  }

  labels_as_tags_unset = try(contains(var.context.labels_as_tags, "unset"), true)
  replacement          = local.defaults.replacement
  id_hash_length       = local.defaults.id_hash_length

  # An argument beats the context, except tags and attributes, which add to it.
  input = {
    enabled             = var.enabled == null ? var.context.enabled : var.enabled
    namespace           = var.namespace == null ? var.context.namespace : var.namespace
    tenant              = var.tenant == null ? lookup(var.context, "tenant", null) : var.tenant
    environment         = var.environment == null ? var.context.environment : var.environment
    stage               = var.stage == null ? var.context.stage : var.stage
    name                = var.name == null ? var.context.name : var.name
    delimiter           = var.delimiter == null ? var.context.delimiter : var.delimiter
    attributes          = compact(distinct(concat(coalesce(var.context.attributes, []), coalesce(var.attributes, []))))
    tags                = merge(var.context.tags, var.tags)
    additional_tag_map  = merge(var.context.additional_tag_map, var.additional_tag_map)
    label_order         = var.label_order == null ? var.context.label_order : var.label_order
    regex_replace_chars = var.regex_replace_chars == null ? var.context.regex_replace_chars : var.regex_replace_chars
    id_length_limit     = var.id_length_limit == null ? var.context.id_length_limit : var.id_length_limit
    label_key_case      = var.label_key_case == null ? lookup(var.context, "label_key_case", null) : var.label_key_case
    label_value_case    = var.label_value_case == null ? lookup(var.context, "label_value_case", null) : var.label_value_case
    descriptor_formats  = merge(lookup(var.context, "descriptor_formats", {}), var.descriptor_formats)
    labels_as_tags      = local.labels_as_tags_unset ? var.labels_as_tags : var.context.labels_as_tags
  }

  enabled             = local.input.enabled
  regex_replace_chars = coalesce(local.input.regex_replace_chars, local.defaults.regex_replace_chars)

  string_label_names = ["namespace", "tenant", "environment", "stage", "name"]
  normalized_labels = { for k in local.string_label_names : k =>
    local.input[k] == null ? "" : replace(local.input[k], local.regex_replace_chars, local.replacement)
  }
  normalized_attributes = compact(distinct([for v in local.input.attributes : replace(v, local.regex_replace_chars, local.replacement)]))

  formatted_labels = { for k in local.string_label_names : k => local.label_value_case == "none" ? local.normalized_labels[k] :
    local.label_value_case == "title" ? title(lower(local.normalized_labels[k])) :
    local.label_value_case == "upper" ? upper(local.normalized_labels[k]) : lower(local.normalized_labels[k])
  }

  attributes = compact(distinct([
    for v in local.normalized_attributes : (local.label_value_case == "none" ? v :
      local.label_value_case == "title" ? title(lower(v)) :
    local.label_value_case == "upper" ? upper(v) : lower(v))
  ]))

  namespace   = local.formatted_labels["namespace"]
  tenant      = local.formatted_labels["tenant"]
  environment = local.formatted_labels["environment"]
  stage       = local.formatted_labels["stage"]
  name        = local.formatted_labels["name"]

  delimiter        = local.input.delimiter == null ? local.defaults.delimiter : local.input.delimiter
  label_order      = local.input.label_order == null ? local.defaults.label_order : coalescelist(local.input.label_order, local.defaults.label_order)
  id_length_limit  = local.input.id_length_limit == null ? local.defaults.id_length_limit : local.input.id_length_limit
  label_key_case   = local.input.label_key_case == null ? local.defaults.label_key_case : local.input.label_key_case
  label_value_case = local.input.label_value_case == null ? local.defaults.label_value_case : local.input.label_value_case

  default_labels_as_tags = keys(local.tags_context)
  labels_as_tags         = contains(local.input.labels_as_tags, "default") ? local.default_labels_as_tags : local.input.labels_as_tags
  descriptor_formats     = local.input.descriptor_formats
  additional_tag_map     = merge(var.context.additional_tag_map, var.additional_tag_map)

  tags = merge(local.generated_tags, local.input.tags)

  tags_as_list_of_maps = flatten([
    for key in keys(local.tags) : merge({ key = key, value = local.tags[key] }, local.additional_tag_map)
  ])

  tags_context = {
    namespace   = local.namespace
    tenant      = local.tenant
    environment = local.environment
    stage       = local.stage
    name        = local.id
    attributes  = local.id_context.attributes
  }

  generated_tags = {
    for l in setintersection(keys(local.tags_context), local.labels_as_tags) :
    local.label_key_case == "upper" ? upper(l) : (local.label_key_case == "lower" ? lower(l) : title(lower(l)))
    => local.tags_context[l] if length(local.tags_context[l]) > 0
  }

  id_context = {
    namespace   = local.namespace
    tenant      = local.tenant
    environment = local.environment
    stage       = local.stage
    name        = local.name
    attributes  = join(local.delimiter, local.attributes)
  }

  labels  = [for l in local.label_order : local.id_context[l] if length(local.id_context[l]) > 0]
  id_full = join(local.delimiter, local.labels)

  delimiter_length          = length(local.delimiter)
  id_truncated_length_limit = local.id_length_limit - (local.id_hash_length + local.delimiter_length)
  id_truncated              = local.id_truncated_length_limit <= 0 ? "" : "${trimsuffix(substr(local.id_full, 0, local.id_truncated_length_limit), local.delimiter)}${local.delimiter}"
  id_hash_plus              = "${md5(local.id_full)}qrstuvwxyz"
  id_hash_case              = local.label_value_case == "title" ? title(local.id_hash_plus) : local.label_value_case == "upper" ? upper(local.id_hash_plus) : local.label_value_case == "lower" ? lower(local.id_hash_plus) : local.id_hash_plus
  id_hash                   = replace(local.id_hash_case, local.regex_replace_chars, local.replacement)
  id_short                  = substr("${local.id_truncated}${local.id_hash}", 0, local.id_length_limit)
  id                        = local.id_length_limit != 0 && length(local.id_full) > local.id_length_limit ? local.id_short : local.id_full

  descriptors = { for k, v in local.descriptor_formats : k => format(v.format, [for label in v.labels : local.id_context[label]]...) }

  output_context = {
    enabled             = local.enabled
    namespace           = local.namespace
    tenant              = local.tenant
    environment         = local.environment
    stage               = local.stage
    name                = local.name
    delimiter           = local.delimiter
    attributes          = local.attributes
    tags                = local.tags
    additional_tag_map  = local.additional_tag_map
    label_order         = local.label_order
    regex_replace_chars = local.regex_replace_chars
    id_length_limit     = local.id_length_limit
    label_key_case      = local.label_key_case
    label_value_case    = local.label_value_case
    labels_as_tags      = local.labels_as_tags
    descriptor_formats  = local.descriptor_formats
  }
}
"""  # noqa: E501 (Terraform lines as null-label writes them)

LABEL_OUTPUTS = """\
output "id" {
  value = local.enabled ? local.id : ""
}

output "id_full" {
  value = local.enabled ? local.id_full : ""
}

output "enabled" {
  value = local.enabled
}

output "namespace" {
  value = local.enabled ? local.namespace : ""
}

output "environment" {
  value = local.enabled ? local.environment : ""
}

output "stage" {
  value = local.enabled ? local.stage : ""
}

output "name" {
  value = local.enabled ? local.name : ""
}

output "delimiter" {
  value = local.enabled ? local.delimiter : ""
}

output "attributes" {
  value = local.enabled ? local.attributes : []
}

output "tags" {
  value = local.enabled ? local.tags : {}
}

output "tags_as_list_of_maps" {
  value = local.tags_as_list_of_maps
}

output "additional_tag_map" {
  value = local.additional_tag_map
}

output "label_order" {
  value = local.label_order
}

output "id_length_limit" {
  value = local.id_length_limit
}

output "descriptors" {
  value = local.descriptors
}

output "normalized_context" {
  value = local.output_context
}

output "context" {
  value = local.input
}
"""


def level_main(level: int, depth: int, fan_out: int) -> str:
    """One level's own resources and its calls of the next level, each passing ``module.this.context``."""
    text = (
        'resource "aws_s3_bucket" "this" {\n'
        "  count  = module.this.enabled ? 1 : 0\n"
        "  bucket = module.this.id\n"
        "  tags   = module.this.tags\n"
        "}\n\n"
        'resource "aws_s3_bucket_versioning" "this" {\n'
        "  count  = module.this.enabled ? 1 : 0\n"
        "  bucket = join(\"\", aws_s3_bucket.this[*].id)\n"
        "  versioning_configuration {\n    status = \"Enabled\"\n  }\n"
        "}\n\n"
        'output "bucket_id" {\n  value = join("", aws_s3_bucket.this[*].id)\n}\n\n'
        'output "context" {\n  value = module.this.context\n}\n'
    )
    if level < depth:
        for index in range(fan_out):
            # Every call passes the same context: the same inputs, so the next level is the same evaluation.
            text += (f'\nmodule "level{level + 1}_{index}" {{\n  source  = "../level{level + 1}"\n'
                     f"  context = module.this.context\n}}\n")
    return text


def write_chain(root: Path, depth: int = 6, fan_out: int = 2) -> Path:
    """Write the chain under ``root``: ``root/live`` (the root module), ``root/modules/...``. Returns the
    directory to scan (``root`` itself)."""
    modules = root / "modules"
    label = modules / "label"
    label.mkdir(parents=True, exist_ok=True)
    (label / "main.tf").write_text(LABEL_MAIN)
    (label / "outputs.tf").write_text(LABEL_OUTPUTS)
    (label / "variables.tf").write_text(_label_variables())
    for level in range(1, depth + 1):
        directory = modules / f"level{level}"
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "context.tf").write_text(context_tf("../label"))
        (directory / "main.tf").write_text(level_main(level, depth, fan_out))
    live = root / "live"
    live.mkdir(parents=True, exist_ok=True)
    (live / "context.tf").write_text(context_tf("../modules/label"))
    calls = "".join(f'\nmodule "level1_{index}" {{\n  source  = "../modules/level1"\n'
                    "  context = module.this.context\n}\n" for index in range(fan_out))
    (live / "main.tf").write_text(
        f'provider "aws" {{\n  region = "{ROOT_REGION}"\n}}\n{calls}\n'
        'output "context" {\n  value = module.this.context\n}\n'
    )
    # The whole estate's labels, set once in the root's context as cloudposse's root modules do.
    (live / "terraform.tfvars").write_text(ROOT_CONTEXT)
    return root


def _label_variables() -> str:
    """The label module's own variables: the same as a ``context.tf`` without ``module.this``."""
    text = context_tf("unused")
    return text[text.index('variable "context"'):]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory", type=Path)
    parser.add_argument("--depth", type=int, default=6)
    parser.add_argument("--fan-out", type=int, default=2)
    options = parser.parse_args()
    write_chain(options.directory, options.depth, options.fan_out)
    print(f"wrote a chain {options.depth} levels deep, fan-out {options.fan_out}, under {options.directory}")


if __name__ == "__main__":
    main()
