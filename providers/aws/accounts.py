"""Which accounts to scan, and a guarded session in each: the caller's own, or an assumed role per account.

An account the organisation lists but whose role cannot be assumed is a coverage gap, never silence.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from providers.aws.calls import Clients, Failed, transport_errors
from providers.aws.coverage import Recorder, status_of_code
from providers.aws.options import AwsOptions
from providers.aws.session import HOME_REGION, assume
from providers.live.answers import DamagedAnswer, DeadlinePassed
from scanner.model import Audit, Shard

if TYPE_CHECKING:
    import boto3


@dataclass(frozen=True)
class Accounts:
    """The sessions to scan with, and the organisation's account list when ``--org`` read it."""

    sessions: Mapping[str, boto3.Session]
    """Account id -> a guarded session in it (the caller's own, or an assumed role)."""
    listed: tuple[Mapping[str, Any], ...] = ()
    """ListAccounts' active accounts (``--org``); empty otherwise."""
    excluded: tuple[str, ...] = ()
    """Accounts of the organisation left out by ``--exclude-account`` or ``--account``: said, not judged."""
    missing: tuple[str, ...] = ()
    """Accounts ``--account`` names that the organisation does not list as active: never entered."""
    audit: Audit | None = None
    """The accounts the whole audit covers and this run's shard of them (``--org``, ``--account-file``,
    ``--shard``); None for a scan of the caller's account or of ``--account``s."""
    other_shards: tuple[str, ...] = ()
    """Accounts of the audit that ``--shard`` gives to other runs: neither scanned nor said here."""
    listed_by: str = "the organisation"
    """Where the account list came from, for messages: ``the organisation`` or ``the account file``."""
    unknown_exclusions: tuple[str, ...] = ()
    """``--exclude-account`` ids the account list does not hold (a typing error, or an account already gone)."""


def organisation_accounts(management: Clients, caller: str) -> list[Mapping[str, Any]] | Failed:
    """Every active account of the organisation (read from the management or a delegated account)."""
    found = management.get(caller, HOME_REGION, "organizations", scope_region="global").pages("list_accounts",
                                                                                           "Accounts", expect=("Id",))
    if isinstance(found, Failed):
        return found
    return [a for a in found or [] if a.get("Status", "ACTIVE") == "ACTIVE"]


def sessions_for(base: boto3.Session, caller: str, options: AwsOptions, recorder: Recorder,
                 management: Clients | None = None) -> Accounts:
    """A session per account to scan; accounts whose role cannot be assumed are recorded as denied.

    ``management`` is the caller's own client pool for Organizations (made here when not given)."""
    from botocore.exceptions import ClientError

    listed: list[Mapping[str, Any]] = []
    if options.org:
        found = organisation_accounts(management or Clients({caller: base}, recorder, options.timeout), caller)
        if isinstance(found, Failed):
            return Accounts({})  # the denied ListAccounts is the coverage gap
        listed = list(found)
        every = [str(a["Id"]) for a in listed]
    elif options.account_list:
        every = list(options.account_list)
    elif options.accounts:
        every = list(options.accounts)
    else:
        every = [caller]
    wanted = [a for a in every if (not options.accounts or a in options.accounts) and a not in options.exclude_accounts]
    excluded = tuple(a for a in every if a not in wanted)
    # An account asked for by --account that the organisation does not list would otherwise vanish unsaid.
    missing = tuple(a for a in options.accounts if a not in every and a not in options.exclude_accounts)
    audit = _audit(listed, every, wanted, options)
    share = wanted if audit is None or audit.shard is None else list(audit.shard.accounts)
    sessions: dict[str, boto3.Session] = {}
    for account in share:
        if account == caller:
            sessions[account] = base
            continue
        recorder.touch(account, "global", "sts")
        try:
            recorder.count(account, "global", "sts")
            sessions[account] = assume(base, account, options.role_name or "", options.timeout)
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", "error"))
            recorder.problem(account, "global", "sts", status_of_code(code),
                             f"AssumeRole {options.role_name}: {code}: the account was not scanned")
        except (*transport_errors(), NotImplementedError, DamagedAnswer, DeadlinePassed) as error:
            recorder.problem(account, "global", "sts", status_of_code("error"),
                             f"AssumeRole {options.role_name}: {error}: the account was not scanned")
    others = tuple(a for a in wanted if a not in share)
    source = "the account file" if options.account_list else "the organisation"
    strays = tuple(a for a in options.exclude_accounts if a not in every) if (options.org or options.account_list) \
        else ()
    return Accounts(sessions, tuple(listed), excluded, missing, audit, others, source, strays)


def _audit(listed: list[Mapping[str, Any]], every: list[str], wanted: list[str], options: AwsOptions) -> Audit | None:
    """The whole audit, and this run's shard: positions in the sorted list of every account (before
    ``--account`` and ``--exclude-account``), so a shard keeps its accounts when another one is left out."""
    if not (options.org or options.account_list or options.shard):
        return None
    shard = None
    if options.shard is not None:
        index, count = options.shard
        chosen = {a for position, a in enumerate(sorted(set(every))) if position % count == index}
        shard = Shard(index, count, tuple(sorted(a for a in wanted if a in chosen)))
    return Audit(organisation_id(listed) if options.org else None, tuple(sorted(wanted)), shard)


def organisation_id(listed: list[Mapping[str, Any]]) -> str | None:
    """The organisation's id from its accounts' ARNs (``arn:aws:organizations::M:account/o-abc/A``): no extra call."""
    for account in listed:
        parts = str(account.get("Arn") or "").split("/")
        if len(parts) == 3 and parts[1].startswith("o-"):
            return parts[1]
    return None
