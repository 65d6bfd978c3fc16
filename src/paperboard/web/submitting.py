"""Submissions that need arXiv, answered without holding a request thread (DESIGN.md §2).

A web process builds responses on a few threads (``PAPERBOARD_WEB_THREADS``); a look-up of an
unknown paper may wait on arXiv for a minute. So the submit handlers are ``async``: the
database work runs on a request thread as usual, and the look-up (on the submissions' own
pool, community/submissions.py) is awaited on the event loop, for at most its ``wait_s``.
Past that the answer is 503 with ``Retry-After``: the look-up goes on and stores the paper,
so trying again finds it. When too many look-ups wait already, the answer is that 503 at once.

Why a bounded wait and not 202 with a status to poll: Hugging Face's submit call, which
``POST /api/papers/index`` mirrors, answers with the paper, and so does the submit form; an
arXiv that answers in a few seconds keeps that answer, and only an unanswering one gets the 503.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool

from paperboard.community.errors import SourceUnavailable
from paperboard.community.submissions import LOOKUP_RETRY_AFTER_S, PendingLookup, Submission


async def submission(start: Callable[[], Submission | PendingLookup]) -> Submission:
    """The submission ``start`` makes (a ``Community`` call), its arXiv look-up awaited."""
    step = await run_in_threadpool(start)
    if isinstance(step, Submission):
        return step
    lookup = asyncio.wrap_future(step.lookup)
    # finish raises the look-up's error, from the thread's future: mark this copy's as read,
    # so that asyncio does not log it as never retrieved.
    lookup.add_done_callback(lambda ended: ended.cancelled() or ended.exception())
    # asyncio.wait neither raises that error nor cancels the look-up when the time is up.
    done, _ = await asyncio.wait({lookup}, timeout=step.wait_s)
    if not done:
        raise SourceUnavailable(
            f"arXiv has not answered about {step.arxiv_id} yet. It is still being looked up: "
            "try again in a minute.",
            retry_after_s=LOOKUP_RETRY_AFTER_S,
        )
    return await run_in_threadpool(step.finish)
