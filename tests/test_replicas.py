"""Two `reelgraph serve` processes sharing PostgreSQL and Redis behave as one service.

A write on one replica is read on the other; invalidating the shared cache on one is seen by the
other; a rotated refresh token is refused by both; sign-in failures count across replicas; chat
sessions continue over a WebSocket on either.

Needs PostgreSQL (127.0.0.1:5432, user postgres, trust) and Redis (127.0.0.1:6379); override with
REELGRAPH_REPLICAS_POSTGRES_URL / REELGRAPH_REPLICAS_REDIS_URL. Skipped when they are unreachable,
unless CI is set: then an unreachable service fails the test loudly.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from reelgraph.caching.shared_cache import NAMESPACE
from reelgraph.caching.upstream_data import cache_key
from tests.helpers import PASSWORD, free_port, unique_email
from tests.pg_redis import admin_sql, flush_redis, require

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get("REELGRAPH_REPLICAS_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("REELGRAPH_REPLICAS_REDIS_URL", "redis://127.0.0.1:6379/14")
DATABASE = "reelgraph_replicas"
EMAIL_FAILURES = 3  # sign-in failures per email before RATE_LIMITED, on either replica

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@dataclass
class Replica:
    name: str
    url: str
    process: asyncio.subprocess.Process
    log: Path

    async def gql(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        async with httpx.AsyncClient(base_url=self.url, timeout=30) as http:
            response = await http.post(
                "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
            )
        assert response.status_code == 200, response.text
        return response.json()

    async def metric(self, name: str, **labels: str) -> float:
        from prometheus_client.parser import text_string_to_metric_families

        async with httpx.AsyncClient(base_url=self.url, timeout=10) as http:
            text = (await http.get("/metrics")).text
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == name and sample.labels == labels:
                    return sample.value
        return 0.0


@dataclass
class Cluster:
    a: Replica
    b: Replica
    admin_email: str
    admin_password: str
    redis_url: str


@pytest.fixture(scope="module")
def replica_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    require(ADMIN_URL, REDIS_URL)
    asyncio.run(
        admin_sql(
            ADMIN_URL,
            f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)",
            f"CREATE DATABASE {DATABASE}",
        )
    )
    asyncio.run(flush_redis(REDIS_URL))
    host_part = ADMIN_URL.split("://", 1)[1].rsplit("/", 1)[0]
    env = {
        **os.environ,
        "REELGRAPH_ENV": "development",
        "REELGRAPH_DATABASE_URL": f"postgresql+asyncpg://{host_part}/{DATABASE}",
        "REELGRAPH_CACHE_URL": REDIS_URL,
        "REELGRAPH_JWT_SECRET": "replicas-secret-" + "r" * 40,
        "REELGRAPH_LOGIN_FAILURES_PER_EMAIL": str(EMAIL_FAILURES),
        "REELGRAPH_AUTH_RATE_LIMIT": "1000/minute",  # the sign-ins here all come from 127.0.0.1
        "REELGRAPH_RECS_TRAIN_ON_START": "false",
        "REELGRAPH_LOG_FORMAT": "json",
        "PYTHONUNBUFFERED": "1",
    }
    for key in ("TMDB_API_KEY", "TMDB_READ_TOKEN", "OMDB_API_KEY", "OPENAI_API_KEY"):
        env.pop(key, None)  # the offline catalog and the rule-based assistant
    try:
        yield env
    finally:
        asyncio.run(admin_sql(ADMIN_URL, f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        asyncio.run(flush_redis(REDIS_URL))


def _run(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "reelgraph.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.fixture(scope="module")
async def cluster(
    replica_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Cluster]:
    # Migrate once, before either replica starts, so they never race to migrate.
    await asyncio.to_thread(_run, replica_env, "migrate")
    admin_email, admin_password = unique_email("admin"), "admin password 123"
    await asyncio.to_thread(
        _run, replica_env, "create-user", "--email", admin_email, "--password", admin_password,
        "--name", "Admin", "--role", "ADMIN",
    )  # fmt: skip
    logs = tmp_path_factory.mktemp("replicas")
    replicas: list[Replica] = []
    try:
        for name in ("a", "b"):
            port = free_port()
            log = logs / f"{name}.log"
            with log.open("wb") as handle:
                process = await asyncio.create_subprocess_exec(
                    *(sys.executable, "-m", "reelgraph.cli", "serve", "--port", str(port)),
                    env=replica_env,
                    cwd=ROOT,
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                )
            replicas.append(Replica(name, f"http://127.0.0.1:{port}", process, log))
        async with httpx.AsyncClient(timeout=5) as http:
            for replica in replicas:
                deadline = time.monotonic() + 90
                while True:
                    assert replica.process.returncode is None, replica.log.read_text()[-3000:]
                    try:
                        if (await http.get(replica.url + "/health/ready")).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    assert time.monotonic() < deadline, replica.log.read_text()[-3000:]
                    await asyncio.sleep(0.2)
        yield Cluster(replicas[0], replicas[1], admin_email, admin_password, REDIS_URL)
    finally:
        for replica in replicas:
            replica.process.terminate()
        for replica in replicas:
            try:
                await asyncio.wait_for(replica.process.wait(), 20)
            except TimeoutError:
                replica.process.kill()
                await replica.process.wait()


REGISTER = """mutation($i: RegisterInput!) { register(input: $i) {
  accessToken refreshToken user { id email } errors { code } } }"""
LOGIN = """mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) {
  accessToken refreshToken user { id email } errors { code } } }"""
REFRESH = (
    "mutation($r: String!) { refreshToken(refreshToken: $r) { accessToken refreshToken errors { code } } }"
)


def codes(body: dict[str, Any], payload: str | None = None) -> list[str]:
    """Top-level error codes, then the payload's user-error codes."""
    found = [error["extensions"]["code"] for error in body.get("errors") or []]
    if payload and body.get("data") and body["data"].get(payload):
        found += [error["code"] for error in body["data"][payload]["errors"]]
    return found


