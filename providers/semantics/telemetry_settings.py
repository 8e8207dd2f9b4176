"""Telemetry settings, wherever they are written: environment variables and collector configurations.

Pure functions from settings to ``(setting, Endpoint)`` pairs, shared by every adapter that finds
such settings (Lambda and ECS environments in Terraform, container env and ConfigMaps in
Kubernetes). Each returns the destinations the settings name, including vendor defaults that
apply when a setting is absent (a Datadog agent with no ``DD_SITE`` sends to US1).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

import yaml

from providers.semantics.data_files import data_text
from providers.semantics.endpoints import (
    Endpoint,
    decode_elastic_cloud_id,
    place_app_insights_connection_string,
    place_datadog_site,
    place_endpoint,
    place_newrelic_region,
    place_splunk_realm,
)
from providers.semantics.fluent_config import fluentd_destinations, is_fluentd
from scanner.model import Location
from scanner.yaml_data import YamlRefused, load_guarded, load_yaml

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


_DATADOG_URLS = ("DD_DD_URL", "DD_URL", "DD_LOGS_CONFIG_LOGS_DD_URL", "DD_APM_DD_URL")
# Dual shipping: a JSON map of URL -> API keys, or (logs) a JSON list of {"Host": ...}.
_DATADOG_ADDITIONAL = ("DD_ADDITIONAL_ENDPOINTS", "DD_APM_ADDITIONAL_ENDPOINTS", "DD_LOGS_CONFIG_ADDITIONAL_ENDPOINTS")
# Any of these means a Datadog agent, library or extension will send somewhere.
_DATADOG_KEYS = ("DD_API_KEY", "DD_API_KEY_SECRET_ARN", "DD_API_KEY_SSM_NAME", "DD_KMS_API_KEY")
_URL_SETTINGS = (
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
    "SENTRY_DSN",
    "NEW_RELIC_HOST",
    "ELASTIC_APM_SERVER_URL",
    "HONEYCOMB_API_ENDPOINT",
)
_NAMED_SITES: Mapping[str, Callable[[str], Endpoint]] = {
    "DD_SITE": place_datadog_site,
    "SPLUNK_REALM": place_splunk_realm,
    "NEW_RELIC_REGION": place_newrelic_region,
    "ELASTIC_CLOUD_ID": decode_elastic_cloud_id,
    "APPLICATIONINSIGHTS_CONNECTION_STRING": place_app_insights_connection_string,
    "APPINSIGHTS_INSTRUMENTATIONKEY": place_app_insights_connection_string,
}
DATADOG_DEFAULT_SITE = "datadoghq.com"
"""Where Datadog agents, libraries and the Lambda extension send when no site is configured (US1)."""

TELEMETRY_SETTINGS = frozenset((*_NAMED_SITES, *_DATADOG_URLS, *_DATADOG_ADDITIONAL, *_URL_SETTINGS))
"""Every environment variable ``telemetry_destinations`` reads a destination from."""


def telemetry_destinations(
    env: Mapping[str, Any], extra: Mapping[str, str] | None = None, *, datadog: bool = False
) -> list[tuple[str, Endpoint]]:
    """Where the agent and SDK settings in ``env`` send telemetry: ``(variable, Endpoint)`` pairs.

    ``extra`` is the config file's host -> country map. ``datadog`` says Datadog is known to be in use
    (a Datadog Lambda layer or agent image) even when no ``DD_`` key is set. Values that are not strings
    are skipped: the caller knows why they are missing. When Datadog is in use and neither ``DD_SITE``
    nor ``DD_DD_URL``/``DD_URL`` is set, Datadog's default site (US1) is reported as
    ``DD_SITE (not set: the default site)``, never as a DD_SITE the settings set.
    """
    found: list[tuple[str, Endpoint]] = []
    for name, place in _NAMED_SITES.items():
        value = env.get(name)
        if isinstance(value, str) and value.strip():
            found.append((name, _place(name, value, extra) if value.startswith(_OPAQUE) else place(value)))
    for name in (*_DATADOG_URLS, *_URL_SETTINGS):
        value = env.get(name)
        if isinstance(value, str) and value.strip():
            found.append((name, _place(name, value, extra)))
    key = env.get("NEW_RELIC_LICENSE_KEY")
    if isinstance(key, str) and key.strip() and not any(n in env for n in ("NEW_RELIC_REGION", "NEW_RELIC_HOST")):
        # EU licence keys start with "eu01"; any other key reports to the US region. A key read from a secret
        # could be either: its region cannot be said, not assumed to be the US.
        region = "EU" if key.lower().startswith("eu01") else "US"
        found.append(("NEW_RELIC_LICENSE_KEY", _place("NEW_RELIC_LICENSE_KEY", key, extra) if key.startswith(_OPAQUE)
                      else place_newrelic_region(region)))
    for name in _DATADOG_ADDITIONAL:
        value = env.get(name)
        if isinstance(value, str):
            found.extend((name, endpoint) for endpoint in _additional_endpoints(value, extra))
    in_use = datadog or any(name in env for name in (*_DATADOG_KEYS, *_DATADOG_URLS, *_DATADOG_ADDITIONAL))
    if in_use and not any(name in env for name in ("DD_SITE", "DD_DD_URL", "DD_URL")):
        default = place_datadog_site(DATADOG_DEFAULT_SITE)
        note = f"DD_SITE is not set, so Datadog's default site is used: {default.note}"
        found.append(("DD_SITE (not set: the default site)", replace(default, note=note)))
    return found


def _additional_endpoints(text: str, extra: Mapping[str, str] | None) -> list[Endpoint]:
    try:
        parsed = json.loads(text)
    except ValueError:
        return [place_endpoint(text, extra)]
    if isinstance(parsed, dict):
        return [place_endpoint(url, extra) for url in parsed if isinstance(url, str)]
    if isinstance(parsed, list):
        hosts = (get_folded(item, "host") for item in parsed if isinstance(item, dict))
        return [place_endpoint(host, extra) for host in hosts if isinstance(host, str)]
    return [place_endpoint(text, extra)]


def get_folded(mapping: Mapping[str, Any], key: str) -> Any:
    """A key looked up without regard to case (Fluent Bit and Datadog accept any)."""
    for name, value in mapping.items():
        if isinstance(name, str) and name.lower() == key:
            return value
    return None


def endpoint_location(endpoint: Endpoint, provenance: Iterable[str]) -> Location:
    """The target ``Location`` of a vendor endpoint: cloud ``external``, the host as the region."""
    note = endpoint.note
    return Location("external", endpoint.host or None, endpoint.country, endpoint.uk, tuple(provenance), note)



# --- collector configurations ---------------------------------------------------------------------


def otel_collector_destinations(config: Any, extra: Mapping[str, str] | None = None) -> list[Destination]:
    """Exporters of an OpenTelemetry Collector configuration (parsed YAML)."""
    exporters = config.get("exporters") if isinstance(config, dict) else None
    if not isinstance(exporters, dict):
        return []
    used = _exporters_in_pipelines(config)
    found: list[Destination] = []
    for name, settings in exporters.items():
        if used is not None and name not in used:
            continue  # declared but in no pipeline: the collector sends nothing there
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
            found.append((f"{label}.api.site", place_datadog_site(str(api.get("site") or DATADOG_DEFAULT_SITE))))
        elif kind in ("awsxray", "awsemf", "awscloudwatchlogs", "awskinesis", "awss3"):
            region = settings.get("region")
            found.append((f"{label}.region", _aws_region_endpoint(str(region), _AWS_SERVICES.get(kind, "logs"))
                           if region else _unknown_region(label)))
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


def _exporters_in_pipelines(config: dict[str, Any]) -> set[str] | None:
    """Exporters some pipeline uses; None when the configuration has no pipelines to go by."""
    service = config.get("service")
    pipelines = service.get("pipelines") if isinstance(service, dict) else None
    if not isinstance(pipelines, dict):
        return None
    used: set[str] = set()
    for pipeline in pipelines.values():
        if isinstance(pipeline, dict):
            used.update(str(e) for e in pipeline.get("exporters") or [])
    return used


def otel_exporter_signals(text: str) -> dict[str, frozenset[str]]:
    """Which signals (``logs``, ``metrics``, ``traces``) each exporter of an OpenTelemetry Collector configuration
    is sent, by the pipelines that use it (``logs``, ``logs/app``...). Empty when the text is no configuration with
    pipelines: then nothing is known, and every exporter may be sent anything."""
    try:
        parsed = load_guarded(text) if "pipelines" in text else None
    except (yaml.YAMLError, YamlRefused, RecursionError):
        return {}
    service = parsed.get("service") if isinstance(parsed, dict) else None
    pipelines = service.get("pipelines") if isinstance(service, dict) else None
    found: dict[str, set[str]] = {}
    for name, pipeline in (pipelines.items() if isinstance(pipelines, dict) else ()):
        signal = str(name).split("/", 1)[0]
        if signal not in ("logs", "metrics", "traces") or not isinstance(pipeline, dict):
            continue
        for exporter in pipeline.get("exporters") or []:
            found.setdefault(str(exporter), set()).add(signal)
    return {k: frozenset(v) for k, v in found.items()}


def signals_of_setting(setting: str, table: Mapping[str, frozenset[str]]) -> frozenset[str] | None:
    """The signals of the exporter a setting label names (``... exporters.otlp/eu.endpoint``), or None when the
    label names none of the table's exporters."""
    named = [name for name in table if f"exporters.{name}." in setting]
    return table[max(named, key=len)] if named else None


