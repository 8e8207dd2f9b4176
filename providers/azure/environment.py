"""The Azure SDK's settings from the environment, checked before any credential or client is made.

azure-identity reads ``AZURE_AUTHORITY_HOST`` when a credential is built and fails only when a token is
asked for, several credentials deep, in a dozen lines that never name the variable. Here a value that
cannot be a sign-in authority is one line naming it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from providers.live.errors import ConfigurationError

_HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$|^localhost$")
"""A DNS name of at least two labels (``login.microsoftonline.com``), or localhost."""


def authority_problem(value: str) -> str | None:
    """What keeps ``value`` from being a sign-in authority (an https URL or a bare host name), or None."""
    url = value if "://" in value else f"https://{value}"
    parts = urlsplit(url)
    if parts.scheme != "https":
        return "not an https URL (azure-identity signs in over TLS only)"
    host = (parts.hostname or "").lower()
    if not _HOST.match(host) or any(c.isspace() for c in value):
        return "not a sign-in authority host (such as login.microsoftonline.com)"
    return None


def check(environ: Mapping[str, str] | None = None) -> None:
    """``ConfigurationError`` naming the first variable the Azure SDK could not use."""
    env = os.environ if environ is None else environ
    value = env.get("AZURE_AUTHORITY_HOST")
    if value is not None and (problem := authority_problem(value)) is not None:
        raise ConfigurationError(f"AZURE_AUTHORITY_HOST={value!r}: {problem}; correct or unset it, and try again")
