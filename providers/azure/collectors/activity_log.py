"""A subscription's Activity Log export: its diagnostic settings (``GET /subscriptions/{id}/providers/
Microsoft.Insights/diagnosticSettings``), where every control-plane operation on the subscription's resources
(who changed which DWP resource, and how) is sent."""

from __future__ import annotations

from providers.azure.calls import Calls
from providers.azure.collectors.diagnostics import API_VERSION, transform_settings
from providers.azure.ids import subscription_path
from providers.semantics.records import ResourceRecord


def collect_activity_log(calls: Calls, subscription: str) -> list[ResourceRecord]:
    """The subscription's diagnostic settings, as ``azurerm_monitor_diagnostic_setting`` records whose target is
    the subscription."""
    scope = subscription_path(subscription)
    settings = calls.listing(subscription, "Microsoft.Insights", f"{scope}/providers/Microsoft.Insights/"
                             "diagnosticSettings", API_VERSION, absent=(400, 404))
    return transform_settings(subscription, scope, settings)
