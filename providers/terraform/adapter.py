"""The Terraform adapter's entry points: configuration directories (HCL) and plans (``terraform show -json``).

Both inputs reduce to ``ResourceRecord``s; ``providers.semantics`` gives them their meaning.
"""

from __future__ import annotations

from pathlib import Path

from providers.interface import InputError, ScanOptions
from providers.semantics.normalise import qualified, to_inventory
from providers.terraform.azapi import translate
from providers.terraform.hcl_loader import HclOptions, load_directory
from providers.terraform.options import TerraformOptions
from scanner.model import CoverageGap, Inventory, merge_all


def scan_configuration(path: Path, options: ScanOptions, terraform: TerraformOptions) -> Inventory:
    """Scan a directory tree (or a single ``.tf`` file's directory) of Terraform configuration."""
    result = load_directory(path, HclOptions(terraform.var_files, dict(terraform.variables)))
    if not result.files and not result.gaps:
        raise InputError(str(path), "no Terraform files (*.tf) found here")
    if len(result.roots) <= 1:
        return to_inventory(translate(result.resources), options, result.gaps, result.files)
    # Several root modules are separate configurations (envs/prod, envs/dev): their addresses repeat, so
    # each is normalised on its own and its ids are qualified with its directory.
    inventories = [qualified(to_inventory(translate(records), options), root) for root, records in result.roots]
    return merge_all([*inventories, Inventory(coverage=result.gaps, scanned=result.files)])


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
    return to_inventory(translate(records), options, gaps, (display_path,))
