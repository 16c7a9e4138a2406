"""UpstreamPolicy: retries, Retry-After, 404/401/4xx handling, circuit breaker, rate limit.

No network and no wall-clock assertions: httpx.MockTransport scripts the upstream,
backoff sleeps are recorded instead of awaited, and the breaker recovery time is 0.4 s.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from reelgraph.integrations.errors import (
    UpstreamAuthError,
    UpstreamNotFound,
    UpstreamUnavailable,
)
from reelgraph.integrations.http_policy import (
    PolicyConfig,
    UpstreamPolicy,
    parse_retry_after,
    redact_url,
)
from reelgraph.integrations.tmdb import TMDbClient

SECRET = "sekrit-api-key-123"
TOKEN = "eyJ-read-token-456"

Step = httpx.Response | Exception | Callable[[httpx.Request], Any]


class Upstream:
    """A scripted upstream: each request consumes the next step (the last one repeats)."""

    def __init__(self, *steps: Step) -> None:
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
        if isinstance(step, Exception):
            raise step
        if callable(step) and not isinstance(step, httpx.Response):
            step = step(request)
            if asyncio.iscoroutine(step):
                step = await step
        return step

    @property
    def calls(self) -> int:
        return len(self.requests)


class SleepRecorder:
    """Stands in for asyncio.sleep in tenacity: records the wait, returns at once."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class CountingLimiter:
    def __init__(self) -> None:
        self.acquired = 0

    async def acquire(self, amount: float = 1) -> None:
        self.acquired += 1


def ok(payload: Any = None) -> httpx.Response:
    return httpx.Response(200, json=payload if payload is not None else {"ok": True})


def status(code: int, headers: dict[str, str] | None = None, json: Any = None) -> httpx.Response:
    return httpx.Response(code, headers=headers, json=json if json is not None else {"status_code": code})


def fast_config(**overrides: Any) -> PolicyConfig:
    values: dict[str, Any] = {
        "connect_timeout": 1.0,
        "read_timeout": 2.0,
        "max_attempts": 3,
        "backoff_base": 0.001,
        "backoff_max": 0.004,
        "max_retry_after": 2.0,
        "rate_limit_per_second": 10_000.0,
        "rate_limit_burst": 10_000,
        "breaker_failure_threshold": 3,
        "breaker_recovery_time": 0.4,  # long enough that "open" checks never race it
    }
    values.update(overrides)
    return PolicyConfig(**values)


def make(upstream: Upstream, **overrides: Any) -> tuple[UpstreamPolicy, httpx.AsyncClient, SleepRecorder]:
    sleeps = SleepRecorder()
    policy = UpstreamPolicy("tmdb", fast_config(**overrides), sleep=sleeps)
    client = httpx.AsyncClient(transport=httpx.MockTransport(upstream), base_url="http://upstream/3")
    return policy, client, sleeps


# -- happy path and timeouts -----------------------------------------------------------------------


async def test_success_returns_json_with_explicit_timeout() -> None:
    upstream = Upstream(ok({"id": 603}))
    policy, client, sleeps = make(upstream)

    assert await policy.get_json(client, "/movie/603", params={"language": "en-US"}) == {"id": 603}

    request = upstream.requests[0]
    assert request.url.path == "/3/movie/603"
    assert request.url.params["language"] == "en-US"
    timeout = request.extensions["timeout"]
    assert timeout["connect"] == 1.0 and timeout["read"] == 2.0
    assert (policy.calls, policy.retries, policy.failures, sleeps.waits) == (1, 0, 0, [])


async def test_retries_503_then_succeeds() -> None:
    upstream = Upstream(status(503), ok())
    policy, client, sleeps = make(upstream)

    assert await policy.get_json(client, "/movie/603") == {"ok": True}
    assert upstream.calls == 2
    assert policy.retries == 1
    assert len(sleeps.waits) == 1 and 0 <= sleeps.waits[0] <= 0.004  # bounded jittered backoff


async def test_gives_up_after_max_attempts() -> None:
    upstream = Upstream(status(502))
    policy, client, sleeps = make(upstream)

    with pytest.raises(UpstreamUnavailable) as info:
        await policy.get_json(client, "/movie/603")
    assert upstream.calls == 3
    assert info.value.status == 502
    assert "after 3 attempt" in str(info.value)
    assert (policy.retries, policy.failures) == (2, 1)
    assert len(sleeps.waits) == 2


