"""A damaged answer is never an empty one: results that were edited, cut or forged, and values that would break a
format, end in a one-line refusal naming the field (exit 2) or in the answer their inventory gives, never a
traceback and never a pack or report that contradicts the inventory.

The property tests mutate a real result (the demo's) and inject arbitrary strings (lone surrogates included) into
every format; both are bounded so they run in seconds.
"""

from __future__ import annotations

import copy
import html
import json
import os
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scanner.cli import main
from scanner.evidence.diagram import Graph, _Node, dot, mermaid, svg
from scanner.evidence.markdown import _cell
from scanner.evidence.pack import Place
from scanner.printable import escape
from scanner.reporters.junit import _NOT_XML
from scanner.reporters.paths import outside_base, relative_path

GOLDEN = Path(__file__).resolve().parent / "golden" / "demo.json"
DEMO: dict[str, Any] = json.loads(GOLDEN.read_text(encoding="utf-8"))
FORMATS = ("text", "json", "sarif", "junit", "markdown", "html")


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def _write(where: Path, document: Any, name: str = "result.json") -> Path:
    path = where / name
    path.write_text(json.dumps(document), encoding="utf-8")  # ASCII: a lone surrogate is written as \ud800
    return path


def _refused(result: Result, name: str) -> str:
    """The one line a refusal is: exit 2, on standard error, naming the file; never a traceback."""
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert "Traceback" not in result.output and "internal error" not in result.stderr, result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith("offshore-scan: error: ") and name in line
    return line


# 1. evidence judges again from the inventory: deleted findings and forged waivers change nothing.

def test_evidence_ignores_a_results_findings_and_waivers(tmp_path: Path) -> None:
    honest = _write(tmp_path, DEMO, "honest.json")
    forged = copy.deepcopy(DEMO)
    kept = forged["findings"][:1]
    kept[0]["waiver"] = {"approval": "FORGED-1", "approver": "nobody", "reason": "r", "expires": "2099-01-01",
                         "source": "x"}
    forged["findings"] = kept  # every other finding deleted, the one left waived
    tampered = _write(tmp_path, forged, "forged.json")
    for output_format in ("markdown", "html"):
        want = _invoke("evidence", str(honest), "--format", output_format)
        got = _invoke("evidence", str(tampered), "--format", output_format)
        assert got.exit_code == want.exit_code == 1
        assert got.stdout.replace("forged.json", "honest.json") == want.stdout
        assert "FORGED-1" not in got.stdout


def test_evidence_takes_waivers_from_its_own_waivers_file(tmp_path: Path) -> None:
    result = _write(tmp_path, DEMO)
    finding = DEMO["findings"][0]
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(f'waivers:\n  - fingerprint: "{finding["fingerprint"]}"\n    approval: DWP-OFF-9\n'
                       "    approver: DWP SR\n    reason: approved copy\n    expires: 2099-01-01\n", encoding="utf-8")
    made = _invoke("evidence", str(result), "--waivers", str(waivers), "--fail-on", "never")
    assert made.exit_code == 0 and "DWP-OFF-9" in made.stdout


# 2. Every field checked for type and bounds.

