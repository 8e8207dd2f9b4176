"""``offshore-scan merge`` and the JSON result read back: lossless, shards that add up, and any split merging alike.

The round trip runs on every fixture case: a result merged alone gives the same JSON, byte for byte, so nothing a
policy reads is lost on the way through a file. The property test builds an organisation's inventory account by
account, splits it into shards as ``--shard K/N`` does, and checks that the merged shards are judged and written
exactly as the whole.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.cli import main
from scanner.engine import evaluate
from scanner.merge import merge_results
from scanner.model import (
    Audit,
    Classification,
    CoverageGap,
    Flow,
    FlowKind,
    Grant,
    Guardrail,
    GuardrailKind,
    Inventory,
    Location,
    Resource,
    ScopeCoverage,
    ScopeStatus,
    Shard,
    SourceRef,
)
from scanner.reporters import ScanReport
from scanner.reporters.json_report import JsonReporter, dump
from scanner.results import ResultError, inventory_of
from tests.test_fixtures import CASES, _run

ORG = "o-exampleorg"


def _document(inventory: Inventory) -> dict[str, Any]:
    findings = evaluate(inventory)
    return JsonReporter().document(ScanReport(findings, inventory, "test", "high", None, (), "."))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_result_read_back_and_judged_again_is_the_same_result(case: Path, tmp_path: Path) -> None:
    import yaml

    expected = yaml.safe_load((case / "expected.yaml").read_text(encoding="utf-8"))
    _, document = _run(case, expected)
    saved = tmp_path / "result.json"
    saved.write_text(dump(document), encoding="utf-8")
    merged = CliRunner().invoke(main, ["merge", str(saved), "--format", "json"], catch_exceptions=False)
    assert merged.stdout == dump(document)


def _location(region: str) -> Location:
    country = "GB" if region.startswith("eu-west-2") else "US" if region.startswith("us-") else "IE"
    return Location("aws", region, country, country == "GB", (f"account region {region}",))


def _account_inventory(account: str, regions: list[str], dwp: list[bool]) -> Inventory:
    """What one account's scan holds: its resources, a replication flow per DWP one, a grant, its scopes."""
    resources, flows, grants = [], [], []
    for number, (region, is_dwp) in enumerate(zip(regions, dwp, strict=False)):
        arn = f"arn:aws:s3:::{account}-bucket-{number}"
        source = SourceRef(f"{account}/{region}", None, arn)
        resources.append(Resource(arn, "aws_s3_bucket", _location(region),
                                  Classification(is_dwp, "tag Classification" if is_dwp else "not tagged"), source,
                                  deployed_to="aws", account=account))
        if is_dwp:
            flows.append(Flow(arn, FlowKind.REPLICATION, _location("us-east-1"), f"replication of {arn}", source))
            grants.append(Grant(arn, f"arn:aws:iam::{account}:root", "GB", "the account itself", source,
                                internal=True))
    scopes = tuple(ScopeCoverage(account, region, "s3", ScopeStatus.SCANNED, 3) for region in sorted(set(regions)))
    return Inventory(tuple(resources), tuple(flows), tuple(grants), scanned=(f"aws account {account}",),
                     scopes=scopes)


def _organisation_parts() -> Inventory:
    """What every shard reads alike: the organisation's SCP and its Organizations scope."""
    guard = Guardrail(GuardrailKind.AWS_SCP_REGION_DENY, "SCP uk-only", ("eu-west-2",),
                      SourceRef("123456789012/us-east-1", None, "p-uk"), True, accounts=("111111111111",))
    return Inventory(guardrails=(guard,),
                     scopes=(ScopeCoverage("123456789012", "global", "organizations", ScopeStatus.SCANNED, 7),),
                     coverage=(CoverageGap("999999999999/global", None, "left out by --exclude-account", "note"),))


accounts_strategy = st.lists(st.integers(min_value=100000000000, max_value=999999999999).map(str), min_size=1,
                             max_size=12, unique=True)
