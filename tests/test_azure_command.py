"""``offshore-scan azure`` costs nothing until it runs, and its help teaches every option with its default."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from providers.azure.options import AzureOptions
from providers.interface import OptionError
from scanner.cli import main

azure = main.commands["azure"]

ROOT = Path(__file__).resolve().parent.parent
_LIVE_ONLY = re.compile(r"\|\s*(azure|msal|providers\.azure|rich)(\.|$)")
S1 = "11111111-1111-1111-1111-111111111111"


@pytest.mark.parametrize("args", [["--help"], ["azure", "--help"], ["scan", "fixtures/demo", "--format", "json"]],
                         ids=["help", "azure-help", "static-scan"])
def test_help_and_static_scans_never_import_the_azure_sdk(args: list[str]) -> None:
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "scanner.cli", *args], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode in (0, 1), result.stderr[-2000:]
    imported = [line for line in result.stderr.splitlines() if line.startswith("import time:")]
    assert len(imported) > 50
    assert [line for line in imported if _LIVE_ONLY.search(line)] == []


def _options() -> list[click.Option]:
    return [p for p in azure.params if isinstance(p, click.Option) and p.name != "help"]


@pytest.mark.parametrize("option", _options(), ids=lambda o: o.opts[0])
def test_every_azure_option_is_documented_with_its_default(option: click.Option) -> None:
    assert option.help, f"{option.opts[0]} has no help"
    shown = option.show_default and option.default is not None
    assert shown or "default" in option.help.lower(), f"{option.opts[0]} does not say its default: {option.help}"


def test_azure_help_teaches_the_command() -> None:
    result = CliRunner().invoke(main, ["azure", "--help"], terminal_width=120)
    assert result.exit_code == 0
    for option in _options():
        assert option.opts[0] in result.output
    for taught in ("docs/azure-readonly-role.json", "OFFSHORE_SCAN_AZURE_TOKEN", "AZURE_ARM_ENDPOINT",
                   "--management-group", "DefaultAzureCredential", "Exit codes:", "the scan is incomplete"):
        assert taught in result.output


@pytest.mark.parametrize(("kwargs", "problem"), [
    ({"subscriptions": (S1,), "all_subscriptions": True}, "not both"),
    ({"subscriptions": ("prod",)}, "not an Azure subscription id"),
    ({"tenant": "contoso"}, "not an Entra tenant id"),
    ({"arm_endpoint": "127.0.0.1:8080"}, "not an http(s) URL"),
    ({"subscriptions": (S1,), "management_group": "root"}, "not both"),
])
def test_bad_options_are_said(kwargs: dict, problem: str) -> None:
    arguments = {"subscriptions": (), "all_subscriptions": False, "tenant": None, "management_group": None,
                 "max_workers": 8, "arm_endpoint": None, "token": None, **kwargs}
    with pytest.raises(OptionError, match=re.escape(problem)):
        AzureOptions.from_command_line(**arguments)


def test_the_static_token_is_used_only_with_another_endpoint() -> None:
    common = {"subscriptions": (), "all_subscriptions": False, "tenant": None, "management_group": None,
              "max_workers": 8, "token": "t"}
    assert AzureOptions.from_command_line(arm_endpoint=None, **common).token is None
    assert AzureOptions.from_command_line(arm_endpoint="http://127.0.0.1:1/", **common).token == "t"


def test_a_bad_option_is_one_line_and_exit_2() -> None:
    result = CliRunner().invoke(main, ["azure", "--subscription", "prod"])
    assert result.exit_code == 2
    assert "not an Azure subscription id" in result.output


def test_the_progress_line_takes_the_adapters_reports() -> None:
    from providers.azure.adapter import Progress
    from scanner.azure_command import _describe
    from scanner.live_command import progress_line

    assert _describe(Progress(3, 1, 42)) == (3, 1, "subscriptions 1/3, 42 ARM calls")
    with progress_line(False, "scanning Azure", _describe) as report:
        assert report is None  # --quiet, or not a terminal
    with progress_line(True, "scanning Azure", _describe) as report:
        assert report is not None
        report(Progress(3, 1, 42))
