"""The parse cache: an unchanged file is parsed once, a bad entry is never trusted, and the cache is
bounded, concurrent-safe and optional. A parser worker that dies costs its own file only."""

from __future__ import annotations

import json
import multiprocessing
import os
import pickle
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from providers.terraform import hcl_syntax as syn
from providers.terraform import parallel_parse
from providers.terraform.parallel_parse import ParseAborted, parse_files
from providers.terraform.parse_cache import _MAGIC, ParseCache

ROOT = Path(__file__).resolve().parent.parent
MAIN = 'resource "aws_s3_bucket" "b" {\n  bucket = "claims-${var.env}"\n  tags   = { Owner = "DWP" }\n}\n'


def _entries(cache: ParseCache) -> list[Path]:
    return sorted(p for p in cache.directory.rglob("*") if p.is_file())


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_second_parse_comes_from_the_cache_with_the_files_own_path(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    cache = ParseCache(tmp_path / "cache")
    first = _write(tmp_path, "a.tf", MAIN)
    [parsed] = parse_files([first], cache=cache)
    assert isinstance(parsed, syn.HclFile) and len(_entries(cache)) == 1

    def never(text: str, path: str) -> syn.HclFile:
        raise AssertionError("parsed again")

    monkeypatch.setattr(parallel_parse, "parse_hcl", never)
    copy = _write(tmp_path, "copy.tf", MAIN)
    [cached] = parse_files([copy], cache=ParseCache(tmp_path / "cache"))
    assert cached == syn.HclFile(str(copy), parsed.attributes, parsed.blocks)


def test_syntax_errors_are_cached_with_their_line(tmp_path: Path) -> None:
    cache = ParseCache(tmp_path / "cache")
    bad = _write(tmp_path, "bad.tf", 'resource "a" "b" {\n  x = \n}\n')
    [first] = parse_files([bad], cache=cache)
    [second] = parse_files([bad], cache=cache)
    assert isinstance(first, syn.HclSyntaxError) and isinstance(second, syn.HclSyntaxError)
    assert (str(second), second.line) == (str(first), first.line)


@pytest.mark.parametrize("damage", ["truncate", "flip", "empty", "foreign"])
def test_a_damaged_entry_is_parsed_again_and_replaced(tmp_path: Path, damage: str) -> None:
    cache = ParseCache(tmp_path / "cache")
    path = _write(tmp_path, "a.tf", MAIN)
    [expected] = parse_files([path], cache=cache)
    [entry] = _entries(cache)
    blob = entry.read_bytes()
    entry.write_bytes({"truncate": blob[: len(blob) // 2], "flip": blob[:-1] + bytes([blob[-1] ^ 1]), "empty": b"",
                       "foreign": json.dumps({"not": "a cache entry"}).encode()}[damage])
    [again] = parse_files([path], cache=ParseCache(tmp_path / "cache"))
    assert again == expected
    assert entry.read_bytes() == blob


def test_an_entry_that_would_run_code_is_refused(tmp_path: Path) -> None:
    cache = ParseCache(tmp_path / "cache")
    path = _write(tmp_path, "a.tf", MAIN)
    [expected] = parse_files([path], cache=cache)
    [entry] = _entries(cache)
    marker = tmp_path / "ran"

    class Exploit:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.system, (f"touch {marker}",))

    import hashlib

    payload = pickle.dumps(Exploit())
    entry.write_bytes(_MAGIC + hashlib.sha256(payload).digest() + payload)
    [again] = parse_files([path], cache=ParseCache(tmp_path / "cache"))
    assert again == expected and not marker.exists()


def test_concurrent_writers_and_readers_never_see_half_an_entry(tmp_path: Path) -> None:
    texts = [MAIN.replace("claims", f"claims-{i}") for i in range(20)]
    parsed = {text: syn.parse_hcl(text, "x.tf") for text in texts}
    failures: list[str] = []

    def work() -> None:
        cache = ParseCache(tmp_path / "cache")
        for _ in range(5):
            for text in texts:
                key = cache.key(text)
                hit = cache.get(key, "x.tf")
                if hit is not None and hit != parsed[text]:
                    failures.append(text)
                cache.put(key, parsed[text])

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    assert len(_entries(ParseCache(tmp_path / "cache"))) == len(texts)


def test_the_cache_is_pruned_to_its_bound_oldest_first(tmp_path: Path) -> None:
    cache = ParseCache(tmp_path / "cache", max_bytes=4000)
    paths = [_write(tmp_path, f"f{i}.tf", MAIN.replace("claims", "c" * (i + 1) * 50)) for i in range(30)]
    for path in paths:
        parse_files([path], cache=cache)
        os.utime(cache.directory, None)
    total = sum(p.stat().st_size for p in _entries(cache))
    assert 0 < total <= 4000
    newest = cache.key(paths[-1].read_text())
    assert cache.get(newest, "f.tf") is not None


def test_the_key_changes_with_the_parser_version(monkeypatch: pytest.MonkeyPatch) -> None:
    before = ParseCache.key(MAIN)
    monkeypatch.setattr(syn, "PARSER_VERSION", syn.PARSER_VERSION + "-next")
    assert ParseCache.key(MAIN) != before


def _scan(directory: Path, cache_dir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "OFFSHORE_SCAN_CACHE_DIR": str(cache_dir)}
    return subprocess.run([sys.executable, "-m", "scanner.cli", "scan", str(directory), "--format", "json", *extra],
                          capture_output=True, text=True, env=environment, cwd=ROOT, check=False)


def test_no_cache_writes_nothing_and_an_unusable_cache_costs_nothing(tmp_path: Path) -> None:
    cold = _scan(ROOT / "fixtures" / "demo", tmp_path / "fresh", "--no-cache")
    assert not (tmp_path / "fresh").exists()
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache directory would be")
    unusable = _scan(ROOT / "fixtures" / "demo", blocked)
    assert unusable.returncode == cold.returncode and unusable.stdout == cold.stdout, unusable.stderr
    cached = _scan(ROOT / "fixtures" / "demo", tmp_path / "cache")
    warm = _scan(ROOT / "fixtures" / "demo", tmp_path / "cache")
    assert cached.stdout == warm.stdout == cold.stdout
    assert any((tmp_path / "cache").rglob("*"))


@pytest.mark.skipif(multiprocessing.get_start_method() != "fork",
                    reason="replacing the worker's parse function needs fork-started workers")
def test_a_worker_that_dies_costs_only_its_own_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = syn.parse_hcl

    def parse_or_die(text: str, path: str) -> syn.HclFile:
        if "die here" in text:
            os._exit(9)  # as the kernel's out-of-memory killer would end it
        return real(text, path)

    # Workers are forked after this, so they call the replacement.
    monkeypatch.setattr(parallel_parse, "parse_hcl", parse_or_die)
    monkeypatch.setattr(parallel_parse, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setenv("OFFSHORE_SCAN_WORKERS", "2")
    paths = [_write(tmp_path, f"f{i}.tf", MAIN.replace("claims", f"c{i}")) for i in range(8)]
    paths.insert(3, _write(tmp_path, "killer.tf", "# die here\n" + MAIN))
    results = parse_files(paths)
    assert isinstance(results[3], ParseAborted) and "parser process died" in str(results[3])
    assert all(isinstance(r, syn.HclFile) for i, r in enumerate(results) if i != 3)


def test_an_entry_moved_under_another_files_key_is_refused(tmp_path: Path) -> None:
    # An entry names the content it was parsed from: renamed to another file's key, it parses nothing.
    from providers.terraform.hcl_syntax import parse_hcl
    from providers.terraform.parse_cache import ParseCache

    cache = ParseCache(tmp_path / "cache")
    one, other = 'resource "aws_s3_bucket" "a" {}\n', 'resource "aws_s3_bucket" "b" {}\n'
    cache.put(cache.key(one), parse_hcl(one, "one.tf"))
    planted = cache._entry(cache.key(other))
    planted.parent.mkdir(parents=True, exist_ok=True)
    planted.write_bytes(cache._entry(cache.key(one)).read_bytes())
    assert cache.get(cache.key(other), "other.tf") is None
    assert not planted.exists()  # deleted, so the next run parses and stores the real one
    assert cache.get(cache.key(one), "one.tf") is not None


def test_the_cache_directory_is_created_private_and_one_others_can_write_is_not_used(tmp_path: Path) -> None:
    from providers.terraform.hcl_syntax import parse_hcl
    from providers.terraform.parse_cache import ParseCache

    private = ParseCache(tmp_path / "new")
    assert (tmp_path / "new").stat().st_mode & 0o777 == 0o700 and private.distrusted is None
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    cache = ParseCache(shared)
    assert cache.distrusted is not None and "written by other users" in cache.distrusted
    text = 'resource "aws_s3_bucket" "a" {}\n'
    cache.put(cache.key(text), parse_hcl(text, "a.tf"))
    assert cache.get(cache.key(text), "a.tf") is None and not any(shared.iterdir())
