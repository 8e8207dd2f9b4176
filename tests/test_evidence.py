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

from scanner.evidence.cover import PackContext, generated_at, git_commit
from scanner.evidence.diagram import GLOBAL, _groups, build_graph, dot, mermaid
from scanner.evidence.html import INSTALL_GRAPHVIZ, render_html
from scanner.evidence.markdown import render_markdown
from scanner.evidence.pack import build_pack

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"


EPOCH = "1796083200"  # 2026-12-01 00:00 UTC: every pack a test makes says this time
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def _cli(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scanner.cli", *args], capture_output=True, text=True, cwd=cwd,
                          check=False, env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH, **(env or {})})


@pytest.fixture(scope="module")
def demo() -> dict:
    # The demo's JSON result, kept equal to `scan fixtures/demo --format json` by its own golden test.
    return json.loads((GOLDEN / "demo.json").read_text())


def _context(**given: object) -> PackContext:
    return PackContext(**{"generated": generated_at({"SOURCE_DATE_EPOCH": EPOCH}), "commit": COMMIT, **given})


def _golden(name: str, rendered: str) -> None:
    golden = GOLDEN / name
    if os.environ.get("OFFSHORE_SCAN_UPDATE_GOLDEN"):
        golden.write_text(rendered)
    assert rendered == golden.read_text(), f"{golden.name} differs: review, then refresh as the module docstring says"


def test_the_markdown_pack_of_the_demo_matches_its_snapshot(demo: dict) -> None:
    _golden("demo.evidence.md", render_markdown(build_pack([demo], _context())))


def test_the_html_pack_of_the_demo_matches_its_snapshot(demo: dict) -> None:
    # Without Graphviz, so the snapshot does not depend on the installed version of `dot`.
    _golden("demo.evidence.html", render_html(build_pack([demo], _context()), use_graphviz=False))


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
    assert "Landed resources Landed resources" not in text
    # The blanks come after the tables they point at.
    assert "below are where the data is" not in text and "access paths below" not in text


def test_several_results_merge_and_the_same_result_twice_counts_once(demo: dict, tmp_path: Path) -> None:
    assert build_pack([demo, demo]) == build_pack([demo])
    (tmp_path / "main.tf").write_text('provider "aws" {\n  region = "ap-south-1"\n}\n'
                                      'resource "aws_sqs_queue" "q" {\n  tags = { Classification = "OFFICIAL" }\n}\n')
    other = json.loads(_cli("scan", str(tmp_path), "--format", "json").stdout)
    merged = build_pack([demo, other])
    assert {s.resource for s in merged.stored} == {s.resource for s in build_pack([demo]).stored} | {
        "aws_sqs_queue.q"}
    assert ("IN", "aws", "ap-south-1", 1) in merged.offshore
    assert any(t.country == "IN" and t.adequacy == "none" and "IDTA" in t.needed for t in merged.transfers)
    assert [s.kind for s in merged.stored if s.resource == "aws_sqs_queue.q"] == ["temporary"]


def test_the_evidence_command_and_the_scan_format_give_the_same_pack(demo: dict, tmp_path: Path) -> None:
    result = tmp_path / "demo.json"
    result.write_text(json.dumps(demo))
    # The scan read fixtures/demo's config; evidence is given the same one (and lists it among the inputs).
    made = _cli("evidence", str(result), "--format", "markdown", "--config", "fixtures/demo/offshore-scan.yaml")
    scanned = _cli("scan", "fixtures/demo", "--format", "markdown")
    assert made.returncode == scanned.returncode == 1, scanned.stderr  # the demo's findings, judged again
    assert made.stdout == scanned.stdout
    assert "- **Generated:** 2026-12-01 00:00 UTC" in made.stdout  # SOURCE_DATE_EPOCH, as reproducible builds


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
@pytest.mark.slow  # a headless Chromium started for each page
@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed (Debian package `graphviz`): "
                                                         "the HTML pack then shows the diagram's Mermaid source")
