"""Production safeguards: the security headers of every response, and settings refused at start-up."""

from __future__ import annotations

from reelgraph.config import ConfigError, Settings

# JSON needs nothing from a browser: no scripts, no frames, no loads. The GraphiQL page sets its own
# policy (reelgraph.graphiql.CONTENT_SECURITY_POLICY), which is kept.
API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'"
HSTS = "max-age=31536000; includeSubDomains"
DEVELOPMENT_CORS_ORIGINS = ["http://localhost:3000", "http://127.0.0.1:3000"]


def security_headers(hsts: bool) -> list[tuple[bytes, bytes]]:
    """What every HTTP response carries (errors and CORS preflights included), unless it set the
    header itself (the GraphiQL page has its own CSP): nosniff, a strict referrer policy, no
    framing, a CSP for JSON, and HSTS in production. reelgraph.edge adds them."""
    headers = [
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"x-frame-options", b"DENY"),
        (b"content-security-policy", API_CONTENT_SECURITY_POLICY.encode()),
    ]
    if hsts:
        headers.append((b"strict-transport-security", HSTS.encode()))
    return headers


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
