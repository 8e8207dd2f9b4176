"""Where an Alertmanager receiver sends: its integrations (PagerDuty, Opsgenie, Slack, webhooks, e-mail, Teams...)
read through the table in ``providers/semantics/data/alert_receivers.yaml``, in both spellings: the configuration file's
(``pagerduty_configs``, ``api_url``) and the Prometheus Operator's ``AlertmanagerConfig`` (``pagerdutyConfigs``,
``apiURL``, values possibly in a Secret). An integration that names no URL falls back to the configuration's
``global`` value, then to the vendor's public API (PagerDuty's ``events.pagerduty.com``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from providers.kubernetes.workloads import as_dict
from providers.semantics.data_files import data_text
from providers.semantics.endpoints import Endpoint, place_endpoint
from scanner.yaml_data import load_yaml

Destination = tuple[str, Endpoint]
SecretLookup = Callable[[str, str], str | None]
"""(Secret name, key) -> the value, or None when the Secret is not in the input."""


@dataclass(frozen=True)
class Integration:
    """One row of the receivers table."""

    name: str
    native: str
    fields: tuple[str, ...]
    file_fields: tuple[str, ...]
    global_key: str | None
    operator: str
    operator_fields: tuple[str, ...]
    operator_global: str | None
    default: str | None
    region_field: str | None


@cache
def integrations() -> tuple[Integration, ...]:
    """The receivers table."""
    raw = load_yaml(data_text("alert_receivers.yaml"))
    rows = []
    for name, body in as_dict(as_dict(raw).get("receivers")).items():
        body = as_dict(body)
        rows.append(Integration(
            name=str(name), native=str(body["native"]), fields=tuple(body.get("fields") or ()),
            file_fields=tuple(body.get("file_fields") or ()), global_key=body.get("global"),
            operator=str(body["operator"]), operator_fields=tuple(body.get("operator_fields") or ()),
            operator_global=body.get("operator_global"), default=body.get("default"),
            region_field=body.get("region_field"),
        ))
    return tuple(rows)


def native_destinations(receiver: Mapping[str, Any], global_: Mapping[str, Any],
                        extra: Mapping[str, str]) -> list[Destination]:
    """(setting, endpoint) of each integration of a receiver in an Alertmanager configuration file."""
    found: list[Destination] = []
    for row in integrations():
        for index, config in enumerate(receiver.get(row.native) or []):
            config = as_dict(config)
            label = f"{row.native}[{index}]"
            found.append(_destination(row, config, label, row.fields, row.file_fields,
                                      lambda key: _string(global_.get(key)), row.global_key, extra))
    return found


def operator_destinations(receiver: Mapping[str, Any], global_: Mapping[str, Any], secret: SecretLookup,
                          extra: Mapping[str, str]) -> list[Destination]:
    """(setting, endpoint) of each integration of an ``AlertmanagerConfig`` receiver. ``global_`` is the
    Alertmanager resource's ``spec.alertmanagerConfiguration.global`` (Secret selectors read with ``secret``)."""
    found: list[Destination] = []
    for row in integrations():
        for index, config in enumerate(receiver.get(row.operator) or []):
            config = {key: _operator_value(value, secret) for key, value in as_dict(config).items()}
            label = f"{row.operator}[{index}]"
            found.append(_destination(row, config, label, row.operator_fields, (),
                                      lambda key: _operator_value(global_.get(key), secret), row.operator_global,
                                      extra))
    return found


def _destination(row: Integration, config: Mapping[str, Any], label: str, fields: tuple[str, ...],
                 file_fields: tuple[str, ...], global_value: Callable[[str], Any], global_key: str | None,
                 extra: Mapping[str, str]) -> Destination:
    for field in fields:
        value = config.get(field)
        if isinstance(value, Endpoint):
            return f"{label}.{field}", value
        if _string(value):
            return f"{label}.{field}", place_endpoint(_string(value) or "", extra)
    for field in file_fields:
        if config.get(field):
            return f"{label}.{field}", _unreadable(f"{row.name} receiver {label}", f"its {field} "
                                                   f"{config[field]} is a file in the pod, which the scan cannot read")
    if row.region_field:
        region = _dotted(config, row.region_field)
        if _string(region):
            return f"{label}.{row.region_field}", place_endpoint(f"sns.{region}.amazonaws.com", extra)
    if global_key:
        value = global_value(global_key)
        if isinstance(value, Endpoint):
            return f"global.{global_key}", value
        if _string(value):
            return f"{label} (global.{global_key})", place_endpoint(_string(value) or "", extra)
    if row.default:
        endpoint = place_endpoint(row.default, extra)
        return f"{label} (default {row.default})", endpoint
    return label, _unreadable(f"{row.name} receiver {label}", "it names no URL the scan can read")


def _operator_value(value: Any, secret: SecretLookup) -> Any:
    """A field of an AlertmanagerConfig integration: a string, or a Secret key selector read from the input
    (an Endpoint saying so when the Secret is not in it)."""
    if isinstance(value, dict) and "key" in value and "name" in value:
        found = secret(str(value["name"]), str(value["key"]))
        if found is None:
            return _unreadable(f"Secret {value['name']} key {value['key']}",
                               "the Secret is not in the scanned input (scan it, or map the host it names)")
        return found.strip()
    return value


def _unreadable(what: str, why: str) -> Endpoint:
    return Endpoint(what, None, None, None, None, f"{what}: {why}: where alerts are sent cannot be read")


def _string(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _dotted(data: Mapping[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        value = as_dict(value).get(part)
    return value
