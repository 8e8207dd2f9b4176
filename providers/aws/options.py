"""Options of the live AWS scan (``offshore-scan aws``); no boto3 here, so ``--help`` stays fast."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from providers.interface import OptionError
from providers.live.answers import DEFAULT_TIMEOUT

SHARD_INDEX_VARIABLES = (
    ("JOB_COMPLETION_INDEX", 0, "a Kubernetes Indexed Job"),
    ("AWS_BATCH_JOB_ARRAY_INDEX", 0, "an AWS Batch array job"),
    ("CI_NODE_INDEX", 1, "a GitLab CI parallel job"),
    ("OFFSHORE_SCAN_SHARD_INDEX", 0, "offshore-scan"),
)
"""Where ``--shard auto/N`` reads K, in this order: (variable, the index its first job gets, who sets it)."""

MAX_SHARDS = 100_000
"""More shards than any organisation has accounts (AWS allows a few thousand): a larger N is a typing error."""


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
    shard: tuple[int, int] | None = None
    """``(K, N)`` (``--shard K/N``): scan only the accounts whose position in the sorted account list, modulo N,
    is K; None to scan them all."""
    account_list: tuple[str, ...] = ()
    """The accounts ``--account-file`` lists (the audit, which ``--account`` narrows and ``--exclude-account``
    trims); the result records the whole list, so shards of it can be merged and checked."""
    timeout: float = DEFAULT_TIMEOUT
    """Seconds one API call may take, its retries included (``--timeout``)."""

    @classmethod
    def from_command_line(cls, profile: str | None, regions: tuple[str, ...], all_regions: bool, org: bool,
                          role_name: str | None, accounts: tuple[str, ...], exclude_accounts: tuple[str, ...],
                          max_workers: int, shard: str | None = None, account_file: tuple[str, ...] | None = None,
                          environ: Mapping[str, str] | None = None,
                          timeout: float = DEFAULT_TIMEOUT) -> AwsOptions:
        """Validated options; ``OptionError`` says what is wrong. ``account_file`` is the accounts ``--account-file``
        listed; ``environ`` is where ``--shard auto/N`` finds K (the process environment when None)."""
        if regions and all_regions:
            raise OptionError("give --region or --all-regions, not both")
        if org and not role_name:
            raise OptionError("--org needs --role-name: the role offshore-scan assumes in each member account")
        if account_file is not None and org:
            raise OptionError("give --org or --account-file, not both: the organisation lists its own accounts")
        if account_file is not None and not account_file:
            raise OptionError("--account-file lists no account: one 12-digit id a line (# starts a comment)")
        bad = [a for a in (*accounts, *exclude_accounts) if not (a.isdigit() and len(a) == 12)]
        if bad:
            raise OptionError(f"not a 12-digit AWS account id: {', '.join(bad)}")
        split = None
        if shard is not None:
            if not (org or accounts or account_file):
                raise OptionError("--shard splits an organisation (--org) or an account list (--account-file, "
                                  "--account) between runs: give one of them")
            split = parse_shard(shard, environ)
        return cls(profile, tuple(regions), org, role_name, tuple(dict.fromkeys(accounts)), tuple(exclude_accounts),
                   max_workers, split, tuple(dict.fromkeys(account_file or ())), timeout)


def parse_shard(text: str, environ: Mapping[str, str] | None = None) -> tuple[int, int]:
    """``K/N`` as ``(K, N)``; ``auto/N`` takes K from the batch engine's index variable (``SHARD_INDEX_VARIABLES``)."""
    import os

    match = re.fullmatch(r"\s*(\d+|auto)\s*/\s*(\d+)\s*", text)
    if match is None:
        raise OptionError(f"--shard {text}: write K/N (K from 0 to N-1, e.g. 0/4) or auto/N")
    count = int(match.group(2))
    if not 1 <= count <= MAX_SHARDS:
        raise OptionError(f"--shard {text}: N must be between 1 and {MAX_SHARDS:,}")
    if match.group(1) != "auto":
        index = int(match.group(1))
    else:
        env = os.environ if environ is None else environ
        found = next(((name, first, who) for name, first, who in SHARD_INDEX_VARIABLES if env.get(name, "").strip()),
                     None)
        if found is None:
            names = ", ".join(name for name, _, _ in SHARD_INDEX_VARIABLES)
            raise OptionError(f"--shard auto/{count}: none of {names} is set; give the index (--shard K/{count})")
        name, first, who = found
        value = env[name].strip()
        if not value.isdigit():
            raise OptionError(f"--shard auto/{count}: {name}={value!r} (set by {who}) is not a whole number")
        index = int(value) - first
        if not 0 <= index < count:
            counted = f"{who} numbers its jobs from {first}, so " if first else ""
            raise OptionError(f"--shard auto/{count}: {name}={value} ({counted}K would be {index}), but K must be "
                              f"between 0 and {count - 1}: is N the number of jobs?")
    if not 0 <= index < count:
        raise OptionError(f"--shard {text}: the index {index} is not between 0 and {count - 1}")
    return index, count


def read_account_file(text: str, name: str) -> tuple[str, ...]:
    """The account ids of an ``--account-file``: one a line; blank lines and ``#`` comments are skipped."""
    accounts = []
    text = text.removeprefix("\ufeff")  # a byte-order mark, as some Windows editors write
    for number, line in enumerate(text.splitlines(), start=1):
        account = line.split("#", 1)[0].strip()
        if not account:
            continue
        if not (account.isdigit() and len(account) == 12):
            raise OptionError(f"{name}:{number}: {account!r} is not a 12-digit AWS account id")
        accounts.append(account)
    return tuple(accounts)
