"""The live AWS adapter's entry point: accounts -> regions -> DWP resources -> records -> the shared meaning.

1. Sessions: the caller's, or an assumed role in each account (``accounts.py``); every one guarded.
2. Discovery per (account, region): enabled regions, the Tagging API, listings in wholly DWP accounts.
3. Collectors read only the DWP resources (and the resources their flows name: a replica's bucket, a
   subscription's Firehose), then translate the answers into records.
4. ``providers.semantics`` judges the records exactly as it judges Terraform; coverage is added as data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from providers.aws import collectors, discovery, located
from providers.aws.accounts import Accounts, sessions_for
from providers.aws.arns import parse_arn
from providers.aws.calls import Clients, Failed
from providers.aws.collectors import Work, dwp_regions, every_region, generic, once_per_account, regional, snapshots
from providers.aws.collectors.iam import collect_roles
from providers.aws.collectors.s3 import collect_buckets
from providers.aws.coverage import Recorder
from providers.aws.follow import wanted_buckets, wanted_regional
from providers.aws.options import AwsOptions
from providers.aws.records import Scope
from providers.aws.session import HOME_REGION, base_session, caller_account, guarded
from providers.interface import OptionError, ScanOptions
from providers.semantics.normalise import to_inventory
from providers.semantics.records import ResourceRecord
from scanner.model import CoverageGap, Guardrail, GuardrailKind, Inventory, ScopeStatus, SourceRef

if TYPE_CHECKING:
    import boto3

_SCPS_NOT_READ = Guardrail(
    GuardrailKind.AWS_SCP_REGION_DENY,
    "service control policies were not read: Organizations is read only with --org (from the management or a "
    "delegated administrator account)", (), SourceRef("aws", None, "aws organisation"), False, read=False)
"""Without ``--org`` no Organizations call is made: whether an SCP keeps new resources in the UK is not known."""


def _scps_partly_read(unread: Sequence[str]) -> Guardrail:
    """A guardrail whose controls could not all be read: whether an SCP keeps resources in the UK is unknown."""
    shown = "; ".join(unread[:3]) + (f"; and {len(unread) - 3} more" if len(unread) > 3 else "")
    return Guardrail(GuardrailKind.AWS_SCP_REGION_DENY, f"service control policies could not all be read ({shown})",
                     (), SourceRef("aws", None, "aws organisation"), False, read=False)


_FOLLOW_ROUNDS = 3
"""A flow's receiver may name another receiver (a subscription's Firehose writes to a bucket): a few rounds."""


@dataclass(frozen=True)
class Progress:
    """How far the scan is, for a progress display."""

    accounts: int
    accounts_done: int
    regions: int
    regions_done: int
    calls: int


ProgressCallback = Callable[[Progress], None]


class _Tally:
    """Progress counters shared by the worker threads."""

    def __init__(self, recorder: Recorder, report: ProgressCallback | None) -> None:
        self.recorder, self.report = recorder, report
        self.accounts = self.accounts_done = self.regions = self.regions_done = 0

    def tick(self, accounts: int = 0, accounts_done: int = 0, regions: int = 0, regions_done: int = 0) -> None:
        self.accounts += accounts
        self.accounts_done += accounts_done
        self.regions += regions
        self.regions_done += regions_done
        if self.report is not None:
            self.report(Progress(self.accounts, self.accounts_done, self.regions, self.regions_done,
                                 self.recorder.calls()))


def scan_aws(options: AwsOptions, scan: ScanOptions, session: boto3.Session | None = None,
             progress: ProgressCallback | None = None) -> Inventory:
    """The inventory of the live accounts; raises ``CredentialsError`` when the credentials cannot be used, and
    ``OptionError`` for a ``--region`` the account does not have or an ``--account`` that needs ``--role-name``."""
    # An injected session (tests) gets the same guard, answer check and deadline as the standard chain's.
    base = guarded(session) if session is not None else base_session(options.profile)
    caller = caller_account(base, options.timeout)
    others = [a for a in options.accounts if a != caller]
    if others and not (options.org or options.role_name):
        raise OptionError(f"--account {', '.join(others)} needs --role-name: other accounts than the caller's "
                          f"({caller}) are read through an assumed role")
    if options.account_list and not options.role_name and any(a != caller for a in options.account_list):
        raise OptionError(f"--account-file lists accounts other than the caller's ({caller}): give --role-name, the "
                          "role assumed in each of them")
    recorder = Recorder()
    tally = _Tally(recorder, progress)
    # Organizations is read with the caller's credentials, even when --account leaves the caller unscanned.
    management = Clients({caller: base}, recorder, options.timeout)
    found = sessions_for(base, caller, options, recorder, management)
    clients = Clients(found.sessions, recorder, options.timeout)
    tally.tick(accounts=len(found.sessions))
    records: list[ResourceRecord] = []
    notes: list[CoverageGap] = list(_left_out(found))
    shard = found.audit.shard if found.audit is not None else None
    # A shard given no account (more shards than accounts, or all its accounts excluded) has nothing to judge:
    # its audit block and report header say "0 of N accounts", and the merge of all shards is the whole audit.
    if not found.sessions and not (shard is not None and not shard.accounts):
        # Nothing judged is not "no offshoring": the scan is incomplete, whatever the reason.
        notes.append(CoverageGap("aws", None, "no account was scanned (every account was left out, could not be "
                                 "entered or could not be listed): nothing was judged", kind="skipped"))
    for account in found.sessions:
        account_records, account_notes = _scan_account(clients, account, options, scan, tally)
        records.extend(account_records)
        notes.extend(account_notes)
        # Memory stays flat as accounts grow: an account's clients are made again only if a flow leads back.
        clients.release(account)
        tally.tick(accounts_done=1)
    unread: list[str] = []
    if options.org:
        from providers.aws.collectors.organizations import collect_guardrails

        # Every account of the audit, not only this shard's: every shard then reads the same organisation,
        # and the guardrails of the merged result are those of one unsharded run.
        every = found.audit.accounts if found.audit is not None else list(found.sessions)
        scps, unread = collect_guardrails(management, caller, every, found.listed)
        records.extend(scps)
    records = _followed(clients, records, options)
    if found.audit is not None:
        # The audit's other accounts are the estate's own, whichever shard reads them.
        why = f"a member of {found.audit.label}"
        scan = replace(scan, members=tuple((a, why) for a in found.audit.accounts))
    inventory = to_inventory(_deduplicated(records), scan, gaps=(*recorder.gaps(), *notes),
                             scanned=tuple(f"aws account {a}" for a in sorted(found.sessions)))
    guards = inventory.guardrails if options.org else (*inventory.guardrails, _SCPS_NOT_READ)
    if options.org and unread:
        guards = (*guards, _scps_partly_read(unread))
    audit = found.audit
    if audit is not None:
        # What the shards of one audit must share, so a merge can tell when they do not.
        audit = replace(audit, regions=tuple(sorted(options.regions)) or None, settings=scan.fingerprint())
    return replace(inventory, scopes=recorder.coverage(), guardrails=guards, audit=audit)


def _left_out(found: Accounts) -> Iterator[CoverageGap]:
    """Accounts the command line left out, said: an excluded account is a note, a missing one a gap."""
    for account in found.excluded:
        yield CoverageGap(f"{account}/global", None, f"account {account} of {found.listed_by} was left out by "
                          "--exclude-account or --account: what it holds is not judged", kind="note")
    for account in found.missing:
        listed = "an active account of the organisation" if found.listed_by == "the organisation" else \
            "in the account file"
        yield CoverageGap(f"{account}/global", None, f"account {account} (--account) is not {listed}: it was not "
                          "scanned", kind="skipped")
    for account in found.unknown_exclusions:
        yield CoverageGap(f"{account}/global", None, f"--exclude-account {account}: {found.listed_by} has no such "
                          "account (a typing error, or an account that is gone); nothing was left out for it",
                          kind="note")


def _is_dwp_account(scan: ScanOptions, account: str) -> bool:
    return scan.rules.scope_all or account in scan.rules.dwp_scopes


def _regions(clients: Clients, account: str, options: AwsOptions) -> tuple[list[str], list[str] | None]:
    """The regions to read: every enabled one, or the ``--region`` ones the account has enabled; and the enabled
    regions ``--region`` leaves out (searched only for copies), None when the account's regions are not known."""
    home = clients.sessions[account].region_name or HOME_REGION
    answer = discovery.enabled_regions(clients.get(account, home, "ec2", scope_region="global"))
    if isinstance(answer, Failed):
        # The failure is coverage; the regions asked for (or the home region) are still worth reading.
        return list(options.regions) or [home], (None if options.regions else [])
    if options.regions:
        unknown = [r for r in options.regions if r not in (*answer.enabled, *answer.disabled)]
        if unknown:
            hint = "; regions are written in lower case" if any(r != r.lower() for r in unknown) else ""
            raise OptionError(f"--region {', '.join(unknown)}: not a region of account {account} (ec2:DescribeRegions "
                              f"lists {len(answer.enabled) + len(answer.disabled)}){hint}")
    disabled = [r for r in answer.disabled if not options.regions or r in options.regions]
    for region in disabled:
        clients.recorder.problem(account, region, "all", ScopeStatus.DISABLED, "region not enabled for the account")
    return ([r for r in (options.regions or answer.enabled) if r in answer.enabled],
            [r for r in answer.enabled if r not in options.regions] if options.regions else [])


