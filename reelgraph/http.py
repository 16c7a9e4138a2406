"""HTTP plumbing around the GraphQL endpoint: the view, the body-size limit, health checks, downloads."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import numpy as np
import orjson
from cross_web import HTTPException
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData
from strawberry.types.unset import UnsetType

from reelgraph.apq import PersistedQueries, PersistedQueryError
from reelgraph.auth.viewer import resolve_viewer
from reelgraph.caching.responses import CachedResponse, ResponseCache
from reelgraph.caching.shared_cache import cache_ready
from reelgraph.errors import ErrorCode, Unauthenticated
from reelgraph.graphiql import CONTENT_SECURITY_POLICY, graphiql_page
from reelgraph.observability.middleware import error_codes
from reelgraph.persistence.migrate import applied_revisions, head_revisions
from reelgraph.schema.context import Context
from reelgraph.schema.extensions.hostile_strings import RefusedCharacter, find_refused, refused_in_request
from reelgraph.services.container import Services


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

# What reelgraph.edge.Edge, which answers response-cache hits and counts rate limits before this
# view, leaves in the scope of a request it passes on, and what the view leaves for it.
RESPONSE_CACHE_KEY = "reelgraph.response_cache_key"  # set: an anonymous query that may be cached
OPERATION = "reelgraph.operation"  # (name, type), when the edge has read them from the body
ERROR_CODES = "reelgraph.error_codes"  # the answer's error codes, so the edge need not rescan it
PUBLIC_VARY = b"Accept-Language, Authorization"


def public_cache_headers(max_age: int) -> list[tuple[bytes, bytes]]:
    """An anonymous query's answer over GET (a persisted-query hash, typically) may sit in a CDN
    as long as in the response cache."""
    return [(b"cache-control", f"public, max-age={max_age}".encode()), (b"vary", PUBLIC_VARY)]


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


def error_500() -> Response:
    response = error_response(500, "Internal server error.", ErrorCode.INTERNAL_SERVER_ERROR)
    response.headers["cache-control"] = "no-store"
    return response


class BodyTooLarge(Exception):
    """Raised while a body is read past the limit (reelgraph.edge); the view answers 413."""


class GraphQLView(GraphQL[Context, None]):
    _persisted: PersistedQueries | None = None
    _persisted_services: Services | None = None

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
        except RefusedCharacter as exc:  # as a refused variable value would be
            response = error_response(200, exc.message, exc.code, field=exc.extensions["field"])
        except PersistedQueryError as exc:
            # Exactly Apollo's body (no `data`): its clients and links key on the message or code.
            response = error_response(exc.status, exc.message, exc.code, with_data=False)
        retry_after = getattr(request.state, "retry_after", None)  # account mutations, chat (extensions)
        if retry_after is not None:
            response.headers["retry-after"] = str(retry_after)
        if ERROR_CODES not in scope and response.media_type == "application/json":
            scope[ERROR_CODES] = tuple(error_codes(bytes(response.body)))
        # Shared caches keep only what _cached_or_run marked public.
        response.headers.setdefault("cache-control", "no-store")
        await response(scope, receive, send)

    async def _cached_or_run(self, request: Request) -> Response:
        """Runs the operation; stores the answer when the edge found it cacheable but not cached."""
        key: bytes | None = request.scope.get(RESPONSE_CACHE_KEY)
        response = await self.run(request)
        if key is None:
            return response
        context: Context | None = getattr(request.state, "graphql_context", None)
        if context is not None and context.cacheable_response and response.status_code == 200:
            cache: ResponseCache = request.app.state.services.response_cache
            body = bytes(response.body)
            codes = tuple(error_codes(body))
            request.scope[ERROR_CODES] = codes
            operation, kind = request.scope.get(OPERATION, ("", ""))
            cache.put(key, CachedResponse.of(body, operation, kind, codes))
            if request.method == "GET":
                max_age = request.app.state.services.settings.response_cache_seconds
                for name, value in public_cache_headers(max_age):
                    response.headers[name.decode()] = value.decode()
        return response

    def encode_json(self, data: object) -> str:
        """orjson: several times faster than json.dumps on a page of movies. A str, as WebSocket
        messages must be text frames."""
        try:
            return orjson.dumps(data).decode()
        except TypeError:  # e.g. an integer beyond 64 bits, which json.dumps writes
            return json.dumps(data)

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
