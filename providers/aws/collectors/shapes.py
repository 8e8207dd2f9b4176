"""API response shapes -> the Terraform provider schema's shape (pure)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

_WORD = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake(name: str) -> str:
    """``ReplicaKmsKeyID`` -> ``replica_kms_key_id``; ``DeleteMarkerReplication`` -> ``delete_marker_replication``."""
    return _WORD.sub("_", name).lower()


def blocks(value: Any) -> Any:
    """A response structure in the schema's shape: snake_case keys, nested objects as lists of one block
    (as plan JSON writes nested blocks), lists kept."""
    if isinstance(value, Mapping):
        return {snake(str(k)): _block(v) for k, v in value.items()}
    if isinstance(value, list):
        return [blocks(v) for v in value]
    return value


def _block(value: Any) -> Any:
    if isinstance(value, Mapping):
        return [blocks(value)]
    return blocks(value)


def policy_text(document: Any) -> Any:
    """A policy document as the schema keeps it: JSON text (boto3 decodes some documents for us)."""
    if isinstance(document, Mapping | list):
        return json.dumps(document, sort_keys=True)
    return document
