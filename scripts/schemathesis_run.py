"""Schemathesis (GraphQL mode) against a real `reelgraph serve`: anonymous, as a user, as an admin.

    .venv/bin/python scripts/schemathesis_run.py [--examples 50] [--mode all] [--seed 0]

Starts its own server on a free loopback port (development settings, the offline catalog, a fresh
SQLite file, rate limits out of the way), creates a user and an admin with `reelgraph create-user`,
signs them in through the `login` mutation (before any case: generated logins soon trip the
sign-in throttle), then generates --examples cases per Query and Mutation
field for each of the three callers. Every response is checked by:

- schemathesis's `not_a_server_error` (HTTP 5xx, or errors that are the server's own failures), except
  that an error carrying one of our refusal codes (UNAUTHENTICATED, FORBIDDEN, BAD_USER_INPUT...) is an
  answer, not a failure: schemathesis counts every error with a `path` as a server error, and this API
  raises its refusals from resolvers, with a path and a code;
- schemathesis's `response_schema_conformance` (a JSON object; no null where the schema says non-null);
- our contract: every error has an extensions.code, and none is INTERNAL_SERVER_ERROR.

Prints the cases run and each distinct failure (operation, check, message, one request that shows
it), and exits 1 on any failure. Operations run in schema order, except `logout`, last for each caller:
with allSessions it signs the caller out, which would turn every later case into an anonymous one.
Nothing is excluded. `deleteUser`, `revokeRole` and `changePassword` run as generated: generated ids
and passwords name nobody here, and each caller's token is checked to still work before its run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import response_schema_conformance

from reelgraph.errors import ErrorCode

# A JSON request cannot carry a file (multipart can: tests/test_library_import.py). In the place
# of an Upload, the fuzzer sends what a JSON client could: strings, which must be refused with a code.
schemathesis.graphql.scalar("Upload", st.text(max_size=40).map(schemathesis.graphql.nodes.String))

ROOT = Path(__file__).resolve().parent.parent
# Our codes for a request refused on purpose; INTERNAL_SERVER_ERROR is the server failing.
REFUSALS = {code.value for code in ErrorCode} - {ErrorCode.INTERNAL_SERVER_ERROR.value}
LAST = ("Mutation.logout",)
USER = ("fuzz-user@example.com", "correct horse battery")
ADMIN = ("fuzz-admin@example.com", "correct horse battery staple")


def errors_of(response: schemathesis.Response) -> list[Any]:
    try:
        body = response.json()
    except ValueError:
        return []
    errors = body.get("errors") if isinstance(body, dict) else None
    return errors if isinstance(errors, list) else []


def code_of(error: Any) -> Any:
    extensions = error.get("extensions") if isinstance(error, dict) else None
    return extensions.get("code") if isinstance(extensions, dict) else None


@schemathesis.check
def not_a_server_error_but_refusals(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case[Any]
) -> bool | None:
    errors = errors_of(response)
    if response.status_code < 500 and errors and all(code_of(error) in REFUSALS for error in errors):
        return None
    return not_a_server_error(ctx, response, case)


@schemathesis.check
def every_error_coded_and_not_internal(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case[Any]
) -> bool | None:
    for error in errors_of(response):
        code = code_of(error)
        if code is None or code == ErrorCode.INTERNAL_SERVER_ERROR.value:
            raise AssertionError(f"error with code {code!r}: {json.dumps(error)[:300]}")
    return None


CHECKS = [not_a_server_error_but_refusals, response_schema_conformance, every_error_coded_and_not_internal]


@dataclass
class Tally:
    cases: int = 0
    # (operation, check title, message) -> one request body showing it, and how many cases hit it
    failures: dict[tuple[str, str, str], tuple[str, int]] = field(default_factory=dict)

    def record(self, operation: str, title: str, message: str, case: schemathesis.Case[Any]) -> None:
        key = (operation, title, " ".join(message.split())[:300])
        sample, count = self.failures.get(key, (json.dumps(case.body, ensure_ascii=True)[:600], 0))
        self.failures[key] = (sample, count + 1)


def fuzz_operation(
    operation: schemathesis.APIOperation[Any, Any, Any, Any],
    headers: dict[str, str],
    arguments: argparse.Namespace,
    tally: Tally,
) -> None:
    modes = schemathesis.GenerationMode.from_choice(arguments.mode)
    strategy = operation.as_strategy(modes[0])
    for mode in modes[1:]:
        strategy |= operation.as_strategy(mode)

    @settings(
        max_examples=arguments.examples,
        deadline=None,
        derandomize=arguments.seed is None,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # failures are collected, not shrunk
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def run(case: schemathesis.Case[Any]) -> None:
        tally.cases += 1
        try:
            response = case.call(headers=headers, timeout=60)
        except Exception as exc:  # a dropped connection is a finding too
            tally.record(operation.label, "request failed", repr(exc), case)
            return
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:
            for failure in group.exceptions:
                tally.record(operation.label, failure.title, failure.message, case)
        except (Failure, AssertionError) as failure:
            tally.record(operation.label, type(failure).__name__, str(failure), case)

    if arguments.seed is not None:
        run = seed(arguments.seed)(run)
    run()


def fuzz_as(url: str, caller: str, token: str | None, arguments: argparse.Namespace) -> Tally:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    schema = schemathesis.graphql.from_url(url, headers=headers, timeout=60)
    operations = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
    operations.sort(key=lambda operation: operation.label in LAST)  # stable: schema order otherwise
    tally = Tally()
    started = time.monotonic()
    for operation in operations:
        fuzz_operation(operation, headers, arguments, tally)
    print(
        f"== {caller}: {len(operations)} operations, {tally.cases} cases, {len(tally.failures)} distinct failures ({time.monotonic() - started:.0f} s)"
    )
    return tally


# -- the server -----------------------------------------------------------------------------------------


def free_port() -> int:
    # tests.helpers.free_port: a script does not import the test package
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(workdir: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "REELGRAPH_ENV": "development",
        "REELGRAPH_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'schemathesis.db'}",
        "REELGRAPH_CACHE_URL": "memory://",
        "REELGRAPH_JWT_SECRET": "schemathesis-secret-" + "x" * 40,
        "REELGRAPH_RECS_TRAIN_ON_START": "false",
        # Thousands of requests from one address: the limits would answer instead of the code under test.
        "REELGRAPH_RATE_LIMIT": "1000000/minute",
        "REELGRAPH_AUTH_RATE_LIMIT": "1000000/minute",
        "REELGRAPH_CHAT_RATE_LIMIT": "1000000/minute",
        "REELGRAPH_LOG_FORMAT": "json",
    }
    for key in ("TMDB_API_KEY", "TMDB_READ_TOKEN", "OMDB_API_KEY", "OPENAI_API_KEY"):
        env.pop(key, None)  # the offline catalog and the rule-based assistant: loopback only
    return env


def reelgraph(env: dict[str, str], *command: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "reelgraph.cli", *command], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode != 0:  # its log lines only when they explain a failure
        raise SystemExit(f"reelgraph {command[0]} failed:\n{done.stdout}{done.stderr}")


@contextlib.contextmanager
def own_server(workdir: Path) -> Iterator[str]:
    env = server_env(workdir)
    reelgraph(env, "create-user", "--email", USER[0], "--password", USER[1], "--name", "Fuzz user")
    reelgraph(
        env,
        "create-user",
        "--email",
        ADMIN[0],
        "--password",
        ADMIN[1],
        "--name",
        "Fuzz admin",
        "--role",
        "ADMIN",
    )
    port = free_port()
    log_path = workdir / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "reelgraph.cli", "serve", "--port", str(port), "--log-level", "warning"],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(base + "/health/ready", timeout=2).status_code == 200:
                        break
                if time.monotonic() > deadline or process.poll() is not None:
                    raise SystemExit(f"reelgraph serve did not start:\n{log_path.read_text()[-3000:]}")
                time.sleep(0.2)
            yield base + "/graphql"
        finally:
            process.terminate()
            process.wait(30)
    errors = [
        line
        for line in log_path.read_text().splitlines()
        if '"level": "error"' in line.lower() or "Traceback" in line
    ]
    print(f"server log: {len(errors)} lines at ERROR or tracebacks")
    for line in errors[:20]:  # the server's side of the failures below; the log itself is temporary
        print(f"  {line[:1500]}")


def login(url: str, email: str, password: str) -> str:
    query = "mutation($input: LoginInput!) { login(input: $input) { accessToken errors { code } } }"
    body = httpx.post(
        url, json={"query": query, "variables": {"input": {"email": email, "password": password}}}, timeout=30
    ).json()
    payload = body["data"]["login"]
    if not payload["accessToken"]:
        raise SystemExit(f"cannot sign in as {email}: {body}")
    return str(payload["accessToken"])


def viewer_id(url: str, token: str) -> str | None:
    body = httpx.post(
        url, json={"query": "{ viewer { id } }"}, headers={"authorization": f"Bearer {token}"}, timeout=30
    ).json()
    viewer = (body.get("data") or {}).get("viewer")
    return str(viewer["id"]) if viewer else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--examples", type=int, default=50, help="cases per operation and caller (the long run: 200)"
    )
    parser.add_argument("--mode", choices=["positive", "negative", "all"], default="all")
    parser.add_argument("--seed", type=int, default=None, help="explore other cases (default: derandomized)")
    arguments = parser.parse_args()
    total = Tally()
    with tempfile.TemporaryDirectory() as tmp, own_server(Path(tmp)) as url:
        # Signed in before any case runs: generated logins soon make the sign-in throttle answer instead.
        tokens = {"anonymous": None, "user": login(url, *USER), "admin": login(url, *ADMIN)}
        for caller, token in tokens.items():
            if token is not None and viewer_id(url, token) is None:  # an earlier caller's cases ended it
                raise SystemExit(f"the {caller} token stopped working before its run")
            tally = fuzz_as(url, caller, token, arguments)
            total.cases += tally.cases
            for (operation, title, message), (sample, count) in tally.failures.items():
                total.failures[(f"{caller} {operation}", title, message)] = (sample, count)
    for (operation, title, message), (sample, count) in sorted(total.failures.items()):
        print(f"\nFAIL {operation} [{title}] x{count}\n  {message}\n  request: {sample}")
    print(f"\nschemathesis: {total.cases} cases, {len(total.failures)} distinct failures")
    return 1 if total.failures else 0


if __name__ == "__main__":
    sys.exit(main())
