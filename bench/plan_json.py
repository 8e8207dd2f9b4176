"""A generated ``terraform show -json`` plan of N managed resources.

    python bench/plan_json.py FILE [--resources 10000]

The shape is what Terraform 1.7 writes and what ``providers/terraform/plan_loader.py`` reads:
``variables``, ``planned_values.root_module`` with ``child_modules`` (one module call instantiated with
``for_each``), ``resource_changes`` with ``after_unknown`` (ids and ARNs known only after apply, a
replication destination that refers to another resource), and ``configuration`` (``provider_config``
with a ``dr`` alias whose region is a variable, and per-resource ``expressions`` with ``references``).
Written compact, as Terraform writes it, so the size per resource is realistic.
"""

from __future__ import annotations

import argparse
import json
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

PER_MODULE = 100
"""Resources in the root module and in each instance of ``module.service``."""

_AWS = "registry.terraform.io/hashicorp/aws"
_TAGS = {"DataClassification": "OFFICIAL-SENSITIVE", "Application": "claims"}


def _bucket(name: str, region: str) -> dict[str, Any]:
    return {
        "bucket": name, "bucket_prefix": None, "force_destroy": False, "object_lock_enabled": False,
        "region": region, "tags": _TAGS, "tags_all": {**_TAGS, "ManagedBy": "terraform"}, "timeouts": None,
    }


def _table(name: str, region: str) -> dict[str, Any]:
    # One table in ten keeps a global-table replica in Ireland: a replication finding, as in real estates.
    replicas = [{"region_name": "eu-west-1"}] if zlib.crc32(name.encode()) % 10 == 0 else []
    return {
        "name": name, "billing_mode": "PAY_PER_REQUEST", "hash_key": "claim_id", "region": region,
        "attribute": [{"name": "claim_id", "type": "S"}], "replica": replicas, "tags": _TAGS, "tags_all": _TAGS,
    }


def _queue(name: str, region: str) -> dict[str, Any]:
    return {"name": name, "message_retention_seconds": 345600, "region": region, "tags": {"Team": "platform"},
            "tags_all": {"Team": "platform"}}


def _database(name: str, region: str) -> dict[str, Any]:
    return {"identifier": name, "engine": "postgres", "instance_class": "db.t3.medium", "allocated_storage": 50,
            "region": region, "storage_encrypted": True, "tags": _TAGS, "tags_all": _TAGS}


# (type, values, attributes known only after apply); the list cycles over a module's resources.
_KINDS: list[tuple[str, Callable[[str, str], dict[str, Any]], list[str]]] = [
    ("aws_s3_bucket", _bucket, ["arn", "id", "bucket_domain_name"]),
    ("aws_dynamodb_table", _table, ["arn", "id", "stream_arn"]),
    ("aws_sqs_queue", _queue, ["arn", "id", "url"]),
    ("aws_db_instance", _database, ["arn", "id", "endpoint", "address"]),
]


def _address(prefix: str, type_name: str, name: str) -> str:
    return f"{prefix}.{type_name}.{name}" if prefix else f"{type_name}.{name}"


def _planned(prefix: str, label: str, index: int, region: str) -> dict[str, Any]:
    type_name, values, _ = _KINDS[index % len(_KINDS)]
    name = f"r{index}"
    return {
        "address": _address(prefix, type_name, name),
        "mode": "managed", "type": type_name, "name": name, "provider_name": _AWS, "schema_version": 0,
        "values": values(f"claims-{label}-{name}", region), "sensitive_values": {"tags": {}, "tags_all": {}},
    }


def _change(resource: dict[str, Any], index: int) -> dict[str, Any]:
    unknown = dict.fromkeys(_KINDS[index % len(_KINDS)][2], True)
    change = {"actions": ["create"], "before": None, "after": resource["values"], "after_unknown": unknown,
              "before_sensitive": False, "after_sensitive": {"tags": {}, "tags_all": {}}}
    keys = ("address", "mode", "type", "name", "provider_name")
    return {**{k: resource[k] for k in keys}, "change": change}


