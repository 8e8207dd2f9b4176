"""Security Hub: the finding aggregator of the account (``DescribeHub``, then, where Security Hub is enabled,
``ListFindingAggregators``, ``GetFindingAggregator``:
``FindingAggregationRegion``, ``RegionLinkingMode``, ``Regions``), as ``aws_securityhub_finding_aggregator``. The
findings about the DWP resources of every linked region are copied into the aggregation region. An aggregator is
listed in every region; it is recorded once, in its aggregation region (its ARN's).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from providers.aws.arns import parse_arn
from providers.aws.calls import Failed, Response
from providers.aws.collectors import Work
from providers.aws.records import Scope, live_record
from providers.semantics.records import ResourceRecord

SERVICE = "securityhub"
_CALL = "securityhub:GetFindingAggregator"
_FIELDS = {"linking_mode": "RegionLinkingMode", "specified_regions": "Regions",
           "region": "FindingAggregationRegion"}


def fetch_hub(work: Work) -> Response:
    """DescribeHub: ``None`` where Security Hub is not enabled (``InvalidAccessException``: not subscribed), so no
    aggregator can live in the region."""
    return work.client(SERVICE).call("describe_hub", absent=("InvalidAccessException",))


def fetch_aggregators(work: Work) -> list[Any] | Failed | None:
    return work.client(SERVICE).pages("list_finding_aggregators", "FindingAggregators",
                                      absent=("InvalidAccessException",), expect=("FindingAggregatorArn",))


def fetch_aggregator(work: Work, arn: str) -> Response:
    return work.client(SERVICE).call("get_finding_aggregator", FindingAggregatorArn=arn)


def _unknown(scope: Scope, address: str, failed: Failed, call: str) -> ResourceRecord:
    """An aggregator that could not be read: the region's findings may be aggregated anywhere (unknown)."""
    unknown = failed.unknown("where Security Hub aggregates the region's findings")
    values = {"linking_mode": unknown, "specified_regions": unknown}
    return live_record(scope, "", "aws_securityhub_finding_aggregator", values, call, address=address,
                       region=unknown, stand_in=True)


def translate_aggregator(scope: Scope, arn: str, answer: Response) -> ResourceRecord | None:
    """The aggregator as ``aws_securityhub_finding_aggregator`` in its aggregation region; None when another
    region's listing (not its own) names it, so it is recorded once."""
    parsed = parse_arn(arn)
    home = parsed.region if parsed is not None and parsed.region else None
    if isinstance(answer, Failed):
        return _unknown(scope, arn, answer, _CALL)
    answer = answer or {}
    region = answer.get("FindingAggregationRegion") or home
    if region and region != scope.region:
        return None
    values = {"linking_mode": answer.get("RegionLinkingMode"), "specified_regions": list(answer.get("Regions") or [])}
    return live_record(Scope(scope.account, region or scope.region), arn, "aws_securityhub_finding_aggregator",
                       values, _CALL, fields=_FIELDS, asked=scope)


def collect(work: Work) -> list[ResourceRecord]:
    """Security Hub in one (account, region): a failed listing is an unknown aggregator, never none."""
    hub = fetch_hub(work)
    aggregators = hub if isinstance(hub, Failed) else fetch_aggregators(work) if hub is not None else None
    if isinstance(aggregators, Failed):
        scope = work.scope
        call = "securityhub:DescribeHub" if isinstance(hub, Failed) else "securityhub:ListFindingAggregators"
        return [_unknown(scope, f"arn:aws:securityhub:{scope.region}:{scope.account}:finding-aggregator/?",
                         aggregators, call)]
    records = []
    for item in aggregators or []:
        if not isinstance(item, Mapping):
            continue
        arn = str(item["FindingAggregatorArn"])
        parsed = parse_arn(arn)
        if parsed is not None and parsed.region and parsed.region != work.scope.region:
            continue  # read in its own region
        record = translate_aggregator(work.scope, arn, fetch_aggregator(work, arn))
        if record is not None:
            records.append(record)
    return records
