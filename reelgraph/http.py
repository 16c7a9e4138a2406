"""HTTP plumbing around the GraphQL endpoint: the view, the body-size limit, health checks."""

from __future__ import annotations

import json
from typing import Any

from cross_web import HTTPException
from sqlalchemy import text
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.asgi import GraphQL

from reelgraph.cache import cache_ready
from reelgraph.errors import ErrorCode
from reelgraph.graphiql import CONTENT_SECURITY_POLICY, graphiql_page
from reelgraph.response_cache import ResponseCache
from reelgraph.schema.context import Context
from reelgraph.services.container import Services


def error_response(status: int, message: str, code: ErrorCode = ErrorCode.BAD_USER_INPUT) -> JSONResponse:
    """A GraphQL-shaped error body, so clients parse every failure the same way."""
    return JSONResponse(
        {"data": None, "errors": [{"message": message, "extensions": {"code": code.value}}]}, status
    )


class GraphQLView(GraphQL[Context, None]):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        try:
            response = await self._cached_or_run(request)
        except HTTPException as exc:  # malformed JSON, wrong method or content type: coded, not plain text
            response = error_response(exc.status_code, exc.reason)
        except BodyTooLarge as exc:
            response = error_response(413, str(exc))
        await response(scope, receive, send)

    async def _cached_or_run(self, request: Request) -> Response:
        cache: ResponseCache = request.app.state.services.response_cache
        # Only anonymous requests: a viewer's lists and fields depend on who they are.
        if not cache.enabled or "authorization" in request.headers or request.method not in ("GET", "POST"):
            return await self.run(request)
        if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
            return await self.run(request)  # the GraphiQL page
        body = await request.body()  # Starlette keeps it for Strawberry to read again
        key = cache.key(
            request.method,
            request.scope.get("query_string", b""),
            body,
            request.headers.get("accept-language", ""),
        )
        cached = cache.get(key)
        if cached is not None:
            return Response(cached, media_type="application/json", headers={"x-reelgraph-cache": "hit"})
        response = await self.run(request)
        context: Context | None = getattr(request.state, "graphql_context", None)
        if context is not None and context.cacheable_response and response.status_code == 200:
            cache.put(key, bytes(response.body))
        return response

    async def render_graphql_ide(self, request: Request) -> Response:
        # Our own page with vendored, pinned assets (reelgraph/graphiql), not Strawberry's CDN one.
        page = graphiql_page(request.url.path, root_path=request.scope.get("root_path", ""))
        return HTMLResponse(page, headers={"content-security-policy": CONTENT_SECURITY_POLICY})

    async def get_context(self, request: HTTPConnection, response: Any) -> Context:
        context = Context.create(request.app.state.services, request)
        request.state.graphql_context = context
        return context


class BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    """Refuses bodies over `max_bytes`, by Content-Length or while streaming, before any parsing."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large()(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self._message())
            return message

        await self.app(scope, limited_receive, send)

    def _message(self) -> str:
        return f"Request body exceeds the limit of {self.max_bytes} bytes."

    def _too_large(self) -> Response:
        return error_response(413, self._message())


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def ready(request: Request) -> Response:
    services: Services = request.app.state.services
    checks: dict[str, str] = {}
    try:
        async with services.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"unavailable: {type(exc).__name__}"
    try:
        checks["cache"] = "ok" if await cache_ready(services.cache) else "unavailable"
    except Exception as exc:
        checks["cache"] = f"unavailable: {type(exc).__name__}"
    healthy = all(value == "ok" for value in checks.values())
    body = {"status": "ok" if healthy else "unavailable", "checks": checks}
    return Response(json.dumps(body), status_code=200 if healthy else 503, media_type="application/json")
