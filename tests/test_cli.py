"""The command line as a user meets it: exit codes, errors without tracebacks, output files, help."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from scanner.cli import main

DEMO = Path(__file__).resolve().parent.parent / "fixtures" / "demo"
OFFSHORE = 'resource "aws_s3_bucket" "b" {\n  bucket = "b"\n  tags = { Classification = "OFFICIAL" }\n}\n'


def _scan(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["scan", *args])
    return result.exit_code, result.stdout, result.stderr


def test_demo_finds_offshoring_and_exits_1() -> None:
    code, out, _ = _scan(str(DEMO))
    assert code == 1
    assert "OFS-REPL-001" in out and "how:" in out


def test_fail_on_never_and_critical() -> None:
    assert _scan(str(DEMO), "--fail-on", "never")[0] == 0
    assert _scan(str(DEMO), "--fail-on", "critical")[0] == 1  # the demo has OFFICIAL-SENSITIVE copies


def test_clean_estate_exits_0(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('provider "aws" { region = "eu-west-2" }\n' + OFFSHORE)
    code, out, _ = _scan(str(tmp_path))
    assert code == 0
    assert "OFS-HOST-001" not in out
    assert "OFS-GRD-001" in out  # low: reported, but below the default --fail-on high


def test_malformed_file_names_path_and_line_and_keeps_the_rest(tmp_path: Path) -> None:
    (tmp_path / "good.tf").write_text('provider "aws" { region = "us-east-1" }\n' + OFFSHORE)
    (tmp_path / "broken.tf").write_text('resource "aws_s3_bucket" "c" {\n  bucket = \n}\n')
    code, out, err = _scan(str(tmp_path), "--format", "json")
    assert code == 2
    report = json.loads(out)
    assert [f["resource"] for f in report["findings"] if f["rule_id"] == "OFS-HOST-001"] == ["aws_s3_bucket.b"]
    assert f"{tmp_path / 'broken.tf'}:2: not valid HCL" in err
    assert "Traceback" not in err


def test_allow_partial_judges_what_was_read(tmp_path: Path) -> None:
    (tmp_path / "good.tf").write_text('provider "aws" { region = "eu-west-2" }\n' + OFFSHORE)
    (tmp_path / "broken.tf").write_text("resource {\n")
    assert _scan(str(tmp_path), "--allow-partial")[0] == 0


def test_missing_path_is_reported_and_other_paths_still_scanned(tmp_path: Path) -> None:
    code, out, err = _scan(str(tmp_path / "nope"), str(DEMO), "--format", "json")
    assert code == 2
    assert "no such file or directory" in err
    assert json.loads(out)["findings"]


def test_plan_on_stdin_with_bad_json_is_a_gap() -> None:
    result = CliRunner().invoke(main, ["scan", "-"], input='{"planned_values": ')
    assert result.exit_code == 2
    # The text report lists the gap; it is not said a second time on stderr.
    assert "<stdin>" in result.stdout and "<stdin>" not in result.stderr
    assert "Traceback" not in result.output
    as_json = CliRunner().invoke(main, ["scan", "-", "--format", "json"], input='{"planned_values": ')
    assert "offshore-scan: error: <stdin>" in as_json.stderr


def test_a_missing_module_source_is_one_gap_however_many_instances_call_it(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'module "app" {\n  source = "./modules/app"\n  for_each = toset(["a", "b", "c"])\n}\n')
    (tmp_path / "modules" / "app").mkdir(parents=True)
    (tmp_path / "modules" / "app" / "main.tf").write_text(
        'module "db" {\n  source = "terraform-aws-modules/rds/aws"\n}\n')
    code, out, _ = _scan(str(tmp_path), "--format", "json")
    [gap] = json.loads(out)["coverage"]
    assert code == 2
    assert gap["kind"] == "skipped" and "and 2 more instance(s)" in gap["reason"]


def test_output_file_and_deterministic_json(tmp_path: Path) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    _scan(str(DEMO), "--format", "json", "--output", str(first))
    _scan(str(DEMO), "--format", "json", "--output", str(second))
    assert first.read_text() == second.read_text()
    report = json.loads(first.read_text())
    assert report["schema_version"] == 1
    assert report["tool"]["name"] == "offshore-scan"
    finding = report["findings"][0]
    assert set(finding) >= {
        "rule_id", "category", "outcome", "severity", "resource", "resource_type", "location", "target",
        "source", "message", "provenance", "questionnaire", "fingerprint",
    }
    assert set(finding["location"]) >= {"cloud", "region", "country", "uk"}
    assert set(report["inventory"]) == {"resources", "flows", "grants"}


def test_scope_all_and_config_file(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'provider "aws" { region = "us-east-1" }\nresource "aws_s3_bucket" "b" { tags = { App = "claims-api" } }\n'
    )
    assert _scan(str(tmp_path))[0] == 0
    assert _scan(str(tmp_path), "--scope", "all")[0] == 1
    (tmp_path / "offshore-scan.yaml").write_text("dwp:\n  tags:\n    app: ['^claims-']\n")
    assert _scan(str(tmp_path))[0] == 1


def test_bad_config_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(OFFSHORE)
    (tmp_path / "offshore-scan.yaml").write_text("dwp:\n  tag: {}\n")
    code, _, err = _scan(str(tmp_path))
    assert code == 2
    assert "unknown dwp key(s) tag" in err


def test_bad_var_is_a_clear_error() -> None:
    code, _, err = _scan(str(DEMO), "--var", "no-equals-sign")
    assert code == 2 and "is not NAME=VALUE" in err


def test_policies_lists_every_policy() -> None:
    result = CliRunner().invoke(main, ["policies"])
    assert result.exit_code == 0
    for rule in ("OFS-HOST-001", "OFS-REPL-001", "OFS-UNK-001"):
        assert rule in result.stdout


def test_help_does_not_import_cloud_sdks() -> None:
    # `--help` must stay fast: no boto3, no azure, not even the Terraform adapter.
    code = (
        "import sys; from click.testing import CliRunner; from scanner.cli import main; "
        "CliRunner().invoke(main, ['scan', '--help']); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore', 'azure', 'hcl2')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_fail_on_choices_are_the_configs() -> None:
    from scanner import cli, config

    assert cli.FAIL_ON_CHOICES == config.FAIL_ON_CHOICES


def test_help_loads_neither_the_model_nor_yaml() -> None:
    import subprocess
    import sys

    heavy = "('scanner.model', 'yaml', 'scanner.config', 'boto3', 'hcl2')"
    code = f"import sys\nfrom scanner.cli import main\nprint(sorted(m for m in {heavy} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.stdout.strip() == "[]", done.stderr
