"""Schema-driven GraphQL fuzzing: Hypothesis generates documents from the introspected schema and
every one must be answered without HTTP 5xx and without INTERNAL_SERVER_ERROR.

    python -m bench.fuzz [--examples 5000] [--seed N] [--url http://127.0.0.1:8000]

Without --url an app of its own runs in process on a temporary SQLite file (offline catalog); with
--url only loopback targets are accepted. tests/test_fuzz.py runs a bounded version in the suite.

The documents mix valid and invalid shapes on purpose: random selections down to a bounded depth,
aliases, inline and named fragments, @include/@skip, arguments of the right type and of wrong types,
variables with well- and ill-typed values, unknown fields, and requests anonymous, signed in, or with
a forged token.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import hashlib
import json
import string
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import httpx
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    build_client_schema,
    get_introspection_query,
    get_named_type,
    is_leaf_type,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# Authorization kinds a case may use; the runner supplies the actual tokens.
AUTH_KINDS = ("none", "viewer", "forged", "garbage")
FORGED_TOKEN = (
    "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiIxIiwidHlwZSI6ImFjY2VzcyIsImV4cCI6OTk5OTk5OTk5OX0."
)
# Valid-looking global ids (base64 "Movie:603", "User:1", ...) among random strings.
GLOBAL_IDS = [
    "TW92aWU6NjAz",
    "VXNlcjox",
    "UGVyc29uOjY0ODQ=",
    "R2VucmU6ODc4",
    "UmV2aWV3OjE=",
    "Q2hhdFNlc3Npb246MQ==",
]


@dataclass(frozen=True)
class FuzzCase:
    query: str
    variables: dict[str, Any]
    auth: str

    def payload(self) -> dict[str, Any]:
        return {"query": self.query, "variables": self.variables}


@dataclass(frozen=True)
class Enum:
    """An enum value: bare in a literal, a string in JSON variables."""

    name: str


# ------------------------------------------------------------------------------------------ values


def literal(value: Any) -> str:
    """A Python value as a GraphQL literal."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, int | float):
        return repr(value)  # finite only (the strategies exclude NaN and infinities)
    if isinstance(value, str):
        return json.dumps(value)  # JSON string escapes are valid GraphQL string escapes
    if isinstance(value, list):
        return "[" + ", ".join(literal(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {literal(item)}" for key, item in value.items()) + "}"
    raise TypeError(type(value))


def to_json(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, list):
        return [to_json(item) for item in value]
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    return value


def _digest(*parts: Any) -> str:
    return hashlib.sha1(repr(parts).encode()).hexdigest()[:6]


# Built once: constructing Hypothesis strategies is far costlier than drawing from them.
IDENTIFIER = st.builds(
    lambda head, tail: head + tail,
    st.sampled_from(string.ascii_lowercase),
    st.text(alphabet=string.ascii_letters + string.digits + "_", max_size=8),
)
SMALL_INTS = st.sampled_from([0, 1, 2, 3, 5, -1, 603, 604, 13, 550, 101, 2**31 - 1, -(2**31)])
TEXT = st.one_of(
    st.sampled_from(["", "matrix", "keanu", "en-US", "fr-FR", "x" * 300, "ann@example.com", "90s sci-fi"]),
    st.text(max_size=40),
    st.text(alphabet=string.printable, max_size=20),
)
FLOATS = st.one_of(
    st.sampled_from([0.5, 4.5, 5.0, 0.0, -1.0, 5.5, 1e308]),
    st.floats(allow_nan=False, allow_infinity=False),
)
_SCALARS = st.one_of(
    st.none(), st.booleans(), SMALL_INTS, FLOATS, TEXT, IDENTIFIER.map(lambda name: Enum(name.upper()))
)
# A value of a random kind: what a confused or hostile client sends.
ANY_VALUE = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(IDENTIFIER, inner, max_size=3)),
    max_leaves=6,
)


# --------------------------------------------------------------------------------------- documents


@dataclass(frozen=True)
class Piece:
    """Generated text plus the fragment and variable definitions it uses. Names are derived from
    content, so identical definitions coincide and strategies stay pure (and cacheable)."""

    text: str
    fragments: tuple[tuple[str, str], ...] = ()
    variables: tuple[tuple[str, str, Any], ...] = ()  # (name, declared type, value)

    @staticmethod
    def join(pieces: list[Piece], separator: str = " ") -> Piece:
        return Piece(
            separator.join(piece.text for piece in pieces),
            tuple(item for piece in pieces for item in piece.fragments),
            tuple(item for piece in pieces for item in piece.variables),
        )


