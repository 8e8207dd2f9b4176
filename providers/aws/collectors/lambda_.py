"""Lambda: each DWP function's telemetry settings (environment, layers), as ``aws_lambda_function``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from providers.aws.calls import Failed, Response
from providers.aws.collectors import Work
from providers.aws.records import Scope, live_record
from providers.semantics.records import ResourceRecord

SERVICE = "lambda"


def fetch_function(work: Work, arn: str) -> Response:
    """GetFunctionConfiguration."""
    return work.client(SERVICE).call("get_function_configuration", FunctionName=arn)


def translate_function(scope: Scope, arn: str, answer: Response,
                       tags: Mapping[str, str] | None) -> list[ResourceRecord]:
    """The function; an unreadable one has unknown environment variables."""
    name = arn.split(":function:", 1)[1].split(":", 1)[0]
    values: dict[str, Any] = {"function_name": name, "tags": dict(tags or {})}
    if isinstance(answer, Failed):
        values["environment"] = [{"variables": answer.unknown(f"the environment of function {name}")}]
    else:
        answer = answer or {}
        variables = (answer.get("Environment") or {}).get("Variables")
        if variables:
            values["environment"] = [{"variables": dict(variables)}]
        values["layers"] = [layer["Arn"] for layer in answer.get("Layers") or []]
        values["tracing_config"] = [{"mode": (answer.get("TracingConfig") or {}).get("Mode")}]
        logging = answer.get("LoggingConfig")
        if logging:
            values["logging_config"] = [{"log_group": logging.get("LogGroup"), "log_format": logging.get("LogFormat")}]
    return [live_record(scope, arn, "aws_lambda_function", values, "lambda:GetFunctionConfiguration")]


def collect(work: Work) -> list[ResourceRecord]:
    """Lambda for one (account, region)."""
    return [record for arn in work.arns if ":function:" in arn
            for record in translate_function(work.scope, arn, fetch_function(work, arn), work.tags.get(arn))]
