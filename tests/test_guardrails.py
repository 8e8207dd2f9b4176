"""Region guardrails: SCPs that deny non-UK regions and Azure Policy "Allowed locations" assignments."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from providers.interface import ScanOptions
from providers.semantics.context import NormaliseContext
from providers.semantics.guardrails import (
    Statement,
    guardrails,
    unexempted_services,
)
from providers.semantics.records import Placement, ResourceRecord, Unknown
from providers.terraform.hcl_loader import load_directory
from scanner.model import Guardrail, GuardrailKind, SourceRef

AWS = 'provider "aws" {\n  region = "eu-west-2"\n}\n'
ALLOWED_LOCATIONS = "/providers/Microsoft.Authorization/policyDefinitions/e56962a6-4747-49cd-b67b-bf8b01975c4c"


def scan(tmp_path: Path, hcl: str) -> list[Guardrail]:
    (tmp_path / "main.tf").write_text(hcl, encoding="utf-8")
    records = load_directory(tmp_path).resources
    context = NormaliseContext(records, ScanOptions())
    return [guard for record in records for guard in guardrails(context, record)]


def record(resource_type: str, values: dict, address: str | None = None) -> ResourceRecord:
    address = address or f"{resource_type}.x"
    source = SourceRef("plan.json", None, address)
    return ResourceRecord(address, resource_type, values, Placement("aws"), source)


def plan_guards(*records: ResourceRecord, attach: bool = True) -> list[Guardrail]:
    # An SCP counts only once something attaches it: attach each one unless the test is about that.
    attachments = tuple(
        record("aws_organizations_policy_attachment", {"policy_id": Unknown("id", ref=r.address, attribute="id"),
                                                        "target_id": "r-root"}, f"{r.address}_attachment")
        for r in records if attach and r.type == "aws_organizations_policy"
    )
    everything = (*records, *attachments)
    context = NormaliseContext(everything, ScanOptions())
    return [guard for r in everything for guard in guardrails(context, r)]


def scp(condition: dict, effect: str = "Deny", **extra: object) -> str:
    statement = {"Effect": effect, "Resource": "*", "Condition": condition, **extra}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


EXEMPT = ["iam:*", "organizations:*", "sts:*", "route53:*", "cloudfront:*", "support:*"]


# --- AWS ------------------------------------------------------------------------------------------


def test_plan_scp_allowing_only_london_is_uk_only() -> None:
    content = scp({"StringNotEquals": {"aws:RequestedRegion": ["eu-west-2"]}}, NotAction=EXEMPT)
    policy = record("aws_organizations_policy", {"content": content, "type": "SERVICE_CONTROL_POLICY"})
    [guard] = plan_guards(policy)
    assert (guard.kind, guard.regions, guard.uk_only) == (GuardrailKind.AWS_SCP_REGION_DENY, ("eu-west-2",), True)
    assert "global services exempt" in guard.description
    assert guard.source.path == "plan.json"
    [unattached] = plan_guards(policy, attach=False)
    assert not unattached.uk_only and "no aws_organizations_policy_attachment" in unattached.description


@pytest.mark.parametrize("operator", ["StringNotEqualsIfExists", "StringNotLike", "stringnotequals"])
def test_negated_region_operators_count(operator: str) -> None:
    content = scp({operator: {"AWS:RequestedRegion": "eu-west-2"}}, NotAction=EXEMPT)
    [guard] = plan_guards(record("aws_organizations_policy", {"content": content}))
    assert guard.uk_only


@pytest.mark.parametrize(
    ("content", "policy_type"),
    [
        (scp({"StringEquals": {"aws:RequestedRegion": ["us-east-1"]}}), "SERVICE_CONTROL_POLICY"),
        (scp({"StringNotEquals": {"aws:RequestedRegion": ["eu-west-2"]}}, effect="Allow"), "SERVICE_CONTROL_POLICY"),
        (scp({"StringNotEquals": {"aws:PrincipalOrgID": ["o-123"]}}), "SERVICE_CONTROL_POLICY"),
        (scp({"StringNotEquals": {"aws:RequestedRegion": ["eu-west-2"]}}), "RESOURCE_CONTROL_POLICY"),
        ("not json", "SERVICE_CONTROL_POLICY"),
    ],
    ids=["allow-by-equals", "allow-effect", "other-key", "not-an-scp", "not-json"],
)
def test_policies_that_are_not_region_guardrails(content: str, policy_type: str) -> None:
    assert plan_guards(record("aws_organizations_policy", {"content": content, "type": policy_type})) == []


def test_scp_wildcard_region_is_not_uk_only() -> None:
    content = scp({"StringNotLike": {"aws:RequestedRegion": ["eu-*"]}}, NotAction=EXEMPT)
    [guard] = plan_guards(record("aws_organizations_policy", {"content": content}))
    assert not guard.uk_only


def test_several_region_denies_allow_only_what_all_allow() -> None:
    document = {"Statement": [
        {"Effect": "Deny", "NotAction": EXEMPT, "Condition": {"StringNotEquals": {
            "aws:RequestedRegion": ["eu-west-1", "eu-west-2"]}}},
        {"Effect": "Deny", "NotAction": EXEMPT, "Condition": {"StringNotEquals": {
            "aws:RequestedRegion": ["eu-west-2"]}}},
    ]}
    [guard] = plan_guards(record("aws_organizations_policy", {"content": json.dumps(document)}))
    assert (guard.regions, guard.uk_only) == (("eu-west-2",), True)


def test_unexempted_global_services() -> None:
    statement = Statement("Deny", not_actions=("iam:*", "sts:AssumeRole", "organizations:Describe*"))
    assert unexempted_services(statement) == ["route53", "cloudfront", "support"]
    assert unexempted_services(Statement("Deny", actions=("*",))) == list(
        ("iam", "organizations", "sts", "route53", "cloudfront", "support"))


def test_policy_document_data_source_with_a_variable_without_value(tmp_path: Path) -> None:
    [guard] = scan(tmp_path, AWS + """
