"""SNS: where each DWP topic's messages are delivered (``ListSubscriptionsByTopic``): queues, streams and
functions in other regions or accounts, HTTP(S) endpoints placed by the endpoint catalogue."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from providers.aws.calls import Failed
from providers.aws.collectors import Work
from providers.aws.records import Scope, live_record
from providers.semantics.records import ResourceRecord

SERVICE = "sns"
_CALL = "sns:ListSubscriptionsByTopic"


def fetch_subscriptions(work: Work, topic: str) -> list[Any] | Failed | None:
    """ListSubscriptionsByTopic."""
    return work.client(SERVICE).pages("list_subscriptions_by_topic", "Subscriptions",
                                      expect=("Protocol", "Endpoint"), TopicArn=topic)


def translate_topic(scope: Scope, topic: str, answer: list[Any] | Failed | None,
                    tags: Mapping[str, str] | None) -> list[ResourceRecord]:
    """The topic as ``aws_sns_topic`` and each subscription as ``aws_sns_topic_subscription``; an unreadable
    list is one subscription of unknown protocol to an unknown endpoint."""
    name = topic.rsplit(":", 1)[-1]
    records = [live_record(scope, topic, "aws_sns_topic", {"name": name, "id": topic, "tags": dict(tags or {})},
                           "tag:GetResources")]
    if isinstance(answer, Failed):
        values: dict[str, Any] = {"topic_arn": topic, "protocol": answer.unknown(f"how topic {name} delivers"),
                                  "endpoint": answer.unknown(f"where topic {name} delivers")}
        records.append(live_record(scope, "", "aws_sns_topic_subscription", values, _CALL,
                                   address=f"{topic}?subscriptions", stand_in=True))
        return records
    for item in answer or []:
        # A subscription awaiting confirmation has no ARN yet; it delivers nothing until confirmed, but it was
        # asked for, so it is judged as what it would do.
        arn = item.get("SubscriptionArn") or ""
        address = arn if arn.startswith("arn:") else f"{topic}?subscription={item['Protocol']}:{item['Endpoint']}"
        values = {"topic_arn": item.get("TopicArn") or topic, "protocol": item["Protocol"],
                  "endpoint": item["Endpoint"]}
        records.append(live_record(scope, "", "aws_sns_topic_subscription", values, _CALL, address=address))
    return records


def collect(work: Work) -> list[ResourceRecord]:
    """SNS for one (account, region)."""
    return [record for topic in work.arns if topic.count(":") == 5
            for record in translate_topic(work.scope, topic, fetch_subscriptions(work, topic), work.tags.get(topic))]
