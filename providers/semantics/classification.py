"""Which resources are DWP: tags and labels, scope rules from the config file, or everything.

A resource is DWP when (defaults, no config needed):
- a tag whose normalised key is ``classification``, ``dataclassification`` or
  ``securityclassification`` carries a Government Security Classification; or
- a tag whose normalised key is ``owner``, ``department``, ``organisation`` or ``serviceowner``
  names DWP (``\\bdwp\\b``) or ends with ``@dwp.gov.uk``; or
- its account, subscription or project is listed in the config as wholly DWP; or
- the scan runs with ``--scope all``.

Keys are normalised by lower-casing, dropping any prefix up to the last ``:`` or ``/``
(``dwp.gov.uk/classification``, ``aws:Owner``), and removing ``-``, ``_``, space and ``.``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from providers.semantics.patterns import Matcher
from scanner.model import NOT_DWP, Classification

DEFAULT_CLASSIFICATION_KEYS = frozenset({"classification", "dataclassification", "securityclassification"})
DEFAULT_OWNER_KEYS = frozenset({"owner", "department", "organisation", "serviceowner"})
DEFAULT_OWNER_PATTERNS = (re.compile(r"(?i)\bdwp\b"), re.compile(r"(?i)@dwp\.gov\.uk$"))

# Government Security Classifications and the OFFICIAL-SENSITIVE marking, by their letters only,
# so OFFICIAL_SENSITIVE, "Official Sensitive" and OFFICIAL-SENSITIVE all match.
_MARKINGS = {
    "official": "OFFICIAL",
    "officialsensitive": "OFFICIAL-SENSITIVE",
    "secret": "SECRET",
    "topsecret": "TOP SECRET",
}
# Markings at which any offshoring is critical rather than high.
CRITICAL_MARKINGS = frozenset({"OFFICIAL-SENSITIVE", "SECRET", "TOP SECRET"})
_RANK = {None: 0, "OFFICIAL": 1, "OFFICIAL-SENSITIVE": 2, "SECRET": 3, "TOP SECRET": 4}


def higher_marking(one: str | None, other: str | None) -> bool:
    """Whether marking ``one`` is above ``other`` (no marking is below OFFICIAL)."""
    return _RANK.get(one, 0) > _RANK.get(other, 0)


def normalise_key(key: str) -> str:
    """``dwp.gov.uk/Data-Classification`` -> ``dataclassification``."""
    tail = re.split(r"[:/]", key.lower())[-1]
    return re.sub(r"[-_ .]", "", tail)


def marking_of(value: str) -> str | None:
    """The Government Security Classification a tag value starts with, if it names one.

    Descriptors and caveats may follow the marking (``OFFICIAL-SENSITIVE PERSONAL``,
    ``OFFICIAL-SENSITIVE: COMMERCIAL``, ``SECRET UK EYES ONLY``); words that merely begin with the
    same letters (``Officially public``) do not count.
    """
    words = re.findall(r"[a-z]+", value.lower())
    if not words:
        return None
    if words[:2] in (["official", "sensitive"], ["o", "s"]) or words[0] == "officialsensitive":
        return "OFFICIAL-SENSITIVE"
    if words[:2] == ["top", "secret"] or words[0] == "topsecret":
        return "TOP SECRET"
    return _MARKINGS.get(words[0]) if words[0] in ("official", "secret") else None


@dataclass(frozen=True)
class ClassificationRules:
    """How to decide DWP-ness; the defaults plus whatever the config file adds."""

    classification_keys: frozenset[str] = DEFAULT_CLASSIFICATION_KEYS
    """Normalised tag keys whose value is a security classification."""
    owner_keys: frozenset[str] = DEFAULT_OWNER_KEYS
    """Normalised tag keys whose value names an owner."""
    owner_patterns: tuple[Matcher, ...] = DEFAULT_OWNER_PATTERNS
    """An owner tag value matching any of these means DWP."""
    extra_tags: Mapping[str, tuple[Matcher, ...]] = field(default_factory=dict)
    """Config-added normalised keys with value patterns that mean DWP (``application: [^claims-]``)."""
    dwp_scopes: frozenset[str] = frozenset()
    """Account ids, subscription ids and project ids whose resources are all DWP."""
    scope_all: bool = False
    """``--scope all``: every resource is treated as DWP."""

    def classify(
        self,
        tags: Mapping[str, Any],
        scopes: Iterable[str] = (),
        noun: str = "tag",
        unknown_tags: str | None = None,
        unknown_values: Mapping[str, str] | None = None,
    ) -> Classification:
        """Decide one resource from its tags (or labels: ``noun`` names them in the reason) and its scopes.

        A classification or owner tag whose value is not known (``unknown_values``: key -> why, e.g.
        ``var.classification has no value``), or tags that are unknown as a whole (``unknown_tags`` says
        why), make the resource *possibly* DWP: it is judged, and its failures are reported as ``unknown``.
        """
        deciding = self.classification_keys | self.owner_keys | set(self.extra_tags)
        undecided: list[str] = [f"its {noun}s are not known statically ({unknown_tags})"] if unknown_tags else []
        for raw_key, reason in sorted((unknown_values or {}).items()):
            if normalise_key(raw_key) in deciding:
                undecided.append(f"{noun} {raw_key} is not known statically ({reason})")
        for raw_key, raw_value in sorted(tags.items(), key=lambda item: str(item[0])):
            key = normalise_key(str(raw_key))
            if not isinstance(raw_value, str):
                if raw_value is not None and key in deciding:
                    undecided.append(f"{noun} {raw_key} is not a string ({raw_value!r})")
                continue
            if key in self.classification_keys:
                marking = marking_of(raw_value)
                if marking is not None:
                    return Classification(True, f"{noun} {raw_key}={raw_value}", marking)
            if key in self.owner_keys and any(p.search(raw_value) for p in self.owner_patterns):
                return Classification(True, f"{noun} {raw_key}={raw_value}", _marking_in(tags, self))
            patterns = self.extra_tags.get(key)
            if patterns and any(p.search(raw_value) for p in patterns):
                return Classification(True, f"{noun} {raw_key}={raw_value} (config)", _marking_in(tags, self))
        for scope in scopes:
            if scope in self.dwp_scopes:
                return Classification(True, f"in DWP scope {scope} (config)", _marking_in(tags, self))
        if self.scope_all:
            return Classification(True, "--scope all", _marking_in(tags, self))
        if undecided:
            return Classification(True, f"possibly DWP: {undecided[0]}", None, certain=False)
        return NOT_DWP


def _marking_in(tags: Mapping[str, Any], rules: ClassificationRules) -> str | None:
    # An owner tag made it DWP; a classification tag may still say how sensitive it is.
    for raw_key, raw_value in tags.items():
        if isinstance(raw_value, str) and normalise_key(raw_key) in rules.classification_keys:
            marking = marking_of(raw_value)
            if marking is not None:
                return marking
    return None
