"""ECS: each DWP task definition's container definitions (log drivers, FireLens, environment), as
``aws_ecs_task_definition.container_definitions`` (JSON text in the API's own shape, as in Terraform)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from providers.aws.calls import Failed, Response
from providers.aws.collectors import Work
from providers.aws.records import Scope, live_record
from providers.semantics.records import ResourceRecord

SERVICE = "ecs"


def fetch_task_definition(work: Work, arn: str) -> Response:
    """DescribeTaskDefinition."""
    return work.client(SERVICE).call("describe_task_definition", taskDefinition=arn)


def translate_task_definition(scope: Scope, arn: str, answer: Response,
                              tags: Mapping[str, str] | None) -> list[ResourceRecord]:
    """The task definition; an unreadable one has unknown container definitions."""
    family = arn.split(":task-definition/", 1)[1].split(":", 1)[0]
    if isinstance(answer, Failed):
        containers: Any = answer.unknown(f"the containers of task definition {family}")
    else:
        containers = json.dumps(((answer or {}).get("taskDefinition") or {}).get("containerDefinitions") or [],
                                sort_keys=True, default=str)
    values = {"family": family, "container_definitions": containers, "tags": dict(tags or {})}
    return [live_record(scope, arn, "aws_ecs_task_definition", values, "ecs:DescribeTaskDefinition")]


def collect(work: Work) -> list[ResourceRecord]:
    """ECS for one (account, region)."""
    return [record for arn in work.arns if ":task-definition/" in arn
            for record in translate_task_definition(work.scope, arn, fetch_task_definition(work, arn),
                                                    work.tags.get(arn))]
