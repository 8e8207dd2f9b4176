"""What the blind CLI test left after the first round: a skipped .tf file is said and leaves no second root, filters
that hide findings say so, --skip-path that skips nothing, empty filter values, baseline and decoding errors in
words, a directory holding only a state, Azure's coverage heading, undecodable file names, and options read from
the environment named as their variables."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from scanner.cli import main

DEMO = Path(__file__).resolve().parent.parent / "fixtures" / "demo"


def _run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def _findings(path: Path) -> list[dict]:
    return json.loads(path.read_text())["findings"]


def _flat(text: str) -> str:
    """The text report with its wrapping undone."""
    return " ".join(text.split())


def test_a_skipped_tf_file_is_a_note_and_the_module_it_called_is_no_second_root(tmp_path: Path) -> None:
    infra = tmp_path / "infra"
    shutil.copytree(DEMO, infra)
    for given in (str(infra / "storage.tf"), str(infra)):
        out = tmp_path / "r.json"
        code, _, err = _run("scan", given, "--skip-path", "storage.tf", "-f", "json", "-o", str(out))
        assert code == 1, err
        assert f"{infra / 'storage.tf'}: not read: skipped by --skip-path 'storage.tf'" in err
        assert "modules/regional-store: module not read: it is called only from" in err
        # No root prefix: the module the skipped file called is not scanned as a configuration of its own.
        ids = [f["resource"] for f in _findings(out)]
        assert ids and not any(":" in i.split(".")[0] for i in ids), ids
    # The directory and a .tf file of it given together: each skipped file is one note.
    code, _, err = _run("scan", str(infra / "storage.tf"), str(infra), "--skip-path", "storage.tf", "-q")
    assert err.count("not read: skipped by --skip-path") == 1


def test_a_skip_path_that_matches_nothing_is_a_note(tmp_path: Path) -> None:
    code, _, err = _run("scan", str(DEMO), "--skip-path", "demo/k8s/*", "--skip-path", "k8s/*", "-q")
    assert code == 1
    assert "--skip-path 'demo/k8s/*': skips nothing" in err and "relative to each scanned directory" in err
    assert "--skip-path 'k8s/*': skips nothing" not in err


@pytest.mark.parametrize(("args", "env", "named"), [
    (["--check", ""], {}, "--check"), (["--check", ","], {}, "--check"), (["--severity", ""], {}, "--severity"),
    (["--skip-check", " "], {}, "--skip-check"), (["--skip-path", ""], {}, "--skip-path"),
])
def test_an_empty_filter_is_a_usage_error_not_every_rule(args: list[str], env: dict[str, str], named: str) -> None:
    code, out, err = _run("scan", str(DEMO), *args, env=env)
    assert code == 64 and out == ""
    assert err.startswith(f"offshore-scan: error: {named} is empty (an unset variable?)") and len(err.splitlines()) == 1


def test_filters_that_hide_every_finding_say_so_never_no_offshoring_found() -> None:
    code, out, _ = _run("scan", str(DEMO), "--check", "OFS-REPL-001", "--skip-check", "OFS-REPL-001")
    out = _flat(out)
    assert code == 0
    assert "No offshoring found" not in out
    assert "14 finding(s) hidden by the filters (--check OFS-REPL-001; --skip-check OFS-REPL-001)" in out
    assert "Summary: 0 fail, 0 unknown, 14 hidden by --check OFS-REPL-001; --skip-check OFS-REPL-001 (--fail-on" in out
    code, out, _ = _run("scan", str(DEMO), "--severity", "low", "-q")
    assert "12 hidden by --severity low" in out
    # Nothing hidden: nothing said.
    code, out, _ = _run("scan", str(DEMO), "-q")
    assert "hidden" not in out


def test_options_from_the_environment_are_named_as_their_variables() -> None:
    code, _, err = _run("scan", str(DEMO), env={"OFFSHORE_SCAN_CHECK": "OFS-NOPE-001"})
    assert code == 64 and err.startswith("offshore-scan: error: OFFSHORE_SCAN_CHECK: 'OFS-NOPE-001' names no rule")
    code, _, err = _run("scan", str(DEMO), env={"OFFSHORE_SCAN_SEVERITY": "info"})
    assert code == 64 and "OFFSHORE_SCAN_SEVERITY: info is no severity" in err
    code, _, err = _run("scan", str(DEMO), env={"OFFSHORE_SCAN_FORMAT": "json sarif"})
    assert code == 64 and "OFFSHORE_SCAN_FORMAT given 2 time(s) and --output 0 time(s)" in err
    code, out, err = _run("scan", str(DEMO), "-q", env={"OFFSHORE_SCAN_CHECK": "OFS-HOST-001"})
    assert code == 1 and "hidden by OFFSHORE_SCAN_CHECK OFS-HOST-001" in out
    assert "OFFSHORE_SCAN_CHECK: findings of rules left out" in err
    # The flag typed on the command line is still named as the flag.
    code, _, err = _run("scan", str(DEMO), "--check", "OFS-NOPE-001", env={"OFFSHORE_SCAN_CHECK": "OFS-HOST-001"})
    assert code == 64 and "error: --check: 'OFS-NOPE-001'" in err


@pytest.mark.parametrize(("content", "said"), [
    ("", "baseline.json:1: not JSON (Expecting value at line 1, column 1)"),
    ('{"version": 1}', 'the document has no "findings" list'),
    ("[1, 2]", "the document is a JSON array"),
    ('{"findings": [{"rule_id": "OFS-HOST-001"}]}', 'finding 1 of "findings" has no "fingerprint"'),
])
def test_baseline_errors_say_what_is_wrong_never_a_python_exception(tmp_path: Path, content: str, said: str) -> None:
    baseline = tmp_path / "baseline.json"
    baseline.write_text(content)
    code, _, err = _run("scan", str(DEMO), "--baseline", str(baseline))
    assert code == 2 and said in err and len(err.splitlines()) == 1
    assert "Error" not in err and "KeyError" not in err and "(JSON" not in err


def test_files_that_are_not_utf8_say_the_byte_offset_and_line(tmp_path: Path) -> None:
    (tmp_path / "latin1.tf").write_bytes(b'resource "aws_s3_bucket" "b" {\n  bucket = "caf\xe9"\n}\n')
    (tmp_path / "cm.yaml").write_bytes(b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf\xe9\n")
    (tmp_path / "terraform.tfvars").write_bytes(b'region = "caf\xe9"\n')
    code, out, _ = _run("scan", str(tmp_path), "--no-cache")
    out = _flat(out)
    assert code == 2
    assert f"{tmp_path / 'latin1.tf'}:2: cannot read file: not UTF-8 text: byte 0xe9 at offset 46" in out
    assert f"{tmp_path / 'cm.yaml'}:4: cannot read file: not UTF-8 text: byte 0xe9 at offset 52" in out
    assert "cannot read variables file: not UTF-8 text: byte 0xe9 at offset 13" in out
    assert "codec" not in out


def test_a_directory_holding_only_a_state_says_to_pass_the_state(tmp_path: Path) -> None:
    (tmp_path / "terraform.tfstate").write_text('{"version": 4, "resources": []}')
    code, out, _ = _run("scan", str(tmp_path))
    out = _flat(out)
    assert code == 2
    assert "found terraform.tfstate: a state in a directory is not read on its own, pass it as a PATH" in out
    assert str(tmp_path / "terraform.tfstate") in out


def test_azure_coverage_is_headed_by_subscription_and_aws_by_account() -> None:
    from scanner.model import Inventory, ScopeCoverage, ScopeStatus
    from scanner.reporters.interface import ScanReport
    from scanner.reporters.text import TextReporter

    def heading(service: str) -> str:
        scope = ScopeCoverage("00000000-0000-0000-0000-000000000000", "uksouth", service, ScopeStatus.SCANNED, 1)
        text = TextReporter().render(ScanReport((), Inventory(scopes=(scope,)), "0", "high"))
        return next(line for line in text.splitlines() if line.startswith("Live coverage"))

    assert heading("Microsoft.Storage").startswith("Live coverage (subscription/region:")
    assert heading("s3").startswith("Live coverage (account/region:")


@pytest.mark.skipif(sys.platform == "win32" or os.fsencode("\udce9") != b"\xe9",
                    reason="needs a POSIX file system that takes any bytes in a name")
def test_undecodable_file_names_are_shown_as_their_bytes_in_every_format(tmp_path: Path) -> None:
    infra = tmp_path / "nn"
    infra.mkdir()
    try:
        (infra / os.fsdecode(b"st\xe9rage.tf")).write_text(
            'resource "aws_s3_bucket" "b" {\n  bucket = "b"\n  tags = { DataClassification = "OFFICIAL" }\n}\n'
            'provider "aws" { region = "us-east-1" }\n')
    except (OSError, UnicodeEncodeError):
        pytest.skip("the file system refuses the name")
    as_json = tmp_path / "r.json"
    code, out, _ = _run("scan", str(infra), "-f", "text", "-o", "-", "-f", "json", "-o", str(as_json))
    assert code == 1
    assert "st\\xe9rage.tf" in out and "\\udce9" not in out
    assert _findings(as_json)[0]["source"]["path"].endswith("st\\xe9rage.tf")


def test_the_json_report_says_how_many_findings_its_filters_hid() -> None:
    import jsonschema

    schema = json.loads((Path(__file__).parent.parent / "scanner" / "reporters" / "report.schema.json").read_text())
    _, out, _ = _run("scan", str(DEMO), "--severity", "low", "--format", "json")
    document = json.loads(out)
    jsonschema.validate(document, schema)
    assert document["filtered"] == {"count": 12, "by": ["--severity low"]}
    # Nothing hidden: the member is absent, so unfiltered reports keep their shape.
    assert "filtered" not in json.loads(_run("scan", str(DEMO), "--format", "json")[1])


def test_the_summary_says_allow_partial_where_it_let_an_incomplete_scan_through(tmp_path: Path) -> None:
    (tmp_path / "broken.tf").write_text('resource "aws_s3_bucket" "b" {\n', encoding="utf-8")
    code, out, _ = _run("scan", str(tmp_path), "--allow-partial", "-q")
    assert code == 0 and "scan incomplete (--fail-on high, --allow-partial)" in _flat(out), out
    code, out, _ = _run("scan", str(tmp_path), "-q")
    assert code == 2 and "--allow-partial" not in out
    # Nothing incomplete: the flag changed nothing, and nothing is said.
    code, out, _ = _run("scan", str(DEMO), "--allow-partial", "-q")
    assert "--allow-partial" not in out
