"""Route 53 Resolver query logging: which VPCs' DNS queries are logged, and where the logs go
(``ListResolverQueryLogConfigAssociations``, ``ListResolverQueryLogConfigs``), as
``aws_route53_resolver_query_log_config`` (``destination_arn``: a bucket, log group or Firehose stream; buckets
and streams are followed and located, ``follow.py``) and ``aws_route53_resolver_query_log_config_association``
(``resource_id``: the VPC, ``resolver_query_log_config_id``: the configuration), the shape Terraform gives them.

The DNS queries of a DWP VPC are diagnostics about it: the association ties the VPC to the configuration, and the
shared meaning judges the configuration's destination as it judges the same two resources in HCL. Read once in
each region holding DWP resources: one call lists the region's associations; the configurations are listed only
when an association names a DWP VPC (every VPC, in a wholly DWP account) or a configuration is itself DWP, so the
cost grows with DWP regions, not with the account's VPCs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from providers.aws.arns import parse_arn
from providers.aws.calls import Failed
from providers.aws.collectors import Work
from providers.aws.records import Scope, live_record
from providers.semantics.records import ResourceRecord

SERVICE = "route53resolver"
_CONFIGS = "route53resolver:ListResolverQueryLogConfigs"
_ASSOCIATIONS = "route53resolver:ListResolverQueryLogConfigAssociations"


@dataclass(frozen=True)
class QueryLogAnswers:
    """The answers of one region."""

    associations: list[Any] | Failed | None
    configs: list[Any] | Failed | None
    """None when nothing DWP is associated and no configuration is DWP (not asked)."""


def _dwp_vpcs(work: Work) -> list[str]:
    """The ids of the region's DWP VPCs (tagged, or listed in a wholly DWP account)."""
    found = (parse_arn(arn) for arn in work.arns)
    return sorted(p.name for p in found if p is not None and p.service == "ec2" and p.kind == "vpc")


def _dwp_configs(work: Work) -> list[str]:
    return sorted(a for a in work.arns if a.startswith("arn:") and ":route53resolver:" in a
                  and ":resolver-query-log-config/" in a)


def _wanted(work: Work, association: Mapping[str, Any]) -> bool:
    return work.whole_account or association.get("ResourceId") in _dwp_vpcs(work)


def fetch_query_logging(work: Work) -> QueryLogAnswers:
    """The region's associations; its configurations when a DWP VPC is associated or a configuration is DWP."""
    resolver = work.client(SERVICE)
    associations = resolver.pages("list_resolver_query_log_config_associations", "ResolverQueryLogConfigAssociations",
                                  expect=("Id", "ResolverQueryLogConfigId", "ResourceId"))
    kept = [a for a in associations if _wanted(work, a)] if isinstance(associations, list) else []
    if not kept and not _dwp_configs(work):
        return QueryLogAnswers(associations, None)
    configs = resolver.pages("list_resolver_query_log_configs", "ResolverQueryLogConfigs",
                             expect=("Id", "Arn"))
    return QueryLogAnswers(associations, configs)


def _config_address(scope: Scope, config: str) -> str:
    return f"arn:aws:route53resolver:{scope.region}:{scope.account}:resolver-query-log-config/{config}"


def _association_address(scope: Scope, association: str) -> str:
    """Associations have no ARN: one per id in each (account, region)."""
    return f"arn:aws:route53resolver:{scope.region}:{scope.account}:resolver-query-log-config-association/{association}"


def _association(scope: Scope, association: str, config: Any, vpc: Any, call: str) -> ResourceRecord:
    values = {"id": association, "resolver_query_log_config_id": config, "resource_id": vpc}
    return live_record(scope, "", "aws_route53_resolver_query_log_config_association", values, call,
                       address=_association_address(scope, association),
                       fields={"resolver_query_log_config_id": "ResolverQueryLogConfigAssociations[]"
                               ".ResolverQueryLogConfigId",
                               "resource_id": "ResolverQueryLogConfigAssociations[].ResourceId"})


def _unknown_config(scope: Scope, failed: Failed, name: str) -> ResourceRecord:
    """A configuration that could not be read: the queries may be logged anywhere (unknown, never none)."""
    values = {"id": name, "name": None,
              "destination_arn": failed.unknown(f"where Route 53 Resolver logs the DNS queries of {scope.region}")}
    return live_record(scope, "", "aws_route53_resolver_query_log_config", values,
                       f"route53resolver:{failed.operation}", address=_config_address(scope, name),
                       stand_in=True)


def translate_query_logging(scope: Scope, answers: QueryLogAnswers, dwp_vpcs: Sequence[str],
                            dwp_configs: Sequence[str], whole_account: bool,
                            tags: Mapping[str, Mapping[str, str]]) -> list[ResourceRecord]:
    """The associations of DWP VPCs and the configurations they (or DWP tags) name.

    An unreadable association list ties every DWP VPC of the region to a configuration logging to an unknown
    place; an unreadable configuration list leaves each kept association's configuration unknown."""
    records: list[ResourceRecord] = []
    if isinstance(answers.associations, Failed):
        # One placeholder configuration per (account, region): ids are looked up across the whole scan.
        placeholder = f"?{scope.account}/{scope.region}"
        records.append(_unknown_config(scope, answers.associations, placeholder))
        records.extend(_association(scope, f"?{vpc}", placeholder, vpc, _ASSOCIATIONS) for vpc in dwp_vpcs)
        kept: list[Mapping[str, Any]] = []
    else:
        kept = [a for a in answers.associations or []
                if whole_account or a.get("ResourceId") in dwp_vpcs]
        records.extend(_association(scope, str(a["Id"]), a["ResolverQueryLogConfigId"], a["ResourceId"],
                                    _ASSOCIATIONS) for a in kept)
    named = {str(a["ResolverQueryLogConfigId"]) for a in kept}
    if isinstance(answers.configs, Failed):
        records.extend(_unknown_config(scope, answers.configs, name) for name in sorted(named))
        records.extend(_unknown_config(scope, answers.configs, arn.rsplit("/", 1)[-1]) for arn in dwp_configs
                       if arn.rsplit("/", 1)[-1] not in named)
        return records
    for config in answers.configs or []:
        arn = config["Arn"]
        if config["Id"] not in named and arn not in dwp_configs and not whole_account:
            continue
        values = {"id": config["Id"], "name": config.get("Name"), "destination_arn": config.get("DestinationArn"),
                  "owner_id": config.get("OwnerId"), "sharing_status": config.get("ShareStatus"),
                  "tags": dict(tags.get(arn) or {})}
        records.append(live_record(scope, arn, "aws_route53_resolver_query_log_config", values, _CONFIGS,
                                   fields={"destination_arn": "ResolverQueryLogConfigs[].DestinationArn"}))
    return records


def collect(work: Work) -> list[ResourceRecord]:
    """Query logging in one (account, region) holding DWP resources."""
    return translate_query_logging(work.scope, fetch_query_logging(work), _dwp_vpcs(work), _dwp_configs(work),
                                   work.whole_account, work.tags)