@pytest.mark.parametrize(
    "error",
    [
        httpx.ReadTimeout("timed out"),
        httpx.ConnectTimeout("timed out"),
        httpx.ConnectError("refused"),
        httpx.RemoteProtocolError("peer closed"),
    ],
)
async def test_timeouts_and_transport_errors_are_retried(error: Exception) -> None:
    upstream = Upstream(error, ok())
    policy, client, _ = make(upstream)

    assert await policy.get_json(client, "/movie/603") == {"ok": True}
    assert upstream.calls == 2


async def test_persistent_timeout_becomes_unavailable_without_leaking_url() -> None:
    upstream = Upstream(httpx.ReadTimeout(f"timed out reading http://upstream/3/x?api_key={SECRET}"))
    policy, client, _ = make(upstream)

    with pytest.raises(UpstreamUnavailable) as info:
        await policy.get_json(client, "/movie/603", params={"api_key": SECRET})
    assert upstream.calls == 3
    assert "timeout (ReadTimeout)" in str(info.value)
    assert SECRET not in str(info.value) and SECRET not in repr(info.value)
    assert info.value.__cause__ is None  # the httpx exception (URL and all) is not chained


async def test_501_and_invalid_json_are_not_retried() -> None:
    upstream = Upstream(status(501))
    policy, client, _ = make(upstream)
    with pytest.raises(UpstreamUnavailable):
        await policy.get_json(client, "/x")
    assert upstream.calls == 1

    upstream = Upstream(httpx.Response(200, text="<html>oops</html>"))
    policy, client, _ = make(upstream)
    with pytest.raises(UpstreamUnavailable, match="invalid JSON"):
        await policy.get_json(client, "/x")
    assert upstream.calls == 1


# -- 429 and Retry-After ---------------------------------------------------------------------------


@pytest.mark.parametrize(("header", "expected_wait"), [("0", 0.0), ("1", 1.0)])
async def test_429_honours_retry_after_then_succeeds(header: str, expected_wait: float) -> None:
    upstream = Upstream(status(429, {"Retry-After": header}), ok())
    policy, client, sleeps = make(upstream)

    assert await policy.get_json(client, "/movie/603") == {"ok": True}
    assert upstream.calls == 2
    assert sleeps.waits == [expected_wait]


async def test_429_without_retry_after_uses_backoff() -> None:
    upstream = Upstream(status(429), ok())
    policy, client, sleeps = make(upstream)

    await policy.get_json(client, "/movie/603")
    assert upstream.calls == 2 and 0 <= sleeps.waits[0] <= 0.004


async def test_retry_after_above_cap_fails_fast() -> None:
    upstream = Upstream(status(429, {"Retry-After": "120"}), ok())
    policy, client, sleeps = make(upstream)

    with pytest.raises(UpstreamUnavailable, match="Retry-After 120s exceeds 2s") as info:
        await policy.get_json(client, "/movie/603")
    assert info.value.status == 429
    assert upstream.calls == 1
    assert sleeps.waits == []


async def test_persistent_429_gives_up() -> None:
    upstream = Upstream(status(429, {"Retry-After": "1"}))
    policy, client, sleeps = make(upstream)

    with pytest.raises(UpstreamUnavailable, match="HTTP 429 after 3 attempt"):
        await policy.get_json(client, "/movie/603")
    assert sleeps.waits == [1.0, 1.0]


def test_parse_retry_after() -> None:
    assert parse_retry_after(None) is None
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(" 2.5 ") == 2.5
    assert parse_retry_after("-4") == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after("nan") is None
    future = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= (parse_retry_after(future) or 0) <= 31
    past = format_datetime(datetime.now(UTC) - timedelta(days=1), usegmt=True)
    assert parse_retry_after(past) == 0.0


# -- 404, 401, other 4xx ---------------------------------------------------------------------------


async def test_404_raises_not_found_without_retry_and_without_tripping_breaker() -> None:
    upstream = Upstream(status(404, json={"status_code": 34}))
    policy, client, _ = make(upstream)

    for _ in range(5):  # more than the threshold of 3
        with pytest.raises(UpstreamNotFound) as info:
            await policy.get_json(client, "/movie/999999")
    assert upstream.calls == 5
    assert info.value.resource == "/3/movie/999999"
    assert policy.breaker_state == "closed"
    assert (policy.retries, policy.failures) == (0, 0)