class DocumentGenerator:
    """Strategies over a schema. `broken` documents also get wrong-typed values, unknown fields and
    arguments, missing required arguments, random aliases and undeclared variables; the others are
    meant to validate, so they reach the resolvers."""

    def __init__(self, schema: GraphQLSchema, max_depth: int = 3) -> None:
        self.schema = schema
        self.max_depth = max_depth

    def cases(self) -> st.SearchStrategy[FuzzCase]:
        roots = [("query", self.schema.query_type)]
        if self.schema.mutation_type is not None:
            roots.append(("mutation", self.schema.mutation_type))

        @st.composite
        def case(draw: st.DrawFn) -> FuzzCase:
            broken = draw(st.integers(0, 3)) == 0
            keyword, root = draw(st.sampled_from(roots))
            assert root is not None
            body = draw(self.selection(root.name, self.max_depth, broken, top=True))
            name = draw(st.one_of(st.just(""), IDENTIFIER.map(lambda n: "Fuzz" + n)))
            variables = dict((var, (kind, value)) for var, kind, value in body.variables)
            declarations = ", ".join(f"${var}: {kind}" for var, (kind, _) in variables.items())
            head = keyword + (f" {name}" if name else "") + (f"({declarations})" if declarations else "")
            query = body.text if head == "query" and draw(st.booleans()) else f"{head} {body.text}"
            fragments = dict(body.fragments)
            if fragments:
                query += "\n" + "\n".join(fragments.values())
            values = {var: to_json(value) for var, (_, value) in variables.items()}
            if broken and draw(st.integers(0, 9)) == 0:
                values[draw(IDENTIFIER)] = to_json(draw(ANY_VALUE))  # an undeclared variable
            return FuzzCase(query=query, variables=values, auth=draw(st.sampled_from(AUTH_KINDS)))

        return case()

    # -- selections

    @functools.cache  # noqa: B019  (one generator per schema, kept for the run)
    def selection(
        self, type_name: str, depth: int, broken: bool, top: bool = False
    ) -> st.SearchStrategy[Piece]:
        parent = self.schema.get_type(type_name)
        abstract = isinstance(parent, GraphQLUnionType | GraphQLInterfaceType)
        possible = list(self.schema.get_possible_types(parent)) if abstract else []  # type: ignore[arg-type]
        own_fields = (
            self.fields(type_name, depth, broken, top)
            if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType)
            else None
        )

        @st.composite
        def selection(draw: st.DrawFn) -> Piece:
            parts: list[Piece] = []
            if abstract:
                parts.append(Piece("__typename"))
                members = draw(st.lists(st.sampled_from(possible), max_size=2, unique_by=lambda t: t.name))
                for member in members:
                    inner = draw(self.selection(member.name, depth, broken))
                    parts.append(
                        Piece(f"... on {member.name} {inner.text}", inner.fragments, inner.variables)
                    )
                if own_fields is not None and draw(st.booleans()):
                    parts.append(draw(own_fields))
            else:
                assert own_fields is not None
                parts.append(draw(own_fields))
                if draw(st.integers(0, 9)) == 0:  # more of the same type through a named fragment
                    inner = draw(self.selection(type_name, depth, broken))
                    fragment = f"F{type_name}{_digest(inner.text)}"
                    definition = f"fragment {fragment} on {type_name} {inner.text}"
                    parts.append(
                        Piece(f"...{fragment}", ((fragment, definition), *inner.fragments), inner.variables)
                    )
                elif draw(st.integers(0, 9)) == 0:  # or an inline fragment
                    inner = draw(self.selection(type_name, depth, broken))
                    parts.append(Piece(f"... on {type_name} {inner.text}", inner.fragments, inner.variables))
            joined = Piece.join(parts)
            return Piece("{ " + joined.text + " }", joined.fragments, joined.variables)

        return selection()

    @functools.cache  # noqa: B019
    def fields(self, type_name: str, depth: int, broken: bool, top: bool) -> st.SearchStrategy[Piece]:
        parent = self.schema.get_type(type_name)
        assert isinstance(parent, GraphQLObjectType | GraphQLInterfaceType)
        names = sorted(parent.fields)
        if depth <= 0:  # no further nesting: leaves only
            names = [name for name in names if is_leaf_type(get_named_type(parent.fields[name].type))]
        choices = [self.field(type_name, name, depth, broken) for name in names] or [
            st.just(Piece("__typename"))
        ]
        choices.append(st.just(Piece("__typename")))
        one = st.one_of(*choices)

        @st.composite
        def fields(draw: st.DrawFn) -> Piece:
            chosen = draw(st.lists(one, min_size=1, max_size=2 if top else 4))
            if broken and draw(st.integers(0, 9)) == 0:
                chosen.append(Piece(draw(IDENTIFIER)))  # an unknown field
            return Piece.join(chosen)

        return fields()

    @functools.cache  # noqa: B019
    def field(self, type_name: str, name: str, depth: int, broken: bool) -> st.SearchStrategy[Piece]:
        parent = self.schema.get_type(type_name)
        assert isinstance(parent, GraphQLObjectType | GraphQLInterfaceType)
        definition = parent.fields[name]
        target = get_named_type(definition.type)
        sub = None if is_leaf_type(target) else self.selection(target.name, depth - 1, broken)
        arguments = [
            (
                arg_name,
                isinstance(argument.type, GraphQLNonNull),
                str(argument.type),
                self.value(str(argument.type), 0, broken),
            )
            for arg_name, argument in definition.args.items()
        ]

        @st.composite
        def field(draw: st.DrawFn) -> Piece:
            parts: list[str] = []
            variables: list[tuple[str, str, Any]] = []
            for arg_name, required, declared, values in arguments:
                if required and broken and draw(st.integers(0, 9)) == 0:
                    continue  # a missing required argument
                if not required and not draw(st.booleans()):
                    continue
                value = draw(values)
                if draw(st.integers(0, 4)) == 0:  # through a variable
                    var = f"v{_digest(declared, to_json(value))}"
                    variables.append((var, declared, value))
                    parts.append(f"{arg_name}: ${var}")
                else:
                    parts.append(f"{arg_name}: {literal(value)}")
            if broken and draw(st.integers(0, 9)) == 0:
                parts.append(f"{draw(IDENTIFIER)}: {literal(draw(ANY_VALUE))}")  # an unknown argument
            text = name + (f"({', '.join(parts)})" if parts else "")
            if draw(st.integers(0, 14)) == 0:
                text += f" @{draw(st.sampled_from(['include', 'skip']))}(if: {literal(draw(st.booleans()))})"
            inner = draw(sub) if sub is not None else Piece("")
            if inner.text:
                text += " " + inner.text
            # Fields with arguments get an alias unique to their content, so two of them never
            # conflict (broken documents use random aliases, which may).
            if broken and draw(st.integers(0, 3)) == 0:
                text = f"{draw(IDENTIFIER)}: {text}"
            elif parts:
                text = f"{name}_{_digest(text)}: {text}"
            return Piece(text, inner.fragments, (*variables, *inner.variables))

        return field()

    # -- values

    @functools.cache  # noqa: B019
    def value(self, type_text: str, depth: int, broken: bool) -> st.SearchStrategy[Any]:
        """A value of the type spelled `type_text` ("Int!", "[ID!]", "MovieFilter"); when broken,
        sometimes one of another type."""
        right = self._right_value(type_text, depth, broken)
        if not broken:
            return right
        return st.one_of(right, right, right, ANY_VALUE)

    def _right_value(self, type_text: str, depth: int, broken: bool) -> st.SearchStrategy[Any]:
        non_null = type_text.endswith("!")
        inner_text = type_text[:-1] if non_null else type_text
        if inner_text.startswith("["):
            items = self.value(inner_text[1:-1], depth + 1, broken)
            strategy = st.one_of(st.lists(items, max_size=3), items)  # a single value coerces to a list
        else:
            strategy = self._named_value(inner_text, depth, broken)
        if not non_null:
            strategy = st.one_of(strategy, strategy, strategy, st.none())
        return strategy

    def _named_value(self, name: str, depth: int, broken: bool) -> st.SearchStrategy[Any]:
        type_ = self.schema.get_type(name)
        if isinstance(type_, GraphQLEnumType):
            return st.sampled_from([Enum(value) for value in type_.values])
        if isinstance(type_, GraphQLInputObjectType):
            return self._input_object(type_, depth, broken)
        if name == "Int":
            return SMALL_INTS
        if name == "Float":
            return FLOATS
        if name == "Boolean":
            return st.booleans()
        if name == "ID":
            return st.one_of(st.sampled_from(GLOBAL_IDS), TEXT, SMALL_INTS.map(str))
        if name in ("Date", "DateTime"):
            return st.one_of(st.sampled_from(["1999-03-31", "2024-02-30", "1999-03-31T10:00:00Z"]), TEXT)
        return TEXT

    def _input_object(
        self, type_: GraphQLInputObjectType, depth: int, broken: bool
    ) -> st.SearchStrategy[Any]:
        fields = [
            (name, isinstance(field.type, GraphQLNonNull), self.value(str(field.type), depth + 1, broken))
            for name, field in type_.fields.items()
            if depth < 2 or isinstance(field.type, GraphQLNonNull)
        ]

        @st.composite
        def input_object(draw: st.DrawFn) -> dict[str, Any]:
            result: dict[str, Any] = {}
            for name, required, values in fields:
                if required or draw(st.booleans()):
                    result[name] = draw(values)
            if broken and draw(st.integers(0, 9)) == 0:
                result[draw(IDENTIFIER)] = draw(ANY_VALUE)  # an unknown input field
            return result

        return input_object()


