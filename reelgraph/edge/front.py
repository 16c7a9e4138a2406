"""Edge: outermost, one pass per HTTP request or WebSocket, pure ASGI.

One send wrapper adds X-Request-ID (the client's id when sane, else a new one, also in a context
variable for log lines) and the security headers, and notes the status for the metrics and the
access line recorded at the end (reelgraph.observability.middleware.RequestObserver). Around it:
the error guard (an escaping exception becomes a JSON 500, logged once with the request id) and
the body-size limit (by Content-Length, and while the body streams).

For GraphQL over HTTP it counts the request against the rate limit before reading the body, and
answers a response-cache hit itself, before CORS, admission control, Starlette's router and its
Request: a hit costs a hash, a dictionary lookup and two sends (profiled: the layers each wrapping
send, Starlette's header objects, the `limits` storage calls and the rescan of the cached body for
error codes cost four times what the hit itself does). A miss goes on with the body already read,
the cache key and the operation name in the scope (reelgraph.http).
"""

from __future__ import annotations

import logging
import time
from contextlib import AbstractContextManager, nullcontext
from contextlib import suppress as suppressed
from typing import Any

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reelgraph.caching.responses import CachedResponse, ResponseCache
from reelgraph.config import Settings
from reelgraph.errors import ErrorCode
from reelgraph.http import (
    ERROR_CODES,
    OPERATION,
    PUBLIC_VARY,
    RESPONSE_CACHE_KEY,
    BodyTooLarge,
    error_500,
    error_response,
    public_cache_headers,
)
from reelgraph.observability import tracing
from reelgraph.observability.context import new_request_id, request_id_var, sane_request_id
from reelgraph.observability.metrics import Metrics
from reelgraph.observability.middleware import (
    KNOWN_ROUTES,
    MAX_REQUEST_CAPTURE,
    MAX_RESPONSE_CAPTURE,
    RequestObserver,
    error_codes,
    request_operation,
)
from reelgraph.security import security_headers
from reelgraph.throttling.request_limits import app_rate_limits, caller_key, retry_after_message

log = logging.getLogger("reelgraph.http")

_NO_STORE = ((b"cache-control", b"no-store"),)
_HIT_POST_HEADERS = (*_NO_STORE, (b"vary", b"Origin"))
_JSON = b"application/json"