async def test_401_is_auth_error_logged_once_without_secrets(caplog: pytest.LogCaptureFixture) -> None:
    body = {"status_code": 7, "status_message": f"Invalid API key {SECRET}: You must be granted a valid key."}
    upstream = Upstream(status(401, json=body))
    policy, client, _ = make(upstream)

    caplog.set_level(logging.DEBUG)
    errors: list[UpstreamAuthError] = []
    for _ in range(3):
        with pytest.raises(UpstreamAuthError) as info:
            await policy.get_json(
                client, "/movie/603", params={"api_key": SECRET}, headers={"Authorization": f"Bearer {TOKEN}"}
            )
        errors.append(info.value)

    assert upstream.calls == 3  # no retries
    assert isinstance(errors[0], UpstreamUnavailable)
    auth_logs = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(auth_logs) == 1
    logged = caplog.text
    assert "api_key=***" in logged and "Invalid API key" in logged
    # httpx's own INFO request log goes through the redaction filter too.
    assert "HTTP Request: GET http://upstream/3/movie/603?api_key=***" in logged
    for secret in (SECRET, TOKEN):
        assert secret not in logged
        for exc in errors:
            assert secret not in str(exc) and secret not in repr(exc) and secret not in (exc.detail or "")
    assert policy.breaker_state == "closed"


async def test_other_4xx_is_unavailable_without_retry_or_breaker() -> None:
    upstream = Upstream(status(400, json={"status_message": "Invalid page."}))
    policy, client, _ = make(upstream)

    for _ in range(4):
        with pytest.raises(UpstreamUnavailable, match="HTTP 400") as info:
            await policy.get_json(client, "/movie/popular", params={"page": "999"})
    assert info.value.detail == "Invalid page."
    assert upstream.calls == 4
    assert policy.breaker_state == "closed"


def test_redact_url() -> None:
    url = f"http://api/3/movie/1?api_key={SECRET}&language=en-US&apikey={SECRET}&with_genres=1|2"
    redacted = redact_url(url)
    assert SECRET not in redacted
    assert redacted == "http://api/3/movie/1?api_key=***&language=en-US&apikey=***&with_genres=1|2"
    assert redact_url("http://api/3/movie/1") == "http://api/3/movie/1"


# -- circuit breaker -------------------------------------------------------------------------------


async def _trip(policy: UpstreamPolicy, client: httpx.AsyncClient, times: int) -> None:
    for _ in range(times):
        with pytest.raises(UpstreamUnavailable):
            await policy.get_json(client, "/movie/603")


async def test_breaker_opens_fails_fast_then_recovers(caplog: pytest.LogCaptureFixture) -> None:
    upstream = Upstream(status(503))
    policy, client, _ = make(upstream)
    caplog.set_level(logging.INFO)

    await _trip(policy, client, 3)  # threshold 3, each call = 3 attempts
    assert upstream.calls == 9
    assert policy.breaker_state == "open"
    assert "circuit opened" in caplog.text

    with pytest.raises(UpstreamUnavailable, match="circuit open"):
        await policy.get_json(client, "/movie/603")
    assert upstream.calls == 9  # no transport call while open
    assert policy.short_circuits == 1

    await asyncio.sleep(0.45)  # past the 0.4 s recovery time
    assert policy.breaker_state == "half-open"
    upstream.steps = [ok({"back": True})]
    assert await policy.get_json(client, "/movie/603") == {"back": True}
    assert upstream.calls == 10
    assert policy.breaker_state == "closed"
    assert "circuit closed" in caplog.text


async def test_half_open_failure_reopens() -> None:
    upstream = Upstream(status(500))
    policy, client, _ = make(upstream, max_attempts=1)

    await _trip(policy, client, 3)
    await asyncio.sleep(0.45)
    with pytest.raises(UpstreamUnavailable, match="HTTP 500"):
        await policy.get_json(client, "/movie/603")  # the probe reaches the upstream and fails
    assert upstream.calls == 4
    assert policy.breaker_state == "open"
    with pytest.raises(UpstreamUnavailable, match="circuit open"):
        await policy.get_json(client, "/movie/603")
    assert upstream.calls == 4


async def test_half_open_lets_a_single_probe_through() -> None:
    release = asyncio.Event()

    async def slow_ok(request: httpx.Request) -> httpx.Response:
        await release.wait()
        return ok()

    upstream = Upstream(status(500))
    policy, client, _ = make(upstream, max_attempts=1)
    await _trip(policy, client, 3)
    await asyncio.sleep(0.45)

    upstream.steps = [slow_ok]
    probe = asyncio.create_task(policy.get_json(client, "/movie/603"))
    for _ in range(1000):  # let the probe reach the transport
        if upstream.calls == 4:
            break
        await asyncio.sleep(0)
    assert upstream.calls == 4
    with pytest.raises(UpstreamUnavailable, match="probe in flight"):
        await policy.get_json(client, "/movie/603")
    release.set()
    assert await probe == {"ok": True}
    assert upstream.calls == 4
    assert policy.breaker_state == "closed"


