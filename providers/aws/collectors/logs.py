"""CloudWatch Logs: subscription filters of DWP log groups, the destinations they name, and the
account-wide subscription policies of the region.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from providers.aws.arns import log_group_arn, parse_arn
from providers.aws.calls import Failed
from providers.aws.collectors import Work
from providers.aws.collectors.shapes import policy_text
from providers.aws.records import Scope, live_record
from providers.semantics.records import ResourceRecord

SERVICE = "logs"


@dataclass(frozen=True)
class LogsResponses:
    """The answers of one region."""

    filters: Mapping[str, list[Any] | Failed | None]
    """Log group ARN -> its subscription filters."""
    destinations: Mapping[str, list[Any] | Failed | None]
    """Destination ARN -> DescribeDestinations answers for its name."""
    account_policies: list[Any] | Failed | None
    """SUBSCRIPTION_FILTER_POLICY account policies (None when no DWP log group is here)."""


def fetch_logs(work: Work) -> LogsResponses:
    """Subscription filters per DWP log group, destinations named, and the region's account policies."""
    logs = work.client(SERVICE)
    groups = [a for a in work.arns if ":log-group:" in a]
    destinations = [a for a in work.arns if ":destination:" in a]
    filters = {arn: logs.pages("describe_subscription_filters", "subscriptionFilters",
                               logGroupName=arn.split(":log-group:", 1)[1]) for arn in groups}
    found = {arn: logs.pages("describe_destinations", "destinations",
                             DestinationNamePrefix=arn.split(":destination:", 1)[1]) for arn in destinations}
    policies = (logs.pages("describe_account_policies", "accountPolicies", policyType="SUBSCRIPTION_FILTER_POLICY")
                if groups else None)
    return LogsResponses(filters, found, policies)


def translate_logs(scope: Scope, answers: LogsResponses, tags: Mapping[str, Mapping[str, str]]) -> list[ResourceRecord]:
    """Log groups, their subscription filters, destinations with their policies, account policies."""
    records = []
    for arn, filters in answers.filters.items():
        arn = log_group_arn(arn)
        name = arn.split(":log-group:", 1)[1]
        group = {"name": name, "tags": dict(tags.get(arn) or {})}
        records.append(live_record(scope, arn, "aws_cloudwatch_log_group", group, "tag:GetResources"))
        if isinstance(filters, Failed):
            values: dict[str, Any] = {"name": "(unknown)", "log_group_name": name,
                                      "destination_arn": filters.unknown(f"where log group {name} is subscribed")}
            records.append(live_record(scope, "", "aws_cloudwatch_log_subscription_filter", values,
                                       "logs:DescribeSubscriptionFilters", address=f"{arn}:subscription-filter:*",
                                       stand_in=True))
            continue
        for item in filters or []:
            values = {"name": item["filterName"], "log_group_name": item.get("logGroupName", name),
                      "filter_pattern": item.get("filterPattern"), "destination_arn": item.get("destinationArn"),
                      "role_arn": item.get("roleArn"), "distribution": item.get("distribution")}
            records.append(live_record(scope, "", "aws_cloudwatch_log_subscription_filter", values,
                                       "logs:DescribeSubscriptionFilters",
                                       address=f"{arn}:subscription-filter:{item['filterName']}",
                                       fields={"destination_arn": "subscriptionFilters[].destinationArn"}))
    for arn, destinations in answers.destinations.items():
        for item in destinations if isinstance(destinations, list) else []:
            if item.get("arn") != arn:
                continue  # a prefix match of another destination
            records.append(live_record(scope, arn, "aws_cloudwatch_log_destination",
                                       {"name": item["destinationName"], "target_arn": item.get("targetArn"),
                                        "role_arn": item.get("roleArn")}, "logs:DescribeDestinations",
                                       fields={"target_arn": "destinations[].targetArn"}))
            if item.get("accessPolicy"):
                records.append(live_record(scope, "", "aws_cloudwatch_log_destination_policy",
                                           {"destination_name": item["destinationName"],
                                            "access_policy": policy_text(item["accessPolicy"])},
                                           "logs:DescribeDestinations", address=f"{arn}?policy"))
    for item in answers.account_policies if isinstance(answers.account_policies, list) else []:
        values = {"policy_name": item["policyName"], "policy_type": item.get("policyType"),
                  "policy_document": item.get("policyDocument"), "scope": item.get("scope"),
                  "selection_criteria": item.get("selectionCriteria")}
        address = f"arn:aws:logs:{scope.region}:{scope.account}:account-policy:{item['policyName']}"
        records.append(live_record(scope, "", "aws_cloudwatch_log_account_policy", values,
                                   "logs:DescribeAccountPolicies", address=address))
    return records


def collect(work: Work) -> list[ResourceRecord]:
    """CloudWatch Logs for one (account, region)."""
    arns = tuple(a for a in work.arns if (p := parse_arn(a)) is not None and p.kind in ("log-group", "destination"))
    if not arns:
        return []
    return translate_logs(work.scope, fetch_logs(Work(work.scope, work.clients, arns, work.tags)), work.tags)