async def register(replica: Replica) -> tuple[str, dict[str, Any]]:
    email = unique_email("replica")
    body = await replica.gql(REGISTER, {"i": {"email": email, "password": PASSWORD, "name": "Rep"}})
    assert codes(body, "register") == [], body
    return email, body["data"]["register"]


async def test_a_write_on_one_replica_is_read_on_the_other(cluster: Cluster) -> None:
    email, registered = await register(cluster.a)
    signed_in = await cluster.b.gql(LOGIN, {"e": email, "p": PASSWORD})
    assert codes(signed_in, "login") == []
    assert signed_in["data"]["login"]["user"]["id"] == registered["user"]["id"]
    token_from_b = signed_in["data"]["login"]["accessToken"]

    marked = await cluster.a.gql(
        "mutation { setInteraction(movieId: 603, kind: WATCH_LATER) { errors { code } } }",
        token=registered["accessToken"],
    )
    assert codes(marked, "setInteraction") == []
    seen_on_b = await cluster.b.gql(
        "{ movie(tmdbId: 603) { viewerInteractions } viewer { interactions(first: 5) { totalCount } } }",
        token=token_from_b,
    )
    assert seen_on_b["data"]["movie"]["viewerInteractions"] == ["WATCH_LATER"]
    assert seen_on_b["data"]["viewer"]["interactions"]["totalCount"] == 1

    rated = await cluster.b.gql(
        "mutation { rateMovie(movieId: 550, value: 4.5) { errors { code } } }", token=token_from_b
    )
    assert codes(rated, "rateMovie") == []
    on_a = await cluster.a.gql("{ movie(tmdbId: 550) { viewerRating } }", token=registered["accessToken"])
    assert on_a["data"]["movie"]["viewerRating"] == 4.5


async def test_refresh_cache_on_one_replica_drops_the_entry_the_other_uses(cluster: Cluster) -> None:
    import redis.asyncio as redis

    _, viewer = await register(cluster.b)
    token = viewer["accessToken"]  # signed in: no per-process response cache in the way
    store = redis.from_url(cluster.redis_url)
    suffix = cache_key("movie", 13, "en-US").encode()

    async def cached() -> bool:  # movie 13's details under the cache's namespaced key, in Redis
        return any([key async for key in store.scan_iter(match=f"{NAMESPACE}*") if key.endswith(suffix)])

    try:
        calls = (
            "reelgraph_upstream_http_requests_total",
            {"upstream": "tmdb", "endpoint": "/movie/{id}", "outcome": "2xx"},
        )
        assert (await cluster.b.gql("{ movie(tmdbId: 13) { title } }", token=token))["data"]["movie"]["title"]
        assert await cached()
        b_calls = await cluster.b.metric(calls[0], **calls[1])
        a_calls = await cluster.a.metric(calls[0], **calls[1])
        # A reads what B cached: no upstream call on A.
        assert (await cluster.a.gql("{ movie(tmdbId: 13) { title } }", token=token))["data"]["movie"]["title"]
        assert await cluster.a.metric(calls[0], **calls[1]) == a_calls

        login = await cluster.a.gql(LOGIN, {"e": cluster.admin_email, "p": cluster.admin_password})
        admin_token = login["data"]["login"]["accessToken"]
        refreshed = await cluster.a.gql("mutation { refreshCache(movieId: 13) { ok } }", token=admin_token)
        assert refreshed["data"]["refreshCache"]["ok"] is True, refreshed
        assert not await cached()  # gone from the shared cache

        # B no longer finds it: it fetches the movie again (one upstream call) and re-caches it.
        assert (await cluster.b.gql("{ movie(tmdbId: 13) { title } }", token=token))["data"]["movie"]["title"]
        assert await cluster.b.metric(calls[0], **calls[1]) == b_calls + 1
        assert await cached()
    finally:
        await store.aclose()


