"""Glue jobs: where a DWP job's script, temporary data and Spark event logs are (``GetJobs``:
``Command.ScriptLocation``, ``DefaultArguments`` such as ``--TempDir`` and ``--spark-event-logs-path``,
``s3://`` paths whose buckets are followed and located, ``follow.py``), as ``aws_glue_job`` with
``command[].script_location`` and the ``default_arguments`` map, the shape Terraform gives them.

Which jobs: the DWP ones, tagged (the Tagging API lists Glue jobs), and in a wholly DWP account every job of each
region: a job's temporary directory and event logs hold the data it processes. An untagged job of another account
is not read: what it processes is in its script, not its configuration. ``GetJobs`` answers every job's
definition a page at a time, so a region is asked only when it holds a DWP job (or the account is DWP), and one
page serves every DWP job of the region; the others are left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from providers.aws.calls import Failed
from providers.aws.collectors import Work
from providers.aws.records import Scope, live_record
from providers.semantics.records import ResourceRecord

SERVICE = "glue"
_GET = "glue:GetJobs"


def _arn(scope: Scope, name: str) -> str:
    return f"arn:aws:glue:{scope.region}:{scope.account}:job/{name}"


def _dwp_jobs(work: Work) -> list[str]:
    return sorted(a for a in work.arns if ":glue:" in a and ":job/" in a)


def fetch_jobs(work: Work) -> list[Any] | Failed | None:
    """Every job definition of the region (GetJobs, paginated)."""
    return work.client(SERVICE).pages("get_jobs", "Jobs", expect=("Name",))


def _arguments(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, Mapping) else {}


def translate_jobs(scope: Scope, jobs: list[Any] | Failed | None, dwp: list[str], whole_account: bool,
                   tags: Mapping[str, Mapping[str, str]]) -> list[ResourceRecord]:
    """Each DWP job as ``aws_glue_job``; an unreadable list leaves every DWP job's paths unknown (in a wholly DWP
    account, one job standing for the region's jobs)."""
    if isinstance(jobs, Failed):
        names = [a.split(":job/", 1)[1] for a in dwp] or ([None] if whole_account else [])
        return [_unknown(scope, name, jobs, tags) for name in names]
    records = []
    for job in jobs or []:
        name = str(job["Name"])
        arn = _arn(scope, name)
        if not whole_account and arn not in dwp:
            continue
        command = job.get("Command") or {}
        values = {"name": name, "role_arn": job.get("Role"), "glue_version": job.get("GlueVersion"),
                  "command": [{"name": command.get("Name"), "script_location": command.get("ScriptLocation"),
                               "python_version": command.get("PythonVersion")}] if command else [],
                  "default_arguments": _arguments(job.get("DefaultArguments")),
                  "non_overridable_arguments": _arguments(job.get("NonOverridableArguments")),
                  "connections": list((job.get("Connections") or {}).get("Connections") or []),
                  "security_configuration": job.get("SecurityConfiguration"), "tags": dict(tags.get(arn) or {})}
        records.append(live_record(scope, arn, "aws_glue_job", values, _GET, fields={
            "command.script_location": "Jobs[].Command.ScriptLocation",
            "default_arguments": "Jobs[].DefaultArguments"}))
    return records


def _unknown(scope: Scope, name: str | None, failed: Failed,
             tags: Mapping[str, Mapping[str, str]]) -> ResourceRecord:
    """A job (or, for None, the region's jobs) whose paths could not be read: its data may be written anywhere."""
    what = f"job {name}" if name is not None else f"the Glue jobs of {scope.region}"
    where = failed.unknown(f"where {what} keeps its script, temporary data and logs")
    values = {"name": name, "command": [{"script_location": where}], "default_arguments": {"--TempDir": where},
              "tags": dict(tags.get(_arn(scope, name)) or {}) if name is not None else {}}
    if name is None:
        return live_record(scope, "", "aws_glue_job", values, _GET,
                           address=f"arn:aws:glue:{scope.region}:{scope.account}:job?jobs", stand_in=True)
    return live_record(scope, _arn(scope, name), "aws_glue_job", values, _GET)


def collect(work: Work) -> list[ResourceRecord]:
    """The DWP jobs of one (account, region): nothing is asked where there is none and the account is not DWP."""
    dwp = _dwp_jobs(work)
    if not dwp and not work.whole_account:
        return []
    return translate_jobs(work.scope, fetch_jobs(work), dwp, work.whole_account, work.tags)
