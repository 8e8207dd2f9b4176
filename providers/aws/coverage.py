"""Coverage of the live AWS scan: the shared recorder (``providers.live.coverage``), with what AWS error
codes mean and what to do about a scope that was not wholly read.
"""

from __future__ import annotations

from providers.live import coverage as live
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
ADVICE = {
    ScopeStatus.DENIED: "grant the read-only policy in docs/aws-readonly-policy.json",
    ScopeStatus.THROTTLED: "run again, or lower --max-workers",
    ScopeStatus.FAILED: "run again; if it persists, the endpoint does not answer this call",
}
"""What the user can do about a scope of each status."""


def status_of_code(code: str) -> ScopeStatus:
    """The scope status an AWS error code means."""
    if code in _DENIED:
        return ScopeStatus.DENIED
    if code in _THROTTLED:
        return ScopeStatus.THROTTLED
    if code in _DISABLED:
        return ScopeStatus.DISABLED
    return ScopeStatus.FAILED


class Recorder(live.Recorder):
    """The shared recorder, its gaps advising the AWS read-only policy."""

    def __init__(self) -> None:
        super().__init__(ADVICE)


def gap_of(scope: ScopeCoverage) -> CoverageGap:
    """The coverage gap of a scope that was not wholly read."""
    return live.gap_of(scope, ADVICE)
