"""Files the user names (config, waivers, baselines, results to merge): regular files only, read whole.

A FIFO would block the scan forever, a device could be read without end, a directory or a dangling symlink is a
mistake: each is one line naming the file, never the defaults silently and never a hang.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

MAX_USER_FILE_BYTES = 64 * 1024 * 1024
"""A config, waivers file or baseline larger than this is refused before it is read."""


class UserFileError(Exception):
    """A named file that cannot be used; the message names it and says why."""


def read_user_text(path: Path, what: str, limit: int = MAX_USER_FILE_BYTES) -> str:
    """The UTF-8 text of ``path`` (a ``what``: "config file"), or ``UserFileError`` saying why not."""
    try:
        info = os.stat(path)  # follows symlinks: a dangling one is FileNotFoundError
    except FileNotFoundError:
        dangling = os.path.islink(path)
        raise UserFileError(f"{path}: {what} {'is a symlink to nothing' if dangling else 'does not exist'}") from None
    except OSError as error:
        raise UserFileError(f"{path}: cannot read {what}: {error.strerror or error}") from None
    if stat.S_ISDIR(info.st_mode):
        raise UserFileError(f"{path}: {what} is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise UserFileError(f"{path}: {what} is not a regular file (a FIFO, socket or device would be read "
                            "without end); give a file")
    if info.st_size > limit:
        raise UserFileError(f"{path}: {what} is {info.st_size:,} bytes, more than the {limit:,} a {what} may be")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UserFileError(f"{path}: cannot read {what}: it is not UTF-8 text") from None
    except OSError as error:
        raise UserFileError(f"{path}: cannot read {what}: {error.strerror or error}") from None
