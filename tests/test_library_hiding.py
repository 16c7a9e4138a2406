"""Hiding over HTTP: every movie list drops the viewer's SEEN and NOT_INTERESTED movies unless
includeHidden is true, still fills `first` from further upstream, and pages on consistently."""

from __future__ import annotations

from typing import Any

import pytest
from strawberry.relay import GlobalID

from tests.helpers import GraphQLClient
from tests.library_fixtures import Member, member, rate, remove_kind, set_kind

MATRIX = 603
DE_NIRO = 380  # TMDb's id; 61 movies in the offline catalog
SCIENCE_FICTION = 878
EDGES = "edges { cursor node { tmdbId } } pageInfo { hasNextPage hasPreviousPage endCursor }"
TRENDING = f"""
query($first: Int, $after: String, $hidden: Boolean) {{
  trending(first: $first, after: $after, includeHidden: $hidden) {{ totalCount {EDGES} }}
}}
"""

# Each list, as (query, extra variables, path to the list): the queries take $first and $hidden.
LISTS: dict[str, tuple[str, dict[str, Any], tuple[str, ...]]] = {
    "trending": (TRENDING, {}, ("trending", "edges")),
    "trending-day": (
        f"query($first: Int, $hidden: Boolean) {{ trending(window: DAY, first: $first, includeHidden: $hidden) {{ {EDGES} }} }}",
        {},
        ("trending", "edges"),
    ),
    "movies-popular": (
        f"query($first: Int, $hidden: Boolean) {{ movies(list: POPULAR, first: $first, includeHidden: $hidden) {{ {EDGES} }} }}",
        {},
        ("movies", "edges"),
    ),
    "movies-top-rated": (
        f"query($first: Int, $hidden: Boolean) {{ movies(list: TOP_RATED, first: $first, includeHidden: $hidden) {{ {EDGES} }} }}",
        {},
        ("movies", "edges"),
    ),
    "discover": (
        f"""query($first: Int, $hidden: Boolean) {{
          discover(filter: {{genres: [{SCIENCE_FICTION}], yearFrom: 1990}}, sort: VOTE_AVERAGE_DESC,
                   first: $first, includeHidden: $hidden) {{ {EDGES} }} }}""",
        {},
        ("discover", "edges"),
    ),
    "genre-movies": (
        f"""query($id: ID!, $first: Int, $hidden: Boolean) {{ node(id: $id) {{
          ... on Genre {{ movies(first: $first, includeHidden: $hidden) {{ {EDGES} }} }} }} }}""",
        {"id": str(GlobalID("Genre", str(SCIENCE_FICTION)))},
        ("node", "movies", "edges"),
    ),
    "person-movies": (
        """query($id: Int!, $first: Int, $hidden: Boolean) {
          person(tmdbId: $id) { movies(first: $first, includeHidden: $hidden) { tmdbId } } }""",
        {"id": DE_NIRO},
        ("person", "movies"),
    ),
    "similar": (
        """query($id: Int!, $first: Int, $hidden: Boolean) {
          movie(tmdbId: $id) { similar(first: $first, includeHidden: $hidden) { tmdbId } } }""",
        {"id": MATRIX},
        ("movie", "similar"),
    ),
    "recommendations": (
        """query($id: Int!, $first: Int, $hidden: Boolean) {
          movie(tmdbId: $id) { recommendations(first: $first, includeHidden: $hidden) { tmdbId } } }""",
        {"id": MATRIX},
        ("movie", "recommendations"),
    ),
}


def ids_of(found: Any) -> list[int]:
    return [item.get("node", item)["tmdbId"] for item in found]


async def listed(
    gql: GraphQLClient, name: str, first: int, hidden: bool | None, token: str | None = None
) -> list[int]:
    query, extra, path = LISTS[name]
    variables = {**extra, "first": first}
    if hidden is not None:
        variables["hidden"] = hidden
    body = await gql(query, variables, token=token)
    assert "errors" not in body, body
    found: Any = body["data"]
    for key in path:
        found = found[key]
    return ids_of(found)


