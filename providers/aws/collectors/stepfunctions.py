"""Step Functions: where a DWP state machine logs its executions (``DescribeStateMachine``:
``loggingConfiguration.destinations[].cloudWatchLogsLogGroup.logGroupArn``), as ``aws_sfn_state_machine`` with
``logging_configuration[].log_destination``, the shape Terraform gives it. With ``includeExecutionData`` the logs
hold each execution's input and output: DWP data, wherever the log group is.

Which state machines: the DWP ones (tagged), one ``DescribeStateMachine`` each, and in a wholly DWP account every
one of the region (``ListStateMachines``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from providers.aws.calls import Failed, Response
from providers.aws.collectors import Work
from providers.aws.records import Scope, live_record
from providers.semantics.records import ResourceRecord

SERVICE = "stepfunctions"
_DESCRIBE = "stepfunctions:DescribeStateMachine"


@dataclass(frozen=True)
class MachineAnswers:
    """The answers of one region."""

    listed: list[Any] | Failed | None
    """ListStateMachines (a wholly DWP account only; None elsewhere)."""
    machines: Mapping[str, Response]
    """State machine ARN -> DescribeStateMachine."""


def _dwp_machines(work: Work) -> list[str]:
    return sorted(a for a in work.arns if ":states:" in a and ":stateMachine:" in a)


def fetch_machines(work: Work) -> MachineAnswers:
    """DescribeStateMachine of each DWP state machine (every one ListStateMachines names, in a DWP account)."""
    states = work.client(SERVICE)
    arns = _dwp_machines(work)
    listed = states.pages("list_state_machines", "stateMachines", expect=("stateMachineArn",)) \
        if work.whole_account else None
    if isinstance(listed, list):
        arns = sorted({*arns, *(str(m["stateMachineArn"]) for m in listed)})
    return MachineAnswers(listed, {arn: states.call("describe_state_machine", expect=("stateMachineArn",),
                                                    stateMachineArn=arn) for arn in arns})


def _logging(answer: Mapping[str, Any]) -> list[dict[str, Any]]:
    logging = answer.get("loggingConfiguration") or {}
    if not logging:
        return []
    groups = [(d.get("cloudWatchLogsLogGroup") or {}).get("logGroupArn") for d in logging.get("destinations") or []
              if isinstance(d, Mapping)]
    # The schema has one destination (as AWS allows); any others are kept as further blocks.
    return [{"log_destination": group, "level": logging.get("level"),
             "include_execution_data": logging.get("includeExecutionData")} for group in groups or [None]]


def translate_machines(scope: Scope, answers: MachineAnswers,
                       tags: Mapping[str, Mapping[str, str]]) -> list[ResourceRecord]:
    """Each state machine as ``aws_sfn_state_machine``; an unreadable one logs to an unknown place, and an
    unreadable list (a wholly DWP account) is one state machine of the region logging to an unknown place."""
    records = []
    unread: dict[str, Failed] = {arn: a for arn, a in answers.machines.items() if isinstance(a, Failed)}
    for arn, failed in unread.items():
        values = {"name": arn.rsplit(":", 1)[-1], "tags": dict(tags.get(arn) or {}), "logging_configuration": [
            {"log_destination": failed.unknown(f"where state machine {arn} logs its executions")}]}
        records.append(live_record(scope, arn, "aws_sfn_state_machine", values, _DESCRIBE))
    if isinstance(answers.listed, Failed):
        values = {"name": None, "logging_configuration": [{"log_destination": answers.listed.unknown(
            f"where the state machines of {scope.region} log their executions")}]}
        records.append(live_record(scope, "", "aws_sfn_state_machine", values, "stepfunctions:ListStateMachines",
                                   address=f"arn:aws:states:{scope.region}:{scope.account}:stateMachine?machines",
                                   stand_in=True))
    for arn, answer in answers.machines.items():
        if isinstance(answer, Failed) or answer is None:
            continue
        tracing = answer.get("tracingConfiguration") or {}
        values = {"name": answer.get("name"), "role_arn": answer.get("roleArn"), "type": answer.get("type"),
                  "definition": answer.get("definition"), "logging_configuration": _logging(answer),
                  "tracing_configuration": [{"enabled": tracing.get("enabled")}] if tracing else [],
                  "tags": dict(tags.get(arn) or {})}
        records.append(live_record(scope, str(answer["stateMachineArn"]), "aws_sfn_state_machine", values, _DESCRIBE,
                                   fields={"logging_configuration.log_destination": "loggingConfiguration"
                                           ".destinations[].cloudWatchLogsLogGroup.logGroupArn"}))
    return records


def collect(work: Work) -> list[ResourceRecord]:
    """The DWP state machines of one (account, region): nothing is asked where there is none and the account is
    not DWP."""
    if not work.whole_account and not _dwp_machines(work):
        return []
    return translate_machines(work.scope, fetch_machines(work), work.tags)
