"""Bad input gets a clear error and loses nothing: every fixture file, cut short at many points, is either
read or reported as a coverage gap; no reader raises anything else and the CLI never shows a traceback."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from providers.kubernetes.manifests import read_manifests
from providers.terraform.hcl_syntax import HclSyntaxError, parse_hcl
from providers.terraform.plan_loader import PlanError, load_plan, parse_plan
from scanner.cli import main

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
FILES = sorted(p for p in FIXTURES.rglob("*") if p.suffix in (".tf", ".yaml", ".json") and p.name != "expected.yaml")


def _cuts(text: str) -> list[str]:
    # Deterministic truncations spread through the file, plus a few classic corruptions.
    points = sorted({len(text) * k // 9 for k in range(1, 9)})
    return [text[:p] for p in points] + [text.replace("}", "", 1), text.replace('"', "", 1), text + "\n{"]


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(FIXTURES)) for p in FILES])
def test_truncated_inputs_are_read_or_refused_cleanly(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for cut in _cuts(text):
        if path.suffix == ".tf":
            try:
                parse_hcl(cut, str(path))
            except HclSyntaxError as error:
                assert str(error).startswith("not valid HCL") or "nested" in str(error)
        elif path.suffix == ".yaml":
            _manifests, gaps = read_manifests(cut, str(path))
            assert all(g.line is None or g.line >= 1 for g in gaps)
        else:
            with contextlib.suppress(PlanError):
                load_plan(parse_plan(cut, str(path)), str(path))


def test_the_cli_never_shows_a_traceback(tmp_path: Path) -> None:
    # A tree of broken copies of real inputs: exit 2, every problem reported, no exception escapes.
    for index, path in enumerate(FILES[:60]):
        text = path.read_text(encoding="utf-8")
        (tmp_path / f"broken{index}{path.suffix}").write_text(text[: len(text) // 2], encoding="utf-8")
    result = CliRunner().invoke(main, ["scan", str(tmp_path), "--format", "json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    report = json.loads(result.stdout)
    assert report["coverage"]


def test_a_fifo_named_like_an_input_is_never_opened(tmp_path: Path) -> None:
    import os

    os.mkfifo(tmp_path / "x.tf")
    os.mkfifo(tmp_path / "y.yaml")
    (tmp_path / "main.tf").write_text('provider "aws" {\n  region = "eu-west-2"\n}\n')
    result = CliRunner().invoke(main, ["scan", str(tmp_path), "--format", "json"])
    assert result.exit_code == 2
    assert result.stdout.count("not a regular file") == 2


def test_an_attribute_defined_twice_is_refused_as_terraform_does(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('provider "aws" {\n  region = "eu-west-2"\n  region = "us-east-1"\n}\n')
    result = CliRunner().invoke(main, ["scan", str(tmp_path), "--format", "json"])
    assert result.exit_code == 2
    assert "'region' is defined twice" in result.stdout


def test_a_module_that_calls_itself_is_a_gap_and_its_resources_are_still_judged(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'provider "aws" {\n  region = "us-east-1"\n}\nmodule "me" {\n  source = "./"\n}\n'
        'resource "aws_s3_bucket" "b" {\n  bucket = "b"\n  tags = { Classification = "OFFICIAL" }\n}\n')
    result = CliRunner().invoke(main, ["scan", str(tmp_path), "--format", "json"])
    report = json.loads(result.stdout)
    assert result.exit_code == 2
    assert any(f["rule_id"] == "OFS-HOST-001" and f["resource"] == "aws_s3_bucket.b" for f in report["findings"])
    assert any("module cycle" in g["reason"] for g in report["coverage"])


def test_modules_that_only_call_each_other_are_scanned_not_dropped(tmp_path: Path) -> None:
    for name, other in (("a", "b"), ("b", "a")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "main.tf").write_text(
            f'module "{other}" {{\n  source = "../{other}"\n}}\n'
            f'resource "aws_sqs_queue" "{name}" {{\n  name = "{name}"\n  region = "us-east-1"\n'
            '  tags = { Classification = "OFFICIAL" }\n}\n')
    result = CliRunner().invoke(main, ["scan", str(tmp_path), "--format", "json"])
    report = json.loads(result.stdout)
    assert result.exit_code == 2
    hosted = {f["resource"] for f in report["findings"] if f["rule_id"] == "OFS-HOST-001"}
    assert {"aws_sqs_queue.a", "module.b.aws_sqs_queue.b"} <= hosted


def test_an_unlistable_directory_is_a_gap_not_silence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    (tmp_path / "main.tf").write_text('provider "aws" {\n  region = "eu-west-2"\n}\n')
    (tmp_path / "locked").mkdir()
    real_scandir = os.scandir

    def scandir(path: str | os.PathLike[str] = ".") -> object:
        # Root can read any directory, so the permission error is simulated where os.walk lists.
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = CliRunner().invoke(main, ["scan", str(tmp_path), "--format", "json"])
    assert result.exit_code == 2
    assert "cannot read directory: Permission denied" in result.stdout


def test_utf16_manifests_and_symlink_loops_are_read_or_reported(tmp_path: Path) -> None:
    import os

    manifest = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: claims\n"
                "  labels:\n    dwp.gov.uk/classification: OFFICIAL\nspec:\n  template:\n    spec:\n"
                "      nodeSelector:\n        topology.kubernetes.io/region: us-east-1\n"
                "      containers:\n        - name: api\n          image: nginx\n")
    (tmp_path / "u16.yaml").write_bytes(manifest.encode("utf-16"))
    os.symlink(tmp_path / "b.yaml", tmp_path / "a.yaml")
    os.symlink(tmp_path / "a.yaml", tmp_path / "b.yaml")
    result = CliRunner().invoke(main, ["scan", str(tmp_path), "--format", "json"])
    report = json.loads(result.stdout)
    assert result.exit_code == 2
    assert any(f["resource"] == "Deployment/claims/api" for f in report["findings"])
    assert sum("symbolic links" in g["reason"] for g in report["coverage"]) == 2


def test_a_file_over_the_size_limit_is_a_gap_and_the_rest_is_scanned(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('provider "aws" {\n  region = "us-east-1"\n}\n'
                                      'resource "aws_s3_bucket" "b" {\n  tags = { Classification = "OFFICIAL" }\n}\n')
    (tmp_path / "huge.tf").write_text("# " + "x" * (2 * 1024 * 1024) + "\n")
    (tmp_path / "huge.yaml").write_text("apiVersion: v1\nkind: ConfigMap\n# " + "x" * (2 * 1024 * 1024) + "\n")
    (tmp_path / "plan.json").write_text('{"planned_values": {}, "pad": "' + "x" * (2 * 1024 * 1024) + '"}')
    for target in (str(tmp_path), str(tmp_path / "plan.json")):
        result = CliRunner().invoke(main, ["scan", target, "--format", "json", "--max-file-size", "1"])
        report = json.loads(result.stdout)
        assert result.exit_code == 2
        assert all("over the 1 MB limit" in g["reason"] for g in report["coverage"]), report["coverage"]
    assert any(f["resource"] == "aws_s3_bucket.b" for f in json.loads(CliRunner().invoke(
        main, ["scan", str(tmp_path), "--format", "json", "--max-file-size", "1"]).stdout)["findings"])


def test_huge_expansions_become_unknowns_not_hangs(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'provider "aws" {\n  region = "us-east-1"\n}\n'
        'resource "aws_s3_bucket" "b" {\n  count = 1000000000\n  tags = { Classification = "OFFICIAL" }\n}\n'
        'locals {\n  p = [for a in range(10000) : [for b in range(10000) : a]]\n}\n'
        'resource "aws_sqs_queue" "q" {\n  name = length(local.p)\n  tags = { Classification = "OFFICIAL" }\n}\n')
    from providers.terraform.hcl_loader import load_directory

    records = {r.address: r for r in load_directory(tmp_path).resources}
    assert "aws_s3_bucket.b" in records  # one instance stands in for a billion
    assert len(records) == 2


def test_an_integer_past_pythons_digit_limit_costs_its_file_only(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text("locals {\n  n = " + "9" * 5000 + "\n}\n")
    (tmp_path / "other.tf").write_text('provider "aws" {\n  region = "us-east-1"\n}\n'
                                       'resource "aws_s3_bucket" "x" {\n  tags = { Classification = "OFFICIAL" }\n}\n')
    report = json.loads(CliRunner().invoke(main, ["scan", str(tmp_path), "--format", "json"]).stdout)
    assert any(f["resource"] == "aws_s3_bucket.x" for f in report["findings"])
    assert [g["path"].endswith("main.tf") and "5,000 digits" in g["reason"] for g in report["coverage"]] == [True]


def test_modules_that_fan_out_exponentially_stop_at_the_instance_budget_said_once(tmp_path: Path) -> None:
    from providers.terraform.hcl_loader import MAX_MODULE_INSTANCES, load_directory

    # Each level calls the next twice: 2^14 instances if expanded, growing exponentially with depth.
    for level in range(14):
        (tmp_path / f"m{level}").mkdir()
        (tmp_path / f"m{level}" / "main.tf").write_text(
            f'module "a" {{\n  source = "../m{level + 1}"\n}}\nmodule "b" {{\n  source = "../m{level + 1}"\n}}\n')
    (tmp_path / "m14").mkdir()
    (tmp_path / "m14" / "main.tf").write_text('resource "aws_s3_bucket" "x" {\n  bucket = "b"\n}\n')
    (tmp_path / "main.tf").write_text('module "top" {\n  source = "./m0"\n}\n')
    result = load_directory(tmp_path)
    assert 0 < len(result.resources) <= MAX_MODULE_INSTANCES
    [gap] = [g for g in result.gaps if "module instances" in g.reason]
    assert gap.incomplete and "module call(s) from here on were not expanded" in gap.reason


def test_a_line_past_a_million_characters_refuses_its_file_only(tmp_path: Path) -> None:
    (tmp_path / "long.tf").write_text('locals {\n  s = "' + "x" * (1024 * 1024 + 1) + '"\n}\n')
    (tmp_path / "other.tf").write_text('provider "aws" {\n  region = "us-east-1"\n}\n'
                                       'resource "aws_s3_bucket" "x" {\n  tags = { Classification = "OFFICIAL" }\n}\n')
    result = CliRunner().invoke(main, ["scan", str(tmp_path), "--format", "json", "--no-cache"])
    report = json.loads(result.stdout)
    assert result.exit_code == 2
    assert any(f["resource"] == "aws_s3_bucket.x" for f in report["findings"])
    [gap] = report["coverage"]
    assert gap["path"].endswith("long.tf") and gap["line"] == 2 and "a line may hold" in gap["reason"]


def test_a_list_literal_past_the_item_budget_is_an_unknown_with_the_reason(tmp_path: Path) -> None:
    from providers.terraform.hcl_syntax import MAX_COLLECTION_ITEMS

    items = "".join(f"  {i},\n" for i in range(MAX_COLLECTION_ITEMS + 1))
    (tmp_path / "main.tf").write_text('provider "aws" {\n  region = "eu-west-2"\n}\n'
                                      f"locals {{\n  regions = [\n{items}  ]\n}}\n"
                                      'resource "aws_s3_bucket" "x" {\n  bucket = local.regions[0]\n'
                                      '  tags = { Classification = "OFFICIAL" }\n}\n')
    from providers.terraform.hcl_loader import load_directory

    [record] = load_directory(tmp_path).resources
    assert "over the 100,000 a literal may hold" in record.values["bucket"].reason


def test_an_internal_error_is_one_line_and_exit_2_never_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    # CI reads exit 1 as "findings": a bug must read as an incomplete scan, naming the command and its input.
    from click.testing import CliRunner

    from scanner.cli import main

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("scanner.inputs.scan_inputs", broken)
    monkeypatch.delenv("OFFSHORE_SCAN_DEBUG", raising=False)
    result = CliRunner().invoke(main, ["scan", "fixtures/demo", "--format", "json"])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert "internal error in scan reading fixtures/demo (RuntimeError: boom)" in result.output


def test_instances_past_the_budget_are_an_incomplete_scan_naming_the_resource(tmp_path: Path) -> None:
    # 10,001 queues judged as one would hide the one whose region differs: the scan says it is incomplete.
    (tmp_path / "main.tf").write_text(
        'provider "aws" {\n  region = "eu-west-2"\n}\n\n'
        'resource "aws_sqs_queue" "many" {\n  for_each = toset([for i in range(10001) : "q${i}"])\n'
        '  name     = each.key\n  tags     = { Classification = "OFFICIAL" }\n}\n')
    result = CliRunner().invoke(main, ["scan", str(tmp_path), "--format", "json"])
    assert result.exit_code == 2
    [gap] = json.loads(result.stdout)["coverage"]
    assert gap["kind"] == "skipped" and gap["line"] == 5 and "aws_sqs_queue.many" in gap["reason"]


def test_a_named_yaml_file_with_no_kubernetes_object_is_a_gap_never_clean(tmp_path: Path) -> None:
    plain = tmp_path / "values.yaml"
    plain.write_text("foo: bar\n")
    result = CliRunner().invoke(main, ["scan", str(plain), "--format", "json"])
    assert result.exit_code == 2
    [gap] = json.loads(result.stdout)["coverage"]
    assert gap["path"].endswith("values.yaml") and "no Kubernetes objects" in gap["reason"]
