"""One shared policy for every upstream HTTP call.

Order of the layers, outermost first, so each one sees what it should:

1. circuit breaker (purgatory): an open circuit fails fast, without touching
   the rate limiter or the network;
2. retries (tenacity): exponential backoff with full jitter on 5xx, timeouts
   and transport errors; 429 (and 503) wait the Retry-After seconds, bounded;
3. rate limit (aiolimiter): a token bucket that holds a page's worth of requests and refills at the
   sustained rate; acquired once per HTTP attempt, retries included, because the upstream counts
   every request;
4. the request itself, always with an explicit httpx.Timeout.

The breaker counts one failure per call *after* retries, so N consecutive
failed calls open it. Answers that prove the upstream is up (404, 401, other
4xx) are not failures.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
from aiolimiter import AsyncLimiter
from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.model import OpenedState
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt
from tenacity.wait import wait_random_exponential

from reelgraph.integrations.errors import (
    UpstreamAuthError,
    UpstreamError,
    UpstreamNotFound,
    UpstreamUnavailable,
)

if TYPE_CHECKING:
    from purgatory.service._async.circuitbreaker import AsyncCircuitBreaker

logger = logging.getLogger(__name__)

# Query parameters that carry credentials; their values never reach a log or a message.
SECRET_PARAMS = frozenset({"api_key", "apikey", "access_token", "token", "key"})
_DETAIL_MAX_CHARS = 200


@dataclass(frozen=True, slots=True)
class PolicyConfig:
    """Tunables for one upstream; the defaults suit TMDb's ~50 req/s CDN limit."""

    connect_timeout: float = 3.0
    read_timeout: float = 8.0
    write_timeout: float = 8.0
    pool_timeout: float = 3.0
    max_attempts: int = 3
    backoff_base: float = 0.2
    backoff_max: float = 2.0
    # A longer Retry-After fails fast: holding a GraphQL request that long helps nobody.
    max_retry_after: float = 10.0
    rate_limit_per_second: float = 40.0
    # Bucket size: a cold page (30-50 movie details at once) goes out unspaced, later requests at
    # `rate`/s. A quiet bucket lets burst + rate through in its first second; TMDb's 429s past its
    # ~50/s are waited out (Retry-After) like any other.
    rate_limit_burst: int = 40
    breaker_failure_threshold: int = 5
    breaker_recovery_time: float = 30.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        if self.rate_limit_per_second <= 0 or self.rate_limit_burst < 1:
            raise ValueError("rate limit must be positive and burst >= 1")
        if self.breaker_failure_threshold < 1:
            raise ValueError("breaker_failure_threshold must be >= 1")
        # purgatory treats a falsy ttl as "use the default", so 0 would silently mean 30 s.
        if self.breaker_recovery_time <= 0:
            raise ValueError("breaker_recovery_time must be > 0")
        if min(self.connect_timeout, self.read_timeout, self.write_timeout, self.pool_timeout) <= 0:
            raise ValueError("timeouts must be > 0")

    @property
    def timeout(self) -> httpx.Timeout:
        return httpx.Timeout(
            connect=self.connect_timeout,
            read=self.read_timeout,
            write=self.write_timeout,
            pool=self.pool_timeout,
        )


class RateLimiter(Protocol):
    """What the policy needs from a limiter (aiolimiter.AsyncLimiter, or a test double)."""

    async def acquire(self, amount: float = 1) -> None: ...


