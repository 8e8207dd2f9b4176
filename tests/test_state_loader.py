"""Terraform state as an input: both shapes, placement from what the provider recorded, no secret read."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from providers.semantics.records import Unknown
from providers.terraform.state_loader import load_state, looks_like_state
from scanner.cli import main

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def test_both_state_shapes_are_recognised_and_a_plan_is_not() -> None:
    assert looks_like_state({"format_version": "1.0", "values": {"root_module": {}}})
    assert looks_like_state({"version": 4, "resources": []})
    assert not looks_like_state({"format_version": "1.2", "planned_values": {}, "values": {}})


def test_sensitive_attributes_become_unknowns() -> None:
    state = json.loads((FIXTURES / "state-tfstate-file" / "terraform.tfstate").read_text())
    records, gaps = load_state(state, "terraform.tfstate")
    secret = next(r for r in records if r.type == "aws_secretsmanager_secret_version")
    assert isinstance(secret.values["secret_string"], Unknown)
    assert secret.placement.region.value == "eu-west-2"
    assert gaps == ()


def test_no_secret_from_state_reaches_a_report() -> None:
    for path, secret in ((FIXTURES / "state-show-json" / "state.json", "correct-horse-battery-staple"),
                         (FIXTURES / "state-tfstate-file" / "terraform.tfstate", "super-secret-value")):
        for output_format in ("json", "text"):
            result = CliRunner().invoke(main, ["scan", str(path), "--format", output_format])
            assert secret not in result.output


def test_a_resource_with_no_region_anywhere_is_unknown_not_uk() -> None:
    state = {"version": 4, "resources": [{"mode": "managed", "type": "aws_efs_file_system", "name": "x",
                                          "instances": [{"attributes": {"id": "fs-1", "tags": {}}}]}]}
    [record], _ = load_state(state, "s.tfstate")
    assert isinstance(record.placement.region.value, Unknown)
