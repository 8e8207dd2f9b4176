"""One module per service: an I/O ``fetch_*`` that only calls the API, a pure ``translate_*`` from the
responses to records, and a ``collect`` that runs the two for one unit of work.

The registries below are the whole list of what the live scan reads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from providers.aws.calls import Clients, ScopedClient
from providers.aws.records import Scope
from providers.semantics.records import ResourceRecord


@dataclass(frozen=True)
class Work:
    """What one collector reads in one (account, region)."""

    scope: Scope
    """The account and region."""
    clients: Clients
    """The scan's client pool."""
    arns: tuple[str, ...]
    """The resources of this collector's service to read: DWP ones, and the ones their flows name."""
    tags: Mapping[str, Mapping[str, str]]
    """Tags by ARN, from the Tagging API (every tagged resource of the account)."""
    whole_account: bool = False
    """Every resource of the account is DWP (``dwp.accounts``, ``--scope all``): a collector that keeps only what
    belongs to DWP resources keeps everything it lists (a snapshot of a deleted database is DWP data too)."""

    def client(self, service: str) -> ScopedClient:
        """The client of ``service`` in this scope."""
        return self.clients.get(self.scope.account, self.scope.region, service)


Collector = Callable[[Work], list[ResourceRecord]]
"""Reads one unit of work into records; failed calls are coverage and ``Unknown`` values, never raised."""


def regional() -> Mapping[str, Collector]:
    """Collectors of regional services, by the service name in their resources' ARNs."""
    from providers.aws.collectors import (
        backup,
        dynamodb,
        ecs,
        efs,
        elasticache,
        events,
        firehose,
        kms,
        lambda_,
        logs,
        opensearch,
        rds,
        secretsmanager,
        sns,
    )

    return {"rds": rds.collect, "kms": kms.collect, "secretsmanager": secretsmanager.collect, "logs": logs.collect,
            "firehose": firehose.collect, "dynamodb": dynamodb.collect, "backup": backup.collect,
            "lambda": lambda_.collect, "ecs": ecs.collect, "sns": sns.collect, "events": events.collect,
            # Data stores that replicate: EFS replication, ElastiCache global datastores, OpenSearch connections.
            "elasticfilesystem": efs.collect, "elasticache": elasticache.collect, "es": opensearch.collect,
            # Queues and streams are read by the generic reader; which functions their mappings feed, here.
            "sqs": lambda_.collect_sources, "kinesis": lambda_.collect_sources}


def every_region() -> Mapping[str, Collector]:
    """Collectors that run in every enabled region whatever the Tagging API found: VPC and transit gateway
    peerings (a handful of calls per region), EBS snapshot and AMI copies and RDS and Aurora snapshot copies
    (copies carry no tag of what they copy), and ECR (repositories are not in the Tagging API, even on AWS).
    CloudTrail trails and AWS Config channels and aggregators: a few calls per region (they carry no tag of the
    DWP resources whose events and configuration they carry). GuardDuty publishing destinations and Security Hub
    finding aggregators: findings about the region's DWP resources, exported or aggregated elsewhere.
    Athena workgroups, Glue jobs, API Gateway APIs and Step Functions state machines: the DWP ones (``Work.arns``),
    and in a wholly DWP account every one, listed (no call where there is none and the account is not DWP)."""
    from providers.aws.collectors import (
        apigateway,
        apigatewayv2,
        athena,
        cloudtrail,
        config,
        ec2,
        ecr,
        glue,
        guardduty,
        rds_snapshots,
        securityhub,
        snapshots,
        stepfunctions,
    )

    return {"ec2": _together(ec2.collect, snapshots.collect), "ecr": ecr.collect, "rds": rds_snapshots.collect,
            "cloudtrail": cloudtrail.collect, "config": config.collect, "guardduty": guardduty.collect,
            "securityhub": securityhub.collect, "athena": athena.collect, "glue": glue.collect,
            "apigateway": _together(apigateway.collect, apigatewayv2.collect), "states": stepfunctions.collect}


def dwp_regions() -> Mapping[str, Collector]:
    """Collectors that run once in each region holding DWP resources (of any service; ``Work.arns`` holds them
    all): settings of the region that carry every resource's data or telemetry, such as metric streams, and
    ways in to them: S3 access points (of the DWP buckets located here) and RAM resource shares; Route 53 Resolver
    query logging (the DNS queries of the region's DWP VPCs)."""
    from providers.aws.collectors import cloudwatch, ram, route53resolver, s3control

    return {"cloudwatch": cloudwatch.collect, "s3control": s3control.collect_access_points, "ram": ram.collect,
            "route53resolver": route53resolver.collect}


def once_per_account() -> Mapping[str, Collector]:
    """Collectors that run once per account (``Work.arns``: every DWP resource of the account; ``Work.scope``: its
    home region): settings of the whole account whose API answers in one region, such as S3 Multi-Region Access
    Points (us-west-2), which join buckets of any region."""
    from providers.aws.collectors import s3control

    return {"s3control": s3control.collect_multi_region_access_points}


def receivers() -> Mapping[str, Collector]:
    """Collectors of the receivers a flow names but the scan did not read (``providers.aws.follow``), by the
    service in their ARNs: Firehose streams, Logs destinations, and Lambda functions (their settings only, one
    call each: a function passes data on as its settings say)."""
    from providers.aws.collectors import firehose, lambda_, logs

    return {"firehose": firehose.collect, "logs": logs.collect, "lambda": lambda_.collect_receivers}


def _together(*collectors: Collector) -> Collector:
    """Several collectors of one service's resources, run one after the other on the same work."""
    return lambda work: [record for collect in collectors for record in collect(work)]


def generic() -> Collector:
    """The reader of what no collector above reads: Cloud Control API's GetResource, judged by the net."""
    from providers.aws.collectors import cloudcontrol

    return cloudcontrol.collect
