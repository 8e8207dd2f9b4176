"""The names access reads, loaded from ``resource_map/access.yaml`` (its header documents each key)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner.yaml_data import load_yaml

_FILE = Path(__file__).parent.parent / "resource_map" / "access.yaml"


@dataclass(frozen=True)
class ResourcePolicy:
    """Where one type keeps a resource policy."""

    subject: str | None
    """The attribute naming the resource the policy guards; None when the policy is inline in it."""
    policy: str
    """The attribute holding the document."""
    words: str
    """How a description names the policy."""


@dataclass(frozen=True)
class Sharing:
    """How one type shares a resource with other accounts by listing them."""

    subject: str | None
    """The attribute naming the shared resource; None when the resource itself lists the accounts."""
    accounts: tuple[str, ...]
    """The attributes holding who it is shared with: account ids, an organisation or OU ARN, a group."""
    public: str | None
    """The value that shares with every AWS account, if there is one."""
    words: str
    """How a description names the sharing."""


@dataclass(frozen=True)
class Narrowing:
    """A condition key that confines ``Principal: "*"``, and how its values are judged."""

    key: str
    operators: frozenset[str]
    """Operators (lower case) under which the condition confines."""
    judged_as: str
    equals: str | None = None
    """For a Bool key, the value that confines."""


@functools.cache
def _raw() -> Mapping[str, Any]:
    return load_yaml(_FILE.read_text(encoding="utf-8"))


@functools.cache
def own_data() -> Mapping[str, str]:
    """Data source type -> what it names: data sources that answer from the configuration's own account."""
    return dict(_raw()["own_data"])


@functools.cache
def lookup_names() -> tuple[str, ...]:
    """Attributes by which the estate map may place what a data source looks up."""
    return tuple(_raw()["lookup_names"])


@functools.cache
def resource_policies() -> Mapping[str, ResourcePolicy]:
    """Resource type -> where its resource policy is."""
    return {
        name: ResourcePolicy(entry.get("subject"), entry["policy"], entry["words"])
        for name, entry in _raw()["resource_policies"].items()
    }


@functools.cache
def shared_with() -> Mapping[str, Sharing]:
    """Resource type -> how it shares a resource with other accounts."""
    return {
        name: Sharing(entry.get("subject"), _names(entry["accounts"]), _text(entry.get("public")), entry["words"])
        for name, entry in (_raw().get("shared_with") or {}).items()
    }


@dataclass(frozen=True)
class DatabaseUsers:
    """How an identity policy names a database user (IAM database authentication)."""

    arn: str
    action: str
    types: Mapping[str, tuple[str, str]]
    """Database type -> (resource id attribute, the argument enabling IAM database authentication)."""
    words: str


@functools.cache
def database_users() -> DatabaseUsers | None:
    """``database_users``: the dbuser ARN, its action, the database types it reaches."""
    raw = _raw().get("database_users")
    if not raw:
        return None
    return DatabaseUsers(str(raw["arn"]), str(raw["action"]),
                         {str(t): (str(e["resource_id"]), str(e["enabled"])) for t, e in raw["types"].items()},
                         str(raw["words"]))


@functools.cache
def lambda_permission_conditions() -> tuple[tuple[str, str], ...]:
    """(attribute of ``aws_lambda_permission``, condition key it stands for)."""
    return tuple(_raw()["lambda_permission_conditions"].items())


@functools.cache
def lake_formation_reach() -> tuple[str, ...]:
    """Paths of ``aws_lakeformation_permissions`` naming what the principal reaches."""
    return tuple(_raw()["lake_formation_reach"])


@functools.cache
def narrowing() -> tuple[Narrowing, ...]:
    """The condition keys that confine ``Principal: "*"``, most specific first."""
    groups = {name: frozenset(op.lower() for op in ops) for name, ops in _raw()["condition_operators"].items()}
    return tuple(
        Narrowing(entry["key"], groups[entry["operators"]], entry["judged_as"], _text(entry.get("equals")))
        for entry in _raw()["narrowing"]
    )


def _names(value: Any) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _text(value: Any) -> str | None:
    # YAML reads a bare true as a bool; a policy's Bool value is compared as the text AWS reads.
    if value is None:
        return None
    return str(value).lower()
