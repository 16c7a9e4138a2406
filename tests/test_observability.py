"""Observability: /metrics (GraphQL duration and errors, upstream calls and breaker, caches), request
ids in responses and in every log line of a request, JSON logs from the real `reelgraph serve`."""

from __future__ import annotations

import io
import json
import logging
import os
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from reelgraph.app import create_app
from reelgraph.config import Settings
from reelgraph.observability import JsonFormatter, ObservabilityOptions
from reelgraph.observability.context import sane_request_id
from reelgraph.observability.metrics import Metrics
from reelgraph.observability.middleware import error_codes, parse_operation
from reelgraph.observability.upstream_http import InstrumentedTransport, endpoint_label
from tests.catalog_fixtures import Switch, catalog, fresh_database, isolated_app
from tests.helpers import free_port

ROOT = Path(__file__).resolve().parent.parent


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus exposition, keyed by (name, sorted labels)."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


async def scrape(client: httpx.AsyncClient) -> str:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


# -- /metrics ------------------------------------------------------------------------------------------


async def test_graphql_duration_by_operation_and_errors_by_code(client: httpx.AsyncClient) -> None:
    name = f"Obs{uuid.uuid4().hex[:8]}"
    before = await scrape(client)
    ok = await client.post("/graphql", json={"query": f"query {name} {{ movie(tmdbId: 603) {{ title }} }}"})
    assert ok.json()["data"]["movie"]["title"]
    bad = await client.post(
        "/graphql",
        json={"query": f"query {name}Bad {{ trending(first: 1000) {{ nodes {{ title }} }} }}"},
    )
    assert bad.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    unparsable = await client.post("/graphql", json={"query": "query Broken { movie("})
    assert unparsable.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    after = await scrape(client)

    count = "reelgraph_graphql_request_duration_seconds_count"
    assert value(after, count, operation_name=name, operation_type="query") == 1
    assert value(after, count, operation_name=f"{name}Bad", operation_type="query") == 1
    assert (
        value(after, "reelgraph_graphql_errors_total", code="BAD_USER_INPUT", operation_name=f"{name}Bad")
        == 1
    )
    assert value(after, "reelgraph_graphql_errors_total", code="BAD_USER_INPUT", operation_name=name) == 0
    parse_failures = (
        "reelgraph_graphql_errors_total",
        {"code": "GRAPHQL_PARSE_FAILED", "operation_name": "Broken"},
    )
    assert (
        value(after, parse_failures[0], **parse_failures[1])
        == value(before, parse_failures[0], **parse_failures[1]) + 1
    )
    requests = value(after, "reelgraph_http_requests_total", method="POST", route="/graphql", status="200")
    assert (
        requests
        >= value(before, "reelgraph_http_requests_total", method="POST", route="/graphql", status="200") + 3
    )


async def test_response_cache_hits_are_timed_and_counted(client: httpx.AsyncClient) -> None:
    name = f"Cached{uuid.uuid4().hex[:8]}"
    query = {"query": f"query {name} {{ genres {{ name }} }}"}
    first = await client.post("/graphql", json=query)
    second = await client.post("/graphql", json=query)
    assert second.headers.get("x-reelgraph-cache") == "hit" and second.content == first.content
    text = await scrape(client)
    assert (
        value(
            text,
            "reelgraph_graphql_request_duration_seconds_count",
            operation_name=name,
            operation_type="query",
        )
        == 2
    )
    hits = value(text, "reelgraph_cache_hits_total", cache="response")
    misses = value(text, "reelgraph_cache_misses_total", cache="response")
    assert hits >= 1 and misses >= 1
    assert value(text, "reelgraph_cache_hit_ratio", cache="response") == pytest.approx(hits / (hits + misses))
    # The shared (upstream data) cache is reported too.
    assert (
        value(text, "reelgraph_cache_hits_total", cache="shared")
        + value(text, "reelgraph_cache_misses_total", cache="shared")
        > 0
    )