def documents(schema: GraphQLSchema, max_depth: int = 3) -> st.SearchStrategy[FuzzCase]:
    """FuzzCases over `schema`: queries and mutations, anonymous or not, valid or broken."""
    return DocumentGenerator(schema, max_depth).cases()


# ------------------------------------------------------------------------------------------ running


@dataclass
class FuzzReport:
    cases: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    slowest: float = 0.0
    request_seconds: float = 0.0
    slow: list[tuple[float, str]] = field(default_factory=list)  # cases over a second

    def summary(self) -> str:
        codes = ", ".join(f"{code} {count}" for code, count in self.codes.most_common())
        statuses = ", ".join(f"{status}: {count}" for status, count in sorted(self.statuses.items()))
        return (
            f"{self.cases} generated cases; HTTP {statuses}; top-level error codes: {codes or 'none'}; "
            f"requests took {self.request_seconds:.1f} s in all, the slowest {self.slowest * 1000:.0f} ms; "
            f"failures {len(self.failures)}"
        )


class FuzzRunner:
    """Sends cases to a server and checks the answers; tokens come from registering fuzz users."""

    def __init__(self, http: httpx.AsyncClient, request_timeout: float = 30.0) -> None:
        self.http = http
        self.report = FuzzReport()
        self.request_timeout = request_timeout
        self._token: str | None = None
        self._token_uses = 0

    async def viewer_token(self) -> str | None:
        # A fresh viewer every 25 uses: fuzzed mutations may sign it out or change its password.
        if self._token is None or self._token_uses >= 25:
            email = f"fuzz-{time.time_ns()}@example.com"
            response = await self.http.post(
                "/graphql",
                json={
                    "query": "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }",
                    "variables": {"i": {"email": email, "password": "fuzz password 123", "name": "Fuzz"}},
                },
            )
            registered = (response.json().get("data") or {}).get("register")
            if registered:  # else (e.g. RATE_LIMITED) keep the previous viewer, if any
                self._token, self._token_uses = registered["accessToken"], 0
        self._token_uses += 1
        return self._token

    async def run(self, case: FuzzCase) -> None:
        headers: dict[str, str | bytes] = {}
        token = await self.viewer_token() if case.auth == "viewer" else None
        if token is not None:
            headers["authorization"] = f"Bearer {token}"
        elif case.auth == "forged":
            headers["authorization"] = f"Bearer {FORGED_TOKEN}"
        elif case.auth == "garbage":
            headers["authorization"] = b"Bearer \xff not a token"
        started = time.perf_counter()
        response = await asyncio.wait_for(
            self.http.post("/graphql", json=case.payload(), headers=headers), self.request_timeout
        )
        elapsed = time.perf_counter() - started
        self.report.slowest = max(self.report.slowest, elapsed)
        self.report.request_seconds += elapsed
        if elapsed > 1.0:
            self.report.slow.append((elapsed, case.query))
        self.report.cases += 1
        self.report.statuses[response.status_code] += 1
        problem = None
        if response.status_code >= 500:
            problem = f"HTTP {response.status_code}"
        else:
            try:
                body = response.json()
            except ValueError:
                body = None
                problem = f"HTTP {response.status_code} with a body that is not JSON"
            for error in (body or {}).get("errors") or []:
                code = (error.get("extensions") or {}).get("code", "MISSING")
                self.report.codes[code] += 1
                if code in ("INTERNAL_SERVER_ERROR", "MISSING"):
                    problem = f"{code}: {error.get('message')}"
        if problem is not None:
            self.report.failures.append(f"{problem}\n  query: {case.query}\n  variables: {case.variables}")


