"""EventBridge: the rules of each DWP event bus (every rule of the bus sees its events) and of each DWP rule, with
their targets (``ListRules``, ``ListTargetsByRule``): buses in other regions or accounts, queues, streams,
functions, API destinations (``DescribeApiDestination``: the endpoint they call, placed by the endpoint catalogue).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from providers.aws.arns import parse_arn
from providers.aws.calls import Failed, Response
from providers.aws.collectors import Work
from providers.aws.records import Scope, live_record
from providers.semantics.records import ResourceRecord

SERVICE = "events"


@dataclass(frozen=True)
class EventResponses:
    """The answers of one region."""

    rules: Mapping[str, list[Any] | Failed | None]
    """DWP bus ARN -> ListRules of the bus."""
    targets: Mapping[str, list[Any] | Failed | None]
    """Rule ARN -> ListTargetsByRule."""
    destinations: Mapping[str, Response]
    """API destination ARN -> DescribeApiDestination."""


def _bus_of_rule(arn: str) -> str:
    """The bus a rule ARN names: ``rule/NAME`` is on the default bus, ``rule/BUS/NAME`` on BUS."""
    parts = arn.split(":rule/", 1)[1].split("/")
    return parts[0] if len(parts) > 1 else "default"


def fetch_events(work: Work) -> EventResponses:
    """ListRules of each DWP bus, ListTargetsByRule of each of their rules and of each DWP rule, and the API
    destinations the targets name."""
    events = work.client(SERVICE)
    buses = [a for a in work.arns if ":event-bus/" in a]
    rules = {bus: events.pages("list_rules", "Rules", expect=("Arn", "Name"), EventBusName=bus) for bus in buses}
    wanted = {a: (_bus_of_rule(a), a.rsplit("/", 1)[-1]) for a in work.arns if ":rule/" in a}
    for bus, listed in rules.items():
        for rule in listed if isinstance(listed, list) else []:
            wanted.setdefault(rule["Arn"], (bus, rule["Name"]))
    targets = {arn: events.pages("list_targets_by_rule", "Targets", expect=("Arn",), Rule=name, EventBusName=bus)
               for arn, (bus, name) in sorted(wanted.items())}
    named = {t["Arn"] for found in targets.values() if isinstance(found, list) for t in found
             if ":api-destination/" in t["Arn"] and (p := parse_arn(t["Arn"])) is not None
             and (p.account, p.region) == (work.scope.account, work.scope.region)}
    destinations = {arn: events.call("describe_api_destination", expect=("InvocationEndpoint",),
                                     Name=arn.split(":api-destination/", 1)[1].split("/", 1)[0])
                    for arn in sorted(named)}
    return EventResponses(rules, targets, destinations)


def translate_events(scope: Scope, answers: EventResponses,
                     tags: Mapping[str, Mapping[str, str]]) -> list[ResourceRecord]:
    """Buses as ``aws_cloudwatch_event_bus``, rules as ``aws_cloudwatch_event_rule``, targets as
    ``aws_cloudwatch_event_target`` (``arn`` the receiver, ``event_bus_name`` and ``rule`` by ARN so the
    subject is found whatever its name), API destinations as ``aws_cloudwatch_event_api_destination``."""
    records = []
    for bus, listed in answers.rules.items():
        name = bus.split(":event-bus/", 1)[1]
        records.append(live_record(scope, bus, "aws_cloudwatch_event_bus",
                                   {"name": name, "tags": dict(tags.get(bus) or {})}, "events:ListRules"))
        if isinstance(listed, Failed):
            records.append(_unknown_target(scope, bus, bus, listed))
        for rule in listed if isinstance(listed, list) else []:
            records.append(live_record(scope, rule["Arn"], "aws_cloudwatch_event_rule",
                                       {"name": rule["Name"], "event_bus_name": bus,
                                        "event_pattern": rule.get("EventPattern"), "state": rule.get("State"),
                                        "tags": dict(tags.get(rule["Arn"]) or {})}, "events:ListRules"))
    for rule, found in answers.targets.items():
        bus = f"arn:aws:events:{scope.region}:{scope.account}:event-bus/{_bus_of_rule(rule)}"
        if rule in tags and not any(r.address == rule for r in records):
            records.append(live_record(scope, rule, "aws_cloudwatch_event_rule",
                                       {"name": rule.rsplit("/", 1)[-1], "event_bus_name": bus,
                                        "tags": dict(tags[rule])}, "tag:GetResources"))
        if isinstance(found, Failed):
            records.append(_unknown_target(scope, bus, rule, found))
            continue
        for target in found or []:
            values = {"rule": rule, "event_bus_name": bus, "target_id": target.get("Id"), "arn": target["Arn"],
                      "role_arn": target.get("RoleArn")}
            records.append(live_record(scope, "", "aws_cloudwatch_event_target", values,
                                       "events:ListTargetsByRule", address=f"{rule}?target={target.get('Id')}"))
    for arn, answer in answers.destinations.items():
        endpoint: Any = answer.unknown(f"the endpoint of {arn}") if isinstance(answer, Failed) else \
            (answer or {}).get("InvocationEndpoint")
        records.append(live_record(scope, arn, "aws_cloudwatch_event_api_destination",
                                   {"name": arn.split(":api-destination/", 1)[1].split("/", 1)[0],
                                    "invocation_endpoint": endpoint}, "events:DescribeApiDestination"))
    return records


def _unknown_target(scope: Scope, bus: str, rule: str, failed: Failed) -> ResourceRecord:
    """A target of unknown receiver: the rules or targets of ``rule`` (or of every rule of a bus) were not read."""
    values = {"rule": rule, "event_bus_name": bus, "arn": failed.unknown(f"where {rule} sends events")}
    return live_record(scope, "", "aws_cloudwatch_event_target", values, f"events:{failed.operation}",
                       address=f"{rule}?targets", stand_in=True)


def collect(work: Work) -> list[ResourceRecord]:
    """EventBridge for one (account, region)."""
    arns = tuple(a for a in work.arns if ":event-bus/" in a or ":rule/" in a)
    if not arns:
        return []
    return translate_events(work.scope, fetch_events(Work(work.scope, work.clients, arns, work.tags)), work.tags)