async def test_success_resets_consecutive_failures() -> None:
    upstream = Upstream(status(500), status(500), ok(), status(500), status(500), ok())
    policy, client, _ = make(upstream, max_attempts=1)

    for _ in range(2):
        await _trip(policy, client, 2)
        await policy.get_json(client, "/movie/603")
    assert policy.breaker_state == "closed"


# -- the caller's faults never trip the breaker ----------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda tmdb: tmdb.search_movies("\ud800"), UnicodeEncodeError),  # a lone surrogate
        (lambda tmdb: tmdb.search_people("\udfff"), UnicodeEncodeError),
        (lambda tmdb: tmdb._get("/movie/\x00"), httpx.InvalidURL),  # no URL holds it
        (lambda tmdb: tmdb._get("/movie/" + "9" * 70_000), httpx.InvalidURL),  # too long
    ],
)
async def test_input_that_cannot_form_a_request_leaves_the_breaker_closed(
    call: Callable[[TMDbClient], Any], error: type[Exception]
) -> None:
    upstream = Upstream(ok({"id": 603, "title": "The Matrix"}))
    policy, client, _ = make(upstream)
    tmdb = TMDbClient(client, policy, api_key=SECRET)

    for _ in range(policy.config.breaker_failure_threshold + 3):
        with pytest.raises(error):
            await call(tmdb)
    assert upstream.calls == 0  # never sent
    assert policy.breaker_state == "closed" and policy.failures == 0
    assert await tmdb.movie(603) == {"id": 603, "title": "The Matrix"}


async def test_4xx_answers_to_the_callers_input_leave_the_breaker_closed() -> None:
    upstream = Upstream(status(422, json={"status_message": "Invalid parameters."}), ok({"id": 603}))
    policy, client, _ = make(upstream)
    tmdb = TMDbClient(client, policy, api_key=SECRET)

    for _ in range(policy.config.breaker_failure_threshold + 3):
        upstream.steps = [status(422, json={"status_message": "Invalid parameters."}), ok({"id": 603})]
        with pytest.raises(UpstreamUnavailable, match="HTTP 422"):
            await tmdb.search_movies("x" * 600)
    assert policy.breaker_state == "closed"
    assert await tmdb.movie(603) == {"id": 603}


# -- rate limit ------------------------------------------------------------------------------------


async def test_limiter_acquired_once_per_attempt_and_not_when_circuit_open() -> None:
    limiter = CountingLimiter()
    upstream = Upstream(status(503), ok())
    policy = UpstreamPolicy("tmdb", fast_config(), limiter=limiter, sleep=SleepRecorder())
    client = httpx.AsyncClient(transport=httpx.MockTransport(upstream), base_url="http://upstream/3")

    await policy.get_json(client, "/movie/603")
    assert limiter.acquired == upstream.calls == 2

    upstream.steps = [status(503)]
    await _trip(policy, client, 3)
    acquired = limiter.acquired
    with pytest.raises(UpstreamUnavailable, match="circuit open"):
        await policy.get_json(client, "/movie/603")
    assert limiter.acquired == acquired


async def test_default_limiter_blocks_beyond_the_burst() -> None:
    upstream = Upstream(ok())
    policy, client, _ = make(upstream, rate_limit_per_second=5.0, rate_limit_burst=5)

    for _ in range(5):
        await policy.get_json(client, "/movie/603")
    limiter = policy.limiter
    assert hasattr(limiter, "has_capacity") and not limiter.has_capacity()

    sixth = asyncio.create_task(policy.get_json(client, "/movie/603"))
    for _ in range(20):
        await asyncio.sleep(0)
    assert not sixth.done()  # waiting for the bucket to drain (~200 ms at 5/s)
    assert upstream.calls == 5
    sixth.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sixth
    # A cancelled call is not an upstream failure.
    assert policy.breaker_state == "closed" and policy.failures == 0


def test_policy_config_validation() -> None:
    cfg = PolicyConfig()
    assert (cfg.connect_timeout, cfg.read_timeout, cfg.max_attempts) == (3.0, 8.0, 3)
    assert (cfg.breaker_failure_threshold, cfg.breaker_recovery_time) == (5, 30.0)
    for bad in (
        {"max_attempts": 0},
        {"rate_limit_per_second": 0},
        {"rate_limit_burst": 0},
        {"breaker_failure_threshold": 0},
        {"breaker_recovery_time": 0},
        {"read_timeout": 0},
    ):
        with pytest.raises(ValueError):
            PolicyConfig(**bad)
