"""The catalogue of data-moving arguments: ``resource_map/arguments.yaml``.

Generated from the Terraform providers' own documentation by ``catalogue_generator.py`` (its header says how to
regenerate it). For every resource type: which argument paths name a place, a destination, a source, a create
mode, a peer or an endpoint, and where the type takes its location from. It is a lead for the hand-written
resource map (which attributes of a type to look at), not a rule the scan applies by itself: its entries are
under ``catalogue:``, not ``types:``, so that ``resource_map.resource_map()``, which merges the ``types`` of
every file in ``resource_map/``, does not take them for rules.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from scanner.yaml_data import load_yaml

_CATALOGUE = Path(__file__).with_name("resource_map") / "arguments.yaml"

ROLES: tuple[str, ...] = ("place", "destination", "source", "create_mode", "peer", "endpoint")
"""Every role an argument path can have (the header of arguments.yaml says what each means)."""

LOCATED: tuple[str, ...] = ("own", "provider", "from", "none")


@dataclass(frozen=True)
class TypeArguments:
    """What the catalogue says of one resource type.

    ``located`` is ``own`` (a top-level region/location/zone), ``provider`` (AWS: the provider's region),
    ``from`` (the parent the top-level argument ``located_from`` names) or ``none``; ``arguments`` maps a
    dotted argument path to one of ``ROLES``.
    """

    located: str
    located_from: str | None
    arguments: Mapping[str, str]
    encryption: tuple[str, ...] = ()
    """Argument paths that say how data is encrypted at rest (leads for ``resource_map/encryption.yaml``)."""

    def paths(self, role: str) -> tuple[str, ...]:
        """The argument paths that have ``role``, sorted."""
        return tuple(sorted(path for path, found in self.arguments.items() if found == role))


def _type_arguments(raw: Mapping[str, Any]) -> TypeArguments:
    located = raw.get("located", "none")
    located_from = None
    if isinstance(located, Mapping):
        located_from = str(located["from"])
        located = "from"
    arguments = raw.get("arguments") or {}
    if not isinstance(arguments, Mapping):
        raise ValueError(f"arguments.yaml: arguments must be a mapping, not {arguments!r}")
    return TypeArguments(str(located), located_from, MappingProxyType({str(k): str(v) for k, v in arguments.items()}),
                         tuple(str(p) for p in raw.get("encryption") or ()))


@functools.cache
def catalogue_sources() -> Mapping[str, Mapping[str, str]]:
    """Provider -> the repository, commit and version the catalogue was generated from."""
    return MappingProxyType(dict(_raw()["sources"]))


@functools.cache
def argument_catalogue() -> Mapping[str, TypeArguments]:
    """Resource type (``aws_s3_bucket_replication_configuration``, ``azapi_resource Microsoft.Sql/servers``) ->
    what the catalogue says of it."""
    types = _raw().get("catalogue") or {}
    return MappingProxyType({name: _type_arguments(raw) for name, raw in types.items()})


@functools.cache
def _raw() -> dict[str, Any]:
    return load_yaml(_CATALOGUE.read_text(encoding="utf-8"))