def _edited(edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    document = copy.deepcopy(DEMO)
    edit(document)
    return document


def _first_aws(document: dict[str, Any]) -> dict[str, Any]:
    return next(r for r in document["inventory"]["resources"] if r["location"]["cloud"] == "aws"
                and r["location"]["region"] == "eu-west-2")


AUDIT = {"organisation": "o-exampleorg1", "accounts": ["111111111111", "222222222222"], "regions": None,
         "settings": "", "shard": {"index": 0, "count": 2, "accounts": ["111111111111"]}}


@pytest.mark.parametrize(("edit", "says"), [
    (lambda d: d.__setitem__("tool", 7), "not an offshore-scan JSON result"),
    (lambda d: d.__setitem__("scanned", "fixtures/demo/main.tf"), "scanned is 'fixtures/demo/main.tf', not a list"),
    (lambda d: d["inventory"].__setitem__("resources", "many"), "inventory.resources is 'many', not a list"),
    (lambda d: d.__setitem__("audit", {**AUDIT, "shard": {**AUDIT["shard"], "count": 2**53}}),
     "audit.shard.count is 9.01e+15, out of range"),
    (lambda d: d.__setitem__("audit", {**AUDIT, "shard": {**AUDIT["shard"], "count": 200_000}}),
     "over the 100,000 shards"),
    (lambda d: d.__setitem__("audit", {**AUDIT, "shard": {**AUDIT["shard"], "index": 2}}),
     "audit.shard.index is 2, not below its count 2"),
    (lambda d: d.__setitem__("audit", {**AUDIT, "accounts": ["1111", "222222222222"]}),
     "audit.accounts[0] is '1111', not a 12-digit AWS account id"),
    (lambda d: d.__setitem__("audit", {**AUDIT, "accounts": [111111111111]}),
     "audit.accounts[0] is 111111111111, not str"),
    (lambda d: d.__setitem__("audit", {**AUDIT, "shard": {**AUDIT["shard"], "accounts": ["333333333333"]}}),
     "is not one of the audit's accounts"),
    (lambda d: _first_aws(d).update(deployed_to="aws", account="12345"), "account is '12345', not a 12-digit"),
    (lambda d: _first_aws(d)["location"].update(region="us-east-1"),
     "puts aws us-east-1 in 'GB'; the region catalogue puts it in 'US'"),
    (lambda d: _first_aws(d)["location"].update(uk=False), "says uk false with country 'GB'"),
    (lambda d: d["inventory"]["grants"][0].update(uk=not d["inventory"]["grants"][0]["uk"]),
     "inventory.grants[0].uk is"),
    (lambda d: _first_aws(d).pop("certain"), "certain is missing"),
    (lambda d: _first_aws(d).update(classification="x" * 200_000), "over the 100,000 a result holds"),
    (lambda d: d["inventory"]["flows"][0].update(kind="teleport"), "kind is 'teleport', not one of"),
    (lambda d: d["inventory"]["resources"].append({**_first_aws(d), "dwp": not _first_aws(d)["dwp"]}),
     "which says otherwise"),
])
def test_a_field_out_of_type_or_bounds_is_one_line_naming_it(edit: Callable[[dict[str, Any]], None], says: str,
                                                               tmp_path: Path) -> None:
    path = _write(tmp_path, _edited(edit))
    for command in ("merge", "evidence"):
        line = _refused(_invoke(command, str(path)), "result.json")
        assert says in line, line


def test_a_result_over_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_bytes(b" " * (1024 * 1024 + 1))  # not JSON at all: refused on its size, never parsed
    for command in ("merge", "evidence"):
        line = _refused(_invoke(command, str(path), "--max-result-size", "1"), "big.json")
        assert "over the 1,048,576 a result may be" in line


# 3. No command overwrites one of its inputs.

def _links(tmp_path: Path, target: Path) -> list[Path]:
    symlink, hard = tmp_path / "symlink.out", tmp_path / "hard.out"
    symlink.symlink_to(target)
    os.link(target, hard)
    return [target, symlink, hard, target.parent / "." / target.name]


@pytest.mark.parametrize("command", ["merge", "evidence"])
def test_merge_and_evidence_never_overwrite_a_result(command: str, tmp_path: Path) -> None:
    result = _write(tmp_path, DEMO)
    before = result.read_bytes()
    for output in _links(tmp_path, result):
        line = _refused(_invoke(command, str(result), "-o", str(output)), str(result))
        assert f"--output {output} is the input {result}" in line
        assert result.read_bytes() == before


def test_scan_never_overwrites_a_file_it_read(tmp_path: Path) -> None:
    infra = tmp_path / "infra"
    infra.mkdir()
    main_tf = infra / "main.tf"
    main_tf.write_text('provider "aws" {\n  region = "eu-west-2"\n}\n', encoding="utf-8")
    before = main_tf.read_bytes()
    for output in _links(tmp_path, main_tf):
        for named in (str(infra), str(main_tf)):  # read inside a directory, or named
            line = _refused(_invoke("scan", named, "-o", str(output)), "is the input")
            assert str(output) in line and str(main_tf) in line
    assert main_tf.read_bytes() == before
    assert _invoke("scan", str(infra), "-o", str(tmp_path / "report.txt")).exit_code == 0


# 4. Any string, lone surrogates included, is written escaped in every format, and the rest is kept.

_PIECES = st.sampled_from(["\ud800", "\udcff", "\n", "\r\n", "|", "<b>", '"', "```", "%%{init: {}}%%", "[a](b)", "\\"])
_STRINGS = st.lists(st.text(st.characters(exclude_categories=()), max_size=6) | _PIECES, min_size=1,
                    max_size=4).map("".join).filter(bool)
_RESOURCE = "aws_s3_bucket.evidence"


def _injected(text: str) -> dict[str, Any]:
    """The demo with ``text`` in a DWP resource's id (and everything naming it), its reason, a file path, an input
    and a note."""
    document = copy.deepcopy(DEMO)
    renamed = _RESOURCE + text
    for resource in document["inventory"]["resources"]:
        if resource["id"] == _RESOURCE:
            resource.update(id=renamed, object=renamed, classification=f"tag {text}")
            resource["source"]["path"] = f"fixtures/demo/{text}.tf"
    for entry in (*document["inventory"]["flows"], *document["inventory"]["grants"]):
        if entry["resource"] == _RESOURCE:
            entry["resource"] = renamed
    document["scanned"].append(f"fixtures/{text}.tf")
    document["coverage"].append({"path": f"fixtures/{text}.tf", "line": 3, "reason": text, "kind": "note"})
    return document


def _encodable(text: str) -> str:
    # A lone surrogate is written as its escape; one of U+DC80..U+DCFF (an undecodable byte of a file name) as the
    # byte it stands for.
    def escaped(match: re.Match[str]) -> str:
        code = ord(match.group(0))
        if 0xDC80 <= code <= 0xDCFF:
            return f"\\x{code - 0xDC00:02x}"
        return match.group(0).encode("unicode_escape").decode("ascii")

    return re.sub("[\ud800-\udfff]", escaped, text)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_STRINGS)
