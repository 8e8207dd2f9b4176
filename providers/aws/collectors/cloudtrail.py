"""CloudTrail: each trail whose home is the region (``DescribeTrails``, ``includeShadowTrails`` false, so a
multi-Region or organisation trail is read once, where it lives) and its event selectors (``GetEventSelectors``:
basic data resources and advanced field selectors), as ``aws_cloudtrail``: where it delivers
(``s3_bucket_name``, the bucket followed and located; ``cloud_watch_logs_group_arn``), ``kms_key_id``, and the
data events it logs (``event_selector``, ``advanced_event_selector``), so the shared meaning can say which DWP
resources' events leave with it. ``GetTrailStatus`` is not asked: a stopped trail still names where it delivers,
and starting it again changes no configuration.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from providers.aws.calls import Failed, Response
from providers.aws.collectors import Work
from providers.aws.collectors.shapes import snake
from providers.aws.records import Scope, live_record
from providers.semantics.records import ResourceRecord

SERVICE = "cloudtrail"
_FIELDS = {"s3_bucket_name": "trailList[].S3BucketName",
           "cloud_watch_logs_group_arn": "trailList[].CloudWatchLogsLogGroupArn",
           "kms_key_id": "trailList[].KmsKeyId", "is_multi_region_trail": "trailList[].IsMultiRegionTrail",
           "is_organization_trail": "trailList[].IsOrganizationTrail"}


def fetch_trails(work: Work) -> list[Any] | Failed | None:
    """DescribeTrails of the region's own trails (no shadow trails: each trail is read in its home region)."""
    return work.client(SERVICE).pages("describe_trails", "trailList", expect=("Name", "TrailARN"),
                                      includeShadowTrails=False)


def fetch_selectors(work: Work, trail: str) -> Response:
    """GetEventSelectors of one trail."""
    return work.client(SERVICE).call("get_event_selectors", TrailName=trail)


def _event_selectors(answer: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Basic selectors in the schema's shape: ``event_selector[].data_resource[]{type, values}``."""
    return [{"read_write_type": s.get("ReadWriteType"), "include_management_events": s.get("IncludeManagementEvents"),
             "exclude_management_event_sources": list(s.get("ExcludeManagementEventSources") or []),
             "data_resource": [{"type": d.get("Type"), "values": list(d.get("Values") or [])}
                               for d in s.get("DataResources") or [] if isinstance(d, Mapping)]}
            for s in answer.get("EventSelectors") or [] if isinstance(s, Mapping)]


def _advanced_selectors(answer: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Advanced selectors: ``advanced_event_selector[]{name, field_selector[]{field, equals, starts_with...}}``."""
    return [{"name": s.get("Name"),
             "field_selector": [{snake(k): (list(v) if isinstance(v, list) else v) for k, v in f.items()}
                                for f in s.get("FieldSelectors") or [] if isinstance(f, Mapping)]}
            for s in answer.get("AdvancedEventSelectors") or [] if isinstance(s, Mapping)]


def translate_trails(scope: Scope, trails: list[Any] | Failed | None, selectors: Mapping[str, Response],
                     tags: Mapping[str, Mapping[str, str]]) -> list[ResourceRecord]:
    """Each trail as ``aws_cloudtrail``; selectors that could not be read are unknown (the call is a gap)."""
    if isinstance(trails, Failed):
        return []  # the failed listing is the region's cloudtrail coverage gap; no trail is invented
    records = []
    for trail in trails or []:
        arn = trail["TrailARN"]
        answer = selectors.get(arn)
        values: dict[str, Any] = {
            "name": trail["Name"], "s3_bucket_name": trail.get("S3BucketName"),
            "s3_key_prefix": trail.get("S3KeyPrefix"),
            "cloud_watch_logs_group_arn": trail.get("CloudWatchLogsLogGroupArn"),
            "cloud_watch_logs_role_arn": trail.get("CloudWatchLogsRoleArn"), "kms_key_id": trail.get("KmsKeyId"),
            "sns_topic_name": trail.get("SnsTopicARN") or trail.get("SnsTopicName"),
            "is_multi_region_trail": trail.get("IsMultiRegionTrail"),
            "is_organization_trail": trail.get("IsOrganizationTrail"),
            "include_global_service_events": trail.get("IncludeGlobalServiceEvents"),
            "tags": dict(tags.get(arn) or {})}
        fields = dict(_FIELDS)
        if isinstance(answer, Failed):
            values["event_selector"] = answer.unknown(f"which events trail {trail['Name']} logs")
            values["advanced_event_selector"] = values["event_selector"]
        elif answer is not None:
            values["event_selector"] = _event_selectors(answer)
            values["advanced_event_selector"] = _advanced_selectors(answer)
            fields.update({"event_selector.data_resource.values": "EventSelectors[].DataResources[].Values",
                           "advanced_event_selector.field_selector": "AdvancedEventSelectors[].FieldSelectors[]"})
        record = live_record(scope, arn, "aws_cloudtrail", values, "cloudtrail:DescribeTrails", fields=fields)
        if answer is not None:
            said = f"cloudtrail:GetEventSelectors (account {scope.account}, region {scope.region})"
            provenance = {**record.provenance, "event_selector": (f"event_selector from {said}",),
                          "advanced_event_selector": (f"advanced_event_selector from {said}",)}
            record = replace(record, provenance=provenance)
        records.append(record)
    return records


def collect(work: Work) -> list[ResourceRecord]:
    """The trails that live in one (account, region)."""
    trails = fetch_trails(work)
    selectors = {t["TrailARN"]: fetch_selectors(work, t["TrailARN"])
                 for t in trails if isinstance(t, Mapping)} if isinstance(trails, list) else {}
    return translate_trails(work.scope, trails, selectors, work.tags)
