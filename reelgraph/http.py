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
from strawberry.http import GraphQLRequestData

from reelgraph.apq import PersistedQueries, PersistedQueryError
from reelgraph.caching.responses import ResponseCache
from reelgraph.caching.shared_cache import cache_ready
from reelgraph.errors import ErrorCode
from reelgraph.graphiql import CONTENT_SECURITY_POLICY, graphiql_page
from reelgraph.schema.context import Context
from reelgraph.services.container import Services
from reelgraph.throttling.request_limits import caller_key, client_ip, rate_limits, retry_after_message


def error_response(
    status: int,
    message: str,
    code: ErrorCode | str = ErrorCode.BAD_USER_INPUT,
    *,
    with_data: bool = True,
    **extensions: Any,
) -> JSONResponse:
    """A GraphQL-shaped error body, so clients parse every failure the same way."""
    body: dict[str, Any] = {"data": None} if with_data else {}
    body["errors"] = [{"message": message, "extensions": {"code": str(code), **extensions}}]
    return JSONResponse(body, status)


class GraphQLView(GraphQL[Context, None]):
    _persisted: PersistedQueries | None = None
    _persisted_services: Services | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        try:
            response = await self._over_rate_limit(request) or await self._cached_or_run(request)
        except HTTPException as exc:  # malformed JSON, wrong method or content type: coded, not plain text
            response = error_response(exc.status_code, exc.reason)
        except BodyTooLarge as exc:
            response = error_response(413, str(exc))
        except PersistedQueryError as exc:
            # Exactly Apollo's body (no `data`): its clients and links key on the message or code.
            response = error_response(exc.status, exc.message, exc.code, with_data=False)
        retry_after = getattr(request.state, "retry_after", None)
        if retry_after is not None:
            response.headers["retry-after"] = str(retry_after)
        # Shared caches keep only what _cached_or_run marked public.
        response.headers.setdefault("cache-control", "no-store")
        await response(scope, receive, send)

    async def _over_rate_limit(self, request: Request) -> Response | None:
        """Every request counts, before its body is even read; None when it may go on."""
        services: Services = request.app.state.services
        caller = caller_key(request.headers.get("authorization"), client_ip(request), services.codec)
        retry_after = await rate_limits(request).hit_caller(caller)
        if retry_after is None:
            return None
        request.state.retry_after = retry_after
        return error_response(
            200, retry_after_message(retry_after), ErrorCode.RATE_LIMITED, retryAfter=retry_after
        )

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
            response = Response(cached, media_type="application/json", headers={"x-reelgraph-cache": "hit"})
            return self._publicly_cacheable(request, response)
        response = await self.run(request)
        context: Context | None = getattr(request.state, "graphql_context", None)
        if context is not None and context.cacheable_response and response.status_code == 200:
            cache.put(key, bytes(response.body))
            return self._publicly_cacheable(request, response)
        return response

    @staticmethod
    def _publicly_cacheable(request: Request, response: Response) -> Response:
        """An anonymous query's answer over GET (a persisted-query hash, typically) may sit in a CDN
        as long as in the response cache."""
        if request.method == "GET":
            max_age = request.app.state.services.settings.response_cache_seconds
            response.headers["cache-control"] = f"public, max-age={max_age}"
            response.headers["vary"] = "Accept-Language, Authorization"
        return response

    def should_render_graphql_ide(self, request: Any) -> bool:
        # A hash-only persisted query over GET has no `query` either, but is no browser visit.
        return super().should_render_graphql_ide(request) and "extensions" not in request.query_params

    def parse_json(self, data: str | bytes) -> Any:
        try:
            parsed = super().parse_json(data)
        except UnicodeDecodeError as exc:  # e.g. a UTF-16 byte-order mark on a truncated body
            raise HTTPException(400, "Unable to parse request body as JSON") from exc
        # A body must be an object (or a batch's list): Strawberry fails with a 500 on `"text"`,
        # `null` or `5`. Query-string parameters (str) may be null.
        if isinstance(data, bytes) and not isinstance(parsed, dict | list):
            raise HTTPException(400, "The request body must be a JSON object.")
        return parsed

    async def execute_operation(
        self,
        request: Request,
        request_adapter: Any,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: Context,
        root_value: None,
        sub_response: Any,
    ) -> Any:
        # Automatic persisted queries: the query is filled in (or refused) before Strawberry parses.
        persisted = self._persisted_queries(request.app.state.services)
        registration = None
        if isinstance(request_data, GraphQLRequestData):
            registration = await persisted.prepare(request_data)
        result = await super().execute_operation(
            request=request,
            request_adapter=request_adapter,
            request_data=request_data,
            context=context,
            root_value=root_value,
            sub_response=sub_response,
        )
        # Registered once it parsed, validated and was within the cost limit (QueryCost got there).
        cost = getattr(request.state, "graphql_cost", None)
        if registration is not None and cost is not None and cost <= context.services.settings.max_query_cost:
            await persisted.register(registration)
        return result

    def _persisted_queries(self, services: Services) -> PersistedQueries:
        if self._persisted is None or self._persisted_services is not services:
            settings = services.settings
            shared = services.cache if settings.cache_url.startswith(("redis://", "rediss://")) else None
            self._persisted = PersistedQueries(
                shared, settings.persisted_query_ttl_seconds, enabled=settings.persisted_queries
            )
            self._persisted_services = services
        return self._persisted

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
