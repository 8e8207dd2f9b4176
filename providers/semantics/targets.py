"""How a value found at a resource-map path is placed: the ``target`` names of the resource map."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from providers.semantics import geography
from providers.semantics.context import (
    CLOUD_OF_PREFIX,
    NormaliseContext,
    global_aws,
    placed,
    setting,
    unplaced,
    unresolved_value,
    with_provenance,
)
from providers.semantics.records import ResourceRecord, Unknown
from scanner.model import Location

Target = tuple[Location, str | None]
"""Where the data lands, and the receiving resource's address when the inventory has it."""

TargetResolver = Callable[[NormaliseContext, ResourceRecord, Any, str], Target | None]
"""(context, declaring record, value at the path, the path) -> target, or None for "no flow"."""


def _target_aws_region(context: NormaliseContext, record: ResourceRecord, value: Any, path: str) -> Target:
    return placed("aws", value, (setting(record, path, value),)), None


def _target_aws_arn(context: NormaliseContext, record: ResourceRecord, value: Any, path: str) -> Target:
    other = context.referenced(value)
    if other is not None:
        return context.location(other), other.address
    if isinstance(value, str):
        region = geography.aws_region_of_arn(value)
        if region:
            return placed("aws", region, (f"ARN {value}",)), None
        return unplaced("aws", f"{value!r} carries no region and is not a scanned resource"), None
    return unresolved_value("aws", value), None


def _target_s3_bucket(context: NormaliseContext, record: ResourceRecord, value: Any, path: str) -> Target:
    if isinstance(value, str) and value.startswith("s3://"):
        # An s3://bucket/prefix location (query results, a job's temporary directory) names the bucket.
        value = value.removeprefix("s3://").split("/", 1)[0] or value
    bucket = context.referenced(value)
    if bucket is not None and bucket.type == "aws_s3_bucket":
        placed = context.location(bucket)
        return with_provenance(placed, (f"destination {bucket.address}", *placed.provenance)), bucket.address
    if isinstance(value, str):
        return unplaced(
            "aws",
            f"destination bucket {value} is not in the scanned configuration, and S3 ARNs carry no region "
            "(scan the configuration or the account that holds it)",
        ), None
    return unresolved_value("aws", value), None


def _target_azure_location(context: NormaliseContext, record: ResourceRecord, value: Any, path: str) -> Target:
    return placed("azure", value, (setting(record, path, value),)), None


def _target_azure_resource(context: NormaliseContext, record: ResourceRecord, value: Any, path: str) -> Target:
    other = context.referenced(value)
    if other is not None:
        placed = context.location(other)
        return with_provenance(placed, (f"{other.address}", *placed.provenance)), other.address
    return unresolved_value("azure", value, "the referenced resource is not in the scanned configuration"), None


_GEO_REDUNDANT = re.compile(r"^(RA)?G(Z)?RS$|^GeoRedundant$", re.IGNORECASE)


def _target_azure_pair(context: NormaliseContext, record: ResourceRecord, value: Any, path: str) -> Target | None:
    if isinstance(value, Unknown):
        return unresolved_value("azure", value), None
    if value is True:
        value = "GeoRedundant"  # a geo_redundant_backup_enabled flag: the backups' copy is in the pair
    if not isinstance(value, str) or not _GEO_REDUNDANT.match(value):
        return None
    declared = record.values.get("secondary_location")
    if isinstance(declared, str) and declared:
        # Where Azure says the copy is (the account's secondaryLocation, in state and live answers) wins over
        # the catalogue's pairing: a region the catalogue does not pair, or a pairing Azure changed.
        return placed("azure", declared, (setting(record, path, value),
                                          setting(record, "secondary_location", declared))), None
    own = context.location(record)
    if own.region is None:
        return Location("azure", None, None, None, (f"{value} copy to the paired region",),
                        "the paired region is unknown because the primary location is unresolved"), None
    return geography.paired_copy(own.region, value, (setting(record, path, value),)), None


def _target_gcp_location(context: NormaliseContext, record: ResourceRecord, value: Any, path: str) -> Target:
    return placed("gcp", value, (setting(record, path, value),)), None


def _target_gcp_resource(context: NormaliseContext, record: ResourceRecord, value: Any, path: str) -> Target:
    other = context.referenced(value)
    if other is not None:
        placed = context.location(other)
        return with_provenance(placed, (setting(record, path, value), other.address, *placed.provenance)), other.address
    return unresolved_value("gcp", value, f"{value!r} names no resource in the scanned configuration "
                            "(scan the configuration or the account that holds it)"), None


# A BigQuery table id as Pub/Sub and the APIs write it: project:dataset.table (legacy SQL), project.dataset.table,
# or the resource path projects/p/datasets/d/tables/t.
_BIGQUERY_TABLE = re.compile(
    r"^projects/(?P<path_project>[^/]+)/datasets/(?P<path_dataset>[^/]+)/tables/[^/]+$"
    r"|^(?P<project>.+)[:.](?P<dataset>[^.:/]+)\.[^.:/]+$")


def _target_gcp_bigquery_table(context: NormaliseContext, record: ResourceRecord, value: Any, path: str) -> Target:
    """A table is where its dataset is: a reference is placed through the table (which inherits the dataset's
    location); an id written as a string through the dataset of that dataset_id in the scan."""
    if not isinstance(value, str):
        return _target_gcp_resource(context, record, value, path)
    match = _BIGQUERY_TABLE.match(value)
    if match is None:
        return unplaced("gcp", f"{value!r} is not a BigQuery table id (project.dataset.table)"), None
    project = match.group("path_project") or match.group("project")
    dataset_id = match.group("path_dataset") or match.group("dataset")
    for dataset in context.of_type("google_bigquery_dataset"):
        own_project = dataset.values.get("project")
        if dataset.values.get("dataset_id") == dataset_id and (not isinstance(own_project, str)
                                                                or own_project == project):
            placed = context.location(dataset)
            step = f"{setting(record, path, value)}: dataset {dataset_id} is {dataset.address}"
            return with_provenance(placed, (step, *placed.provenance)), dataset.address
    return unplaced("gcp", f"BigQuery table {value} is in dataset {dataset_id} of project {project}, which is not in "
                    "the scanned configuration (scan the configuration or the account that holds it)"), None


def _target_self(context: NormaliseContext, record: ResourceRecord, value: Any, path: str) -> Target:
    return context.location(record), record.address


def _target_global_edge(context: NormaliseContext, record: ResourceRecord, value: Any, path: str) -> Target:
    if record.type.startswith("aws_"):
        return global_aws(record.type, "global-edge"), record.address
    # Azure Front Door, Azure CDN and Google's CDN cache at edge locations worldwide, whatever the profile's region.
    cloud = CLOUD_OF_PREFIX.get(record.type.split("_", 1)[0], "unknown")
    return Location(cloud, "global", None, False, (f"{record.type} is served from edge locations worldwide",),
                    "global service: served from edge locations worldwide, not from the UK"), record.address


TARGETS: dict[str, TargetResolver] = {
    "aws_region": _target_aws_region,
    "aws_arn": _target_aws_arn,
    "s3_bucket": _target_s3_bucket,
    "azure_location": _target_azure_location,
    "azure_resource": _target_azure_resource,
    "azure_pair": _target_azure_pair,
    "gcp_location": _target_gcp_location,
    "gcp_resource": _target_gcp_resource,
    "gcp_bigquery_table": _target_gcp_bigquery_table,
    "self": _target_self,
    "global_edge": _target_global_edge,
}