variable "allowed_regions" {
  type = list(string)
}
data "aws_iam_policy_document" "d" {
  statement {
    effect      = "Deny"
    not_actions = ["iam:*"]
    resources   = ["*"]
    condition {
      test     = "StringNotEquals"
      variable = "aws:RequestedRegion"
      values   = var.allowed_regions
    }
  }
}
resource "aws_organizations_policy" "p" {
  name    = "p"
  content = data.aws_iam_policy_document.d.json
}
""")
    assert (guard.regions, guard.uk_only) == ((), False)
    assert "not known statically" in guard.description and "var.allowed_regions" in guard.description


def test_attachment_is_recognised(tmp_path: Path) -> None:
    [guard] = scan(tmp_path, AWS + """
resource "aws_organizations_policy" "p" {
  name    = "p"
  content = jsonencode({
    Statement = [{
      Effect    = "Deny"
      NotAction = ["iam:*", "organizations:*", "sts:*", "route53:*", "cloudfront:*", "support:*"]
      Resource  = "*"
      Condition = { StringNotEquals = { "aws:RequestedRegion" = ["eu-west-2"] } }
    }]
  })
}
resource "aws_organizations_policy_attachment" "root" {
  policy_id = aws_organizations_policy.p.id
  target_id = "r-1234"
}
""")
    assert guard.description == "SCP aws_organizations_policy.p denies every region but eu-west-2 " \
                                "(global services exempt through NotAction)"


def test_data_sources_are_never_guardrails_themselves() -> None:
    document = ResourceRecord("data.aws_organizations_policy.x", "aws_organizations_policy",
                                 {"content": scp({"StringNotEquals": {"aws:RequestedRegion": "eu-west-2"}})},
                                 Placement("aws"), SourceRef("main.tf", 1, "data.aws_organizations_policy.x"),
                                 mode="data")
    assert plan_guards(document) == []


# --- Azure ----------------------------------------------------------------------------------------


def assignment(resource_type: str = "azurerm_subscription_policy_assignment", **values: object) -> ResourceRecord:
    base: dict[str, object] = {
        "policy_definition_id": ALLOWED_LOCATIONS,
        "parameters": json.dumps({"listOfAllowedLocations": {"value": ["UK South", "ukwest"]}}),
    }
    return record(resource_type, {**base, **values})


@pytest.mark.parametrize(
    "resource_type",
    ["azurerm_policy_assignment", "azurerm_management_group_policy_assignment",
     "azurerm_subscription_policy_assignment", "azurerm_resource_group_policy_assignment"],
)
def test_allowed_locations_in_every_assignment_type(resource_type: str) -> None:
    [guard] = plan_guards(assignment(resource_type))
    assert (guard.kind, guard.regions, guard.uk_only) == (
        GuardrailKind.AZURE_POLICY_ALLOWED_LOCATIONS, ("uksouth", "ukwest"), True)


def test_allowed_locations_with_a_region_outside_the_uk() -> None:
    parameters = json.dumps({"listOfAllowedLocations": {"value": ["uksouth", "northeurope"]}})
    [guard] = plan_guards(assignment(parameters=parameters))
    assert not guard.uk_only


def test_not_enforced_assignment_is_not_uk_only() -> None:
    [guard] = plan_guards(assignment(enforce=False))
    assert not guard.uk_only and "not enforced" in guard.description


def test_resource_group_locations_definition_does_not_guard_resources() -> None:
    definition = "/providers/Microsoft.Authorization/policyDefinitions/E765B5DE-1225-4BA3-BD56-1AC6695AF988"
    [guard] = plan_guards(assignment(policy_definition_id=definition))
    assert not guard.uk_only and "resources in them are not restricted" in guard.description


def test_unknown_parameters_are_not_uk_only() -> None:
    [guard] = plan_guards(assignment(parameters=Unknown("var.locations has no value")))
    assert (guard.regions, guard.uk_only) == ((), False)
    assert "var.locations has no value" in guard.description


def test_other_definitions_are_ignored() -> None:
    other = "/providers/Microsoft.Authorization/policyDefinitions/871b6d14-10aa-478d-b590-94f262ecfa99"
    assert plan_guards(assignment(policy_definition_id=other)) == []


def test_definition_named_through_a_data_source(tmp_path: Path) -> None:
    [guard] = scan(tmp_path, """
