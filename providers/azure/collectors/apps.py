"""App Service and Function Apps: the app read whole, and its application settings, where telemetry SDKs and
agents read their endpoints (``APPLICATIONINSIGHTS_CONNECTION_STRING``, ``DD_SITE``, ``OTEL_EXPORTER_OTLP_ENDPOINT``).

The settings are only given by ``POST {id}/config/appsettings/list`` (``Microsoft.Web/sites/config/list/action``),
which the Reader role does not grant: it is the one action the read-only role adds, and the only POST other than
a Resource Graph query the read-only guard lets through. Where it is denied, the app's settings are unknown,
so where its telemetry goes is unknown, never "none".
"""

from __future__ import annotations

from typing import Any

from providers.azure.collectors import Work
from providers.azure.collectors.generic import collect_resource
from providers.azure.ids import provider_of
from providers.azure.records import with_values
from providers.live.failed import Failed
from providers.semantics.records import ResourceRecord

API_VERSION = "2023-12-01"
SETTINGS = "/config/appsettings/list"
"""The path (under a site's id) of the settings list action."""


def collect_app(work: Work) -> list[ResourceRecord]:
    """The app and its application settings."""
    own = collect_resource(work)
    settings = work.calls.post(work.subscription, provider_of(work.id), f"{work.id}{SETTINGS}", API_VERSION)
    return transform_app(own, settings)


def transform_app(own: list[ResourceRecord], settings: Any) -> list[ResourceRecord]:
    """The app's record with ``app_settings`` (the schema's map) from the answer's ``properties``; unknown when
    the action was denied or failed."""
    if not own:
        return own
    app, rest = own[0], own[1:]
    if isinstance(settings, Failed):
        value: Any = settings.unknown(f"the application settings of {app.address}")
    elif isinstance(settings, dict) and isinstance(settings.get("properties"), dict):
        value = {str(k): v for k, v in settings["properties"].items()}
    else:
        return own  # 404: the app has no settings resource (a slot being deleted)
    return [with_values(app, {"app_settings": value}, "POST config/appsettings/list"), *rest]
