"""Lambda: each DWP function's telemetry settings (environment, layers), as ``aws_lambda_function``; where its
asynchronous invocations are sent (``ListFunctionEventInvokeConfigs``: on-success and on-failure destinations),
as ``aws_lambda_function_event_invoke_config``; and the event source mappings that feed it, or that read a DWP
queue, stream or table stream (``ListEventSourceMappings``), as ``aws_lambda_event_source_mapping``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from providers.aws.calls import Failed, Response
from providers.aws.collectors import Work
from providers.aws.records import Scope, live_record
from providers.semantics.records import ResourceRecord

SERVICE = "lambda"
_INVOKE = "lambda:ListFunctionEventInvokeConfigs"
_MAPPINGS = "lambda:ListEventSourceMappings"


def fetch_function(work: Work, arn: str) -> Response:
    """GetFunctionConfiguration."""
    return work.client(SERVICE).call("get_function_configuration", FunctionName=arn)


def translate_function(scope: Scope, arn: str, answer: Response,
                       tags: Mapping[str, str] | None) -> list[ResourceRecord]:
    """The function; an unreadable one has unknown environment variables."""
    name = _name(arn)
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


def _name(arn: str) -> str:
    return arn.split(":function:", 1)[1].split(":", 1)[0]


def fetch_invoke_configs(work: Work, arn: str) -> list[Any] | Failed | None:
    """ListFunctionEventInvokeConfigs: every qualifier's asynchronous invocation configuration."""
    return work.client(SERVICE).pages("list_function_event_invoke_configs", "FunctionEventInvokeConfigs",
                                      expect=("FunctionArn",), FunctionName=arn)


def translate_invoke_configs(scope: Scope, arn: str, answer: list[Any] | Failed | None) -> list[ResourceRecord]:
    """Each configuration as ``aws_lambda_function_event_invoke_config`` (``destination_config``); an unreadable
    list is one configuration sending to unknown destinations."""
    if isinstance(answer, Failed):
        unknown = answer.unknown(f"where function {_name(arn)} sends its invocation records")
        values: dict[str, Any] = {"function_name": arn, "destination_config": [
            {"on_success": [{"destination": unknown}], "on_failure": [{"destination": unknown}]}]}
        return [live_record(scope, "", "aws_lambda_function_event_invoke_config", values, _INVOKE,
                            address=f"{arn}?event-invoke-config")]
    records = []
    for index, config in enumerate(answer or []):
        function = config["FunctionArn"]
        qualifier = function.split(":function:", 1)[1].partition(":")[2] or None
        destinations = config.get("DestinationConfig") or {}
        block = {key: [{"destination": (destinations.get(field) or {}).get("Destination")}]
                 for key, field in (("on_success", "OnSuccess"), ("on_failure", "OnFailure"))
                 if (destinations.get(field) or {}).get("Destination")}
        values = {"function_name": function, "qualifier": qualifier, "destination_config": [block] if block else [],
                  "maximum_retry_attempts": config.get("MaximumRetryAttempts"),
                  "maximum_event_age_in_seconds": config.get("MaximumEventAgeInSeconds")}
        at = f"FunctionEventInvokeConfigs[{index}].DestinationConfig"
        fields = {"destination_config.on_success.destination": f"{at}.OnSuccess.Destination",
                  "destination_config.on_failure.destination": f"{at}.OnFailure.Destination"}
        records.append(live_record(scope, "", "aws_lambda_function_event_invoke_config", values, _INVOKE,
                                   address=f"{function}?event-invoke-config", fields=fields))
    return records


def fetch_mappings(work: Work, **which: str) -> list[Any] | Failed | None:
    """ListEventSourceMappings of one function (``FunctionName``) or one source (``EventSourceArn``)."""
    return work.client(SERVICE).pages("list_event_source_mappings", "EventSourceMappings", expect=("UUID",), **which)


def translate_mappings(scope: Scope, named: str, answer: list[Any] | Failed | None,
                       by_source: bool = False) -> list[ResourceRecord]:
    """Each mapping as ``aws_lambda_event_source_mapping`` (``event_source_arn``, ``function_name``,
    ``destination_config``); an unreadable list is one mapping of the function (or from the source) whose other
    end and destination are unknown."""
    if isinstance(answer, Failed):
        unknown = answer.unknown(f"the event source mappings of {named}")
        values: dict[str, Any] = {"event_source_arn": named if by_source else unknown,
                                  "function_name": unknown if by_source else named,
                                  "destination_config": [{"on_failure": [{"destination_arn": unknown}]}]}
        return [live_record(scope, "", "aws_lambda_event_source_mapping", values, _MAPPINGS,
                            address=f"{named}?event-source-mappings", stand_in=True)]
    records = []
    for index, mapping in enumerate(answer or []):
        uuid = mapping["UUID"]
        arn = mapping.get("EventSourceMappingArn") or \
            f"arn:aws:lambda:{scope.region}:{scope.account}:event-source-mapping:{uuid}"
        failure = ((mapping.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        values = {"id": uuid, "uuid": uuid, "event_source_arn": mapping.get("EventSourceArn"),
                  "function_name": mapping.get("FunctionArn"), "state": mapping.get("State"),
                  "destination_config": [{"on_failure": [{"destination_arn": failure}]}] if failure else []}
        at = f"EventSourceMappings[{index}]"
        fields = {"event_source_arn": f"{at}.EventSourceArn", "function_name": f"{at}.FunctionArn",
                  "destination_config.on_failure.destination_arn": f"{at}.DestinationConfig.OnFailure.Destination"}
        records.append(live_record(scope, arn, "aws_lambda_event_source_mapping", values, _MAPPINGS, fields=fields))
    return records


def collect(work: Work) -> list[ResourceRecord]:
    """Lambda for one (account, region): each DWP function, its destinations and its event source mappings."""
    records = []
    for arn in work.arns:
        if ":function:" not in arn:
            continue
        records.extend(translate_function(work.scope, arn, fetch_function(work, arn), work.tags.get(arn)))
        records.extend(translate_invoke_configs(work.scope, arn, fetch_invoke_configs(work, arn)))
        records.extend(translate_mappings(work.scope, arn, fetch_mappings(work, FunctionName=_name(arn))))
    return records


def collect_receivers(work: Work) -> list[ResourceRecord]:
    """Functions a DWP resource's flow names (a mapping's, a destination's), read as receivers: their settings
    only (``GetFunctionConfiguration``), which say where a function passes the data on."""
    return [record for arn in work.arns if ":function:" in arn
            for record in translate_function(work.scope, arn, fetch_function(work, arn), work.tags.get(arn))]


def collect_sources(work: Work) -> list[ResourceRecord]:
    """The event source mappings reading each DWP queue or stream of one (account, region): which function
    receives its records, and where a failed batch is sent."""
    return [record for arn in work.arns if arn.startswith(("arn:aws:sqs:", "arn:aws:kinesis:"))
            and (":stream/" in arn or arn.startswith("arn:aws:sqs:"))
            for record in translate_mappings(work.scope, arn, fetch_mappings(work, EventSourceArn=arn),
                                             by_source=True)]
