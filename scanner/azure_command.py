"""``offshore-scan azure``: scan live Azure subscriptions, read-only, judged by the same policies as static inputs.

The azure SDK and rich are imported inside the command, so ``offshore-scan --help`` and static scans never
load them.
"""

from __future__ import annotations

import os
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

_AZURE_EPILOG = """
\b
Examples:
  offshore-scan azure                            every subscription the signed-in identity can read
  offshore-scan azure --subscription 00000000-0000-0000-0000-000000000000 --format json -o estate.json
  offshore-scan azure --management-group dwp-root --tenant 11111111-2222-3333-4444-555555555555
  OFFSHORE_SCAN_AZURE_TOKEN=t offshore-scan azure --arm-endpoint http://127.0.0.1:8080   (a local replay)

\b
Credentials: DefaultAzureCredential (az login, environment variables, managed
identity...). Only with --arm-endpoint (or AZURE_ARM_ENDPOINT) is a static
bearer token read from OFFSHORE_SCAN_AZURE_TOKEN instead.

\b
Read-only: every request that is not a GET is refused before it is sent,
except a Resource Graph query and an app's config/appsettings/list (both only
read). The custom role the scan needs is docs/azure-readonly-role.json
(Reader, the Microsoft.Insights and Microsoft.Authorization reads, and
Microsoft.Web/sites/config/list/action for app settings).
""" + EXIT_CODES_HELP.format(incomplete="a call was denied, throttled or failed, a\n      subscription could "
                                      "not be read, or the credentials could not be used")


@click.command(epilog=_AZURE_EPILOG)
@click.option("--subscription", "subscriptions", multiple=True, metavar="ID",
              help="Scan only this subscription. Repeatable. Default: every subscription the credentials can read.")
@click.option("--all-subscriptions", is_flag=True,
              help="Scan every subscription the credentials can read (the default; excludes --subscription).")
@click.option("--tenant", metavar="ID",
              help="Sign in to this Entra tenant and scan only its subscriptions. Default: the credential's own.")
@click.option("--management-group", metavar="ID",
              help="Scan every subscription under this management group, at any depth. Default: none.")
@click.option("--arm-endpoint", metavar="URL", envvar="AZURE_ARM_ENDPOINT", show_envvar=True,
              help="Send every call to this Azure Resource Manager endpoint (a local replay, a sovereign cloud). "
                   "Default: https://management.azure.com.")
@click.option("--max-workers", type=click.IntRange(min=1, max=64), default=8, show_default=True,
              help="Concurrent ARM calls per subscription.")
@timeout_option
@quiet_option
@common_options(live=True)
def azure(subscriptions: tuple[str, ...], all_subscriptions: bool, tenant: str | None, management_group: str | None,
          arm_endpoint: str | None, max_workers: int, timeout: float, quiet: bool, report: ReportChoices,
          fail_on: str | None, config_path: Path | None, scope: str | None,
          waivers_path: Path | None, baseline_path: Path | None, allow_partial: bool) -> None:
    """Scan live Azure subscriptions for DWP resources outside the UK.

    Lists every resource (with its tags and location) of each subscription, reads closely the DWP
    ones (storage redundancy and object replication, Cosmos DB locations, SQL failover groups and
    geo-secondaries, registry geo-replications, Recovery Services vaults, VNet peerings, diagnostic
    settings and where each destination is), the role assignments to other tenants' principals,
    Lighthouse delegations and Allowed-locations policies, and judges them with the same policies as
    Terraform. Every (subscription, resource provider) is reported as scanned, denied, throttled or
    failed.
    """
    from providers.azure.options import TOKEN_VARIABLE, AzureOptions
    from providers.interface import OptionError

    refuse_together({"--subscription": subscriptions, "--all-subscriptions": all_subscriptions,
                     "--management-group": management_group},
                    ("--subscription", "--all-subscriptions"), ("--subscription", "--management-group"),
                    ("--all-subscriptions", "--management-group"))
    if arm_endpoint is not None and not arm_endpoint.strip():
        # An unset variable (--arm-endpoint "$ARM"): never a silent fall back to Azure itself and its credentials.
        raise CommandLineError("--arm-endpoint is empty (an unset variable?): name a URL, or leave --arm-endpoint out")
    settings = live_settings(config_path, scope, fail_on, report)
    try:
        options = AzureOptions.from_command_line(subscriptions, all_subscriptions, tenant, management_group,
                                                 max_workers, arm_endpoint, os.environ.get(TOKEN_VARIABLE),
                                                 settings.config.resource_group_tags, timeout)
    except OptionError as error:
        fail(str(error))
    inventory = _scan(options, settings.common, show_progress=show_progress(quiet))
    report_live(inventory, settings, allow_partial, waivers_path, baseline_path)


def _scan(options: Any, common: Any, show_progress: bool) -> Any:
    from providers.azure.adapter import scan_azure
    from providers.azure.session import CredentialsError, WriteRefused
    from providers.live.errors import ConfigurationError

    try:
        with progress_line(show_progress, "scanning Azure", _describe) as report:
            return scan_azure(options, common, progress=report)
    except (CredentialsError, ConfigurationError) as error:
        fail(str(error))
    except WriteRefused as error:
        fail(f"{error} (a bug: please report it)")


def _describe(progress: Any) -> tuple[int, int, str]:
    return progress.subscriptions, progress.subscriptions_done, (
        f"subscriptions {progress.subscriptions_done}/{progress.subscriptions}, {progress.calls} ARM calls")