async def trending_page(
    gql: GraphQLClient, user: Member | None, first: int, after: str | None = None, hidden: bool = False
) -> dict[str, Any]:
    variables = {"first": first, "after": after, "hidden": hidden}
    body = await gql(TRENDING, variables, token=user.token if user else None)
    assert "errors" not in body, body
    return body["data"]["trending"]  # type: ignore[no-any-return]


def visible(ranked: list[int], hidden: set[int]) -> list[int]:
    return [movie for movie in ranked if movie not in hidden]


async def test_five_seen_trending_movies_are_replaced_by_the_next_ones(gql: GraphQLClient) -> None:
    user = await member(gql)
    upstream = await trending_page(gql, user, first=30)
    ranked = ids_of(upstream["edges"])
    assert len(ranked) == 30
    hidden = {ranked[i] for i in (0, 4, 9, 15, 19)}
    for movie in hidden:
        assert (await set_kind(gql, user, movie, "SEEN"))["errors"] == []

    page = await trending_page(gql, user, first=20)
    shown = ids_of(page["edges"])
    assert len(shown) == 20
    assert not hidden & set(shown)
    assert shown == visible(ranked, hidden)[:20]  # the same order, refilled from further down
    assert page["totalCount"] == upstream["totalCount"]  # the upstream total, before filtering
    assert page["pageInfo"]["hasNextPage"] is True

    assert ids_of((await trending_page(gql, user, first=20, hidden=True))["edges"]) == ranked[:20]
    # Hiding is the viewer's own: anonymous callers and other users see the full list.
    assert ids_of((await trending_page(gql, None, first=20))["edges"]) == ranked[:20]
    assert ids_of((await trending_page(gql, await member(gql), first=20))["edges"]) == ranked[:20]


async def test_what_hides_and_what_does_not(gql: GraphQLClient) -> None:
    user = await member(gql)
    ranked = await listed(gql, "trending", 30, True, user.token)
    seen, not_interested, rated, liked, later, favorite = ranked[1:7]
    await set_kind(gql, user, seen, "SEEN")
    await set_kind(gql, user, not_interested, "NOT_INTERESTED")
    await rate(gql, user, rated, 3.0)  # rating marks SEEN
    await set_kind(gql, user, liked, "LIKED")
    await set_kind(gql, user, later, "WATCH_LATER")
    await set_kind(gql, user, favorite, "FAVORITE")
    hidden = {seen, not_interested, rated}
    assert await listed(gql, "trending", 20, None, user.token) == visible(ranked, hidden)[:20]
    # Removing SEEN or NOT_INTERESTED brings a movie back, in its place.
    await remove_kind(gql, user, seen, "SEEN")
    await remove_kind(gql, user, not_interested, "NOT_INTERESTED")
    assert await listed(gql, "trending", 20, None, user.token) == visible(ranked, {rated})[:20]


@pytest.mark.parametrize("name", [name for name in LISTS if name != "trending"])
async def test_every_movie_list_hides_seen_and_not_interested(gql: GraphQLClient, name: str) -> None:
    user = await member(gql)
    ranked = await listed(gql, name, 15, True, user.token)
    assert len(ranked) == 15, ranked
    hidden = {ranked[0], ranked[3], ranked[7]}
    for movie, kind in zip(sorted(hidden), ("SEEN", "NOT_INTERESTED", "SEEN"), strict=True):
        assert (await set_kind(gql, user, movie, kind))["errors"] == []
    shown = await listed(gql, name, 10, None, user.token)
    assert shown == visible(ranked, hidden)[:10]  # `first` visible movies, in upstream order
    assert await listed(gql, name, 10, False, user.token) == shown
    assert await listed(gql, name, 10, True, user.token) == ranked[:10]
    assert await listed(gql, name, 10, None) == ranked[:10]  # anonymous


