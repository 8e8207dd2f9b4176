"""``offshore-scan merge``: one answer from several JSON results (the shards of an audit, static and live results).

The results' inventories are joined (``scanner.merge``) and judged again, so every output format is available and
an estate-wide verdict sees the whole estate.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from scanner.cli import (
    ENV_PREFIX,
    EXIT_CODES_HELP,
    FAIL_ON_CHOICES,
    ReportChoices,
    default_waivers,
    fail,
    refuse_overwrite,
    report_and_exit,
    report_options,
)
from scanner.printable import escape

if TYPE_CHECKING:
    from scanner.model import Inventory

MAX_RESULT_MB = 256
"""The largest result file read by default: a 50-account organisation writes a few megabytes."""


def max_result_size_option(command: Callable[..., None]) -> Callable[..., None]:
    """``--max-result-size MB``, as merge and evidence share it."""
    return click.option("--max-result-size", type=click.IntRange(min=1), default=MAX_RESULT_MB, show_default=True,
                        metavar="MB", help="Refuse a result file larger than this many megabytes before reading "
                                           "it (exit 2).")(command)


_MERGE_EPILOG = """
\b
Examples:
  offshore-scan merge shard-0.json shard-1.json shard-2.json shard-3.json
  offshore-scan merge shard-*.json --format sarif -o estate.sarif
  offshore-scan merge terraform.json aws.json --format html -o evidence.html

\b
The shards of one audit (offshore-scan aws --org --shard K/N) must add up to it:
an account that no result covers, or that two results cover, is a coverage gap
naming the accounts (exit 2). Shards of 4 merged give the same JSON, byte for
byte, as one unsharded run of the same organisation.
""" + EXIT_CODES_HELP.format(incomplete="a result cannot be read, a shard is missing or\n      doubled, or a "
                                      "result had coverage gaps")


@click.command(epilog=_MERGE_EPILOG)
@click.argument("results", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
                metavar="RESULT.json...")
@report_options("merge")
@click.option("--fail-on", type=click.Choice(FAIL_ON_CHOICES, case_sensitive=False), default="high", show_default=True,
              envvar=ENV_PREFIX + "FAIL_ON", show_envvar=True,
              help="Exit 1 when a finding is at or above this severity. 'never' always exits 0 unless the merged "
                   "results are incomplete.")
@click.option("--waivers", "waivers_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Waivers file (default: offshore-waivers.yaml in the current directory, if there is one). "
                   "Waivers are applied to the merged findings; the results' own waivers are not carried over.")
@click.option("--baseline", "baseline_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A previous JSON report: report only findings that are not in it. Default: none.")
@click.option("--allow-partial", is_flag=True,
              help="Judge the exit code on what the results hold even if they have gaps (still reported).")
@max_result_size_option
def merge(results: tuple[Path, ...], report: ReportChoices, fail_on: str, waivers_path: Path | None,
          baseline_path: Path | None, allow_partial: bool, max_result_size: int) -> None:
    """Join JSON results (shards of an audit, or static and live results) into one report.

    Findings are judged again on the joined inventory, so they are de-duplicated and an estate-wide
    finding (a missing region guardrail) names every account. Coverage is the union of the results'.
    """
    # A result named twice stays twice: two copies of one shard are a doubled shard, said by the merge.
    report = report.with_config(None)
    merged = load_results(results, [o for _, o in report.outputs if o is not None], max_result_size)
    # The config the scans read is carried over (a result merged alone is the same result); it is not applied.
    report_and_exit(merged, "text", None, fail_on, recorded_config(results), allow_partial,
                    waivers=waivers_path or default_waivers(None, [Path.cwd()]), baseline=baseline_path,
                    inputs=results, scanned_by_this_run=False, choices=report)


def recorded_config(results: Sequence[Path]) -> str | None:
    """The config file the results record their scans read (``config``), when they name one and the same; None when
    none does or they differ (a merged result names one config or none)."""
    import json

    named: set[str] = set()
    for result in results:
        try:
            recorded = json.loads(result.read_text(encoding="utf-8")).get("config")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(recorded, str) and recorded:
            named.add(recorded)
    return named.pop() if len(named) == 1 else None


def load_results(results: Sequence[Path], outputs: Path | Sequence[Path] | None, max_result_size: int) -> Inventory:
    """Every result read back and checked, joined into one inventory; a result that cannot be read, or an
    output that would overwrite one, ends the command (one line, exit 2) before anything is judged."""
    from scanner.merge import merge_results
    from scanner.results import ResultError, read_result

    for output in [outputs] if isinstance(outputs, Path) else outputs or ():
        refuse_overwrite(output, results)
    inventories = []
    for path in results:
        try:
            inventories.append(read_result(path, max_result_size * 1024 * 1024))
        except ResultError as error:
            fail(escape(str(error)))
    return merge_results(inventories, [str(p) for p in results])
