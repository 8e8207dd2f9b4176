"""Guardrails: controls that keep new resources in UK regions (SCPs, Azure Policy), reported as facts.

Hook used by ``normalise``: ``guardrails`` recognises a region-deny control in one record.

- AWS: an ``aws_organizations_policy`` of type SERVICE_CONTROL_POLICY with a Deny statement whose
  condition is ``StringNotEquals`` (or ``...IfExists``, ``StringNotLike``) on ``aws:RequestedRegion``.
  Its content is JSON (``jsonencode``, a heredoc, a plan's string) or an ``aws_iam_policy_document``
  data source. The regions it leaves allowed are the guardrail's regions.
- Azure: a policy assignment of the built-in "Allowed locations" definition, whose
  ``listOfAllowedLocations`` parameter holds the allowed locations.

A guardrail is ``uk_only`` when every region it allows is in the UK; the OFS-GRD-001 check decides
what a missing one means.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from providers.semantics import geography
from providers.semantics.context import NormaliseContext, values_at
from providers.semantics.policy_documents import Statement, read_policy
from providers.semantics.records import ResourceRecord, Unknown, first_unknown
from scanner.model import Guardrail, GuardrailKind

_REGION_KEY = "aws:requestedregion"
_NEGATED_OPERATORS = {"stringnotequals", "stringnotequalsifexists", "stringnotlike", "stringnotlikeifexists"}
# Global services whose calls are served from us-east-1 (or have no region): an SCP that denies them
# outside eu-west-2 breaks IAM, Organizations, STS, Route 53, CloudFront and Support.
GLOBAL_SERVICES = ("iam", "organizations", "sts", "route53", "cloudfront", "support")

ALLOWED_LOCATIONS = "e56962a6-4747-49cd-b67b-bf8b01975c4c"
ALLOWED_RESOURCE_GROUP_LOCATIONS = "e765b5de-1225-4ba3-bd56-1ac6695af988"
_DEFINITION_NAMES = {
    "allowed locations": ALLOWED_LOCATIONS,
    "allowed locations for resource groups": ALLOWED_RESOURCE_GROUP_LOCATIONS,
}
_ASSIGNMENTS = {
    "azurerm_policy_assignment",
    "azurerm_management_group_policy_assignment",
    "azurerm_subscription_policy_assignment",
    "azurerm_resource_group_policy_assignment",
}


def guardrails(context: NormaliseContext, record: ResourceRecord) -> Iterator[Guardrail]:
    """The region guardrails one record establishes."""
    if record.mode != "managed":
        return
    if record.type == "aws_organizations_policy":
        found = _scp(context, record)
    elif record.type in _ASSIGNMENTS:
        found = _allowed_locations(context, record)
    else:
        return
    if found is not None:
        yield found


# --- AWS service control policies --------------------------------------------------------------


def _statements(context: NormaliseContext, content: Any) -> list[Statement]:
    def lookup(address: str) -> Mapping[str, Any] | None:
        found = context.by_address.get(address)
        return found.values if found is not None else None

    return list(read_policy(content, lookup).statements)


def _region_denies(statements: Iterable[Statement]) -> list[tuple[Statement, tuple[Any, ...]]]:
    """Deny statements with a negated condition on the requested region, and the regions they leave."""
    found = []
    for statement in statements:
        if statement.effect.lower() != "deny":
            continue
        for condition in statement.conditions:
            if condition.operator.lower() in _NEGATED_OPERATORS and condition.key.lower() == _REGION_KEY:
                found.append((statement, condition.values))
    return found


def _allowed(denies: list[tuple[Statement, tuple[Any, ...]]]) -> tuple[list[str], Unknown | None]:
    """The regions every region-deny statement leaves open (each one denies the rest)."""
    allowed: list[str] | None = None
    for _, values in denies:
        unknown = first_unknown(list(values))
        if unknown is not None:
            return [], unknown
        regions = [str(v) for v in values]
        allowed = regions if allowed is None else [r for r in allowed if r in regions]
    return allowed or [], None


def unexempted_services(statement: Statement) -> list[str]:
    """Global services a region-deny statement does not exempt through ``NotAction``."""
    exempt = [str(a).lower() for a in statement.not_actions if isinstance(a, str)]
    return [s for s in GLOBAL_SERVICES if not any(a == "*" or a.startswith(f"{s}:") for a in exempt)]


def _attachments(context: NormaliseContext, policy: ResourceRecord) -> list[ResourceRecord]:
    found = []
    for attachment in context.of_type("aws_organizations_policy_attachment"):
        value = attachment.values.get("policy_id")
        if context.referenced(value) is policy or (isinstance(value, str) and value == policy.values.get("id")):
            found.append(attachment)
    return found


def _organisation(context: NormaliseContext) -> tuple[tuple[str, ...], dict[str, str]] | None:
    """The accounts in view and each account's or OU's parent, when the accounts' ids are plain (a live
    organisation, a plan of existing accounts); None when the input does not show the organisation's structure."""
    accounts = [r.values.get("id") for r in context.of_type("aws_organizations_account")]
    if not accounts or not all(isinstance(a, str) and a.isdigit() for a in accounts):
        return None  # no accounts, or ids computed at apply (HCL): which accounts an OU holds is not known
    parents: dict[str, str] = {}
    for kind in ("aws_organizations_account", "aws_organizations_organizational_unit"):
        for record in context.of_type(kind):
            child, parent = record.values.get("id"), record.values.get("parent_id")
            # A parent that could not be read ends the account's path there: nothing above it is credited.
            if isinstance(child, str) and isinstance(parent, str):
                parents[child] = parent
    return tuple(sorted({a for a in accounts if isinstance(a, str)})), parents


