"""Athena workgroups: where query results land (``GetWorkGroup``: ``Configuration.ResultConfiguration
.OutputLocation``, an ``s3://bucket/prefix`` whose bucket is followed and located, ``follow.py``), as
``aws_athena_workgroup`` with ``configuration[].result_configuration[].output_location``.

Which workgroups: the DWP ones, tagged (the Tagging API lists workgroups), and in a wholly DWP account every
workgroup of each region (``ListWorkGroups``), since every query there reads DWP data and its results are DWP
data. An untagged workgroup of another account is not read: which data its queries read is not in its
configuration, and reading every workgroup of every region would cost requests growing with the account, not with
DWP resources. One ``GetWorkGroup`` per DWP workgroup; the region's list only in a wholly DWP account. botocore has
no paginator for ``ListWorkGroups``: its ``NextToken`` is followed by hand, and a token given twice, or more pages
than any account has, is a failed list (the region's workgroups unknown), never a first page taken for all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from providers.aws.calls import Failed, Response
from providers.aws.collectors import Work
from providers.aws.collectors.shapes import blocks
from providers.aws.records import Scope, live_record
from providers.semantics.records import ResourceRecord

SERVICE = "athena"
_GET = "athena:GetWorkGroup"


@dataclass(frozen=True)
class WorkGroupAnswers:
    """The answers of one region."""

    listed: list[Any] | Failed | None
    """ListWorkGroups (a wholly DWP account only; None elsewhere)."""
    workgroups: Mapping[str, Response]
    """Workgroup name -> GetWorkGroup."""


def _arn(scope: Scope, name: str) -> str:
    return f"arn:aws:athena:{scope.region}:{scope.account}:workgroup/{name}"


def _dwp_names(work: Work) -> list[str]:
    return sorted(a.split(":workgroup/", 1)[1] for a in work.arns if ":athena:" in a and ":workgroup/" in a)


def fetch_workgroups(work: Work) -> WorkGroupAnswers:
    """GetWorkGroup of each DWP workgroup; in a wholly DWP account, of every workgroup ListWorkGroups names."""
    athena = work.client(SERVICE)
    names = _dwp_names(work)
    listed = athena.pages("list_work_groups", "WorkGroups", expect=("Name",), token="NextToken") \
        if work.whole_account else None
    if isinstance(listed, list):
        names = sorted({*names, *(str(w["Name"]) for w in listed)})
    return WorkGroupAnswers(listed, {name: athena.call("get_work_group", expect=("WorkGroup.Name",), WorkGroup=name)
                                     for name in names})


def _unknown(scope: Scope, name: str | None, failed: Failed, tags: Mapping[str, str]) -> ResourceRecord:
    """A workgroup whose configuration could not be read (``name``), or the region's workgroups when their list
    could not be read (None): results may land anywhere (unknown, never nowhere)."""
    what = f"workgroup {name}" if name is not None else f"the workgroups of {scope.region}"
    where = failed.unknown(f"where {what} writes query results")
    values = {"name": name, "configuration": [{"result_configuration": [{"output_location": where}]}],
              "tags": dict(tags)}
    call = f"athena:{failed.operation}"
    if name is None:
        return live_record(scope, "", "aws_athena_workgroup", values, call,
                           address=f"arn:aws:athena:{scope.region}:{scope.account}:workgroup?workgroups",
                           stand_in=True)
    return live_record(scope, _arn(scope, name), "aws_athena_workgroup", values, call)


def translate_workgroups(scope: Scope, answers: WorkGroupAnswers,
                         tags: Mapping[str, Mapping[str, str]]) -> list[ResourceRecord]:
    """Each workgroup read as ``aws_athena_workgroup``; an unreadable list (a wholly DWP account) is one workgroup
    of the region writing results to an unknown place."""
    records = []
    if isinstance(answers.listed, Failed):
        records.append(_unknown(scope, None, answers.listed, {}))
    for name, answer in answers.workgroups.items():
        arn = _arn(scope, name)
        if isinstance(answer, Failed):
            records.append(_unknown(scope, name, answer, tags.get(arn) or {}))
            continue
        workgroup = (answer or {}).get("WorkGroup") or {}
        configuration = workgroup.get("Configuration")
        values = {"name": workgroup.get("Name", name), "state": workgroup.get("State"),
                  "description": workgroup.get("Description"),
                  "configuration": [blocks(configuration)] if isinstance(configuration, Mapping) else [],
                  "tags": dict(tags.get(arn) or {})}
        records.append(live_record(scope, arn, "aws_athena_workgroup", values, _GET, fields={
            "configuration.result_configuration.output_location":
                "WorkGroup.Configuration.ResultConfiguration.OutputLocation"}))
    return records


def collect(work: Work) -> list[ResourceRecord]:
    """The DWP workgroups of one (account, region): none asked where there are none and the account is not DWP."""
    if not work.whole_account and not _dwp_names(work):
        return []
    return translate_workgroups(work.scope, fetch_workgroups(work), work.tags)
