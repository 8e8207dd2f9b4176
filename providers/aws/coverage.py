"""Coverage as data: every (account, region, service) the scan touched, and what became of it.

A call that fails is never an empty answer: the recorder keeps the worst status of each scope, and
each scope that is not wholly read becomes a coverage gap (the scan is incomplete, exit 2).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from scanner.model import CoverageGap, ScopeCoverage, ScopeStatus

_DENIED = frozenset({
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError", "Forbidden",
    "AuthorizationErrorException", "UnauthorizedException", "AccessDeniedForDependencyException",
    "AWSOrganizationsNotInUseException", "InvalidClientTokenId", "UnrecognizedClientException", "403",
})
_THROTTLED = frozenset({
    "Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded", "SlowDown",
    "ThrottledException", "RequestThrottled", "RequestThrottledException", "PriorRequestNotComplete",
})
_DISABLED = frozenset({"OptInRequired", "SubscriptionRequiredException", "AuthFailure"})
_RANK = {ScopeStatus.SCANNED: 0, ScopeStatus.DISABLED: 1, ScopeStatus.THROTTLED: 2, ScopeStatus.FAILED: 3,
         ScopeStatus.DENIED: 4}
_DETAILS_KEPT = 3


def status_of_code(code: str) -> ScopeStatus:
    """The scope status an AWS error code means."""
    if code in _DENIED:
        return ScopeStatus.DENIED
    if code in _THROTTLED:
        return ScopeStatus.THROTTLED
    if code in _DISABLED:
        return ScopeStatus.DISABLED
    return ScopeStatus.FAILED


@dataclass
class _Entry:
    status: ScopeStatus = ScopeStatus.SCANNED
    calls: int = 0
    details: list[str] = field(default_factory=list)


class Recorder:
    """Thread-safe tally of scopes, their statuses and their API calls."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str, str], _Entry] = {}

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
            if _RANK[status] > _RANK[entry.status]:
                entry.status = status
            if detail not in entry.details and len(entry.details) < _DETAILS_KEPT:
                entry.details.append(detail)

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
        return tuple(gap_of(scope) for scope in self.coverage() if scope.status.incomplete)


def gap_of(scope: ScopeCoverage) -> CoverageGap:
    """The coverage gap of a scope that was not wholly read."""
    advice = {
        ScopeStatus.DENIED: "grant the read-only policy in docs/aws-readonly-policy.json",
        ScopeStatus.THROTTLED: "run again, or lower --max-workers",
        ScopeStatus.FAILED: "run again; if it persists, the endpoint does not answer this call",
    }.get(scope.status, "")
    return CoverageGap(
        f"{scope.account}/{scope.region}", None,
        f"{scope.service} {scope.status.value} ({scope.detail}): what these calls would have read is not judged; "
        f"{advice}",
    )