provider "azurerm" {
  features {}
}
data "azurerm_policy_definition" "allowed" {
  display_name = "Allowed locations"
}
resource "azurerm_subscription_policy_assignment" "a" {
  name                 = "a"
  subscription_id      = "/subscriptions/00000000-0000-0000-0000-000000000000"
  policy_definition_id = data.azurerm_policy_definition.allowed.id
  parameters           = jsonencode({ listOfAllowedLocations = { value = ["uksouth"] } })
  not_scopes           = ["/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/sandbox"]
}
""")
    # Named through the data source it is recognised; the excluded sandbox means not all is guarded.
    assert (guard.regions, guard.uk_only) == (("uksouth",), False)
    assert "excluded scopes are not guarded" in guard.description


# --- which accounts an SCP governs ------------------------------------------------------------------


UK_DENY = scp({"StringNotEquals": {"aws:RequestedRegion": ["eu-west-2"]}}, NotAction=EXEMPT)


def _organisation(target: object, accounts: dict[str, object], computed_id: bool = False) -> list[Guardrail]:
    """An SCP attached to ``target``, the accounts with their parents, and OU ou-b under ou-a under the root;
    ``computed_id`` adds an account whose id is computed at apply, as in HCL."""
    computed = Unknown("computed at apply", ref="aws_organizations_account.new", attribute="id")
    records = [
        record("aws_organizations_policy", {"id": "p-uk", "type": "SERVICE_CONTROL_POLICY", "content": UK_DENY}),
        record("aws_organizations_policy_attachment", {"policy_id": "p-uk", "target_id": target}),
        record("aws_organizations_organizational_unit", {"id": "ou-a", "parent_id": "r-root"}, "ou.a"),
        record("aws_organizations_organizational_unit", {"id": "ou-b", "parent_id": "ou-a"}, "ou.b"),
        *(record("aws_organizations_account", {"id": account, "parent_id": parent}, f"account.a{account}")
          for account, parent in accounts.items()),
        *([record("aws_organizations_account", {"id": computed, "parent_id": "ou-a"}, "account.new")]
          if computed_id else []),
    ]
    context = NormaliseContext(records, ScanOptions())
    return [guard for r in records for guard in guardrails(context, r)]


def test_an_scp_on_an_ou_governs_the_accounts_under_it_nested_ones_included() -> None:
    accounts = {"111111111111": "ou-a", "222222222222": "ou-b", "333333333333": "r-root"}
    [guard] = _organisation("ou-a", accounts)
    assert (guard.uk_only, guard.accounts) == (True, ("111111111111", "222222222222"))
    assert "it governs account(s) 111111111111, 222222222222" in guard.description


def test_an_scp_on_the_root_or_an_organisation_not_in_view_governs_the_whole_estate() -> None:
    [root] = _organisation("r-root", {"111111111111": "ou-a"})
    assert root.accounts is None
    # HCL: account ids are computed at apply, so which accounts an OU holds is not known (today's meaning).
    [computed] = _organisation("ou-a", {"111111111111": "ou-a"}, computed_id=True)
    assert computed.accounts is None
    hcl = Unknown("computed", ref="aws_organizations_organizational_unit.a", attribute="id")
    [referenced] = _organisation(hcl, {"111111111111": "ou-a"})
    assert referenced.accounts is None


def test_an_account_whose_parent_could_not_be_read_is_not_credited_to_the_ou() -> None:
    unread = Unknown("the parent of 222222222222 in the organisation could not be read")
    [guard] = _organisation("ou-a", {"111111111111": "ou-a", "222222222222": unread})
    assert guard.accounts == ("111111111111",)
