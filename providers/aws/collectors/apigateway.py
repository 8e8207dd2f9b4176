"""API Gateway: where a DWP API's stages send their access logs, REST (``apigateway:GetRestApis``, ``GetStages``)
and HTTP/WebSocket (``apigatewayv2:GetApis``, ``GetStages``), as ``aws_api_gateway_rest_api`` /
``aws_apigatewayv2_api`` and their ``aws_api_gateway_stage`` / ``aws_apigatewayv2_stage``
(``access_log_settings[].destination_arn``: a log group, or a Firehose stream that is followed, ``follow.py``).
An access log holds each request's caller and path: diagnostics about the DWP API, judged where they go.

Which APIs: the DWP ones (an API, or one of its stages, tagged), and in a wholly DWP account every API of the
region. The region's APIs are listed once (one call answers each API's name, policy and endpoints), only where it
holds a DWP API or the account is DWP; then one ``GetStages`` per DWP API. API ARNs carry no account
(``arn:aws:apigateway:REGION::/restapis/ID``): the API is the scanned account's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from providers.aws.calls import Failed
from providers.aws.collectors import Work
from providers.aws.collectors.shapes import policy_text
from providers.aws.records import Scope, live_record, tag_map
from providers.semantics.records import ResourceRecord


@dataclass(frozen=True)
class Flavour:
    """REST (v1) or HTTP/WebSocket (v2): the same records under other names."""

    service: str
    collection: str
    """The ARN path segment of the APIs (``restapis``, ``apis``)."""
    id_key: str
    """The member of a listed API holding its id."""
    api_type: str
    stage_type: str
    id_argument: str
    """The stage's argument naming its API (``rest_api_id``, ``api_id``)."""
    list_call: str


SERVICE = "apigateway"
REST = Flavour(SERVICE, "restapis", "id", "aws_api_gateway_rest_api", "aws_api_gateway_stage", "rest_api_id",
               "apigateway:GetRestApis")


@dataclass(frozen=True)
class ApiAnswers:
    """The answers of one flavour in one region."""

    listed: list[Any] | Failed | None
    """The region's APIs (None: not asked)."""
    stages: Mapping[str, list[Any] | Failed | None]
    """API id -> its stages."""


def _api_arn(scope: Scope, flavour: Flavour, api: str) -> str:
    return f"arn:aws:apigateway:{scope.region}::/{flavour.collection}/{api}"


def dwp_apis(work: Work, flavour: Flavour) -> list[str]:
    """The ids of the region's DWP APIs of one flavour: tagged APIs, and APIs of a tagged stage."""
    marker = f"::/{flavour.collection}/"
    return sorted({a.split(marker, 1)[1].split("/", 1)[0] for a in work.arns if marker in a})


def apis_to_read(work: Work, flavour: Flavour, listed: list[Any] | Failed | None) -> list[str]:
    """The DWP APIs, and every listed one in a wholly DWP account."""
    wanted = dwp_apis(work, flavour)
    if work.whole_account and isinstance(listed, list):
        wanted = sorted({*wanted, *(str(api[flavour.id_key]) for api in listed)})
    return wanted


def fetch_rest_apis(work: Work) -> ApiAnswers:
    """The region's REST APIs (GetRestApis) and the stages of each DWP one (GetStages); nothing is asked where
    there is no DWP API and the account is not DWP."""
    if not dwp_apis(work, REST) and not work.whole_account:
        return ApiAnswers(None, {})
    client = work.client(SERVICE)
    listed = client.pages("get_rest_apis", "items", expect=("id",))
    return ApiAnswers(listed, {api: client.pages("get_stages", "item", expect=("stageName",), restApiId=api)
                               for api in apis_to_read(work, REST, listed)})


