"""Data sources that describe the provider configuration itself, answered from it instead of the cloud.

Modules build ARNs and names from ``data.aws_partition``, ``data.aws_region`` and
``data.aws_caller_identity`` (``arn:${partition}:iam::${account_id}:root``). The region is the provider's,
the partition follows from the region, and the account is the one the provider deploys to: unknown here,
but known to be the estate's own, so the unknown keeps a reference to the data source that the access
rules recognise (``access._OWN_DATA``).
"""

from __future__ import annotations

from typing import Any

from providers.semantics.records import Placement, Unknown

_PARTITIONS = (
    # Longest prefixes first: us-isob- before us-iso-.
    ("cn-", "aws-cn", "amazonaws.com.cn"),
    ("us-gov-", "aws-us-gov", "amazonaws.com"),
    ("us-isob-", "aws-iso-b", "sc2s.sgov.gov"),
    ("us-isof-", "aws-iso-f", "csp.hci.ic.gov"),
    ("us-iso-", "aws-iso", "c2s.ic.gov"),
    ("eu-isoe-", "aws-iso-e", "cloud.adc-e.uk"),
)


def provider_data(data_type: str, attribute: str, provider: Placement, address: str) -> Any | None:
    """The value of ``data.<type>.<name>.<attribute>`` from its provider's configuration, or None when the
    configuration does not say (the data source is read from the cloud)."""
    region = provider.region.value
    if data_type in ("aws_region", "google_client_config") and attribute in ("name", "region", "id"):
        return region
    if data_type == "aws_partition" and attribute in ("partition", "id", "dns_suffix", "reverse_dns_prefix"):
        if isinstance(region, Unknown) or not isinstance(region, str) or not region:
            why = region.reason if isinstance(region, Unknown) else "it sets no region"
            return Unknown(f"{address}.{attribute} depends on the region of provider {provider.key}, and {why}")
        partition, suffix = _partition(region)
        if attribute == "dns_suffix":
            return suffix
        if attribute == "reverse_dns_prefix":
            return ".".join(reversed(suffix.split(".")))
        return partition
    if data_type == "aws_caller_identity" and attribute == "account_id":
        return Unknown(f"the account of provider {provider.key} ({address}), the estate's own", ref=address,
                       attribute=attribute)
    return None


def _partition(region: str) -> tuple[str, str]:
    for prefix, partition, suffix in _PARTITIONS:
        if region.startswith(prefix):
            return partition, suffix
    return "aws", "amazonaws.com"