def _replication(
    prefix: str, label: str, provider_key: str
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A replication configuration of the module's first bucket, its destination known only after apply."""
    address = _address(prefix, "aws_s3_bucket_replication_configuration", "copy")
    values = {"bucket": f"claims-{label}-r0", "role": "arn:aws:iam::111122223333:role/replication",
              "rule": [{"id": "all", "status": "Enabled", "destination": [{"bucket": None}]}]}
    planned = {"address": address, "mode": "managed", "type": "aws_s3_bucket_replication_configuration",
               "name": "copy", "provider_name": _AWS, "schema_version": 0, "values": values,
               "sensitive_values": {}}
    change = {k: planned[k] for k in ("address", "mode", "type", "name", "provider_name")}
    change["change"] = {"actions": ["create"], "before": None, "after": values,
                        "after_unknown": {"id": True, "rule": [{"destination": [{"bucket": True}]}]}}
    config = {"address": "aws_s3_bucket_replication_configuration.copy", "mode": "managed",
              "type": "aws_s3_bucket_replication_configuration", "name": "copy", "provider_config_key": provider_key,
              "expressions": {"rule": [{"destination": [{"bucket": {
                  "references": ["aws_s3_bucket.r0.arn", "aws_s3_bucket.r0"]}}]}]}}
    return planned, change, config


def _config_resources(count: int, provider_key: str) -> list[dict[str, Any]]:
    entries = []
    for index in range(count):
        type_name = _KINDS[index % len(_KINDS)][0]
        entries.append({
            "address": f"{type_name}.r{index}", "mode": "managed", "type": type_name, "name": f"r{index}",
            "provider_config_key": provider_key, "schema_version": 0,
            "expressions": {"tags": {"references": ["local.tags"]}, "region": {"references": ["var.region"]}},
        })
    return entries


def generate_plan(resources: int) -> dict[str, Any]:
    """A plan of ``resources`` managed resources (a replication configuration in each module included)."""
    modules = max(0, resources // PER_MODULE - 1)
    root_count = resources - modules * PER_MODULE
    planned_root, changes = _module_resources("", "root", root_count, "eu-west-2")
    children = []
    for number in range(modules):
        prefix = f'module.service["svc-{number:03d}"]'
        # One service in ten runs in the DR region (us-east-1): the plan has findings to report.
        region = "us-east-1" if number % 10 == 0 else "eu-west-2"
        planned, module_changes = _module_resources(prefix, f"svc{number:03d}", PER_MODULE, region)
        children.append({"address": prefix, "resources": planned})
        changes.extend(module_changes)
    module_config = {"resources": [*_config_resources(PER_MODULE - 1, "aws.dr"), _replication("", "", "aws.dr")[2]],
                     "variables": {"region": {"default": "eu-west-2"}}}
    return {
        "format_version": "1.2", "terraform_version": "1.7.5",
        "variables": {"dr_region": {"value": "us-east-1"}, "environment": {"value": "production"}},
        "planned_values": {"root_module": {"resources": planned_root, "child_modules": children}},
        "resource_changes": changes,
        "configuration": {
            "provider_config": {
                "aws": {"name": "aws", "full_name": _AWS, "expressions": {"region": {"constant_value": "eu-west-2"}}},
                "aws.dr": {"name": "aws", "full_name": _AWS, "alias": "dr",
                           "expressions": {"region": {"references": ["var.dr_region"]}}},
            },
            "root_module": {
                "resources": [*_config_resources(root_count - 1, "aws"), _replication("", "", "aws")[2]],
                "module_calls": {"service": {"source": "./modules/service", "for_each_expression": {
                    "references": ["local.services"]}, "module": module_config}},
            },
        },
        "timestamp": "2025-01-01T00:00:00Z", "applyable": True, "complete": True, "errored": False,
    }


def _module_resources(
    prefix: str, label: str, count: int, region: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``count`` planned resources of one module instance (the last a replication configuration)."""
    planned = [_planned(prefix, label, index, region) for index in range(count - 1)]
    changes = [_change(resource, index) for index, resource in enumerate(planned)]
    replication, replication_change, _ = _replication(prefix, label, "aws")
    return [*planned, replication], [*changes, replication_change]


def write_plan(path: Path, resources: int) -> int:
    """Write the plan JSON to ``path``; returns its size in bytes."""
    text = json.dumps(generate_plan(resources), separators=(",", ":"))
    path.write_text(text, encoding="utf-8")
    return len(text)


def main() -> None:
    parser = argparse.ArgumentParser(description="Write the benchmark plan JSON to FILE.")
    parser.add_argument("file", type=Path)
    parser.add_argument("--resources", type=int, default=10_000)
    options = parser.parse_args()
    size = write_plan(options.file, options.resources)
    print(f"{options.resources} resources, {size / 1e6:.1f} MB in {options.file}")


if __name__ == "__main__":
    main()
