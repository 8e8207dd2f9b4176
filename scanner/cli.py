"""The ``offshore-scan`` command line."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from scanner import __version__
from scanner.reporters import FORMATS

if TYPE_CHECKING:
    from scanner.model import Finding, Inventory
    from scanner.reporters.interface import RuleInfo

# The model and the config (and YAML) are imported by the commands that run, not at start-up, so
# `offshore-scan --help` stays fast; kept equal to scanner.config.FAIL_ON_CHOICES by a test.
FAIL_ON_CHOICES = ("critical", "high", "medium", "low", "never")

SEVERITY_CHOICES = ("critical", "high", "medium", "low")
"""``--severity`` values (Trivy's habit: report only these)."""

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_INCOMPLETE = 2
EXIT_USAGE = 64
"""The command line itself is wrong (EX_USAGE): click says 2 for this, which CI would read as "the scan is
incomplete", so every usage error is given this code of its own instead."""

ENV_PREFIX = "OFFSHORE_SCAN_"
"""Options read from the environment are ``OFFSHORE_SCAN_`` and the option's name (``OFFSHORE_SCAN_FAIL_ON``)."""

EXIT_CODES_HELP = """
\b
Exit codes:
  0   nothing at or above --fail-on (or --soft-fail), and the scan is complete
  1   findings at or above --fail-on
  2   the scan is incomplete: {incomplete}
      (--allow-partial judges on what was read; --soft-fail does not hide this)
  64  the command line is wrong (an unknown option, a bad value, --format
      without its --output): nothing was scanned
"""

_SCAN_EPILOG = """
\b
Examples:
  offshore-scan scan infra/                      scan a Terraform tree
  offshore-scan scan infra/ --var-file prod.tfvars --var dr_region=eu-west-2
  terraform show -json plan.out | offshore-scan scan -
  helm template claims ./chart | offshore-scan scan - --cluster-region eu-west-2
  offshore-scan scan infra/ --format json --output report.json --fail-on critical
  offshore-scan scan infra/ -f sarif -o a.sarif -f json -o a.json   (two reports)
  offshore-scan scan infra/ --severity critical,high --skip-check OFS-GRD-001
  offshore-scan scan infra/ --skip-path 'examples/*' --soft-fail -q

\b
Configuration:
  offshore-scan.yaml in the scanned directory (or --config FILE) can add DWP tag
  rules (dwp:), say who is behind external accounts and tenants and where
  (estate:), place telemetry hosts the catalogue does not know (endpoints:),
  and set cluster_region, scope, fail_on, severity, check, skip_check and
  skip_path. Unknown findings are medium: use --fail-on medium to fail a CI
  job on them. Options marked [env var] may come from the environment instead
  (OFFSHORE_SCAN_FAIL_ON=critical). See README.md and docs/.

""" + EXIT_CODES_HELP.format(incomplete="an input did not parse, a path could not be read,\n      or a module "
                                      "was not on disk")


class CommandLineError(click.UsageError):
    """A usage error offshore-scan itself finds (two flags that exclude each other, a rule that does not exist):
    exit 64 (``EX_USAGE``) and one line that names what is wrong, never click's usage banner around it."""

    exit_code = EXIT_USAGE

    def show(self, file: Any = None) -> None:
        command = self.ctx.command_path if self.ctx is not None else "offshore-scan"
        click.echo(f"offshore-scan: error: {self.format_message()} (see {command} --help)", file=file, err=True)


class _GuardedGroup(click.Group):
    """Every command, guarded: an internal error ends as one line and exit 2 (incomplete), never a traceback
    that CI reads as exit 1 ("findings"). ``OFFSHORE_SCAN_DEBUG=1`` shows the traceback instead."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["offshore_scan.args"] = list(args)  # kept to name the input if the command breaks
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as error:
            error.exit_code = EXIT_USAGE
            raise

    def invoke(self, ctx: click.Context) -> object:
        given: list[str] = ctx.meta.get("offshore_scan.args", [])
        try:
            return super().invoke(ctx)
        except click.UsageError as error:
            # Raised by the command's own parsing (or its checks of the command line), inside this invoke.
            error.exit_code = EXIT_USAGE
            raise
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


@dataclass(frozen=True)
class ReportChoices:
    """What the command line says about the reports: which, where, how they look, and what they leave out."""

    outputs: tuple[tuple[str, Path | None], ...] = (("text", None),)
    """(format, file) pairs, in the order given; a None file is standard output (at most one)."""
    quiet: bool = False
    """``-q``: the text report on standard output is only its summary line (gaps still on standard error)."""
    compact: bool = False
    """``--compact``: no ``fix:`` lines in the text report."""
    no_color: bool = False
    severities: tuple[str, ...] = ()
    """``--severity``: report only findings of these severities; empty reports every one."""
    checks: tuple[str, ...] = ()
    """``--check``: report only these rules (ids or globs); empty reports every rule."""
    skip_checks: tuple[str, ...] = ()
    """``--skip-check``: never report these rules."""
    soft_fail: bool = False
    """``--soft-fail``: findings never fail the run; an incomplete scan still does (unless ``--allow-partial``)."""
    estate_name: str | None = None
    """The config's ``estate_name``, for the evidence pack's cover."""
    adequacy: tuple[tuple[str, Any], ...] = ()
    """The config's ``adequacy`` entries over the built-in table, for the pack's section 4."""
    protective_marking: str | None = None
    """The config's ``protective_marking``, printed at the top and foot of every page of the evidence pack."""
    sources: dict[str, str] = field(default_factory=dict, compare=False)
    """Where each filter came from (``--check``, its environment variable, or the config file), for the messages
    that name it."""

    def from_config(self, name: str) -> bool:
        """Whether the filter ``name`` came from the config file (its errors are an invalid config, exit 2)."""
        return name in self.sources and not self.sources[name].startswith(ENV_PREFIX)

    def filters(self) -> tuple[str, ...]:
        """The filters in force, as they were given (``--severity high``, ``OFFSHORE_SCAN_CHECK OFS-REPL-001``,
        ``offshore-scan.yaml: check OFS-REPL-001``), for the report that says what they hid."""
        return tuple(f"{self.sources.get(name, flag)} {','.join(values)}"
                     for name, flag in (("severities", "--severity"), ("checks", "--check"),
                                        ("skip_checks", "--skip-check"))
                     if (values := getattr(self, name)))

    def with_config(self, config: Any) -> ReportChoices:
        """The config's ``severity``, ``check`` and ``skip_check`` where the command line gave none (the flag
        wins, as for every key), checked against the policies."""
        sources = dict(self.sources)
        chosen = {}
        for name, key in (("severities", "severity"), ("checks", "check"), ("skip_checks", "skip_check")):
            given = getattr(self, name)
            from_config = tuple(getattr(config, key, ()) or ())
            if not given and from_config:
                chosen[name] = from_config
                sources[name] = f"{config.path}: {key}"
        pack = {"estate_name": getattr(config, "estate_name", None),
                "adequacy": tuple((getattr(config, "adequacy", None) or {}).items()),
                "protective_marking": getattr(config, "protective_marking", None)}
        resolved = replace(self, sources=sources, **chosen, **pack)
        resolved.rule_ids()  # a rule that does not exist is said now, before a long scan
        return resolved

    def rule_ids(self) -> tuple[frozenset[str] | None, frozenset[str]]:
        """(the rules to report, None for every one; the rules never to report). A pattern that names no rule is
        a usage error: a typo in --skip-check must not leave a rule silently on."""
        import fnmatch

        from policies.catalogue import load_policies

        known = sorted(p.id for p in load_policies())

        def expand(patterns: tuple[str, ...], name: str) -> frozenset[str]:
            found: set[str] = set()
            for pattern in patterns:
                matched = [rule for rule in known if fnmatch.fnmatchcase(rule, pattern.strip().upper())]
                if not matched:
                    where = self.sources.get(name, "--" + name.removesuffix("s").replace("_", "-"))
                    said = (f"{where}: {pattern!r} names no rule; the rules are {', '.join(known)} "
                            "(offshore-scan policies lists them)")
                    if self.from_config(name):
                        fail(said)  # the config file's value: an invalid config file, exit 2, as every other key
                    raise CommandLineError(said)
                found.update(matched)
            return frozenset(found)

        return (expand(self.checks, "checks") if self.checks else None), expand(self.skip_checks, "skip_checks")


def _comma_list(values: Sequence[str], where: str | None = None) -> tuple[str, ...]:
    """Repeated options and comma-separated values, as Checkov and Trivy take them (``--check A,B --check C``).
    With ``where`` (the option as given), a value that is empty (``--check ''``, ``--check ,``: an unset shell
    variable, most often) is a usage error, never "no filter", which would report every rule."""
    if where is not None and any(not value.replace(",", "").strip() for value in values):
        raise CommandLineError(f"{where} is empty (an unset variable?): name a value, or leave {where} out")
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


def option_name(parameter: str, flag: str) -> str:
    """How a message names the option ``parameter`` of the running command: ``flag`` as typed, or the
    environment variable it was read from (``OFFSHORE_SCAN_CHECK``), so no message talks of a flag the user
    never typed."""
    ctx = click.get_current_context(silent=True)
    if ctx is None or ctx.get_parameter_source(parameter) is not click.core.ParameterSource.ENVIRONMENT:
        return flag
    option = next((p for p in ctx.command.params if p.name == parameter), None)
    envvar = option.envvar if option is not None else None
    return (envvar if isinstance(envvar, str) else flag) or flag


def _severities(values: Sequence[str], where: str) -> tuple[str, ...]:
    chosen = tuple(v.lower() for v in _comma_list(values, where))
    wrong = [v for v in chosen if v not in SEVERITY_CHOICES]
    if wrong:
        raise CommandLineError(f"{where}: {', '.join(wrong)} is no severity; choose from {', '.join(SEVERITY_CHOICES)} "
                               "(comma-separated: critical,high)")
    return chosen


def pair_outputs(formats: Sequence[str], outputs: Sequence[str], default: str = "text",
                 named: dict[str, str] | None = None) -> tuple[tuple[str, Path | None], ...]:
    """``--format``/``--output`` pairs in the order given. One of each (or none) is one report; several formats
    need as many outputs, paired in order; a file named exactly like a format is taken for a slip. ``named``:
    how the messages name ``formats`` and ``outputs`` (their environment variables, when they came from there)."""
    fmt, out = (named or {}).get("formats", "--format"), (named or {}).get("outputs", "--output")
    for output in outputs:
        if output.lower() in FORMATS:
            raise CommandLineError(f"{out} {output}: did you mean --format {output.lower()}? (-o names the file "
                                   f"the report is written to; for a file called {output}, write ./{output})")
        if not output.strip():
            raise CommandLineError(f"{out} is empty: name a file, or leave it out for standard output")
    if len(formats) <= 1 and len(outputs) <= 1:
        return ((formats[0] if formats else default, _output_path(outputs[0]) if outputs else None),)
    if len(formats) != len(outputs):
        raise CommandLineError(
            f"{fmt} given {len(formats)} time(s) and {out} {len(outputs)} time(s): for several reports give "
            "each --format its own --output, in pairs (--format sarif --output a.sarif --format json --output a.json)")
    paired = tuple((f, _output_path(o)) for f, o in zip(formats, outputs, strict=True))
    if sum(1 for _, output in paired if output is None) > 1:
        raise CommandLineError("--output - (standard output) is given twice: only one report can go to standard "
                               "output; give the others a file each")
    seen: set[str] = set()
    for _, output in paired:
        if output is None:
            continue
        key = os.path.normcase(os.path.abspath(output))
        if key in seen:
            raise CommandLineError(f"--output {output} is given twice: each report needs a file of its own")
        seen.add(key)
    return paired


class PathList(click.ParamType):
    """A path or glob option that repeats: its environment variable holds several separated by ``os.pathsep``
    (``:``, ``;`` on Windows, as ``PATH``), never by spaces, so a path may hold spaces (``My Documents/*``)."""

    name = "path"
    envvar_list_splitter = os.pathsep

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        return value


def _output_path(output: str) -> Path | None:
    """An ``--output`` value: ``-`` is standard output (as for Trivy and most tools), never a file named ``-``
    (``./-`` is one)."""
    return None if output == "-" else Path(output)


def _env(name: str) -> str:
    return ENV_PREFIX + name


def report_options(where: str, formats: Sequence[str] | None = None, quiet: bool = True,
                   environment: bool = True, text: bool = True) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """The options that choose the reports (``--format``/``-f`` and ``--output``/``-o`` in pairs, ``--severity``,
    ``--check``, ``--skip-check``, ``--soft-fail``, ``--compact``, ``--no-color`` and, unless the command has a
    ``--quiet`` of its own, ``-q``), handed to the command as one ``report: ReportChoices``. ``where`` names the
    command in the help; ``text`` is False for a command that writes no text report (no ``--compact`` or
    ``--no-color``). Checked before the command runs, so a slip costs no scan."""
    choices = tuple(formats or FORMATS)

    def env(name: str) -> dict[str, Any]:
        return {"envvar": _env(name), "show_envvar": True} if environment else {}

    options = [
        click.option("--format", "-f", "formats", type=click.Choice(choices, case_sensitive=False), multiple=True,
                     **env("FORMAT"),
                     help=f"Report format (default: {choices[0]}). Repeat with --output for several reports in one "
                          "run, paired in order (-f sarif -o a.sarif -f json -o a.json)."),
        click.option("--output", "-o", "outputs", type=click.Path(dir_okay=False, writable=True), multiple=True,
                     **env("OUTPUT"),
                     help=f"Write the report to this file (default: standard output). {where.capitalize()} then "
                          "prints its gaps on standard error, and a one-line summary when that is a terminal."),
        click.option("--severity", "severities", multiple=True, metavar="LIST", **env("SEVERITY"),
                     help="Report only findings of these severities (critical,high,medium,low; comma-separated or "
                          "repeated). The exit code is judged on what is reported; a note counts the rest. "
                          "Default: the config's severity, else every severity."),
        click.option("--check", "checks", multiple=True, metavar="RULES", **env("CHECK"),
                     help="Report only these rules (ids or globs such as OFS-REPL-*, comma-separated or repeated); the "
                          "report says how many findings the filters hid. Default: the config's check, else every "
                          "rule."),
        click.option("--skip-check", "skip_checks", multiple=True, metavar="RULES", **env("SKIP_CHECK"),
                     help="Never report these rules (a note counts what they found). Default: the config's "
                          "skip_check, else none."),
        click.option("--soft-fail", is_flag=True, **env("SOFT_FAIL"),
                     help="Exit 0 whatever is found. An incomplete scan still exits 2 unless --allow-partial. "
                          "Default: findings at or above --fail-on exit 1."),
    ]
    if text:
        options += [
            click.option("--compact", is_flag=True,
                         help="Text report: leave out the fix: lines. Default: each rule's fix said once, under its "
                              "first finding."),
            click.option("--no-color", "no_color", is_flag=True,
                         help="No colour in the text report (also when NO_COLOR is set; FORCE_COLOR forces it). "
                              "Default: colour on a terminal."),
        ]
    if quiet:
        options.append(click.option("--quiet", "-q", is_flag=True,
                                    help="Print only the summary line of the text report (gaps still go to standard "
                                         "error). Default: the whole report."))

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(command)
        def run(*args: Any, **kwargs: Any) -> None:
            given = {name: kwargs.pop(name, False) for name in ("formats", "outputs", "severities", "checks",
                                                                "skip_checks", "soft_fail", "compact", "no_color")}
            # A live command's --quiet is its own (no progress line) and is left for it.
            terse = kwargs.pop("quiet") if quiet else False
            named = {name: option_name(name, flag) for name, flag in (
                ("formats", "--format"), ("outputs", "--output"), ("severities", "--severity"),
                ("checks", "--check"), ("skip_checks", "--skip-check"))}
            report = ReportChoices(pair_outputs(given["formats"], given["outputs"], choices[0], named),
                                   terse, given["compact"], given["no_color"],
                                   _severities(given["severities"], named["severities"]),
                                   _comma_list(given["checks"], named["checks"]),
                                   _comma_list(given["skip_checks"], named["skip_checks"]), given["soft_fail"],
                                   sources={name: flag for name, flag in named.items() if flag.startswith(ENV_PREFIX)
                                            and name in ("severities", "checks", "skip_checks")})
            return command(*args, report=report, **kwargs)

        for option in reversed(options):
            run = option(run)
        return run

    return decorate


def common_options(command: Callable[..., None] | None = None, *, live: bool = False) -> Any:
    """The options every scanning command shares: the reports (``report_options``), threshold, config, scope,
    waivers, baseline, partial. ``live``: a live command, whose config and waivers are found in the current
    directory (``@common_options(live=True)``), and whose ``--quiet`` is its own."""
    if live:
        config_default = "offshore-scan.yaml in the current directory"
        waivers_default = "offshore-waivers.yaml beside the config file or in the current directory"
    else:
        config_default = "offshore-scan.yaml in the first scanned directory that has one"
        waivers_default = "offshore-waivers.yaml beside the config file or in the first scanned directory"

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        options = [
            click.option("--fail-on", type=click.Choice(FAIL_ON_CHOICES, case_sensitive=False), default=None,
                         envvar=_env("FAIL_ON"),
                         show_envvar=True,
                         help="Exit 1 when a finding is at or above this severity (default: the config's fail_on, "
                              "else high). 'never' always exits 0 unless the scan is incomplete."),
            click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                         envvar=_env("CONFIG"), show_envvar=True, help=f"Config file (default: {config_default})."),
            click.option("--scope", type=click.Choice(["tagged", "all"], case_sensitive=False), default=None,
                         envvar=_env("SCOPE"),
                         show_envvar=True,
                         help="tagged: only resources tagged as DWP (default, or the config's scope). all: treat "
                              "every resource as DWP."),
            click.option("--waivers", "waivers_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                         envvar=_env("WAIVERS"), show_envvar=True,
                         help="Waivers file: findings DWP has approved, with approval reference and expiry (default: "
                              f"{waivers_default})."),
            click.option("--baseline", "baseline_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                         envvar=_env("BASELINE"), show_envvar=True,
                         help="A previous JSON report: report only findings that are not in it (default: none, "
                              "report every finding)."),
            click.option("--allow-partial", is_flag=True, envvar=_env("ALLOW_PARTIAL"), show_envvar=True,
                         help="Judge the exit code on what could be read, even if some input could not (gaps are "
                              "still reported). Default: an incomplete scan exits 2."),
        ]
        for option in reversed(options):
            command = option(command)
        return report_options("live scan" if live else "the scan", quiet=not live)(command)

    return decorate(command) if command is not None else decorate


