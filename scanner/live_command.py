"""What the live commands (``offshore-scan aws``, ``offshore-scan azure``) share: the ``--quiet`` option, the
config and options every scan needs, and the progress line on standard error.

rich is imported only when a progress line is shown, so ``offshore-scan --help`` never loads it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from scanner.cli import ReportChoices, default_waivers, fail, report_and_exit

quiet_option = click.option(
    "--quiet", "-q", is_flag=True,
    help="No progress display on standard error (the report is still printed in full; -o FILE leaves the "
         "terminal only the summary line). Default: progress when standard error is a terminal.")
"""``--quiet``: the same words on every live command. Unlike ``scan -q`` it keeps the report: a live scan's
report is its only record, and scripts that silence the progress line rely on it."""

timeout_option = click.option(
    "--timeout", type=click.FloatRange(min=0.5, max=3600), default=30.0, show_default=True, metavar="SECONDS",
    help="Seconds one API call may take, its retries included; a call still unanswered then is a coverage gap "
         "naming it, and a scope whose call timed out makes no further calls.")
"""``--timeout``: the same words on every live command (``providers.live.answers.DEFAULT_TIMEOUT``)."""


@dataclass(frozen=True)
class LiveSettings:
    """The config and options a live scan is judged with, read as the static scan reads them."""

    config: Any
    """The loaded ``scanner.config.Config``."""
    common: Any
    """The ``providers.interface.ScanOptions`` every provider gets."""
    threshold: str
    """``--fail-on``, else the config's ``fail_on``, else ``high``."""
    report: ReportChoices = field(default_factory=ReportChoices)
    """The reports and filters, the config's ``severity``, ``check`` and ``skip_check`` filled in."""


def live_settings(config_path: Path | None, scope: str | None, fail_on: str | None,
                  report: ReportChoices | None = None) -> LiveSettings:
    """The config (``--config``, else ``offshore-scan.yaml`` in the current directory) and the scan options."""
    from dataclasses import replace

    from providers.interface import ScanOptions
    from scanner.config import ConfigError, find_config, load_config

    try:
        config = load_config(find_config(config_path, [Path.cwd()]))
    except ConfigError as error:
        fail(str(error))
    rules = config.rules
    if (scope or config.scope) == "all":
        rules = replace(rules, scope_all=True)
    common = ScanOptions(rules=rules, estate=config.estate, endpoints=tuple(config.endpoints.items()))
    return LiveSettings(config, common, fail_on or config.fail_on or "high",
                        (report or ReportChoices()).with_config(config))


def refuse_together(given: dict[str, object], *pairs: tuple[str, str]) -> None:
    """Flags that exclude each other, or one that needs another (``("--org", "!--role-name")``: ``--org`` without
    ``--role-name``), are a usage error naming both (exit 64), said before any config is read or call is made."""
    from scanner.cli import CommandLineError

    for first, second in pairs:
        if second.startswith("!"):
            needed = second[1:]
            if given.get(first) and not given.get(needed):
                raise CommandLineError(f"{first} needs {needed}")
        elif given.get(first) and given.get(second):
            raise CommandLineError(f"{first} and {second} exclude each other: give one of them")


def show_progress(quiet: bool) -> bool:
    """Progress is drawn unless ``--quiet``, and only on a terminal."""
    return not quiet and sys.stderr.isatty()


Describe = Callable[[Any], tuple[int, int, str]]
"""A progress report -> (total, done, detail text) for the bar."""


@contextmanager
def progress_line(show: bool, title: str, describe: Describe) -> Iterator[Callable[[Any], None] | None]:
    """A rich progress line on standard error, fed by the adapter's progress reports, or nothing."""
    if not show:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[detail]}"),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(title, total=None, detail="")

        def report(progress: Any) -> None:
            total, done, detail = describe(progress)
            bar.update(task, total=max(total, 1), completed=done, detail=detail)

        yield report


def report_live(inventory: Any, settings: LiveSettings, allow_partial: bool, waivers: Path | None,
                baseline: Path | None) -> None:
    """Judge and report a live scan as every command does (waivers beside the config, else in the current
    directory), and exit with the documented code."""
    config = settings.config
    report_and_exit(inventory, "text", None, settings.threshold, config.path, allow_partial,
                    waivers=waivers or default_waivers(config.path, [Path.cwd()]), baseline=baseline,
                    choices=settings.report)
