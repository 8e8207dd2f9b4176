"""Which provider reads a given input path: the registry of static input kinds.

Providers are imported inside the functions that use them, so ``offshore-scan --help`` never loads
a parser it does not need, and a static scan never loads a cloud SDK.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import assert_never

from providers.interface import InputError, ScanOptions, skipped_by, too_large
from providers.kubernetes.options import KubernetesOptions
from providers.terraform.options import TerraformOptions
from scanner.model import CoverageGap, Inventory, merge_all


class InputKind(StrEnum):
    """The kinds of static input ``scan`` understands."""

    TERRAFORM_CONFIGURATION = "terraform"
    TERRAFORM_PLAN = "plan"
    """A plan or state: ``terraform show -json`` output, or a ``terraform.tfstate`` file."""
    KUBERNETES_MANIFESTS = "kubernetes"


@dataclass(frozen=True)
class InputOptions:
    """The options of a static scan: those every provider shares, and each adapter's own."""

    common: ScanOptions = field(default_factory=ScanOptions)
    """Who is DWP and who is behind ids (the config)."""
    terraform: TerraformOptions = field(default_factory=TerraformOptions)
    """``--var-file`` and ``--var``."""
    kubernetes: KubernetesOptions = field(default_factory=KubernetesOptions)
    """``--cluster-region``."""


def detect(argument: str, skip: tuple[str, ...] = ()) -> list[InputKind]:
    """The input kinds a path holds (a repository may hold Terraform and manifests side by side), outside the
    ``--skip-path`` globs ``skip``."""
    if argument == "-":
        return [InputKind.TERRAFORM_PLAN]  # refined once stdin is read: see _scan_stdin
    path = Path(argument)
    if not path.exists():
        raise InputError(argument, "no such file or directory")
    if path.is_dir():
        kinds = []
        if _has_terraform(path, skip):
            kinds.append(InputKind.TERRAFORM_CONFIGURATION)
        from providers.kubernetes.adapter import manifest_files

        if manifest_files(path, skip):
            kinds.append(InputKind.KUBERNETES_MANIFESTS)
        if not kinds:
            also = " outside --skip-path" if skip else ""
            raise InputError(argument, "no Terraform files (*.tf, *.tf.json) or Kubernetes manifests (*.yaml) found "
                                       f"here{also}")
        return kinds
    if path.suffix == ".tf" or path.name.endswith(".tf.json"):
        return [InputKind.TERRAFORM_CONFIGURATION]
    if path.suffix in (".json", ".tfstate") or path.name.endswith(".tfstate.backup"):
        return [InputKind.TERRAFORM_PLAN]
    if path.suffix in (".yaml", ".yml"):
        return [InputKind.KUBERNETES_MANIFESTS]
    raise InputError(argument, "not a directory, a .tf or .tf.json file, a plan or state (.json, .tfstate) or "
                               "manifests (.yaml); cannot read it")


def scan_input(argument: str, options: InputOptions) -> Inventory:
    """The inventory of one input; an unreadable input becomes a coverage gap, never an exception."""
    try:
        if argument == "-":
            return _scan_stdin(options)
        skipped = _skipped(Path(argument), options.common.skip_paths)
        return merge_all([skipped, *(_scan(kind, argument, options)
                                     for kind in detect(argument, options.common.skip_paths))])
    except InputError as error:
        return Inventory(coverage=(CoverageGap(error.path, error.line, error.reason),))
    except RecursionError:
        return Inventory(coverage=(CoverageGap(argument, None, "input nested too deeply to evaluate"),))
    except MemoryError:
        return Inventory(coverage=(CoverageGap(argument, None, "ran out of memory evaluating this input; it was not "
                                                               "scanned (scan its parts separately)"),))
    except Exception as error:
        # A bug on one input must not lose the findings of the others, nor show a traceback.
        reason = f"offshore-scan failed on this input ({type(error).__name__}: {error}); please report it"
        return Inventory(coverage=(CoverageGap(argument, None, reason),))