def _elsewhere(account: str, others: list[str] | None) -> list[CoverageGap]:
    """What a scan narrowed by ``--region`` said of the other regions: only copies were searched there."""
    if others is None:
        return [CoverageGap(f"{account}/global", None, "the account's enabled regions could not be listed, so the "
                            "regions outside --region were not searched for copies of its DWP snapshots and AMIs",
                            kind="skipped")]
    if not others:
        return []
    return [CoverageGap(f"{account}/global", None, f"{len(others)} enabled region(s) outside --region were searched "
                        "only for copies of the scanned regions' EBS snapshots and AMIs (ec2:DescribeSnapshots, "
                        "DescribeImages) and for the receivers their flows name; nothing else there is judged: "
                        f"{', '.join(others)}", kind="note")]


def _scan_account(clients: Clients, account: str, options: AwsOptions, scan: ScanOptions,
                  tally: _Tally) -> tuple[list[ResourceRecord], list[CoverageGap]]:
    regions, others = _regions(clients, account, options)
    tally.tick(regions=len(regions))
    dwp_account = _is_dwp_account(scan, account)

    def discover(region: str) -> tuple[dict[str, dict[str, str]], list[str]]:
        tags = discovery.tagged_resources(clients.get(account, region, "resourcegroupstaggingapi"))
        listed = discovery.listed_in_region(clients, account, region, tags if isinstance(tags, dict) else {}) \
            if dwp_account else []
        return (tags if isinstance(tags, dict) else {}), listed

    with ThreadPoolExecutor(max_workers=options.max_workers) as pool:
        answers = list(pool.map(discover, regions))
    tags = discovery.merged(a[0] for a in answers)
    dwp = {arn for arn, t in tags.items() if _tagged_dwp(scan, t, account)}
    dwp.update(arn for _, listed in answers for arn in listed)
    if dwp_account:
        buckets = discovery.listed_buckets(clients.get(account, HOME_REGION, "s3", scope_region="global"))
        dwp.update(buckets if isinstance(buckets, list) else [])

    records = collect_buckets(clients, account, sorted((_bucket(a), True) for a in dwp if _bucket(a)), tags)
    records.extend(collect_roles(clients, account, dwp_account))
    from providers.aws.collectors.cloudfront import collect_distributions

    records.extend(collect_distributions(clients, account, dwp, tags))
    for collect in once_per_account().values():
        records.extend(collect(Work(Scope(account, HOME_REGION), clients, tuple(sorted(dwp)), tags, dwp_account)))

    buckets_in: dict[str, list[str]] = {}
    for record in records:
        if record.type == "aws_s3_bucket" and record.address in dwp and isinstance(record.placement.region.value, str):
            buckets_in.setdefault(record.placement.region.value, []).append(record.address)

    def read_region(region: str) -> list[ResourceRecord]:
        found: list[ResourceRecord] = []
        failed: dict[str, str] = {}
        for service, collect in regional().items():
            arns = tuple(sorted(a for a in dwp if _in(a, service, region)))
            if arns:
                found.extend(_reading(clients, collect, Work(Scope(account, region), clients, arns, tags, dwp_account),
                                      failed))
        for service, collect in every_region().items():
            arns = tuple(sorted(a for a in dwp if _in(a, service, region)))
            found.extend(_reading(clients, collect, Work(Scope(account, region), clients, arns, tags, dwp_account),
                                  failed))
        # A bucket's ARN names no region: the DWP buckets located here count as held here.
        here = tuple(sorted({*(a for a in dwp if _in(a, None, region)), *buckets_in.get(region, ())}))
        for collect in dwp_regions().values() if here else ():
            found.extend(collect(Work(Scope(account, region), clients, here, tags, dwp_account)))
        # What no collector read, the generic reader reads: the net then judges what its properties name.
        read = {r.address for r in found}
        unread = tuple(sorted(a for a in dwp if a not in read and _in(a, None, region)))
        if unread:
            found.extend(generic()(Work(Scope(account, region), clients, unread, tags)))
        found.extend(located.read_failed(Scope(account, region), failed, tags, found))
        tally.tick(regions_done=1)
        return found

    with ThreadPoolExecutor(max_workers=options.max_workers) as pool:
        for found in pool.map(read_region, regions):
            records.extend(found)
    # Copies of what the scanned regions hold, in the regions --region leaves out; then who DWP snapshots and
    # AMIs are shared with, wherever they are.
    records.extend(snapshots.copies_elsewhere(clients, account, others or [], records, tags))
    records = snapshots.unread_copies(account, records, dwp, dwp_account)
    records.extend(snapshots.collect_shares(clients, account, records, dwp, dwp_account))
    records.extend(located.tagged_only(account, tags, records))
    records.extend(located.listed_only(account, dwp, records))
    return records, [*located.coverage_notes(account, dwp, records), *_elsewhere(account, others)]


