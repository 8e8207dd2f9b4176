"""Any DWP resource no collector reads: its full ARM body, judged by the net.

The body is the listing's when Resource Graph gave the inventory (it holds ``properties``); otherwise one
``GET {id}`` at the api-version its resource provider serves (``api_versions.py``). A type the ARM-type
table maps becomes a record of its azurerm type (the map's rules apply); any other an ``azurerm_resource``
in azapi_resource's shape (``type`` = ``<ARM type>@<api-version>``, ``body`` = its properties), whose
places, endpoints and resource ids the net (``providers.semantics.lineage``) judges.
"""

from __future__ import annotations

from typing import Any

from providers.azure.collectors import Work
from providers.azure.collectors.details import unread_settings
from providers.azure.ids import provider_of
from providers.azure.records import GENERIC_TYPE, arm_record, with_body_unread
from providers.live.failed import Failed
from providers.semantics.records import ResourceRecord


def collect_resource(work: Work) -> list[ResourceRecord]:
    """The resource with its body: the listing's, or ``GET {id}``."""
    if isinstance(work.listed.get("properties"), dict):
        return transform_resource(work.subscription, work.listed, None, None)
    version = work.versions.of(work.subscription, str(work.listed["type"])) if work.versions is not None else None
    if not isinstance(version, str):
        return transform_resource(work.subscription, work.listed, version, None)
    answer = work.calls.get(work.subscription, provider_of(work.id), work.id, version)
    return transform_resource(work.subscription, work.listed, answer, version)


def transform_resource(subscription: str, listed: Any, answer: Any, version: str | None) -> list[ResourceRecord]:
    """The record of the resource read whole (``answer``; None when the listing held its body). A read that
    failed (its GET, or the lookup of its api-version) leaves the listing's record, its data-moving settings
    unknown where the map names them, or, for a type it does not map, the places its body names."""
    arm_type = str(listed["type"])
    extra = {"type": f"{arm_type}@{version}"} if version else None
    if isinstance(answer, Failed):
        record = arm_record(subscription, listed, "resources.list")
        if record.type == GENERIC_TYPE:
            return [with_body_unread(record, answer.unknown(f"the ARM body of {listed['id']}"),
                                     f"{answer.service}:{answer.operation}")]
        return [unread_settings(record, answer)]
    if isinstance(answer, dict):
        record = arm_record(subscription, {**listed, **answer}, f"GET {arm_type}", extra)
    else:
        read = "Resource Graph resources" if isinstance(listed.get("properties"), dict) else "resources.list"
        record = arm_record(subscription, listed, read, extra)
    return [record]
