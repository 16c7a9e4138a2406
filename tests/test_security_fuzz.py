"""Hostile input on every argument of every root field: the API refuses it, it never breaks.

The schema is walked (reelgraph.schema.root `schema`): every argument of every Query and Mutation
field, every field of their input objects, and the chatStream subscription over a real WebSocket,
receive lone surrogates, NUL and other control characters, 100k-character strings, ints at and past
the edges of GraphQL's 32-bit Int and of 64-bit columns, non-finite floats, and global ids that are
garbage or name the wrong type, an id >= 2^64 or non-ASCII digits. Anonymous, signed in and as an
admin. Also: access tokens signed with the right key but holding malformed claims, and deeply nested
JSON. Every answer must be a non-5xx JSON body whose errors all carry an extensions.code other than
INTERNAL_SERVER_ERROR, and `{ __typename }` must still answer afterwards.

Two passes per operation: a fixed catalogue of the values above on every argument (deterministic,
so a regression names its input), then Hypothesis-generated values, derandomized, a few per
operation (REELGRAPH_FUZZ_EXAMPLES raises the count for a long run).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import pytest
import websockets
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    get_named_type,
    is_leaf_type,
)
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from reelgraph.config import Settings
from reelgraph.schema.root import schema
from tests.helpers import PASSWORD, GraphQLClient, unique_email
from tests.library_fixtures import member, promoted

EXAMPLES = int(os.environ.get("REELGRAPH_FUZZ_EXAMPLES", "3"))
GRAPHQL = schema._schema  # graphql-core's schema under Strawberry's; the walk needs its types
VIEWERS = ("anonymous", "user", "admin")
# An address of its own: fuzzed sign-ins must not use up the limits other tests rely on.
FUZZ_CLIENT = ("10.77.0.2", 5555)


def b64(text: str | bytes) -> str:
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    return base64.b64encode(raw).decode()


LONG = 100_000
HOSTILE_STRINGS = [
    "\ud800",  # lone high surrogate
    "a\udfffb",  # lone low surrogate inside text
    "\ud83d",  # half an emoji
    "\x00",
    "a\x00b",
    "\x01\x07\x08\x0b\x0c\x1b\x7f",
    "\u0085\u2028\u2029\u200b\u200e\ufeff",  # Unicode line breaks and invisible format characters
    "\ufffe\uffff\U0010ffff",  # noncharacters
    "x" * LONG,
    "\u00e9\ud800" * (LONG // 2),
    "",
    " \t\r\n ",
]
HOSTILE_IDS = [
    *HOSTILE_STRINGS,
    "garbage",
    "!!!!",
    "====",
    "TW92aWU",  # truncated base64
    b64("Foo:bar"),
    b64("Query:1"),
    b64("User:18446744073709551616"),
    b64("User:9223372036854775808"),
    b64("Movie:\u0666\u0660\u0663"),  # "603" in Arabic-Indic digits: str.isdigit() says yes
    b64("Movie:-1"),
    b64("Movie:"),
    b64(":"),
    b64("Review:\x00"),
    b64("ChatSession:1\ud800"),
    b64(b"\xff\xfe:1"),  # not UTF-8
]
HOSTILE_INTS = [0, -1, 2**31 - 1, -(2**31), 2**31, -(2**31) - 1, 2**63, -(2**63), 2**64, 1.5, "1"]
HOSTILE_FLOATS = [0.0, -0.0, -1.0, 1e308, -1e308, 5e-324, 2**63, 2**64, float("inf"), float("nan"), "1"]
HOSTILE_DATES = ["0001-01-01", "9999-12-31", "2024-02-30", "+275760-09-13", "-0001-01-01", *HOSTILE_STRINGS]
HOSTILE_BOOLEANS = ["true", 1, 0]
HOSTILE_OBJECTS = ["x", [], 0, {"unknown": 1}, {"\x00": "\ud800"}]
LONG_LIST = 10_000


# -- the schema walk ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One place a value goes: an argument of a root field, or a field inside an input object."""

    operation: str  # query, mutation or subscription
    field: str
    path: tuple[str, ...]  # the argument, then input object fields

    @property
    def label(self) -> str:
        return f"{self.operation} {self.field}({'.'.join(self.path)})"


def root_type(operation: str) -> GraphQLObjectType:
    found = {"query": GRAPHQL.query_type, "mutation": GRAPHQL.mutation_type}.get(
        operation, GRAPHQL.subscription_type
    )
    assert found is not None
    return found


def field_of(operation: str, name: str) -> GraphQLField:
    field: GraphQLField = root_type(operation).fields[name]
    return field