def _reading(clients: Clients, collect: Callable[[Work], list[ResourceRecord]], work: Work,
             failed: dict[str, str]) -> list[ResourceRecord]:
    """What ``collect`` reads of ``work``; each of its resources it gave no record for while its calls failed is
    added to ``failed`` with those calls' coverage, so that its placement by ARN says the read failed."""
    account, region = work.scope.account, work.scope.region
    before = clients.recorder.failures(account, region)
    found = collect(work)
    grew = {s for s, n in clients.recorder.failures(account, region).items() if n > before.get(s, 0)}
    if grew:
        why = "; ".join(f"{c.service} {c.status.value} ({c.detail})" for c in clients.recorder.coverage()
                        if (c.account, c.region) == (account, region) and c.service in grew)
        read = {r.address for r in found}
        failed.update((arn, why) for arn in work.arns if arn not in read and arn not in failed)
    return found


def _tagged_dwp(scan: ScanOptions, tags: Mapping[str, str], account: str) -> bool:
    # Discovery only decides what to read closely; the shared meaning classifies the records again.
    return scan.rules.classify(tags, [account]).dwp


def _bucket(arn: str) -> str | None:
    parsed = parse_arn(arn)
    return parsed.name if parsed is not None and parsed.service == "s3" and "/" not in parsed.name else None


