"""The one exception a built-in function raises."""

from __future__ import annotations


class FunctionError(Exception):
    """The function cannot produce a value from these arguments (Terraform would refuse them too)."""
