"""Telemetry settings, wherever they are written: environment variables and collector configurations.

Pure functions from settings to ``(setting, Endpoint)`` pairs, shared by every adapter that finds
such settings (Lambda and ECS environments in Terraform, container env and ConfigMaps in
Kubernetes). Each returns the destinations the settings name, including vendor defaults that
apply when a setting is absent (a Datadog agent with no ``DD_SITE`` sends to US1).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from typing import Any

import yaml

from scanner.endpoints import (
    Endpoint,
    decode_elastic_cloud_id,
    place_app_insights_connection_string,
    place_datadog_site,
    place_endpoint,
    place_newrelic_region,
    place_splunk_realm,
)
from scanner.yaml_data import load_yaml

Destination = tuple[str, Endpoint]
"""(the setting that names it, e.g. ``DD_SITE``, and where it sends)."""

_OPAQUE = "\x00from "


def opaque_value(source: str) -> str:
    """A variable that is set, from somewhere the input does not show (``secretKeyRef claims/sentry``)."""
    return f"{_OPAQUE}{source}"


def _place(name: str, value: str, extra: Mapping[str, str] | None) -> Endpoint:
    if value.startswith(_OPAQUE):
        source = value.removeprefix(_OPAQUE)
        return Endpoint(name, None, None, None, None,
                        f"{name} is set from {source}, which the scanned input does not show: its destination "
                        "cannot be read")
    return place_endpoint(value, extra)

_URL_VARIABLES = (
    "DD_DD_URL", "DD_URL", "DD_LOGS_CONFIG_LOGS_DD_URL", "DD_APM_DD_URL", "DD_PROCESS_CONFIG_PROCESS_DD_URL",
    "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "SENTRY_DSN", "NEW_RELIC_HOST", "ELASTIC_APM_SERVER_URL",
    "HONEYCOMB_API_ENDPOINT", "SPLUNK_INGEST_URL", "GRAFANA_OTLP_ENDPOINT", "DT_ENDPOINT",
)
_DATADOG_MARKERS = ("DD_API_KEY", "DD_SITE", "DD_ENV", "DD_SERVICE", "DD_LOGS_ENABLED", "DD_TRACE_ENABLED")


def environment_destinations(
    env: Mapping[str, Any], datadog_present: bool = False, extra: Mapping[str, str] | None = None
) -> list[Destination]:
    """Destinations named by environment variables (values already resolved to strings).

    ``datadog_present`` says a Datadog agent or library is known to run here (a Datadog image or
    Lambda layer), so that a missing ``DD_SITE`` means the default site, US1.
    """
    found: list[Destination] = []
    values = {str(k): str(v) for k, v in env.items() if v is not None and str(v).strip()}
    if "DD_SITE" in values:
        found.append(("DD_SITE", place_datadog_site(values["DD_SITE"])))
    elif datadog_present or (
        any(k in values for k in _DATADOG_MARKERS) and not _has_dd_url(values) and not _sends_to_agent(values)
    ):
        found.append(("DD_SITE (unset: Datadog's default)", place_datadog_site("datadoghq.com")))
    for name in _URL_VARIABLES:
        if name in values:
            found.append((name, _place(name, values[name], extra)))
    for name in ("DD_ADDITIONAL_ENDPOINTS", "DD_LOGS_CONFIG_ADDITIONAL_ENDPOINTS"):
        if name in values:
            found.extend((name, place_endpoint(host, extra)) for host in _hosts_in_json(values[name]))
    if "APPLICATIONINSIGHTS_CONNECTION_STRING" in values:
        found.append(("APPLICATIONINSIGHTS_CONNECTION_STRING",
                      place_app_insights_connection_string(values["APPLICATIONINSIGHTS_CONNECTION_STRING"])))
    if "SPLUNK_REALM" in values:
        found.append(("SPLUNK_REALM", place_splunk_realm(values["SPLUNK_REALM"])))
    if "NEW_RELIC_REGION" in values:
        found.append(("NEW_RELIC_REGION", place_newrelic_region(values["NEW_RELIC_REGION"])))
    elif "NEW_RELIC_LICENSE_KEY" in values and "NEW_RELIC_HOST" not in values:
        key = values["NEW_RELIC_LICENSE_KEY"]
        # EU licence keys start with "eu01"; anything else reports to the US region.
        found.append(("NEW_RELIC_LICENSE_KEY", place_newrelic_region("EU" if key.lower().startswith("eu01") else "US")))
    for name in ("ELASTIC_CLOUD_ID", "ELASTIC_APM_CLOUD_ID"):
        if name in values:
            found.append((name, decode_elastic_cloud_id(values[name])))
    return found


def _sends_to_agent(values: Mapping[str, str]) -> bool:
    # A tracer or library pointed at a local Datadog agent does not choose the site: the agent does.
    return any(name in values for name in ("DD_AGENT_HOST", "DD_TRACE_AGENT_URL", "DD_DOGSTATSD_URL"))


def _has_dd_url(values: Mapping[str, str]) -> bool:
    return any(name.startswith("DD_") and name.endswith("_URL") for name in values)


def _hosts_in_json(text: str) -> Iterator[str]:
    # {"https://app.datadoghq.eu": ["key"]} or a list of URLs
    try:
        data = load_yaml(text)
    except yaml.YAMLError:
        return
    if isinstance(data, dict):
        yield from (str(k) for k in data)
    elif isinstance(data, list):
        for item in data:
            if isinstance(item, dict) and item.get("host"):
                yield str(item["host"])
            elif isinstance(item, str):
                yield item


# --- collector configurations ---------------------------------------------------------------------


def otel_collector_destinations(config: Any, extra: Mapping[str, str] | None = None) -> list[Destination]:
    """Exporters of an OpenTelemetry Collector configuration (parsed YAML)."""
    exporters = config.get("exporters") if isinstance(config, dict) else None
    if not isinstance(exporters, dict):
        return []
    found: list[Destination] = []
    for name, settings in exporters.items():
        settings = settings if isinstance(settings, dict) else {}
        kind = str(name).split("/", 1)[0]
        label = f"exporters.{name}"
        if kind in ("otlp", "otlphttp", "otlp_http", "loki", "prometheusremotewrite", "zipkin", "jaeger",
                    "splunk_hec", "sapm", "signalfx", "elasticsearch", "influxdb", "coralogix"):
            for key in ("endpoint", "api_url", "ingest_url", "traces_endpoint", "logs_endpoint", "metrics_endpoint"):
                if settings.get(key):
                    found.append((f"{label}.{key}", place_endpoint(str(settings[key]), extra)))
            for endpoint in settings.get("endpoints") or []:
                found.append((f"{label}.endpoints", place_endpoint(str(endpoint), extra)))
            if settings.get("realm"):
                found.append((f"{label}.realm", place_splunk_realm(str(settings["realm"]))))
            if settings.get("cloudid"):
                found.append((f"{label}.cloudid", decode_elastic_cloud_id(str(settings["cloudid"]))))
        elif kind == "datadog":
            api = settings.get("api") if isinstance(settings.get("api"), dict) else {}
            found.append((f"{label}.api.site", place_datadog_site(str(api.get("site") or "datadoghq.com"))))
        elif kind in ("awsxray", "awsemf", "awscloudwatchlogs", "awskinesis", "awss3"):
            region = settings.get("region")
            found.append((f"{label}.region", _aws_region_endpoint(str(region)) if region else _unknown_region(label)))
        elif kind in ("azuremonitor", "azure_monitor"):
            text = settings.get("connection_string") or ""
            found.append((f"{label}.connection_string", place_app_insights_connection_string(str(text))))
        elif kind in ("debug", "logging", "file", "nop"):
            continue
        else:
            for key in ("endpoint", "url", "host"):
                if settings.get(key):
                    found.append((f"{label}.{key}", place_endpoint(str(settings[key]), extra)))
    return found


_FLUENT_BIT_DEFAULTS = {
    "datadog": "http-intake.logs.datadoghq.com",
    "nrlogs": "log-api.newrelic.com",
}


def fluent_bit_destinations(text: str, extra: Mapping[str, str] | None = None) -> list[Destination]:
    """``[OUTPUT]`` sections of a Fluent Bit classic configuration."""
    found: list[Destination] = []
    for index, section in enumerate(_fluent_bit_sections(text)):
        name = section.get("name", "").lower()
        label = f"[OUTPUT] #{index + 1} {name}"
        if name in ("stdout", "null", "counter", "file", "forward") and "host" not in section:
            continue
        if name in ("cloudwatch_logs", "kinesis_firehose", "kinesis_streams", "s3"):
            region = section.get("region")
            found.append((f"{label} region", _aws_region_endpoint(region) if region else _unknown_region(label)))
        elif name == "es" and section.get("cloud_id"):
            found.append((f"{label} Cloud_ID", decode_elastic_cloud_id(section["cloud_id"])))
        elif name == "nrlogs" and section.get("base_uri"):
            found.append((f"{label} base_uri", place_endpoint(section["base_uri"], extra)))
        elif section.get("host"):
            found.append((f"{label} Host", place_endpoint(section["host"], extra)))
        elif name in _FLUENT_BIT_DEFAULTS:
            found.append((f"{label} (default host)", place_endpoint(_FLUENT_BIT_DEFAULTS[name], extra)))
        elif name in ("azure", "azure_logs_ingestion", "stackdriver", "bigquery"):
            found.append((label, Endpoint(name, None, None, None, None,
                                          f"Fluent Bit {name} output: its region is set on the cloud side; check it")))
    return found


def _fluent_bit_sections(text: str) -> Iterator[dict[str, str]]:
    section: dict[str, str] | None = None
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            if section is not None:
                yield section
            section = {} if line[1:-1].strip().upper() == "OUTPUT" else None
            continue
        if section is not None:
            key, _, value = line.partition(" ")
            section[key.strip().lower()] = value.strip()
    if section is not None:
        yield section


_VECTOR_DEFAULTS = {
    "datadog_logs": "datadoghq.com", "datadog_metrics": "datadoghq.com", "datadog_events": "datadoghq.com",
    "datadog_traces": "datadoghq.com",
}


def vector_destinations(config: Any, extra: Mapping[str, str] | None = None) -> list[Destination]:
    """``sinks`` of a Vector configuration (parsed YAML or TOML)."""
    sinks = config.get("sinks") if isinstance(config, dict) else None
    if not isinstance(sinks, dict):
        return []
    found: list[Destination] = []
    for name, settings in sinks.items():
        settings = settings if isinstance(settings, dict) else {}
        kind = str(settings.get("type", ""))
        label = f"sinks.{name}"
        if kind in _VECTOR_DEFAULTS:
            if settings.get("endpoint"):
                found.append((f"{label}.endpoint", place_endpoint(str(settings["endpoint"]), extra)))
            else:
                found.append((f"{label}.site", place_datadog_site(str(settings.get("site") or _VECTOR_DEFAULTS[kind]))))
        elif kind == "new_relic":
            found.append((f"{label}.region", place_newrelic_region(str(settings.get("region") or "us"))))
        elif kind.startswith("aws_"):
            region = settings.get("region")
            found.append((f"{label}.region", _aws_region_endpoint(str(region)) if region else _unknown_region(label)))
        elif kind == "honeycomb":
            endpoint = str(settings.get("endpoint") or "api.honeycomb.io")
            found.append((f"{label}.endpoint", place_endpoint(endpoint, extra)))
        elif kind in ("console", "blackhole", "file", "socket"):
            continue
        else:
            for key in ("endpoint", "uri", "url"):
                if settings.get(key):
                    found.append((f"{label}.{key}", place_endpoint(str(settings[key]), extra)))
            for endpoint in settings.get("endpoints") or []:
                found.append((f"{label}.endpoints", place_endpoint(str(endpoint), extra)))
    return found


def collector_config_destinations(key: str, text: str, extra: Mapping[str, str] | None = None) -> list[Destination]:
    """Destinations in one ConfigMap value, whichever collector's configuration it is."""
    lowered = key.lower()
    if "[output]" in text.lower():
        return [(f"{key} {label}", endpoint) for label, endpoint in fluent_bit_destinations(text, extra)]
    if lowered.endswith(".toml"):
        try:
            parsed: Any = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            return []
        return [(f"{key} {label}", endpoint) for label, endpoint in vector_destinations(parsed, extra)]
    if "exporters" not in text and "sinks" not in text:
        return []
    try:
        parsed = load_yaml(text)
    except yaml.YAMLError:
        return []
    found = otel_collector_destinations(parsed, extra) + vector_destinations(parsed, extra)
    return [(f"{key} {label}", endpoint) for label, endpoint in found]


def _aws_region_endpoint(region: str) -> Endpoint:
    return place_endpoint(f"logs.{region}.amazonaws.com")


def _unknown_region(label: str) -> Endpoint:
    return Endpoint(label, "AWS", None, None, None, f"{label} sets no region: the SDK's default region applies")

