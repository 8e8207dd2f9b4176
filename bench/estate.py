"""A generated Terraform estate of N stacks, shaped like a real multi-team DWP estate.

    python bench/estate.py DIR [--stacks 100]

Each stack is a root module of five files: ``providers.tf`` (required providers, an AWS provider with
``default_tags`` and a ``dr`` alias whose region comes from ``terraform.tfvars``, azurerm),
``variables.tf`` (variables and locals with ``merge()``d tags), ``main.tf`` (AWS and Azure resources with
``for_each``, ``count``, ``dynamic`` blocks, a whole resource as ``for_each``, ``jsonencode`` policies),
``terraform.tfvars`` and ``modules/store/main.tf`` (a local child module called with ``for_each`` and a
``providers`` map). About 23 resources (instances) a stack, 200 lines, half of them DWP-tagged; one stack in ten
replicates to ``us-east-1`` and one in ten to ``eu-west-1``, so the scan has real findings to report.

Only types the scanner's resource map knows are used (``providers/semantics/resource_map/*.yaml``,
and every ``aws_*``/``azurerm_*`` type is placed by its cloud's defaults), so a clean tree scans
complete (exit 0 or 1, never 2).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

# Resource instances one stack declares (the module's two resources count once per for_each key).
RESOURCES_PER_STACK = 23


@dataclass(frozen=True)
class EstateStats:
    """What was written, so throughput can be given per resource and per megabyte."""

    stacks: int
    files: int
    lines: int
    bytes: int

    @property
    def resources(self) -> int:
        return self.stacks * RESOURCES_PER_STACK

    @property
    def megabytes(self) -> float:
        return self.bytes / 1e6


_PROVIDERS = """\
terraform {{
  required_providers {{
    aws     = {{ source = "hashicorp/aws", version = "~> 5.40" }}
    azurerm = {{ source = "hashicorp/azurerm", version = "~> 3.100" }}
  }}
}}

# Primary region: London.
provider "aws" {{
  region = "eu-west-2"

  default_tags {{
    tags = {{
      Environment = var.environment
      Stack       = "{name}"
    }}
  }}
}}

# Disaster-recovery copies: the region is set per environment in terraform.tfvars.
provider "aws" {{
  alias  = "dr"
  region = var.dr_region
}}

provider "azurerm" {{
  features {{}}
  subscription_id = var.subscription_id
}}
"""

_VARIABLES = """\
variable "environment" {{
  type    = string
  default = "production"
}}

variable "dr_region" {{
  description = "AWS region for disaster-recovery copies."
  type        = string
  default     = "eu-west-2"
}}

variable "replica_regions" {{
  type    = list(string)
  default = []
}}

variable "queue_count" {{ default = 1 }}
variable "azure_location" {{ default = "uksouth" }}
variable "cosmos_locations" {{ default = ["uksouth"] }}
variable "subscription_id" {{ default = "6f1c2d3e-0000-0000-0000-{index:012d}" }}
variable "classification" {{ default = "{classification}" }}

locals {{
  name      = "{name}"
  base_tags = {{ Application = "claims", CostCentre = "cc-{index:04d}" }}
  tags = merge(local.base_tags, {{
    DataClassification = var.classification
  }}, var.environment == "production" ? {{ Tier = "prod" }} : {{}})
  buckets = {{
    evidence = "{name}-evidence"
    letters  = "{name}-letters"
    exports  = "{name}-exports"
  }}
  prefix = lower(format("%s-%s", local.name, substr(var.environment, 0, 4)))
}}
"""

_TFVARS = """\
environment      = "production"
dr_region        = "{dr_region}"
replica_regions  = {replicas}
queue_count      = 2
cosmos_locations = {cosmos}
"""

_MAIN = """\
# Evidence, letters and exports buckets, one per purpose.
resource "aws_s3_bucket" "data" {{
  for_each = local.buckets
  bucket   = each.value
  tags     = merge(local.tags, {{ Purpose = each.key }})
}}

resource "aws_s3_bucket_versioning" "data" {{
  for_each = aws_s3_bucket.data
  bucket   = each.value.id
  versioning_configuration {{ status = "Enabled" }}
}}

resource "aws_s3_bucket" "replica" {{
  provider = aws.dr
  bucket   = "${{local.prefix}}-evidence-dr"
  tags     = local.tags
}}

resource "aws_s3_bucket_replication_configuration" "evidence" {{
  bucket = aws_s3_bucket.data["evidence"].id
  role   = aws_iam_role.replication.arn
  dynamic "rule" {{
    for_each = toset(["claims/", "appeals/"])
    content {{
      id     = "copy-${{trimsuffix(rule.value, "/")}}"
      status = "Enabled"
      filter {{ prefix = rule.value }}
      destination {{
        bucket        = aws_s3_bucket.replica.arn
        storage_class = "STANDARD_IA"
      }}
    }}
  }}
}}

resource "aws_iam_role" "replication" {{
  name = "${{local.prefix}}-s3-replication"
  assume_role_policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Principal = {{ Service = "s3.amazonaws.com" }}
      Action    = "sts:AssumeRole"
    }}]
  }})
}}