class Edge:
    def __init__(
        self,
        app: ASGIApp,
        *,
        settings: Settings,
        metrics: Metrics | None,
        cors: dict[str, Any],
        graphql_path: str = "/graphql",
    ) -> None:
        self.app = app
        self.graphql_path = graphql_path
        self.observer = RequestObserver(metrics, settings.access_log_per_second)
        self.security = security_headers(hsts=settings.is_production)
        self.security_names = frozenset(name for name, _ in self.security)
        self.max_bytes = settings.max_body_bytes
        self.max_upload_bytes = max(settings.max_upload_body_bytes, settings.max_body_bytes)
        # Answers given here get the CORS headers CORSMiddleware would give them further in.
        self.cors = CORSMiddleware(app, **cors)
        public = public_cache_headers(settings.response_cache_seconds)
        self.hit_get_cors_headers = tuple(public)
        self.hit_get_headers = (
            *[(name, value) for name, value in public if name != b"vary"],
            (b"vary", PUBLIC_VARY + b", Origin"),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "websocket":
            await self._websocket(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        began = time.perf_counter()
        method: str = scope["method"]
        path: str = scope["path"]
        given_id = length = content_type = authorization = origin = accept = language = None
        for name, value in scope["headers"]:  # ASGI header names are lower case
            if name == b"x-request-id":
                given_id = value
            elif name == b"content-length":
                length = value
            elif name == b"content-type":
                content_type = value
            elif name == b"authorization":
                authorization = value
            elif name == b"origin":
                origin = value
            elif name == b"accept":
                accept = value
            elif name == b"accept-language":
                language = value
        request_id = sane_request_id(given_id) or new_request_id()
        token = request_id_var.set(request_id)
        observer = self.observer
        observer.started()

        graphql = path == self.graphql_path
        status = 500
        started = ended = False
        capture = graphql
        chunks: list[bytes] = []
        security, security_names = self.security, self.security_names
        rid = (b"x-request-id", request_id.encode())

        async def edge_send(message: Message) -> None:
            nonlocal status, started, ended, capture
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                headers = list(message.get("headers") or ())
                present = {name.lower() for name, _ in headers} & security_names
                headers.extend(pair for pair in security if pair[0] not in present)
                headers.append(rid)
                message = {**message, "headers": headers}
                if capture:
                    found = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                    capture = found.startswith(_JSON)
            elif message["type"] == "http.response.body":
                if capture:
                    chunks.append(message.get("body", b""))
                ended = not message.get("more_body", False)
            await send(message)

        def cors_send(message: Message) -> Any:
            return self.cors.send(message, edge_send, Headers(scope=scope))

        async def answer(response: Response) -> None:
            await response(scope, receive, cors_send)

        limit = self.max_bytes
        if (
            authorization is not None
            and content_type
            and content_type.lower().startswith(b"multipart/form-data")
        ):
            limit = self.max_upload_bytes  # signed-in uploads (importLibrary); anonymous ones cannot
        observed: tuple[str, str, tuple[str, ...] | None] = ("", "", None)
        request_body: list[bytes] = []
        truncated = False
        received = 0

        async def limited_receive() -> Message:
            nonlocal received, truncated
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                received += len(chunk)
                if received > limit:
                    raise BodyTooLarge(_too_large(limit))
                if graphql:
                    if received <= MAX_REQUEST_CAPTURE:
                        request_body.append(chunk)
                    else:
                        truncated = True
            return message

        span: Any = tracing.NO_SPAN
        context: AbstractContextManager[Any] = nullcontext(span)
        if tracing.enabled():
            route = path if path in KNOWN_ROUTES else "other"
            context = tracing.server_span(
                f"{method} {route}", dict(scope["headers"]), {"http.request.method": method, "url.path": path}
            )
        raised = False
        try:
            with context as span:
                if length is not None and length.isdigit() and int(length) > limit:
                    await answer(error_response(413, _too_large(limit)))
                elif graphql and method in ("GET", "POST") and "app" in scope:
                    observed = await self._graphql(
                        scope,
                        limited_receive,
                        edge_send,
                        cors_send,
                        answer,
                        origin,
                        authorization,
                        accept,
                        language,
                    )
                else:
                    await self.app(scope, limited_receive, edge_send)
                span.set_attribute("http.response.status_code", status)
        except Exception as exc:
            raised = True
            if isinstance(exc, BodyTooLarge) and not started:
                with suppressed(Exception):
                    await answer(error_response(413, str(exc)))
            else:
                log.exception("unhandled error in %s %s (request %s)", method, path, request_id)
                if not ended:
                    with suppressed(Exception):  # the client may be gone already
                        if started:
                            await send({"type": "http.response.body", "body": b"", "more_body": False})
                        else:
                            await error_500()(scope, receive, edge_send)
                status = 500
        except BaseException:  # cancelled: counted as what the client saw, then passed on
            raised = True
            status = 500
            raise
        finally:
            operation, kind, codes = observed
            if graphql:
                if not operation:
                    body = b"".join(request_body) if request_body else None
                    operation, kind = request_operation(
                        method, scope.get("query_string", b""), body, truncated
                    )
                if codes is None:
                    codes = scope.get(ERROR_CODES)
                if raised and status == 500:
                    codes = ("INTERNAL_SERVER_ERROR",)
                elif codes is None:
                    codes = _codes_of(chunks) if capture else ()
            observer.finished(
                method,
                path,
                status,
                time.perf_counter() - began,
                operation,
                kind,
                codes or (),
                scope.get("client"),
            )
            request_id_var.reset(token)

    async def _graphql(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        cors_send: Send,
        answer: Any,
        origin: bytes | None,
        authorization: bytes | None,
        accept: bytes | None,
        language: bytes | None,
    ) -> tuple[str, str, tuple[str, ...] | None]:
        """Rate limit, then the response cache; (operation, type, codes) when answered here."""
        state = scope["app"].state
        services = getattr(state, "services", None)
        if services is None:  # no lifespan ran: nothing to count or look up
            await self.app(scope, receive, send)
            return ("", "", None)
        client = scope.get("client")
        header = authorization.decode("latin-1") if authorization is not None else None
        caller = caller_key(header, client[0] if client else "unknown", services.codec)
        retry_after = await app_rate_limits(state).hit_caller(caller)
        if retry_after is not None:  # before the body is even read
            refused = error_response(
                200, retry_after_message(retry_after), ErrorCode.RATE_LIMITED, retryAfter=retry_after
            )
            refused.headers["retry-after"] = str(retry_after)
            refused.headers["cache-control"] = "no-store"
            await answer(refused)
            return ("none", "unknown", (str(ErrorCode.RATE_LIMITED),))
        cache: ResponseCache = services.response_cache
        method: str = scope["method"]
        # Only anonymous requests (a viewer's lists depend on who they are), not the GraphiQL page.
        if (
            not cache.enabled
            or authorization is not None
            or (method == "GET" and accept and b"text/html" in accept)
        ):
            await self.app(scope, receive, send)
            return ("", "", None)
        body = await _read_body(receive)
        query_string: bytes = scope.get("query_string", b"")
        key = cache.key(method, query_string, body, language or b"")
        entry = cache.get(key)
        if entry is not None:
            await self._hit(entry, method, origin, send, cors_send)
            return (entry.operation, entry.operation_type, entry.error_codes)
        operation, kind = request_operation(method, query_string, body, False)
        scope[RESPONSE_CACHE_KEY] = key
        scope[OPERATION] = (operation, kind)
        await self.app(scope, _replay(body, receive), send)
        return (operation, kind, None)

    async def _hit(
        self, entry: CachedResponse, method: str, origin: bytes | None, send: Send, cors_send: Send
    ) -> None:
        headers = [
            (b"content-type", _JSON),
            (b"content-length", entry.content_length),
            (b"x-reelgraph-cache", b"hit"),
        ]
        if method == "GET":
            headers.extend(self.hit_get_headers if origin is None else self.hit_get_cors_headers)
        else:
            headers.extend(_HIT_POST_HEADERS if origin is None else _NO_STORE)
        start = {"type": "http.response.start", "status": 200, "headers": headers}
        # Without an Origin, CORSMiddleware would only add Vary: Origin, which is in the headers.
        await (send(start) if origin is None else cors_send(start))
        await send({"type": "http.response.body", "body": entry.body})

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        given = next((value for name, value in scope.get("headers") or () if name == b"x-request-id"), None)
        request_id = sane_request_id(given) or new_request_id()
        token = request_id_var.set(request_id)
        observer = self.observer
        accepted = closed = False

        async def tagged_send(message: Message) -> None:
            nonlocal accepted, closed
            if message["type"] == "websocket.accept":
                accepted = True
                headers = [*message.get("headers", ()), (b"x-request-id", request_id.encode())]
                message = {**message, "headers": headers}
                observer.websocket_opened()
            elif message["type"] == "websocket.close":
                closed = True
            await send(message)

        began = time.perf_counter()
        try:
            await self.app(scope, receive, tagged_send)
        except Exception:
            log.exception("unhandled error in WEBSOCKET %s (request %s)", scope["path"], request_id)
            if not closed:
                with suppressed(Exception):
                    await send({"type": "websocket.close", "code": 1011, "reason": ""})
        finally:
            observer.websocket_closed(scope["path"], accepted, time.perf_counter() - began)
            request_id_var.reset(token)


def _too_large(limit: int) -> str:
    return f"Request body exceeds the limit of {limit} bytes."


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body read already, then whatever comes next (a disconnect)."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed


def _codes_of(chunks: list[bytes]) -> tuple[str, ...]:
    size = sum(len(chunk) for chunk in chunks)
    return () if size > MAX_RESPONSE_CAPTURE else tuple(error_codes(b"".join(chunks)))
