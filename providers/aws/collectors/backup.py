"""AWS Backup: each DWP plan's copy actions, and the resources its selections name."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from providers.aws.calls import Failed, Response
from providers.aws.collectors import Work
from providers.aws.records import Scope, live_record
from providers.semantics.records import ResourceRecord

SERVICE = "backup"


@dataclass(frozen=True)
class PlanResponses:
    """The answers about one plan."""

    arn: str
    plan: Response
    selections: Mapping[str, Response]
    """Selection id -> GetBackupSelection answer."""
    listing: list[Any] | Failed | None = None


def fetch_plan(work: Work, arn: str) -> PlanResponses:
    """GetBackupPlan, ListBackupSelections and GetBackupSelection of each."""
    backup = work.client(SERVICE)
    plan_id = arn.rsplit(":", 1)[-1]
    plan = backup.call("get_backup_plan", BackupPlanId=plan_id)
    listing = backup.pages("list_backup_selections", "BackupSelectionsList", BackupPlanId=plan_id)
    selections = {item["SelectionId"]: backup.call("get_backup_selection", BackupPlanId=plan_id,
                                                   SelectionId=item["SelectionId"])
                  for item in (listing if isinstance(listing, list) else [])}
    return PlanResponses(arn, plan, selections, listing)


def translate_plan(scope: Scope, answers: PlanResponses, tags: Mapping[str, str] | None) -> list[ResourceRecord]:
    """The plan as an ``aws_backup_plan`` with ``rule.copy_action`` blocks, and each selection as an
    ``aws_backup_selection``; an unreadable plan copies to an unknown vault."""
    plan_id = answers.arn.rsplit(":", 1)[-1]
    if isinstance(answers.plan, Failed):
        unknown = answers.plan.unknown(f"backup plan {plan_id}")
        rules: Any = [{"copy_action": [{"destination_vault_arn": unknown}]}]
        name: Any = plan_id
    else:
        body = (answers.plan or {}).get("BackupPlan") or {}
        name = body.get("BackupPlanName", plan_id)
        rules = [{"rule_name": r.get("RuleName"), "target_vault_name": r.get("TargetBackupVaultName"),
                  "copy_action": [{"destination_vault_arn": c.get("DestinationBackupVaultArn")}
                                  for c in r.get("CopyActions") or []]} for r in body.get("Rules") or []]
    records = [live_record(scope, answers.arn, "aws_backup_plan",
                           {"id": plan_id, "name": name, "rule": rules, "tags": dict(tags or {})},
                           "backup:GetBackupPlan")]
    if isinstance(answers.listing, Failed):
        records.append(live_record(scope, "", "aws_backup_selection",
                                   {"plan_id": plan_id,
                                    "resources": [answers.listing.unknown("what the plan backs up")]},
                                   "backup:ListBackupSelections", address=f"{answers.arn}?selection=*", stand_in=True))
    for selection_id, answer in answers.selections.items():
        if isinstance(answer, Failed):
            resources: Any = [answer.unknown(f"what selection {selection_id} backs up")]
        else:
            resources = list(((answer or {}).get("BackupSelection") or {}).get("Resources") or [])
        records.append(live_record(scope, "", "aws_backup_selection",
                                   {"plan_id": plan_id, "name": selection_id, "resources": resources},
                                   "backup:GetBackupSelection", address=f"{answers.arn}?selection={selection_id}"))
    return records


def collect(work: Work) -> list[ResourceRecord]:
    """AWS Backup for one (account, region)."""
    return [record for arn in work.arns if ":backup-plan:" in arn
            for record in translate_plan(work.scope, fetch_plan(work, arn), work.tags.get(arn))]
