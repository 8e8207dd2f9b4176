"""Fingerprints identify a finding for baselines and waivers: they survive reworded messages, moved
blocks and renamed or reordered files, and still tell two different findings apart."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

from helpers import scan_directory

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "fixtures" / "demo"


def _fingerprints(directory: Path) -> dict[str, tuple[str, str]]:
    inventory, findings = scan_directory(directory)
    assert not [g for g in inventory.coverage if g.incomplete]
    return {f.fingerprint: (f.rule_id, f.resource.id) for f in findings}


def test_fingerprints_are_unique_within_a_scan() -> None:
    _, findings = scan_directory(DEMO)
    assert len({f.fingerprint for f in findings}) == len(findings) > 10


def test_moving_blocks_and_renaming_files_keeps_every_fingerprint(tmp_path: Path) -> None:
    moved = tmp_path / "demo"
    shutil.copytree(DEMO, moved)
    for index, path in enumerate(sorted(moved.glob("*.tf"))):
        text = path.read_text()
        path.unlink()
        # New lines above every block, and a new file name that sorts the files in another order.
        moved_text = "\n\n# moved\n\n" + text.replace("\nresource ", "\n\n\nresource ")
        (moved / f"{99 - index:02d}-{path.name}").write_text(moved_text)
    assert _fingerprints(moved) == _fingerprints(DEMO)


def test_rewording_a_message_keeps_the_fingerprint() -> None:
    _, findings = scan_directory(DEMO)
    for finding in findings:
        assert replace(finding, message="reworded", remediation="also reworded").fingerprint == finding.fingerprint


def test_findings_that_differ_in_what_was_judged_differ_in_fingerprint() -> None:
    _, findings = scan_directory(DEMO)
    finding = next(f for f in findings if f.target is not None)
    elsewhere = replace(finding, target=replace(finding.target, region="ap-south-1"))
    assert elsewhere.fingerprint != finding.fingerprint
    assert replace(finding, judged="replication to another bucket").fingerprint != finding.fingerprint
    assert replace(finding, rule_id="OFS-OTHER-001").fingerprint != finding.fingerprint