async def introspect(http: httpx.AsyncClient) -> GraphQLSchema:
    response = await http.post("/graphql", json={"query": get_introspection_query()})
    return build_client_schema(response.json()["data"])


def fuzz(
    schema: GraphQLSchema,
    run: Callable[[FuzzCase], Awaitable[None]],
    loop: asyncio.AbstractEventLoop,
    *,
    examples: int,
    seed: int | None = None,
    max_depth: int = 3,
) -> None:
    """Runs Hypothesis in the calling thread; each case runs on `loop` (the server's loop)."""

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=seed is None,
        suppress_health_check=list(HealthCheck),
        # Long runs report failures as found rather than spending time shrinking them.
        phases=[p for p in settings.default.phases if p.name != "shrink" or examples <= 1000],
    )
    @given(documents(schema, max_depth))
    def check(case: FuzzCase) -> None:
        asyncio.run_coroutine_threadsafe(run(case), loop).result()

    if seed is not None:
        from hypothesis import seed as hypothesis_seed

        check = hypothesis_seed(seed)(check)
    check()


async def run_fuzz(
    http: httpx.AsyncClient, examples: int, seed: int | None = None, max_depth: int = 3
) -> FuzzReport:
    """Fuzz the server behind `http`: Hypothesis in a worker thread, requests on this loop."""
    schema = await introspect(http)
    runner = FuzzRunner(http)
    loop = asyncio.get_running_loop()
    # Hypothesis runs in a worker thread; the requests it makes run here, on the server's loop.
    await asyncio.to_thread(fuzz, schema, runner.run, loop, examples=examples, seed=seed, max_depth=max_depth)
    return runner.report


