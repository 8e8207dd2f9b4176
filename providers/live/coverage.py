"""Coverage as data: every scope a live scan touched (an AWS (account, region, service), an Azure
(subscription, resource provider)), and what became of it.

A call that fails is never an empty answer: the recorder keeps the worst status of each scope, and
each scope that is not wholly read becomes a coverage gap (the scan is incomplete, exit 2).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

from scanner.model import CoverageGap, ScopeCoverage, ScopeStatus

_RANK = {ScopeStatus.SCANNED: 0, ScopeStatus.DISABLED: 1, ScopeStatus.THROTTLED: 2, ScopeStatus.FAILED: 3,
         ScopeStatus.DENIED: 4}
_DETAILS_KEPT = 6


@dataclass
class _Entry:
    status: ScopeStatus = ScopeStatus.SCANNED
    calls: int = 0
    details: list[str] = field(default_factory=list)
    seconds: float = 0.0
    closed: str | None = None
    failures: int = 0


class Recorder:
    """Thread-safe tally of scopes, their statuses and their API calls.

    ``advice`` says, per status, what the user can do about a scope left in it (the read-only policy
    or role to grant, a lower ``--max-workers``); it ends each coverage gap.
    """

    def __init__(self, advice: Mapping[ScopeStatus, str] | None = None) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str, str], _Entry] = {}
        self.advice: Mapping[ScopeStatus, str] = dict(advice or {})

    def _entry(self, account: str, region: str, service: str) -> _Entry:
        return self._entries.setdefault((account, region, service), _Entry())

    def touch(self, account: str, region: str, service: str) -> None:
        """The scope is part of the scan (scanned unless something goes wrong)."""
        with self._lock:
            self._entry(account, region, service)

    def count(self, account: str, region: str, service: str) -> None:
        """One API call was made for the scope."""
        with self._lock:
            self._entry(account, region, service).calls += 1

    def problem(self, account: str, region: str, service: str, status: ScopeStatus, detail: str) -> None:
        """A call of the scope did not answer; the worst status wins, the first few details are kept."""
        with self._lock:
            entry = self._entry(account, region, service)
            entry.failures += 1
            if _RANK[status] > _RANK[entry.status]:
                entry.status = status
            # One detail per operation (the text before ": "), so a call failing for many resources cannot crowd
            # out the others: the gap names each operation that failed, up to _DETAILS_KEPT of them.
            operation = detail.split(": ", 1)[0]
            if len(entry.details) < _DETAILS_KEPT and not any(d.split(": ", 1)[0] == operation for d in entry.details):
                entry.details.append(detail)

    def failures(self, account: str, region: str) -> dict[str, int]:
        """Failed calls so far, by service, of one account and region (an Azure subscription and ``global``)."""
        with self._lock:
            return {key[2]: entry.failures for key, entry in self._entries.items()
                    if key[:2] == (account, region) and entry.failures}

    def spend(self, account: str, region: str, service: str, seconds: float) -> None:
        """The scope's calls waited ``seconds`` more on its endpoint."""
        with self._lock:
            self._entry(account, region, service).seconds += seconds

    def spent(self, account: str, region: str, service: str) -> float:
        """Seconds the scope's calls have waited on its endpoint so far."""
        with self._lock:
            return self._entry(account, region, service).seconds

    def close(self, account: str, region: str, service: str, why: str) -> None:
        """No further call of the scope is made (its deadline passed); the first reason is kept."""
        with self._lock:
            entry = self._entry(account, region, service)
            entry.closed = entry.closed or why

    def closed(self, account: str, region: str, service: str) -> str | None:
        """Why the scope's calls are no longer made, or None while they are."""
        with self._lock:
            return self._entry(account, region, service).closed

    def calls(self) -> int:
        """API calls made so far (for progress)."""
        with self._lock:
            return sum(e.calls for e in self._entries.values())

    def coverage(self) -> tuple[ScopeCoverage, ...]:
        """Every scope, sorted."""
        with self._lock:
            return tuple(
                ScopeCoverage(account, region, service, entry.status, entry.calls,
                              "; ".join(entry.details) or None)
                for (account, region, service), entry in sorted(self._entries.items())
            )

    def gaps(self) -> tuple[CoverageGap, ...]:
        """One gap per scope that was not wholly read: what it holds is not judged, so the scan is incomplete."""
        return tuple(gap_of(scope, self.advice) for scope in self.coverage() if scope.status.incomplete)


def gap_of(scope: ScopeCoverage, advice: Mapping[ScopeStatus, str]) -> CoverageGap:
    """The coverage gap of a scope that was not wholly read."""
    return CoverageGap(
        f"{scope.account}/{scope.region}", None,
        f"{scope.service} {scope.status.value} ({scope.detail}): what these calls would have read is not judged; "
        f"{advice.get(scope.status, '')}",
    )
