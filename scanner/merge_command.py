"""``offshore-scan merge``: one answer from several JSON results (the shards of an audit, static and live results).

The results' inventories are joined (``scanner.merge``) and judged again, so every output format is available and
an estate-wide verdict sees the whole estate.
"""

from __future__ import annotations

from pathlib import Path

import click

from scanner.cli import FAIL_ON_CHOICES, default_waivers, fail, report_and_exit
from scanner.reporters import FORMATS

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

\b
Exit codes:
  0  nothing at or above --fail-on
  1  findings at or above --fail-on
  2  a result cannot be read, a shard is missing or doubled, or a result had
     coverage gaps (unless --allow-partial)
"""


@click.command(epilog=_MERGE_EPILOG)
@click.argument("results", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
                metavar="RESULT.json...")
@click.option("--format", "output_format", type=click.Choice(FORMATS), default="text", show_default=True,
              help="Report format, as for scan.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Write the report to this file instead of standard output (the default).")
@click.option("--fail-on", type=click.Choice(FAIL_ON_CHOICES), default="high", show_default=True,
              help="Exit 1 when a finding is at or above this severity. 'never' always exits 0 unless the merged "
                   "results are incomplete.")
@click.option("--waivers", "waivers_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Waivers file (default: offshore-waivers.yaml in the current directory, if there is one). "
                   "Waivers are applied to the merged findings; the results' own waivers are not carried over.")
@click.option("--baseline", "baseline_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A previous JSON report: report only findings that are not in it. Default: none.")
@click.option("--allow-partial", is_flag=True,
              help="Judge the exit code on what the results hold even if they have gaps (still reported).")
def merge(results: tuple[Path, ...], output_format: str, output: Path | None, fail_on: str,
          waivers_path: Path | None, baseline_path: Path | None, allow_partial: bool) -> None:
    """Join JSON results (shards of an audit, or static and live results) into one report.

    Findings are judged again on the joined inventory, so they are de-duplicated and an estate-wide
    finding (a missing region guardrail) names every account. Coverage is the union of the results'.
    """
    import json

    from scanner.merge import merge_results
    from scanner.results import ResultError, inventory_of

    if output is not None and output.resolve() in {path.resolve() for path in results}:
        fail(f"--output {output} is one of the results being merged: write the merged report to another file")
    inventories = []
    for path in results:
        try:
            text = path.read_bytes()
            document = json.loads(text) if text.strip() else None
        except (OSError, ValueError) as error:
            fail(f"{path}: cannot read a JSON result: {error}")
        except RecursionError:
            fail(f"{path}: cannot read a JSON result: it is nested too deeply to be one")
        if document is None:
            fail(f"{path}: the file is empty, not a JSON result (was the scan that writes it stopped?)")
        try:
            inventories.append(inventory_of(document, str(path)))
        except ResultError as error:
            fail(str(error))
    merged = merge_results(inventories, [str(p) for p in results])
    report_and_exit(merged, output_format, output, fail_on, None, allow_partial,
                    waivers=waivers_path or default_waivers(None, [Path.cwd()]), baseline=baseline_path)
