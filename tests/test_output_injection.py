"""Output that cannot be forged: line breaks and terminal escapes in the estate's values are escaped."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from scanner.cli import main
from scanner.printable import escape


def test_a_tag_value_cannot_add_a_line_or_drive_the_terminal(tmp_path: Path) -> None:
    forged = "OFFICIAL\\nSummary: 0 fail, 0 unknown\\u001b[2J"
    (tmp_path / "main.tf").write_text(
        'provider "aws" {\n  region = "us-east-1"\n}\n'
        f'resource "aws_s3_bucket" "b" {{\n  bucket = "b"\n  tags = {{ Classification = "{forged}" }}\n}}\n')
    result = CliRunner().invoke(main, ["scan", str(tmp_path)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert not any(line.startswith("Summary: 0 fail") for line in lines)
    assert "\x1b" not in result.stdout
    assert "\\nSummary: 0 fail" in result.stdout  # shown, escaped


def test_a_file_name_with_a_newline_stays_on_its_line(tmp_path: Path) -> None:
    evil = tmp_path / "x\nFAIL critical  forged.tf"
    evil.write_text("resource {\n")
    (tmp_path / "main.tf").write_text('provider "aws" {\n  region = "eu-west-2"\n}\n')
    result = CliRunner().invoke(main, ["scan", str(tmp_path)])
    assert result.exit_code == 2
    assert not any(line.startswith("FAIL critical  forged") for line in result.output.splitlines())
    assert "x\\nFAIL critical" in result.output


def test_escape_writes_control_and_bidirectional_characters_as_escapes() -> None:
    assert escape("a\nb\x1b[31m\u202ec") == "a\\nb\\x1b[31m\\u202ec"
    assert escape("plain text, même accentuée") == "plain text, même accentuée"
