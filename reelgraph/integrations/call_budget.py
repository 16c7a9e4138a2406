"""A budget of upstream lookups (TMDb, OMDb) per GraphQL operation.

The query cost counts the nodes an operation may return, not the upstream calls behind them:
`genres { name movies { nodes { imdbVotes } } }` costs 420 nodes but, cold, made 478 lookups (20
list pages, 230 movie details, 228 OMDb scores): 10 s of one anonymous request using the whole
upstream rate limit, and half of a free OMDb key's daily quota. Every lookup the shared cache cannot
answer spends one unit; past the budget, the fields that need more fail with QUERY_TOO_COMPLEX and
the rest of the answer stands. Cached data is free, so asking again finishes the job.

The budget lives in a context variable set around each operation's execution (the tasks graphql-
core and the DataLoaders start inherit it); outside an operation nothing is counted.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from reelgraph.errors import ApiError, ErrorCode


class UpstreamBudgetExceeded(ApiError):
    code = ErrorCode.QUERY_TOO_COMPLEX

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"This operation needs more than {limit} TMDb/OMDb lookups that are not cached yet: "
            "ask for fewer items or fewer details, or ask again once these are cached.",
            maxUpstreamCalls=limit,
        )


class UpstreamBudget:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def spend(self, calls: int = 1) -> None:
        """Takes `calls` lookups from the budget, or raises without taking any."""
        if self.used + calls > self.limit:
            raise UpstreamBudgetExceeded(self.limit)
        self.used += calls


_current: ContextVar[UpstreamBudget | None] = ContextVar("upstream_budget", default=None)


@contextmanager
def upstream_budget(limit: int) -> Iterator[UpstreamBudget]:
    budget = UpstreamBudget(limit)
    token = _current.set(budget)
    try:
        yield budget
    finally:
        _current.reset(token)


def spend_upstream(calls: int = 1) -> None:
    """Counts lookups against the current operation's budget; a no-op outside an operation."""
    budget = _current.get()
    if budget is not None:
        budget.spend(calls)