@dataclass(frozen=True)
class FluentBitOutput:
    """Where one Fluent Bit output plugin sends (a row of ``data/fluent_bit_outputs.yaml``)."""

    option: str
    """The option naming the host or URL, lower-case."""
    default: str | None = None
    """Where it sends when the option is not set."""
    several: bool = False
    """The option holds several hosts, comma-separated."""
    local: bool = False
    """Unset means this host: an output without the option sends nowhere."""
    cloud_id: str | None = None
    """The option holding an Elastic Cloud ID, read before the host."""


@dataclass(frozen=True)
class FluentBitTable:
    """The Fluent Bit outputs offshore-scan knows, from ``data/fluent_bit_outputs.yaml``."""

    outputs: Mapping[str, FluentBitOutput]
    aws: Mapping[str, str]
    """Outputs to AWS services, placed by their ``region`` option: the service's endpoint prefix, so a report
    names the service that holds the data (S3, not CloudWatch Logs)."""
    cloud_side: frozenset[str]
    silent: frozenset[str]


@cache
def fluent_bit_table() -> FluentBitTable:
    """The table, loaded once."""
    raw = load_yaml(data_text("fluent_bit_outputs.yaml"))
    outputs = {str(name): FluentBitOutput(str(row["option"]).lower(), row.get("default"), bool(row.get("list")),
                                          bool(row.get("local")), row.get("cloud_id"))
               for name, row in (raw.get("outputs") or {}).items()}
    return FluentBitTable(outputs, {str(k): str(v) for k, v in (raw.get("aws") or {}).items()},
                          frozenset(map(str, raw.get("cloud_side") or ())),
                          frozenset(map(str, raw.get("silent") or ())))