def governed_accounts(context: NormaliseContext, attachments: Iterable[ResourceRecord]) -> tuple[str, ...] | None:
    """The accounts under the attachments' targets; None for the whole estate (a root is a target, or the input
    does not show which accounts are under which OU)."""
    organisation = context.memo("aws organisation", _organisation)
    targets = [a.values.get("target_id") for a in attachments]
    if organisation is None or not all(isinstance(t, str) for t in targets) or any(t.startswith("r-") for t in targets):
        return None
    accounts, parents = organisation
    governed = []
    for account in accounts:
        step, path = account, [account]
        while step in parents and len(path) <= len(parents):  # bounded: a malformed loop cannot hang the scan
            step = parents[step]
            path.append(step)
        if any(t in path for t in targets):
            governed.append(account)
    return tuple(governed)


def _scp(context: NormaliseContext, record: ResourceRecord) -> Guardrail | None:
    policy_type = record.values.get("type", "SERVICE_CONTROL_POLICY")
    if policy_type != "SERVICE_CONTROL_POLICY":
        return None
    denies = _region_denies(_statements(context, record.values.get("content")))
    if not denies:
        return None
    regions, unknown = _allowed(denies)
    uk_only = unknown is None and bool(regions) and all(geography.is_uk("aws", r) for r in regions)
    if unknown is not None:
        text = f"SCP {record.address} denies requests outside regions not known statically ({unknown.reason})"
    elif regions:
        text = f"SCP {record.address} denies every region but {', '.join(regions)}"
    else:
        text = f"SCP {record.address} denies every region"
    missing = sorted({s for statement, _ in denies for s in unexempted_services(statement)})
    if missing:
        text += (f"; the global services {', '.join(missing)} are not exempted through NotAction, so they are denied "
                 "too (which breaks them), though the region guard holds")
    else:
        text += " (global services exempt through NotAction)"
    attachments = _attachments(context, record)
    accounts = governed_accounts(context, attachments)
    if not attachments:
        # An SCP guards nothing until it is attached; a pass needs the attachment in view.
        uk_only = False
        text += ("; no aws_organizations_policy_attachment in the scanned configuration attaches it, so it is not "
                 "counted as a guardrail (scan the configuration that attaches it to the organisation root or the "
                 "DWP OUs)")
    elif accounts is not None:
        # Attached below the root: it governs the accounts under its targets, and no others.
        targets = ", ".join(sorted(str(a.values.get("target_id")) for a in attachments))
        text += f"; attached to {targets}, it governs account(s) {', '.join(accounts) or 'none of those scanned'}"
    return Guardrail(GuardrailKind.AWS_SCP_REGION_DENY, text, tuple(regions), record.source, uk_only, accounts)


