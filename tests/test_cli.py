"""The command line as a user meets it: exit codes, errors without tracebacks, output files, help."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
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


# The command line as Checkov and Trivy users expect it, and plain answers to plain mistakes.

def _invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def test_colour_follows_no_color_force_color_and_the_flag() -> None:
    forced = {"FORCE_COLOR": "1", "NO_COLOR": ""}
    code, out, _ = _invoke("scan", str(DEMO), env=forced)
    assert code == 1 and "\x1b[" in out
    # Critical is louder than high: a red background, not only red letters.
    assert "\x1b[37m\x1b[41m\x1b[1mFAIL critical" in out and "\x1b[31m\x1b[1mFAIL high" in out
    assert "\x1b[" not in _invoke("scan", str(DEMO), env={"FORCE_COLOR": "1", "NO_COLOR": "1"})[1]
    assert "\x1b[" not in _invoke("scan", str(DEMO), "--no-color", env=forced)[1]
    assert "\x1b[" not in _invoke("scan", str(DEMO), env={"FORCE_COLOR": "", "NO_COLOR": ""})[1]  # not a terminal


def test_text_report_wraps_with_hanging_indents_and_says_each_fix_once() -> None:
    out = _invoke("scan", str(DEMO), "--no-color")[1]
    lines = out.splitlines()
    long_words = [line for line in lines[:-1] if len(line) > 100 and " " in line.strip()]
    assert long_words == [] or all(len(max(line.split(), key=len)) > 80 for line in long_words)
    fixes = [line.strip() for line in lines if line.strip().startswith("fix:")]
    rules = {line.split()[2] for line in lines if line.strip().startswith(("FAIL", "UNKNOWN"))}
    assert len([f for f in fixes if "as above" not in f]) == len(rules)
    assert "fix:      as above (OFS-HOST-001)" in out
    # Continuation lines hang under their field.
    how = next(i for i, line in enumerate(lines) if "how:      destination aws_s3_bucket.evidence_dr" in line)
    assert lines[how + 1].startswith(" " * 16) and not lines[how + 1].startswith(" " * 17)
    compact = _invoke("scan", str(DEMO), "--compact")[1]
    assert "fix:" not in compact and "fingerprint:" in compact


def test_quiet_prints_the_summary_line_only(tmp_path: Path) -> None:
    code, out, err = _invoke("scan", str(DEMO), "-q")
    assert code == 1 and err == ""
    assert out.splitlines() == [out.strip()] and out.startswith("Summary: 13 fail")
    (tmp_path / "broken.tf").write_text("resource {\n")
    code, out, err = _invoke("scan", str(DEMO), str(tmp_path), "-q")
    assert code == 2 and out.startswith("Summary: 13 fail") and "scan incomplete" in out
    assert "broken.tf" in err  # the gaps, on stderr


def test_an_output_file_leaves_a_terminal_a_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import click.testing

    monkeypatch.setattr(click.testing._NamedTextIOWrapper, "isatty", lambda self: True, raising=False)
    result = CliRunner().invoke(main, ["scan", str(DEMO), "-o", str(tmp_path / "r.txt")])
    assert result.exit_code == 1
    assert "Summary: 13 fail" in result.stderr and (tmp_path / "r.txt").read_text().startswith("offshore-scan ")


def test_check_skip_check_and_severity_filter_with_notes() -> None:
    code, out, _ = _invoke("scan", str(DEMO), "-f", "json", "--check", "OFS-REPL-001,OFS-HOST-001",
                           "--skip-check", "OFS-HOST-001")
    report = json.loads(out)
    assert {f["rule_id"] for f in report["findings"]} == {"OFS-REPL-001"}
    assert any("left out" in g["reason"] and "OFS-HOST-001" in g["reason"] for g in report["coverage"])
    code, out, _ = _invoke("scan", str(DEMO), "-f", "json", "--severity", "critical", "--severity", "low")
    assert {f["severity"] for f in json.loads(out)["findings"]} == {"critical", "low"}
    assert code == 1  # the critical ones are over --fail-on high
    code, _, _ = _invoke("scan", str(DEMO), "--severity", "low")
    assert code == 0  # judged on what is reported, as Trivy does
    code, _, err = _invoke("scan", str(DEMO), "--check", "OFS-NOPE-*")
    assert code == 64 and "names no rule" in err


def test_soft_fail_exits_0_on_findings_but_never_hides_an_incomplete_scan(tmp_path: Path) -> None:
    assert _invoke("scan", str(DEMO), "--soft-fail")[0] == 0
    (tmp_path / "broken.tf").write_text("resource {\n")
    assert _invoke("scan", str(tmp_path), str(DEMO), "--soft-fail")[0] == 2
    assert _invoke("scan", str(tmp_path), str(DEMO), "--soft-fail", "--allow-partial")[0] == 0


def test_skip_path_is_relative_to_the_scanned_root_and_listed(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('provider "aws" { region = "eu-west-2" }\n' + OFFSHORE)
    (tmp_path / "examples" / "broken").mkdir(parents=True)
    (tmp_path / "examples" / "broken" / "main.tf").write_text("resource {\n")
    (tmp_path / "legacy.tf").write_text("resource {\n")
    assert _invoke("scan", str(tmp_path))[0] == 2
    code, out, _ = _invoke("scan", str(tmp_path), "--skip-path", "examples", "--skip-path", "legacy.tf",
                           "-f", "json")
    assert code == 0
    notes = {g["path"]: g["reason"] for g in json.loads(out)["coverage"]}
    assert "skipped by --skip-path 'examples'" in notes[str(tmp_path / "examples")]
    assert "legacy.tf" in notes[str(tmp_path / "legacy.tf")]
    (tmp_path / "offshore-scan.yaml").write_text("skip_path: ['examples/*', legacy.tf]\n")
    assert _invoke("scan", str(tmp_path))[0] == 0


def test_several_format_output_pairs_in_one_run(tmp_path: Path) -> None:
    sarif, as_json = tmp_path / "a.sarif", tmp_path / "a.json"
    code, out, _ = _invoke("scan", str(DEMO), "--format", "sarif", "--output", str(sarif), "-f", "json",
                           "-o", str(as_json))
    assert code == 1 and out == ""
    assert json.loads(sarif.read_text())["version"] == "2.1.0" and json.loads(as_json.read_text())["findings"]
    code, _, err = _invoke("scan", str(DEMO), "--format", "sarif", "--format", "json", "-o", str(sarif))
    assert code == 64 and "each --format its own --output" in err


def test_options_from_the_environment(tmp_path: Path) -> None:
    code, out, _ = _invoke("scan", str(DEMO), env={"OFFSHORE_SCAN_FORMAT": "json", "OFFSHORE_SCAN_FAIL_ON": "never"})
    assert code == 0 and json.loads(out)["findings"]
    assert _invoke("scan", str(DEMO), "--fail-on", "high", env={"OFFSHORE_SCAN_FAIL_ON": "never"})[0] == 1
    assert _invoke("scan", str(DEMO), env={"OFFSHORE_SCAN_SOFT_FAIL": "1"})[0] == 0
    # An empty variable (the GitLab template's defaults) is no value.
    assert _invoke("scan", str(DEMO), env={"OFFSHORE_SCAN_CONFIG": "", "OFFSHORE_SCAN_FAIL_ON": ""})[0] == 1
    help_text = _invoke("scan", "--help")[1]
    for name in ("FAIL_ON", "FORMAT", "OUTPUT", "CONFIG", "SCOPE", "WAIVERS", "BASELINE", "ALLOW_PARTIAL",
                 "SEVERITY", "CHECK", "SKIP_CHECK", "SOFT_FAIL", "SKIP_PATH", "CLUSTER_REGION"):
        assert f"OFFSHORE_SCAN_{name}" in help_text, name


def test_plain_mistakes_get_plain_answers(tmp_path: Path) -> None:
    code, out, err = _invoke("scan", str(tmp_path / "nope"))
    assert code == 2 and out == "" and err.strip().count("\n") == 0 and "no such file or directory" in err
    code, _, err = _invoke("scan", str(DEMO), "-o", "sarif")
    assert code == 64 and "did you mean --format sarif?" in err
    code, _, err = _invoke("scan", "")
    assert code == 64 and "PATH is empty" in err
    assert _invoke("scan", str(DEMO), "--fail-on", "sometimes")[0] == 64  # click's usage errors, EX_USAGE
    assert _invoke("nonsense")[0] == 64
    once = json.loads(_invoke("scan", str(DEMO), "-f", "json")[1])
    twice = json.loads(_invoke("scan", str(DEMO), f"{DEMO}/", "-f", "json")[1])
    assert twice == once


def test_help_defaults_speak_of_their_command() -> None:
    for command in ("aws", "azure"):
        text = _invoke(command, "--help")[1]
        assert "scanned directory" not in text and "in the current directory" in text
        assert "64" in text
    scan_help = _invoke("scan", "--help")[1]
    assert "first scanned directory" in scan_help and "for aws" not in scan_help


def test_choices_are_read_in_any_case_as_checkov_and_trivy_users_type_them() -> None:
    from click.testing import CliRunner

    from scanner.cli import main

    demo = str(Path(__file__).resolve().parent.parent / "fixtures" / "demo")
    result = CliRunner().invoke(main, ["scan", demo, "--fail-on", "HIGH", "-f", "JSON", "--scope", "ALL"])
    assert result.exit_code == 1 and result.stdout.lstrip().startswith("{")
