"""The command line's contract where users met it broken: environment paths with spaces, config errors against
usage errors, conflicting live flags, credentials, stdin that is not UTF-8, the summary's width, ``-o -``, an
undeclared ``--var``, the guardrail finding's fingerprint, and ``evidence``'s options and help."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from scanner.cli import main

DEMO = Path(__file__).resolve().parent.parent / "fixtures" / "demo"
GUID = "00000000-0000-0000-0000-000000000000"


def _run(*args: str, env: dict[str, str] | None = None, stdin: bytes | str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env=env, input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_environment_paths_keep_their_spaces_and_split_on_pathsep(tmp_path: Path) -> None:
    report = tmp_path / "my reports" / "offshore scan.json"
    report.parent.mkdir()
    code, out, _ = _run("scan", str(DEMO), env={"OFFSHORE_SCAN_FORMAT": "json", "OFFSHORE_SCAN_OUTPUT": str(report)})
    assert code == 1 and out == "" and json.loads(report.read_text())["findings"]
    # Several reports from the environment: formats by spaces, paths by os.pathsep.
    sarif, as_json = tmp_path / "a b.sarif", tmp_path / "a b.json"
    code, _, _ = _run("scan", str(DEMO), env={"OFFSHORE_SCAN_FORMAT": "sarif json",
                                              "OFFSHORE_SCAN_OUTPUT": f"{sarif}:{as_json}"})
    assert code == 1 and json.loads(sarif.read_text())["runs"] and json.loads(as_json.read_text())["findings"]
    # --skip-path globs likewise: a space is part of the glob.
    (tmp_path / "estate" / "old stuff").mkdir(parents=True)
    (tmp_path / "estate" / "main.tf").write_text('provider "aws" { region = "eu-west-2" }\n')
    (tmp_path / "estate" / "old stuff" / "k.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
    code, _, err = _run("scan", str(tmp_path / "estate"), "-q", env={"OFFSHORE_SCAN_SKIP_PATH": "old stuff:x/*"})
    assert "skipped by --skip-path 'old stuff'" in err


def test_a_config_value_naming_no_rule_is_an_invalid_config_and_the_flag_a_usage_error(tmp_path: Path) -> None:
    for key in ("check", "skip_check"):
        config = tmp_path / f"{key}.yaml"
        config.write_text(f"{key}: [OFS-NOPE-001]\n")
        code, _, err = _run("scan", str(DEMO), "--config", str(config))
        assert code == 2, err  # as every other invalid config value (severity, fail_on, an unknown key)
        assert err.count("\n") == 1 and "Usage:" not in err and f"{key}: 'OFS-NOPE-001' names no rule" in err
    code, _, err = _run("scan", str(DEMO), "--check", "OFS-NOPE-001")
    assert code == 64 and err.count("\n") == 1 and "--check: 'OFS-NOPE-001' names no rule" in err


@pytest.mark.parametrize("args, first, second", [
    (["aws", "--region", "eu-west-2", "--all-regions"], "--region", "--all-regions"),
    (["aws", "--org"], "--org", "--role-name"),
    (["aws", "--org", "--role-name", "R", "--account-file", __file__], "--org", "--account-file"),
    (["aws", "--shard", "1/2"], "--shard", "--org"),
    (["aws", "--role-name", "R"], "--role-name", "--account"),
    (["azure", "--subscription", GUID, "--all-subscriptions"], "--subscription", "--all-subscriptions"),
    (["azure", "--subscription", GUID, "--management-group", "m"], "--subscription", "--management-group"),
    (["azure", "--all-subscriptions", "--management-group", "m"], "--all-subscriptions", "--management-group"),
])
def test_conflicting_live_flags_are_usage_errors_naming_both(args: list[str], first: str, second: str) -> None:
    code, out, err = _run(*args)
    assert code == 64 and out == ""
    assert err.count("\n") == 1 and first in err and second in err and "Usage:" not in err


def test_azure_without_credentials_is_one_line_saying_how_to_sign_in() -> None:
    from providers.azure.calls import no_credentials

    chained = ("DefaultAzureCredential failed to retrieve a token from the included credentials.\n"
               "Attempted credentials:\n\tEnvironmentCredential: EnvironmentCredential authentication unavailable.\n"
               "\tManagedIdentityCredential: ManagedIdentityCredential authentication unavailable.\n"
               "\tAzureCliCredential: Azure CLI not found on path\nTo mitigate this issue, please refer to ...")
    said = no_credentials(chained)
    assert "\n" not in said and "az login" in said and "AZURE_CLIENT_ID" in said
    assert "AZURE_* environment variables, managed identity, Azure CLI" in said


def test_azure_identity_logs_nothing_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    from providers.azure.options import AzureOptions
    from providers.azure.session import credential

    credential(AzureOptions())
    logger = logging.getLogger("azure.identity")
    assert not logger.propagate and any(isinstance(h, logging.NullHandler) for h in logger.handlers)


def test_stdin_that_is_not_utf8_names_stdin_and_the_byte_offset() -> None:
    manifest = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf\xe9\n"
    code, out, err = _run("scan", "-", "--format", "json", stdin=manifest)
    assert code == 2 and "Traceback" not in err and "please report it" not in err + out
    assert "<stdin>: standard input is neither UTF-8 nor UTF-16 text: byte 0xe9 at offset 52" in err
    code, _, err = _run("scan", "-", "--format", "json", stdin=b'{"planned_values": {"x": "\xff"}}')
    assert code == 2 and "byte 0xff at offset 26" in err


def test_the_summary_line_wraps_to_the_terminal_like_the_rest(monkeypatch: pytest.MonkeyPatch,
                                                                tmp_path: Path) -> None:
    import scanner.cli

    monkeypatch.setattr(scanner.cli, "_width", lambda stream=None: 40)
    code, out, _ = _run("scan", str(DEMO), "--skip-check", "OFS-GRD-001", "--soft-fail")
    summary = out[out.index("Summary:"):].splitlines()
    assert code == 0 and len(summary) > 1 and all(len(line) <= 40 for line in summary)
    assert all(line.startswith(" " * 9) for line in summary[1:])
    _, quiet, _ = _run("scan", str(DEMO), "--skip-check", "OFS-GRD-001", "--soft-fail", "-q")
    assert quiet.startswith("Summary:") and quiet.splitlines() == summary


def test_dash_output_is_standard_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = _run("scan", str(DEMO), "-f", "json", "-o", "-")
    assert code == 1 and json.loads(out)["findings"] and not (tmp_path / "-").exists()
    code, out, _ = _run("scan", str(DEMO), "-f", "sarif", "-o", "a.sarif", "-f", "json", "-o", "-")
    assert code == 1 and json.loads(out)["findings"] and (tmp_path / "a.sarif").is_file()
    assert _run("scan", str(DEMO), "-f", "sarif", "-o", "-", "-f", "json", "-o", "-")[0] == 64
    (tmp_path / "r.json").write_text(out)
    code, pack, _ = _run("evidence", "r.json", "-f", "html", "-o", "-")
    assert code == 1 and pack.startswith("<!DOCTYPE html>") and not (tmp_path / "-").exists()


def test_a_var_no_module_declares_is_a_warning_naming_it() -> None:
    code, out, err = _run("scan", str(DEMO), "--var", "dr_regoin=eu-west-2")
    assert code == 1
    assert "offshore-scan: warning: --var dr_regoin: no root module" in err and "declares variable 'dr_regoin'" in err
    assert "--var dr_regoin" in out  # and a note in the report
    code, _, err = _run("scan", str(DEMO), "--var", "dr_region=eu-west-2")
    assert "warning" not in err


def test_the_guardrail_finding_is_told_apart_by_account() -> None:
    from helpers import scan_directory

    from scanner.engine import evaluate

    inventory, findings = scan_directory(DEMO)

    def in_account(account: str) -> dict[str, str]:
        moved = replace(inventory, resources=tuple(replace(r, account=account) for r in inventory.resources))
        return {f"{f.rule_id} {f.resource.id} {f.judged}": f.fingerprint for f in evaluate(moved)}

    one, other = in_account("111122223333"), in_account("444455556666")
    guardrails = [key for key in one if key.startswith("OFS-GRD-001")]
    assert guardrails and not set(one.values()) & {other[k] for k in other if k.startswith("OFS-GRD-001")}
    # Every other rule's fingerprint is what it was.
    before = {f.fingerprint for f in findings if f.rule_id != "OFS-GRD-001"}
    assert {v for k, v in one.items() if not k.startswith("OFS-GRD-001")} == before


def test_evidence_takes_f_and_documents_scans_exit_codes() -> None:
    code, out, _ = _run("evidence", "--help")
    assert code == 0 and "--format, -f" in out.replace("-f, --format", "--format, -f")
    for line in ("0   nothing at or above --fail-on", "1   findings at or above --fail-on",
                 "2   the scan is incomplete", "64  the command line is wrong"):
        assert line in out
    _, scan_help, _ = _run("scan", "--help")
    assert "64  the command line is wrong" in scan_help
    assert _run("evidence", __file__, "-o", "html")[0] == 64  # -o html is a slip for --format html


@pytest.mark.parametrize("shard", ["1-of-2", "2/2", "0/0", "auto/3"])
def test_a_malformed_shard_is_a_usage_error_naming_it(shard: str) -> None:
    from providers.aws.options import SHARD_INDEX_VARIABLES

    code, out, err = _run("aws", "--account", "111122223333", "--role-name", "R", "--shard", shard,
                          env={name: "" for name, _, _ in SHARD_INDEX_VARIABLES})
    assert code == 64 and out == "", err  # as any other flag's bad value; exit 2 is an incomplete scan
    assert err.count("\n") == 1 and f"--shard {shard}" in err and "Traceback" not in err


def test_an_empty_arm_endpoint_is_a_usage_error_never_azure_itself() -> None:
    code, out, err = _run("azure", "--arm-endpoint", "")
    assert code == 64 and out == "" and err.count("\n") == 1 and "--arm-endpoint is empty" in err
