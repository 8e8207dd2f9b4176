"""The errors every live adapter raises, so every live command handles them alike."""

from __future__ import annotations

from providers.interface import ProviderError


class WriteRefused(ProviderError):
    """An operation that could change the account or subscription was attempted; it was refused before being
    sent (a bug in a collector, never a coverage gap)."""


class CredentialsError(ProviderError):
    """No usable credentials (missing, expired, refused), or no endpoint answering: one line for the user."""


class ConfigurationError(ProviderError):
    """The SDK's settings (an environment variable, a config file) cannot be used: one line naming the variable
    or file, before any call is made."""
