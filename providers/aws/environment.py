"""The AWS SDK's settings from the environment and the config files, checked before any session is made.

botocore reads them lazily and fails deep inside a call (``int('abc')`` for ``AWS_MAX_ATTEMPTS=abc``,
``Invalid endpoint`` for a URL with a space, ``ConfigParseError`` for a garbled ``~/.aws/config``): a
traceback, or a vague internal error. Here each becomes one line naming the variable or the file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import urlsplit

from providers.live.errors import ConfigurationError

_REGION = re.compile(r"^(?![0-9]+$)(?!-)[a-zA-Z0-9-]{1,63}(?<!-)$")
"""botocore's own test of a region name (a host label)."""
_RETRY_MODES = ("legacy", "standard", "adaptive")


def _whole_number(value: str) -> str | None:
    return None if value.strip().isdigit() and int(value) >= 1 else "not a whole number of at least 1"


def _seconds(value: str) -> str | None:
    try:
        return None if float(value) > 0 else "not a positive number of seconds"
    except ValueError:
        return "not a number of seconds"


def _retry_mode(value: str) -> str | None:
    return None if value in _RETRY_MODES else f"not one of {', '.join(_RETRY_MODES)}"


def _url(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
        return "not an http(s) URL"
    return None


def _region(value: str) -> str | None:
    return None if _REGION.match(value) else "not a region name (such as eu-west-2)"


SETTINGS: Mapping[str, tuple[str, Callable[[str], str | None]]] = {
    "AWS_MAX_ATTEMPTS": ("max_attempts", _whole_number),
    "AWS_RETRY_MODE": ("retry_mode", _retry_mode),
    "AWS_ENDPOINT_URL": ("endpoint_url", _url),
    "AWS_DEFAULT_REGION": ("region", _region),
    "AWS_REGION": ("region", _region),
    "AWS_METADATA_SERVICE_TIMEOUT": ("metadata_service_timeout", _seconds),
    "AWS_METADATA_SERVICE_NUM_ATTEMPTS": ("metadata_service_num_attempts", _whole_number),
}
"""Environment variable -> (its config-file key, its test)."""


def check(profile: str | None, environ: Mapping[str, str] | None = None) -> None:
    """``ConfigurationError`` naming the first variable or file botocore could not use."""
    env = os.environ if environ is None else environ
    for name, value in sorted(env.items()):
        test = SETTINGS.get(name) or (("endpoint_url", _url) if name.startswith("AWS_ENDPOINT_URL_") else None)
        if test is not None and (problem := test[1](value)) is not None:
            raise ConfigurationError(f"{name}={value!r}: {problem}; correct or unset it, and try again")
    chosen = profile or env.get("AWS_PROFILE") or env.get("AWS_DEFAULT_PROFILE") or "default"
    for variable, default in (("AWS_CONFIG_FILE", "~/.aws/config"),
                              ("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials")):
        _check_file(variable, env.get(variable) or default, chosen, variable in env)


def _check_file(variable: str, name: str, profile: str, named: bool) -> None:
    from botocore.configloader import raw_config_parse
    from botocore.exceptions import BotoCoreError

    path = Path(os.path.expandvars(name)).expanduser()
    if not path.is_file():
        return  # botocore reads no file then (os.devnull included)
    where = f"{variable} ({path})" if named else str(path)
    try:
        sections = raw_config_parse(str(path))
    except (BotoCoreError, UnicodeDecodeError, OSError) as error:
        raise ConfigurationError(f"{where}: not a readable AWS config file ({str(error).splitlines()[0][:200]}); "
                                 "correct it, or point " f"{variable} at another, and try again") from None
    section = sections.get(profile) or sections.get(f"profile {profile}") or {}
    for key, test in {k: t for k, t in SETTINGS.values()}.items():
        value = section.get(key)
        if isinstance(value, str) and (problem := test(value)) is not None:
            raise ConfigurationError(f"{where}: profile {profile}: {key} = {value!r}: {problem}; correct it, and "
                                     "try again")
