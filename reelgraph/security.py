"""Production safeguards: security headers on every response, and settings refused at start-up."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reelgraph.config import ConfigError, Settings

# JSON needs nothing from a browser: no scripts, no frames, no loads. The GraphiQL page sets its own
# policy (reelgraph.graphiql.CONTENT_SECURITY_POLICY), which is kept.
API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'"
HSTS = "max-age=31536000; includeSubDomains"
DEVELOPMENT_CORS_ORIGINS = ["http://localhost:3000", "http://127.0.0.1:3000"]


class SecurityHeaders:
    """Adds nosniff, a strict referrer policy, no framing, a CSP unless the response has its own,
    and HSTS in production, to every HTTP response (errors and CORS preflights included)."""

    def __init__(self, app: ASGIApp, hsts: bool) -> None:
        self.app = app
        self.headers = [
            ("x-content-type-options", "nosniff"),
            ("referrer-policy", "no-referrer"),
            ("x-frame-options", "DENY"),
        ]
        if hsts:
            self.headers.append(("strict-transport-security", HSTS))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers:
                    headers.setdefault(name, value)
                headers.setdefault("content-security-policy", API_CONTENT_SECURITY_POLICY)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def check_settings(settings: Settings) -> None:
    """Refuses, at start-up, what must not run in production (the JWT secret is checked apart)."""
    if not settings.is_production:
        return
    origins = settings.cors_origins
    if "*" in origins or any("*" in origin for origin in origins):
        raise ConfigError("REELGRAPH_CORS_ORIGINS must list exact origins in production, not a wildcard.")
    if "cors_origins" not in settings.model_fields_set and origins == DEVELOPMENT_CORS_ORIGINS:
        raise ConfigError(
            "REELGRAPH_CORS_ORIGINS is required in production: the web app origins allowed to call the "
            "API (e.g. https://app.example.com), or an empty value when no browser app calls it."
        )
