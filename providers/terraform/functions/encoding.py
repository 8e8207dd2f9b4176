"""Encoding and hash functions: base64, JSON, YAML, CSV, URL, digests, UUID v5."""

from __future__ import annotations

import base64
import binascii
import json
import urllib.parse
from typing import Any

import yaml

from providers.semantics.records import first_unknown
from providers.terraform.functions.errors import FunctionError
from providers.terraform.functions.text import to_string


def jsonencode(value: Any) -> Any:
    """``jsonencode``; a value with an unknown inside keeps its partly known structure.

    A policy with one computed ARN in it is still a policy: readers of policy documents accept a mapping,
    so keeping it loses one principal to the unknown instead of all of them.
    """
    if first_unknown(value) is not None:
        return value
    return json.dumps(value, separators=(",", ":"), sort_keys=True)



def jsondecode(text: str) -> Any:
    """``jsondecode``."""
    try:
        return json.loads(text)
    except ValueError as error:
        raise FunctionError(f"invalid JSON: {error}") from None


def yamldecode(text: str) -> Any:
    """``yamldecode``: one document, safe loader (no tags that build objects)."""
    try:
        documents = list(yaml.safe_load_all(text))
    except yaml.YAMLError as error:
        raise FunctionError(f"invalid YAML: {error}") from None
    if len(documents) > 1:
        raise FunctionError("yamldecode() takes one YAML document")
    return documents[0] if documents else None


def base64decode(text: str) -> str:
    """``base64decode``: the result must be UTF-8."""
    try:
        return base64.b64decode(text, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as error:
        raise FunctionError(f"base64decode(): {error}") from None


def csvdecode(text: str) -> list[dict[str, str]]:
    """``csvdecode``: the first line names the columns."""
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return []
    header, body = rows[0], rows[1:]
    if any(len(row) != len(header) for row in body):
        raise FunctionError("csvdecode(): every row needs as many fields as the header")
    return [dict(zip(header, row, strict=True)) for row in body]


def textencodebase64(text: str, encoding: str) -> str:
    """``textencodebase64``."""
    try:
        return base64.b64encode(to_string(text).encode(encoding)).decode("ascii")
    except LookupError:
        raise FunctionError(f"unknown encoding {encoding!r}") from None


def textdecodebase64(text: str, encoding: str) -> str:
    """``textdecodebase64``."""
    try:
        return base64.b64decode(text).decode(encoding)
    except (LookupError, binascii.Error, UnicodeDecodeError) as error:
        raise FunctionError(f"textdecodebase64(): {error}") from None


def uuidv5(namespace: str, name: str) -> str:
    """``uuidv5``: deterministic, from a namespace (``dns``, ``url``, ``oid``, ``x500`` or a UUID) and a name."""
    # Imported on use, as are csv, gzip and hashlib: most scans call none of them.
    import uuid

    spaces = {"dns": uuid.NAMESPACE_DNS, "url": uuid.NAMESPACE_URL, "oid": uuid.NAMESPACE_OID,
              "x500": uuid.NAMESPACE_X500}
    try:
        space = spaces.get(namespace) or uuid.UUID(namespace)
    except ValueError:
        raise FunctionError(f"{namespace!r} is not a UUID namespace") from None
    return str(uuid.uuid5(space, name))


def _gzip(data: bytes) -> bytes:
    import gzip

    return gzip.compress(data, mtime=0)


def _digest(algorithm: str, encode: str) -> Any:
    def function(text: Any) -> str:
        import hashlib

        digest = hashlib.new(algorithm, to_string(text).encode("utf-8"))
        return digest.hexdigest() if encode == "hex" else base64.b64encode(digest.digest()).decode("ascii")

    return function


FUNCTIONS = {
    "base64decode": base64decode,
    "base64encode": lambda s: base64.b64encode(to_string(s).encode("utf-8")).decode("ascii"),
    "base64gzip": lambda s: base64.b64encode(_gzip(to_string(s).encode("utf-8"))).decode("ascii"),
    "base64sha256": _digest("sha256", "base64"),
    "base64sha512": _digest("sha512", "base64"),
    "csvdecode": csvdecode,
    "jsondecode": jsondecode,
    "jsonencode": jsonencode,
    "md5": _digest("md5", "hex"),
    "sha1": _digest("sha1", "hex"),
    "sha256": _digest("sha256", "hex"),
    "sha512": _digest("sha512", "hex"),
    "textdecodebase64": textdecodebase64,
    "textencodebase64": textencodebase64,
    "urlencode": lambda s: urllib.parse.quote_plus(to_string(s)),
    "uuidv5": uuidv5,
    "yamldecode": yamldecode,
    "yamlencode": lambda value: yaml.safe_dump(value, sort_keys=True, default_flow_style=False),
}
"""Encoding and hash functions by name."""
