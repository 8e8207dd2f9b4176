"""Terraform's built-in functions, over plain Python values.

``FUNCTIONS`` holds every pure function of Terraform's standard library (collection, string, numeric,
encoding, hash, IP network, type conversion, deterministic date/time, and the ``provider::terraform``
functions). ``filesystem.FUNCTIONS`` reads files of the scanned tree, for configuration read from a
directory. ``NOT_EVALUATED`` holds the rest, each with the reason a static scan cannot know its result:
they read the clock or randomness, or were removed from the language (and the file functions, where no
scanned directory is behind the expression). ``try``, ``can``, ``templatestring`` and ``templatefile``
need the evaluator itself and live in ``expressions``.

Arguments arrive already evaluated and free of unknowns, except for the functions that
``expressions._UNKNOWN_TOLERANT`` lets handle them (``coalesce``, ``lookup``, ``merge``, ``jsonencode``).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from typing import Any

from providers.terraform.functions import collection, dates, encoding, ipnet, numeric, text
from providers.terraform.functions.errors import FunctionError
from providers.terraform.functions.tfvars import FUNCTIONS as TFVARS_FUNCTIONS

_FILESYSTEM = "reads a file, which offshore-scan does only for configuration read from a scanned directory"
_PLACE = "depends on the directory or home of the machine Terraform runs on"

NOT_EVALUATED: dict[str, str] = {
    **dict.fromkeys(("file", "filebase64", "fileexists", "fileset", "filemd5", "filesha1", "filesha256",
                     "filesha512", "filebase64sha256", "filebase64sha512", "templatefile"), _FILESYSTEM),
    "abspath": _PLACE,
    "pathexpand": _PLACE,
    "timestamp": "reads the clock at apply time",
    "plantimestamp": "reads the clock at plan time",
    "uuid": "is random at every run",
    "bcrypt": "is salted at random at every run",
    "rsadecrypt": "decrypts with a private key, which a scan never reads",
    "issensitive": "depends on sensitivity, which offshore-scan does not track",
    "type": "is only available in terraform console",
    "list": "was removed in Terraform 0.15 (use [...] or tolist)",
    "map": "was removed in Terraform 0.15 (use {...} or tomap)",
}
"""Functions whose result a static scan cannot know, with the reason (the ``Unknown`` says it)."""

FUNCTIONS: dict[str, Callable[..., Any]] = {
    **collection.FUNCTIONS,
    **text.FUNCTIONS,
    **numeric.FUNCTIONS,
    **encoding.FUNCTIONS,
    **ipnet.FUNCTIONS,
    **dates.FUNCTIONS,
    **TFVARS_FUNCTIONS,
    # Path functions that only look at the text of the path.
    "basename": lambda path: (posixpath.basename(str(path).rstrip("/")) or "/") if path else ".",
    "dirname": lambda path: posixpath.dirname(str(path)) or ".",
}
"""Every function offshore-scan evaluates, by name (``provider::terraform::`` names without the prefix)."""

__all__ = ["FUNCTIONS", "NOT_EVALUATED", "FunctionError"]