estate_strategy = st.lists(st.tuples(st.lists(st.sampled_from(["eu-west-2", "eu-west-1", "us-east-1"]), max_size=3),
                                     st.lists(st.booleans(), max_size=3)), min_size=12, max_size=12)


@settings(max_examples=60, deadline=None)
@given(accounts=accounts_strategy, estates=estate_strategy, count=st.integers(min_value=1, max_value=6))
def test_any_split_of_the_accounts_merges_to_the_unsharded_report(accounts: list[str], estates: list[Any],
                                                                   count: int) -> None:
    ordered = tuple(sorted(accounts))
    per_account = {a: _account_inventory(a, *estates[i]) for i, a in enumerate(accounts)}
    shared = _organisation_parts()
    whole = merge_results([shared, *per_account.values()], ["shared", *accounts])
    whole = Inventory(whole.resources, whole.flows, whole.grants, whole.coverage, whole.scanned, whole.guardrails,
                      whole.scopes, Audit(ORG, ordered))
    shards = []
    for index in range(count):
        share = tuple(a for position, a in enumerate(ordered) if position % count == index)
        part = merge_results([shared, *(per_account[a] for a in share)], ["shared", *share])
        shards.append(Inventory(part.resources, part.flows, part.grants, part.coverage, part.scanned,
                                part.guardrails, part.scopes, Audit(ORG, ordered, Shard(index, count, share))))
    merged = merge_results(list(reversed(shards)), [f"shard-{i}.json" for i in reversed(range(count))])
    assert not [g for g in merged.coverage if g.incomplete]
    assert dump(_document(merged)) == dump(_document(whole))


def _shard(accounts: tuple[str, ...], index: int, count: int) -> Inventory:
    share = tuple(a for position, a in enumerate(accounts) if position % count == index)
    return merge_results([_account_inventory(a, ["eu-west-2"], [True]) for a in share], list(share)).__class__(
        audit=Audit(ORG, accounts, Shard(index, count, share)))


ACCOUNTS = tuple(f"{n:012d}" for n in range(100000000001, 100000000011))


def test_a_missing_shard_is_a_gap_naming_its_accounts() -> None:
    merged = merge_results([_shard(ACCOUNTS, 0, 3), _shard(ACCOUNTS, 2, 3)], ["s0.json", "s2.json"])
    gaps = [g for g in merged.coverage if g.incomplete]
    assert len(gaps) == 1
    assert "shard 1 of 3 not given" in gaps[0].reason
    for account in ACCOUNTS[1::3]:
        assert account in gaps[0].reason
    assert merged.audit == Audit(ORG, ACCOUNTS)


def test_a_shard_given_twice_is_a_gap_naming_the_accounts_covered_twice() -> None:
    first = _shard(ACCOUNTS, 0, 2)
    merged = merge_results([first, _shard(ACCOUNTS, 1, 2), first], ["a.json", "b.json", "a-again.json"])
    reasons = [g.reason for g in merged.coverage if g.incomplete]
    assert len(reasons) == len(ACCOUNTS[0::2])
    assert all("is in 2 results" in r and "a-again.json (shard 0/2)" in r for r in reasons)


def test_shards_of_different_audits_or_splits_are_said() -> None:
    other = Inventory(audit=Audit("o-another", ACCOUNTS[:3], Shard(0, 1, ACCOUNTS[:3])))
    merged = merge_results([_shard(ACCOUNTS, 0, 1), other], ["ours.json", "theirs.json"])
    assert any("parts of different audits" in g.reason for g in merged.coverage)
    split = merge_results([_shard(ACCOUNTS, 0, 2), _shard(ACCOUNTS, 1, 3)], ["a.json", "b.json"])
    assert any("shards of different splits" in g.reason for g in split.coverage)


