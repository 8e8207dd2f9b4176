"""Which provider reads a given input path: the registry of static input kinds.

Providers are imported inside the functions that use them, so ``offshore-scan --help`` never loads
a parser it does not need, and a static scan never loads a cloud SDK.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
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
            states = sorted(p.name for p in path.iterdir() if p.name.endswith((".tfstate", ".tfstate.backup")))
            hint = (f"; found {states[0]}: a state in a directory is not read on its own, pass it as a PATH "
                    f"(offshore-scan scan {path / states[0]}) to scan the state" if states else "")
            raise InputError(argument, "no Terraform files (*.tf, *.tf.json) or Kubernetes manifests (*.yaml) found "
                                       f"here{also}{hint}")
        return kinds
    if path.suffix == ".tf" or path.name.endswith(".tf.json"):
        return [InputKind.TERRAFORM_CONFIGURATION]
    if path.suffix in (".json", ".tfstate") or path.name.endswith(".tfstate.backup"):
        return [InputKind.TERRAFORM_PLAN]
    if path.suffix in (".yaml", ".yml"):
        return [InputKind.KUBERNETES_MANIFESTS]
    raise InputError(argument, "not a directory, a .tf or .tf.json file, a plan or state (.json, .tfstate) or "
                               "manifests (.yaml); cannot read it")


def scan_inputs(arguments: Sequence[str], options: InputOptions) -> Inventory:
    """Every input of one run, one inventory. Kubernetes manifests, wherever they are given (files, directories,
    standard input), are read together as one cluster, as a directory of them is: a node agent in one file carries
    the logs of a DWP workload in another, and a Namespace's labels make the Deployments of other files DWP.
    Terraform configurations, plans and states are each their own input."""
    parts: list[Inventory] = []
    manifest_paths: list[Path] = []
    manifest_texts: list[tuple[str, str]] = []
    roots: set[str] = set()
    for argument in arguments:
        scanned = _guarded(argument, lambda a=argument: _scan_one(a, options, manifest_paths, manifest_texts, roots))
        parts.append(scanned)
    parts.append(_unmatched_skips(arguments, options.common.skip_paths))
    parts = _kept_apart(list(arguments), parts)
    if manifest_paths or manifest_texts:
        # The same file given twice (itself and its directory) is read once; realpath, unlike resolve(), does not
        # raise on a symlink loop, which the adapter reports as a gap.
        seen: set[str] = set()
        distinct = [p for p in manifest_paths
                    if not (os.path.realpath(p) in seen or seen.add(os.path.realpath(p)))]
        given = [str(p) for p in distinct] + [name for name, _ in manifest_texts]
        parts.append(_guarded(", ".join(given), lambda: _scan_manifests(distinct, manifest_texts, options)))
    merged = merge_all(parts)
    # A file skipped under a directory and under a .tf file of it, both given, is one note.
    said: set[CoverageGap] = set()
    coverage = tuple(g for g in merged.coverage if "--skip-path" not in g.reason or g.incomplete
                     or not (g in said or said.add(g)))
    return replace(merged, coverage=coverage) if len(coverage) != len(merged.coverage) else merged


def _kept_apart(arguments: list[str], parts: list[Inventory]) -> list[Inventory]:
    """Inputs that hold the same address (a plan and the configuration it was made from, two environments' plans)
    are separate estates: each such input's ids are prefixed with the input (``<stdin>:aws_s3_bucket.b``), as
    several root modules in one directory are, so neither hides the other's resources or findings. Inputs whose
    addresses are their own keep them unprefixed."""
    from providers.semantics.normalise import qualified

    ids = [{r.id for r in part.resources} for part in parts]
    clashing = [i for i, own in enumerate(ids) if any(own & other for j, other in enumerate(ids) if j != i)]
    for i in clashing:
        parts[i] = qualified(parts[i], "<stdin>" if arguments[i] == "-" else arguments[i].rstrip("/") or "/")
    return parts


def scan_input(argument: str, options: InputOptions) -> Inventory:
    """The inventory of one input on its own; an unreadable input becomes a coverage gap, never an exception."""
    return scan_inputs([argument], options)


def _guarded(argument: str, scan: Callable[[], Inventory]) -> Inventory:
    try:
        return scan()
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


def _scan_one(argument: str, options: InputOptions, manifest_paths: list[Path],
              manifest_texts: list[tuple[str, str]], roots: set[str]) -> Inventory:
    """One argument's Terraform, plan or state; its manifests are added to the run's one cluster. A Terraform
    configuration is its directory (a ``.tf`` file given is read with the files beside it), so a directory and a
    file in it are one configuration, read once (``roots``: the directories read so far)."""
    if argument == "-":
        return _scan_stdin(options, manifest_texts)
    kinds = detect(argument, options.common.skip_paths)
    path = Path(argument)
    parts = []
    if path.is_dir():
        parts.append(_skipped(path, options.common.skip_paths))
    elif kinds == [InputKind.TERRAFORM_CONFIGURATION] and os.path.realpath(path.parent) not in roots:
        # A .tf file is its directory's configuration, read with --skip-path relative to that directory: what the
        # skip keeps out of it (the file itself, even) is said as for the directory.
        parts.append(_skipped(path.parent, options.common.skip_paths, terraform_only=True))
    for kind in kinds:
        if kind is InputKind.KUBERNETES_MANIFESTS:
            from providers.kubernetes.adapter import manifest_files

            manifest_paths.extend(manifest_files(Path(argument), options.common.skip_paths))
        elif kind is InputKind.TERRAFORM_CONFIGURATION:
            path = Path(argument)
            root = os.path.realpath(path.parent if path.is_file() else path)
            if root not in roots:
                roots.add(root)
                parts.append(_scan(kind, argument, options))
        else:
            parts.append(_scan(kind, argument, options))
    return merge_all(parts)


def _scan_manifests(paths: list[Path], texts: list[tuple[str, str]], options: InputOptions) -> Inventory:
    from providers.kubernetes.adapter import scan_manifest_sources

    return scan_manifest_sources(paths, texts, options.common, options.kubernetes)


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
    return _decoded(raw, str(path), "cannot read file: it is")


def read_stdin() -> str:
    """Standard input, decoded as a file is (UTF-8, or UTF-16 with its byte-order mark); an ``InputError`` naming
    ``<stdin>`` and the first byte that is not UTF-8 otherwise, never a decoding error from deep inside."""
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # a text stream with no bytes beneath it (already decoded)
        return sys.stdin.read()
    return _decoded(stream.read(), "<stdin>", "standard input is")


def _decoded(raw: bytes, name: str, said: str) -> str:
    try:
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            return raw.decode("utf-16")
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        where = (f": byte 0x{raw[error.start]:02x} at offset {error.start}"
                 if error.encoding.startswith("utf-8") and error.start < len(raw) else "")
        hint = ("pipe UTF-8 text into it" if name == "<stdin>" else
                "re-save it as UTF-8, e.g. `terraform show -json plan.out > plan.json` from a POSIX shell")
        raise InputError(name, f"{said} neither UTF-8 nor UTF-16 text{where} ({hint})") from None


def _has_terraform(root: Path, skip: tuple[str, ...] = ()) -> bool:
    for directory, subdirs, filenames in os.walk(root):
        subdirs[:] = [d for d in subdirs if d not in (".terraform", ".git", "node_modules")
                      and not skipped_by(root, Path(directory) / d, skip)]
        if any(name.endswith((".tf", ".tf.json")) and not skipped_by(root, Path(directory) / name, skip)
               for name in filenames):
            return True
    return False


def _skipped_targets(root: Path, skip: tuple[str, ...]) -> list[tuple[Path, str, bool]]:
    """(path, the pattern that skips it, whether it is a directory) for each file or directory under ``root``
    that ``--skip-path`` keeps the scan from reading: the topmost one (a skipped directory's contents are not
    listed), and only files the scan would read."""
    found: list[tuple[Path, str, bool]] = []
    for directory, subdirs, filenames in os.walk(root):
        for name in sorted(subdirs):
            pattern = skipped_by(root, Path(directory) / name, skip)
            if pattern is not None:
                found.append((Path(directory) / name, pattern, True))
        subdirs[:] = sorted(d for d in subdirs if d not in (".terraform", ".git", "node_modules")
                            and not skipped_by(root, Path(directory) / d, skip))
        for name in sorted(filenames):
            pattern = skipped_by(root, Path(directory) / name, skip)
            if pattern is not None and name.endswith((".tf", ".tf.json", ".yaml", ".yml", ".json")):
                found.append((Path(directory) / name, pattern, False))
    return found


def _unmatched_skips(arguments: Sequence[str], skip: tuple[str, ...]) -> Inventory:
    """A note for each ``--skip-path`` glob that skips nothing in any scanned directory: globs are relative to each
    scanned directory (``k8s/*``, not ``infra/k8s/*`` when ``infra`` is scanned), and a glob that matches nothing
    must not look like a skip that worked."""
    if not skip:
        return Inventory()
    given = [path if path.is_dir() else path.parent for path in (Path(a) for a in arguments if a != "-")
             if path.is_dir() or path.suffix == ".tf" or path.name.endswith(".tf.json")]
    roots = list({os.path.realpath(root): root for root in reversed(given)}.values())[::-1]
    used = {pattern for root in roots for _, pattern, _ in _skipped_targets(root, skip)}
    scanned = ", ".join(str(root) for root in roots) or "no directory (a plan, state or manifest file is never skipped)"
    return Inventory(coverage=tuple(
        CoverageGap(f"--skip-path {pattern!r}", None, f"skips nothing: no file or directory matches it in {scanned} "
                                                    "(globs are relative to each scanned directory)", kind="note")
        for pattern in dict.fromkeys(skip) if pattern not in used))


def _skipped(root: Path, skip: tuple[str, ...], terraform_only: bool = False) -> Inventory:
    """A note for each file or directory ``--skip-path`` keeps the scan from reading (the topmost one: a skipped
    directory is one note), so a skip is never silent. ``terraform_only``: only Terraform is read from ``root``
    (a ``.tf`` file was given), so only Terraform files are said."""
    if not skip or not root.is_dir():
        return Inventory()
    notes = []
    for path, pattern, is_directory in _skipped_targets(root, skip):
        if is_directory:
            notes.append(CoverageGap(str(path), None, f"directory not read: skipped by --skip-path {pattern!r}",
                                     kind="note"))
        elif not terraform_only or path.name.endswith((".tf", ".tf.json")):
            notes.append(CoverageGap(str(path), None, f"not read: skipped by --skip-path {pattern!r}", kind="note"))
    return Inventory(coverage=tuple(notes))


def _scan_stdin(options: InputOptions, manifest_texts: list[tuple[str, str]]) -> Inventory:
    """A plan or state on standard input is scanned now; manifests join the run's cluster."""
    text = read_stdin()
    if not text.strip():
        raise InputError("<stdin>", "standard input is empty (did the command piping into offshore-scan fail?)")
    head = text[:65536]
    # A plan is JSON with planned_values; `kubectl get -o json` output is JSON too, and YAML reads JSON.
    if text.lstrip().startswith("{") and ('"planned_values"' in head or '"resource_changes"' in head
                                          or '"apiVersion"' not in head):
        from providers.terraform.adapter import scan_plan_text

        return scan_plan_text(text, "<stdin>", options.common)
    manifest_texts.append(("<stdin>", text))
    return Inventory()


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
        return _scan_manifests(_manifest_files(path, options), [], options)
    assert_never(kind)


def _manifest_files(path: Path, options: InputOptions) -> list[Path]:
    from providers.kubernetes.adapter import manifest_files

    return manifest_files(path, options.common.skip_paths)
