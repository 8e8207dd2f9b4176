"""The tables of cloud and vendor meaning shipped in ``providers/semantics/data/`` (regions, endpoints, agents,
known vendor accounts...), read as package data so an installed wheel finds them too."""

from __future__ import annotations

from importlib import resources


def data_text(name: str) -> str:
    """The text of one table, by file name (``endpoints.yaml``)."""
    return (resources.files("providers.semantics") / "data" / name).read_text(encoding="utf-8")