def fluent_bit_destinations(text: str, extra: Mapping[str, str] | None = None) -> list[Destination]:
    """``[OUTPUT]`` sections of a Fluent Bit classic configuration."""
    return fluent_bit_output_destinations(list(_fluent_bit_sections(text)), extra)


def fluent_bit_yaml_outputs(config: Any) -> list[dict[str, str]] | None:
    """``pipeline.outputs`` of a Fluent Bit YAML-format configuration, as classic sections; None if it is not one."""
    pipeline = config.get("pipeline") if isinstance(config, dict) else None
    outputs = pipeline.get("outputs") if isinstance(pipeline, dict) else None
    if not isinstance(outputs, list):
        return None
    return [{str(k).lower(): str(v) for k, v in item.items()} for item in outputs if isinstance(item, dict)]


def fluent_bit_output_destinations(sections: list[dict[str, str]],
                                   extra: Mapping[str, str] | None = None) -> list[Destination]:
    """Where Fluent Bit outputs (classic sections or YAML items, keys lower-cased) send."""
    found: list[Destination] = []
    table = fluent_bit_table()
    for index, section in enumerate(sections):
        name = section.get("name", "").lower()
        label = f"[OUTPUT] #{index + 1} {name}"
        row = table.outputs.get(name)
        if name in table.silent or (row is not None and row.local and not section.get(row.option)):
            continue
        if name in table.aws:
            region = section.get("region")
            found.append((f"{label} region", _aws_region_endpoint(region, table.aws[name])
                           if region else _unknown_region(label)))
        elif row is not None and row.cloud_id and section.get(row.cloud_id):
            found.append((f"{label} Cloud_ID", decode_elastic_cloud_id(section[row.cloud_id])))
        elif row is not None and section.get(row.option):
            hosts = section[row.option].split(",") if row.several else [section[row.option]]
            found += [(f"{label} {row.option}", place_endpoint(h.strip(), extra)) for h in hosts if h.strip()]
        elif row is not None and row.default is not None:
            found.append((f"{label} (default {row.option})", place_endpoint(row.default, extra)))
        elif row is not None:
            found.append((label, Endpoint(name, None, None, None, None,
                                          f"Fluent Bit {name} output sets no {row.option}: where it sends is not "
                                          "known")))
        elif name in table.cloud_side:
            found.append((label, Endpoint(name, None, None, None, None,
                                          f"Fluent Bit {name} output: its region is set on the cloud side; check it")))
        elif section.get("host"):
            found.append((f"{label} host", place_endpoint(section["host"], extra)))
        else:
            found.append((label, Endpoint(name or "(no Name)", None, None, None, None,
                                          f"Fluent Bit output {name or '(no Name)'} is not one offshore-scan reads "
                                          "(providers/semantics/data/fluent_bit_outputs.yaml): check where it "
                                          "sends")))
    return found