def input_paths(type_: GraphQLInputType, path: tuple[str, ...], seen: set[str]) -> Iterator[tuple[str, ...]]:
    """The path itself, then every field of the input objects under it not already walked."""
    yield path
    named = get_named_type(type_)
    if isinstance(named, GraphQLInputObjectType) and named.name not in seen:
        seen.add(named.name)
        for name, field in named.fields.items():
            yield from input_paths(field.type, (*path, name), seen)


def walk() -> dict[tuple[str, str], list[Target]]:
    """Every root field's targets. An input object's fields are attacked under the first field that
    takes it (MovieFilter: discover, not also recommendations); elsewhere it is attacked whole."""
    seen: set[str] = set()
    found = {}
    for operation in ("query", "mutation", "subscription"):
        for name, field in sorted(root_type(operation).fields.items()):
            found[operation, name] = [
                Target(operation, name, path)
                for argument, definition in field.args.items()
                for path in input_paths(definition.type, (argument,), seen)
            ]
    return found


def targets(operation: str, name: str) -> list[Target]:
    return TARGETS[operation, name]


def type_at(target: Target) -> GraphQLInputType:
    type_: GraphQLInputType = field_of(target.operation, target.field).args[target.path[0]].type
    for name in target.path[1:]:
        named = get_named_type(type_)
        assert isinstance(named, GraphQLInputObjectType)
        type_ = named.fields[name].type
    return type_


TARGETS = walk()
QUERIES = sorted(root_type("query").fields)
MUTATIONS = sorted(root_type("mutation").fields)


# -- well-formed values for the arguments a case does not attack ----------------------------------------

SCALAR_BASELINES: dict[str, Callable[[], Any]] = {
    "String": lambda: "x",
    "ID": lambda: b64("Movie:603"),
    "Int": lambda: 603,
    "Float": lambda: 4.0,
    "Boolean": lambda: False,
    "Date": lambda: "2000-01-01",
    "DateTime": lambda: "2000-01-01T00:00:00+00:00",
    # A JSON body cannot carry a file (multipart does: tests/test_library_import.py); strings,
    # numbers and objects in its place are what the hostile cases send.
    "Upload": lambda: None,
}
# By argument name, so that cases get past the first check and reach the code behind it.
NAMED_BASELINES: dict[str, Callable[[], Any]] = {
    "email": unique_email,
    "password": lambda: PASSWORD,
    "newPassword": lambda: PASSWORD + " again",
    "currentPassword": lambda: PASSWORD,
    "name": lambda: "Fuzz",
    "message": lambda: "comedies from the 90s",
    "query": lambda: "matrix",
    "body": lambda: "A fine film.",
    "userId": lambda: b64("User:999999999"),  # nobody: admin cases must not delete real accounts
}


def baseline(type_: GraphQLInputType, name: str) -> Any:
    if isinstance(type_, GraphQLNonNull):
        return baseline(type_.of_type, name)
    if isinstance(type_, GraphQLList):
        return [baseline(type_.of_type, name)]
    if isinstance(type_, GraphQLInputObjectType):
        return {
            key: baseline(field.type, key)
            for key, field in type_.fields.items()
            if isinstance(field.type, GraphQLNonNull)
        }
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    assert isinstance(type_, GraphQLScalarType)
    return NAMED_BASELINES.get(name, SCALAR_BASELINES[type_.name])()


def variables_for(target: Target, value: Any) -> dict[str, Any]:
    """Well-formed required arguments, and the value under attack at its place."""
    arguments = field_of(target.operation, target.field).args
    variables = {
        name: baseline(argument.type, name)
        for name, argument in arguments.items()
        if isinstance(argument.type, GraphQLNonNull) or name == target.path[0]
    }
    if len(target.path) == 1:
        variables[target.path[0]] = value
        return variables
    holder = variables[target.path[0]]
    if not isinstance(holder, dict):  # an optional input object: start from its required fields
        holder = variables[target.path[0]] = baseline(arguments[target.path[0]].type, target.path[0])
    for name, field in list(_input_fields(target))[:-1]:
        holder = holder.setdefault(name, baseline(field.type, name))
    holder[target.path[-1]] = value
    return variables


def _input_fields(target: Target) -> Iterator[tuple[str, Any]]:
    type_: GraphQLInputType = field_of(target.operation, target.field).args[target.path[0]].type
    for name in target.path[1:]:
        named = get_named_type(type_)
        assert isinstance(named, GraphQLInputObjectType)
        yield name, named.fields[name]
        type_ = named.fields[name].type


