"""Access grants: policy documents read in every form, and principals judged internal, placed or unknown.

End-to-end cases (with findings) are the ``fixtures/access-*`` directories; these tests pin the
parts a fixture cannot show on its own.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

from helpers import normalised

from providers.interface import ScanOptions
from providers.semantics import access
from providers.semantics.access.aws_conditions import confining_values
from providers.semantics.access.tables import Narrowing, narrowing
from providers.semantics.classification import ClassificationRules
from providers.semantics.context import NormaliseContext
from providers.semantics.estate import EstateMap, Party
from providers.semantics.policy_documents import Condition, Statement, from_document_data, read_policy
from providers.semantics.records import Unknown
from providers.terraform.hcl_loader import load_directory
from scanner.model import Grant

AWS = 'provider "aws" {\n  region = "eu-west-2"\n}\n'
AZURE = 'provider "azurerm" {\n  features {}\n}\n'


def _grants(tmp_path: Path, hcl: str, estate: EstateMap | None = None, scopes: tuple[str, ...] = ()) -> list[Grant]:
    (tmp_path / "main.tf").write_text(textwrap.dedent(hcl))
    records = load_directory(tmp_path).resources
    options = ScanOptions(rules=ClassificationRules(dwp_scopes=frozenset(scopes)), estate=estate or EstateMap())
    context = NormaliseContext(records, options)
    return [grant for record in records for grant in access.grants(context, record)]


def _by(grants: list[Grant], resource: str) -> dict[str, Grant]:
    return {g.principal: g for g in grants if g.resource_id == resource}


def _no_data(_: str) -> None:
    return None


# --- policy documents ------------------------------------------------------------------------------


def test_json_policy_principals_conditions_and_effects() -> None:
    text = json.dumps({
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": ["111122223333", "arn:aws:iam::444455556666:root"],
                                              "Service": "lambda.amazonaws.com"},
             "Action": "sts:AssumeRole",
             "Condition": {"StringEquals": {"sts:ExternalId": "x", "aws:PrincipalOrgID": ["o-abc"]}}},
            {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::b/*"]},
        ]
    })
    document = read_policy(text, _no_data)
    assert document.readable
    allow, deny = document.statements
    assert [(p.kind, p.value) for p in allow.principals] == [
        ("AWS", "111122223333"), ("AWS", "arn:aws:iam::444455556666:root"), ("Service", "lambda.amazonaws.com"),
    ]
    assert allow.condition_values("aws:principalorgid") == ["o-abc"]
    assert allow.allows and not deny.allows
    assert [(p.kind, p.value) for p in deny.principals] == [("AWS", "*")]
    assert deny.resources == ("arn:aws:s3:::b/*",)


def test_single_statement_object_and_decoded_mapping_keep_unknowns() -> None:
    role = Unknown("aws_iam_role.x.arn is known only after apply", ref="aws_iam_role.x", attribute="arn")
    document = read_policy({"Statement": {"Effect": "Allow", "Principal": {"AWS": role}}}, _no_data)
    assert document.readable
    assert document.statements[0].principals[0].value is role


def test_data_source_statements_sources_and_principal_type_star() -> None:
    source = json.dumps({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "123456789012"}}]})
    values = {
        "source_policy_documents": [source],
        "statement": [{
            "effect": "Allow",
            "actions": ["s3:GetObject"],
            "resources": ["arn:aws:s3:::b/*"],
            "principals": [{"type": "*", "identifiers": ["*"]}, {"type": "Federated", "identifiers": ["x"]}],
            "condition": [{"test": "StringLike", "variable": "x:sub", "values": ["repo:a/b:*"]}],
        }],
    }
    document = from_document_data(values, _no_data)
    principals = [(p.kind, p.value) for s in document.statements for p in s.principals]
    assert principals == [("AWS", "123456789012"), ("AWS", "*"), ("Federated", "x")]
    assert document.statements[1].conditions_ending(":sub")[0].values == ("repo:a/b:*",)


def test_reference_to_a_policy_document_data_source_is_followed() -> None:
    ref = Unknown("read at plan time", ref="module.a.data.aws_iam_policy_document.trust", attribute="json")
    values = {"statement": [{"principals": [{"type": "AWS", "identifiers": ["123456789012"]}]}]}
    lookup = {"module.a.data.aws_iam_policy_document.trust": values}.get
    assert read_policy(ref, lookup).statements[0].principals[0].value == "123456789012"
    assert read_policy(ref, _no_data).unreadable == f"{ref.ref} is not in the scanned configuration"


def test_unreadable_forms_say_why() -> None:
    assert read_policy(Unknown("var.policy has no value"), _no_data).unreadable == "var.policy has no value"
    assert "not valid JSON" in (read_policy("{nope", _no_data).unreadable or "")
    assert read_policy(None, _no_data).readable and not read_policy("", _no_data).statements


# --- AWS principals --------------------------------------------------------------------------------


def test_unknown_principal_in_a_policy_is_an_unplaced_grant(tmp_path: Path) -> None:
    # jsonencode keeps the rest of the document readable; the one unknown principal is unplaced.
    grants = _grants(tmp_path, AWS + """
        resource "aws_iam_role" "ops" {
          name = "ops"
          assume_role_policy = jsonencode({
            Statement = [{ Effect = "Allow", Principal = { AWS = var.ops_account_arn }, Action = "sts:AssumeRole" }]
          })
        }
        variable "ops_account_arn" {}
    """)
    (grant,) = grants
    assert grant.resource_id == "aws_iam_role.ops" and grant.principal.startswith("unknown")
    assert grant.country is None and not grant.internal
    assert "var.ops_account_arn has no default" in grant.principal + grant.description


def test_dwp_accounts_and_service_principals_are_internal(tmp_path: Path) -> None:
    grants = _grants(tmp_path, AWS + """
        resource "aws_iam_role" "ops" {
          name = "ops"
          assume_role_policy = jsonencode({
            Statement = [{ Effect = "Allow", Action = "sts:AssumeRole",
                           Principal = { AWS = ["111122223333", "arn:aws:iam::222233334444:root"],
                                         Service = "ecs-tasks.amazonaws.com" } }]
          })
        }
    """, scopes=("111122223333",))
    by = _by(grants, "aws_iam_role.ops")
    assert by["111122223333"].internal and by["ecs-tasks.amazonaws.com"].internal
    assert not by["arn:aws:iam::222233334444:root"].internal and by["arn:aws:iam::222233334444:root"].country is None


def test_github_oidc_by_arn_without_sub_condition_says_any_repository(tmp_path: Path) -> None:
    grants = _grants(tmp_path, AWS + """
        resource "aws_iam_role" "deploy" {
          name = "deploy"
          assume_role_policy = jsonencode({
            Statement = [{
              Effect    = "Allow"
              Action    = "sts:AssumeRoleWithWebIdentity"
              Principal = { Federated = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com" }
            }]
          })
        }
    """)
    (grant,) = grants
    assert grant.principal == "token.actions.githubusercontent.com"
    assert (grant.country, grant.owner) == ("US", "GitHub Actions")
    assert "no token.actions.githubusercontent.com:sub condition" in grant.description


def test_eks_cluster_oidc_issuer_is_internal(tmp_path: Path) -> None:
    grants = _grants(tmp_path, AWS + """
        resource "aws_iam_role" "irsa" {
          name = "irsa"
          assume_role_policy = jsonencode({
            Statement = [{
              Effect    = "Allow"
              Action    = "sts:AssumeRoleWithWebIdentity"
              Principal = {
                Federated = "arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-2.amazonaws.com/id/ABC123"
              }
            }]
          })
        }
    """)
    assert all(g.internal for g in grants) and grants


def test_not_principal_allow_is_public(tmp_path: Path) -> None:
    grants = _grants(tmp_path, AWS + """
        resource "aws_s3_bucket" "b" {
          bucket = "dwp-b"
          policy = jsonencode({
            Statement = [{ Effect = "Allow", NotPrincipal = { AWS = "arn:aws:iam::111122223333:root" },
                           Action = "s3:GetObject", Resource = "arn:aws:s3:::dwp-b/*" }]
          })
        }
    """)
    (grant,) = grants
    assert grant.principal == "*" and grant.owner == "anyone (public)" and grant.country is None


def test_role_named_in_a_bucket_policy_carries_its_trust_to_the_bucket(tmp_path: Path) -> None:
    estate = EstateMap(accounts={"444455556666": Party("Offshore Ltd", "IN", "estate map")})
    grants = _grants(tmp_path, AWS + """
        resource "aws_s3_bucket" "b" {
          bucket = "dwp-b"
          tags   = { Owner = "DWP" }
        }
        data "aws_iam_policy_document" "b" {
          statement {
            actions   = ["s3:GetObject"]
            resources = ["${aws_s3_bucket.b.arn}/*"]
            principals {
              type        = "AWS"
              identifiers = [aws_iam_role.reader.arn]
            }
          }
        }
        resource "aws_s3_bucket_policy" "b" {
          bucket = aws_s3_bucket.b.id
          policy = data.aws_iam_policy_document.b.json
        }
        resource "aws_iam_role" "reader" {
          name = "reader"
          assume_role_policy = jsonencode({
            Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = "444455556666" } }]
          })
        }
    """, estate=estate)
    on_bucket = _by(grants, "aws_s3_bucket.b")
    assert on_bucket["aws_iam_role.reader.arn"].internal
    offshore = on_bucket["444455556666"]
    assert offshore.country == "IN" and "aws_s3_bucket_policy.b names aws_iam_role.reader" in offshore.description


def test_lambda_permission_and_kms_grant(tmp_path: Path) -> None:
    estate = EstateMap(accounts={"999988887777": Party("Partner", "FR", "estate map")})
    grants = _grants(tmp_path, AWS + """
        resource "aws_lambda_function" "f" {
          function_name = "f"
          role          = "arn:aws:iam::111122223333:role/f"
          tags          = { Owner = "DWP" }
        }
        resource "aws_lambda_permission" "partner" {
          function_name  = aws_lambda_function.f.function_name
          action         = "lambda:InvokeFunction"
          principal      = "*"
          source_account = "999988887777"
        }
        resource "aws_lambda_permission" "s3" {
          function_name = aws_lambda_function.f.function_name
          action        = "lambda:InvokeFunction"
          principal     = "s3.amazonaws.com"
        }
        resource "aws_kms_key" "k" {
          tags = { Owner = "DWP" }
        }
        resource "aws_ebs_volume" "v" {
          availability_zone = "eu-west-2a"
          size              = 10
          kms_key_id        = aws_kms_key.k.arn
          tags              = { Owner = "DWP" }
        }
        resource "aws_kms_grant" "g" {
          key_id            = aws_kms_key.k.key_id
          grantee_principal = "arn:aws:iam::999988887777:role/backup"
          operations        = ["Decrypt"]
        }
    """, estate=estate)
    on_function = _by(grants, "aws_lambda_function.f")
    partner = on_function["999988887777"]
    assert partner.country == "FR" and "aws:SourceAccount" in partner.description
    assert on_function["s3.amazonaws.com"].internal
    assert _by(grants, "aws_kms_key.k")["arn:aws:iam::999988887777:role/backup"].country == "FR"
    volume = _by(grants, "aws_ebs_volume.v")["arn:aws:iam::999988887777:role/backup"]
    assert "kms_key_id of aws_ebs_volume.v" in volume.description


def test_log_destination_policy_and_lake_formation(tmp_path: Path) -> None:
    grants = _grants(tmp_path, AWS + """
        resource "aws_cloudwatch_log_destination" "d" {
          name       = "central-logs"
          role_arn   = "arn:aws:iam::111122223333:role/cwl"
          target_arn = "arn:aws:kinesis:eu-west-2:111122223333:stream/logs"
          tags       = { Owner = "DWP" }
        }
        resource "aws_cloudwatch_log_destination_policy" "d" {
          destination_name = aws_cloudwatch_log_destination.d.name
          access_policy = jsonencode({
            Statement = [{
              Effect    = "Allow"
              Principal = { AWS = "123456789012" }
              Action    = "logs:PutSubscriptionFilter"
              Resource  = "arn:aws:logs:eu-west-2:111122223333:destination:central-logs"
            }]
          })
        }
        resource "aws_glue_catalog_database" "claims" {
          name = "claims"
        }
        resource "aws_lakeformation_permissions" "analyst" {
          principal   = "arn:aws:iam::123456789012:role/analyst"
          permissions = ["DESCRIBE"]
          database {
            name = aws_glue_catalog_database.claims.name
          }
        }
    """)
    assert "123456789012" in _by(grants, "aws_cloudwatch_log_destination.d")
    lake = _by(grants, "aws_glue_catalog_database.claims")["arn:aws:iam::123456789012:role/analyst"]
    assert "Lake Formation DESCRIBE" in lake.description and lake.country is None


# --- Azure -----------------------------------------------------------------------------------------


def test_resource_group_scope_reaches_its_dwp_resources(tmp_path: Path) -> None:
    grants = _grants(tmp_path, AZURE + """
        resource "azurerm_resource_group" "rg" {
          name     = "rg-claims"
          location = "uksouth"
        }
        resource "azurerm_storage_account" "dwp" {
          name                     = "stdwp"
          resource_group_name      = azurerm_resource_group.rg.name
          location                 = "uksouth"
          account_tier             = "Standard"
          account_replication_type = "LRS"
          tags                     = { Owner = "DWP" }
        }
        resource "azurerm_storage_account" "other" {
          name                     = "stother"
          resource_group_name      = azurerm_resource_group.rg.name
          location                 = "uksouth"
          account_tier             = "Standard"
          account_replication_type = "LRS"
        }
        resource "azurerm_role_assignment" "support" {
          scope                = azurerm_resource_group.rg.id
          role_definition_name = "Contributor"
          principal_id         = "00000000-0000-0000-0000-00000000abcd"
        }
    """)
    assert {g.resource_id for g in grants} == {"azurerm_resource_group.rg", "azurerm_storage_account.dwp"}
    assert all(g.principal == "00000000-0000-0000-0000-00000000abcd" and g.country is None for g in grants)


def test_lighthouse_with_an_unmatched_scope_reaches_every_dwp_azure_resource(tmp_path: Path) -> None:
    estate = EstateMap(tenants={"11111111-2222-3333-4444-555555555555": Party("MSP", "IN", "estate map")})
    grants = _grants(tmp_path, AZURE + """
        variable "subscription_scope" {}
        resource "azurerm_key_vault" "kv" {
          name                = "kv-dwp"
          location            = "uksouth"
          resource_group_name = "rg-dwp"
          tenant_id           = "aaaaaaaa-0000-0000-0000-000000000000"
          sku_name            = "standard"
          tags                = { Owner = "DWP" }
        }
        resource "azurerm_lighthouse_definition" "msp" {
          name               = "MSP"
          managing_tenant_id = "11111111-2222-3333-4444-555555555555"
          scope              = var.subscription_scope
          authorization {
            principal_id       = "b3e1c9d7-6a5f-4e2d-9c8b-7a6f5e4d3c2b"
            role_definition_id = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
          }
        }
        resource "azurerm_lighthouse_assignment" "msp" {
          scope                    = var.subscription_scope
          lighthouse_definition_id = azurerm_lighthouse_definition.msp.id
        }
    """, estate=estate)
    (grant,) = grants
    assert grant.resource_id == "azurerm_key_vault.kv" and grant.country == "IN" and grant.owner == "MSP"
    assert "matches nothing scanned" in grant.description


def test_looked_up_service_principal_is_placed_by_its_display_name(tmp_path: Path) -> None:
    estate = EstateMap(principals={"Vendor Support App": Party("Vendor", "US", "estate map")})
    grants = _grants(tmp_path, AZURE + """
        data "azuread_service_principal" "vendor" {
          display_name = "Vendor Support App"
        }
        resource "azurerm_storage_account" "dwp" {
          name                     = "stdwp"
          resource_group_name      = "rg"
          location                 = "uksouth"
          account_tier             = "Standard"
          account_replication_type = "LRS"
          tags                     = { Owner = "DWP" }
        }
        resource "azurerm_role_assignment" "vendor" {
          scope                = azurerm_storage_account.dwp.id
          role_definition_name = "Reader"
          principal_id         = data.azuread_service_principal.vendor.object_id
        }
    """, estate=estate)
    (grant,) = grants
    assert grant.country == "US" and not grant.internal and grant.owner == "Vendor"


def test_data_sources_declare_no_grants_of_their_own(tmp_path: Path) -> None:
    assert _grants(tmp_path, AWS + """
        data "aws_iam_policy_document" "unused" {
          statement {
            principals {
              type        = "AWS"
              identifiers = ["444455556666"]
            }
          }
        }
    """) == []


def test_a_principal_built_from_the_caller_identity_is_the_estates_own(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text("""
provider "aws" { region = "eu-west-2" }
data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}
locals {
  root = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"
}
resource "aws_sqs_queue" "q" {
  name = "claims"
  tags = { Classification = "OFFICIAL" }
}
resource "aws_sqs_queue_policy" "q" {
  queue_url = aws_sqs_queue.q.id
  policy = jsonencode({
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = local.root }
      Action    = "sqs:SendMessage"
      Resource  = aws_sqs_queue.q.arn
    }]
  })
}
""")
    inventory = normalised(load_directory(tmp_path).resources)
    grants = [g for g in inventory.grants if g.resource_id == "aws_sqs_queue.q"]
    assert grants and all(g.internal for g in grants), grants


# --- conditions that confine "Principal": "*" -------------------------------------------------------


def _public_bucket_policy(condition: str) -> str:
    # A DWP bucket whose policy lets in anyone under one Condition block (HCL, inside jsonencode).
    return AWS + """
        resource "aws_s3_bucket" "b" {
          bucket = "dwp-b"
          tags   = { Owner = "DWP" }
        }
        resource "aws_s3_bucket_policy" "b" {
          bucket = aws_s3_bucket.b.id
          policy = jsonencode({
            Statement = [{ Effect = "Allow", Principal = "*", Action = "s3:GetObject",
                           Resource = "arn:aws:s3:::dwp-b/*", Condition = CONDITION }]
          })
        }
    """.replace("CONDITION", condition)


def test_only_operators_that_require_the_value_confine() -> None:
    vpce = next(r for r in narrowing() if r.key == "aws:SourceVpce")
    mount = next(r for r in narrowing() if r.key == "elasticfilesystem:AccessedViaMountTarget")

    def values(rule: Narrowing, operator: str, *given: object) -> list[Any]:
        return confining_values(Statement(conditions=(Condition(operator, rule.key.lower(), given),)), rule)

    assert values(vpce, "StringEquals", "vpce-1") == ["vpce-1"]
    assert values(vpce, "ForAnyValue:StringLike", "vpce-1", "vpce-2") == ["vpce-1", "vpce-2"]
    # Everyone but the endpoint, or anyone whose request has no endpoint at all: not confined.
    assert values(vpce, "StringNotEquals", "vpce-1") == []
    assert values(vpce, "StringEqualsIfExists", "vpce-1") == []
    assert values(mount, "Bool", "true") == ["true"] and values(mount, "Bool", True) == ["true"]
    assert values(mount, "Bool", "false") == []


def test_source_vpce_of_an_endpoint_created_here_is_internal(tmp_path: Path) -> None:
    grants = _grants(tmp_path, _public_bucket_policy(
        '{ StringEquals = { "aws:SourceVpce" = aws_vpc_endpoint.s3.id } }') + """
        resource "aws_vpc" "main" {
          cidr_block = "10.0.0.0/16"
        }
        resource "aws_vpc_endpoint" "s3" {
          vpc_id       = aws_vpc.main.id
          service_name = "com.amazonaws.eu-west-2.s3"
        }
    """)
    (grant,) = grants
    assert grant.internal and not grant.public and grant.principal == "aws_vpc_endpoint.s3.id"
    assert "narrowed by aws:SourceVpce" in grant.description


def test_source_vpc_looked_up_in_the_own_account_is_internal(tmp_path: Path) -> None:
    grants = _grants(tmp_path, _public_bucket_policy(
        '{ StringEquals = { "aws:SourceVpc" = data.aws_vpc.claims.id } }') + """
        data "aws_vpc" "claims" {
          tags = { Name = "claims" }
        }
    """)
    (grant,) = grants
    assert grant.internal and "existing VPC" in grant.description


def test_source_vpc_not_created_here_is_unknown_and_named(tmp_path: Path) -> None:
    grants = _grants(tmp_path, _public_bucket_policy(
        '{ StringEquals = { "aws:SourceVpc" = "vpc-0a1b2c3d4e5f67890" } }'))
    (grant,) = grants
    assert grant.principal == "vpc-0a1b2c3d4e5f67890" and grant.country is None
    assert not grant.internal and not grant.public
    assert "scan the configuration that creates the VPC" in grant.description


def test_the_estate_map_places_a_vpc_by_its_id(tmp_path: Path) -> None:
    estate = EstateMap(principals={"vpc-0a1b2c3d4e5f67890": Party("Offshore Ltd", "IN", "estate map")})
    grants = _grants(tmp_path, _public_bucket_policy(
        '{ StringEquals = { "aws:SourceVpc" = "vpc-0a1b2c3d4e5f67890" } }'), estate=estate)
    (grant,) = grants
    assert grant.country == "IN" and grant.owner == "Offshore Ltd"


def test_source_vpc_arn_in_an_account_of_the_estate_is_internal(tmp_path: Path) -> None:
    grants = _grants(tmp_path, _public_bucket_policy(
        '{ ArnEquals = { "aws:SourceVpcArn" = "arn:aws:ec2:eu-west-2:111122223333:vpc/vpc-0a1b2c3d4e5f67890" } }'),
        scopes=("111122223333",))
    (grant,) = grants
    assert grant.internal


def test_a_negated_condition_leaves_the_statement_public(tmp_path: Path) -> None:
    grants = _grants(tmp_path, _public_bucket_policy(
        '{ StringNotEquals = { "aws:SourceVpce" = "vpce-0123456789abcdef0" } }'))
    (grant,) = grants
    assert grant.public and grant.principal == "*"


def test_each_value_of_a_condition_is_a_way_in(tmp_path: Path) -> None:
    grants = _grants(tmp_path, _public_bucket_policy(
        '{ StringEquals = { "aws:SourceVpce" = [aws_vpc_endpoint.s3.id, "vpce-0fedcba9876543210"] } }') + """
        resource "aws_vpc_endpoint" "s3" {
          vpc_id       = "vpc-0a1b2c3d4e5f67890"
          service_name = "com.amazonaws.eu-west-2.s3"
        }
    """)
    by = _by(grants, "aws_s3_bucket.b")
    assert by["aws_vpc_endpoint.s3.id"].internal
    foreign = by["vpce-0fedcba9876543210"]
    assert not foreign.internal and foreign.country is None and "one of 2 values" in foreign.description


def test_a_condition_confining_to_the_estate_is_enough_when_conditions_are_combined(tmp_path: Path) -> None:
    # Every condition must hold: the organisation of the estate, from an address nobody has placed.
    grants = _grants(tmp_path, _public_bucket_policy(
        '{ StringEquals = { "aws:PrincipalOrgID" = "o-dwp1a2b3c4d" },'
        ' IpAddress = { "aws:SourceIp" = "203.0.113.0/24" } }'),
        scopes=("o-dwp1a2b3c4d",))
    (grant,) = grants
    assert grant.internal and "narrowed by aws:PrincipalOrgID" in grant.description


def test_efs_access_through_mount_targets_only_is_internal(tmp_path: Path) -> None:
    def efs(value: str) -> str:
        return AWS + """
            resource "aws_efs_file_system" "f" {
              creation_token = "dwp-f"
              tags           = { Owner = "DWP" }
            }
            resource "aws_efs_file_system_policy" "f" {
              file_system_id = aws_efs_file_system.f.id
              policy = jsonencode({
                Statement = [{ Effect = "Allow", Principal = { AWS = "*" }, Action = "elasticfilesystem:ClientMount",
                               Condition = { Bool = { "elasticfilesystem:AccessedViaMountTarget" = "VALUE" } } }]
              })
            }
        """.replace("VALUE", value)

    (through_mount_targets,) = _grants(tmp_path, efs("true"))
    assert through_mount_targets.internal and through_mount_targets.resource_id == "aws_efs_file_system.f"
    (not_required,) = _grants(tmp_path, efs("false"))
    assert not_required.public


def test_the_in_vpc_fixture_grants_are_judged_not_merely_absent() -> None:
    # The fixture's passes must come from internal grants, not from policies the scan failed to read.
    case = Path(__file__).resolve().parent.parent / "fixtures" / "access-aws-policy-in-vpc-conditions"
    records = load_directory(case).resources
    context = NormaliseContext(records, ScanOptions(rules=ClassificationRules(), estate=EstateMap()))
    grants = [grant for record in records for grant in access.grants(context, record)]
    exports = _by(grants, "module.exports_bucket.aws_s3_bucket.this")
    assert [g.internal for g in exports.values()] == [True]
    notes = _by(grants, "module.case_notes.aws_efs_file_system.this")
    assert [g.internal for g in notes.values()] == [True]
    queue = _by(grants, "module.notifications.aws_sqs_queue.this")
    assert list(queue) == ["vpc-0f1e2d3c4b5a69788"] and queue["vpc-0f1e2d3c4b5a69788"].country is None
    assert [g.public for g in _by(grants, "module.letters_bucket.aws_s3_bucket.this").values()] == [True]


def test_ebs_snapshot_and_ami_shares_are_grants_to_who_they_name(tmp_path: Path) -> None:
    estate = EstateMap(principals={"999988887777": Party("Offshore Ltd", "IN", "estate map")})
    grants = _grants(tmp_path, AWS + """
        resource "aws_ebs_volume" "v" {
          availability_zone = "eu-west-2a"
          size              = 10
          tags              = { Owner = "DWP" }
        }
        resource "aws_ebs_snapshot" "s" {
          volume_id = aws_ebs_volume.v.id
        }
        resource "aws_snapshot_create_volume_permission" "p" {
          snapshot_id = aws_ebs_snapshot.s.id
          account_id  = "999988887777"
        }
        resource "aws_ami" "a" {
          name = "claims"
          ebs_block_device {
            device_name = "/dev/sda1"
            snapshot_id = aws_ebs_snapshot.s.id
          }
        }
        resource "aws_ami_launch_permission" "public" {
          image_id = aws_ami.a.id
          group    = "all"
        }
        resource "aws_ami_launch_permission" "org" {
          image_id         = aws_ami.a.id
          organization_arn = "arn:aws:organizations::111122223333:organization/o-abcdefghij"
        }
    """, estate=estate)
    shared = _by(grants, "aws_ebs_snapshot.s")["999988887777"]
    assert shared.country == "IN" and "create-volume permission" in shared.description
    on_image = _by(grants, "aws_ami.a")
    assert on_image["all"].public
    assert "arn:aws:organizations::111122223333:organization/o-abcdefghij" in on_image
