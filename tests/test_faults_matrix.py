"""The other half of the live AWS fault matrix (tests/test_faults.py runs ``HERE``): every operation broken by each
remaining fault kind is a gap naming it. A file of its own so pytest-xdist runs it beside the first half; it builds
its own moto estate behind its own proxy (the fixtures are module-scoped)."""

from __future__ import annotations

from typing import Any

import pytest
from fault_proxy import FAULTS

from tests.test_faults import HERE, aws, broken_matrix, clean  # noqa: F401  (aws and clean are fixtures)

OTHERS = tuple(kind for kind in FAULTS if kind not in HERE)


@pytest.mark.slow
@pytest.mark.parametrize("kind", OTHERS)
def test_every_aws_operation_broken_by_the_other_faults_is_a_gap_naming_it(aws: Any, clean: Any, kind: str) -> None:  # noqa: F811
    broken_matrix(aws, clean, kind)


def test_the_two_halves_run_every_fault() -> None:
    assert sorted((*HERE, *OTHERS)) == sorted(FAULTS)
