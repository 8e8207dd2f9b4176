"""Options of the live AWS scan (``offshore-scan aws``); no boto3 here, so ``--help`` stays fast."""

from __future__ import annotations

from dataclasses import dataclass

from providers.interface import OptionError


@dataclass(frozen=True)
class AwsOptions:
    """What to scan and how hard to push the APIs."""

    profile: str | None = None
    """The boto3 profile (``--profile``); None for the standard credential chain."""
    regions: tuple[str, ...] = ()
    """Regions to scan (``--region``); empty for every enabled region."""
    org: bool = False
    """Scan every account of the organisation (``--org``), assuming ``role_name`` in each."""
    role_name: str | None = None
    """The role assumed in each member account (``--role-name``)."""
    accounts: tuple[str, ...] = ()
    """Only these accounts (``--account``)."""
    exclude_accounts: tuple[str, ...] = ()
    """Never these accounts (``--exclude-account``)."""
    max_workers: int = 8
    """Concurrent API calls per (account, region) (``--max-workers``)."""

    @classmethod
    def from_command_line(cls, profile: str | None, regions: tuple[str, ...], all_regions: bool, org: bool,
                          role_name: str | None, accounts: tuple[str, ...], exclude_accounts: tuple[str, ...],
                          max_workers: int) -> AwsOptions:
        """Validated options; ``OptionError`` says what is wrong."""
        if regions and all_regions:
            raise OptionError("give --region or --all-regions, not both")
        if org and not role_name:
            raise OptionError("--org needs --role-name: the role offshore-scan assumes in each member account")
        bad = [a for a in (*accounts, *exclude_accounts) if not (a.isdigit() and len(a) == 12)]
        if bad:
            raise OptionError(f"not a 12-digit AWS account id: {', '.join(bad)}")
        return cls(profile, tuple(regions), org, role_name, tuple(accounts), tuple(exclude_accounts), max_workers)