def read_text(path: Path, max_bytes: int | None = None) -> str:
    """A text file as UTF-8, or UTF-16 when it starts with a UTF-16 byte-order mark (what Windows
    PowerShell's ``>`` writes); an ``InputError`` that says which otherwise, or that the file is too large."""
    try:
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            raise InputError(str(path), too_large(size, max_bytes))
        raw = path.read_bytes()
    except OSError as error:
        raise InputError(str(path), f"cannot read file: {error.strerror or error}") from None
    try:
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            return raw.decode("utf-16")
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(str(path), "cannot read file: it is neither UTF-8 nor UTF-16 text (re-save it as UTF-8, "
                                    "e.g. `terraform show -json plan.out > plan.json` from a POSIX shell)") from None


def _has_terraform(root: Path, skip: tuple[str, ...] = ()) -> bool:
    for directory, subdirs, filenames in os.walk(root):
        subdirs[:] = [d for d in subdirs if d not in (".terraform", ".git", "node_modules")
                      and not skipped_by(root, Path(directory) / d, skip)]
        if any(name.endswith((".tf", ".tf.json")) and not skipped_by(root, Path(directory) / name, skip)
               for name in filenames):
            return True
    return False


def _skipped(root: Path, skip: tuple[str, ...]) -> Inventory:
    """A note for each file or directory ``--skip-path`` keeps the scan from reading (the topmost one: a skipped
    directory is one note), so a skip is never silent."""
    if not skip or not root.is_dir():
        return Inventory()
    notes = []
    for directory, subdirs, filenames in os.walk(root):
        for name in sorted(subdirs):
            pattern = skipped_by(root, Path(directory) / name, skip)
            if pattern is not None:
                notes.append(CoverageGap(str(Path(directory) / name), None,
                                         f"directory not read: skipped by --skip-path {pattern!r}", kind="note"))
        subdirs[:] = sorted(d for d in subdirs if d not in (".terraform", ".git", "node_modules")
                            and not skipped_by(root, Path(directory) / d, skip))
        for name in sorted(filenames):
            pattern = skipped_by(root, Path(directory) / name, skip)
            if pattern is not None and name.endswith((".tf", ".tf.json", ".yaml", ".yml", ".json")):
                notes.append(CoverageGap(str(Path(directory) / name), None,
                                         f"not read: skipped by --skip-path {pattern!r}", kind="note"))
    return Inventory(coverage=tuple(notes))


def _scan_stdin(options: InputOptions) -> Inventory:
    text = sys.stdin.read()
    if not text.strip():
        raise InputError("<stdin>", "standard input is empty (did the command piping into offshore-scan fail?)")
    head = text[:65536]
    # A plan is JSON with planned_values; `kubectl get -o json` output is JSON too, and YAML reads JSON.
    if text.lstrip().startswith("{") and ('"planned_values"' in head or '"resource_changes"' in head
                                          or '"apiVersion"' not in head):
        from providers.terraform.adapter import scan_plan_text

        return scan_plan_text(text, "<stdin>", options.common)
    from providers.kubernetes.adapter import scan_manifest_text

    return scan_manifest_text(text, "<stdin>", options.common, options.kubernetes)


def _scan(kind: InputKind, argument: str, options: InputOptions) -> Inventory:
    path = Path(argument)
    if kind is InputKind.TERRAFORM_CONFIGURATION:
        from providers.terraform.adapter import scan_configuration

        return scan_configuration(path.parent if path.is_file() else path, options.common, options.terraform,
                                  options.kubernetes)
    if kind is InputKind.TERRAFORM_PLAN:
        from providers.terraform.adapter import scan_plan_text

        return scan_plan_text(read_text(path, options.common.max_file_bytes), argument, options.common)
    if kind is InputKind.KUBERNETES_MANIFESTS:
        from providers.kubernetes.adapter import manifest_files, scan_manifest_paths

        return scan_manifest_paths(manifest_files(path, options.common.skip_paths), options.common,
                                   options.kubernetes)
    assert_never(kind)
