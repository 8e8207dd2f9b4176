"""What the Terraform adapter takes from the command line besides its input."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from providers.interface import OptionError


@dataclass(frozen=True)
class TerraformOptions:
    """Terraform variables given on the command line."""

    var_files: tuple[Path, ...] = ()
    """``--var-file`` paths, applied in order after ``terraform.tfvars`` and ``*.auto.tfvars``."""
    variables: tuple[tuple[str, str], ...] = ()
    """``--var NAME=VALUE`` pairs, in order, applied last."""
    cache_dir: Path | None = None
    """Where parsed files are cached by content (``--no-cache``: None, every file parsed)."""

    @classmethod
    def from_command_line(cls, var_files: Iterable[Path], pairs: Iterable[str],
                          cache_dir: Path | None = None) -> TerraformOptions:
        """The options for ``--var-file`` and ``--var`` arguments; ``OptionError`` for a malformed ``--var``."""
        variables = []
        for pair in pairs:
            name, sep, value = pair.partition("=")
            if not sep or not name.strip():
                raise OptionError(f"--var {pair!r} is not NAME=VALUE")
            if value.strip()[:1] in ("[", "{", '"'):
                # Only a value that looks like HCL needs the parser: plain strings never load it.
                from providers.terraform.hcl_module import parse_cli_value

                try:
                    parse_cli_value(value)
                except ValueError as error:
                    raise OptionError(f"--var {name.strip()}: {error}") from None
            variables.append((name.strip(), value))
        return cls(tuple(var_files), tuple(variables), cache_dir)


def default_cache_directory() -> Path:
    """``OFFSHORE_SCAN_CACHE_DIR``, else the user's cache directory (``~/.cache/offshore-scan`` on Linux)."""
    import os

    configured = os.environ.get("OFFSHORE_SCAN_CACHE_DIR")
    if configured:
        return Path(configured)
    import platformdirs

    return Path(platformdirs.user_cache_dir("offshore-scan", appauthor=False))
