"""ECR: repositories (with their tags: ECR repositories are not in the Tagging API, even on AWS) and the
registry's replication configuration."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from providers.aws.calls import Failed, Response
from providers.aws.collectors import Work
from providers.aws.collectors.shapes import blocks
from providers.aws.records import Scope, live_record, tag_map
from providers.semantics.records import ResourceRecord

SERVICE = "ecr"


@dataclass(frozen=True)
class RegistryResponses:
    """The answers of one region."""

    repositories: list[Any] | Failed | None
    tags: Mapping[str, Response]
    registry: Response


def fetch_registry(work: Work) -> RegistryResponses:
    """DescribeRepositories, the tags of each, and DescribeRegistry when there is any repository."""
    ecr = work.client(SERVICE)
    repositories = ecr.pages("describe_repositories", "repositories")
    found = repositories if isinstance(repositories, list) else []
    tags = {r["repositoryArn"]: ecr.call("list_tags_for_resource", resourceArn=r["repositoryArn"]) for r in found}
    registry = ecr.call("describe_registry") if found else None
    return RegistryResponses(repositories, tags, registry)


def translate_registry(scope: Scope, answers: RegistryResponses) -> list[ResourceRecord]:
    """Repositories as ``aws_ecr_repository`` and the replication as ``aws_ecr_replication_configuration``."""
    records = []
    for repository in answers.repositories if isinstance(answers.repositories, list) else []:
        arn = repository["repositoryArn"]
        answer = answers.tags.get(arn)
        tags: Any = answer.unknown(f"the tags of {arn}") if isinstance(answer, Failed) else tag_map(
            (answer or {}).get("tags"))
        records.append(live_record(scope, arn, "aws_ecr_repository",
                                   {"name": repository["repositoryName"], "tags": tags}, "ecr:DescribeRepositories"))
    address = f"arn:aws:ecr:{scope.region}:{scope.account}:registry?replication"
    if isinstance(answers.registry, Failed):
        rule: Any = [{"destination": [{"region": answers.registry.unknown("where the registry replicates")}]}]
    else:
        configuration = (answers.registry or {}).get("replicationConfiguration") or {}
        rule = [_rule(r) for r in configuration.get("rules") or []]
    if rule:
        records.append(live_record(scope, "", "aws_ecr_replication_configuration",
                                   {"replication_configuration": [{"rule": rule}]}, "ecr:DescribeRegistry",
                                   address=address))
    return records


def _rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    """An API replication rule in the schema's shape: the API's ``destinations`` and ``repositoryFilters`` lists
    are Terraform's repeated ``destination`` and ``repository_filter`` blocks."""
    return {"destination": [blocks(d) for d in rule.get("destinations") or []],
            "repository_filter": [blocks(f) for f in rule.get("repositoryFilters") or []]}


def collect(work: Work) -> list[ResourceRecord]:
    """ECR for one (account, region)."""
    return translate_registry(work.scope, fetch_registry(work))
