"""DynamoDB: the replicas of each DWP table (global tables, version 2019), as the schema's ``replica`` blocks; its
exports to S3 (``ListExports``, ``DescribeExport``: the bucket each wrote to, and its owner), as
``aws_dynamodb_table_export``; and the Lambda event source mappings reading its stream."""

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


_EXPORT = "dynamodb:DescribeExport"


def fetch_exports(work: Work, arn: str) -> tuple[list[Any] | Failed | None, dict[str, Response]]:
    """ListExports of the table, and DescribeExport of each (the list names no bucket)."""
    dynamodb = work.client(SERVICE)
    listed = dynamodb.pages("list_exports", "ExportSummaries", expect=("ExportArn",), TableArn=arn)
    if not isinstance(listed, list):
        return listed, {}
    return listed, {e["ExportArn"]: dynamodb.call("describe_export", expect=("ExportDescription",),
                                                  ExportArn=e["ExportArn"]) for e in listed}


def translate_exports(scope: Scope, arn: str, listed: list[Any] | Failed | None,
                      described: Mapping[str, Response]) -> list[ResourceRecord]:
    """Each export as an ``aws_dynamodb_table_export`` where the table is (``s3_bucket``, ``s3_bucket_owner``:
    the shared meaning places the bucket); an unreadable list or export wrote to an unknown bucket."""
    if isinstance(listed, Failed):
        values: dict[str, Any] = {"table_arn": arn, "s3_bucket": listed.unknown(f"where table {arn} was exported")}
        return [live_record(scope, "", "aws_dynamodb_table_export", values, "dynamodb:ListExports",
                            address=f"{arn}?exports", stand_in=True)]
    records = []
    for export, answer in described.items():
        if isinstance(answer, Failed):
            values = {"id": export, "table_arn": arn, "s3_bucket": answer.unknown(f"where {export} wrote")}
        else:
            description = (answer or {}).get("ExportDescription") or {}
            values = {"id": export, "table_arn": description.get("TableArn") or arn,
                      "s3_bucket": description.get("S3Bucket"), "s3_bucket_owner": description.get("S3BucketOwner"),
                      "s3_prefix": description.get("S3Prefix"), "export_format": description.get("ExportFormat"),
                      "export_type": description.get("ExportType"), "export_status": description.get("ExportStatus"),
                      "s3_sse_algorithm": description.get("S3SseAlgorithm"),
                      "s3_sse_kms_key_id": description.get("S3SseKmsKeyId")}
        fields = {"s3_bucket": "ExportDescription.S3Bucket", "s3_bucket_owner": "ExportDescription.S3BucketOwner",
                  "table_arn": "ExportDescription.TableArn"}
        records.append(live_record(scope, export, "aws_dynamodb_table_export", values, _EXPORT, fields=fields))
    return records


def _stream(answer: Response) -> str | None:
    """The table's stream, when it has one enabled."""
    if isinstance(answer, Failed):
        return None
    table = (answer or {}).get("Table") or {}
    enabled = (table.get("StreamSpecification") or {}).get("StreamEnabled")
    stream = table.get("LatestStreamArn")
    return stream if enabled and isinstance(stream, str) else None


def collect(work: Work) -> list[ResourceRecord]:
    """DynamoDB for one (account, region)."""
    from providers.aws.collectors import lambda_

    records = []
    for arn in work.arns:
        if ":table/" not in arn or "/stream/" in arn:
            continue
        answer = fetch_table(work, arn)
        records.extend(translate_table(work.scope, arn, answer, work.tags.get(arn)))
        records.extend(translate_exports(work.scope, arn, *fetch_exports(work, arn)))
        stream = _stream(answer)
        if stream is not None:
            mappings = lambda_.fetch_mappings(work, EventSourceArn=stream)
            records.extend(lambda_.translate_mappings(work.scope, stream, mappings, by_source=True))
    return records
