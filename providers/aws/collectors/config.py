"""AWS Config: where the region's configuration items and snapshots are delivered (``DescribeDeliveryChannels``:
``s3BucketName``, the bucket followed and located, ``snsTopicARN``), what records them
(``DescribeConfigurationRecorders``, asked only when a channel delivers), and the aggregators that copy other
accounts' and regions' configuration into this one (``DescribeConfigurationAggregators``), as
``aws_config_delivery_channel``, ``aws_config_configuration_recorder`` and ``aws_config_configuration_aggregator``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from providers.aws.calls import Failed
from providers.aws.collectors import Work
from providers.aws.records import Scope, live_record
from providers.semantics.records import ResourceRecord

SERVICE = "config"


def _address(scope: Scope, kind: str, name: str) -> str:
    """Channels and recorders have no ARN: one per name in each (account, region)."""
    return f"arn:aws:config:{scope.region}:{scope.account}:{kind}/{name}"


def fetch_channels(work: Work) -> list[Any] | Failed | None:
    return work.client(SERVICE).pages("describe_delivery_channels", "DeliveryChannels", expect=("name",))


def fetch_recorders(work: Work) -> list[Any] | Failed | None:
    return work.client(SERVICE).pages("describe_configuration_recorders", "ConfigurationRecorders", expect=("name",))


def fetch_aggregators(work: Work) -> list[Any] | Failed | None:
    return work.client(SERVICE).pages("describe_configuration_aggregators", "ConfigurationAggregators",
                                      expect=("ConfigurationAggregatorName", "ConfigurationAggregatorArn"))


def translate_channels(scope: Scope, channels: list[Any] | Failed | None) -> list[ResourceRecord]:
    """Each channel as ``aws_config_delivery_channel``; an unreadable list is one channel delivering to an unknown
    bucket (the region's configuration may be leaving: unknown, never a pass)."""
    if isinstance(channels, Failed):
        values: dict[str, Any] = {"name": None, "s3_bucket_name": channels.unknown("where AWS Config delivers")}
        return [live_record(scope, "", "aws_config_delivery_channel", values, "config:DescribeDeliveryChannels",
                            address=_address(scope, "delivery-channel", "?"), stand_in=True)]
    records = []
    for channel in channels or []:
        delivery = channel.get("configSnapshotDeliveryProperties") or {}
        values = {"name": channel["name"], "s3_bucket_name": channel.get("s3BucketName"),
                  "s3_key_prefix": channel.get("s3KeyPrefix"), "s3_kms_key_arn": channel.get("s3KmsKeyArn"),
                  "sns_topic_arn": channel.get("snsTopicARN"),
                  "snapshot_delivery_properties": [{"delivery_frequency": delivery.get("deliveryFrequency")}]
                  if delivery else []}
        records.append(live_record(scope, "", "aws_config_delivery_channel", values,
                                   "config:DescribeDeliveryChannels",
                                   address=_address(scope, "delivery-channel", channel["name"]),
                                   fields={"s3_bucket_name": "DeliveryChannels[].s3BucketName",
                                           "sns_topic_arn": "DeliveryChannels[].snsTopicARN"}))
    return records


def translate_recorders(scope: Scope, recorders: list[Any] | Failed | None) -> list[ResourceRecord]:
    """Each recorder as ``aws_config_configuration_recorder`` (what it records: ``recording_group``)."""
    records = []
    for recorder in recorders if isinstance(recorders, list) else []:
        group = recorder.get("recordingGroup") or {}
        values = {"name": recorder["name"], "role_arn": recorder.get("roleARN"),
                  "recording_group": [{"all_supported": group.get("allSupported"),
                                       "include_global_resource_types": group.get("includeGlobalResourceTypes"),
                                       "resource_types": list(group.get("resourceTypes") or [])}] if group else []}
        records.append(live_record(scope, "", "aws_config_configuration_recorder", values,
                                   "config:DescribeConfigurationRecorders",
                                   address=_address(scope, "configuration-recorder", recorder["name"])))
    return records


def translate_aggregators(scope: Scope, aggregators: list[Any] | Failed | None) -> list[ResourceRecord]:
    """Each aggregator as ``aws_config_configuration_aggregator``, in the region it lives in (its ARN's)."""
    records = []
    for aggregator in aggregators if isinstance(aggregators, list) else []:
        accounts = [{"account_ids": list(s.get("AccountIds") or []), "all_regions": s.get("AllAwsRegions"),
                     "regions": list(s.get("AwsRegions") or [])}
                    for s in aggregator.get("AccountAggregationSources") or [] if isinstance(s, Mapping)]
        organisation = aggregator.get("OrganizationAggregationSource")
        values = {"name": aggregator["ConfigurationAggregatorName"], "account_aggregation_source": accounts,
                  "organization_aggregation_source": [
                      {"all_regions": organisation.get("AllAwsRegions"),
                       "regions": list(organisation.get("AwsRegions") or []), "role_arn": organisation.get("RoleArn")}]
                  if isinstance(organisation, Mapping) else []}
        fields = {"account_aggregation_source.account_ids": "AccountAggregationSources[].AccountIds",
                  "account_aggregation_source.regions": "AccountAggregationSources[].AwsRegions",
                  "organization_aggregation_source.all_regions": "OrganizationAggregationSource.AllAwsRegions"}
        records.append(live_record(scope, aggregator["ConfigurationAggregatorArn"],
                                   "aws_config_configuration_aggregator", values,
                                   "config:DescribeConfigurationAggregators", fields=fields))
    return records


def collect(work: Work) -> list[ResourceRecord]:
    """AWS Config in one (account, region): a failed aggregator listing is the region's config coverage gap."""
    channels = fetch_channels(work)
    records = translate_channels(work.scope, channels)
    if channels:
        records.extend(translate_recorders(work.scope, fetch_recorders(work)))
    records.extend(translate_aggregators(work.scope, fetch_aggregators(work)))
    return records