@main.command(epilog=_SCAN_EPILOG)
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@common_options
@click.option("--var-file", "var_files", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Terraform variables file, applied after terraform.tfvars and *.auto.tfvars. Repeatable.")
@click.option("--var", "variables", multiple=True, metavar="NAME=VALUE",
              help="Terraform variable value, applied last (as terraform -var). Repeatable.")
@click.option("--cluster-region", metavar="REGION", envvar=ENV_PREFIX + "CLUSTER_REGION", show_envvar=True,
              help="Region of the Kubernetes cluster the manifests are deployed to (eu-west-2, uksouth, "
                   "europe-west2): workloads that say nothing about placement are judged against it.")
@click.option("--skip-path", "skip_paths", multiple=True, metavar="GLOB", type=PathList(),
              envvar=ENV_PREFIX + "SKIP_PATH", show_envvar=True,
              help="Do not read files or directories matching this glob, relative to the scanned directory "
                   "('examples/*', '*/test/*'); each skipped one is listed as a note, as is a glob that skips nothing. "
                   "Repeatable. Default: the config's skip_path, else none.")
@click.option("--max-file-size", type=click.IntRange(min=1), default=20, show_default=True, metavar="MB",
              help="Files larger than this many megabytes are not read: each is a coverage gap naming it, and "
                   "everything else is scanned.")
@click.option("--no-cache", is_flag=True,
              help="Parse every Terraform file again instead of reusing parses cached by content (cached in "
                   "OFFSHORE_SCAN_CACHE_DIR, else the user's cache directory).")
def scan(
    paths: tuple[str, ...],
    report: ReportChoices,
    fail_on: str | None,
    config_path: Path | None,
    scope: str | None,
    var_files: tuple[Path, ...],
    variables: tuple[str, ...],
    cluster_region: str | None,
    skip_paths: tuple[str, ...],
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
    from scanner.inputs import InputOptions, scan_inputs

    paths = _distinct_paths(paths)
    try:
        config = load_config(find_config(config_path, [Path(p) for p in paths if p != "-"]))
    except ConfigError as error:
        fail(str(error))
    report = report.with_config(config)
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
                         max_file_bytes=max_file_size * 1024 * 1024,
                         skip_paths=_comma_list(skip_paths, option_name("skip_paths", "--skip-path"))
                         or tuple(config.skip_path))
    options = InputOptions(common, terraform, kubernetes)
    threshold = fail_on or config.fail_on or "high"

    inventory = scan_inputs(paths, options)
    inventory = _said_about_variables(inventory, variables, report)
    waivers = waivers_path or default_waivers(config.path, [Path(p) for p in paths if p != "-"])
    # Every file read, as well as the paths given: `scan infra -o infra/main.tf` must not overwrite main.tf.
    read = [Path(p) for p in (*paths, *var_files, *inventory.scanned)]
    report_and_exit(inventory, "text", None, threshold, config.path, allow_partial,
                    waivers=waivers, baseline=baseline_path, inputs=read, choices=report)


def _said_about_variables(inventory: Inventory, variables: Sequence[str], report: ReportChoices) -> Inventory:
    """A ``--var`` that no scanned configuration uses is a warning on standard error (as Terraform warns), and a
    note in the report: a typo of a declared name must not pass silently. (Notes reach standard error anyway
    unless the whole text report is on standard output, which lists them.)"""
    from scanner.model import CoverageGap
    from scanner.printable import escape

    if variables and not any(path.endswith((".tf", ".tf.json")) for path in inventory.scanned):
        names = ", ".join(sorted({v.partition("=")[0].strip() for v in variables}))
        note = CoverageGap(f"--var {names}", None, "not used: no Terraform configuration was scanned (a plan or "
                                                   "state holds its variables' values)", kind="note")
        inventory = replace(inventory, coverage=(*inventory.coverage, note))
    on_stdout = [fmt for fmt, path in report.outputs if path is None] == ["text"] and not report.quiet
    if on_stdout:
        for gap in inventory.coverage:
            if gap.path.startswith("--var ") and not gap.incomplete:
                click.echo(f"offshore-scan: warning: {escape(gap.path)}: {escape(gap.reason)}", err=True)
    return inventory


def _distinct_paths(paths: Sequence[str]) -> tuple[str, ...]:
    """The PATHs given, each once (``infra``, ``infra/`` and ``./infra`` are one directory, read once), after the
    plain mistakes are said plainly: an empty PATH (an unset shell variable) would scan the current directory,
    and a PATH that names nothing at all is one line, not a report of nothing."""
    if any(not p.strip() for p in paths):
        raise CommandLineError("a PATH is empty (an unset variable?): name a directory, a file, or - for standard "
                               "input")
    missing = [p for p in paths if p != "-" and not os.path.lexists(p)]
    if missing and len(missing) == len(paths):
        # With other paths beside it, a missing one is a coverage gap of a scan that still reports the rest.
        fail(f"{', '.join(missing)}: no such file or directory")
    seen: set[str] = set()
    distinct = []
    for path in paths:
        key = path if path == "-" else os.path.normcase(os.path.realpath(path))
        if key not in seen:
            seen.add(key)
            distinct.append(path)
    return tuple(distinct)


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

    wanted = "a JSON report of offshore-scan (--format json) to use as a baseline"
    try:
        document = json.loads(read_user_text(path, "baseline"))
    except UserFileError as error:
        fail(str(error))
    except json.JSONDecodeError as error:
        fail(f"{path}:{error.lineno}: not JSON ({error.msg} at line {error.lineno}, column {error.colno}); give "
             f"{wanted}")
    except ValueError as error:  # a number too long to convert, say
        fail(f"{path}: not JSON that can be read ({str(error)[:120]}); give {wanted}")
    findings = document.get("findings") if isinstance(document, dict) else None
    if not isinstance(findings, list):
        what = "has no \"findings\" list" if isinstance(document, dict) else f"is a JSON {_json_kind(document)}"
        fail(f"{path}: not {wanted}: the document {what}")
    fingerprints = []
    for number, finding in enumerate(findings, 1):
        if not isinstance(finding, dict) or "fingerprint" not in finding:
            fail(f"{path}: not {wanted}: finding {number} of \"findings\" has no \"fingerprint\"")
        fingerprints.append(finding["fingerprint"])
    wrong = next((f for f in fingerprints if not (isinstance(f, str) and re.fullmatch(r"[0-9a-f]{16}", f))), None)
    if wrong is not None:
        # A hand-edited baseline must not hide findings by a value that is no fingerprint.
        fail(f"{path}: baseline finding fingerprint {str(wrong)[:40]!r} is not 16 hex digits; use a JSON report as "
             "offshore-scan wrote it")
    return set(fingerprints)


def _json_kind(value: object) -> str:
    """A JSON value's kind, as JSON names it (``array``, not ``list``)."""
    kinds = ((bool, "boolean"), (int, "number"), (float, "number"), (str, "string"), (list, "array"))
    return "null" if value is None else next((name for kind, name in kinds if isinstance(value, kind)), "value")


def report_and_exit(inventory: Inventory, output_format: str, output: Path | None, threshold: str,
                    config_path: str | None, allow_partial: bool, *, waivers: Path | None = None,
                    baseline: Path | None = None, inputs: Sequence[Path] = (),
                    scanned_by_this_run: bool = True, choices: ReportChoices | None = None) -> NoReturn:
    """Judge an inventory, write the reports, print the gaps, and exit with the documented code. ``inputs`` are
    the files the command read besides the config, waivers and baseline: no report overwrites one. ``choices``
    (the command line's reports and filters) wins over ``output_format`` and ``output``."""
    from scanner.printable import encodable, escape, escaped
    from scanner.redaction import redact_findings, redact_inventory
    from scanner.reporters import Presentation, ScanReport, reporter_for
    from scanner.reporters.text import wrapped_summary

    choices = choices or ReportChoices(((output_format, output),))
    for _, path in choices.outputs:
        if path is not None:
            refuse_overwrite(path, [*inputs, *(Path(p) for p in (config_path, waivers, baseline) if p is not None)])
    to_terminal = [fmt for fmt, path in choices.outputs if path is None]
    # The full text report on standard output lists the gaps itself; anything else leaves them to stderr.
    full_text_shown = to_terminal == ["text"] and not choices.quiet
    written: list[tuple[str, Path | None, str]] = []
    try:
        # Judged on the real values; printed with every secret-looking value redacted, in every format.
        judged, inventory, baselined = _judged(inventory, waivers, baseline, scanned_by_this_run)
        before = len(judged)
        judged, baselined, inventory, rules = _chosen(judged, baselined, inventory, choices)
        filtered = before - len(judged)
        findings = redact_findings(judged)
        inventory = redact_inventory(inventory)
        # Paths in SARIF and JUnit are relative to where the scan runs: the repository root in CI.
        report = ScanReport(findings, inventory, __version__, threshold, config_path, rules, str(Path.cwd()),
                            baselined=redact_findings(baselined), soft_fail=choices.soft_fail,
                            allow_partial=allow_partial,
                            filtered=filtered, filters=choices.filters() if filtered else (),
                            estate_name=choices.estate_name, adequacy=choices.adequacy,
                            protective_marking=choices.protective_marking)
        for output_format, output in choices.outputs:
            # Values from the estate (and from results read back: the config a result names) may hold line breaks
            # and terminal escapes (never printed raw in text), and lone surrogates, which no format can write as
            # UTF-8: every string of the report is walked, not only the findings and the inventory.
            walk = escaped if output_format == "text" else _as_is if output_format == "sarif" else encodable
            shown = walk(report)
            terminal = output is None and output_format == "text"
            if terminal and choices.quiet:
                rendered = wrapped_summary(shown, _width()) + "\n"
            else:
                presentation = Presentation(colour=terminal and _colour(choices.no_color),
                                            width=_width() if terminal else Presentation.width,
                                            compact=choices.compact)
                rendered = reporter_for(output_format, shown=presentation).render(shown)
            written.append((output_format, output, rendered))
        summary = wrapped_summary(escaped(report), _width(sys.stderr))
    except click.UsageError:
        raise
    except Exception as error:
        # A bug here must still end as a clear incomplete scan for CI, never a traceback read as "findings".
        fail(f"offshore-scan failed while judging or reporting ({type(error).__name__}: {error}); please report it")
    for output_format, output, rendered in written:
        try:
            if output is not None:
                output.write_text(rendered, encoding="utf-8")
            else:
                terminal = output_format == "text"
                click.echo(rendered, nl=False, color=(terminal and _colour(choices.no_color)) or None)
        except OSError as error:
            fail(f"{output or 'standard output'}: cannot write report: {error.strerror or error}")

    if not full_text_shown:
        for gap in inventory.coverage:
            where = escape(f"{gap.path}:{gap.line}" if gap.line else gap.path)
            click.echo(f"offshore-scan: {'note' if not gap.incomplete else 'error'}: {where}: {escape(gap.reason)}",
                       err=True)
        if "text" not in to_terminal and sys.stderr.isatty():
            # Every report went to a file: the person at the terminal still sees the verdict.
            click.echo(summary, err=True)
    if any(gap.incomplete for gap in inventory.coverage) and not allow_partial:
        sys.exit(EXIT_INCOMPLETE)
    if choices.soft_fail:
        sys.exit(EXIT_CLEAN)
    sys.exit(EXIT_FINDINGS if _over_threshold(findings, threshold) else EXIT_CLEAN)


def _colour(no_color: bool) -> bool:
    """``--no-color``, then NO_COLOR (any non-empty value: no-color.org), then FORCE_COLOR (any non-empty value:
    force-color.org, for CI logs that show colour), then whether standard output is a terminal."""
    if no_color or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return sys.stdout.isatty()


def _width(stream: Any = None) -> int:
    """The terminal's width; a fixed width when standard output (or ``stream``) is not a terminal, so a report in a
    file or a CI log is the same on every machine (COLUMNS, which shutil honours, is for terminals)."""
    import shutil

    from scanner.reporters import Presentation

    if not (stream or sys.stdout).isatty():
        return Presentation.width
    return shutil.get_terminal_size((Presentation.width, 24)).columns


def _chosen(findings: tuple[Finding, ...], baselined: tuple[Finding, ...], inventory: Inventory,
            choices: ReportChoices) -> tuple[tuple[Finding, ...], tuple[Finding, ...], Inventory,
                                             tuple[RuleInfo, ...]]:
    """The findings ``--check``, ``--skip-check`` and ``--severity`` leave, and a note for what each left out:
    a filter narrows the report, never silently."""
    from collections import Counter

    from scanner.model import CoverageGap

    selected, skipped = choices.rule_ids()
    rules = tuple(r for r in _rules() if (selected is None or r.id in selected) and r.id not in skipped)
    kept = {r.id for r in rules}
    notes: list[CoverageGap] = []
    left = Counter(f.rule_id for f in findings if f.rule_id not in kept)
    if left:
        flag = choices.sources.get("skip_checks") or choices.sources.get("checks") or "--check/--skip-check"
        said = ", ".join(f"{rule} ({count})" for rule, count in sorted(left.items()))
        notes.append(CoverageGap(flag, None, f"findings of rules left out, not reported: {said}", kind="note"))
    findings = tuple(f for f in findings if f.rule_id in kept)
    baselined = tuple(f for f in baselined if f.rule_id in kept)
    if choices.severities:
        wanted = set(choices.severities)
        below = Counter(f.severity.value for f in findings if f.severity.value not in wanted)
        if below:
            flag = choices.sources.get("severities", "--severity")
            said = ", ".join(f"{count} {severity}" for severity, count in sorted(below.items()))
            notes.append(CoverageGap(flag, None, f"{said} finding(s) not reported (severity "
                                                 f"{','.join(choices.severities)} only)", kind="note"))
        findings = tuple(f for f in findings if f.severity.value in wanted)
        baselined = tuple(f for f in baselined if f.severity.value in wanted)
    return findings, baselined, replace(inventory, coverage=inventory.coverage + tuple(notes)), rules


@main.command()
@click.option("--format", "-f", "output_format", type=click.Choice(["text", "json"], case_sensitive=False),
              default="text", show_default=True)
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


_T = TypeVar("_T")


def _as_is(report: _T) -> _T:
    """SARIF makes its own document writable, once its file URIs are percent-encoded (``scanner/printable.py``)."""
    return report


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
