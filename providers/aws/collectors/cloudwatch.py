"""CloudWatch metric streams: where each stream of a region holding DWP resources sends the region's metrics
(``ListMetricStreams``, ``GetMetricStream``: its Firehose stream and namespace filters), as
``aws_cloudwatch_metric_stream``. The Firehose stream is followed to its destinations (``follow.py``); the shared
meaning judges the region's DWP resources whose metrics the filters let through as the flow's subjects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from providers.aws.calls import Failed, Response
from providers.aws.collectors import Work
from providers.aws.records import Scope, live_record
from providers.semantics.records import ResourceRecord

SERVICE = "cloudwatch"
_GET = "cloudwatch:GetMetricStream"


@dataclass(frozen=True)
class StreamAnswers:
    """The answers of one region."""

    listed: list[Any] | Failed | None
    streams: Mapping[str, Response]
    """Stream ARN -> GetMetricStream."""


def fetch_streams(work: Work) -> StreamAnswers:
    """ListMetricStreams, then GetMetricStream of each (the list names no filters)."""
    cloudwatch = work.client(SERVICE)
    listed = cloudwatch.pages("list_metric_streams", "Entries", expect=("Arn", "Name"))
    if not isinstance(listed, list):
        return StreamAnswers(listed, {})
    return StreamAnswers(listed, {e["Arn"]: cloudwatch.call("get_metric_stream", expect=("Arn",), Name=e["Name"])
                                  for e in listed})


def _filters(found: Any) -> list[dict[str, Any]]:
    return [{"namespace": f.get("Namespace"), "metric_names": list(f.get("MetricNames") or [])}
            for f in found or []]


def translate_streams(scope: Scope, answers: StreamAnswers) -> list[ResourceRecord]:
    """Each stream as ``aws_cloudwatch_metric_stream`` (``firehose_arn``, ``include_filter``, ``exclude_filter``);
    an unreadable list is one stream of the region delivering to an unknown place."""
    if isinstance(answers.listed, Failed):
        values: dict[str, Any] = {"firehose_arn": answers.listed.unknown(f"where the metrics of {scope.region} are "
                                                                         "streamed")}
        return [live_record(scope, "", "aws_cloudwatch_metric_stream", values, "cloudwatch:ListMetricStreams",
                            address=f"arn:aws:cloudwatch:{scope.region}:{scope.account}:metric-stream?streams",
                            stand_in=True)]
    records = []
    for entry in answers.listed or []:
        arn, answer = entry["Arn"], answers.streams.get(entry["Arn"])
        values = {"name": entry["Name"], "firehose_arn": entry.get("FirehoseArn"),
                  "output_format": entry.get("OutputFormat"), "state": entry.get("State")}
        if isinstance(answer, Failed):
            # Which metrics go is not known: every namespace, as a stream without filters sends.
            values["include_filter"] = [{"namespace": answer.unknown(f"which metrics {arn} sends")}]
        else:
            answer = answer or {}
            values.update(firehose_arn=answer.get("FirehoseArn") or values["firehose_arn"],
                          role_arn=answer.get("RoleArn"), include_filter=_filters(answer.get("IncludeFilters")),
                          exclude_filter=_filters(answer.get("ExcludeFilters")),
                          include_linked_accounts_metrics=answer.get("IncludeLinkedAccountsMetrics"))
        records.append(live_record(scope, arn, "aws_cloudwatch_metric_stream", values, _GET,
                                   fields={"firehose_arn": "FirehoseArn", "include_filter.namespace":
                                           "IncludeFilters[].Namespace"}))
    return records


def collect(work: Work) -> list[ResourceRecord]:
    """Metric streams for one (account, region) holding DWP resources."""
    return translate_streams(work.scope, fetch_streams(work))
