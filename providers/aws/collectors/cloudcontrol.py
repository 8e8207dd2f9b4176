"""The generic reader: every DWP resource of a kind no collector reads, read with AWS Cloud Control API.

``cloudcontrol:GetResource`` answers any resource type CloudFormation models with its properties as JSON.
They become a record of the Terraform type of the resource's ARN kind (``arn_types.yaml``), the properties in
snake case, so the net beneath the resource map (``providers/semantics/lineage.py``) judges what the record
names (ARNs, regions, bucket names, endpoints, references), whatever its type, with no per-type code. A
denied or unsupported read is a coverage gap naming the call; the resource is then placed by its ARN only.
One request per resource: the cost grows with DWP resources, never with the account.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from providers.aws.arns import Arn, Kind, kinds, parse_arn
from providers.aws.calls import Failed, Response
from providers.aws.collectors import Work
from providers.aws.collectors.shapes import blocks
from providers.aws.records import Scope, live_record, located_record, tag_map
from providers.semantics.records import ResourceRecord
from scanner.model import ScopeStatus

SERVICE = "cloudcontrol"
CALL = "cloudcontrol:GetResource"


def kind_of(arn: str) -> tuple[Arn, Kind] | None:
    """The ARN and its kind, when Cloud Control can read it."""
    parsed = parse_arn(arn)
    kind = kinds().get((parsed.service, parsed.kind)) if parsed is not None else None
    if parsed is None or kind is None or kind.cloudformation is None or kind.identifier is None:
        return None
    return parsed, kind


def identifier(arn: str, parsed: Arn, kind: Kind) -> str:
    """The resource's primary identifier, as the CloudFormation schema of its type writes it."""
    assert kind.identifier is not None
    segments = [s for s in parsed.name.replace(":", "/").split("/") if s]
    return kind.identifier.format(arn=arn, partition=parsed.partition, region=parsed.region, account=parsed.account,
                                  name=parsed.name, last=segments[-1] if segments else "",
                                  first=segments[0] if segments else "")


def fetch_resource(work: Work, arn: str) -> Response:
    """GetResource of one resource; a body whose properties are not a JSON object is a failed call."""
    found = kind_of(arn)
    assert found is not None
    parsed, kind = found
    client = work.client(SERVICE)
    answer = client.call("get_resource", expect=("ResourceDescription.Properties",), TypeName=kind.cloudformation,
                         Identifier=identifier(arn, parsed, kind))
    if not isinstance(answer, Mapping):
        return answer
    try:
        properties = json.loads(answer["ResourceDescription"]["Properties"])
    except (TypeError, ValueError):
        properties = None
    if not isinstance(properties, dict):
        detail = "a damaged answer: ResourceDescription.Properties is not a JSON object"
        client.recorder.problem(work.scope.account, work.scope.region, SERVICE, ScopeStatus.FAILED,
                                f"GetResource: {detail}")
        return Failed(SERVICE, "GetResource", ScopeStatus.FAILED, detail)
    return {"TypeName": answer.get("TypeName"), "Properties": properties}


def translate_resource(scope: Scope, arn: str, answer: Response, tags: Mapping[str, str] | None) -> ResourceRecord:
    """The resource as a record of its ARN kind's Terraform type: the properties in snake case (nested objects
    as blocks, as plans write them), the Tagging API's tags over the properties' own; an unreadable resource
    is placed by its ARN only."""
    found = kind_of(arn)
    assert found is not None
    parsed, kind = found
    if not isinstance(answer, Mapping):
        why = answer.unknown(f"the properties of {arn}") if isinstance(answer, Failed) else None
        return located_record(scope, arn, kind.terraform, tags or {}, CALL, why)
    properties = dict(answer.get("Properties") or {})
    own_tags = tag_map(properties.pop("Tags", None))
    values: dict[str, Any] = {snake_key: value for snake_key, value in blocks(properties).items()
                              if snake_key not in ("arn", "tags")}
    values.update({"id": values.get("id") or parsed.name, "name": values.get("name") or parsed.name.rsplit("/", 1)[-1],
                   "tags": {**own_tags, **dict(tags or {})}})
    return live_record(scope, arn, kind.terraform, values, f"{CALL} ({kind.cloudformation})")


def collect(work: Work) -> list[ResourceRecord]:
    """The resources of ``work.arns`` Cloud Control can read (the others are left to the coverage notes)."""
    return [translate_resource(work.scope, arn, fetch_resource(work, arn), work.tags.get(arn))
            for arn in work.arns if kind_of(arn) is not None]
