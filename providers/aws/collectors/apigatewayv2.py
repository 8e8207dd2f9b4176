"""API Gateway HTTP and WebSocket APIs (``apigatewayv2:GetApis``, ``GetStages``): read as REST APIs are
(``apigateway.py``), as ``aws_apigatewayv2_api`` and ``aws_apigatewayv2_stage``
(``access_log_settings[].destination_arn``)."""

from __future__ import annotations

from providers.aws.collectors import Work
from providers.aws.collectors.apigateway import ApiAnswers, Flavour, apis_to_read, dwp_apis, translate_apis
from providers.semantics.records import ResourceRecord

SERVICE = "apigatewayv2"
V2 = Flavour(SERVICE, "apis", "ApiId", "aws_apigatewayv2_api", "aws_apigatewayv2_stage", "api_id",
             "apigatewayv2:GetApis")
"""ARNs ``arn:aws:apigateway:REGION::/apis/ID`` (the ARN's service is ``apigateway`` for both)."""


def fetch_apis(work: Work) -> ApiAnswers:
    """The region's HTTP and WebSocket APIs (GetApis) and the stages of each DWP one (GetStages)."""
    if not dwp_apis(work, V2) and not work.whole_account:
        return ApiAnswers(None, {})
    client = work.client(SERVICE)
    listed = client.pages("get_apis", "Items", expect=("ApiId",))
    return ApiAnswers(listed, {api: client.pages("get_stages", "Items", expect=("StageName",), ApiId=api)
                               for api in apis_to_read(work, V2, listed)})


def collect(work: Work) -> list[ResourceRecord]:
    """The DWP HTTP and WebSocket APIs of one (account, region)."""
    return translate_apis(work.scope, V2, fetch_apis(work), work.tags)
