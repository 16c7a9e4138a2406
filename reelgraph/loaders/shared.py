"""The DataLoader every per-request loader derives from: shared futures that one awaiter's
cancellation cannot take away from the others."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

K = TypeVar("K")
V = TypeVar("V")


class SharedDataLoader(DataLoader[K, V]):
    """Strawberry's DataLoader hands every resolver that asks for a key the same cached future.

    When graphql-core cancels one of those resolvers (a sibling field failed), awaiting the bare
    future would cancel it for every other resolver too, and they would see a CancelledError, which
    escapes execution as a plain-text HTTP 500. Each caller awaits a shield of the future instead.
    """

    def load(self, key: K) -> Awaitable[V]:
        future = asyncio.ensure_future(super().load(key))  # already a Future: returned as is
        # When every caller was cancelled, nobody awaits the shared future: retrieving its error
        # here keeps asyncio from logging it as lost ("Future exception was never retrieved").
        future.add_done_callback(_retrieve)
        return asyncio.shield(future)


def _retrieve(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()
