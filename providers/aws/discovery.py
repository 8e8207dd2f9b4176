"""Discovery: which regions are enabled, and which resources are DWP, for a cost that grows with DWP resources.

Regions come from ``ec2.describe_regions`` filtered here on ``OptInStatus`` (moto ignores ``AllRegions``
and filters). DWP resources come from the Resource Groups Tagging API, one paginated call per region,
deduplicated by ARN (S3 buckets and CloudFront distributions appear in every region's answer). In an
account the config names as DWP (``dwp.accounts``) every resource is DWP, tagged or not, so there the
data stores are listed service by service.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from providers.aws.arns import log_group_arn
from providers.aws.calls import Clients, Failed, ScopedClient
from providers.aws.records import tag_map

_ENABLED = ("opt-in-not-required", "opted-in")


@dataclass(frozen=True)
class Regions:
    """The account's regions, by whether they can hold anything."""

    enabled: tuple[str, ...]
    disabled: tuple[str, ...]


def enabled_regions(ec2: ScopedClient) -> Regions | Failed:
    """Enabled and not-enabled regions of the account."""
    answer = ec2.call("describe_regions", expect=("Regions",), AllRegions=True)
    if isinstance(answer, Failed):
        return answer
    return regions_of(answer or {})


def regions_of(answer: Mapping[str, Any]) -> Regions:
    """A ``describe_regions`` answer split by opt-in status (a region without one predates opt-in)."""
    enabled, disabled = [], []
    for region in answer.get("Regions") or []:
        status = region.get("OptInStatus", "opt-in-not-required")
        (enabled if status in _ENABLED else disabled).append(region["RegionName"])
    return Regions(tuple(sorted(enabled)), tuple(sorted(disabled)))


def tagged_resources(tagging: ScopedClient) -> dict[str, dict[str, str]] | Failed:
    """ARN -> tags of every tagged resource the Tagging API lists in one region."""
    found = tagging.pages("get_resources", "ResourceTagMappingList", expect=("ResourceARN",), ResourcesPerPage=100)
    if isinstance(found, Failed):
        return found
    return {item["ResourceARN"]: tag_map(item.get("Tags")) for item in found or []}


def merged(answers: Iterable[Mapping[str, dict[str, str]]]) -> dict[str, dict[str, str]]:
    """The regions' answers as one map, each ARN once."""
    result: dict[str, dict[str, str]] = {}
    for answer in answers:
        for arn, tags in answer.items():
            result.setdefault(arn, tags)
    return result


Lister = tuple[str, str, Callable[[Any, str, str], str | None]]
"""(client method, result key, item -> ARN given region and account, or None for an item that is no data store)."""


def _queue_arn(url: str, region: str, account: str) -> str:
    return f"arn:aws:sqs:{region}:{account}:{url.rstrip('/').rsplit('/', 1)[-1]}"


def _vpc_arn(vpc: Mapping[str, Any], region: str, account: str) -> str | None:
    # A default VPC comes with every region: it is no DWP data store, and its peerings are read anyway.
    return None if vpc.get("IsDefault") else f"arn:aws:ec2:{region}:{account}:vpc/{vpc['VpcId']}"

LISTINGS: dict[str, tuple[Lister, ...]] = {
    "rds": (("describe_db_instances", "DBInstances", lambda i, r, a: i["DBInstanceArn"]),
            ("describe_db_clusters", "DBClusters", lambda i, r, a: i["DBClusterArn"])),
    "kms": (("list_keys", "Keys", lambda i, r, a: i["KeyArn"]),),
    "secretsmanager": (("list_secrets", "SecretList", lambda i, r, a: i["ARN"]),),
    "logs": (("describe_log_groups", "logGroups", lambda i, r, a: log_group_arn(i["arn"])),),
    "dynamodb": (("list_tables", "TableNames", lambda i, r, a: f"arn:aws:dynamodb:{r}:{a}:table/{i}"),),
    "lambda": (("list_functions", "Functions", lambda i, r, a: i["FunctionArn"]),),
    "backup": (("list_backup_plans", "BackupPlansList", lambda i, r, a: i["BackupPlanArn"]),),
    "sqs": (("list_queues", "QueueUrls", _queue_arn),),
    "sns": (("list_topics", "Topics", lambda i, r, a: i["TopicArn"]),),
    # Every event of a DWP account's buses (its default bus too) is DWP data: their rules' targets are read.
    "events": (("list_event_buses", "EventBuses", lambda i, r, a: i["Arn"]),),
    "ec2": (("describe_vpcs", "Vpcs", _vpc_arn),),
}
"""Per service, how an account wholly DWP lists its resources in one region."""


def listed_in_region(clients: Clients, account: str, region: str, tagged: Container[str] = ()) -> list[str]:
    """Every listed resource of a wholly DWP account in one region (failed listings are coverage); an unused
    ``default`` event bus is left out (``unused_default_bus``)."""
    arns: list[str] = []
    for service, listers in LISTINGS.items():
        client = clients.get(account, region, service)
        for method, key, arn_of in listers:
            items = client.pages(method, key)
            if isinstance(items, list):
                arns.extend(arn for item in items if (arn := arn_of(item, region, account)) is not None
                            and not (service == "events" and unused_default_bus(client, arn, tagged)))
    return arns


def unused_default_bus(events: ScopedClient, arn: str, tagged: Container[str]) -> bool:
    """Whether ``arn`` is a region's ``default`` event bus that nobody uses: no tags and no rule (one
    ``ListRules``). Every region has one, as it has a default VPC: listed, each would be a DWP resource hosted
    wherever the region is. With a rule it is read (its rules' targets are where its events go); a failed
    ``ListRules`` keeps it, so the collector's own read says what is not known."""
    if not arn.endswith(":event-bus/default") or arn in tagged:
        return False
    answer = events.call("list_rules", EventBusName="default", Limit=1)
    return isinstance(answer, Mapping) and not answer.get("Rules")


def listed_buckets(s3: ScopedClient) -> list[str] | Failed:
    """Every bucket of the account, as ARNs (S3 lists buckets once, for every region)."""
    found = s3.pages("list_buckets", "Buckets", expect=("Name",))
    if isinstance(found, Failed):
        return found
    return [f"arn:aws:s3:::{item['Name']}" for item in found or []]