def test_a_scope_read_differently_keeps_the_worse_answer() -> None:
    denied = ScopeCoverage("1", "global", "organizations", ScopeStatus.DENIED, 2, "ListPolicies: AccessDenied")
    scanned = ScopeCoverage("1", "global", "organizations", ScopeStatus.SCANNED, 5)
    for order in ([denied, scanned], [scanned, denied]):
        merged = merge_results([Inventory(scopes=(s,)) for s in order], ["a", "b"])
        assert merged.scopes == (ScopeCoverage("1", "global", "organizations", ScopeStatus.DENIED, 5,
                                               "ListPolicies: AccessDenied"),)


def test_a_resource_two_results_hold_differently_keeps_its_dwp_reading() -> None:
    plain = _account_inventory("111111111111", ["us-east-1"], [False])
    tagged = _account_inventory("111111111111", ["us-east-1"], [True])
    for order in ([plain, tagged], [tagged, plain]):
        merged = merge_results(order, ["a", "b"])
        assert [r.classification.dwp for r in merged.resources] == [True]


@pytest.mark.parametrize(("document", "says"), [
    ([], "not an offshore-scan JSON result"),
    ({"tool": {"name": "offshore-scan"}, "schema_version": 2}, "schema_version 2"),
    ({"tool": {"name": "offshore-scan"}, "schema_version": 1, "inventory": {"resources": []}},
     "tool.version is missing"),
])
def test_a_file_that_is_not_a_result_is_said_in_words(document: Any, says: str) -> None:
    with pytest.raises(ResultError, match=says):
        inventory_of(document, "x.json")


def test_the_merge_command_refuses_a_file_that_is_not_a_result(tmp_path: Path) -> None:
    bad = tmp_path / "notes.json"
    bad.write_text(json.dumps({"hello": "world"}), encoding="utf-8")
    result = CliRunner().invoke(main, ["merge", str(bad)])
    assert result.exit_code == 2
    assert "notes.json: not an offshore-scan JSON result" in result.stderr
    assert "Traceback" not in result.output


def test_shards_of_different_regions_or_configurations_are_said() -> None:
    def part(index: int, regions: tuple[str, ...] | None, settings: str) -> Inventory:
        share = tuple(a for position, a in enumerate(ACCOUNTS) if position % 2 == index)
        return Inventory(audit=Audit(ORG, ACCOUNTS, Shard(index, 2, share), regions, settings))

    alike = merge_results([part(0, ("eu-west-2",), "abc"), part(1, ("eu-west-2",), "abc")], ["a", "b"])
    assert not [g for g in alike.coverage if g.incomplete]
    assert alike.audit == Audit(ORG, ACCOUNTS, None, ("eu-west-2",), "abc")
    regions = merge_results([part(0, ("eu-west-1", "eu-west-2"), "abc"), part(1, ("eu-west-2",), "abc")], ["a", "b"])
    assert [g.reason for g in regions.coverage if "different regions" in g.reason] == [
        "the results scanned different regions (a: eu-west-1, eu-west-2; b: eu-west-2): what one shard did not scan "
        "is not judged; run every shard with the same --region"]
    configured = merge_results([part(0, None, "abc"), part(1, None, "def")], ["a", "b"])
    assert any("different configurations" in g.reason and g.incomplete for g in configured.coverage)