def test_any_string_is_written_escaped_in_every_format(text: str, tmp_path: Path) -> None:
    path = _write(tmp_path, _injected(text))
    # The result is JSON: a high and a low surrogate side by side (\ud800\udc00) are read back as the one character
    # they encode, so the scan sees the text as JSON gives it.
    text = json.loads(json.dumps(text))
    renamed, shown = _RESOURCE + text, _encodable(_RESOURCE + text)
    outputs = {}
    for output_format in FORMATS:
        done = CliRunner().invoke(main, ["merge", str(path), "--format", output_format])
        assert done.exit_code == 1, (output_format, done.output[-500:])
        outputs[output_format] = done.stdout_bytes.decode("utf-8")  # strict: it is UTF-8
    report = json.loads(outputs["json"])
    [resource] = [r for r in report["inventory"]["resources"] if r["id"] == shown]
    assert resource["classification"] == f"tag {_encodable(text)}"
    assert any(f["resource"] == shown for f in report["findings"])
    assert _encodable(text) in [g["reason"] for g in report["coverage"]]
    sarif = json.loads(outputs["sarif"])
    assert len(sarif["runs"][0]["results"]) == len(report["findings"])
    junit = ElementTree.fromstring(outputs["junit"].encode("utf-8"))
    names = [case.get("name") for case in junit.iter("testcase")]
    assert any(name.startswith(_NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", shown) + " [") for name in names)
    assert escape(renamed) in outputs["text"]
    # The pack marks where a long identifier may wrap (<wbr>) and keeps hyphenated words whole (a "nw" span); the
    # escaped text is there between the marks.
    unmarked = re.sub(r'<span class="nw">(.*?)</span>', r"\1", outputs["html"].replace("<wbr>", ""))
    assert html.escape(shown) in unmarked
    assert _cell(shown) in outputs["markdown"]


# 5. Any mutation of a valid result is refused naming a field, or gives the answer of the inventory it holds.

def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _paths(inner, (*prefix, index))
    return found


_SMALL = copy.deepcopy(DEMO)
_SMALL["findings"] = _SMALL["findings"][:3]  # findings are never read: a few stand for all
_PATHS = [p for p in _paths(_SMALL) if p]
_ODD = [7, -1, 2**53, "x", "", [], {}, None, True, False, ["x"], {"x": 1}, "\ud800", "GB", "us-east-1"]


def _at(document: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        document = document[key]
    return document


@st.composite
def _mutations(draw: st.DrawFn) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
    document = copy.deepcopy(_SMALL)
    path = draw(st.sampled_from(_PATHS))
    parent, key = _at(document, path[:-1]), path[-1]
    operation = draw(st.sampled_from(["drop", "retype", "swap", "duplicate"]))
    if operation == "drop":
        del parent[key]
    elif operation == "retype":
        parent[key] = draw(st.sampled_from(_ODD))
    elif operation == "swap":
        parent[key] = copy.deepcopy(_at(_SMALL, draw(st.sampled_from(_PATHS))))
    elif isinstance(parent, list):
        parent.insert(key, copy.deepcopy(parent[key]))
    else:
        parent[key] = [copy.deepcopy(parent[key])] * 2
    return operation, path, document


_OPTIONAL = ("note", "key", "copies")  # members results written before them lack: absent reads as null or empty


def _normal(value: Any) -> Any:
    """A value as the writer would give it back: lone surrogates escaped, optional members at their defaults left out.

    The optional members (a location's ``note``, a resource's ``key``, a key's ``copies``) are absent from results
    written before them: dropped, each is read back at its default, which the writer may spell out."""
    if isinstance(value, str):
        return _encodable(value)
    if isinstance(value, list):
        return [_normal(v) for v in value]
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items()
                if not (k in _OPTIONAL and not v)}
    return value


def _entries(document: dict[str, Any]) -> dict[str, set[str]]:
    """What an answer must keep of a result: its inventory, coverage, guardrails and inputs, as sets."""
    inventory = document["inventory"]
    lists = {"resources": inventory["resources"], "flows": inventory["flows"], "grants": inventory["grants"],
             "coverage": document["coverage"], "guardrails": document["guardrails"], "scanned": document["scanned"]}
    return {name: {json.dumps(_normal(item), sort_keys=True) for item in items} for name, items in lists.items()}


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = _write(tmp_path_factory.mktemp("original"), _SMALL)
    return CliRunner().invoke(main, ["merge", str(path), "--format", "json"]).stdout


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutation=_mutations())
def test_a_mutated_result_is_refused_or_answered_from_its_inventory(
        mutation: tuple[str, tuple[Any, ...], dict[str, Any]], original: str, tmp_path: Path) -> None:
    operation, path, document = mutation
    written = _write(tmp_path, document, "mutated.json")
    done = CliRunner().invoke(main, ["merge", str(written), "--format", "json"])
    if done.exit_code == 2 and not done.stdout:
        _refused(done, "mutated.json")
        return
    assert done.exit_code in (0, 1), (operation, path, done.output[-400:])
    answer = json.loads(done.stdout)
    assert _entries(answer) == _entries(document), (operation, path)
    again = _write(tmp_path, answer, "answer.json")
    # The findings are the judgement of the inventory the answer holds: judged again, nothing changes (unless a lone
    # surrogate was escaped on the way out, which may change the order inputs are listed in).
    if not re.search("[\ud800-\udfff]", json.dumps(document, ensure_ascii=False)):
        assert CliRunner().invoke(main, ["merge", str(again), "--format", "json"]).stdout == done.stdout
    if path[0] in ("findings", "api_calls") or path == ("tool", "version"):
        assert done.stdout == original, (operation, path)


@pytest.mark.parametrize("output_format", ["json", "text", "sarif", "junit"])
def test_a_config_named_with_a_lone_surrogate_is_written_as_its_escape(output_format: str, tmp_path: Path) -> None:
    """The config a result names is outside text too: every string of the report is made writable, not only the
    findings and the inventory (a lone surrogate there used to end the merge as an internal error)."""
    document = copy.deepcopy(_SMALL)
    document["config"] = "conf\udce9.yaml"
    done = CliRunner().invoke(main, ["merge", str(_write(tmp_path, document)), "--format", output_format])
    assert done.exit_code == 1, done.output[-400:]
    assert "please report it" not in done.stderr
    if output_format == "json":
        assert json.loads(done.stdout)["config"] == "conf\\xe9.yaml"


# 6. Reports and the pack escape what they are given, and never probe the host for a path.

def _graph(label: str) -> Graph:
    uk = Place("aws", "eu-west-2", "GB", True)
    away = Place("aws", "us-east-1", "US", False)
    return Graph((_Node("n1", label, uk), _Node("n2", "b", away)), (("n1", "n2", label, True),), 0)


@pytest.mark.parametrize("label", [
    'x"]\nclick n1 href "javascript:alert(1)"', "%%{init: {'securityLevel': 'loose'}}%% a", "```\n# heading",
    "a\u2028click n2 call x()", "<img src=x onerror=alert(1)>", "back\\", "x" * 5000])
def test_a_diagram_label_is_one_quoted_line_without_directives(label: str) -> None:
    source = mermaid(_graph(label))
    for line in source.splitlines():
        assert not line.strip().startswith(("click", "%%", "#", "```")), line
    assert "%%{" not in source and "`" not in source and "<" not in source
    assert all(len(line) < 400 for line in source.splitlines())
    drawn = dot(_graph(label))
    assert drawn.count("\n") == dot(_graph("plain")).count("\n")  # nothing added a line or a statement
    assert re.search(r'(?<!\\)\\"', drawn.replace("\\\\", "")) is None or '\\"' in drawn  # quotes escaped


def test_a_graphviz_that_fails_is_not_blamed_as_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "dot"
    broken.write_text("#!/bin/sh\necho 'syntax error in line 3' >&2\nexit 1\n", encoding="utf-8")
    broken.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    drawing = svg(_graph("a"))
    assert drawing.svg is None and not drawing.missing and "syntax error in line 3" in drawing.problem
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    assert svg(_graph("a")).missing


@pytest.mark.parametrize("value", ["a|b", "<script>x</script>", "[link](http://e.example)", "![img](http://x)",
                                   "```", "a\r\nb", "*bold* _em_ ~s~", "\\|"])
def test_a_markdown_cell_shows_the_value_and_nothing_else(value: str) -> None:
    cell = _cell(value)
    assert "\n" not in cell and "\r" not in cell and "<" not in cell
    assert re.search(r"(?<!\\)[|`\[\]*~]", cell.replace("\\\\", "")) is None


def test_report_paths_are_decided_without_asking_the_host(monkeypatch: pytest.MonkeyPatch) -> None:
    def probe(*_: Any, **__: Any) -> None:
        raise AssertionError("a path from a report was looked up on this host")

    for name in ("exists", "realpath", "isfile", "isdir", "lexists"):
        monkeypatch.setattr(os.path, name, probe)
    monkeypatch.setattr(Path, "exists", probe)
    monkeypatch.setattr(Path, "resolve", probe)
    assert relative_path("infra/main.tf", "/repo") == "infra/main.tf"
    assert relative_path("/repo/infra/main.tf", "/repo") == "infra/main.tf"
    assert relative_path("/etc/passwd", "/repo") is None and outside_base("/etc/passwd", "/repo")
    assert relative_path("../elsewhere/main.tf", "/repo") is None and outside_base("../elsewhere/main.tf", "/repo")
    for live in ("111122223333/eu-west-2", "aws", "merge", "-", "<stdin>", "organisation o-abc",
                 "00000000-0000-0000-0000-000000000000/global"):
        assert relative_path(live, "/repo") is None and not outside_base(live, "/repo")


def test_sarif_and_junit_mark_a_file_outside_the_roots(tmp_path: Path) -> None:
    document = copy.deepcopy(DEMO)
    document["coverage"].append({"path": "/etc/passwd", "line": 1, "reason": "outside", "kind": "note"})
    path = _write(tmp_path, document)
    sarif = json.loads(_invoke("merge", str(path), "--format", "sarif").stdout)
    [note] = [n for n in sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
              if n["message"]["text"] == "outside"]
    assert note["locations"][0]["properties"] == {"outsideScannedRoots": True}
    assert "physicalLocation" not in note["locations"][0]
