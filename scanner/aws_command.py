"""``offshore-scan aws``: scan live AWS accounts, read-only, judged by the same policies as static inputs.

boto3 and rich are imported inside the command, so ``offshore-scan --help`` and static scans never load them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from scanner.cli import EXIT_CODES_HELP, CommandLineError, ReportChoices, common_options, fail
from scanner.live_command import (
    live_settings,
    progress_line,
    quiet_option,
    refuse_together,
    report_live,
    show_progress,
    timeout_option,
)

_AWS_EPILOG = """
\b
Examples:
  offshore-scan aws                              every enabled region of the caller's account
  offshore-scan aws --profile audit --region eu-west-2 --region us-east-1
  offshore-scan aws --org --role-name OffshoreScanReadOnly --format json -o estate.json
  offshore-scan aws --org --role-name OffshoreScanReadOnly --shard 2/8 --format json -o shard-2.json
  offshore-scan merge shard-*.json --format sarif -o estate.sarif   (one answer from every shard)
  AWS_ENDPOINT_URL=http://127.0.0.1:5000 offshore-scan aws --all-regions   (a local moto server)

\b
Read-only: every API call that is not Describe/List/Get/Head/Lookup/Search/BatchGet
(or sts:AssumeRole) is refused before it is sent. The IAM policy the scan needs is
docs/aws-readonly-policy.json.
""" + EXIT_CODES_HELP.format(incomplete="a call was denied, throttled or failed, an account\n      could not be "
                                      "entered, or the credentials could not be used")


@click.command(epilog=_AWS_EPILOG)
@click.option("--profile", metavar="NAME", help="AWS profile (default: the standard credential chain).")
@click.option("--region", "regions", multiple=True, metavar="REGION",
              help="Scan only this region. Repeatable. Default: every enabled region.")
@click.option("--all-regions", is_flag=True, help="Scan every enabled region (the default; excludes --region).")
@click.option("--org", is_flag=True,
              help="Scan every active account of the organisation, from its management (or a delegated) account; "
                   "needs --role-name. Default: only the caller's account (or the --account ones).")
@click.option("--role-name", metavar="NAME",
              help="Role assumed in each member account (--org, --account). Default: none; an account whose role "
                   "cannot be assumed is a coverage gap.")
@click.option("--account", "accounts", multiple=True, metavar="ID",
              help="Only this account. Repeatable. Default: every account (--org), else the caller's.")
@click.option("--exclude-account", "exclude_accounts", multiple=True, metavar="ID",
              help="Never this account (reported as left out). Repeatable. Default: none.")
@click.option("--account-file", "account_files", multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path), metavar="FILE",
              help="Scan the accounts this file lists (one 12-digit id a line, # comments), through --role-name; "
                   "--account narrows the list. Repeatable (the lists are joined). The result records the list, so "
                   "shards of it merge and are checked. Default: none.")
@click.option("--shard", "shards", multiple=True, metavar="K/N",
              help="Scan only the accounts whose position in the sorted account list (--org or --account-file), "
                   "modulo N, is K (0 to N-1). auto/N reads K from JOB_COMPLETION_INDEX (Kubernetes Indexed Job), "
                   "AWS_BATCH_JOB_ARRAY_INDEX, CI_NODE_INDEX (GitLab parallel, from 1) or OFFSHORE_SCAN_SHARD_INDEX. "
                   "Join the shards' JSON results with `offshore-scan merge`. Default: every account.")
@click.option("--max-workers", type=click.IntRange(min=1, max=64), default=8, show_default=True,
              help="Concurrent API calls per account and region.")
@timeout_option
@quiet_option
@common_options(live=True)
def aws(profile: str | None, regions: tuple[str, ...], all_regions: bool, org: bool, role_name: str | None,
        accounts: tuple[str, ...], exclude_accounts: tuple[str, ...], account_files: tuple[Path, ...],
        shards: tuple[str, ...],
        max_workers: int, timeout: float, quiet: bool,
        report: ReportChoices, fail_on: str | None, config_path: Path | None, scope: str | None,
        waivers_path: Path | None, baseline_path: Path | None, allow_partial: bool) -> None:
    """Scan live AWS accounts (and an Organization's member accounts) for DWP resources outside the UK.

    Finds DWP resources through the Resource Groups Tagging API in every enabled region (and, in
    accounts the config names as DWP, every data store), reads only the settings that place them,
    copy them or grant access to them, and judges them with the same policies as Terraform.
    Every (account, region, service) is reported as scanned, denied, disabled, throttled or failed.
    """
    from providers.aws.options import AwsOptions, read_account_file
    from providers.interface import OptionError

    if len(shards) > 1:
        raise CommandLineError(f"--shard given {len(shards)} times ({', '.join(shards)}): a run is one shard")
    refuse_together({"--region": regions, "--all-regions": all_regions, "--org": org, "--role-name": role_name,
                     "--account-file": account_files, "--shard": shards,
                     "--org, --account-file or --account": org or account_files or accounts},
                    ("--region", "--all-regions"), ("--org", "--account-file"), ("--org", "!--role-name"),
                    ("--shard", "!--org, --account-file or --account"),
                    ("--role-name", "!--org, --account-file or --account"))
    if shards:
        from providers.aws.options import parse_shard

        try:
            parse_shard(shards[0])  # a malformed value is a usage error, like any other flag's (exit 64)
        except OptionError as error:
            raise CommandLineError(str(error)) from None
    settings = live_settings(config_path, scope, fail_on, report)
    try:
        listed = None if not account_files else tuple(
            account for path in account_files for account in read_account_file(_read(path), str(path)))
        options = AwsOptions.from_command_line(profile, regions, all_regions, org, role_name, accounts,
                                               exclude_accounts, max_workers, shards[0] if shards else None, listed,
                                               timeout=timeout)
    except OptionError as error:
        fail(str(error))
    inventory = _scan(options, settings.common, show_progress=show_progress(quiet))
    report_live(inventory, settings, allow_partial, waivers_path, baseline_path)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        fail(f"{path}: cannot read the account file: {error}")


def _scan(options: Any, common: Any, show_progress: bool) -> Any:
    from providers.aws.adapter import scan_aws
    from providers.aws.session import CredentialsError, WriteRefused
    from providers.interface import OptionError
    from providers.live.errors import ConfigurationError

    try:
        with progress_line(show_progress, "scanning AWS", _describe) as report:
            return scan_aws(options, common, progress=report)
    except (CredentialsError, OptionError, ConfigurationError) as error:
        fail(str(error))
    except WriteRefused as error:
        fail(f"{error} (a bug: please report it)")


def _describe(progress: Any) -> tuple[int, int, str]:
    return progress.regions, progress.regions_done, (
        f"accounts {progress.accounts_done}/{progress.accounts}, regions {progress.regions_done}/{progress.regions}, "
        f"{progress.calls} API calls")
