"""Parse many HCL files, in parallel when there are enough of them to be worth a process pool.

``parse_hcl`` is a pure function of a file's text, and Lark's pure-Python parser is the dominant
cost of a large scan (about 90% of it), so large estates are parsed across every core. Small inputs
stay in-process: starting workers costs more than it saves below a few hundred kilobytes.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from providers.interface import too_large
from providers.terraform.hcl_syntax import HclFile, HclSyntaxError, parse_hcl

PARALLEL_MIN_BYTES = 256 * 1024
"""Below this much HCL in total, parse in-process."""

Parsed = HclFile | HclSyntaxError | OSError | UnicodeDecodeError
"""A parsed file, or why it could not be read or parsed."""


def parse_files(paths: Sequence[Path], max_bytes: int | None = None) -> list[Parsed]:
    """One result per path, in order; never raises for a bad file. A file over ``max_bytes`` is not read."""
    sizes = []
    for path in paths:
        try:
            sizes.append(path.stat().st_size)
        except OSError:
            sizes.append(0)
    if max_bytes is not None and any(size > max_bytes for size in sizes):
        too_big = {i for i, size in enumerate(sizes) if size > max_bytes}
        kept = [p for i, p in enumerate(paths) if i not in too_big]
        parsed = iter(parse_files(kept))
        return [OSError(too_large(sizes[i], max_bytes)) if i in too_big else next(parsed) for i in range(len(paths))]
    workers = _worker_count()
    if workers > 1 and len(paths) > 1 and sum(sizes) >= PARALLEL_MIN_BYTES:
        # Largest first, so one big file does not finish last on a single core.
        order = sorted(range(len(paths)), key=lambda i: -sizes[i])
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(parse_file, [paths[i] for i in order], chunksize=4))
        ordered: list[Parsed] = [results[0]] * len(paths)
        for position, index in enumerate(order):
            ordered[index] = results[position]
        return ordered
    return [parse_file(path) for path in paths]


def parse_file(path: Path) -> Parsed:
    """Read and parse one file; errors are returned, not raised, so they cross process boundaries."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            # A FIFO would block the read forever, a device never ends: never opened.
            return OSError("not a regular file (a FIFO, device or socket); it was not read")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return error
    try:
        return parse_hcl(text, str(path))
    except HclSyntaxError as error:
        return error
    except RecursionError:
        return HclSyntaxError("nested too deeply to read", None)
    except (ValueError, OverflowError, MemoryError) as error:
        # Whatever else one file's text provokes costs that file alone, said in words.
        return HclSyntaxError(f"cannot be read ({type(error).__name__}: {str(error)[:200]})", None)


def _worker_count() -> int:
    configured = os.environ.get("OFFSHORE_SCAN_WORKERS")
    if configured and configured.isdigit():
        return max(1, int(configured))
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