def test_the_html_pack_draws_its_diagram_in_a_browser(demo: dict, tmp_path: Path) -> None:
    pack = build_pack([demo], _context())
    page = tmp_path / "pack.html"
    page.write_text(render_html(pack))
    browser = [_CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1280,4000"]
    dom = subprocess.run([*browser, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120,
                         check=False).stdout
    drawn = dom[dom.index('id="network-diagram"'):].split('class="diagram-bands"', 1)[0]  # the bands are for print
    assert drawn.count('class="node"') == len(build_graph(pack).nodes) > 5
    shot = tmp_path / "pack.png"
    subprocess.run([*browser, f"--screenshot={shot}", page.as_uri()], capture_output=True, timeout=120, check=False)
    header = shot.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", header[16:24]) == (1280, 4000)


def test_the_cover_says_when_what_and_how_much(demo: dict) -> None:
    text = render_markdown(build_pack([demo], _context(estate_name="Claims platform", config="offshore-scan.yaml")))
    cover = text.split("## 2.")[0]
    for line in ("- **Estate:** Claims platform", "- **Generated:** 2026-12-01 00:00 UTC",
                 "- **Tool:** offshore-scan 0.1.0", f"- **Commit:** {COMMIT}", "- **Directories:** fixtures/demo",
                 "- **Fail:** 13 (5 critical, 6 high, 0 medium, 2 low)", "- **Unknown (could not be decided):** 1",
                 "- **Coverage gaps:** 0", "- **Waived (approved arrangements):** 0"):
        assert line in cover
    # Without a name in the config, the scanned directory's.
    assert "- **Estate:** demo" in render_markdown(build_pack([demo], _context()))


def test_inputs_list_every_file_that_decided_an_answer(demo: dict) -> None:
    pack = build_pack([demo], _context(config="fixtures/demo/offshore-scan.yaml"))
    # terraform.tfvars is not a scanned root, but it set var.dr_region = "us-east-1".
    assert "fixtures/demo/terraform.tfvars" in pack.inputs
    assert "fixtures/demo/offshore-scan.yaml" in pack.inputs
    assert set(demo["scanned"]) <= set(pack.inputs)


def test_a_resource_abroad_and_the_copy_that_lands_on_it_are_one_place(demo: dict) -> None:
    pack = build_pack([demo], _context())
    # us-east-1: the audit store, the DR bucket (also the replication rule's destination) and the DR VPC (also the
    # peering's other end): three places, not five.
    assert ("US", "aws", "us-east-1", 3) in pack.offshore
    names = [i.name for i in pack.offshore_items]
    assert len(names) == len(set(names)) and names.count("aws_s3_bucket.evidence_dr") == 1


def test_markings_are_worded_alike_in_2_21_and_22(demo: dict) -> None:
    text = render_markdown(build_pack([demo], _context()))
    section_2, rest = text.split("## 2.1 ", 1)
    section_21, section_22 = rest.split("## 2.2 ", 1)
    section_22 = section_22.split("### Diagram")[0]
    for section in (section_2, section_21, section_22):
        assert "| not marked |" in section
    assert "|  |" not in section_21


def test_the_guardrail_fix_is_in_each_clouds_own_terms(demo: dict) -> None:
    fixes = dict(build_pack([demo], _context()).guardrail_fixes)
    assert "service control policy" in fixes["aws"]
    assert "Azure Policy" in fixes["azure"] and "SCP" not in fixes["azure"] and "service control" not in fixes["azure"]
    assert "gcp.resourceLocations" in fixes["gcp"]


def test_section_4_says_adequacy_per_country_and_who_holds_the_keys(demo: dict) -> None:
    pack = build_pack([demo], _context())
    transfers = {t.country: t for t in pack.transfers}
    assert transfers["IE"].adequacy.startswith("full") and transfers["DE"].adequacy.startswith("full")
    assert transfers["US"].adequacy.startswith("partial") and "IDTA" in transfers["US"].needed
    assert "aws_s3_bucket.evidence_dr" in transfers["US"].what
    assert "as of" in pack.adequacy_source and "ICO" in pack.adequacy_source
    custody = {c.copy: c for c in pack.custody}
    # The demo's DR bucket names no key: S3 encrypts it with SSE-S3, a key the provider holds.
    assert custody["aws_s3_bucket.evidence_dr"].key == "SSE-S3"
    assert custody["aws_s3_bucket.evidence_dr"].key_location == "provider-managed"
    assert not any(c.copy.startswith("aws_vpc.") for c in pack.custody)
    honeycomb = custody["external api.honeycomb.io (US): telemetry of Deployment/claims/claims-web"]
    assert honeycomb.key == "Honeycomb's" and honeycomb.held_by.startswith("Honeycomb (third party)")
    # The config's adequacy: key overrides the table.
    overridden = build_pack([demo], _context(adequacy={"IE": {"name": "Ireland", "scope": "none"}}))
    assert {t.country: t for t in overridden.transfers}["IE"].adequacy == "none"
    assert "## 4. Legal Assessment: what infrastructure shows" in render_markdown(pack)


def test_key_custody_reads_the_key_field_of_a_result(demo: dict) -> None:
    import copy

    keyed = copy.deepcopy(demo)
    for resource in keyed["inventory"]["resources"]:
        if resource["id"] == "aws_s3_bucket.evidence_dr":
            resource["key"] = {"encrypted": True, "key": "aws_kms_key.dr", "kind": "customer", "multi_region": True,
                               "how": [], "location": {"cloud": "aws", "region": "eu-west-2", "country": "GB",
                                                       "uk": True}}
    held = {c.copy: c for c in build_pack([keyed], _context()).custody}["aws_s3_bucket.evidence_dr"]
    assert held.key == "aws_kms_key.dr" and held.key_location.startswith("in the UK (aws eu-west-2)")
    assert "multi-Region" in held.key_location


def test_the_diagram_draws_offshore_resources_and_access_and_no_box_in_itself(demo: dict) -> None:
    pack = build_pack([demo], _context())
    graph = build_graph(pack)
    labels = {n.label for n in graph.nodes}
    # No data flow ends at the audit store or the GCS bucket; the support role is reached from India.
    assert {"module.audit_store.aws_s3_bucket.store", "google_storage_bucket.exports",
            "arn:aws:iam::444455556666:root"} <= labels
    assert len(graph.access) == 1
    source = mermaid(graph)
    assert 'subgraph s' in source and '["external datadoghq.eu"]' not in source  # no region box named as its node
    assert "-.->" in source and 'subgraph legend["Legend"]' in source
    drawn = dot(graph)
    # Labels sit beside their edges (no decorate line from a label placed elsewhere).
    assert "concentrate=false" in drawn and "decorate" not in drawn
    # A role is global: drawn apart, never as hosted in a country outside the UK.
    role = next(n for n in graph.nodes if n.label == "aws_iam_role.support")
    assert role.identity
    groups = _groups(graph)
    assert "aws_iam_role.support" in {m.label for m in groups[GLOBAL]["aws roles"]["\x00"]}
    assert all(m.label != "aws_iam_role.support" for country in groups["Outside the UK"].values()
               for members in country.values() for m in members)


def test_without_graphviz_the_pack_renders_and_says_what_to_install(demo: dict,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import scanner.evidence.diagram as diagram

    monkeypatch.setattr(diagram.shutil, "which", lambda name: None)
    notes: list[str] = []
    html = render_html(build_pack([demo], _context()), notes=notes)
    assert 'id="network-diagram-source"' in html and "apt-get install graphviz" in html
    assert notes == [INSTALL_GRAPHVIZ] and "brew install graphviz" in notes[0]


def test_the_evidence_command_tells_stderr_when_graphviz_is_missing(demo: dict, tmp_path: Path) -> None:
    result = tmp_path / "demo.json"
    result.write_text(json.dumps(demo))
    (tmp_path / "bin").mkdir()
    done = _cli("evidence", str(result), "--format", "html", "--fail-on", "never",
                env={"PATH": str(tmp_path / "bin")})
    assert done.returncode == 0
    assert "apt-get install graphviz" in done.stderr and "brew install graphviz" in done.stderr


def test_the_commit_is_read_from_git_without_git(tmp_path: Path) -> None:
    git = tmp_path / "repo" / ".git"
    (git / "refs" / "heads").mkdir(parents=True)
    (git / "HEAD").write_text("ref: refs/heads/main\n")
    (git / "refs" / "heads" / "main").write_text(COMMIT + "\n")
    (tmp_path / "repo" / "infra").mkdir()
    assert git_commit(tmp_path / "repo" / "infra") == COMMIT
    (git / "refs" / "heads" / "main").unlink()
    (git / "packed-refs").write_text(f"# pack-refs with: peeled\n{COMMIT} refs/heads/main\n")
    assert git_commit(tmp_path / "repo") == COMMIT
    (git / "HEAD").write_text("ref: ../../../etc/passwd\n")
    assert git_commit(tmp_path / "repo") is None
    assert git_commit(tmp_path / "nowhere") is None


def test_source_date_epoch_sets_the_time() -> None:
    assert generated_at({"SOURCE_DATE_EPOCH": EPOCH}) == "2026-12-01 00:00 UTC"
    assert generated_at({"SOURCE_DATE_EPOCH": "soon"}).endswith(" UTC")  # ignored, never an error


def test_html_tables_keep_identifiers_whole(demo: dict) -> None:
    html = render_html(build_pack([demo], _context()), use_graphviz=False)
    assert "overflow-wrap: anywhere" not in html.split("@media print")[0]  # on screen, never inside a name
    assert "word-break: normal" in html and "white-space: nowrap" in html
    # Identifiers break only between their parts (after . / : _, and a hyphen), words never inside.
    assert "<td><code>aws_<wbr>s3_<wbr>bucket.<wbr>evidence_<wbr>dr</code></td>" in html
    assert '<code class="nw">aws_vpc.dr</code>' in html  # short: whole
    assert "@media print" in html and "break-before: page" in html
    # Only a code cell may break anywhere in print, and the wide 2.2 table is set smaller.
    print_css = html.split("@media print")[1].split("</style>")[0]
    # In print too an identifier breaks only between its parts (break-word never shrinks a column to a few
    # letters, as anywhere did); the 2.2 table has set column widths.
    assert "overflow-wrap: anywhere" not in print_css and "td code { overflow-wrap: break-word; }" in print_css
    assert "table.network { font-size: 7.5pt; table-layout: fixed; }" in print_css
    assert '<table class="network">' in html


def _blank(png: bytes) -> bool:
    """True when a PNG is one colour: decoded with zlib alone (8-bit RGB or RGBA, as Chromium writes them)."""
    import zlib

    width, height, depth, colour = struct.unpack(">IIBB", png[16:26])
    assert depth == 8 and colour in (2, 6)
    data, offset = b"", 8
    while offset < len(png):
        length, kind = struct.unpack(">I4s", png[offset:offset + 8])
        if kind == b"IDAT":
            data += png[offset + 8:offset + 8 + length]
        offset += 12 + length
    raw = zlib.decompress(data)
    stride = width * (3 if colour == 2 else 4) + 1
    # Filter bytes differ row to row; a page with any text has rows whose bytes are not all equal after filtering.
    return all(len(set(raw[row * stride + 1:(row + 1) * stride])) <= 1 for row in range(0, height, 7))


@pytest.mark.skipif(_CHROMIUM is None, reason="headless Chromium is not installed (Debian package `chromium`)")
@pytest.mark.slow  # a headless Chromium started for each page
def test_a_browser_renders_the_golden_pack_to_a_screenshot_that_is_not_blank(tmp_path: Path) -> None:
    shot = tmp_path / "golden.png"
    subprocess.run([_CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--screenshot={shot}", "--window-size=1280,2000", (GOLDEN / "demo.evidence.html").as_uri()],
                   capture_output=True, timeout=120, check=False)
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (1280, 2000)
    assert not _blank(png)


def _with_role_grants(demo: dict) -> dict:
    """The demo with the support role's policy naming the evidence bucket, as the scan records it (a grant on the
    bucket to the principal that can assume the role, declared by the role)."""
    import copy

    result = copy.deepcopy(demo)
    trust = next(g for g in result["inventory"]["grants"] if g["resource"] == "aws_iam_role.support")
    result["inventory"]["grants"].append({
        **trust, "resource": "aws_s3_bucket.evidence",
        "description": "policy aws_iam_role_policy.support of aws_iam_role.support names this resource; can assume "
                       "aws_iam_role.support under its trust policy"})
    return result


def test_section_4_lists_countries_reached_only_by_access_and_asks_for_the_tra(demo: dict) -> None:
    pack = build_pack([demo], _context())
    transfers = {t.country: t for t in pack.transfers}
    # India is reached only by the support role's principal: still a country DWP data is accessed from.
    assert transfers["IN"].name == "India" and transfers["IN"].adequacy == "none"
    assert transfers["IN"].how == ("accessed from",) and "IDTA" in transfers["IN"].needed
    assert "transfer risk assessment (TRA)" in transfers["IN"].needed
    assert any("arn:aws:iam::444455556666:root" in w for w in transfers["IN"].what)
    # The US row asks for the TRA too: the data bridge covers certified organisations only.
    assert "transfer risk assessment (TRA)" in transfers["US"].needed and "name it" in transfers["US"].needed
    assert transfers["US"].how == ("hosted", "copied", "telemetry")
    text = render_markdown(pack)
    assert "reaches or is accessed from" in text and "| How the data gets there |" in text
    # A principal the estate map does not place is a row of its own: "not established".
    import copy

    unplaced = copy.deepcopy(demo)
    for grant in unplaced["inventory"]["grants"]:
        if grant["resource"] == "aws_iam_role.support":
            grant.update(country=None, uk=None, owner=None)
    rows = {t.country: t for t in build_pack([unplaced], _context()).transfers}
    assert "IN" not in rows and "accessed from" in rows["not established"].how


def test_access_paths_say_what_a_role_reaches_or_that_the_scan_does_not_show_it(demo: dict) -> None:
    (path,) = build_pack([demo], _context()).access_paths
    assert path.route == "can assume aws_iam_role.support" and path.country == "IN"
    assert path.reaches.startswith("what the role reaches is not shown by the scan")
    section_31 = render_markdown(build_pack([demo])).split("## 2.3 and 3.1")[1].split("## Guardrails")[0]
    assert "can reach aws_iam_role.support" not in section_31
    pack = build_pack([_with_role_grants(demo)], _context())
    (path,) = pack.access_paths
    assert path.reached == ("aws_s3_bucket.evidence",)
    assert path.sentence().startswith("arn:aws:iam::444455556666:root (IN), Contractor Ltd (Pune delivery centre), "
                                      "can assume aws_iam_role.support, which reaches aws_s3_bucket.evidence")
    # Drawn as principal -> role -> the data it reaches, red: the principal is outside the UK.
    graph = build_graph(pack)
    labels = {n.id: n.label for n in graph.nodes}
    assert {(labels[a], labels[b], label) for a, b, label, _ in graph.access} == {
        ("arn:aws:iam::444455556666:root", "aws_iam_role.support", "can assume"),
        ("aws_iam_role.support", "aws_s3_bucket.evidence", "can reach")}
    assert all(offshore for *_, offshore in graph.access)


def test_a_peering_is_one_path_in_22_and_in_the_diagram(demo: dict) -> None:
    pack = build_pack([demo], _context())
    peerings = [p for p in pack.crossing if p.mechanism == "peering"]
    assert len(peerings) == 1 and "two-way" in peerings[0].description
    assert sum(1 for *_, label, _ in build_graph(pack).edges if label == "peering") == 1
    assert "6 paths carry DWP information" in render_markdown(pack)


def test_third_parties_are_named_by_organisation(demo: dict) -> None:
    recipients = {p.destination: p.recipient for p in build_pack([demo], _context()).crossing}
    assert recipients["external datadoghq.eu (DE)"] == "Datadog (third party; site EU1, host datadoghq.eu)"
    assert recipients["external api.honeycomb.io (US)"].startswith("Honeycomb (third party;")
    assert recipients["aws_s3_bucket.evidence_dr"].startswith("AWS (Amazon Web Services) as processor")


def test_the_cover_says_what_a_configuration_scan_covers_in_plain_plurals(demo: dict) -> None:
    text = render_markdown(build_pack([demo], _context()))
    cover = text.split("## 2.")[0]
    assert "- **Accounts and regions:** not applicable (configuration scan)" in cover
    assert "- **Subscriptions:** not applicable (configuration scan)" in cover
    assert "- **Deploys to:** aws: eu-west-2, us-east-1; azure: uksouth; gcp: EU, a region not established" in cover
    # The pack's own sentences (the findings' messages are the policies').
    assert not any(word in text for word in ("path(s)", "input(s)", "setting(s)")) and "from 13 inputs" in text


def test_the_protective_marking_is_at_the_top_and_foot_and_on_every_printed_page(demo: dict) -> None:
    pack = build_pack([demo], _context())
    assert pack.marking == "OFFICIAL-SENSITIVE"  # the default, and the highest the demo holds
    text = render_markdown(pack)
    assert text.startswith("**OFFICIAL-SENSITIVE**\n") and text.endswith("**OFFICIAL-SENSITIVE**\n")
    html = render_html(pack, use_graphviz=False)
    body = html.split("<body>")[1]
    assert body.lstrip().startswith('<div class="marking">OFFICIAL-SENSITIVE</div>')
    assert body.rstrip().endswith('<div class="marking">OFFICIAL-SENSITIVE</div>\n</body>\n</html>'.strip())
    page = html.split("@page {")[1]
    assert '@top-center { content: "OFFICIAL-SENSITIVE"' in page
    assert '@bottom-center { content: "OFFICIAL-SENSITIVE"' in page
    assert 'counter(page) " of " counter(pages)' in page
    # The config's protective_marking wins; a value cannot close the style element.
    marked = render_html(build_pack([demo], _context(marking='SECRET</style><script>"')), use_graphviz=False)
    assert "<script>" not in marked.split("</style>")[0] and marked.count("</style>") == 1
    # Annexes run on: only the questionnaire's sections start a printed page.
    assert '<h2 class="section">2.2 Network</h2>' in html and "<h2>Coverage</h2>" in html


def test_the_evidence_command_applies_its_config_and_lists_the_estate_map(demo: dict, tmp_path: Path) -> None:
    result = tmp_path / "demo.json"
    result.write_text(json.dumps(demo))
    config = tmp_path / "estate.yaml"
    config.write_text((ROOT / "fixtures/demo/offshore-scan.yaml").read_text()
                      + 'estate_name: "Claims Evidence Service (production)"\nprotective_marking: OFFICIAL-SENSITIVE\n'
                        "adequacy:\n  IE: {name: Ireland, scope: none}\n")
    made = _cli("evidence", str(result), "--config", str(config), "--fail-on", "never")
    assert made.returncode == 0, made.stderr
    assert "- **Estate:** Claims Evidence Service (production)" in made.stdout
    assert "| IE | Ireland | copied | none |" in made.stdout
    assert f"| {config} | config (the estate map" in made.stdout
    # The auto-found offshore-scan.yaml, from the directory evidence runs in, is applied too.
    (tmp_path / "offshore-scan.yaml").write_text(config.read_text())
    here = _cli("evidence", str(result), "--fail-on", "never", cwd=tmp_path)
    assert "- **Estate:** Claims Evidence Service (production)" in here.stdout


def test_the_json_result_records_the_config_and_the_pack_lists_what_it_placed(tmp_path: Path) -> None:
    scanned = json.loads(_cli("scan", "fixtures/demo", "--format", "json").stdout)
    assert scanned["config"] == "fixtures/demo/offshore-scan.yaml"
    # Made elsewhere, from the result alone: the config the scan read is an input, with the principal it placed.
    result = tmp_path / "demo.json"
    result.write_text(json.dumps(scanned))
    made = _cli("evidence", str(result), "--fail-on", "never", cwd=tmp_path)
    row = next(line for line in made.stdout.splitlines() if line.startswith("| fixtures/demo/offshore-scan.yaml |"))
    assert "config (the estate map" in row and "its estate map places arn:aws:iam::444455556666:root in IN" in row


@pytest.mark.skipif(_CHROMIUM is None, reason="headless Chromium is not installed (Debian package `chromium`)")
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext is not installed (Debian package "
                                                               "`poppler-utils`): the printed pages cannot be read")
def test_the_printed_pack_keeps_every_column_and_marks_and_numbers_every_page(tmp_path: Path) -> None:
    pdf = tmp_path / "pack.pdf"
    # The browser's own header and footer off: the pack prints its own marking, footer and page numbers.
    subprocess.run([_CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                    f"--print-to-pdf={pdf}", (GOLDEN / "demo.evidence.html").as_uri()],
                   capture_output=True, timeout=120, check=False)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, timeout=60,
                          check=True).stdout
    pages = [page for page in text.split("\f") if page.strip()]
    assert len(pages) > 3
    for number, page in enumerate(pages, 1):
        lines = [line.strip() for line in page.strip().splitlines() if line.strip()]
        assert lines[0] == "OFFICIAL-SENSITIVE" and "OFFICIAL-SENSITIVE" in lines[-1], number
        assert f"Page {number} of {len(pages)}" in lines[-1]
        # No near-empty page (a page holding only "Waivers: none").
        assert len(lines) > 4, (number, lines)
    network = next(page for page in pages if "2.2 Network" in page)
    header = next(line for line in network.splitlines() if line.lstrip().startswith("Source"))
    assert header.rstrip().endswith("In transit")  # the last column is on the page


# --- second assessment: key custody of UK data, one name per vendor, unplaced places, copies' markings, print ---

_CMK_ESTATE = """
provider "azurerm" {
  features {}
}
resource "azurerm_resource_group" "docs" {
  name     = "rg-docs"
  location = "uksouth"
  tags     = { "Service Owner" = "docs-team@dwp.gov.uk" }
}
resource "azurerm_key_vault" "cmk" {
  name                = "kv-docs-cmk-weu"
  location            = "westeurope"
  resource_group_name = azurerm_resource_group.docs.name
  tenant_id           = "00000000-0000-0000-0000-000000000000"
  sku_name            = "premium"
  tags                = { "Service Owner" = "docs-team@dwp.gov.uk" }
}
resource "azurerm_key_vault_key" "storage" {
  name         = "docs-storage-cmk"
  key_vault_id = azurerm_key_vault.cmk.id
  key_type     = "RSA-HSM"
  key_size     = 3072
  key_opts     = ["wrapKey", "unwrapKey"]
}
resource "azurerm_storage_account" "documents" {
  name                     = "stdocsprod"
  resource_group_name      = azurerm_resource_group.docs.name
  location                 = "uksouth"
  account_tier             = "Standard"
  account_replication_type = "GRS"
  tags                     = { DataClassification = "OFFICIAL-SENSITIVE" }
}
resource "azurerm_storage_account_customer_managed_key" "documents" {
  storage_account_id = azurerm_storage_account.documents.id
  key_vault_id       = azurerm_key_vault.cmk.id
  key_name           = azurerm_key_vault_key.storage.name
}
"""


@pytest.fixture(scope="module")
def cmk_estate(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A UK storage account (GRS, secondary in ukwest) whose customer-managed key, set by the separate
    azurerm_storage_account_customer_managed_key resource by vault and key name, is in a Key Vault in westeurope."""
    estate = tmp_path_factory.mktemp("cmk")
    (estate / "main.tf").write_text(_CMK_ESTATE)
    return json.loads(_cli("scan", str(estate), "--format", "json", "--fail-on", "never").stdout)


def test_a_separate_customer_managed_key_resource_is_its_accounts_key_and_no_data_path(cmk_estate: dict) -> None:
    resources = {r["id"]: r for r in cmk_estate["inventory"]["resources"]}
    key = resources["azurerm_storage_account.documents"]["key"]
    assert key["encrypted"] is True and key["kind"] == "customer" and key["key"] == "azurerm_key_vault_key.storage"
    assert key["location"]["region"] == "westeurope" and key["location"]["uk"] is False
    # A key reference is custody, not a path carrying DWP data to the key's country (no connected flow, no
    # OFS-CONN-001); the GRS copy in ukwest is the only path.
    assert [f["kind"] for f in cmk_estate["inventory"]["flows"]] == ["replication"]
    assert not any(f["rule_id"] == "OFS-CONN-001" for f in cmk_estate["findings"])


def test_uk_data_whose_key_is_held_abroad_has_a_custody_row_and_the_vault_says_what_it_protects(
        cmk_estate: dict) -> None:
    pack = build_pack([cmk_estate], _context())
    row = next(c for c in pack.custody if c.copy.startswith("azurerm_storage_account.documents"))
    assert "its copies in azure ukwest" in row.copy and row.location == "azure uksouth (GB)"
    assert row.key == "azurerm_key_vault_key.storage" and row.key_location == "outside the UK (azure westeurope, NL)"
    assert "its key is not" in row.encrypted
    # The vault abroad is where the key is held, with the marking of what it protects, not DWP data hosted there.
    nl = {t.country: t for t in pack.transfers}["NL"]
    assert nl.how == ("key held there",)
    assert nl.what == ("azurerm_key_vault.cmk: holds the key of azurerm_storage_account.documents, "
                       "OFFICIAL-SENSITIVE",)
    assert not any(p.mechanism == "connected" for p in pack.crossing)
    # Keys, vaults and resource groups are not counted as DWP information (section 2, 2.1).
    assert {t for t, *_ in pack.in_scope} == {"azurerm_storage_account"}
    assert {t for t, *_ in pack.holders} == {"azurerm_key_vault", "azurerm_resource_group"}
    assert all(s.type == "azurerm_storage_account" for s in pack.stored)
    text = render_markdown(pack)
    assert "| NL | azure | westeurope | 1 key |" in text
    # The diagram draws the vault abroad and a dotted custody line to it from the account, not a data path.
    graph = build_graph(pack)
    labels = {n.id: n.label for n in graph.nodes}
    assert [(labels[a], labels[b]) for a, b in graph.keys] == [("azurerm_storage_account.documents",
                                                                 "azurerm_key_vault.cmk")]
    assert 'style=dotted' in dot(graph) and '-.-o|"key held in"|' in mermaid(graph)


def test_a_uk_key_usable_by_a_principal_abroad_is_said_in_key_custody(demo: dict) -> None:
    import copy

    keyed = copy.deepcopy(demo)
    for resource in keyed["inventory"]["resources"]:
        if resource["id"] == "aws_s3_bucket.evidence":
            resource["key"] = {"encrypted": True, "key": "aws_kms_key.uk", "kind": "customer", "multi_region": False,
                               "how": [], "location": {"cloud": "aws", "region": "eu-west-2", "country": "GB",
                                                       "uk": True}}
    keyed["inventory"]["grants"].append({
        "resource": "aws_kms_key.uk", "principal": "arn:aws:iam::444455556666:root", "country": "IN",
        "description": "policy aws_iam_role_policy.support of aws_iam_role.support names this resource; can assume "
                       "aws_iam_role.support under its trust policy", "owner": "Contractor Ltd", "internal": False,
        "uk": False, "public": False, "readable": True, "declared_by": "aws_iam_role.support"})
    row = next(c for c in build_pack([keyed], _context()).custody if c.copy == "aws_s3_bucket.evidence")
    assert row.key_location == "in the UK (aws eu-west-2)"
    assert ("grant on the key to arn:aws:iam::444455556666:root (IN), Contractor Ltd through aws_iam_role.support: "
            "usable from outside the UK") in row.held_by
    # Without the grant, a UK key for UK data needs no row.
    assert not any(c.copy == "aws_s3_bucket.evidence" for c in build_pack([demo], _context()).custody)


def test_one_vendor_is_named_alike_whatever_path_reached_its_host(demo: dict) -> None:
    import copy

    from scanner.evidence.pack import vendor_of_host

    assert vendor_of_host("datadoghq.com") == ("Datadog", "US1")
    assert vendor_of_host("http-intake.logs.datadoghq.eu") == ("Datadog", "EU1")
    assert vendor_of_host("us9.datadoghq.com") == ("Datadog", "")  # a site the catalogue does not list
    assert vendor_of_host("collector.example.com") == (None, "")
    # A node agent whose DD_SITE is unset: the same name as a Lambda's DD_SITE, and the default is said.
    agent = copy.deepcopy(demo)
    for flow in agent["inventory"]["flows"]:
        if flow["target"].get("region") == "datadoghq.eu":
            flow["target"].update(region="datadoghq.com", country="US",
                                  note="DD_SITE is not set, so Datadog's default site is used: Datadog US1 (Virginia)")
    pack = build_pack([agent], _context())
    path = next(p for p in pack.crossing if p.place.region == "datadoghq.com")
    assert path.recipient == "Datadog (third party; site US1, host datadoghq.com)"
    assert "DD_SITE is not set, so Datadog's default site is used" in path.description
    held = next(c for c in pack.custody if c.copy.startswith("external datadoghq.com"))
    assert held.held_by.startswith("Datadog (third party)")


def test_places_not_established_have_a_section_4_row_and_key_custody(demo: dict) -> None:
    pack = build_pack([demo], _context())
    unplaced = {t.country: t for t in pack.transfers}["not established"]
    assert "google_bigquery_dataset.reporting" in unplaced.what and "hosted" in unplaced.how
    assert "establish the location" in unplaced.needed
    row = next(c for c in pack.custody if c.copy == "google_bigquery_dataset.reporting")
    assert row.location == "gcp unresolved" and row.key_location == "provider-managed"


def test_a_copy_carries_its_sources_marking_in_the_result_and_the_pack(demo: dict) -> None:
    # The DR bucket carries an owner tag only, and holds replicas of OFFICIAL-SENSITIVE evidence.
    resource = next(r for r in demo["inventory"]["resources"] if r["id"] == "aws_s3_bucket.evidence_dr")
    assert resource["marking"] == "OFFICIAL-SENSITIVE"
    assert resource["classification"] == ("tag Service Owner=claims-team@dwp.gov.uk; marked OFFICIAL-SENSITIVE as a "
                                          "copy of aws_s3_bucket.evidence")
    finding = next(f for f in demo["findings"] if f["resource"] == "aws_s3_bucket.evidence_dr")
    assert finding["rule_id"] == "OFS-HOST-001" and finding["severity"] == "critical"
    stored = next(s for s in build_pack([demo], _context()).stored if s.resource == "aws_s3_bucket.evidence_dr")
    assert stored.marking == "OFFICIAL-SENSITIVE"
    # Said as copied in section 4, not hosted only.
    assert "copied" in {t.country: t for t in build_pack([demo], _context()).transfers}["US"].how


def test_the_printed_footer_keeps_the_marking_whole_and_shortens_a_long_estate_name(demo: dict) -> None:
    long_name = "Benefits Documents Service (production) for the Northern Region and Scotland"
    html = render_html(build_pack([demo], _context(estate_name=long_name)), use_graphviz=False)
    page = html.split("@page {", 1)[1].split("@page landscape", 1)[0]
    assert "@bottom-center { content: \"OFFICIAL-SENSITIVE\"" in page and "white-space: nowrap" in page
    footer = page.split("@bottom-left { content: ", 1)[1].split(";", 1)[0]
    # Two lines: the pack and date, then the estate cut with an ellipsis.
    assert footer.startswith('"offshore-scan evidence pack \u00b7 2026-12-01 00:00 UTC\\a ')
    assert "Benefits Documents Service (production) for\u2026" in footer and long_name not in footer


_DB_USER_ESTATE = """
provider "aws" {
  region = "eu-west-2"
}
resource "aws_kms_key" "uk" {
  description = "claims"
  tags        = { "Service Owner" = "claims-team@dwp.gov.uk" }
}
resource "aws_db_instance" "claims" {
  identifier        = "claims"
  engine            = "postgres"
  instance_class    = "db.t3.micro"
  allocated_storage = 20
  storage_encrypted = true
  kms_key_id        = aws_kms_key.uk.arn
  tags              = { DataClassification = "OFFICIAL-SENSITIVE" }
}
resource "aws_iam_role" "support" {
  name = "offshore-support"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole",
                   Principal = { AWS = "arn:aws:iam::999988887777:root" } }]
  })
}
resource "aws_iam_role_policy" "support" {
  name = "support"
  role = aws_iam_role.support.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = ["kms:Decrypt"], Resource = [aws_kms_key.uk.arn] },
      { Effect = "Allow", Action = ["rds-db:connect"], Resource = ["arn:aws:rds-db:eu-west-2:*:dbuser:*/support_ro"] }
    ]
  })
}
"""


def test_a_database_user_grant_says_what_it_reaches_and_a_uk_key_usable_from_india_is_said(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(_DB_USER_ESTATE)
    (tmp_path / "offshore-scan.yaml").write_text(
        'estate:\n  accounts:\n    "999988887777": {owner: "Offshore Support Ltd", country: IN}\n')
    result = json.loads(_cli("scan", str(tmp_path), "--format", "json", "--fail-on", "never", cwd=tmp_path).stdout)
    grant = next(g for g in result["inventory"]["grants"] if g["resource"] == "aws_db_instance.claims")
    # rds-db:connect names a database user, not the database (access.yaml database_users): read as reaching the
    # databases of its region, with the user, and that IAM authentication is off.
    assert "allows rds-db:connect as database user support_ro" in grant["description"]
    assert "IAM database authentication is not enabled on it" in grant["description"]
    pack = build_pack([result], _context())
    route = next(a for a in pack.access_paths if a.route == "can assume aws_iam_role.support")
    assert "aws_db_instance.claims: allows rds-db:connect as database user support_ro" in route.reaches
    assert "the scan does not record the other actions they allow" in route.reaches
    row = next(c for c in pack.custody if c.copy == "aws_db_instance.claims")
    assert row.key == "aws_kms_key.uk" and row.key_location == "in the UK (aws eu-west-2)"
    assert "arn:aws:iam::999988887777:root (IN), Offshore Support Ltd through aws_iam_role.support" in row.held_by


_NODE_AGENT = """apiVersion: v1
kind: Namespace
metadata:
  name: benefits
  labels:
    dwp.gov.uk/classification: OFFICIAL-SENSITIVE
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: datadog-agent
  namespace: benefits
