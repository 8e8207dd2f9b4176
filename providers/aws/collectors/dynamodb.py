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
    table = live_record(scope, arn, "aws_dynamodb_table", values, "dynamodb:DescribeTable",
                        fields={"name": "Table.TableName", "replica.region_name": "Table.Replicas[].RegionName"})
    return [table, *_replicas(scope, arn, answer, replica)]


def _replicas(scope: Scope, arn: str, answer: Response, replica: Any) -> list[ResourceRecord]:
    """Each replica table the answer names, as the table it is in its region: named by its own ARN, placed by
    the answer's field, holding no name (the table's name finds the table this answer is about) and no tags of
    its own (a replica of a DWP table is DWP as its copy)."""
    if isinstance(answer, Failed):
        return []
    listed = [r.get("RegionName") for r in ((answer or {}).get("Table") or {}).get("Replicas") or []]
    records = []
    for block in replica:
        region = block.get("region_name")
        parts = arn.split(":")
        if not isinstance(region, str) or len(parts) < 6:
            continue
        own = ":".join((*parts[:3], region, *parts[4:]))
        how = (f"dynamodb:DescribeTable {arn} Table.Replicas[{listed.index(region)}].RegionName = {region!r} "
               f"(account {scope.account}, region {scope.region})",)
        records.append(live_record(Scope(scope.account, region), own, "aws_dynamodb_table",
                                   {"name": None, "id": own, "replica": [], "tags": {}}, "dynamodb:DescribeTable",
                                   how=how, asked=scope))
    return records


def collect(work: Work) -> list[ResourceRecord]:
    """DynamoDB for one (account, region)."""
    return [record for arn in work.arns if ":table/" in arn and "/stream/" not in arn
            for record in translate_table(work.scope, arn, fetch_table(work, arn), work.tags.get(arn))]
