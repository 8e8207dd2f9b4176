"""The Kubernetes adapter's entry points: manifest files and directories, and rendered Helm or Kustomize output."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from providers.interface import InputError, ScanOptions, skipped_by, too_large, unreadable
from providers.kubernetes.manifests import Manifest, looks_like_manifests, read_manifests
from providers.kubernetes.normalise import to_inventory
from providers.kubernetes.options import KubernetesOptions
from scanner.model import CoverageGap, Inventory

_SKIPPED_DIRS = {".git", ".terraform", "node_modules", ".venv", "venv"}
YAML_SUFFIXES = (".yaml", ".yml")


def manifest_files(root: Path, skip: tuple[str, ...] = ()) -> list[Path]:
    """YAML files under a directory (or the file itself) that look like Kubernetes manifests; ``skip`` holds the
    ``--skip-path`` globs of what the walk does not read."""
    if root.is_file():
        return [root]
    found = []
    for directory, subdirs, filenames in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if d not in _SKIPPED_DIRS
                            and not skipped_by(root, Path(directory) / d, skip))
        for filename in sorted(filenames):
            if skipped_by(root, Path(directory) / filename, skip):
                continue
            if filename.endswith(YAML_SUFFIXES) and filename != "offshore-scan.yaml":
                path = Path(directory) / filename
                if not _regular(path):
                    found.append(path)  # reported as a gap when read, never opened
                    continue
                try:
                    with path.open("rb") as handle:
                        head = decode(handle.read(65536), lenient=True)
                except OSError:
                    found.append(path)  # unreadable (a symlink loop, no permission): the read says why
                    continue
                if looks_like_manifests(head):
                    found.append(path)
    return found


def decode(raw: bytes, lenient: bool = False) -> str:
    """YAML text as UTF-8, or UTF-16/32 when a byte-order mark says so (PowerShell's `>` writes UTF-16)."""
    for bom, codec in ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
                       (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if raw.startswith(bom):
            return raw.decode(codec, errors="replace" if lenient else "strict")
    return raw.decode("utf-8-sig", errors="replace" if lenient else "strict")


def _regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return True  # unreadable: the read says why


def scan_manifest_paths(paths: list[Path], options: ScanOptions, kubernetes: KubernetesOptions) -> Inventory:
    """Scan manifest files; one unreadable file or document is a gap and the rest is still read."""
    return scan_manifest_sources(paths, [], options, kubernetes)


def scan_manifest_sources(paths: list[Path], texts: list[tuple[str, str]], options: ScanOptions,
                          kubernetes: KubernetesOptions) -> Inventory:
    """Scan manifest files and YAML streams (``(display name, text)``: standard input) as one cluster; one
    unreadable file or document is a gap and the rest is still read."""
    manifests: list[Manifest] = []
    gaps: list[CoverageGap] = []
    for name, text in texts:
        found, problems = read_manifests(text, name)
        if not found and not problems:
            problems = [CoverageGap(name, None, "no Kubernetes objects (apiVersion and kind) in the input: nothing "
                                                "was scanned")]
        manifests.extend(found)
        gaps.extend(problems)
    for path in paths:
        if not _regular(path):
            gaps.append(CoverageGap(str(path), None, "not a regular file (a FIFO, device or socket); it was not read"))
            continue
        size = path.stat().st_size if path.exists() else 0
        if size > options.max_file_bytes:
            gaps.append(CoverageGap(str(path), None, too_large(size, options.max_file_bytes)))
            continue
        try:
            text = decode(path.read_bytes())
        except (OSError, UnicodeDecodeError) as error:
            gaps.append(CoverageGap(str(path), *unreadable(error)))
            continue
        found, problems = read_manifests(text, str(path))
        if not found and not problems:
            # A YAML file given to the scan that holds no object is never a clean answer.
            problems = [CoverageGap(str(path), None, "no Kubernetes objects (apiVersion and kind) in this file: "
                                                     "nothing in it was scanned")]
        manifests.extend(found)
        gaps.extend(problems)
    if not paths and not texts:
        raise InputError("<manifests>", "no Kubernetes manifests found")
    return to_inventory(manifests, options, kubernetes.cluster_region, gaps,
                        [str(p) for p in paths] + [name for name, _ in texts],
                        upstream_images=kubernetes.upstream_images)


def scan_manifest_text(text: str, display_path: str, options: ScanOptions, kubernetes: KubernetesOptions) -> Inventory:
    """Scan a YAML stream (``helm template ... | offshore-scan scan -``)."""
    manifests, gaps = read_manifests(text, display_path)
    if not manifests and not gaps:
        gaps = [CoverageGap(display_path, None, "no Kubernetes objects (apiVersion and kind) in the input: nothing "
                                                "was scanned")]
    return to_inventory(manifests, options, kubernetes.cluster_region, gaps, [display_path],
                        upstream_images=kubernetes.upstream_images)