def _fluent_bit_sections(text: str, kind: str = "OUTPUT") -> Iterator[dict[str, str]]:
    section: dict[str, str] | None = None
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            if section is not None:
                yield section
            section = {} if line[1:-1].strip().upper() == kind else None
            continue
        if section is not None:
            key, _, value = line.partition(" ")
            section[key.strip().lower()] = value.strip()
    if section is not None:
        yield section


def log_namespaces(key: str, text: str) -> list[str] | None:
    """The namespaces (as globs) whose container logs a collector configuration tails from the node, or None
    when it may read anything: an input that is not a file tail (it receives what is sent to it), a path
    that does not name namespaces, or a configuration that cannot be read.

    Kubernetes names log files ``/var/log/containers/<pod>_<namespace>_<container>-<id>.log`` and
    ``/var/log/pods/<namespace>_<pod>_<uid>/<container>/N.log``; Fluent Bit's tail ``Path`` and the
    OpenTelemetry filelog receiver's ``include`` say which of them are read.
    """
    paths: list[str] = []
    if "[input]" in text.lower():
        for section in _fluent_bit_sections(text, "INPUT"):
            if section.get("name", "").lower() != "tail" or not section.get("path"):
                return None
            paths.extend(p.strip() for p in section["path"].split(","))
    else:
        try:
            parsed = load_guarded(text)
        except (yaml.YAMLError, YamlRefused, RecursionError):
            return None
        receivers = parsed.get("receivers") if isinstance(parsed, dict) else None
        pipeline = (parsed.get("pipeline") or {}) if isinstance(parsed, dict) else {}
        inputs = pipeline.get("inputs") if isinstance(pipeline, dict) else None
        if isinstance(receivers, dict) and receivers:
            for name, receiver in receivers.items():
                if not str(name).startswith("filelog") or not isinstance(receiver, dict):
                    return None
                paths.extend(str(p) for p in receiver.get("include") or [])
        elif isinstance(inputs, list) and inputs:  # Fluent Bit's YAML format
            for item in inputs:
                if not isinstance(item, dict) or str(item.get("name", "")).lower() != "tail" or not item.get("path"):
                    return None
                paths.extend(p.strip() for p in str(item["path"]).split(","))
        else:
            return None
    namespaces = []
    for path in paths:
        match = re.match(r"^/var/log/containers/([^/]*)$", path) or re.match(r"^/var/log/pods/([^/]*)/", path)
        if match is None:
            return None
        parts = match.group(1).split("_")
        if path.startswith("/var/log/containers/"):
            if len(parts) < 3:
                return None  # *.log: every namespace
            namespaces.append(parts[1])
        else:
            if len(parts) < 2:
                return None
            namespaces.append(parts[0])
    return namespaces or None


