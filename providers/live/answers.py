"""What a live scan holds every endpoint's answer to, whatever the cloud: the limits, and the two ways an
answer can be missing that are not an error the service gave (a damaged answer, a deadline passed).

Both are raised inside an SDK's own machinery (a botocore event hook, an azure-core pipeline policy), so
they end the call at once, and each adapter's call wrapper turns them into a ``Failed`` naming the call:
a coverage gap, never an empty answer.
"""

from __future__ import annotations

DEFAULT_TIMEOUT = 30.0
"""Seconds one call may take, its retries included (``--timeout``)."""
MAX_PAGES = 10_000
"""Pages one listing may take (a million Tagging API entries, ten million IAM roles): past it, or at a
continuation token seen before, the listing is endless and ends as a gap naming the call."""
SCOPE_BUDGET = 20
"""A scope (an AWS account, region and service; an Azure subscription and resource provider) may spend this
many times ``--timeout`` waiting on its calls; past it the scope's remaining calls are not made. A healthy
scope spends seconds; one whose endpoint answers every call just before the timeout would otherwise hold
the scan for hours."""


class DamagedAnswer(Exception):
    """An answer that is not the service's own: a body that does not parse, an HTML or proxy page, a document
    cut short, or one without the members the operation's output shape says it has."""


class DeadlinePassed(Exception):
    """A call that was still unanswered (or still being retried) when ``--timeout`` passed."""
