"""``offshore-scan evidence``: the evidence pack for the DWP Offshore Proposal Questionnaire from JSON results.

The pack is ``merge``'s answer laid out for the questionnaire: the results' inventories are read back (every field
checked), joined and judged again, and waivers come only from the waivers file and inline markers of this run. A
result's own ``findings`` and ``waiver`` blocks are never read, so a result whose findings were deleted or whose
waivers were forged cannot make a pack that contradicts its inventory. Exit codes are ``scan``'s.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from scanner.cli import (
    EXIT_CODES_HELP,
    FAIL_ON_CHOICES,
    ReportChoices,
    default_waivers,
    fail,
    pair_outputs,
    report_and_exit,
)
from scanner.merge_command import load_results, max_result_size_option, recorded_config

_EVIDENCE_EPILOG = """
\b
Examples:
  offshore-scan evidence result.json --format html -o evidence.html
  offshore-scan evidence terraform.json shard-*.json --fail-on never -o evidence.md
""" + EXIT_CODES_HELP.format(incomplete="a result cannot be read, a shard is missing or\n      doubled, a result "
                                      "had coverage gaps, or the pack cannot be written"
                              ).replace(" (or --soft-fail)", "").replace("; --soft-fail does not hide this", "")


@click.command(epilog=_EVIDENCE_EPILOG)
@click.argument("results", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
                metavar="RESULT.json...")
@click.option("--format", "-f", "output_format", type=click.Choice(["markdown", "html"], case_sensitive=False),
              default="markdown", show_default=True,
              help="markdown (the diagram as Mermaid) or html (one self-contained file, the diagram drawn by Graphviz "
                   "when `dot` is installed).")
@click.option("--output", "-o", "output_name", type=click.Path(dir_okay=False, writable=True),
              help="Write the pack to this file instead of standard output (- is standard output).")
@click.option("--fail-on", type=click.Choice(FAIL_ON_CHOICES, case_sensitive=False), default="high", show_default=True,
              help="Exit 1 when a finding is at or above this severity. 'never' always exits 0 unless the results "
                   "are incomplete.")
@click.option("--waivers", "waivers_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Waivers file (default: offshore-waivers.yaml in the current directory, if there is one). The "
                   "pack lists the findings it waives; waivers recorded in the results are not read.")
@click.option("--allow-partial", is_flag=True,
              help="Judge the exit code on what the results hold even if they have gaps (the pack still says so).")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="offshore-scan.yaml whose estate_name, adequacy and protective_marking the pack uses (default: "
                   "the one in the current directory, else the one the results record their scan read); it is "
                   "listed under the pack's Inputs.")
@max_result_size_option
def evidence(results: tuple[Path, ...], output_format: str, output_name: str | None, fail_on: str,
             waivers_path: Path | None, allow_partial: bool, config_path: Path | None, max_result_size: int) -> None:
    """Make the evidence pack for the DWP Offshore Proposal Questionnaire from JSON results.

    Merges one or more results of `--format json` (Terraform, plans, Kubernetes, live accounts) and
    pre-fills what infrastructure can answer: section 2 (DWP information and systems, with quantities),
    2.1 (permanent, temporary and transient storage, with locations), 2.2 (every path of DWP information
    outside the UK, with a network diagram grouped by country and region), 2.3 and 3.1 (offshore regions
    and principals outside the UK), guardrails, waived findings with their approval references and
    coverage gaps. The questions infrastructure cannot answer are left as marked blanks.

    Findings are judged again from the results' inventories, as `offshore-scan merge` judges them. The
    shards of a sharded audit must be given together: an account no result covers, or two do, is said
    in the pack and exits 2.
    """
    # Imported here, not at start-up: `offshore-scan --help` must not load YAML and the model.
    from scanner.config import ConfigError, find_config, load_config

    # As scan's -o: `-o html` is a slip for --format html, and `-o -` is standard output.
    output = pair_outputs((output_format,), (output_name,) if output_name is not None else ())[0][1]
    merged = load_results(results, output, max_result_size)
    # The config given, else the one here, else the one the scans recorded reading (a result made elsewhere): read
    # if it is here, and listed under the pack's Inputs either way.
    config = config_path or find_config(None, [Path.cwd()])
    named = None if config is None else str(config)
    if config is None:
        named = recorded_config(results)
        config = Path(named) if named and Path(named).is_file() else None
    choices = ReportChoices(((output_format, output),))
    if config is not None:
        try:
            loaded = load_config(config)
        except ConfigError as error:
            fail(str(error))
        # The pack's own keys, as `scan --format html` applies them; the scan's filters are not applied again.
        choices = replace(choices, estate_name=loaded.estate_name, adequacy=tuple(loaded.adequacy.items()),
                          protective_marking=loaded.protective_marking)
    report_and_exit(merged, output_format, output, fail_on, named, allow_partial,
                    waivers=waivers_path or default_waivers(None, [Path.cwd()]), inputs=results,
                    scanned_by_this_run=False, choices=choices)

