"""``offshore-scan aws`` costs nothing until it runs, and its help teaches every option with its default."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from scanner.cli import main

aws = main.commands["aws"]  # registered by scanner.cli (importing scanner.aws_command first would be circular)

ROOT = Path(__file__).resolve().parent.parent
_LIVE_ONLY = re.compile(r"\|\s*(boto3|botocore|s3transfer|rich|providers\.aws)(\.|$)")


@pytest.mark.parametrize("args", [["--help"], ["scan", "fixtures/demo", "--format", "json"]],
                         ids=["help", "static-scan"])
def test_help_and_static_scans_never_import_the_aws_sdk_or_rich(args: list[str]) -> None:
    # The import linter checks the static layers; this checks the process itself, as `-X importtime` shows it.
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "scanner.cli", *args], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode in (0, 1), result.stderr[-2000:]
    imported = [line for line in result.stderr.splitlines() if line.startswith("import time:")]
    assert len(imported) > 50  # the timing lines are there to be read
    assert [line for line in imported if _LIVE_ONLY.search(line)] == []


def _options() -> list[click.Option]:
    return [p for p in aws.params if isinstance(p, click.Option) and p.name != "help"]


@pytest.mark.parametrize("option", _options(), ids=lambda o: o.opts[0])
def test_every_aws_option_is_documented_with_its_default(option: click.Option) -> None:
    assert option.help, f"{option.opts[0]} has no help"
    shown = option.show_default and option.default is not None
    assert shown or "default" in option.help.lower(), f"{option.opts[0]} does not say its default: {option.help}"


def test_aws_help_teaches_the_command() -> None:
    result = CliRunner().invoke(main, ["aws", "--help"], terminal_width=120)
    assert result.exit_code == 0
    for option in _options():
        assert option.opts[0] in result.output
    for taught in ("docs/aws-readonly-policy.json", "AWS_ENDPOINT_URL", "--org --role-name", "Exit codes:",
                   "the scan is incomplete"):
        assert taught in result.output