_VECTOR_DEFAULTS = {
    "datadog_logs": DATADOG_DEFAULT_SITE, "datadog_metrics": DATADOG_DEFAULT_SITE,
    "datadog_events": DATADOG_DEFAULT_SITE, "datadog_traces": DATADOG_DEFAULT_SITE,
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
            found.append((f"{label}.region", _aws_region_endpoint(str(region), _AWS_SERVICES.get(kind, "logs"))
                           if region else _unknown_region(label)))
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


_USERINFO = re.compile(r"(?<=://)[^@/\s]*@")


def promtail_destinations(config: Any, extra: Mapping[str, str] | None = None) -> list[Destination]:
    """``clients[].url`` (and the older single ``client.url``) of a Promtail configuration: the Loki push
    endpoints it ships logs to. A URL's userinfo (``https://user:token@host``) is dropped before it is placed,
    so no credential reaches a report."""
    if not isinstance(config, dict) or not ("scrape_configs" in config or "positions" in config):
        return []  # "clients" alone is too common a key to take for Promtail's
    clients = config.get("clients")
    listed = clients if isinstance(clients, list) else [config["client"]] if isinstance(config.get("client"), dict) \
        else []
    found: list[Destination] = []
    for index, client in enumerate(listed):
        url = client.get("url") if isinstance(client, dict) else None
        if isinstance(url, str) and url.strip():
            found.append((f"clients[{index}].url", place_endpoint(_USERINFO.sub("", url.strip()), extra)))
    return found


def collector_config_destinations(key: str, text: str, extra: Mapping[str, str] | None = None) -> list[Destination]:
    """Destinations in one ConfigMap value, whichever collector's configuration it is."""
    lowered = key.lower()
    if is_fluentd(text):
        return [(f"{key} {label}", endpoint) for label, endpoint in fluentd_destinations(text, extra)]
    if "[output]" in text.lower():
        return [(f"{key} {label}", endpoint) for label, endpoint in fluent_bit_destinations(text, extra)]
    if lowered.endswith(".toml"):
        try:
            parsed: Any = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            return []
        return [(f"{key} {label}", endpoint) for label, endpoint in vector_destinations(parsed, extra)]
    if "exporters" not in text and "sinks" not in text and "outputs" not in text and "clients" not in text:
        return []
    try:
        # Embedded in the scanned input, so read with the same guards as the manifests themselves.
        parsed = load_guarded(text)
    except (yaml.YAMLError, YamlRefused, RecursionError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        return [(key, Endpoint(key, None, None, None, None,
                               f"the collector configuration in {key} could not be read ({reason})"))]
    outputs = fluent_bit_yaml_outputs(parsed)
    if outputs is not None:
        return [(f"{key} pipeline.outputs{label.removeprefix('[OUTPUT]')}", endpoint)
                for label, endpoint in fluent_bit_output_destinations(outputs, extra)]
    found = otel_collector_destinations(parsed, extra) + vector_destinations(parsed, extra) + \
        promtail_destinations(parsed, extra)
    return [(f"{key} {label}", endpoint) for label, endpoint in found]


_AWS_SERVICES = {
    "awss3": "s3", "awskinesis": "kinesis", "awsxray": "xray", "aws_s3": "s3", "aws_kinesis_firehose": "firehose",
    "aws_kinesis_streams": "kinesis", "aws_cloudwatch_metrics": "monitoring", "aws_sqs": "sqs", "aws_sns": "sns",
}
"""OpenTelemetry exporters and Vector sinks to AWS by the service's endpoint prefix (CloudWatch Logs otherwise)."""


def _aws_region_endpoint(region: str, service: str = "logs") -> Endpoint:
    return place_endpoint(f"{service}.{region}.amazonaws.com")


def _unknown_region(label: str) -> Endpoint:
    return Endpoint(label, "AWS", None, None, None, f"{label} sets no region: the SDK's default region applies")