def document_for(target: Target, variables: dict[str, Any]) -> str:
    field = field_of(target.operation, target.field)
    declared = ", ".join(f"${name}: {field.args[name].type}" for name in variables)
    passed = ", ".join(f"{name}: ${name}" for name in variables)
    selection = "" if is_leaf_type(get_named_type(field.type)) else " { __typename }"
    call = f"{target.field}({passed})" if passed else target.field
    header = f"{target.operation} Fuzz({declared})" if declared else f"{target.operation} Fuzz"
    return f"{header} {{ {call}{selection} }}"


# -- hostile values -------------------------------------------------------------------------------------


def catalogue(type_: GraphQLInputType) -> list[Any]:
    """The fixed hostile values for one input type (null first: it is hostile to a non-null)."""
    values: list[Any] = [None] if isinstance(type_, GraphQLNonNull) else []
    inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    if isinstance(inner, GraphQLList):
        element = catalogue(inner.of_type)
        return [*values, "x", *[[value] for value in element], [baseline(inner.of_type, "")] * LONG_LIST]
    if isinstance(inner, GraphQLInputObjectType):
        return [*values, *HOSTILE_OBJECTS]
    if isinstance(inner, GraphQLEnumType):
        return [*values, *HOSTILE_STRINGS[:6], "ZZZ", 0]
    assert isinstance(inner, GraphQLScalarType)
    by_scalar: dict[str, list[Any]] = {
        "ID": HOSTILE_IDS,
        "Int": HOSTILE_INTS,
        "Float": HOSTILE_FLOATS,
        "Boolean": HOSTILE_BOOLEANS,
        "Date": HOSTILE_DATES,
        "DateTime": [value + "T00:00:00" if "-" in value[1:5] else value for value in HOSTILE_DATES],
    }
    return [*values, *by_scalar.get(inner.name, HOSTILE_STRINGS)]


def hostile_text() -> st.SearchStrategy[str]:
    weird = st.characters(categories=["Cs", "Cc", "Cf", "Zl", "Zp", "Co", "Cn"])
    return st.text(st.one_of(weird, st.characters()), max_size=40)


def generated(type_: GraphQLInputType) -> st.SearchStrategy[Any]:
    inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    if isinstance(inner, GraphQLList):
        return st.lists(generated(inner.of_type), max_size=4)
    if isinstance(inner, GraphQLInputObjectType):
        return st.dictionaries(hostile_text(), st.integers() | hostile_text(), max_size=3)
    named = inner.name if isinstance(inner, GraphQLScalarType) else "String"
    if named == "ID":
        return (
            hostile_text()
            | hostile_text().map(lambda text: b64(f"Movie:{text}"))
            | st.builds(
                lambda kind, pk: b64(f"{kind}:{pk}"),
                st.sampled_from(["Movie", "User", "Person", "Genre", "Review", "ChatSession", "Query"]),
                st.integers(min_value=-(2**70), max_value=2**70),
            )
        )
    if named in ("Int", "Float"):
        return st.integers(min_value=-(2**70), max_value=2**70) | st.floats(allow_nan=True)
    return hostile_text()


# -- sending and judging --------------------------------------------------------------------------------


@dataclass
class Caller:
    http: httpx.AsyncClient
    token: str | None

    async def post(self, payload: dict[str, Any] | str) -> httpx.Response:
        # Encoded here: httpx's own encoder refuses lone surrogates, the point of many cases.
        body = payload if isinstance(payload, str) else json.dumps(payload)
        headers = {"content-type": "application/json"}
        if self.token:
            headers["authorization"] = f"Bearer {self.token}"
        return await self.http.post("/graphql", content=body.encode(), headers=headers)


def short(value: Any) -> str:
    text = ascii(value)
    return text if len(text) <= 120 else f"{text[:100]}... ({len(text)} chars)"


def problems_of(status: int, body: Any) -> list[str]:
    """What is wrong with one answer; empty when the API refused or served the request properly."""
    if status >= 500:
        return [f"HTTP {status}: {short(body)}"]
    if not isinstance(body, dict):
        return [f"HTTP {status}, not a JSON object: {short(body)}"]
    problems = []
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code") if isinstance(error, dict) else None
        if code is None:
            problems.append(f"HTTP {status}, error without a code: {short(error)}")
        elif code == "INTERNAL_SERVER_ERROR":
            problems.append(f"HTTP {status}, INTERNAL_SERVER_ERROR: {short(error)}")
    return problems