spec:
  selector:
    matchLabels: {app: datadog-agent}
  template:
    metadata:
      labels: {app: datadog-agent}
    spec:
      containers:
        - name: agent
          image: gcr.io/datadoghq/agent:7.54.0
          env:
            - name: DD_APM_ENABLED
              value: "true"
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: benefits-web
  namespace: benefits
spec:
  selector:
    matchLabels: {app: benefits-web}
  template:
    metadata:
      labels: {app: benefits-web}
    spec:
      containers:
        - name: web
          image: ghcr.io/example/web:2.1.0
          env:
            - name: DD_AGENT_HOST
              valueFrom:
                fieldRef: {fieldPath: status.hostIP}
"""


def test_a_node_agent_with_its_site_unset_is_named_by_its_vendor_and_says_what_it_carries(tmp_path: Path) -> None:
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "benefits.yaml").write_text(_NODE_AGENT)
    (tmp_path / "offshore-scan.yaml").write_text("cluster_region: uksouth\n")
    result = json.loads(_cli("scan", str(tmp_path), "--format", "json", "--fail-on", "never", cwd=tmp_path).stdout)
    pack = build_pack([result], _context())
    rows = {p.source: p for p in pack.crossing}
    web = rows["Deployment/benefits/benefits-web"]
    # Its tracer sends to the node's agent (DD_AGENT_HOST), whose trace intake is on: traces, not only metrics.
    assert "metrics and traces collection by DaemonSet/benefits/datadog-agent" in web.description
    for path in (web, rows["DaemonSet/benefits/datadog-agent"]):
        assert path.recipient == "Datadog (third party; site US1, host datadoghq.com)"
        assert "DD_SITE is not set, so Datadog's default site is used" in path.description
    assert not any("not in the endpoint catalogue" in p.recipient for p in pack.crossing)
    # One endpoint of one vendor is one place and one custody row, with its sources (2.1 keeps a row per source).
    [there] = [i for i in pack.offshore_items if i.place.region == "datadoghq.com"]
    assert there.name == ("external datadoghq.com (US): telemetry of DaemonSet/benefits/datadog-agent, "
                          "Deployment/benefits/benefits-web")
    assert [c.held_by for c in pack.custody if c.location == "external datadoghq.com (US)"] == [
        "Datadog (third party): name it in the contract"]
    assert sum(1 for s in pack.stored if s.place.region == "datadoghq.com") == 2


def test_copies_outside_the_uk_are_listed_in_2_1_with_their_sources_marking(demo: dict) -> None:
    stored = {s.resource: s for s in build_pack([demo], _context()).stored}
    replica = stored["aws eu-west-1 (IE): replication of aws_dynamodb_table.claims"]
    assert replica.type == "copy (replication) of aws_dynamodb_table" and replica.kind == "permanent"
    assert replica.place.side == "Outside the UK" and replica.marking == "OFFICIAL"
    telemetry = stored["external datadoghq.eu (DE): telemetry of aws_lambda_function.claims_api"]
    assert telemetry.marking == "OFFICIAL-SENSITIVE"


@pytest.mark.skipif(_CHROMIUM is None, reason="headless Chromium is not installed (Debian package `chromium`)")
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext is not installed (Debian package "
                                                               "`poppler-utils`): the printed pages cannot be read")
@pytest.mark.slow  # a headless Chromium
def test_a_long_estate_name_never_breaks_the_printed_marking_or_squeezes_the_source_column(demo: dict,
                                                                                            tmp_path: Path) -> None:
    page_html = tmp_path / "pack.html"
    page_html.write_text(render_html(build_pack([demo], _context(
        estate_name="Benefits Documents Service (production), Northern Region")), use_graphviz=False))
    pdf = tmp_path / "pack.pdf"
    subprocess.run([_CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                    f"--print-to-pdf={pdf}", page_html.as_uri()], capture_output=True, timeout=120, check=False)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, timeout=60,
                          check=True).stdout
    pages = [page for page in text.split("\f") if page.strip()]
    for number, page in enumerate(pages, 1):
        lines = [line.strip() for line in page.strip().splitlines() if line.strip()]
        footer = " ".join(lines[-3:])
        assert "OFFICIAL-SENSITIVE" in footer and f"Page {number} of {len(pages)}" in footer, (number, lines[-3:])
        assert not any(line.endswith("OFFICIAL-") or line.startswith("SENSITIVE") for line in lines[-3:]), number
    network = next(page for page in pages if "2.2 Network" in page)
    # The Source column holds an identifier's parts whole (aws_lambda_ / function. / claims_api), never 5 letters.
    assert "aws_lambda_" in network and "function." in network


def test_a_diagram_too_tall_for_one_landscape_page_prints_in_bands_at_the_page_width() -> None:
    from scanner.evidence.html import _bands

    tall = ('<svg width="1307pt" height="1211pt" viewBox="0.00 0.00 1307.00 1211.00" xmlns="http://www.w3.org/2000/svg">'
            '<g id="graph0"><text>aws_s3_bucket.evidence</text></g></svg>')
    printed = _bands(tall)
    # Labels at 3 points on one page; at the page's width 5.9 points, over three landscape pages.
    assert printed.count('class="band"') == 3 and "Diagram, part 3 of 3" in printed
    assert 'width="100%"' in printed and 'viewBox="0 0 1307 ' in printed and ' id="graph0"' not in printed
    # A drawing that fits the page at its width prints whole (no bands).
    assert _bands(tall.replace('1211', '537')) == ""  # 7.4-point labels on one page
    css = render_html(build_pack([json.loads((GOLDEN / "demo.json").read_text())], _context()), use_graphviz=False)
    assert ".diagram:has(+ .diagram-bands) { display: none; }" in css.split("@media print")[1]