async def test_a_rotated_refresh_token_is_refused_by_both(cluster: Cluster) -> None:
    _, session = await register(cluster.a)
    first = session["refreshToken"]
    rotated = await cluster.a.gql(REFRESH, {"r": first})
    assert codes(rotated, "refreshToken") == []
    second = rotated["data"]["refreshToken"]["refreshToken"]

    reused = await cluster.b.gql(REFRESH, {"r": first})  # the old one, on the other replica
    assert codes(reused, "refreshToken") == ["INVALID_REFRESH_TOKEN"]
    # Reuse is treated as theft: the whole session ends, on both replicas.
    for replica in (cluster.a, cluster.b):
        assert codes(await replica.gql(REFRESH, {"r": second}), "refreshToken") == ["INVALID_REFRESH_TOKEN"]


async def test_sign_in_failures_count_across_replicas(cluster: Cluster) -> None:
    email, _ = await register(cluster.a)
    for attempt in range(EMAIL_FAILURES):
        replica = cluster.a if attempt % 2 == 0 else cluster.b
        failed = await replica.gql(LOGIN, {"e": email, "p": "wrong password 1"})
        assert codes(failed, "login") == ["INVALID_CREDENTIALS"]
    for replica in (cluster.b, cluster.a):  # the right password, after the limit, on either replica
        limited = await replica.gql(LOGIN, {"e": email, "p": PASSWORD})
        assert codes(limited, "login") == ["RATE_LIMITED"], limited
        assert limited["errors"][0]["extensions"]["retryAfter"] > 0


async def _chat_stream(
    replica: Replica, token: str, message: str, session_id: str | None
) -> list[dict[str, Any]]:
    uri = replica.url.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(uri, subprotocols=[websockets.Subprotocol("graphql-transport-ws")]) as ws:
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        )
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
        query = (
            "subscription($m: String!, $s: ID) { chatStream(message: $m, sessionId: $s) { text done "
            "payload { reply session { id } filters { yearFrom yearTo genres { name } } movies { title } } } }"
        )
        await ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": query, "variables": {"m": message, "s": session_id}},
                }
            )
        )
        deltas = []
        while True:
            message_ = json.loads(await asyncio.wait_for(ws.recv(), 20))
            if message_["type"] == "complete":
                return deltas
            assert message_["type"] == "next", message_
            deltas.append(message_["payload"]["data"]["chatStream"])


async def test_chat_sessions_continue_over_a_websocket_on_either_replica(cluster: Cluster) -> None:
    _, viewer = await register(cluster.a)
    token = viewer["accessToken"]
    started = await cluster.a.gql(
        'mutation { chat(message: "science fiction from the 90s") { session { id } movies { title } errors { code } } }',
        token=token,
    )
    assert codes(started, "chat") == [], started
    session_id = started["data"]["chat"]["session"]["id"]

    deltas = await _chat_stream(cluster.b, token, "only comedies", session_id)
    assert deltas and deltas[-1]["done"] is True
    final = deltas[-1]["payload"]
    assert final["session"]["id"] == session_id  # B continued the session A started
    assert "".join(delta["text"] for delta in deltas) == final["reply"]
    assert final["movies"]

    history = await cluster.a.gql(
        "query($id: ID!) { chatSession(id: $id) { messages { role } } }", {"id": session_id}, token=token
    )
    assert len(history["data"]["chatSession"]["messages"]) >= 4  # two turns, each a question and an answer
