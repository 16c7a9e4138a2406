"""Sign-in throttling that an attacker cannot turn against the owner: failures count per (account,
address) and per address and slow those down progressively; nothing locks the account itself."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from starlette.applications import Starlette

from tests.conftest import RecordingMailer
from tests.helpers import PASSWORD, GraphQLClient, register, unique_email

LOGIN = """mutation($e: String!, $p: String!) {
  login(input: {email: $e, password: $p}) { accessToken errors { code } } }"""
WRONG = "not the password at all"
_addresses = itertools.count(1)


def new_address() -> str:
    """An address no other test signs in from (the suite's other requests come from 127.0.0.1)."""
    number = next(_addresses)
    return f"10.77.{number // 250}.{number % 250 + 1}"


@asynccontextmanager
async def from_address(app: Starlette, address: str) -> AsyncIterator[GraphQLClient]:
    transport = httpx.ASGITransport(app=app, client=(address, 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield GraphQLClient(http)


async def attempt(gql: GraphQLClient, email: str, password: str) -> tuple[str, dict[str, Any]]:
    """ "OK", "INVALID_CREDENTIALS" or "RATE_LIMITED", and the body."""
    body = await gql(LOGIN, {"e": email, "p": password})
    if body.get("errors"):
        return body["errors"][0]["extensions"]["code"], body
    errors = body["data"]["login"]["errors"]
    return (errors[0]["code"] if errors else "OK"), body


def retry_after(body: dict[str, Any]) -> int:
    return int(body["errors"][0]["extensions"]["retryAfter"])


async def hammer(app: Starlette, email: str, address: str, times: int) -> list[str]:
    async with from_address(app, address) as gql:
        return [(await attempt(gql, email, WRONG))[0] for _ in range(times)]


async def test_guessing_from_other_addresses_never_holds_up_the_owner(app: Starlette) -> None:
    email = unique_email("owner")
    async with from_address(app, new_address()) as owner:
        await register(owner, email=email)
    for _ in range(3):  # well past the old five-failure lockout of the account
        outcomes = await hammer(app, email, new_address(), 7)
        assert outcomes[:5] == ["INVALID_CREDENTIALS"] * 5 and "RATE_LIMITED" in outcomes[5:]
    async with from_address(app, new_address()) as owner:
        assert (await attempt(owner, email, PASSWORD))[0] == "OK"


async def test_failures_from_one_address_slow_it_down_progressively(app: Starlette) -> None:
    email = unique_email()
    async with from_address(app, new_address()) as gql:
        await register(gql, email=email)
        for _ in range(5):
            assert (await attempt(gql, email, WRONG))[0] == "INVALID_CREDENTIALS"
        code, body = await attempt(gql, email, PASSWORD)  # even the right password waits: no oracle
        assert code == "RATE_LIMITED"
        first_wait = retry_after(body)
        assert 1 <= first_wait <= 2  # seconds, not the old quarter of an hour
        await asyncio.sleep(first_wait + 0.2)
        assert (await attempt(gql, email, WRONG))[0] == "INVALID_CREDENTIALS"
        code, body = await attempt(gql, email, WRONG)
        assert code == "RATE_LIMITED"
        assert retry_after(body) > first_wait  # each further failure waits longer


async def test_a_guesser_behind_a_shared_address_does_not_hold_up_known_colleagues(app: Starlette) -> None:
    office = new_address()
    colleague = unique_email("colleague")
    async with from_address(app, office) as gql:
        await register(gql, email=colleague)
        assert (await attempt(gql, colleague, PASSWORD))[0] == "OK"  # signs in from the office
        outcomes = [(await attempt(gql, unique_email("stuffed"), WRONG))[0] for _ in range(21)]
        assert outcomes[:20] == ["INVALID_CREDENTIALS"] * 20
        assert outcomes[20] == "RATE_LIMITED"  # the address is slowed down for strangers...
        assert (await attempt(gql, colleague, PASSWORD))[0] == "OK"  # ...not for who signs in there


async def test_signing_in_to_ones_own_account_does_not_reset_the_address_count(app: Starlette) -> None:
    attacker = unique_email("attacker")
    async with from_address(app, new_address()) as gql:
        await register(gql, email=attacker)
        for _ in range(19):
            assert (await attempt(gql, unique_email("victim"), WRONG))[0] == "INVALID_CREDENTIALS"
        assert (await attempt(gql, attacker, PASSWORD))[0] == "OK"
        assert (await attempt(gql, unique_email("victim"), WRONG))[0] == "INVALID_CREDENTIALS"
        assert (await attempt(gql, unique_email("victim"), WRONG))[0] == "RATE_LIMITED"


async def test_a_password_reset_always_works_and_clears_the_accounts_counters(
    app: Starlette, mailer: RecordingMailer
) -> None:
    email = unique_email()
    home = new_address()
    async with from_address(app, home) as gql:
        await register(gql, email=email)
    # Someone guesses from the owner's own address (a shared connection) until it waits.
    assert (await hammer(app, email, home, 6))[-1] == "RATE_LIMITED"
    async with from_address(app, home) as gql:
        assert (await attempt(gql, email, PASSWORD))[0] == "RATE_LIMITED"
        request = "mutation($e: String!) { requestPasswordReset(email: $e) { ok } }"
        assert (await gql(request, {"e": email}))["data"]["requestPasswordReset"]["ok"] is True
        token = mailer.last_to(email).body.split("token=")[1].split()[0]
        reset = "mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) { ok } }"
        assert (await gql(reset, {"t": token, "p": "a fresh pass phrase"}))["data"]["resetPassword"]["ok"]
        assert (await attempt(gql, email, "a fresh pass phrase"))[0] == "OK"  # at once, same address