def _api_values(flavour: Flavour, api: str, item: Mapping[str, Any], tags: Mapping[str, str]) -> dict[str, Any]:
    if flavour is REST:
        endpoints = item.get("endpointConfiguration") or {}
        return {"id": api, "name": item.get("name"), "description": item.get("description"),
                "policy": policy_text(item["policy"]) if item.get("policy") else None,
                "endpoint_configuration": [{"types": list(endpoints.get("types") or []),
                                            "vpc_endpoint_ids": list(endpoints.get("vpcEndpointIds") or [])}]
                if endpoints else [], "tags": {**tag_map(item.get("tags")), **tags}}
    return {"id": api, "name": item.get("Name"), "protocol_type": item.get("ProtocolType"),
            "api_endpoint": item.get("ApiEndpoint"), "tags": {**tag_map(item.get("Tags")), **tags}}


def _stage_values(flavour: Flavour, api: str, stage: Mapping[str, Any]) -> dict[str, Any]:
    if flavour is REST:
        logs = stage.get("accessLogSettings") or {}
        return {"rest_api_id": api, "stage_name": stage["stageName"], "deployment_id": stage.get("deploymentId"),
                "xray_tracing_enabled": stage.get("tracingEnabled"),
                "access_log_settings": [{"destination_arn": logs.get("destinationArn"), "format": logs.get("format")}]
                if logs else [], "tags": tag_map(stage.get("tags"))}
    logs = stage.get("AccessLogSettings") or {}
    return {"api_id": api, "name": stage["StageName"], "deployment_id": stage.get("DeploymentId"),
            "access_log_settings": [{"destination_arn": logs.get("DestinationArn"), "format": logs.get("Format")}]
            if logs else [], "tags": tag_map(stage.get("Tags"))}


def translate_apis(scope: Scope, flavour: Flavour, answers: ApiAnswers,
                   tags: Mapping[str, Mapping[str, str]]) -> list[ResourceRecord]:
    """Each API read and its stages. An API the failed list did not answer keeps its id and tags; stages that
    could not be read are one stage logging to an unknown place; in a wholly DWP account, an unreadable list is
    one API of the region whose stage logs to an unknown place."""
    listed = {str(item[flavour.id_key]): item for item in answers.listed} if isinstance(answers.listed, list) else {}
    list_call = flavour.list_call
    stage_call = f"{flavour.service}:GetStages"
    records = []
    stages = dict(answers.stages)
    if isinstance(answers.listed, Failed) and not stages:
        stages["?"] = answers.listed  # a wholly DWP account whose APIs could not be listed
    for api, found in stages.items():
        arn = _api_arn(scope, flavour, api)
        item = listed.get(api) or {}
        values = _api_values(flavour, api, item, tags.get(arn) or {})
        if isinstance(answers.listed, Failed):
            values["name"] = answers.listed.unknown(f"the name of API {api}")
        records.append(live_record(scope, arn, flavour.api_type, values, list_call))
        if isinstance(found, Failed):
            destination = found.unknown(f"where the stages of API {api} send their access logs")
            unread = {flavour.id_argument: api, "access_log_settings": [{"destination_arn": destination}]}
            records.append(live_record(scope, "", flavour.stage_type, unread, f"{flavour.service}:{found.operation}",
                                       address=f"{arn}/stages?", stand_in=True))
            continue
        for stage in found or []:
            stage_values = _stage_values(flavour, api, stage)
            name = stage_values.get("stage_name") or stage_values["name"]
            stage_arn = f"{arn}/stages/{name}"
            stage_values["tags"] = {**stage_values["tags"], **(tags.get(stage_arn) or {})}
            field = "item[].accessLogSettings.destinationArn" if flavour is REST else \
                "Items[].AccessLogSettings.DestinationArn"
            records.append(live_record(scope, stage_arn, flavour.stage_type, stage_values, stage_call,
                                       fields={"access_log_settings.destination_arn": field}))
    return records


def collect(work: Work) -> list[ResourceRecord]:
    """The DWP REST APIs of one (account, region): nothing is asked where there is none and the account is not
    DWP (HTTP and WebSocket APIs: ``apigatewayv2.py``)."""
    return translate_apis(work.scope, REST, fetch_rest_apis(work), work.tags)
