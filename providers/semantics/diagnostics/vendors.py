"""Vendor Terraform providers (Datadog, New Relic, SignalFx, Sentry) and their cloud integrations.

A vendor resource's data is at the site its provider block is configured for; an integration pulls
metrics (often logs) of every DWP resource of the cloud account it is linked to.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from providers.semantics.context import (
    NormaliseContext,
    values_at,
)
from providers.semantics.diagnostics.hops import Hop, endpoint_label, flows, unknown_hop
from providers.semantics.endpoints import (
    place_endpoint,
    place_newrelic_region,
)
from providers.semantics.records import ResourceRecord, Unknown
from providers.semantics.telemetry_settings import (
    endpoint_location,
)
from scanner.model import Flow, FlowKind

VENDOR_PROVIDERS = ("datadog", "newrelic", "signalfx", "sentry")
# Provider setting holding the vendor's URL, and its default.
_VENDOR_URLS = {
    "datadog": ("Datadog", "api_url", "https://api.datadoghq.com/", "US1"),
    "signalfx": ("Splunk Observability", "api_url", "https://api.signalfx.com", "realm us0"),
    "sentry": ("Sentry", "base_url", "https://sentry.io/api/", "sentry.io, US"),
}


def vendor_hop(context: NormaliseContext, record: ResourceRecord, steps: tuple[str, ...]) -> Hop:
    """Where a vendor resource's data is: the vendor site its Terraform provider is configured for."""
    vendor = record.type.split("_", 1)[0]
    provider = record.placement
    if vendor == "newrelic":
        region = provider.region
        if isinstance(region.value, str):
            endpoint = place_newrelic_region(region.value)
            return Hop(endpoint_location(endpoint, (*steps, *region.provenance)), None, endpoint_label(endpoint))
        if region.value is None or any("not configured" in step for step in region.provenance):
            endpoint = place_newrelic_region("US")
            note = (f"provider {provider.key} sets no region, so the New Relic default US is used (unless "
                    f"NEW_RELIC_REGION is set where Terraform runs): {endpoint.note}")
            return Hop(endpoint_location(replace(endpoint, note=note), (*steps, *region.provenance)), None,
                        endpoint_label(endpoint))
        reason = region.value.reason if isinstance(region.value, Unknown) else f"region {region.value!r} is not a name"
        return unknown_hop("external", (*steps, *region.provenance), reason, "New Relic")
    named, key, default, site = _VENDOR_URLS[vendor]
    configured = provider.extra.get(key)
    if configured is not None and isinstance(configured.value, str):
        endpoint = place_endpoint(configured.value, context.endpoints)
        return Hop(endpoint_location(endpoint, (*steps, *configured.provenance)), None, endpoint_label(endpoint))
    if configured is not None and isinstance(configured.value, Unknown):
        return unknown_hop("external", (*steps, *configured.provenance), configured.value.reason, vendor)
    if configured is not None and configured.value is None:
        # The provider context says the block leaves the setting unset: the provider's default applies.
        endpoint = place_endpoint(default, context.endpoints)
        note = f"provider {provider.key} sets no {key}, so the default {default} is used: {endpoint.note}"
        return Hop(endpoint_location(replace(endpoint, note=note), (*steps, *configured.provenance)), None,
                    endpoint_label(endpoint))
    reason = (f"the {named} site is set by provider \"{vendor}\" {key} (default {default}, {site}), and no "
              f"provider block for {provider.key} is in the scanned configuration: check where it is configured")
    return unknown_hop("external", (*steps, f"provider {provider.key}"), reason, f"{named} (site not read)")


# type -> (cloud whose resources it collects from, words, attribute listing the regions collected or skipped)
INTEGRATIONS = {
    "datadog_integration_aws": ("aws", "Datadog AWS integration", None, "excluded_regions"),
    "datadog_integration_aws_account": ("aws", "Datadog AWS integration", "aws_regions.include_only",
                                        "aws_regions.exclude_only"),
    "datadog_integration_aws_lambda_arn": ("aws", "Datadog log forwarder", None, None),
    "datadog_integration_aws_log_collection": ("aws", "Datadog AWS log collection", None, None),
    "datadog_integration_azure": ("azure", "Datadog Azure integration", None, None),
    "datadog_integration_gcp": ("gcp", "Datadog GCP integration", None, None),
    "datadog_integration_gcp_sts": ("gcp", "Datadog GCP integration", None, None),
    "newrelic_cloud_aws_link_account": ("aws", "New Relic AWS integration", None, None),
    "newrelic_cloud_azure_link_account": ("azure", "New Relic Azure integration", None, None),
    "newrelic_cloud_gcp_link_account": ("gcp", "New Relic GCP integration", None, None),
    "signalfx_aws_integration": ("aws", "Splunk Observability AWS integration", "regions", None),
    "signalfx_azure_integration": ("azure", "Splunk Observability Azure integration", None, None),
    "signalfx_gcp_integration": ("gcp", "Splunk Observability GCP integration", None, None),
}
_CLOUD_PREFIXES = {"aws": "aws_", "azure": "azurerm_", "gcp": "google_"}


def integration_flows(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    """A vendor integration pulls metrics (and often logs) of every resource of the cloud account."""
    cloud, what, include_path, exclude_path = INTEGRATIONS[record.type]
    include = {r for r in values_at(record.values, include_path) if isinstance(r, str)} if include_path else set()
    exclude = {r for r in values_at(record.values, exclude_path) if isinstance(r, str)} if exclude_path else set()
    subjects = []
    for other in context.records:
        if other.mode != "managed" or not other.type.startswith(_CLOUD_PREFIXES[cloud]):
            continue
        resource = context.resource(other)
        region = resource.location.region
        if not (resource.classification.dwp and resource.holds_data):
            continue
        if (include and region not in include) or (exclude and region in exclude):
            continue
        subjects.append(other)
    if not subjects:
        return
    hop = vendor_hop(context, record, (f"{record.address} ({record.source.path}:{record.source.line})",))
    yield from flows(record, subjects, FlowKind.TELEMETRY, what, hop)
