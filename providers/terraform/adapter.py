"""The Terraform adapter's entry points: configuration directories (HCL) and plans (``terraform show -json``).

Both inputs reduce to ``ResourceRecord``s; ``providers.semantics`` gives them their meaning.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from providers.interface import InputError, ScanOptions
from providers.kubernetes.options import KubernetesOptions
from providers.semantics.normalise import qualified, to_inventory
from providers.semantics.records import ResourceRecord
from providers.terraform.azapi import translate
from providers.terraform.hcl_loader import HclOptions, load_directory
from providers.terraform.kubernetes_resources import helm_notes, to_manifests
from providers.terraform.options import TerraformOptions
from scanner.model import CoverageGap, Inventory, merge_all


def scan_configuration(path: Path, options: ScanOptions, terraform: TerraformOptions,
                       kubernetes: KubernetesOptions | None = None) -> Inventory:
    """Scan a directory tree (or a single ``.tf`` file's directory) of Terraform configuration."""
    result = load_directory(path, HclOptions(terraform.var_files, dict(terraform.variables), options.max_file_bytes,
                                             terraform.cache_dir, options.skip_paths))
    if not result.files and not result.gaps:
        raise InputError(str(path), "no Terraform files (*.tf, *.tf.json) found here")
    cluster = kubernetes or KubernetesOptions()
    gaps = result.gaps + undeclared_variables(terraform, result.declared, str(path))
    result = replace(result, gaps=gaps)
    if len(result.roots) <= 1:
        read = Inventory(coverage=result.gaps, scanned=result.files)
        return merge_all([read, _inventory(result.resources, options, cluster)])
    # Several root modules are separate configurations (envs/prod, envs/dev): their addresses repeat, so
    # each is normalised on its own and its ids are qualified with its directory.
    inventories = [qualified(_inventory(records, options, cluster), root) for root, records in result.roots]
    return merge_all([*inventories, Inventory(coverage=result.gaps, scanned=result.files)])


def undeclared_variables(terraform: TerraformOptions, declared: frozenset[str], path: str) -> tuple[CoverageGap, ...]:
    """A note for each ``--var`` no root module under ``path`` declares: its value is used nowhere (a typo of a
    declared name, most often), which Terraform says too."""
    return tuple(CoverageGap(f"--var {name}", None, f"no root module in {path} declares variable {name!r}, so "
                                                    "this value is not used (a typo?)", kind="note")
                 for name in dict(terraform.variables) if name not in declared)


def _inventory(records: Sequence[ResourceRecord], options: ScanOptions, kubernetes: KubernetesOptions) -> Inventory:
    """Records in the shared vocabulary, and the Kubernetes objects Terraform manages, judged each by its meaning."""
    manifests, rest = to_manifests(translate(records))
    inventory = to_inventory(rest, options)
    notes = Inventory(coverage=tuple(helm_notes(rest, dict(options.endpoints))))
    if not manifests:
        return inventory.merge(notes)
    from providers.kubernetes.normalise import to_inventory as kubernetes_inventory

    cluster = kubernetes_inventory(manifests, options, kubernetes.cluster_region,
                                   upstream_images=kubernetes.upstream_images)
    return merge_all([inventory, cluster, notes])


def scan_plan_text(text: str, display_path: str, options: ScanOptions) -> Inventory:
    """Scan the JSON text of ``terraform show -json`` output (a plan, or state) or of a ``.tfstate`` file."""
    from providers.terraform.plan_loader import PlanError, load_plan, looks_like_plan, parse_json
    from providers.terraform.state_loader import load_state, looks_like_state

    try:
        document = parse_json(text, display_path)
    except PlanError as error:
        gap = CoverageGap(display_path, error.line, str(error))
        return Inventory(coverage=(gap,), scanned=(display_path,))
    if looks_like_state(document):
        records, gaps = load_state(document, display_path)
    elif looks_like_plan(document):
        records, gaps = load_plan(document, display_path)
    else:
        reason = ("not a Terraform plan or state (no planned_values, resource_changes, values or resources): "
                  "give the output of `terraform show -json` or a terraform.tfstate file")
        return Inventory(coverage=(CoverageGap(display_path, None, reason),), scanned=(display_path,))
    read = Inventory(coverage=gaps, scanned=(display_path,))
    return merge_all([read, _inventory(records, options, KubernetesOptions())])
