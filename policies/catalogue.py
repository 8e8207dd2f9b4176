"""Load the policy definitions: one YAML file per policy in ``definitions/``, each naming a check."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from policies.checks import CHECKS, Check
from scanner.model import Category, Severity
from scanner.yaml_data import load_yaml

_DEFINITIONS = Path(__file__).with_name("definitions")


class PolicyDefinitionError(Exception):
    """A policy YAML file is malformed or names a check that does not exist."""


@dataclass(frozen=True)
class Policy:
    """One policy: what auditors review (the YAML) plus the check that implements it."""

    id: str
    """Stable rule id, e.g. ``OFS-HOST-001``."""
    title: str
    """One line."""
    categories: tuple[Category, ...]
    """The categories its findings can carry."""
    severity: Severity
    """Default severity of a ``fail``; markings such as OFFICIAL-SENSITIVE raise it to critical."""
    unknown_severity: Severity
    """Severity of an ``unknown`` outcome (medium unless the YAML says otherwise)."""
    policy_paragraph: str
    """The DWP Offshoring Policy paragraph it enforces."""
    rationale: str
    """Why it matters."""
    questionnaire: tuple[str, ...]
    """Appendix A sections its findings feed."""
    remediation: str
    """What to change."""
    check: Check
    """The Python check named by the YAML."""


@functools.cache
def load_policies() -> tuple[Policy, ...]:
    """Every policy, sorted by id; read once per process."""
    policies = [_load(path) for path in sorted(_DEFINITIONS.glob("*.yaml"))]
    return tuple(sorted(policies, key=lambda p: p.id))


def _load(path: Path) -> Policy:
    raw = load_yaml(path.read_text())
    try:
        check_name = raw["check"]
        if check_name not in CHECKS:
            raise PolicyDefinitionError(f"{path.name}: check {check_name!r} is not in policies.checks.CHECKS")
        return Policy(
            id=raw["id"],
            title=raw["title"],
            categories=tuple(Category(c) for c in raw["categories"]),
            severity=Severity(raw["severity"]),
            unknown_severity=Severity(raw.get("unknown_severity", raw["severity"] if check_name == "location_unknown"
                                               else "medium")),
            policy_paragraph=" ".join(raw["policy_paragraph"].split()),
            rationale=" ".join(raw["rationale"].split()),
            questionnaire=tuple(str(q) for q in raw["questionnaire"]),
            remediation=" ".join(raw["remediation"].split()),
            check=CHECKS[check_name],
        )
    except (KeyError, TypeError, ValueError) as error:
        raise PolicyDefinitionError(f"{path.name}: {error}") from error