def decoded(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


async def attack(caller: Caller, target: Target, value: Any) -> list[str]:
    variables = variables_for(target, value)
    response = await caller.post({"query": document_for(target, variables), "variables": variables})
    return [
        f"{target.label} = {short(value)}: {problem}"
        for problem in problems_of(response.status_code, decoded(response))
    ]


async def assert_still_answers(caller: Caller) -> None:
    response = await caller.post({"query": "{ __typename }"})
    assert response.status_code == 200 and response.json()["data"] == {"__typename": "Query"}, response.text


# -- fixtures -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def fuzz_http(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    # Unhandled exceptions answered as a real server would (HTTP 500), so a sweep goes on past them.
    transport = httpx.ASGITransport(app=app, client=FUZZ_CLIENT, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://fuzz", timeout=120) as http:
        yield http


@pytest.fixture(scope="module")
async def tokens(app: Starlette, fuzz_http: httpx.AsyncClient) -> dict[str, str | None]:
    gql = GraphQLClient(fuzz_http)
    user = await member(gql, name="Fuzzed")
    admin = await promoted(gql, app, "ADMIN", name="Fuzzing admin")
    return {"anonymous": None, "user": user.token, "admin": admin.token}


@pytest.fixture(params=VIEWERS)
def caller(
    request: pytest.FixtureRequest, fuzz_http: httpx.AsyncClient, tokens: dict[str, str | None]
) -> Caller:
    return Caller(fuzz_http, tokens[request.param])


# -- the passes -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "operation, field", [*(("query", name) for name in QUERIES), *(("mutation", name) for name in MUTATIONS)]
)
async def test_every_argument_refuses_the_hostile_catalogue(
    caller: Caller, operation: str, field: str
) -> None:
    problems = []
    for target in targets(operation, field):
        for value in catalogue(type_at(target)):
            problems += await attack(caller, target, value)
    await assert_still_answers(caller)
    assert not problems, f"{len(problems)} bad answers:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    "operation, field",
    [
        *(("query", name) for name in QUERIES if root_type("query").fields[name].args),
        *(("mutation", name) for name in MUTATIONS if root_type("mutation").fields[name].args),
    ],
)
async def test_generated_hostile_values(caller: Caller, operation: str, field: str) -> None:
    choices = st.sampled_from(targets(operation, field)).flatmap(
        lambda target: st.tuples(st.just(target), generated(type_at(target)))
    )

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.generate],  # a failure names its input; shrinking would cost minutes of requests
        suppress_health_check=list(HealthCheck),
    )
    @given(choices)
    def run(case: tuple[Target, Any]) -> None:
        # Hypothesis drives a synchronous function: the request runs on the test's own loop.
        problems = asyncio.run_coroutine_threadsafe(attack(caller, *case), loop).result()
        assert not problems, "\n".join(problems)

    loop = asyncio.get_running_loop()
    await asyncio.to_thread(run)
    await assert_still_answers(caller)


# -- access tokens with the right signature and malformed claims -------------------------------------

CLAIM_VALUES: dict[str, list[Any]] = {
    "sub": [
        "18446744073709551616",
        "9223372036854775808",
        "\u0666\u0660\u0663",
        "\u00b2",
        "-1",
        "0",
        "",
        "1\x00",
        "1\ud800",
        1,
        None,
        [],
        {"id": 1},
    ],
    "iat": [1e30, -1e30, 2**64, -(2**64), float("nan"), float("inf"), "now", None, True, []],
    "exp": [1e30, 2**64, float("inf"), "later", None, True],
    "jti": [123, None, "", "\ud800", "x" * LONG, [], {}],
    "typ": ["refresh", None, 1, "\x00access"],
    "iss": ["someone else", None, 1],
}


def signed(settings: Settings, claims: dict[str, Any]) -> str:
    # json.dumps by hand: PyJWT's encoder would refuse the surrogates and non-finite numbers.
    header = base64.urlsafe_b64encode(json.dumps({"alg": settings.jwt_algorithm, "typ": "JWT"}).encode())
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode())
    signing_input = header.rstrip(b"=") + b"." + payload.rstrip(b"=")
    algorithm = jwt.get_algorithm_by_name(settings.jwt_algorithm)
    signature = algorithm.sign(signing_input, algorithm.prepare_key(settings.resolved_jwt_secret()))
    return (signing_input + b"." + base64.urlsafe_b64encode(signature).rstrip(b"=")).decode()


