"""What every mock app shares: request counting in ``app.state.calls`` and the middleware stack."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import QueryParams
from starlette.middleware import Middleware
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from reelgraph.integrations.mock_upstream.faults import FaultConfig, FaultMiddleware
from reelgraph.integrations.offline_catalog import OfflineCatalog

CallKey = Callable[[Scope], str]


def path_call_key(scope: Scope) -> str:
    return str(scope["path"])


def omdb_call_key(scope: Scope) -> str:
    """OMDb has one path; the identifying parameter makes the counts useful."""
    params = QueryParams(scope.get("query_string", b""))
    for name in ("i", "t", "s"):
        if name in params:
            key = f"{scope['path']}?{name}={params[name]}"
            return f"{key}&y={params['y']}" if name == "t" and "y" in params else key
    return str(scope["path"])


class CallCounterMiddleware:
    """Counts every HTTP request (faulted ones too: the client did make the call)."""

    def __init__(
        self,
        app: ASGIApp,
        calls: Counter[str],
        key: CallKey = path_call_key,
        exempt_paths: Sequence[str] = (),
    ) -> None:
        self.app = app
        self.calls = calls
        self.key = key
        self.exempt_paths = frozenset(exempt_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] not in self.exempt_paths:
            self.calls[self.key(scope)] += 1
        await self.app(scope, receive, send)


def reset_calls(app: Starlette) -> None:
    """Clear the call counts of ``app`` and of the apps mounted in it (cleared in place)."""
    app.state.calls.clear()
    for child in getattr(app.state, "children", ()):
        reset_calls(child)


def counted_app(
    catalog: OfflineCatalog,
    routes: Sequence[BaseRoute],
    faults: FaultConfig | None,
    *,
    calls: Counter[str] | None = None,
    call_key: CallKey = path_call_key,
    omdb_prefix: str | None = None,
    exempt_paths: Sequence[str] = (),
    outer: Sequence[Middleware] = (),
    inner: Sequence[Middleware] = (),
    exception_handlers: Mapping[Any, Any] | None = None,
) -> Starlette:
    """A mock app: ``outer`` middleware, call counting, active faults, ``inner`` middleware, routes.

    The counts land in ``calls`` (a new ``Counter`` if not given), kept in ``app.state.calls``.
    """
    calls = Counter() if calls is None else calls
    middleware = [
        *outer,
        Middleware(CallCounterMiddleware, calls=calls, key=call_key, exempt_paths=exempt_paths),
    ]
    if faults is not None and faults.active:
        middleware.append(
            Middleware(FaultMiddleware, config=faults, omdb_prefix=omdb_prefix, exempt_paths=exempt_paths)
        )
    middleware += inner
    app = Starlette(routes=routes, middleware=middleware, exception_handlers=exception_handlers)
    app.state.catalog = catalog
    app.state.calls = calls
    return app