# --- Azure Policy ------------------------------------------------------------------------------


def _definition(context: NormaliseContext, value: Any) -> str | None:
    """Which built-in location definition a ``policy_definition_id`` names, if either."""
    if isinstance(value, str):
        tail = value.rstrip("/").rsplit("/", 1)[-1].lower()
        return tail if tail in _DEFINITION_NAMES.values() else None
    source = context.referenced(value)
    if source is None or source.mode != "data":
        return None
    name, display = source.values.get("name"), source.values.get("display_name")
    if isinstance(name, str) and name.lower() in _DEFINITION_NAMES.values():
        return name.lower()
    return _DEFINITION_NAMES.get(display.lower()) if isinstance(display, str) else None


def _locations(parameters: Any) -> tuple[list[str] | None, str | None]:
    """``listOfAllowedLocations.value`` of an assignment's parameters, or why it cannot be read."""
    if isinstance(parameters, Unknown):
        return None, parameters.reason
    if isinstance(parameters, str):
        try:
            parameters = json.loads(parameters)
        except ValueError:
            return None, "parameters is not valid JSON"
    listed = parameters.get("listOfAllowedLocations") if isinstance(parameters, Mapping) else None
    values = listed.get("value") if isinstance(listed, Mapping) else None
    unknown = first_unknown(values)
    if unknown is not None:
        return None, unknown.reason
    if not isinstance(values, list):
        return None, "parameters sets no listOfAllowedLocations value"
    return [geography.normalise_azure_location(str(v)) for v in values], None


def _enforced(values: Mapping[str, Any]) -> bool:
    # azurerm 3+ `enforce` (default true); azurerm 2 `enforcement_mode` (bool, or "Default"/"DoNotEnforce").
    enforce = values.get("enforce", values.get("enforcement_mode", True))
    # Only a setting known to enforce counts: an unknown one might be false.
    return enforce is True or enforce == "Default"


def _allowed_locations(context: NormaliseContext, record: ResourceRecord) -> Guardrail | None:
    definition = _definition(context, record.values.get("policy_definition_id"))
    if definition is None:
        return None
    locations, problem = _locations(record.values.get("parameters"))
    regions = locations or []
    uk_only = bool(regions) and all(geography.is_uk("azure", r) for r in regions)
    listed = ", ".join(regions) or "no location"
    if problem is not None:
        text = f"Azure Policy assignment {record.address} of Allowed locations: the locations are not known ({problem})"
    elif definition == ALLOWED_RESOURCE_GROUP_LOCATIONS:
        text = f"Azure Policy assignment {record.address} allows resource groups only in {listed}"
    else:
        text = f"Azure Policy assignment {record.address} allows only {listed}"
    if definition == ALLOWED_RESOURCE_GROUP_LOCATIONS:
        # That definition restricts where resource groups (their metadata) live, not the resources in them.
        uk_only = False
        text += (" (Allowed locations for resource groups): the resources in them are not restricted (assign "
                 "Allowed locations too)")
    if not _enforced(record.values):
        uk_only = False
        text += "; it is not enforced (enforce = false), so it only audits"
    scope = next((record.values.get(k) for k in ("resource_group_id", "scope") if k in record.values), None)
    if record.type == "azurerm_resource_group_policy_assignment" and isinstance(scope, str):
        uk_only = False
        text += f"; scope: resource group {scope.rstrip('/').rsplit('/', 1)[-1]} only, so the rest is not guarded"
    excluded = [str(s) for s in values_at(record.values, "not_scopes") if isinstance(s, str)]
    if excluded:
        uk_only = False
        text += f"; excluded scopes are not guarded: {', '.join(excluded)}"
    # A live scan says which subscriptions list the assignment (the ones it applies to); configuration does not.
    applies = record.values.get("applies_to")
    accounts = tuple(str(a) for a in applies) if isinstance(applies, tuple) else None
    if accounts is not None:
        text += f"; it applies to subscription(s) {', '.join(accounts)}"
    return Guardrail(GuardrailKind.AZURE_POLICY_ALLOWED_LOCATIONS, text, tuple(regions), record.source, uk_only,
                     accounts)
