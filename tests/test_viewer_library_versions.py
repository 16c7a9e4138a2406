"""A signed-in viewer's library is read once per library version and kept between requests; the
version moves with every write to their interactions and ratings, whoever writes them (another
replica, a job, a cascade), so what a viewer sees is never older than what they did."""

from __future__ import annotations

import sqlalchemy as sa
from starlette.applications import Starlette

from reelgraph.persistence.models import InteractionRow, RatingRow, UserRow
from tests.helpers import GraphQLClient
from tests.library_fixtures import Member, member, rate, set_kind

PAGE = "query { trending(first: 20) { nodes { tmdbId viewerInteractions viewerRating } } }"
ALL = "query { trending(first: 40, includeHidden: true) { nodes { tmdbId } } }"


async def page(gql: GraphQLClient, viewer: Member) -> dict[int, dict[str, object]]:
    body = await gql(PAGE, token=viewer.token)
    assert "errors" not in body, body
    return {node["tmdbId"]: node for node in body["data"]["trending"]["nodes"]}


async def version_of(app: Starlette, user_pk: int) -> int:
    async with app.state.services.sessions() as session:
        found = await session.execute(sa.select(UserRow.library_version).where(UserRow.id == user_pk))
        return int(found.scalar_one())


async def write(app: Starlette, *statements: sa.Executable) -> None:
    """Writes that bypass this process's services, as another replica or a worker's job would."""
    async with app.state.services.sessions() as session, session.begin():
        for statement in statements:
            await session.execute(statement)


async def test_a_write_from_elsewhere_is_seen_by_the_next_request(gql: GraphQLClient, app: Starlette) -> None:
    viewer = await member(gql, name="Versions")
    top = [node["tmdbId"] for node in (await gql(ALL, token=viewer.token))["data"]["trending"]["nodes"]]
    for movie in top[:2]:  # the library is not empty (it is kept), and both movies exist as rows
        await set_kind(gql, viewer, movie, "LIKED")
    first = await page(gql, viewer)
    assert first[top[0]]["viewerInteractions"] == first[top[1]]["viewerInteractions"] == ["LIKED"]

    # Marked SEEN elsewhere: hidden from the very next page, though a library was kept.
    before = await version_of(app, viewer.pk)
    await write(app, sa.insert(InteractionRow).values(user_id=viewer.pk, movie_id=top[1], kind="SEEN"))
    assert await version_of(app, viewer.pk) > before
    assert top[1] not in await page(gql, viewer)

    # Un-marked elsewhere: back on the list.
    await write(
        app,
        sa.delete(InteractionRow).where(
            InteractionRow.user_id == viewer.pk, InteractionRow.movie_id == top[1]
        ),
    )
    assert top[1] in await page(gql, viewer)

    # A rating changed elsewhere: the next request shows the new value.
    await rate(gql, viewer, top[0], 3.0)  # rating marks it SEEN: asked for with includeHidden below
    await write(
        app,
        sa.update(RatingRow)
        .where(RatingRow.user_id == viewer.pk, RatingRow.movie_id == top[0])
        .values(value=4.5),
    )
    state = await gql(
        "query($m: Int!) { movie(tmdbId: $m) { viewerRating viewerInteractions } }",
        {"m": top[0]},
        token=viewer.token,
    )
    assert state["data"]["movie"] == {"viewerRating": 4.5, "viewerInteractions": ["LIKED", "SEEN"]}


async def test_a_write_by_one_viewer_moves_only_their_version(gql: GraphQLClient, app: Starlette) -> None:
    one, other = await member(gql, name="One"), await member(gql, name="Other")
    top = [node["tmdbId"] for node in (await gql(ALL, token=one.token))["data"]["trending"]["nodes"]]
    others_before = await version_of(app, other.pk)
    ones_before = await version_of(app, one.pk)
    await set_kind(gql, one, top[2], "NOT_INTERESTED")
    await rate(gql, one, top[3], 2.5)
    assert await version_of(app, one.pk) > ones_before
    assert await version_of(app, other.pk) == others_before
    seen_by_one, seen_by_other = await page(gql, one), await page(gql, other)
    assert top[2] not in seen_by_one and top[3] not in seen_by_one
    assert top[2] in seen_by_other and top[3] in seen_by_other


async def test_a_kept_library_is_read_again_after_the_viewers_own_write(
    gql: GraphQLClient, app: Starlette
) -> None:
    viewer = await member(gql, name="Again")
    top = [node["tmdbId"] for node in (await gql(ALL, token=viewer.token))["data"]["trending"]["nodes"]]
    await set_kind(gql, viewer, top[4], "WATCH_LATER")
    assert (await page(gql, viewer))[top[4]]["viewerInteractions"] == ["WATCH_LATER"]
    # The mutation's own answer and every later request reflect the change.
    answer = await set_kind(gql, viewer, top[4], "SEEN")
    assert answer["movie"]["viewerInteractions"] == ["SEEN"]  # SEEN replaces WATCH_LATER
    assert top[4] not in await page(gql, viewer)
