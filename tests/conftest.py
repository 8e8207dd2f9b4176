"""Test-session settings shared by every test module."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import pytest

# Scans in tests (in-process and CLI subprocesses alike) cache parses in a directory of their own,
# never in the user's cache.
if "OFFSHORE_SCAN_CACHE_DIR" not in os.environ:
    _cache = tempfile.mkdtemp(prefix="offshore-scan-test-cache-")
    os.environ["OFFSHORE_SCAN_CACHE_DIR"] = _cache
    atexit.register(shutil.rmtree, _cache, ignore_errors=True)

# moto loads some 3,000 public AMIs (and their snapshots) into every region's EC2 backend it creates: each live scan
# asks every enabled region for its snapshot copies, and moto then answers each with the public snapshots of other
# owners, a second or more a region. No test needs them; a test about other owners' snapshots makes its own.
os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")


def pytest_configure(config: pytest.Config) -> None:
    # End-to-end tests taking many seconds each (fault matrices, sharded organisation audits through the CLI, the
    # pre-commit hook installed from the package index): `-m "not slow"` leaves them out, for a quick loop.
    config.addinivalue_line("markers", "slow: an end-to-end test taking many seconds; -m 'not slow' leaves it out")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Files holding slow tests first, each file's tests in their own order. Under pytest-xdist (``--dist
    loadfile``) a file is one unit given to the next free worker: a long end-to-end file scheduled last runs alone
    while the other worker idles; scheduled first, the short files fill in around it."""
    slow_files = {item.path for item in items if item.get_closest_marker("slow") is not None}
    items.sort(key=lambda item: item.path not in slow_files)  # stable: files and tests keep their order