async def test_search_hides_seen_and_not_interested_movies_but_keeps_people(gql: GraphQLClient) -> None:
    query = """query($q: String!, $first: Int, $after: String) {
      search(query: $q, first: $first, after: $after) {
        edges { cursor node { __typename ... on Movie { tmdbId } ... on Person { tmdbId } } }
        pageInfo { hasNextPage endCursor }
      } }"""

    async def results(q: str, token: str, first: int = 20) -> list[tuple[str, int]]:
        body = await gql(query, {"q": q, "first": first}, token=token)
        assert "errors" not in body, body
        return [(e["node"]["__typename"], e["node"]["tmdbId"]) for e in body["data"]["search"]["edges"]]

    user = await member(gql)
    batman = await results("Batman", user.token)
    assert len(batman) == 20 and {kind for kind, _ in batman} == {"Movie"}
    matrix = await results("Matrix", user.token)
    keanu = await results("Keanu", user.token)
    assert ("Person", 6384) in keanu and any(kind == "Movie" for kind, _ in keanu)
    hidden = {batman[2][1], batman[5][1], MATRIX, *(movie for kind, movie in keanu if kind == "Movie")}
    await set_kind(gql, user, batman[2][1], "SEEN")
    await set_kind(gql, user, batman[5][1], "NOT_INTERESTED")
    await set_kind(gql, user, MATRIX, "SEEN")
    for kind, movie in keanu:
        if kind == "Movie":
            await set_kind(gql, user, movie, "NOT_INTERESTED")
    assert await results("Batman", user.token, first=18) == [r for r in batman if r[1] not in hidden][:18]
    assert await results("Matrix", user.token) == [r for r in matrix if r[1] != MATRIX]
    assert await results("Keanu", user.token) == [r for r in keanu if r[0] == "Person"]  # people stay
    stranger = await member(gql)
    assert await results("Matrix", stranger.token) == matrix


async def test_pages_continue_without_repeats_or_hidden_movies(gql: GraphQLClient) -> None:
    user = await member(gql)
    ranked = ids_of((await trending_page(gql, user, first=40, hidden=True))["edges"])
    # Hidden movies on both sides of the first page boundary and further down.
    hidden = {ranked[i] for i in (2, 4, 5, 6, 7, 13, 21)}
    for movie in hidden:
        await set_kind(gql, user, movie, "NOT_INTERESTED" if movie % 2 else "SEEN")
    expected = visible(ranked, hidden)

    collected: list[int] = []
    after = None
    for number in range(5):
        page = await trending_page(gql, user, first=5, after=after)
        assert len(page["edges"]) == 5
        assert page["pageInfo"]["hasPreviousPage"] is (number > 0)
        assert page["pageInfo"]["hasNextPage"] is True
        collected += ids_of(page["edges"])
        after = page["pageInfo"]["endCursor"]
    assert collected == expected[:25]  # in order, no repeats, nothing hidden

    # Any edge's cursor continues right after that edge.
    first_page = await trending_page(gql, user, first=5)
    middle = first_page["edges"][2]["cursor"]
    assert ids_of((await trending_page(gql, user, first=6, after=middle))["edges"]) == expected[3:9]

    # Hiding a movie of the next page between two requests: page 2 skips it and still fills up;
    # hiding one already shown on page 1 does not shift page 2.
    await set_kind(gql, user, expected[6], "SEEN")
    await set_kind(gql, user, expected[1], "NOT_INTERESTED")
    second = await trending_page(gql, user, first=5, after=first_page["pageInfo"]["endCursor"])
    assert ids_of(second["edges"]) == [expected[5], *expected[7:11]]


async def test_a_viewer_with_many_hidden_movies_still_gets_full_pages(gql: GraphQLClient) -> None:
    user = await member(gql)
    ranked = await listed(gql, "trending", 60, True, user.token)
    hidden = set(ranked[:35])
    for movie in hidden:
        await set_kind(gql, user, movie, "SEEN")
    assert await listed(gql, "trending", 20, None, user.token) == ranked[35:55]
