"""HTTP plumbing around the GraphQL endpoint: the view, the body-size limit, health checks, downloads."""

from __future__ import annotations

import json
import logging
import re
from contextlib import suppress
from typing import Any

import numpy as np
from cross_web import HTTPException
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData
from strawberry.types.unset import UnsetType

from reelgraph.apq import PersistedQueries, PersistedQueryError
from reelgraph.auth.viewer import resolve_viewer
from reelgraph.caching.responses import ResponseCache
from reelgraph.caching.shared_cache import cache_ready
from reelgraph.errors import ErrorCode, Unauthenticated
from reelgraph.graphiql import CONTENT_SECURITY_POLICY, graphiql_page
from reelgraph.observability.context import new_request_id, request_id_var, sane_request_id
from reelgraph.persistence.migrate import applied_revisions, head_revisions
from reelgraph.schema.context import Context
from reelgraph.schema.extensions.hostile_strings import RefusedCharacter, find_refused, refused_in_request
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


log = logging.getLogger(__name__)

MAX_JSON_DEPTH = 64
# A JSON string, possessive so that the scan stays linear on unterminated strings and escapes.
_JSON_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"?', re.DOTALL)
_NOT_BRACKET = bytes(set(range(256)) - set(b"[]{}"))
_BRACKET_STEP = bytes.maketrans(b"[]{}", b"\x01\xff\x01\xff")  # +1 and -1 as int8


class JSONTooDeep(json.JSONDecodeError):
    """A JSON document nested deeper than MAX_JSON_DEPTH (a JSONDecodeError, so that WebSocket
    handlers treat it as the bad message it is)."""


def nesting_exceeds(text: str, limit: int) -> bool:
    """Whether JSON text nests arrays and objects more than `limit` deep; linear, no recursion.

    json.loads recurses once per level and runs out of stack near 1,000 (a RecursionError, which
    nothing expects), so the depth is measured on the text first: strings removed, the brackets
    left become +1 / -1, and the deepest point is their running sum's maximum (numpy: ~20 ms for
    a megabyte of brackets, a tenth of what json.loads takes to read one).
    """
    if text.count("[") + text.count("{") <= limit:  # the usual request: nothing to measure
        return False
    outside_strings = _JSON_STRING.sub("", text).encode("utf-8", "surrogatepass")
    steps = outside_strings.translate(_BRACKET_STEP, _NOT_BRACKET)
    return bool(steps) and int(np.frombuffer(steps, np.int8).cumsum(dtype=np.int64).max()) > limit


def error_500(request_id: str | None) -> Response:
    response = error_response(500, "Internal server error.", ErrorCode.INTERNAL_SERVER_ERROR)
    response.headers["cache-control"] = "no-store"
    if request_id:
        response.headers["x-request-id"] = request_id
    return response


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
        except RefusedCharacter as exc:  # as a refused variable value would be
            response = error_response(200, exc.message, exc.code, field=exc.extensions["field"])
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

    def decode_json(self, data: str | bytes) -> object:
        """json.loads with a depth limit, for bodies, GET parameters and WebSocket messages."""
        # Decoded as json.loads decodes bytes, so that the depth is measured on the same text.
        text = data.decode(json.detect_encoding(data), "surrogatepass") if isinstance(data, bytes) else data
        if nesting_exceeds(text, MAX_JSON_DEPTH):
            raise JSONTooDeep(f"JSON nested deeper than {MAX_JSON_DEPTH} levels is not accepted.", "", 0)
        return json.loads(text)

    async def parse_multipart(self, request: Any) -> dict[str, str]:
        # Multipart is a "simple" content type a cross-site form may send without a preflight:
        # as Strawberry and Apollo advise against CSRF, only requests carrying a header a form
        # cannot set are read (apollo-upload-client and urql send Apollo-Require-Preflight).
        headers = request.headers
        if not (headers.get("apollo-require-preflight") or headers.get("x-apollo-operation-name")):
            raise HTTPException(
                400, "Multipart requests need an Apollo-Require-Preflight header (CSRF protection)."
            )
        try:
            return await super().parse_multipart(request)
        except StarletteHTTPException as exc:  # python-multipart's parse errors, coded like the rest
            raise HTTPException(400, f"Unable to parse the multipart body: {exc.detail}") from exc
        except (IndexError, TypeError, AttributeError) as exc:  # a `map` naming paths that are not there
            raise HTTPException(400, "The multipart map does not match the operations.") from exc

    def parse_json(self, data: str | bytes) -> Any:
        try:
            parsed = super().parse_json(data)
        except HTTPException as exc:
            if isinstance(exc.__cause__, JSONTooDeep):
                raise HTTPException(400, exc.__cause__.msg) from exc.__cause__
            raise
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
            # Before anything reads them (persisted queries hash the query and look up its hash).
            refused = refused_in_request(
                request_data.query,
                request_data.operation_name,
                request_data.variables,
                request_data.extensions,
            )
            if refused is not None:
                raise refused
            context.request_json_checked = True  # the extension need not walk the variables again
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

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        # The connection_init payload carries the Authorization parameter: refused at the door.
        refused = find_refused(context.connection_params, "connectionParams")
        if refused is not None:
            raise ConnectionRejectionError({"message": refused.message, "extensions": refused.extensions})
        return await super().on_ws_connect(context)

    async def get_context(self, request: HTTPConnection, response: Any) -> Context:
        context = Context.create(request.app.state.services, request)
        request.state.graphql_context = context
        return context


class BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    """Refuses bodies over `max_bytes`, by Content-Length or while streaming, before any parsing.

    Signed-in multipart requests (file uploads: importLibrary) may reach `max_upload_bytes`;
    anonymous ones cannot upload anything, so they keep the plain limit."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_upload_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max(max_upload_bytes or max_bytes, max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        limit = self._limit(headers)
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._too_large(limit)(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(self._message(limit))
            return message

        await self.app(scope, limited_receive, send)

    def _limit(self, headers: dict[bytes, bytes]) -> int:
        content_type = headers.get(b"content-type", b"").lower()
        if content_type.startswith(b"multipart/form-data") and b"authorization" in headers:
            return self.max_upload_bytes
        return self.max_bytes

    def _message(self, limit: int) -> str:
        return f"Request body exceeds the limit of {limit} bytes."

    def _too_large(self, limit: int) -> Response:
        return error_response(413, self._message(limit))


class ErrorGuard:
    """Outermost: an exception escaping the app becomes a JSON 500 (INTERNAL_SERVER_ERROR) rather
    than Starlette's plain-text one, logged once with the request id and its traceback; the server
    goes on serving. A response already under way is ended (HTTP) or closed (WebSocket, 1011).

    It assigns the request id itself (the client's, when sane), passing it on in the X-Request-ID
    header, so that its log line and the access log name the same request.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        scope, request_id = self._with_request_id(scope)
        started = ended = False

        async def tracking_send(message: Message) -> None:
            nonlocal started, ended
            kind = message["type"]
            started = started or kind in ("http.response.start", "websocket.accept", "websocket.close")
            ended = ended or kind == "websocket.close"
            ended = ended or (kind == "http.response.body" and not message.get("more_body", False))
            await send(message)

        token = request_id_var.set(request_id)
        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            method = scope.get("method", "WEBSOCKET")
            log.exception("unhandled error in %s %s (request %s)", method, scope["path"], request_id)
            if not ended:
                with suppress(Exception):  # the client may be gone already
                    await self._end(scope, receive, send, started, request_id)
        finally:
            request_id_var.reset(token)

    @staticmethod
    def _with_request_id(scope: Scope) -> tuple[Scope, str]:
        headers: list[tuple[bytes, bytes]] = list(scope.get("headers") or ())
        given = next((value for name, value in headers if name.lower() == b"x-request-id"), None)
        request_id = sane_request_id(given)
        if request_id is None:
            request_id = new_request_id()
            headers = [(name, value) for name, value in headers if name.lower() != b"x-request-id"]
            scope = {**scope, "headers": [*headers, (b"x-request-id", request_id.encode())]}
        return scope, request_id

    @staticmethod
    async def _end(scope: Scope, receive: Receive, send: Send, started: bool, request_id: str) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1011, "reason": ""})
        elif started:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        else:
            await error_500(request_id)(scope, receive, send)


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def ready(request: Request) -> Response:
    services: Services = request.app.state.services
    checks: dict[str, str] = {}
    try:
        async with services.engine.connect() as connection:
            applied = await applied_revisions(connection)
        # Behind the code's migrations (production starts without --migrate): requests would fail.
        checks["database"] = "ok" if applied == head_revisions() else _pending(applied)
    except Exception as exc:
        checks["database"] = f"unavailable: {type(exc).__name__}"
    try:
        checks["cache"] = "ok" if await cache_ready(services.cache) else "unavailable"
    except Exception as exc:
        checks["cache"] = f"unavailable: {type(exc).__name__}"
    healthy = all(value == "ok" for value in checks.values())
    body: dict[str, Any] = {"status": "ok" if healthy else "unavailable", "checks": checks}
    if services.recommendations is not None:
        # The shared model version this replica serves: every replica reports the same one.
        body["recommender"] = services.recommendations.served_version
    return Response(json.dumps(body), status_code=200 if healthy else 503, media_type="application/json")


async def download(request: Request) -> Response:
    """GET /downloads/<token>: the file, to the signed-in user the link was made for; 404 otherwise
    (anonymous, someone else's link, a bad token or an expired file: nothing says which)."""
    services: Services = request.app.state.services
    try:
        viewer = await resolve_viewer(request.headers.get("authorization"), services.codec, services.sessions)
    except Unauthenticated:
        viewer = None
    found = await services.downloads.open(request.path_params["token"], viewer)
    if found is None:
        return JSONResponse({"error": "not found"}, status_code=404, headers={"cache-control": "no-store"})
    filename = re.sub(r"[^A-Za-z0-9._-]", "_", found.filename)  # nothing that could break the header
    headers = {
        "content-disposition": f'attachment; filename="{filename}"',
        "cache-control": "private, no-store",
    }
    return Response(found.content, media_type=found.content_type, headers=headers)


def _pending(applied: frozenset[str]) -> str:
    at = ", ".join(sorted(applied)) or "no revision"
    return f"migrations pending: at {at}, the code needs {', '.join(sorted(head_revisions()))}"
