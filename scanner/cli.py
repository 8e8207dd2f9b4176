"""The ``offshore-scan`` command line."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from scanner import __version__
from scanner.reporters import FORMATS

if TYPE_CHECKING:
    from scanner.model import Finding, Inventory
    from scanner.reporters.interface import RuleInfo

# The model and the config (and YAML) are imported by the commands that run, not at start-up, so
# `offshore-scan --help` stays fast; kept equal to scanner.config.FAIL_ON_CHOICES by a test.
FAIL_ON_CHOICES = ("critical", "high", "medium", "low", "never")

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_INCOMPLETE = 2

_SCAN_EPILOG = """
\b
Examples:
  offshore-scan scan infra/                      scan a Terraform tree
  offshore-scan scan infra/ --var-file prod.tfvars --var dr_region=eu-west-2
  terraform show -json plan.out | offshore-scan scan -
  helm template claims ./chart | offshore-scan scan - --cluster-region eu-west-2
  offshore-scan scan infra/ --format json --output report.json --fail-on critical

\b
Configuration:
  offshore-scan.yaml in the scanned directory (or --config FILE) can add DWP tag
  rules (dwp:), say who is behind external accounts and tenants and where
  (estate:), place telemetry hosts the catalogue does not know (endpoints:),
  and set cluster_region, scope and fail_on. Unknown findings are medium:
  use --fail-on medium to fail a CI job on them. See README.md and docs/.

\b
Exit codes:
  0  nothing at or above --fail-on
  1  findings at or above --fail-on
  2  the scan is incomplete: an input did not parse, a path could not be read,
     or a module was not on disk (use --allow-partial to judge on what was read)
"""


class _GuardedGroup(click.Group):
    """Every command, guarded: an internal error ends as one line and exit 2 (incomplete), never a traceback
    that CI reads as exit 1 ("findings"). ``OFFSHORE_SCAN_DEBUG=1`` shows the traceback instead."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["offshore_scan.args"] = list(args)  # kept to name the input if the command breaks
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> object:
        given: list[str] = ctx.meta.get("offshore_scan.args", [])
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit, KeyboardInterrupt):
            raise
        except BrokenPipeError:
            # The reader stopped reading (`offshore-scan policies | head`): nothing went wrong here. Python would
            # complain again flushing stdout at exit, so it is pointed at nowhere first.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(EXIT_CLEAN)
        except Exception as error:
            if os.environ.get("OFFSHORE_SCAN_DEBUG"):
                raise
            command, *rest = given or ["offshore-scan"]
            inputs = " ".join(a for a in rest if a == "-" or (not a.startswith("-") and os.path.exists(a)))[:300]
            fail(f"internal error in {command}{f' reading {inputs}' if inputs else ''} ({type(error).__name__}: "
                 f"{str(error)[:300]}); nothing was judged; set OFFSHORE_SCAN_DEBUG=1 for the traceback and "
                 "please report it")


@click.group(cls=_GuardedGroup,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="offshore-scan")
def main() -> None:
    """Find DWP data and systems hosted or copied outside the UK.

    offshore-scan reads Terraform configuration and plans, finds the resources tagged as DWP
    (a Government Security Classification, or a DWP owner), and reports every one that is
    hosted, replicated or cached outside the UK, or whose location cannot be established,
    with the evidence the DWP Offshore Proposal Questionnaire asks for.
    """


