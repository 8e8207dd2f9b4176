"""Which tags make a resource DWP (the defaults of the foundation issue)."""

from __future__ import annotations

from typing import Any

import pytest

from providers.semantics.classification import ClassificationRules, marking_of, normalise_key


@pytest.mark.parametrize(
    ("key", "normalised"),
    [("Classification", "classification"), ("dwp.gov.uk/Data-Classification", "dataclassification"),
     ("aws:Security_Classification", "securityclassification"), ("Service Owner", "serviceowner")],
)
def test_keys_are_normalised(key: str, normalised: str) -> None:
    assert normalise_key(key) == normalised


@pytest.mark.parametrize(
    ("value", "marking"),
    [
        ("OFFICIAL", "OFFICIAL"), ("official", "OFFICIAL"), ("OFFICIAL-SENSITIVE", "OFFICIAL-SENSITIVE"),
        ("official_sensitive", "OFFICIAL-SENSITIVE"), ("Official Sensitive", "OFFICIAL-SENSITIVE"),
        ("OFFICIAL-SENSITIVE PERSONAL", "OFFICIAL-SENSITIVE"), ("OFFICIAL-SENSITIVE: COMMERCIAL", "OFFICIAL-SENSITIVE"),
        ("O-S", "OFFICIAL-SENSITIVE"), ("SECRET UK EYES ONLY", "SECRET"), ("top secret", "TOP SECRET"),
        ("UNCLASSIFIED", None), ("Officially public", None), ("public", None), ("", None),
    ],
)
def test_markings_with_descriptors_and_caveats(value: str, marking: str | None) -> None:
    assert marking_of(value) == marking


@pytest.mark.parametrize(
    ("tags", "dwp"),
    [
        ({"Owner": "DWP Digital"}, True), ({"owner": "dwp-digital"}, True),
        ({"Service Owner": "jane@dwp.gov.uk"}, True), ({"Owner": "DWPX Holdings"}, False),
        ({"Team": "DWP"}, False), ({"Owner": "HMRC"}, False), ({"Classification": "UNCLASSIFIED"}, False),
    ],
)
def test_default_selectors(tags: dict[str, Any], dwp: bool) -> None:
    assert ClassificationRules().classify(tags).dwp is dwp


def test_an_unknown_classification_is_possibly_dwp() -> None:
    found = ClassificationRules().classify({}, unknown_values={"Classification": "var.classification has no value"})
    assert found.dwp and not found.certain
    assert "var.classification has no value" in found.reason
    unknown_tags = ClassificationRules().classify({}, unknown_tags="var.tags has no value")
    assert unknown_tags.dwp and not unknown_tags.certain
    assert ClassificationRules().classify({"Classification": "OFFICIAL"}, unknown_values={"Owner": "x"}).certain
    # An unknown that decides nothing (a Name tag) leaves the resource as its other tags say.
    assert not ClassificationRules().classify({"Team": "claims"}, unknown_values={"Name": "x"}).dwp


def test_config_patterns_run_on_a_linear_time_engine() -> None:
    from providers.semantics.patterns import PatternError, compile_linear

    # (a+)+$ backtracks exponentially in Python's engine; RE2 answers at once.
    assert compile_linear(r"(a+)+$").search("a" * 50_000 + "!") is None
    assert compile_linear(r"(?i)^dwp-").search("DWP-claims")
    with pytest.raises(PatternError, match="linear time"):
        compile_linear(r"(x)\1")
