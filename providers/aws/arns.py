"""ARNs: what the Resource Groups Tagging API returns, read into service, region, account and resource."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

_ARN = re.compile(
    r"^arn:(?P<partition>aws[\w-]*):(?P<service>[^:]+):(?P<region>[^:]*):(?P<account>[^:]*):(?P<rest>.+)$"
)
_NO_KIND = {"s3": "bucket", "sqs": "queue", "sns": "topic"}
"""Services whose ARNs name the resource with no type segment."""

KINDS_FILE = Path(__file__).with_name("collectors") / "arn_types.yaml"


@dataclass(frozen=True)
class Kind:
    """What the scan knows of one ARN kind (a row of ``collectors/arn_types.yaml``)."""

    terraform: str
    """The Terraform type a resource of this kind has."""
    cloudformation: str | None = None
    """The CloudFormation type Cloud Control API reads it as, where no collector reads it closely."""
    identifier: str | None = None
    """The template of its Cloud Control primary identifier, written from the ARN."""


@functools.cache
def kinds() -> dict[tuple[str, str], Kind]:
    """(service, resource kind) -> what the scan knows of it."""
    from scanner.yaml_data import load_yaml

    raw = load_yaml(KINDS_FILE.read_text(encoding="utf-8"))["kinds"]
    return {tuple(key.split("/", 1)): Kind(**row) for key, row in raw.items()}  # type: ignore[misc]


@dataclass(frozen=True)
class Arn:
    """One ARN, split."""

    partition: str
    service: str
    region: str
    """Empty for global resources (S3 buckets, IAM, CloudFront)."""
    account: str
    """Empty for S3 buckets."""
    kind: str
    """The resource type segment (``db``, ``log-group``, ``table``); ``bucket`` for S3."""
    name: str
    """What follows the kind (a log group's name, a table's name, a bucket's name)."""

    @property
    def terraform_type(self) -> str | None:
        """The Terraform type of the resource, if offshore-scan knows it."""
        kind = kinds().get((self.service, self.kind))
        return kind.terraform if kind is not None else None


def parse_arn(value: str) -> Arn | None:
    """The parts of an ARN; None for anything else."""
    match = _ARN.match(value)
    if match is None:
        return None
    service, rest = match["service"], match["rest"]
    if service in _NO_KIND:
        kind, name = _NO_KIND[service], rest
    else:
        # API Gateway writes a path with no account: ``arn:aws:apigateway:REGION::/restapis/ID``.
        parts = re.split(r"[:/]", rest.removeprefix("/") if service == "apigateway" else rest, maxsplit=1)
        kind, name = parts[0], parts[1] if len(parts) > 1 else ""
    return Arn(match["partition"], service, match["region"], match["account"], kind, name)


def log_group_arn(arn: str) -> str:
    """A log group's ARN without the ``:*`` that DescribeLogGroups appends."""
    return arn[:-2] if arn.endswith(":*") else arn