async def test_upstream_calls_latency_by_endpoint_and_breaker_state(
    settings: Settings, tmp_path: Path
) -> None:
    switch = Switch(_tmdb_app())
    # A database of its own: the shared one mirrors the movies other tests read (imports read
    # thousands) and would answer for the upstream that is down.
    database_url = await fresh_database(tmp_path)
    async with isolated_app(settings, tmdb=switch, database_url=database_url, **FAST_FAILURE_SETTINGS) as env:
        assert (await env.gql("{ movie(tmdbId: 603) { title } }"))["data"]["movie"]["title"]
        text = await scrape(env.http)
        assert (
            value(
                text,
                "reelgraph_upstream_http_requests_total",
                upstream="tmdb",
                endpoint="/movie/{id}",
                outcome="2xx",
            )
            == 1
        )
        assert (
            value(
                text,
                "reelgraph_upstream_http_request_duration_seconds_count",
                upstream="tmdb",
                endpoint="/movie/{id}",
            )
            == 1
        )
        assert value(text, "reelgraph_upstream_calls_total", upstream="tmdb") >= 2  # configuration + movie
        assert value(text, "reelgraph_upstream_breaker_state", upstream="tmdb", state="closed") == 1

        switch.down = True
        # Movies no other test asks for, so no database mirror can answer for the upstream.
        first, second, third = random.sample(catalog().popular()[3000:], 3)
        for movie_id in (first, second):
            body = await env.gql(f"{{ movie(tmdbId: {movie_id}) {{ title }} }}")
            assert body["errors"][0]["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
        text = await scrape(env.http)
        assert (
            value(
                text,
                "reelgraph_upstream_http_requests_total",
                upstream="tmdb",
                endpoint="/movie/{id}",
                outcome="5xx",
            )
            == 2
        )
        assert value(text, "reelgraph_upstream_failures_total", upstream="tmdb") == 2
        assert value(text, "reelgraph_upstream_breaker_state", upstream="tmdb", state="open") == 1
        assert value(text, "reelgraph_upstream_breaker_state", upstream="tmdb", state="closed") == 0
        assert (
            value(
                text,
                "reelgraph_graphql_errors_total",
                code="UPSTREAM_UNAVAILABLE",
                operation_name="anonymous",
            )
            == 2
        )

        body = await env.gql(f"{{ movie(tmdbId: {third}) {{ title }} }}")  # refused by the open circuit
        assert body["errors"][0]["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
        text = await scrape(env.http)
        assert value(text, "reelgraph_upstream_short_circuits_total", upstream="tmdb") == 1


FAST_FAILURE_SETTINGS: dict[str, Any] = {"upstream_max_attempts": 1, "upstream_breaker_threshold": 2}


def _tmdb_app() -> Any:
    from reelgraph.integrations.mock_upstream import create_tmdb_app

    return create_tmdb_app(catalog())


async def test_metrics_can_be_turned_off(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REELGRAPH_METRICS", "false")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40002))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            assert (await http.get("/metrics")).status_code == 404
            response = await http.post("/graphql", json={"query": "{ __typename }"})
            assert response.status_code == 200 and len(response.headers["x-request-id"]) == 32


def test_operation_names_are_bounded() -> None:
    metrics = Metrics(max_operation_names=3)
    labels = [metrics.operation_label(f"Op{i}") for i in range(5)]
    assert labels == ["Op0", "Op1", "Op2", "other", "other"]
    assert metrics.operation_label("Op1") == "Op1"


def test_operation_names_and_error_codes_are_read_from_bodies() -> None:
    assert parse_operation({"query": "query Trending { trending { totalCount } }"}) == ("Trending", "query")
    assert parse_operation({"query": "{ trending { totalCount } }"}) == ("anonymous", "query")
    assert parse_operation({"query": "mutation { logout { ok } }"}) == ("anonymous", "mutation")
    two = "fragment F on Movie { title } query A { movie(tmdbId: 1) { ...F } } mutation B { logout { ok } }"
    assert parse_operation({"query": two, "operationName": "B"}) == ("B", "mutation")
    assert parse_operation({"query": "{ a }", "operationName": "bad name!"}) == ("invalid", "unknown")
    assert parse_operation([{"query": "{ a }"}]) == ("batch", "unknown")
    # A search argument called "query" is not an operation keyword.
    assert parse_operation({"query": '{ search(query: "mutation X") { totalCount } }'})[1] == "query"

    assert (
        error_codes(b'{"data":{"register":{"errors":[{"code":"EMAIL_TAKEN"}]}}}') == []
    )  # user errors are data
    body = {
        "data": None,
        "errors": [{"message": "x", "extensions": {"code": "RATE_LIMITED", "retryAfter": 3}}],
    }
    assert error_codes(json.dumps(body).encode()) == ["RATE_LIMITED"]
    weird = {"errors": [{"message": "x", "extensions": {"code": "no such\ncode"}}]}
    assert error_codes(json.dumps(weird).encode()) == ["UNKNOWN"]


def test_upstream_endpoints_have_low_cardinality() -> None:
    assert (
        endpoint_label(httpx.URL("https://api.themoviedb.org/3/movie/603?api_key=k"), "/3") == "/movie/{id}"
    )
    assert (
        endpoint_label(httpx.URL("https://api.themoviedb.org/3/movie/603/similar"), "/3")
        == "/movie/{id}/similar"
    )
    assert endpoint_label(httpx.URL("https://api.themoviedb.org/3/person/90000001"), "/3") == "/person/{id}"
    assert (
        endpoint_label(httpx.URL("http://127.0.0.1:9/3/trending/movie/week?page=2"), "/3")
        == "/trending/movie/week"
    )
    assert endpoint_label(httpx.URL("https://www.omdbapi.com/?i=tt0133093&apikey=k")) == "/?i"
    assert endpoint_label(httpx.URL("http://127.0.0.1:9/omdb/?t=Heat&y=1995"), "/omdb") == "/?t"


async def test_instrumented_transport_counts_timeouts_and_statuses() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if "slow" in request.url.path:
            raise httpx.ReadTimeout("slow", request=request)
        return httpx.Response(429 if "busy" in request.url.path else 200, json={})

    transport = InstrumentedTransport("tmdb", httpx.MockTransport(handler), "http://x/3")
    async with httpx.AsyncClient(transport=transport, base_url="http://x/3") as http:
        await http.get("/movie/1")
        await http.get("/busy")
        with pytest.raises(httpx.ReadTimeout):
            await http.get("/slow/2")
    assert dict(transport.stats.requests) == {
        ("/movie/{id}", "2xx"): 1,
        ("/busy", "429"): 1,
        ("/slow/{id}", "timeout"): 1,
    }


# -- request ids -------------------------------------------------------------------------------------


async def test_request_id_is_honoured_when_sane_and_generated_otherwise(client: httpx.AsyncClient) -> None:
    query = {"query": "{ __typename }"}
    kept = await client.post("/graphql", json=query, headers={"x-request-id": "web-7f3a:42"})
    assert kept.headers["x-request-id"] == "web-7f3a:42"
    for bad in (b"has space", b"x" * 200, b"<script>", "é-accent".encode(), b"", b"a\tb"):
        response = await client.post("/graphql", json=query, headers={b"x-request-id": bad})
        generated = response.headers["x-request-id"]
        assert generated.encode() != bad and len(generated) == 32 and int(generated, 16) >= 0
    plain = await client.get("/health")
    assert len(plain.headers["x-request-id"]) == 32
    assert sane_request_id(b"\xff\xfe") is None


async def test_every_log_line_of_a_request_carries_its_id(settings: Settings) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    previous = root.level
    request_id = f"trace-{uuid.uuid4().hex[:12]}"
    # An app of its own, so the movie is not cached yet and the request calls the upstreams.
    async with isolated_app(settings) as env:
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        try:
            body = await env.gql(
                "query Detail($id: Int!) { movie(tmdbId: $id) { title imdbRating } }",
                {"id": 13},
                **{"x-request-id": request_id},
            )
            assert body["data"]["movie"]["title"]
            await env.gql("{ __typename }")  # another request, another id
        finally:
            root.removeHandler(handler)
            root.setLevel(previous)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    mine = [line for line in lines if line.get("request_id") == request_id]
    loggers = {line["logger"] for line in mine}
    assert "reelgraph.access" in loggers and "httpx" in loggers, lines
    access = next(line for line in mine if line["logger"] == "reelgraph.access")
    assert access["operation"] == "Detail" and access["status"] == 200 and access["duration_ms"] > 0
    assert {"ts", "level", "message"} <= set(access)
    # Every upstream call logged (httpx, not the test client's own lines) carries the request's id.
    upstream = [line for line in lines if line["logger"] == "httpx" and "http://test/" not in line["message"]]
    assert upstream and all(line.get("request_id") == request_id for line in upstream)
    others = [
        line for line in lines if line["logger"] == "reelgraph.access" and line["request_id"] != request_id
    ]
    assert len(others) == 1 and len(others[0]["request_id"]) == 32


def test_json_formatter_keeps_extras_and_tracebacks() -> None:
    formatter = JsonFormatter()
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.getLogger("x").makeRecord(
            "x", logging.ERROR, __file__, 1, "failed %s", ("here",), sys.exc_info(), extra={"movie": 603}
        )
    line = json.loads(formatter.format(record))
    assert line["message"] == "failed here" and line["movie"] == 603 and line["level"] == "ERROR"
    assert "ValueError: boom" in line["exception"]
    assert "request_id" not in line  # outside a request


def test_options_default_to_json_in_production() -> None:
    assert ObservabilityOptions.from_settings(environ={}).log_format == "text"
    assert ObservabilityOptions.from_settings(environ={"REELGRAPH_ENV": "production"}).log_format == "json"
    production = Settings(env="production", jwt_secret="s" * 40)
    assert ObservabilityOptions.from_settings(production, environ={}).log_format == "json"
    forced = ObservabilityOptions.from_settings(production, environ={"REELGRAPH_LOG_FORMAT": "text"})
    assert forced.log_format == "text" and forced.metrics
    assert not ObservabilityOptions.from_settings(environ={"REELGRAPH_METRICS": "false"}).metrics
    with pytest.raises(ValueError):
        ObservabilityOptions.from_settings(environ={"REELGRAPH_LOG_FORMAT": "xml"})


# -- the real command --------------------------------------------------------------------------------


def test_serve_writes_json_lines_with_request_ids(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "REELGRAPH_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}",
        "REELGRAPH_CACHE_URL": "memory://",
        "REELGRAPH_JWT_SECRET": "test-secret-" + "x" * 40,
        "REELGRAPH_LOG_FORMAT": "json",
        "REELGRAPH_RECS_TRAIN_ON_START": "false",
    }
    for key in ("TMDB_API_KEY", "TMDB_READ_TOKEN", "OMDB_API_KEY"):
        env.pop(key, None)
    log_file = tmp_path / "serve.log"
    with log_file.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "reelgraph.cli", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(base + "/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline and process.poll() is None, log_file.read_text()
                time.sleep(0.2)
            response = httpx.post(
                base + "/graphql",
                json={"query": "query Top { movie(tmdbId: 603) { title } }"},
                headers={"x-request-id": "from-the-edge-1"},
                timeout=30,
            )
            assert response.headers["x-request-id"] == "from-the-edge-1"
            metrics = httpx.get(base + "/metrics", timeout=10).text
            assert (
                'reelgraph_graphql_request_duration_seconds_count{operation_name="Top",operation_type="query"} 1.0'
                in metrics
            )
        finally:
            process.terminate()
            process.wait(timeout=15)
    lines = [line for line in log_file.read_text().splitlines() if line.strip()]
    parsed = [json.loads(line) for line in lines]  # every line is JSON, uvicorn's own included
    assert any(line["logger"].startswith("uvicorn") for line in parsed)
    top = [line for line in parsed if line.get("request_id") == "from-the-edge-1"]
    assert any(line["logger"] == "reelgraph.access" and line["operation"] == "Top" for line in top)
    assert any(line["logger"] == "httpx" for line in top)  # upstream calls made for that request
    assert not any(line["logger"] == "uvicorn.access" for line in parsed)  # replaced by reelgraph.access


async def test_spans_when_opentelemetry_is_installed(client: httpx.AsyncClient) -> None:
    """Optional: reelgraph does not depend on OpenTelemetry; with it, requests and upstream calls
    become spans continuing the caller's trace."""
    pytest.importorskip("opentelemetry.sdk")
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("reelgraph")
    original = trace.get_tracer
    trace.get_tracer = lambda *args, **kwargs: tracer  # type: ignore[assignment]
    try:
        parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        response = await client.post(
            "/graphql",
            json={"query": "query Traced { movie(tmdbId: 27) { title } }"},
            headers={"traceparent": parent},
        )
        assert response.status_code == 200
    finally:
        trace.get_tracer = original  # type: ignore[assignment]
    spans = exporter.get_finished_spans()
    server = next(span for span in spans if span.name == "POST /graphql")
    assert format(server.context.trace_id, "032x") == "0af7651916cd43dd8448eb211c80319c"
    assert server.attributes["graphql.operation.name"] == "Traced"
    assert any(span.name == "tmdb GET /movie/{id}" for span in spans)
