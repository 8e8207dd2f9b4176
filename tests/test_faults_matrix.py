"""The second pass of the live AWS fault matrix (tests/test_faults.py runs the first): every operation broken by
the fault kind this pass deals it is a gap naming it. A file of its own so pytest-xdist runs it beside the first
pass; it builds its own moto estate behind its own proxy (the fixtures are module-scoped)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.test_faults import PASSES, aws, broken_pass, clean  # noqa: F401  (aws and clean are fixtures)


@pytest.mark.slow
def test_every_aws_operation_broken_by_the_second_pass_is_a_gap_naming_it(aws: Any, clean: Any) -> None:  # noqa: F811
    broken_pass(aws, clean, 1)


def test_the_two_files_run_every_pass() -> None:
    assert PASSES == 2
