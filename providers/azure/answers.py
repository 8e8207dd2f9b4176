"""Every ARM answer is checked before a collector reads it, and every listing is bounded.

* ``AnswerCheck``, a pipeline policy on every management client: a successful GET's body must be a JSON
  object. A proxy's HTML page, a body cut short or an empty one raises ``DamagedAnswer`` inside the
  pipeline, for SDK operations and ``send_request`` alike (azure-core's retries do not retry it: it is no
  ``AzureError``).
* ``pages``: an SDK pager read page by page, ending in ``EndlessPages`` at a continuation token seen before
  or past ``MAX_PAGES`` pages (an SDK pager would otherwise follow an endless ``nextLink`` for ever).
* ``resource_problem``: a resource ARM answers by id has an ``id`` (ARM always gives one; an SDK model
  read from an empty or foreign JSON object has none).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from azure.core.pipeline.policies import SansIOHTTPPolicy

from providers.live.answers import MAX_PAGES, DamagedAnswer

if TYPE_CHECKING:
    from azure.core.pipeline import PipelineRequest, PipelineResponse


class EndlessPages(Exception):
    """A listing whose ``nextLink`` repeats, or that runs past ``MAX_PAGES`` pages."""


def body_problem(body: bytes) -> str | None:
    """What keeps a successful ARM answer's body from being one (every ARM GET answers a JSON object)."""
    if not body.strip():
        return "an empty body where ARM answers a JSON object (cut short?)"
    try:
        document = json.loads(body)
    except ValueError:
        return f"a body that is not JSON (cut short, or not ARM's: {body[:40].decode('utf-8', 'replace')!r})"
    return None if isinstance(document, dict) else f"a JSON {type(document).__name__}, not an object"


class AnswerCheck(SansIOHTTPPolicy):  # type: ignore[type-arg]
    """Raises ``DamagedAnswer`` for a successful GET whose body is not a JSON object."""

    def on_response(self, request: PipelineRequest, response: PipelineResponse) -> None:  # type: ignore[type-arg]
        http = response.http_response
        if request.http_request.method.upper() != "GET" or not 200 <= http.status_code < 300:
            return  # an error answer: the SDK raises HttpResponseError, which the caller classifies
        problem = body_problem(_body(http))
        if problem is not None:
            raise DamagedAnswer(problem)


def _body(http: Any) -> bytes:
    body = http.body() if callable(getattr(http, "body", None)) else getattr(http, "content", b"")
    return bytes(body or b"")


def pages(pager: Any, limit: int | None = None) -> Iterator[Any]:
    """The items of an SDK pager (``ItemPaged``), page by page, each ``nextLink`` followed once."""
    by_page = pager.by_page()
    seen: set[str] = set()
    most = MAX_PAGES if limit is None else limit
    for number, page in enumerate(by_page, start=1):
        yield from page
        token = by_page.continuation_token
        if token is None:
            return
        if str(token) in seen:
            raise EndlessPages(f"endless pagination (nextLink repeated after {number} pages)")
        seen.add(str(token))
        if number >= most:
            raise EndlessPages(f"endless pagination (more than {most:,} pages)")


def resource_problem(answer: Mapping[str, Any]) -> str | None:
    """What keeps an answer about one resource from being ARM's (it names itself by ``id``), or None."""
    return None if isinstance(answer.get("id"), str) and answer["id"] else "the answer names no resource (no id)"