@pytest.mark.parametrize(
    "claim, value", [(claim, value) for claim, values in CLAIM_VALUES.items() for value in values]
)
async def test_tokens_with_malformed_claims_are_refused(
    settings: Settings, fuzz_http: httpx.AsyncClient, tokens: dict[str, str | None], claim: str, value: Any
) -> None:
    # A real token's claims, whatever the codec puts in them, with one of them spoilt.
    claims = jwt.decode(tokens["user"] or "", options={"verify_signature": False})
    if value is None:
        del claims[claim]
    else:
        claims[claim] = value
        if claim in ("iat", "exp") and isinstance(value, float) and value < 0:
            claims["exp" if claim == "iat" else "iat"] = value
    caller = Caller(fuzz_http, signed(settings, claims))
    response = await caller.post({"query": "{ viewer { id } }"})
    body = decoded(response)
    assert not problems_of(response.status_code, body), f"{claim}={short(value)}: {short(body)}"
    assert (body.get("data") or {}).get("viewer") is None, f"{claim}={short(value)} was accepted"
    await assert_still_answers(Caller(fuzz_http, None))


# -- deeply nested JSON ----------------------------------------------------------------------------------

DEPTHS = [1_000, 100_000]


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize(
    "body",
    [
        '{"query": "mutation($v: [Int!]) { chat(message: \\"hi\\", visibleMovieIds: $v) { reply } }", "variables": {"v": %s}}',
        '{"query": "query($f: MovieFilter!) { discover(filter: $f) { totalCount } }", "variables": {"f": {"genres": %s}}}',
        '{"query": "{ __typename }", "extensions": {"deep": %s}}',
        '{"query": "{ __typename }", "variables": %s}',
        "%s",
    ],
    ids=["list variable", "input object field", "extensions", "variables", "whole body"],
)
async def test_deeply_nested_json_is_refused(caller: Caller, body: str, depth: int) -> None:
    response = await caller.post(body % nested(depth))
    assert not problems_of(response.status_code, decoded(response)), short(response.text)
    await assert_still_answers(caller)


# -- the chatStream subscription over a real WebSocket ------------------------------------------------


@contextlib.asynccontextmanager
async def subscription_socket(url: str, token: str | None) -> AsyncIterator[websockets.ClientConnection]:
    async with websockets.connect(
        url, subprotocols=[websockets.Subprotocol("graphql-transport-ws")], max_size=None
    ) as ws:
        params = {"Authorization": f"Bearer {token}"} if token else {}
        await ws.send(json.dumps({"type": "connection_init", "payload": params}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
        yield ws


async def subscribe(ws: websockets.ClientConnection, case_id: str, target: Target, value: Any) -> list[str]:
    """One subscription to the end: its errors judged like HTTP ones, a closed socket is a failure."""
    variables = variables_for(target, value)
    query = document_for(target, variables).replace(" { __typename }", " { text done }")
    message = {"id": case_id, "type": "subscribe", "payload": {"query": query, "variables": variables}}
    await ws.send(json.dumps(message))
    label = f"{target.label} = {short(value)}"
    while True:
        try:
            answer = json.loads(await asyncio.wait_for(ws.recv(), 30))
        except websockets.ConnectionClosed as closed:
            return [f"{label}: socket closed {closed.rcvd}"]
        if answer.get("id") != case_id:
            continue
        if answer["type"] == "complete":
            return []
        errors = answer["payload"] if answer["type"] == "error" else answer["payload"].get("errors")
        problems = problems_of(200, {"errors": errors})
        if answer["type"] == "error" or problems:
            return [f"{label}: {problem}" for problem in problems]


@pytest.mark.parametrize("viewer", VIEWERS)
async def test_chat_stream_refuses_the_hostile_catalogue(
    ws_url: str, fuzz_http: httpx.AsyncClient, tokens: dict[str, str | None], viewer: str
) -> None:
    problems: list[str] = []
    cases = [
        (target, value)
        for target in targets("subscription", "chatStream")
        for value in catalogue(type_at(target))
    ]
    ws_context = subscription_socket(ws_url, tokens[viewer])
    ws = await ws_context.__aenter__()
    try:
        for number, (target, value) in enumerate(cases):
            found = await subscribe(ws, str(number), target, value)
            problems += found
            if found and "socket closed" in found[0]:  # a fresh socket, so the next cases still run
                await ws_context.__aexit__(None, None, None)
                ws_context = subscription_socket(ws_url, tokens[viewer])
                ws = await ws_context.__aenter__()
    finally:
        await ws_context.__aexit__(None, None, None)
    await assert_still_answers(Caller(fuzz_http, tokens[viewer]))
    assert not problems, f"{len(problems)} bad answers:\n" + "\n".join(problems)