def _in(arn: str, service: str | None, region: str) -> bool:
    """Whether ``arn`` is of ``service`` (any, for None) in ``region``."""
    parsed = parse_arn(arn)
    return parsed is not None and service in (None, parsed.service) and parsed.region == region


def _followed(clients: Clients, records: list[ResourceRecord], options: AwsOptions) -> list[ResourceRecord]:
    """The records, with the receivers their flows name read too (locations of destination buckets...)."""
    asked: set[str] = set()
    for _ in range(_FOLLOW_ROUNDS):
        buckets = [(account, name) for account, name in wanted_buckets(records)
                   if account in clients.sessions and f"s3:{name}" not in asked]
        regional_wanted = [(arn, service) for arn, service in wanted_regional(records)
                           if arn not in asked and _account_of(arn) in clients.sessions]
        if not buckets and not regional_wanted:
            break
        for account, name in buckets:
            asked.add(f"s3:{name}")
            records.extend(collect_buckets(clients, account, [(name, False)], {}))
        by_scope: dict[tuple[str, str, str], list[str]] = {}
        for arn, service in regional_wanted:
            asked.add(arn)
            parsed = parse_arn(arn)
            assert parsed is not None
            if options.regions and parsed.region not in options.regions:
                continue
            by_scope.setdefault((parsed.account, parsed.region, service), []).append(arn)
        for (account, region, service), arns in sorted(by_scope.items()):
            collect = collectors.receivers().get(service)
            if collect is not None:
                records.extend(collect(Work(Scope(account, region), clients, tuple(sorted(arns)), {})))
    return records


def _account_of(arn: str) -> str | None:
    parsed = parse_arn(arn)
    return parsed.account if parsed is not None else None


def _deduplicated(records: Iterable[ResourceRecord]) -> list[ResourceRecord]:
    """One record per address: a resource read closely wins over one another response only mentions."""
    best: dict[str, ResourceRecord] = {}
    for record in records:
        held = best.get(record.address)
        if held is None or _weight(record) > _weight(held):
            best[record.address] = record
    return list(best.values())


def _weight(record: ResourceRecord) -> int:
    return sum(1 for value in record.values.values() if value not in (None, "", [], {}))
