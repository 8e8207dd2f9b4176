"""Diagnostic settings of each DWP resource: where its logs and metrics are sent.

azure-mgmt-monitor 7 has no ``diagnostic_settings`` operations (6.0.2 was the last stable release with
them), and its client's ``send_request`` is private (``_send_request``): the one ARM call is sent through
the resources client's public ``send_request`` instead, with the same pipeline (guard, retries,
authentication) as every other call.
"""

from __future__ import annotations

from typing import Any

from providers.azure.calls import Calls
from providers.azure.records import arm_record
from providers.live.failed import Failed
from providers.semantics.records import ResourceRecord

API_VERSION = "2021-05-01-preview"
_PROVIDER = "Microsoft.Insights"
_TYPE = "Microsoft.Insights/diagnosticSettings"
_UNSUPPORTED = (400, 404)
"""A resource type without diagnostic settings answers 400 ("does not support diagnostic settings")."""


def collect_settings(calls: Calls, subscription: str, resource_id: str) -> list[ResourceRecord]:
    """The diagnostic settings of one resource."""
    settings = calls.listing(subscription, _PROVIDER, f"{resource_id}/providers/Microsoft.Insights/diagnosticSettings",
                             API_VERSION, absent=_UNSUPPORTED)
    return transform_settings(subscription, resource_id, settings)


def transform_settings(subscription: str, resource_id: str, settings: Any) -> list[ResourceRecord]:
    """One ``azurerm_monitor_diagnostic_setting`` per setting (its destinations: workspace, storage account,
    Event Hub authorization rule, partner solution). Settings that could not be read are a setting whose
    destination is unknown: where the resource's logs go is not established."""
    if isinstance(settings, Failed):
        return [arm_record(subscription, {
            "id": f"{resource_id}/providers/Microsoft.Insights/diagnosticSettings/(unread)", "type": _TYPE,
            "parent_id": resource_id, "properties": {"workspaceId": settings.unknown("the diagnostic settings")},
        }, "GET diagnosticSettings")]
    return [arm_record(subscription, {**setting, "type": _TYPE, "parent_id": resource_id}, "GET diagnosticSettings")
            for setting in settings or [] if isinstance(setting.get("id"), str)]
