"""The project's own contracts: ruff-clean, and the layers the README describes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("tool", "args"),
    [("ruff", ["check", "."]), ("lint-imports", [])],
    ids=["ruff", "import-linter"],
)
def test_tool_is_clean(tool: str, args: list[str]) -> None:
    # The tools are installed beside this interpreter; the venv need not be activated.
    beside = Path(sys.executable).parent / tool
    executable = str(beside) if beside.exists() else shutil.which(tool)
    assert executable is not None, f"{tool} is part of the test extras: pip install -e '.[test]'"
    result = subprocess.run([executable, *args], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("module", [
    "providers.semantics.normalise",
    "providers.semantics.policy_documents",
    "providers.terraform.options",
    "providers.kubernetes.options",
    "providers.azure.options",
    "scanner.inputs",
])
def test_the_shared_meaning_and_the_options_load_no_parser_and_no_cloud_sdk(module: str) -> None:
    # A live scan reads IAM documents and options without paying for the HCL parser; a static scan
    # never pays for a cloud SDK.
    code = f"import sys, {module}; print(sorted(m for m in ('hcl2', 'lark', 'boto3', 'azure') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_every_provider_named_as_understood_is_a_name() -> None:
    # A bare `null` in YAML is no name at all: the null provider would silently count as not understood.
    from providers.semantics.resource_map import _without_hosting

    assert all(isinstance(name, str) and name for name in _without_hosting())
    assert "null" in _without_hosting()