def common_options(command: Callable[..., None]) -> Callable[..., None]:
    """The options every scanning command shares: report format and file, threshold, config, scope, partial."""
    options = [
        click.option("--format", "output_format", type=click.Choice(FORMATS), default="text", show_default=True,
                     help="Report format. json follows the documented schema (schema_version 1)."),
        click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True, path_type=Path),
                     help="Write the report to this file instead of standard output (the default)."),
        click.option("--fail-on", type=click.Choice(FAIL_ON_CHOICES), default=None,
                     help="Exit 1 when a finding is at or above this severity (default: high, or the config's "
                          "fail_on). 'never' always exits 0 unless the scan is incomplete."),
        click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="Config file (default: offshore-scan.yaml in the first scanned directory that has one; "
                          "for aws, in the current directory)."),
        click.option("--scope", type=click.Choice(["tagged", "all"]), default=None,
                     help="tagged: only resources tagged as DWP (default). all: treat every resource as DWP."),
        click.option("--waivers", "waivers_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="Waivers file: findings DWP has approved, with approval reference and expiry (default: "
                          "offshore-waivers.yaml beside the config file or in the first scanned directory)."),
        click.option("--baseline", "baseline_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="A previous JSON report: report only findings that are not in it (default: none, "
                          "report every finding)."),
        click.option("--allow-partial", is_flag=True,
                     help="Judge the exit code on what could be read, even if some input could not (gaps are still "
                          "reported). Default: an incomplete scan exits 2."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@main.command(epilog=_SCAN_EPILOG)
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@common_options
@click.option("--var-file", "var_files", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Terraform variables file, applied after terraform.tfvars and *.auto.tfvars. Repeatable.")
@click.option("--var", "variables", multiple=True, metavar="NAME=VALUE",
              help="Terraform variable value, applied last (as terraform -var). Repeatable.")
@click.option("--cluster-region", metavar="REGION",
              help="Region of the Kubernetes cluster the manifests are deployed to (eu-west-2, uksouth, "
                   "europe-west2): workloads that say nothing about placement are judged against it.")
@click.option("--max-file-size", type=click.IntRange(min=1), default=20, show_default=True, metavar="MB",
              help="Files larger than this many megabytes are not read: each is a coverage gap naming it, and "
                   "everything else is scanned.")
@click.option("--no-cache", is_flag=True,
              help="Parse every Terraform file again instead of reusing parses cached by content (cached in "
                   "OFFSHORE_SCAN_CACHE_DIR, else the user's cache directory).")
def scan(
    paths: tuple[str, ...],
    output_format: str,
    output: Path | None,
    fail_on: str | None,
    config_path: Path | None,
    scope: str | None,
    var_files: tuple[Path, ...],
    variables: tuple[str, ...],
    cluster_region: str | None,
    max_file_size: int,
    no_cache: bool,
    waivers_path: Path | None,
    baseline_path: Path | None,
    allow_partial: bool,
) -> None:
    """Scan Terraform configuration, Terraform plans and Kubernetes manifests.

    A directory is scanned for Terraform configuration (every root module under it, with local
    child modules, variables, locals and provider aliases resolved) and for Kubernetes manifests
    (*.yaml, *.yml). A .json file is read as the output of `terraform show -json`; a .yaml file as
    manifests. PATH '-' reads standard input: a plan (JSON) or a YAML stream such as
    `helm template ... | offshore-scan scan -`.
    """
    from dataclasses import replace

    from providers.interface import OptionError, ScanOptions
    from providers.kubernetes.options import KubernetesOptions
    from providers.terraform.options import TerraformOptions, default_cache_directory
    from scanner.config import ConfigError, find_config, load_config
    from scanner.inputs import InputOptions, scan_input
    from scanner.model import merge_all

    try:
        config = load_config(find_config(config_path, [Path(p) for p in paths if p != "-"]))
    except ConfigError as error:
        fail(str(error))
    try:
        terraform = TerraformOptions.from_command_line(var_files, variables,
                                                       None if no_cache else default_cache_directory())
        kubernetes = KubernetesOptions.from_command_line(cluster_region or config.cluster_region,
                                                         config.upstream_images)
    except OptionError as error:
        fail(str(error))
    rules = config.rules
    if (scope or config.scope) == "all":
        rules = replace(rules, scope_all=True)
    common = ScanOptions(rules=rules, estate=config.estate, endpoints=tuple(config.endpoints.items()),
                         max_file_bytes=max_file_size * 1024 * 1024)
    options = InputOptions(common, terraform, kubernetes)
    threshold = fail_on or config.fail_on or "high"

    inventory = merge_all(scan_input(p, options) for p in paths)
    waivers = waivers_path or default_waivers(config.path, [Path(p) for p in paths if p != "-"])
    # Every file read, as well as the paths given: `scan infra -o infra/main.tf` must not overwrite main.tf.
    read = [Path(p) for p in (*paths, *var_files, *inventory.scanned)]
    report_and_exit(inventory, output_format, output, threshold, config.path, allow_partial,
                    waivers=waivers, baseline=baseline_path, inputs=read)


def default_waivers(config_path: str | None, scanned: list[Path]) -> Path | None:
    """``offshore-waivers.yaml`` beside the config file, else in the first scanned directory that has one."""
    from scanner.waivers import WAIVERS_FILE

    places = ([Path(config_path).parent] if config_path else []) + [p if p.is_dir() else p.parent for p in scanned]
    # Anything by that name is the waivers file (read, and refused if it is no regular file), never skipped.
    return next((place / WAIVERS_FILE for place in places if os.path.lexists(place / WAIVERS_FILE)), None)


def _judged(inventory: Inventory, waivers: Path | None, baseline: Path | None,
            scanned_by_this_run: bool = True) -> tuple[tuple[Finding, ...], Inventory, tuple[Finding, ...]]:
    """Findings with waivers applied and the baseline's findings left out; notes about both in the coverage.

    Inline waivers are read from the files scanned. When those are named by results written elsewhere (merge,
    evidence), only the files inside the current directory (the checkout the command runs in) are read: a
    result cannot make this run read a host file, nor bring waivers from outside the repository under review."""
    from scanner.engine import evaluate
    from scanner.model import CoverageGap
    from scanner.waivers import WaiverError, apply_waivers, inline_waivers, load_waivers_file

    findings = evaluate(inventory)
    try:
        rules = load_waivers_file(waivers) if waivers is not None else []
    except WaiverError as error:
        fail(str(error))
    sources = inventory.scanned if scanned_by_this_run else _inside_working_directory(inventory.scanned)
    inline, malformed = inline_waivers(sources)
    findings, notes = apply_waivers(findings, rules + inline)
    notes += malformed
    hidden: tuple[Finding, ...] = ()
    if baseline is not None:
        known = _baseline_fingerprints(baseline)
        new = tuple(f for f in findings if f.fingerprint not in known)
        hidden = tuple(f for f in findings if f.fingerprint in known)
        if hidden:
            notes.append(CoverageGap(str(baseline), None, f"{len(hidden)} finding(s) already in this "
                                                          "baseline are not reported", kind="note"))
        findings = new
    return findings, replace(inventory, coverage=inventory.coverage + tuple(notes)), hidden


def _inside_working_directory(paths: Sequence[str]) -> list[str]:
    here = Path.cwd().resolve()
    inside = []
    for shown in paths:
        try:
            resolved = (here / shown).resolve()
        except (OSError, RuntimeError, ValueError):
            continue
        if resolved == here or here in resolved.parents:
            inside.append(shown)
    return inside


def _baseline_fingerprints(path: Path) -> set[str]:
    import json
    import re

    from scanner.user_files import UserFileError, read_user_text

    try:
        document = json.loads(read_user_text(path, "baseline"))
        fingerprints = [f["fingerprint"] for f in document["findings"]]
    except UserFileError as error:
        fail(str(error))
    except (ValueError, KeyError, TypeError) as error:
        fail(f"{path}: not a JSON report of offshore-scan (--format json) to use as a baseline "
             f"({type(error).__name__}: {error})")
    wrong = next((f for f in fingerprints if not (isinstance(f, str) and re.fullmatch(r"[0-9a-f]{16}", f))), None)
    if wrong is not None:
        # A hand-edited baseline must not hide findings by a value that is no fingerprint.
        fail(f"{path}: baseline finding fingerprint {str(wrong)[:40]!r} is not 16 hex digits; use a JSON report as "
             "offshore-scan wrote it")
    return set(fingerprints)


def report_and_exit(inventory: Inventory, output_format: str, output: Path | None, threshold: str,
                    config_path: str | None, allow_partial: bool, *, waivers: Path | None = None,
                    baseline: Path | None = None, inputs: Sequence[Path] = (),
                    scanned_by_this_run: bool = True) -> NoReturn:
    """Judge an inventory, write the report, print the gaps, and exit with the documented code. ``inputs`` are
    the files the command read besides the config, waivers and baseline: the report never overwrites one."""
    from scanner.printable import encodable, escape, escaped
    from scanner.redaction import redact_findings, redact_inventory
    from scanner.reporters import ScanReport, reporter_for

    if output is not None:
        refuse_overwrite(output, [*inputs, *(Path(p) for p in (config_path, waivers, baseline) if p is not None)])
    try:
        # Judged on the real values; printed with every secret-looking value redacted, in every format.
        judged, inventory, baselined = _judged(inventory, waivers, baseline, scanned_by_this_run)
        findings = redact_findings(judged)
        inventory = redact_inventory(inventory)
        # Paths in SARIF and JUnit are relative to where the scan runs: the repository root in CI.
        report = ScanReport(findings, inventory, __version__, threshold, config_path, _rules(), str(Path.cwd()),
                            baselined=redact_findings(baselined))
        # Values from the estate may hold line breaks and terminal escapes (never printed raw in text), and lone
        # surrogates, which no format can write as UTF-8.
        walk = escaped if output_format == "text" else encodable
        report = replace(report, findings=walk(findings), inventory=walk(inventory))
        colour = output is None and output_format == "text" and sys.stdout.isatty()
        rendered = reporter_for(output_format, colour=colour).render(report)
    except Exception as error:
        # A bug here must still end as a clear incomplete scan for CI, never a traceback read as "findings".
        fail(f"offshore-scan failed while judging or reporting ({type(error).__name__}: {error}); please report it")
    try:
        if output is not None:
            output.write_text(rendered, encoding="utf-8")
        else:
            click.echo(rendered, nl=False)
    except OSError as error:
        fail(f"{output or 'standard output'}: cannot write report: {error.strerror or error}")

    if output is not None or output_format != "text":
        # The text report on the terminal lists them already; said once is enough.
        for gap in inventory.coverage:
            where = escape(f"{gap.path}:{gap.line}" if gap.line else gap.path)
            click.echo(f"offshore-scan: {'note' if not gap.incomplete else 'error'}: {where}: {escape(gap.reason)}",
                       err=True)
    if any(gap.incomplete for gap in inventory.coverage) and not allow_partial:
        sys.exit(EXIT_INCOMPLETE)
    sys.exit(EXIT_FINDINGS if _over_threshold(findings, threshold) else EXIT_CLEAN)


@main.command()
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
def policies(output_format: str) -> None:
    """List the policies, with the DWP policy paragraph and questionnaire sections each one feeds."""
    import json

    from policies.catalogue import load_policies

    loaded = load_policies()
    if output_format == "json":
        click.echo(json.dumps([
            {"id": p.id, "title": p.title, "categories": [c.value for c in p.categories], "severity": p.severity.value,
             "policy_paragraph": p.policy_paragraph, "rationale": p.rationale,
             "questionnaire": list(p.questionnaire), "remediation": p.remediation}
            for p in loaded
        ], indent=2))
        return
    for policy in loaded:
        click.echo(f"{policy.id}  {policy.severity.value:<8} {policy.title}")
        click.echo(f"    categories:    {', '.join(c.value for c in policy.categories)}")
        click.echo(f"    enforces:      {policy.policy_paragraph}")
        click.echo(f"    questionnaire: {', '.join(policy.questionnaire)}")
        click.echo(f"    fix:           {policy.remediation}")
        click.echo("")


def _rules() -> tuple[RuleInfo, ...]:
    from policies.catalogue import load_policies
    from scanner.reporters.interface import RuleInfo

    return tuple(RuleInfo(p.id, p.title, p.severity.value, p.policy_paragraph, p.rationale, p.remediation,
                          p.questionnaire) for p in load_policies())


def _over_threshold(findings: tuple[Finding, ...], threshold: str) -> bool:
    if threshold == "never":
        return False
    from scanner.model import Severity

    floor = Severity(threshold).rank
    # A waived finding is DWP-approved offshoring: reported, never failing the build.
    return any(f.severity.rank >= floor for f in findings if f.waiver is None)


def refuse_overwrite(output: Path, inputs: Sequence[Path]) -> None:
    """Exit 2 when writing ``output`` would overwrite one of ``inputs`` (same path, symlink or hard link)."""
    from scanner.output_guard import overwritten_input
    from scanner.printable import escape

    clash = overwritten_input(output, inputs)
    if clash is not None:
        fail(escape(f"--output {output} is the input {clash} (the same file): write the report to another file"))


def fail(message: str) -> NoReturn:
    """Print one line of error and exit 2: the scan could not be done."""
    click.echo(f"offshore-scan: error: {message}", err=True)
    sys.exit(EXIT_INCOMPLETE)


def _register_commands() -> None:
    # Imported here, after the shared helpers exist: the live commands build on them (and load their SDKs only
    # when run).
    from scanner.aws_command import aws
    from scanner.azure_command import azure
    from scanner.evidence_command import evidence
    from scanner.merge_command import merge

    main.add_command(aws)
    main.add_command(azure)
    main.add_command(merge)
    main.add_command(evidence)


if __name__ == "__main__":
    # Run as `python -m scanner.cli`, this file is __main__, not scanner.cli: the commands register on the module.
    from scanner.cli import main as _main

    _main()
else:
    _register_commands()