resource "aws_dynamodb_table" "claims" {{
  name         = "${{local.prefix}}-claims"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "claim_id"
  attribute {{
    name = "claim_id"
    type = "S"
  }}
  dynamic "replica" {{
    for_each = var.replica_regions
    content {{ region_name = replica.value }}
  }}
  tags = local.tags
}}

resource "aws_sqs_queue" "intake" {{
  count                     = var.queue_count
  name                      = "${{local.prefix}}-intake-${{count.index}}"
  message_retention_seconds = 345600
  tags                      = {tags}
}}

resource "aws_db_instance" "main" {{
  identifier          = "${{local.prefix}}-db"
  engine              = "postgres"
  instance_class      = "db.t3.medium"
  storage_encrypted   = true
  tags                = local.tags
}}

resource "aws_cloudwatch_log_group" "app" {{
  name              = "/${{local.name}}/app"
  retention_in_days = 90
  tags              = {tags}
}}

resource "aws_lambda_function" "api" {{
  function_name = "${{local.prefix}}-api"
  role          = aws_iam_role.replication.arn
  handler       = "app.handler"
  runtime       = "python3.12"
  filename      = "build/api.zip"
  environment {{
    variables = {{
      DD_SITE    = "{dd_site}"
      DD_SERVICE = local.name
    }}
  }}
  tags = local.tags
}}

resource "aws_vpc" "main" {{
  cidr_block = "10.{octet}.0.0/16"
  tags       = merge(local.base_tags, {{ Name = local.name }})
}}

resource "azurerm_resource_group" "main" {{
  name     = "rg-${{local.name}}"
  location = var.azure_location
  tags     = local.tags
}}

resource "azurerm_storage_account" "docs" {{
  name                     = "st{compact}docs"
  resource_group_name      = azurerm_resource_group.main.name
  location                 = azurerm_resource_group.main.location
  account_tier             = "Standard"
  account_replication_type = "GRS"
  tags                     = local.tags
}}

resource "azurerm_cosmosdb_account" "cases" {{
  name                = "cosmos-${{local.name}}"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  offer_type          = "Standard"
  consistency_policy {{ consistency_level = "Session" }}
  dynamic "geo_location" {{
    for_each = var.cosmos_locations
    content {{
      location          = geo_location.value
      failover_priority = geo_location.key
    }}
  }}
  tags = local.tags
}}

module "store" {{
  source   = "./modules/store"
  for_each = toset(["archive", "audit"])
  providers = {{ aws = aws.dr }}
  name = "${{local.prefix}}-${{each.key}}"
  tags = local.tags
}}
"""

_MODULE = """\
variable "name" { type = string }
variable "tags" { default = {} }

resource "aws_s3_bucket" "this" {
  bucket = var.name
  tags   = var.tags
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

output "bucket_arn" {
  value = aws_s3_bucket.this.arn
}
"""


def _stack_files(index: int) -> dict[str, str]:
    """The five files of stack ``index``; deterministic, so two runs scan the same tree."""
    name = f"claims-{index:03d}"
    offshore = index % 10 == 0  # one stack in ten copies to the US: a real finding on every run
    ireland = index % 10 == 4  # one in ten keeps a DynamoDB replica and a Cosmos location in Europe
    dr_region = "us-east-1" if offshore else "eu-west-2"
    values = {
        "name": name,
        "index": index,
        "compact": name.replace("-", ""),
        # Half the stacks hold DWP data (a classification); the others are the contractor's own.
        "classification": "OFFICIAL-SENSITIVE" if index % 2 == 0 else "UNCLASSIFIED",
        "tags": "local.tags" if index % 3 else '{ Team = "platform" }',
        "dd_site": "datadoghq.eu" if ireland else "uk1.datadoghq.com",
        "octet": index % 250,
    }
    tfvars = _TFVARS.format(
        dr_region=dr_region,
        replicas='["eu-west-1"]' if ireland else "[]",
        cosmos='["uksouth", "northeurope"]' if ireland else '["uksouth", "ukwest"]',
    )
    return {
        "providers.tf": _PROVIDERS.format(**values),
        "variables.tf": _VARIABLES.format(**values),
        "main.tf": _MAIN.format(**values),
        "terraform.tfvars": tfvars,
        "modules/store/main.tf": _MODULE,
    }


def generate(root: Path, stacks: int) -> EstateStats:
    """Write ``stacks`` root modules under ``root`` (``stack-000`` ...); returns what was written."""
    files = lines = size = 0
    for index in range(stacks):
        for relative, text in _stack_files(index).items():
            path = root / f"stack-{index:03d}" / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            files += 1
            lines += text.count("\n")
            size += len(text.encode("utf-8"))
    return EstateStats(stacks, files, lines, size)


def main() -> None:
    parser = argparse.ArgumentParser(description="Write the benchmark estate into DIR.")
    parser.add_argument("directory", type=Path)
    parser.add_argument("--stacks", type=int, default=100)
    options = parser.parse_args()
    stats = generate(options.directory, options.stacks)
    print(f"{stats.stacks} stacks, {stats.files} files, {stats.lines} lines, {stats.megabytes:.2f} MB, "
          f"{stats.resources} resources in {options.directory}")


if __name__ == "__main__":
    main()
