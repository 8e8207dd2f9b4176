"""The evidence pack: golden Markdown and HTML of the demo estate, merging of several results, the
questions infrastructure cannot answer left as marked blanks, and the HTML drawn in a real browser.

Refresh the snapshots after an intended change with:
    OFFSHORE_SCAN_UPDATE_GOLDEN=1 python -m pytest tests/test_evidence.py
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from scanner.evidence.diagram import build_graph
from scanner.evidence.html import render_html
from scanner.evidence.markdown import render_markdown
from scanner.evidence.pack import build_pack

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"


def _cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scanner.cli", *args], capture_output=True, text=True, cwd=cwd,
                          check=False)


@pytest.fixture(scope="module")
def demo() -> dict:
    return json.loads(_cli("scan", "fixtures/demo", "--format", "json").stdout)


def _golden(name: str, rendered: str) -> None:
    golden = GOLDEN / name
    if os.environ.get("OFFSHORE_SCAN_UPDATE_GOLDEN"):
        golden.write_text(rendered)
    assert rendered == golden.read_text(), f"{golden.name} differs: review, then refresh as the module docstring says"


def test_the_markdown_pack_of_the_demo_matches_its_snapshot(demo: dict) -> None:
    _golden("demo.evidence.md", render_markdown(build_pack([demo])))


def test_the_html_pack_of_the_demo_matches_its_snapshot(demo: dict) -> None:
    # Without Graphviz, so the snapshot does not depend on the installed version of `dot`.
    _golden("demo.evidence.html", render_html(build_pack([demo]), use_graphviz=False))


def test_the_pack_answers_the_infrastructure_sections(demo: dict) -> None:
    text = render_markdown(build_pack([demo]))
    for heading in ("## 2. DWP Information", "## 2.1 Solution Details", "### Permanent storage",
                    "### Temporary storage", "### Transient storage", "## 2.2 Network", "```mermaid",
                    "## 2.3 and 3.1", "## Guardrails", "## Approved arrangements", "## Coverage"):
        assert heading in text
    # Every offshore path of the demo is in 2.2, by its receiving resource or place.
    assert "aws_s3_bucket.evidence_dr" in text and "external api.honeycomb.io (US)" in text
    assert "arn:aws:iam::444455556666:root" in text  # access from India, 3.1


def test_what_infrastructure_cannot_answer_is_a_marked_blank(demo: dict) -> None:
    text = render_markdown(build_pack([demo]))
    for section in ("**1 Description", "**1.1 Timescales", "**1.2 Number of Staff", "**3.2 Other Work",
                    "**3.3 Staff Clearance", "**4 Legal Assessment", "**5 Governance", "**Landed resources"):
        block = text[text.index(section):]
        assert block.split("\n\n")[1] == "> _To be completed by the contractor._"


def test_several_results_merge_and_the_same_result_twice_counts_once(demo: dict, tmp_path: Path) -> None:
    assert build_pack([demo, demo]) == build_pack([demo])
    (tmp_path / "main.tf").write_text('provider "aws" {\n  region = "ap-south-1"\n}\n'
                                      'resource "aws_sqs_queue" "q" {\n  tags = { Classification = "OFFICIAL" }\n}\n')
    other = json.loads(_cli("scan", str(tmp_path), "--format", "json").stdout)
    merged = build_pack([demo, other])
    assert {s.resource for s in merged.stored} == {s.resource for s in build_pack([demo]).stored} | {
        "aws_sqs_queue.q"}
    assert ("IN", "aws", "ap-south-1", 1) in merged.offshore
    assert [s.kind for s in merged.stored if s.resource == "aws_sqs_queue.q"] == ["temporary"]


def test_the_evidence_command_and_the_scan_format_give_the_same_pack(demo: dict, tmp_path: Path) -> None:
    result = tmp_path / "demo.json"
    result.write_text(json.dumps(demo))
    made = _cli("evidence", str(result), "--format", "markdown")
    scanned = _cli("scan", "fixtures/demo", "--format", "markdown")
    assert made.returncode == scanned.returncode == 1  # the demo's findings, judged again: scan's exit code
    assert made.stdout == scanned.stdout


def test_an_incomplete_scan_says_so_at_the_top(tmp_path: Path) -> None:
    (tmp_path / "broken.tf").write_text('resource "aws_s3_bucket" "b" {\n')
    text = _cli("scan", str(tmp_path), "--format", "markdown").stdout
    assert "**Warning: the scans behind this pack were incomplete.**" in text.split("## 2.")[0]
    assert "broken.tf" in text


@pytest.mark.parametrize("content", ["not json", '{"schema_version": 1}', "[1, 2]"])
def test_a_file_that_is_not_a_result_is_refused(tmp_path: Path, content: str) -> None:
    (tmp_path / "r.json").write_text(content)
    done = _cli("evidence", str(tmp_path / "r.json"))
    assert done.returncode == 2 and "r.json" in done.stderr and "Traceback" not in done.stderr


def test_values_from_the_estate_cannot_break_the_layout(demo: dict) -> None:
    import copy
    import re

    hostile = copy.deepcopy(demo)
    for resource in hostile["inventory"]["resources"]:
        resource["object"] = resource["id"] + " a|b\\|c</td><script>alert(1)</script>\nnext"
    html = render_html(build_pack([hostile]), use_graphviz=False)
    assert "<script>" not in html and "&lt;script&gt;" in html
    markdown = render_markdown(build_pack([hostile]))
    table: list[int] = []
    for line in [*markdown.splitlines(), ""]:
        if line.startswith("|"):
            table.append(len(re.findall(r"(?<!\\)\|", line.replace("\\\\", ""))))
        elif table:
            # Every row of a table has as many cell boundaries as its header.
            assert set(table) == {table[0]}, table
            table = []
    assert "&lt;script&gt;alert" in markdown  # said, as text


_CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.skipif(_CHROMIUM is None, reason="headless Chromium is not installed (Debian package `chromium`)")
@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed (Debian package `graphviz`): "
                                                         "the HTML pack then shows the diagram's Mermaid source")
def test_the_html_pack_draws_its_diagram_in_a_browser(demo: dict, tmp_path: Path) -> None:
    pack = build_pack([demo])
    page = tmp_path / "pack.html"
    page.write_text(render_html(pack))
    browser = [_CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1280,4000"]
    dom = subprocess.run([*browser, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120,
                         check=False).stdout
    drawn = dom[dom.index('id="network-diagram"'):]
    assert drawn.count('class="node"') == len(build_graph(pack.paths).nodes) > 5
    shot = tmp_path / "pack.png"
    subprocess.run([*browser, f"--screenshot={shot}", page.as_uri()], capture_output=True, timeout=120, check=False)
    header = shot.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", header[16:24]) == (1280, 4000)
