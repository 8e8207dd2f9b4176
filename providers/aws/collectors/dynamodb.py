"""DynamoDB: the replicas of each DWP table (global tables, version 2019), as the schema's ``replica`` blocks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from providers.aws.calls import Failed, Response
from providers.aws.collectors import Work
from providers.aws.records import Scope, live_record
from providers.semantics.records import ResourceRecord

SERVICE = "dynamodb"


def fetch_table(work: Work, arn: str) -> Response:
    """DescribeTable (its ``Replicas``)."""
    return work.client(SERVICE).call("describe_table", TableName=arn.rsplit("/", 1)[-1])


def translate_table(scope: Scope, arn: str, answer: Response, tags: Mapping[str, str] | None) -> list[ResourceRecord]:
    """The table as an ``aws_dynamodb_table``; an unreadable one has replicas in unknown regions."""
    name = arn.rsplit("/", 1)[-1]
    if isinstance(answer, Failed):
        replica: Any = [{"region_name": answer.unknown(f"where table {name} is replicated")}]
    else:
        table = (answer or {}).get("Table") or {}
        replica = [{"region_name": r["RegionName"]} for r in table.get("Replicas") or []
                   if r.get("RegionName") and r["RegionName"] != scope.region]
    values = {"name": name, "id": name, "replica": replica, "tags": dict(tags or {})}
    return [live_record(scope, arn, "aws_dynamodb_table", values, "dynamodb:DescribeTable")]


def collect(work: Work) -> list[ResourceRecord]:
    """DynamoDB for one (account, region)."""
    return [record for arn in work.arns if ":table/" in arn and "/stream/" not in arn
            for record in translate_table(work.scope, arn, fetch_table(work, arn), work.tags.get(arn))]
