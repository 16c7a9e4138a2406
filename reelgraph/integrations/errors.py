"""Exceptions raised by the upstream clients (TMDb, OMDb).

The GraphQL layer maps them to error codes; nothing here knows about GraphQL.
Messages are built only from the service name, the status and short reasons
we write ourselves, so they never carry API keys or tokens.
"""

from __future__ import annotations


class UpstreamError(Exception):
    """Base class for every failure talking to an upstream service."""

    def __init__(
        self,
        service: str,
        reason: str,
        *,
        status: int | None = None,
        detail: str | None = None,
    ) -> None:
        self.service = service
        self.reason = reason
        # HTTP status when the upstream answered, None for transport failures.
        self.status = status
        # The upstream's own short error text (e.g. OMDb "Request limit reached!"), already scrubbed.
        self.detail = detail
        super().__init__(self._message())

    def _message(self) -> str:
        return f"{self.service}: {self.reason}"


class UpstreamUnavailable(UpstreamError):
    """The upstream cannot answer right now (GraphQL code UPSTREAM_UNAVAILABLE)."""

    def _message(self) -> str:
        return f"{self.service} unavailable: {self.reason}"


class UpstreamAuthError(UpstreamUnavailable):
    """HTTP 401: the configured key or token was rejected; retrying cannot help."""


class UpstreamNotFound(UpstreamError):
    """HTTP 404: the entity does not exist; callers turn this into null."""

    def __init__(self, service: str, resource: str) -> None:
        self.resource = resource
        super().__init__(service, f"{resource} not found", status=404)