def test_the_settings_fingerprint_is_the_same_in_every_process() -> None:
    """Sets are ordered by a hash seeded per process: the fingerprint must not depend on it."""
    import os
    import subprocess
    import sys

    script = ("from pathlib import Path; from scanner.config import load_config, find_config; "
              "from providers.interface import ScanOptions; "
              "c = load_config(find_config(None, [Path('fixtures/demo')])); "
              "print(ScanOptions(c.rules, c.estate, tuple(c.endpoints.items())).fingerprint())")
    root = Path(__file__).resolve().parent.parent
    prints = {subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2", "3")}
    assert len(prints) == 1 and len(next(iter(prints)).strip()) == 16


@pytest.mark.parametrize(("edit", "says"), [
    (lambda d: d["inventory"]["resources"][0].__setitem__("dwp", "false"),
     "inventory.resources[0].dwp is 'false', not bool"),
    (lambda d: d["coverage"].append({"path": "a", "line": 10**30, "reason": "r", "kind": "error"}), "out of range"),
    (lambda d: d["inventory"]["resources"][0].__setitem__("id", 7), "resources[0].id is 7, not str"),
    (lambda d: d.__setitem__("audit", {"organisation": "o-x", "accounts": [1, 2], "shard": None, "regions": None,
                                       "settings": ""}),
     "audit.accounts[0] is 1, not str"),
    (lambda d: d.__setitem__("audit", {"organisation": "o-x", "accounts": ["1"], "regions": None, "settings": "",
                                       "shard": {"index": 0, "count": "3", "accounts": ["1"]}}),
     "audit.shard.count is '3', not int"),
])
def test_a_hand_edited_result_is_refused_naming_the_field(edit: Any, says: str, tmp_path: Path) -> None:
    document = json.loads((Path(__file__).resolve().parent / "golden" / "demo.json").read_text(encoding="utf-8"))
    edit(document)
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(document), encoding="utf-8")
    result = CliRunner().invoke(main, ["merge", str(edited)])
    assert result.exit_code == 2, result.output
    assert says in result.stderr and "edited.json" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("content", "says"), [
    (b"", "the file is empty"),
    (b"[" * 100_000, "nested too deeply"),
    (b'{"tool": ', "cannot read a JSON result"),
])
def test_a_file_that_cannot_be_a_result_is_one_line(content: bytes, says: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    result = CliRunner().invoke(main, ["merge", str(bad)])
    assert result.exit_code == 2 and says in result.stderr


def test_merge_never_overwrites_one_of_its_inputs(tmp_path: Path) -> None:
    saved = tmp_path / "a.json"
    saved.write_text((Path(__file__).resolve().parent / "golden" / "demo.json").read_text(encoding="utf-8"))
    before = saved.read_bytes()
    result = CliRunner().invoke(main, ["merge", str(saved), "--format", "sarif", "-o", str(saved)])
    assert result.exit_code == 2 and f"--output {saved} is the input {saved}" in result.stderr
    assert saved.read_bytes() == before


def test_an_organisation_that_changed_between_shards_is_said_as_such() -> None:
    grown = (*ACCOUNTS, "100000000099")
    merged = merge_results([Inventory(audit=Audit(ORG, ACCOUNTS, Shard(0, 1, ACCOUNTS))),
                            Inventory(audit=Audit(ORG, grown, Shard(0, 1, grown)))], ["old.json", "new.json"])
    [said] = [g.reason for g in merged.coverage if "different accounts" in g.reason]
    assert "in some lists only: 100000000099" in said and "organisation changed" in said


def test_a_single_account_result_does_not_reopen_the_guardrail_the_audit_read() -> None:
    unread = Guardrail(GuardrailKind.AWS_SCP_REGION_DENY, "service control policies were not read", (),
                       SourceRef("aws", None, "aws organisation"), False, read=False)
    read = Guardrail(GuardrailKind.AWS_SCP_REGION_DENY, "SCP uk-only", ("eu-west-2",),
                     SourceRef("123456789012/us-east-1", None, "p-uk"), True)
    single = replace(_account_inventory(ACCOUNTS[0], ["eu-west-2"], [True]), guardrails=(unread,))
    audited = Inventory(guardrails=(read,), audit=Audit(ORG, ACCOUNTS))
    assert merge_results([audited, single], ["org.json", "one.json"]).guardrails == (read,)
    stranger = replace(_account_inventory("999999999999", ["eu-west-2"], [True]), guardrails=(unread,))
    assert unread in merge_results([audited, stranger], ["org.json", "other.json"]).guardrails