def _check_loopback(url: str) -> None:
    host = urlparse(url).hostname or ""
    if not (host == "localhost" or host.startswith("127.") or host == "::1"):
        raise SystemExit(f"refusing to fuzz {host}: only loopback targets")


async def main(examples: int, seed: int | None, url: str | None, max_depth: int) -> int:
    started = time.perf_counter()
    if url is not None:
        _check_loopback(url)
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            report = await run_fuzz(http, examples, seed, max_depth)
    else:
        from reelgraph.app import create_app
        from reelgraph.config import Settings
        from reelgraph.persistence.migrate import upgrade_to_head

        with tempfile.TemporaryDirectory() as tmp:
            app_settings = Settings(
                database_url=f"sqlite+aiosqlite:///{tmp}/fuzz.db",
                jwt_secret="fuzz-secret-" + "x" * 40,
                recs_train_on_start=False,
                # One client sends everything: request limits would answer most cases RATE_LIMITED.
                rate_limit="1000000/minute",
                auth_rate_limit="1000000/minute",
            )
            await asyncio.to_thread(upgrade_to_head, app_settings.database_url)
            app = create_app(app_settings)
            async with app.router.lifespan_context(app):
                transport = httpx.ASGITransport(app=app, client=("10.77.0.1", 5555))
                async with httpx.AsyncClient(transport=transport, base_url="http://fuzz", timeout=60) as http:
                    report = await run_fuzz(http, examples, seed, max_depth)
    print(report.summary())
    print(f"elapsed {time.perf_counter() - started:.1f} s")
    for elapsed, query in sorted(report.slow, reverse=True)[:5]:
        print(f"slow: {elapsed:.1f} s  {query[:300]}")
    for failure in report.failures[:20]:
        print("FAILURE", failure)
    return 1 if report.failures else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: derandomized)")
    parser.add_argument("--url", default=None, help="a running server on loopback (default: in process)")
    parser.add_argument("--max-depth", type=int, default=3)
    arguments = parser.parse_args()
    raise SystemExit(
        asyncio.run(main(arguments.examples, arguments.seed, arguments.url, arguments.max_depth))
    )
