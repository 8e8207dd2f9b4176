"""The README says what the tool does: its offline examples run, and what they show is what the tool prints.

Checked here: the demo's findings (the list in "Two commands", the finding in "What a finding looks like", every
fingerprint quoted), `offshore-scan policies` against the policy table, the formats each command's usage line
offers against the command's own choices, every `offshore-scan ...` example in a shell block parses (its options
exist and take that many values), the ones against the repository's fixtures run, and every environment variable
an option reads is in the README's table.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from scanner.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")

# The demo paragraph of "Two commands", phrase by phrase, and the finding each phrase is.
DEMO_FINDINGS = {
    "an S3 bucket replicated\nto `us-east-1`": ("OFS-REPL-001", "aws_s3_bucket.evidence"),
    "a DynamoDB replica in Ireland": ("OFS-REPL-001", "aws_dynamodb_table.claims"),
    "a Cosmos DB geo-location in North Europe": ("OFS-REPL-001", "azurerm_cosmosdb_account.cases"),
    "a GCS bucket in the `EU` multi-region": ("OFS-HOST-001", "google_storage_bucket.exports"),
    "a\nLambda sending traces to Datadog's EU site": ("OFS-DIAG-001", "aws_lambda_function.claims_api"),
    "a support role that an offshore account can assume": ("OFS-ACC-001", "aws_iam_role.support"),
    "a VPC peered to `us-east-1`": ("OFS-NET-001", "aws_vpc.claims"),
    "a Kubernetes workload exporting\ntraces to Honeycomb's US site": ("OFS-DIAG-001", "Deployment/claims/claims-web"),
    "the DR bucket": ("OFS-HOST-001", "aws_s3_bucket.evidence_dr"),
    "DR VPC themselves": ("OFS-HOST-001", "aws_vpc.dr"),
    "a module's audit-store\nbucket": ("OFS-HOST-001", "module.audit_store.aws_s3_bucket.store"),
    "no region guardrail in AWS": ("OFS-GRD-001", "aws estate"),
    "or Azure": ("OFS-GRD-001", "azure estate"),
    "a BigQuery dataset whose location\nvariable has no value": ("OFS-UNK-001", "google_bigquery_dataset.reporting"),
}


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env={"NO_COLOR": "1"})
    return result.exit_code, result.stdout


@pytest.fixture(autouse=True)
def _repository_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the README's paths are relative to the repository


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def _section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end]


def test_the_demo_finds_what_the_readme_lists() -> None:
    code, out = _run("scan", "fixtures/demo", "--format", "json")
    assert code == 1  # "The demo exits 1"
    found = {(f["rule_id"], f["resource"]) for f in json.loads(out)["findings"]}
    paragraph = _section("Two commands")
    for phrase in DEMO_FINDINGS:
        assert phrase in paragraph, f"README no longer says {phrase!r}: update DEMO_FINDINGS with it"
    assert found == set(DEMO_FINDINGS.values()), "the demo's findings and the README's list differ"


def test_the_finding_shown_is_the_demos_output() -> None:
    shown = re.search(r"## What a finding looks like\n\n```text\n(.*?)```", README, flags=re.S)
    assert shown is not None
    code, out = _run("scan", "fixtures/demo")
    assert code == 1
    assert shown.group(1) in out, "README's finding block is not what `offshore-scan scan fixtures/demo` prints"


def test_every_fingerprint_quoted_is_a_finding_of_the_demo() -> None:
    out = _run("scan", "fixtures/demo", "--format", "json")[1]
    fingerprints = {f["fingerprint"] for f in json.loads(out)["findings"]}
    quoted = set(re.findall(r"\b[0-9a-f]{16}\b", README))
    assert quoted and quoted <= fingerprints, sorted(quoted - fingerprints)


def test_the_policy_table_is_the_policies_command() -> None:
    code, out = _run("policies", "--format", "json")
    assert code == 0
    listed = {p["id"]: p["severity"] for p in json.loads(out)}
    table = dict(re.findall(r"^\| (OFS-[A-Z]+-\d{3}) \| [^|]+ \| [a-z]+ \((\w+)\)", _section("Policies"), flags=re.M))
    assert table == listed
    text = _run("policies")[1]
    assert all(rule in text for rule in listed)


def _command(name: str) -> click.Command:
    command = main.commands[name] if isinstance(main, click.Group) else None
    assert command is not None, name
    return command


def _format_choices(name: str) -> list[str]:
    option = next(p for p in _command(name).params if p.name in ("formats", "output_format"))
    assert isinstance(option.type, click.Choice)
    return list(option.type.choices)


def test_each_usage_line_offers_the_formats_its_command_accepts() -> None:
    usage = _blocks("text")
    lines = [line for block in usage for line in block.splitlines()]
    checked = set()
    command = None
    for line in lines:
        start = re.match(r"offshore-scan (\w+)", line)
        if start:
            command = start.group(1)
        formats = re.search(r"--format ([a-z|]+)", line)
        if command in main.commands and formats:  # type: ignore[attr-defined]
            assert formats.group(1).split("|") == _format_choices(command), line
            checked.add(command)
    assert checked >= {"scan", "aws", "azure", "merge", "evidence", "policies"}
    row = re.search(r"^\| `--format`, `-f` `([a-z\\|]+)`", README, flags=re.M)
    assert row is not None and row.group(1).split("\\|") == _format_choices("scan")


def _examples() -> list[list[str]]:
    """Every `offshore-scan ...` command in a shell block, as its words (up to a pipe or the next command)."""
    found = []
    for block in _blocks("sh"):
        for line in block.replace("\\\n", " ").splitlines():
            if "offshore-scan " not in line or line.lstrip().startswith("#"):
                continue
            words = shlex.split(line, comments=True)
            while "offshore-scan" in words:
                words = words[words.index("offshore-scan") + 1:]
                end = next((i for i, w in enumerate(words) if w in ("|", "||", "&&", ";", "&")), len(words))
                found.append(words[:end])
                words = words[end:]
    return found


def test_every_shell_example_parses() -> None:
    examples = _examples()
    assert len(examples) >= 8
    for words in examples:
        name, *args = words
        if name.startswith("-"):
            continue  # offshore-scan --version
        command = _command(name)
        # Option names, their number of values and choices are checked; files the example names need not exist.
        context = command.make_context(name, list(args), resilient_parsing=True)
        for param in command.params:
            if isinstance(param.type, click.Choice) and context.params.get(param.name) is not None:
                values = context.params[param.name]
                for value in values if isinstance(values, tuple) else (values,):
                    assert value in param.type.choices, (words, value)


def test_the_examples_against_the_repositorys_fixtures_run() -> None:
    ran = 0
    for words in _examples():
        name, *args = words
        paths = [a for a in args if not a.startswith("-")]
        writes = {"-o", "--output"} & set(args)  # never a report written into the repository
        if name != "scan" or writes or not paths or not all((ROOT / p).exists() for p in paths) or "." in paths:
            continue
        code, _ = _run(name, *args)
        assert code in (0, 1), words
        ran += 1
    assert ran >= 1


def test_every_help_example_parses() -> None:
    """The examples in each command's --help (its epilog) are command lines the command accepts."""
    checked = 0
    for name, command in main.commands.items():  # type: ignore[attr-defined]
        for line in (command.epilog or "").splitlines():
            words = line.strip().split("   ")[0].split(" (")[0].split()
            if words[:2] != ["offshore-scan", name] or "|" in words:
                continue
            command.make_context(name, words[2:], resilient_parsing=True)
            checked += 1
    assert checked >= 10


def test_every_environment_variable_an_option_reads_is_documented() -> None:
    table = set(re.findall(r"^\| `(OFFSHORE_SCAN_[A-Z_]+)` \|", README, flags=re.M))
    read = {envvar for command in main.commands.values()  # type: ignore[attr-defined]
            for param in command.params if isinstance(param, click.Option) and param.envvar
            for envvar in ([param.envvar] if isinstance(param.envvar, str) else param.envvar)
            if envvar.startswith("OFFSHORE_SCAN_")}
    assert read and read == table, (sorted(read - table), sorted(table - read))


def test_the_checkov_and_trivy_table_names_real_options() -> None:
    rows = re.findall(r"^\| `(-[^` ]+)[^|]*\| [^|]+\| [^|]+\|$", _section("Usage"), flags=re.M)
    options = {opt for param in _command("scan").params for opt in getattr(param, "opts", [])}
    assert {"--check", "--skip-check", "--severity", "--soft-fail", "--skip-path", "-f", "--compact", "-q"} <= set(rows)
    assert set(rows) <= options, sorted(set(rows) - options)
