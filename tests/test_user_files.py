"""Files the user names or leaves where the scanner looks (config, waivers): anything that is not a regular file
is one line naming it, exit 2, never the defaults and never a hang; YAML values it cannot build name their key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

MAIN_TF = 'provider "aws" {\n  region = "eu-west-2"\n}\n\nresource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\n'


def _scan(directory: Path, *args: str) -> tuple[int, str]:
    done = subprocess.run([sys.executable, "-m", "scanner.cli", "scan", str(directory), "--format", "json", *args],
                          capture_output=True, text=True, cwd=directory, check=False, timeout=60)
    return done.returncode, done.stderr


@pytest.fixture()
def estate(tmp_path: Path) -> Path:
    (tmp_path / "main.tf").write_text(MAIN_TF)
    return tmp_path


@pytest.mark.parametrize("make, said", [
    (lambda p: p.mkdir(), "is a directory"),
    (lambda p: p.symlink_to(p.parent / "nowhere.yaml"), "symlink to nothing"),
    (lambda p: os.mkfifo(p), "not a regular file"),
])
def test_a_config_by_name_that_is_not_a_file_is_an_error_never_the_defaults(estate: Path, make, said: str) -> None:
    make(estate / "offshore-scan.yaml")
    code, stderr = _scan(estate)
    assert code == 2 and said in stderr and "offshore-scan.yaml" in stderr and "Traceback" not in stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_an_unreadable_config_is_an_error(estate: Path) -> None:
    config = estate / "offshore-scan.yaml"
    config.write_text("scope: all\n")
    config.chmod(0)
    code, stderr = _scan(estate)
    assert code == 2 and "cannot read config file" in stderr


@pytest.mark.parametrize("text, said", [
    ("fail_on: high\ndwp:\n  owner_patterns: [!!float 'abc']\n", "offshore-scan.yaml:3: dwp.owner_patterns[0]"),
    ("scope: all\nscope: tagged\n", "defined twice"),
    ("upstream_images: ['']\n", "upstream_images holds an empty string"),
    ("dwp:\n  owner_patterns: ['  ']\n", "dwp.owner_patterns holds an empty string"),
    ("a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
     "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
     "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n", "alias"),
])
def test_config_yaml_a_loader_cannot_build_is_one_line_naming_the_key(estate: Path, text: str, said: str) -> None:
    (estate / "offshore-scan.yaml").write_text(text)
    code, stderr = _scan(estate)
    assert code == 2 and said in stderr and "Traceback" not in stderr
    assert stderr.count("\n") == 1


def test_a_baseline_that_is_a_fifo_or_holds_no_fingerprints_is_refused(estate: Path) -> None:
    fifo = estate / "baseline.fifo"
    os.mkfifo(fifo)
    code, stderr = _scan(estate, "--baseline", str(fifo))
    assert code == 2 and "not a regular file" in stderr
    forged = estate / "baseline.json"
    forged.write_text('{"findings": [{"fingerprint": 12345}]}')
    code, stderr = _scan(estate, "--baseline", str(forged))
    assert code == 2 and "is not 16 hex digits" in stderr and "Traceback" not in stderr
