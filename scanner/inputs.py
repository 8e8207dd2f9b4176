"""Which provider reads a given input path: the registry of static input kinds.

Providers are imported inside the functions that use them, so ``offshore-scan --help`` and a
Terraform scan never load a cloud SDK.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import assert_never

from providers.interface import InputError, ScanOptions
from scanner.model import CoverageGap, Inventory


class InputKind(StrEnum):
    """The kinds of static input ``scan`` understands."""

    TERRAFORM_CONFIGURATION = "terraform"
    TERRAFORM_PLAN = "plan"


def detect(argument: str) -> InputKind:
    """Decide the input kind from the path; raises ``InputError`` for what we cannot read."""
    if argument == "-":
        return InputKind.TERRAFORM_PLAN
    path = Path(argument)
    if not path.exists():
        raise InputError(argument, "no such file or directory")
    if path.is_dir():
        return InputKind.TERRAFORM_CONFIGURATION
    if path.suffix == ".json":
        return InputKind.TERRAFORM_PLAN
    if path.suffix == ".tf":
        return InputKind.TERRAFORM_CONFIGURATION
    raise InputError(argument, "not a directory, a .tf file or a plan (.json); offshore-scan cannot read it")


def scan_input(argument: str, options: ScanOptions) -> Inventory:
    """The inventory of one input; an unreadable input becomes a coverage gap, never an exception."""
    try:
        kind = detect(argument)
        return _scan(kind, argument, options)
    except InputError as error:
        return Inventory(coverage=(CoverageGap(error.path, error.line, error.reason),))
    except RecursionError:
        return Inventory(coverage=(CoverageGap(argument, None, "input nested too deeply to evaluate"),))
    except Exception as error:
        # A bug on one input must not lose the findings of the others, nor show a traceback.
        reason = f"offshore-scan failed on this input ({type(error).__name__}: {error}); please report it"
        return Inventory(coverage=(CoverageGap(argument, None, reason),))


def _scan(kind: InputKind, argument: str, options: ScanOptions) -> Inventory:
    if kind is InputKind.TERRAFORM_CONFIGURATION:
        from providers.terraform import scan_configuration

        path = Path(argument)
        return scan_configuration(path.parent if path.is_file() else path, options)
    if kind is InputKind.TERRAFORM_PLAN:
        from providers.terraform import scan_plan_text

        if argument == "-":
            return scan_plan_text(sys.stdin.read(), "<stdin>", options)
        try:
            text = Path(argument).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise InputError(argument, f"cannot read file: {error}") from None
        return scan_plan_text(text, argument, options)
    assert_never(kind)