def redact_url(url: httpx.URL | str) -> str:
    """The URL with the values of credential query parameters replaced by ***."""
    parts = urlsplit(str(url))
    if not parts.query:
        return str(url)
    pairs = [
        (k, "***" if k.lower() in SECRET_PARAMS else v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urlunsplit(parts._replace(query=urlencode(pairs, safe="*/,|:")))


class RedactSecretsFilter(logging.Filter):
    """Redacts credential query params in log arguments.

    httpx logs every request at INFO as 'HTTP Request: GET <full URL>', which
    would put the TMDb v3 api_key / OMDb apikey in the logs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(_redact_arg(arg) for arg in record.args)
        return True


def _redact_arg(arg: object) -> object:
    if isinstance(arg, httpx.URL) or (isinstance(arg, str) and "://" in arg and "?" in arg):
        return redact_url(arg)
    return arg


def install_log_redaction() -> None:
    """Attach RedactSecretsFilter to the httpx logger (idempotent; done by every UpstreamPolicy)."""
    httpx_logger = logging.getLogger("httpx")
    if not any(isinstance(f, RedactSecretsFilter) for f in httpx_logger.filters):
        httpx_logger.addFilter(RedactSecretsFilter())


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date); None if absent/garbage."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def _is_caller_fault(exc: BaseException) -> bool:
    """4xx other than 429: the upstream is up and answered, so the breaker must not count it."""
    return (
        isinstance(exc, UpstreamError)
        and exc.status is not None
        and 400 <= exc.status < 500
        and (exc.status != 429)
    )


class _Retryable(Exception):
    """Internal: an attempt failed in a way another attempt may fix."""

    def __init__(self, reason: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry_after = retry_after


def _secrets_of(request: httpx.Request) -> list[str]:
    """Credential values present in a request (query params and bearer token), for scrubbing text."""
    found = [v for k, v in request.url.params.multi_items() if k.lower() in SECRET_PARAMS and v]
    auth = request.headers.get("authorization", "")
    token = auth.split(" ", 1)[-1].strip()
    if token:
        found.append(token)
    return found


def _upstream_detail(response: httpx.Response) -> str | None:
    """The upstream's own short error text (TMDb status_message, OMDb Error), scrubbed and truncated."""
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    text = next(
        (body[k] for k in ("status_message", "Error", "message") if isinstance(body.get(k), str)), None
    )
    errors = body.get("errors")  # TMDb's 422: {"errors": ["query must be provided"]}
    if not text and isinstance(errors, list):
        text = "; ".join(str(error) for error in errors)
    if not text:
        return None
    for secret in _secrets_of(response.request):
        text = text.replace(secret, "***")
    return str(text[:_DETAIL_MAX_CHARS])


def _is_quota_exhausted(detail: str | None) -> bool:
    """OMDb answers its daily quota with HTTP 401 "Request limit reached!": not a rejected key."""
    return detail is not None and "limit reached" in detail.lower()


class UpstreamPolicy:
    """Timeouts, rate limit, retries and a circuit breaker for one upstream service.

    One instance per upstream (``UpstreamPolicy("tmdb", cfg)``) shared by every
    request of the process; it holds no HTTP client, callers pass theirs.
    """

    def __init__(
        self,
        name: str,
        config: PolicyConfig | None = None,
        *,
        limiter: RateLimiter | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.name = name
        self.config = config or PolicyConfig()
        cfg = self.config
        install_log_redaction()
        # AsyncLimiter(max_rate, period) is a bucket of max_rate slots that drains at max_rate/period:
        # `burst` slots draining at `rate`/s, so `burst` requests pass at once, then `rate` per second.
        self.limiter: RateLimiter = limiter or AsyncLimiter(
            cfg.rate_limit_burst, cfg.rate_limit_burst / cfg.rate_limit_per_second
        )
        self._sleep = sleep  # injectable so tests can record backoffs instead of waiting
        # Full jitter (AWS style): uniform(0, min(max, base * 2**n)) spreads retries of many callers.
        self._backoff = wait_random_exponential(multiplier=cfg.backoff_base, max=cfg.backoff_max)
        self._timeout = cfg.timeout
        self._breakers = AsyncCircuitBreakerFactory(
            default_threshold=cfg.breaker_failure_threshold,
            default_ttl=cfg.breaker_recovery_time,
        )
        # purgatory "exclude" = the call ended without proving the upstream down.
        self._breaker_exclude: list[Any] = [
            asyncio.CancelledError,
            UpstreamNotFound,
            (UpstreamError, _is_caller_fault),
        ]
        self._breaker: AsyncCircuitBreaker | None = None
        self._probe_in_flight = False
        self._auth_failure_logged = False
        # Counters for metrics.
        self.calls = 0
        self.retries = 0
        self.failures = 0
        self.short_circuits = 0

    # -- public API -------------------------------------------------------------------------------

    @property
    def breaker_state(self) -> str:
        """ "closed", "open" or "half-open" (an open circuit past its recovery time reports half-open)."""
        if self._breaker is None:
            return "closed"
        ctx = self._breaker.context
        if ctx.state == "opened":
            # purgatory only moves to half-open on the next request; report what that request will see.
            if ctx.opened_at is not None and time.time() > ctx.opened_at + ctx.ttl:
                return "half-open"
            return "open"
        if ctx.state == "half-opened":
            return "half-open"
        return "closed"

    async def get_json(
        self,
        client: httpx.AsyncClient,
        path: str,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """GET `path` on `client` and return the decoded JSON body.

        Raises UpstreamNotFound (404), UpstreamAuthError (401) or UpstreamUnavailable; input that
        cannot form a request raises what httpx raises (UnicodeEncodeError, httpx.InvalidURL).
        """
        self.calls += 1
        # Built before the breaker: a request the caller's input cannot form (a lone surrogate, an
        # invalid URL) says nothing about the upstream, so it must never count as its failure.
        request = client.build_request(
            "GET", path, params=dict(params) if params else None, headers=headers, timeout=self._timeout
        )
        breaker = await self._get_breaker()
        probing = self._claim_probe()
        state_before = breaker.context.state
        try:
            async with breaker:
                return await self._call_with_retries(client, request)
        except OpenedState:
            self.short_circuits += 1
            raise UpstreamUnavailable(self.name, "circuit open") from None
        except UpstreamUnavailable:
            self.failures += 1
            raise
        finally:
            if probing:
                self._probe_in_flight = False
            self._log_transition(state_before, breaker.context.state)

    def report_auth_failure(self, where: str, detail: str | None = None) -> None:
        """Log a rejected key loudly, once per policy; also used by clients whose upstream
        reports auth failures inside an HTTP 200 (OMDb). `where` must already be redacted."""
        if self._auth_failure_logged:
            return
        self._auth_failure_logged = True
        logger.error(
            "%s: upstream rejected our credentials (%s) for %s; check the configured API key/token. "
            "Further auth failures for %s are not logged.",
            self.name,
            detail or "no detail",
            where,
            self.name,
        )

    # -- internals --------------------------------------------------------------------------------

    async def _get_breaker(self) -> AsyncCircuitBreaker:
        if self._breaker is None:
            self._breaker = await self._breakers.get_breaker(self.name, exclude=self._breaker_exclude)
        return self._breaker

    def _claim_probe(self) -> bool:
        """Let a single recovery probe through a half-open circuit; concurrent calls fail fast
        (purgatory alone would let every concurrent call hit a possibly still-dead upstream)."""
        if self.breaker_state != "half-open":
            return False
        if self._probe_in_flight:
            self.short_circuits += 1
            raise UpstreamUnavailable(self.name, "circuit open (recovery probe in flight)")
        self._probe_in_flight = True
        return True

    def _log_transition(self, before: str, after: str) -> None:
        if before == after:
            return
        if after == "opened":
            logger.warning(
                "%s: circuit opened after %d consecutive failed calls; failing fast for %.0fs",
                self.name,
                self.config.breaker_failure_threshold,
                self.config.breaker_recovery_time,
            )
        elif after == "closed":
            logger.info("%s: circuit closed, upstream recovered", self.name)

    async def _call_with_retries(self, client: httpx.AsyncClient, request: httpx.Request) -> Any:
        cfg = self.config
        # A fresh AsyncRetrying per call: its iteration state is per instance.
        retrying = AsyncRetrying(
            stop=stop_after_attempt(cfg.max_attempts),
            wait=self._wait,
            retry=retry_if_exception_type(_Retryable),
            before_sleep=self._before_sleep,
            sleep=self._sleep,
            reraise=True,
        )
        attempts = 0
        try:
            async for attempt in retrying:
                with attempt:
                    attempts += 1
                    return await self._attempt(client, request)
        except _Retryable as exc:
            raise UpstreamUnavailable(
                self.name, f"{exc.reason} after {attempts} attempt(s)", status=exc.status
            ) from None
        raise AssertionError("unreachable: tenacity either returns or reraises")  # pragma: no cover

    def _wait(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            return exc.retry_after  # already bounded by max_retry_after in _attempt
        return self._backoff(retry_state)

    def _before_sleep(self, retry_state: RetryCallState) -> None:
        self.retries += 1
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        logger.debug(
            "%s: attempt %d failed (%s); retrying in %.2fs",
            self.name,
            retry_state.attempt_number,
            getattr(exc, "reason", type(exc).__name__),
            retry_state.upcoming_sleep,
        )

    async def _attempt(self, client: httpx.AsyncClient, request: httpx.Request) -> Any:
        await self.limiter.acquire()
        try:
            response = await client.send(request)
        # Only the exception class goes into the reason: httpx messages may embed the URL (and key).
        except httpx.TimeoutException as exc:
            raise _Retryable(f"timeout ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise _Retryable(f"network error ({type(exc).__name__})") from None

        status = response.status_code
        if 200 <= status < 300:
            try:
                return response.json()
            except ValueError:
                raise UpstreamUnavailable(self.name, "invalid JSON in response", status=status) from None
        if status == 404:
            raise UpstreamNotFound(self.name, response.request.url.path)
        if status == 401:
            detail = _upstream_detail(response)
            if _is_quota_exhausted(detail):
                # A 4xx status: the breaker leaves it alone; the bad-key alert stays unspent.
                raise UpstreamUnavailable(
                    self.name, "request quota exhausted (HTTP 401)", status=status, detail=detail
                )
            self.report_auth_failure(f"GET {redact_url(response.request.url)}", detail)
            raise UpstreamAuthError(
                self.name, "credentials rejected (HTTP 401)", status=status, detail=detail
            )
        if status == 429 or (status >= 500 and status != 501):
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            cap = self.config.max_retry_after
            if retry_after is not None and retry_after > cap:
                reason = f"HTTP {status}, Retry-After {retry_after:.0f}s exceeds {cap:.0f}s"
                raise UpstreamUnavailable(self.name, reason, status=status)
            raise _Retryable(f"HTTP {status}", status=status, retry_after=retry_after)
        # 3xx (redirects are not followed), 501 and the other 4xx: retrying cannot help.
        detail = _upstream_detail(response)
        logger.warning(
            "%s: request rejected (HTTP %d) for GET %s: %s",
            self.name,
            status,
            redact_url(response.request.url),
            detail or "no detail",
        )
        raise UpstreamUnavailable(
            self.name, f"request rejected (HTTP {status})", status=status, detail=detail
        )
