"""Parse many HCL files: from the parse cache when it has them, across every core when there are
enough of them to be worth a process pool.

``parse_hcl`` is a pure function of a file's text, so results are cached by content and large
estates are parsed in worker processes. Small inputs stay in-process: starting workers costs more
than it saves below a few hundred kilobytes. A worker that dies (killed for memory, a crash in a
native library) costs only the file it was reading: the pool is rebuilt, the files in flight are
parsed again one at a time, and the one that kills its worker again is a gap naming it.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from providers.interface import too_large
from providers.terraform.hcl_syntax import HclFile, HclSyntaxError, parse_hcl
from providers.terraform.json_syntax import parse_json_config
from providers.terraform.parse_cache import ParseCache

PARALLEL_MIN_BYTES = 4 * 1024 * 1024
"""Below this much HCL to parse in total, parse in-process."""

WORKER_MEMORY_BYTES = 4 * 1024 * 1024 * 1024
"""Address-space limit of each parser worker: one pathological file fails with a MemoryError in its
own worker (a gap naming it) instead of exhausting the machine."""

Parsed = HclFile | HclSyntaxError | OSError | UnicodeDecodeError
"""A parsed file, or why it could not be read or parsed."""


class ParseAborted(HclSyntaxError):
    """Parsing stopped for want of resources (memory, a dead worker): said, but never cached, since
    another run on another machine may read the file."""

    def __reduce__(self) -> tuple[type[ParseAborted], tuple[str, int | None]]:
        return (ParseAborted, (str(self), self.line))


def parse_files(paths: Sequence[Path], max_bytes: int | None = None, cache: ParseCache | None = None) -> list[Parsed]:
    """One result per path, in order; never raises for a bad file. A file over ``max_bytes`` is not read."""
    results: list[Parsed | None] = [None] * len(paths)
    texts: dict[int, str] = {}
    for index, path in enumerate(paths):
        read = _read(path, max_bytes)
        if isinstance(read, str):
            texts[index] = read
        else:
            results[index] = read
    keys: dict[int, str] = {}
    if cache is not None:
        for index, text in texts.items():
            if paths[index].name.endswith(".tf.json"):
                continue  # keyed by text alone, a JSON file could be served an HCL file's parse; and it is quick
            keys[index] = cache.key(text)
            results[index] = cache.get(keys[index], str(paths[index]))
    todo = [index for index in texts if results[index] is None]
    parsed = _parse_texts([(texts[index], str(paths[index])) for index in todo])
    for index, result in zip(todo, parsed, strict=True):
        results[index] = result
        if cache is not None and index in keys and isinstance(result, HclFile | HclSyntaxError) \
                and not isinstance(result, ParseAborted):
            cache.put(keys[index], result)
    if cache is not None:
        cache.prune()
    return [result for result in results if result is not None]


def parse_file(path: Path) -> Parsed:
    """Read and parse one file, without the cache or a pool."""
    read = _read(path, None)
    return read if not isinstance(read, str) else parse_text(read, str(path))


def parse_text(text: str, path: str) -> HclFile | HclSyntaxError:
    """Parse one file's text; errors are returned, not raised, so they cross process boundaries."""
    try:
        if path.endswith(".tf.json"):
            return parse_json_config(text, path)
        return parse_hcl(text, path)
    except HclSyntaxError as error:
        return error
    except RecursionError:
        return HclSyntaxError("nested too deeply to read", None)
    except MemoryError:
        return ParseAborted("ran out of memory while parsing this file; it was not scanned", None)
    except (ValueError, OverflowError) as error:
        # Whatever else one file's text provokes costs that file alone, said in words.
        return HclSyntaxError(f"cannot be read ({type(error).__name__}: {str(error)[:200]})", None)


def _read(path: Path, max_bytes: int | None) -> str | OSError | UnicodeDecodeError:
    try:
        status = path.stat()
        if not stat.S_ISREG(status.st_mode):
            # A FIFO would block the read forever, a device never ends: never opened.
            return OSError("not a regular file (a FIFO, device or socket); it was not read")
        if max_bytes is not None and status.st_size > max_bytes:
            return OSError(too_large(status.st_size, max_bytes))
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return error


def _parse_texts(items: list[tuple[str, str]]) -> list[HclFile | HclSyntaxError]:
    workers = _worker_count()
    if workers > 1 and len(items) > 1 and sum(len(text) for text, _ in items) >= PARALLEL_MIN_BYTES:
        return _parse_in_pool(items, workers)
    return [parse_text(text, path) for text, path in items]


def _parse_in_pool(items: list[tuple[str, str]], workers: int) -> list[HclFile | HclSyntaxError]:
    results: list[HclFile | HclSyntaxError | None] = [None] * len(items)
    # Largest first, so one big file does not finish last on a single core.
    order = sorted(range(len(items)), key=lambda i: -len(items[i][0]))
    try:
        with ProcessPoolExecutor(max_workers=workers, initializer=_limit_memory) as pool:
            futures: dict[Future[HclFile | HclSyntaxError], int] = {
                pool.submit(parse_text, *items[index]): index for index in order
            }
            for future in as_completed(futures):
                # A worker that dies breaks the pool; every file not yet answered is parsed again below.
                with contextlib.suppress(BrokenProcessPool):
                    results[futures[future]] = future.result()
    except BrokenProcessPool:
        pass
    unanswered = [index for index in order if results[index] is None]
    if unanswered:
        _parse_one_at_a_time(items, unanswered, results)
    return [result for result in results if result is not None]


def _parse_one_at_a_time(items: list[tuple[str, str]], indexes: list[int],
                         results: list[HclFile | HclSyntaxError | None]) -> None:
    """With one file in flight, a worker that dies names the file that killed it."""
    pool = ProcessPoolExecutor(max_workers=1, initializer=_limit_memory)
    try:
        for index in indexes:
            try:
                results[index] = pool.submit(parse_text, *items[index]).result()
            except BrokenProcessPool:
                results[index] = ParseAborted("the parser process died reading this file (out of memory, or a "
                                              "crash in the parser); it was not scanned", None)
                pool.shutdown(wait=True)
                pool = ProcessPoolExecutor(max_workers=1, initializer=_limit_memory)
    finally:
        pool.shutdown(wait=True)


def _limit_memory() -> None:
    try:
        import resource
    except ImportError:  # not on POSIX: the operating system's own limits apply
        return
    limit = int(os.environ.get("OFFSHORE_SCAN_WORKER_MEMORY_MB", "0")) * 1024 * 1024 or WORKER_MEMORY_BYTES
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard == resource.RLIM_INFINITY or hard > limit:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _worker_count() -> int:
    configured = os.environ.get("OFFSHORE_SCAN_WORKERS")
    if configured and configured.isdigit():
        return max(1, int(configured))
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
