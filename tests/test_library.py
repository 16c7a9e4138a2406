"""The viewer's library over HTTP: interactions and their rules, ratings, reviews, watch history,
preferences, stats, viewer fields on Movie, permissions, bad input and account deletion.

Hiding in movie lists is in test_library_hiding.py, concurrent writes in test_library_concurrency.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from starlette.applications import Starlette
from strawberry.relay import GlobalID

from reelgraph.persistence.models import (
    InteractionRow,
    MovieGenreRow,
    MovieRow,
    RatingRow,
    ReviewRow,
    WatchEventRow,
)
from tests.helpers import GraphQLClient, error_codes
from tests.library_fixtures import (
    RATE,
    REMOVE,
    SET,
    UNKNOWN_MOVIE,
    UNRATE,
    Member,
    interaction_rows,
    member,
    promoted,
    rate,
    rating_rows,
    remove_kind,
    rows_of_user,
    set_kind,
    viewer_state,
)

MATRIX, RELOADED, REVOLUTIONS, INCEPTION, INTERSTELLAR = 603, 604, 605, 27205, 157336
# Offline-catalog movies no other test file touches (per-movie aggregates and the mirror).
GOOD_GERMAN = 182  # six genres, not in id order
REVIEWED = 8198  # The Quiet American
AVERAGED = 9271  # Virtuosity
ANONYMOUSLY_VIEWED = 9288
DELETED_USERS_MOVIE = 9729
STATS_MOVIES = {"seen": 327, "liked": 2084, "rated_well": 8197, "rated_badly": 9566, "later": 2621}
STATS_NOT_INTERESTED = 9583

MOVIE_FACTS = "query($movie: Int!) { movie(tmdbId: $movie) { runtime genres { tmdbId } } }"
REVIEW_FIELDS = "id body rating createdAt updatedAt movie { tmdbId } author { id name }"
CREATE_REVIEW = f"""
mutation($movie: Int!, $body: String!, $rating: Float) {{
  createReview(movieId: $movie, body: $body, rating: $rating) {{
    review {{ {REVIEW_FIELDS} }} errors {{ field code }}
  }}
}}
"""
UPDATE_REVIEW = f"""
mutation($id: ID!, $body: String, $rating: Float) {{
  updateReview(id: $id, body: $body, rating: $rating) {{ review {{ {REVIEW_FIELDS} }} errors {{ field code }} }}
}}
"""
DELETE_REVIEW = "mutation($id: ID!) { deleteReview(id: $id) { ok errors { field code } } }"
MOVIE_REVIEWS = """
query($movie: Int!, $first: Int, $after: String) {
  movie(tmdbId: $movie) {
    averageUserRating
    reviews(first: $first, after: $after) {
      totalCount
      edges { cursor node { id body author { id } } }
      pageInfo { hasNextPage hasPreviousPage endCursor }
    }
  }
}
"""
TRACK = "mutation($movie: Int!) { trackView(movieId: $movie) { ok errors { field code } } }"
HISTORY = """
query($first: Int, $after: String) {
  viewer { watchHistory(first: $first, after: $after) {
    totalCount nodes { watchedAt movie { tmdbId } } pageInfo { hasNextPage endCursor }
  } }
}
"""
PREFERENCES_FIELDS = """
favoriteGenres { tmdbId name } dislikedGenres { tmdbId name }
favoritePeople { tmdbId name } favoriteMovies { tmdbId title }
"""
UPDATE_PREFERENCES = f"""
mutation($input: PreferencesInput!) {{
  updatePreferences(input: $input) {{ preferences {{ {PREFERENCES_FIELDS} }} errors {{ field code }} }}
}}
"""
VIEWER_PREFERENCES = f"{{ viewer {{ preferences {{ {PREFERENCES_FIELDS} }} }} }}"
STATS = """
{ viewer { stats {
  seenCount watchLaterCount ratingsCount averageRating minutesWatched
  topGenres { tmdbId } top3: topGenres(first: 3) { tmdbId }
} } }
"""
INTERACTIONS = """
query($kind: InteractionKind, $first: Int, $after: String) {
  viewer { interactions(kind: $kind, first: $first, after: $after) {
    totalCount edges { cursor node { id kind movie { tmdbId } } } pageInfo { hasNextPage endCursor }
  } }
}
"""
RATINGS = """
query($first: Int, $after: String) {
  viewer { ratings(first: $first, after: $after) {
    totalCount nodes { value movie { tmdbId } } pageInfo { hasNextPage endCursor }
  } }
}
"""
KEANU = 6384  # TMDb's id, offline as online
SCIENCE_FICTION, ACTION, HORROR = 878, 28, 27


def review_id(pk: int) -> str:
    return str(GlobalID("Review", str(pk)))


def pk_of(global_id: str) -> int:
    return int(GlobalID.from_id(global_id).node_id)


# -- interactions ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("steps", "final"),
    [
        pytest.param([("WATCH_LATER", None), ("SEEN", None)], ["SEEN"], id="seen-removes-watch-later"),
        pytest.param(
            [("SEEN", None), ("WATCH_LATER", "ALREADY_SEEN")], ["SEEN"], id="watch-later-refused-when-seen"
        ),
        pytest.param(
            [("LIKED", None), ("FAVORITE", None), ("WATCH_LATER", None), ("NOT_INTERESTED", None)],
            ["NOT_INTERESTED"],
            id="not-interested-removes-liked-favorite-watch-later",
        ),
        pytest.param(
            [("NOT_INTERESTED", None), ("LIKED", None)], ["LIKED"], id="liked-removes-not-interested"
        ),
        pytest.param(
            [("NOT_INTERESTED", None), ("FAVORITE", None)], ["FAVORITE"], id="favorite-removes-not-interested"
        ),
        pytest.param(
            [("NOT_INTERESTED", None), ("WATCH_LATER", None)],
            ["WATCH_LATER"],
            id="watch-later-removes-not-interested",
        ),
        pytest.param([("SEEN", None), ("NOT_INTERESTED", None)], ["NOT_INTERESTED", "SEEN"], id="seen-stays"),
        pytest.param(
            [("LIKED", None), ("FAVORITE", None), ("SEEN", None)],
            ["FAVORITE", "LIKED", "SEEN"],
            id="compatible-kinds-accumulate",
        ),
    ],
)
async def test_interaction_rules(
    gql: GraphQLClient, app: Starlette, steps: list[tuple[str, str | None]], final: list[str]
) -> None:
    user = await member(gql)
    for kind, refusal in steps:
        before = await viewer_state(gql, user, MATRIX)
        payload = await set_kind(gql, user, MATRIX, kind)
        if refusal:
            assert payload == {
                "interaction": None,
                "movie": None,
                "errors": [{"field": ["kind"], "message": payload["errors"][0]["message"], "code": refusal}],
            }
            assert await viewer_state(gql, user, MATRIX) == before  # nothing written
        else:
            assert payload["errors"] == []
            assert payload["interaction"]["kind"] == kind
            assert payload["interaction"]["movie"] == {"tmdbId": MATRIX}
            assert kind in payload["movie"]["viewerInteractions"]
    assert await viewer_state(gql, user, MATRIX) == (final, None)
    assert await interaction_rows(app, user.pk, MATRIX) == final  # one row per kind


async def test_setting_an_existing_interaction_is_a_no_op_that_returns_it(
    gql: GraphQLClient, app: Starlette
) -> None:
    user = await member(gql)
    first = await set_kind(gql, user, INCEPTION, "LIKED")
    again = await set_kind(gql, user, INCEPTION, "LIKED")
    assert again["errors"] == []
    assert again["interaction"] == first["interaction"]  # same id, same createdAt
    assert again["movie"]["viewerInteractions"] == ["LIKED"]
    assert await interaction_rows(app, user.pk, INCEPTION) == ["LIKED"]
    listed = (await gql(INTERACTIONS, {}, token=user.token))["data"]["viewer"]["interactions"]
    assert listed["totalCount"] == 1
    assert listed["edges"][0]["node"]["id"] == first["interaction"]["id"]
    # The Interaction node resolves for its owner only.
    node = "query($id: ID!) { node(id: $id) { ... on Interaction { kind movie { tmdbId } } } }"
    interaction_id = first["interaction"]["id"]
    owned = await gql(node, {"id": interaction_id}, token=user.token)
    assert owned["data"]["node"] == {"kind": "LIKED", "movie": {"tmdbId": INCEPTION}}
    stranger = await member(gql)
    assert (await gql(node, {"id": interaction_id}, token=stranger.token))["data"]["node"] is None
    assert (await gql(node, {"id": interaction_id}))["data"]["node"] is None


async def test_remove_interaction(gql: GraphQLClient, app: Starlette) -> None:
    user = await member(gql)
    await set_kind(gql, user, INTERSTELLAR, "SEEN")
    await set_kind(gql, user, INTERSTELLAR, "LIKED")
    removed = await remove_kind(gql, user, INTERSTELLAR, "LIKED")
    assert removed == {
        "interaction": None,
        "movie": {"tmdbId": INTERSTELLAR, "viewerInteractions": ["SEEN"], "viewerRating": None},
        "errors": [],
    }
    # Removing what is not there is a no-op, on a touched movie and on a known, untouched one.
    assert (await remove_kind(gql, user, INTERSTELLAR, "FAVORITE"))["movie"]["viewerInteractions"] == ["SEEN"]
    untouched = await remove_kind(gql, user, REVOLUTIONS, "SEEN")
    assert untouched["errors"] == [] and untouched["movie"]["viewerInteractions"] == []
    assert await interaction_rows(app, user.pk, INTERSTELLAR) == ["SEEN"]
    # After removing SEEN, WATCH_LATER is allowed again.
    await remove_kind(gql, user, INTERSTELLAR, "SEEN")
    later = await set_kind(gql, user, INTERSTELLAR, "WATCH_LATER")
    assert later["errors"] == [] and later["movie"]["viewerInteractions"] == ["WATCH_LATER"]


async def test_first_touch_mirrors_the_movie_with_its_genres_in_order(
    gql: GraphQLClient, app: Starlette
) -> None:
    facts = (await gql(MOVIE_FACTS, {"movie": GOOD_GERMAN}))["data"]["movie"]
    genre_order = [g["tmdbId"] for g in facts["genres"]]
    assert len(genre_order) >= 3 and genre_order != sorted(genre_order)
    # Reading the movie cached its details; drop the catalog's own mirror row (once written: the
    # mirror is written behind the read) so that only the library can write it back.
    await app.state.services.reader.mirror.flush()
    async with app.state.services.sessions.begin() as session:
        assert (
            await session.execute(select(func.count()).where(InteractionRow.movie_id == GOOD_GERMAN))
        ).scalar_one() == 0
        await session.execute(delete(MovieRow).where(MovieRow.tmdb_id == GOOD_GERMAN))
    user = await member(gql)
    assert (await set_kind(gql, user, GOOD_GERMAN, "WATCH_LATER"))["errors"] == []
    async with app.state.services.sessions() as session:
        row = await session.get(MovieRow, GOOD_GERMAN)
        genres = await session.execute(
            select(MovieGenreRow.genre_id, MovieGenreRow.position)
            .where(MovieGenreRow.movie_id == GOOD_GERMAN)
            .order_by(MovieGenreRow.position)
        )
        mirrored = list(genres)
    assert row is not None and row.title == "The Good German" and row.runtime == facts["runtime"]
    assert [genre for genre, _ in mirrored] == genre_order
    assert [position for _, position in mirrored] == list(range(len(genre_order)))


# -- ratings ---------------------------------------------------------------------------------------


async def test_rating_validates_updates_in_place_and_marks_seen(gql: GraphQLClient, app: Starlette) -> None:
    user = await member(gql)
    await set_kind(gql, user, RELOADED, "WATCH_LATER")
    for bad in (0, 0.25, 0.7, 3.25, 5.5, -1, 10, 1e9):
        refused = await rate(gql, user, RELOADED, bad)
        assert refused["rating"] is None
        assert [(e["code"], e["field"]) for e in refused["errors"]] == [("INVALID_RATING", ["value"])], bad
    assert await viewer_state(gql, user, RELOADED) == (["WATCH_LATER"], None)  # nothing written
    assert await rating_rows(app, user.pk, RELOADED) == []

    rated = await rate(gql, user, RELOADED, 3.5)
    assert rated["errors"] == []
    assert rated["rating"]["value"] == 3.5 and rated["rating"]["movie"] == {"tmdbId": RELOADED}
    # Rating means having seen it, and SEEN removes WATCH_LATER.
    assert await viewer_state(gql, user, RELOADED) == (["SEEN"], 3.5)
    for value in (0.5, 5.0, 2.5):
        assert (await rate(gql, user, RELOADED, value))["rating"]["value"] == value
    assert await rating_rows(app, user.pk, RELOADED) == [2.5]  # updated in place: one row
    assert await interaction_rows(app, user.pk, RELOADED) == ["SEEN"]
    ratings = (await gql(RATINGS, {}, token=user.token))["data"]["viewer"]["ratings"]
    assert ratings["totalCount"] == 1 and ratings["nodes"] == [{"value": 2.5, "movie": {"tmdbId": RELOADED}}]

    removed = await gql(UNRATE, {"movie": RELOADED}, token=user.token)
    assert removed["data"]["removeRating"] == {"ok": True, "errors": []}
    assert await viewer_state(gql, user, RELOADED) == (["SEEN"], None)
    assert await rating_rows(app, user.pk, RELOADED) == []
    again = await gql(UNRATE, {"movie": RELOADED}, token=user.token)
    assert again["data"]["removeRating"] == {
        "ok": False,
        "errors": [{"field": ["movieId"], "code": "RATING_NOT_FOUND"}],
    }


async def test_average_user_rating(gql: GraphQLClient) -> None:
    # Anonymous responses are cached whole for a few seconds, so each anonymous read below is a
    # document of its own (an operation name no other read uses).
    query = "query {name}($movie: Int!) {{ movie(tmdbId: $movie) {{ averageUserRating viewerRating }} }}"
    users = [await member(gql, name=f"Rater {i}") for i in range(3)]
    unrated = (await gql(query.format(name="Unrated"), {"movie": AVERAGED}))["data"]["movie"]
    assert unrated == {"averageUserRating": None, "viewerRating": None}
    for user, value in zip(users, (4.0, 3.5, 2.0), strict=True):
        assert (await rate(gql, user, AVERAGED, value))["errors"] == []
    mine = (await gql(query.format(name="Mine"), {"movie": AVERAGED}, token=users[0].token))["data"]["movie"]
    assert mine == {"averageUserRating": 3.17, "viewerRating": 4.0}
    anonymous = (await gql(query.format(name="Rated"), {"movie": AVERAGED}))["data"]["movie"]
    assert anonymous == {"averageUserRating": 3.17, "viewerRating": None}
    await gql(UNRATE, {"movie": AVERAGED}, token=users[2].token)
    await rate(gql, users[1], AVERAGED, 5.0)
    after = (await gql(query.format(name="After"), {"movie": AVERAGED}, token=users[2].token))["data"][
        "movie"
    ]
    assert after == {"averageUserRating": 4.5, "viewerRating": None}


# -- reviews ---------------------------------------------------------------------------------------


async def create_review(
    gql: GraphQLClient, user: Member, body: str, rating: float | None = None, movie: int = REVIEWED
) -> dict[str, Any]:
    found = await gql(CREATE_REVIEW, {"movie": movie, "body": body, "rating": rating}, token=user.token)
    assert "errors" not in found, found
    return found["data"]["createReview"]  # type: ignore[no-any-return]


async def movie_reviews(
    gql: GraphQLClient, reader: Member, first: int, after: str | None = None
) -> dict[str, Any]:
    # Read signed in: anonymous responses are cached whole for a few seconds.
    body = await gql(MOVIE_REVIEWS, {"movie": REVIEWED, "first": first, "after": after}, token=reader.token)
    assert "errors" not in body, body
    return body["data"]["movie"]["reviews"]  # type: ignore[no-any-return]


async def test_reviews_one_per_user_newest_first_author_edits_staff_deletes(
    gql: GraphQLClient, app: Starlette
) -> None:
    ann, bob, cat = [await member(gql, name=n) for n in ("Ann", "Bob", "Cat")]
    created = await create_review(gql, ann, "  Quietly great.  ", 4.5)
    review = created["review"]
    assert created["errors"] == []
    assert review["body"] == "Quietly great." and review["rating"] == 4.5
    assert review["movie"] == {"tmdbId": REVIEWED}
    assert review["author"] == {"id": ann.id, "name": "Ann"}
    duplicate = await create_review(gql, ann, "Second thoughts")
    assert duplicate == {"review": None, "errors": [{"field": ["movieId"], "code": "REVIEW_EXISTS"}]}
    bobs = (await create_review(gql, bob, "Slow."))["review"]
    cats = (await create_review(gql, cat, "Fine.", 3.0))["review"]

    page = await movie_reviews(gql, cat, first=2)
    assert page["totalCount"] == 3
    assert [e["node"]["id"] for e in page["edges"]] == [cats["id"], bobs["id"]]  # newest first
    assert page["pageInfo"]["hasNextPage"] is True and page["pageInfo"]["hasPreviousPage"] is False
    rest = await movie_reviews(gql, cat, first=2, after=page["pageInfo"]["endCursor"])
    assert [e["node"]["id"] for e in rest["edges"]] == [review["id"]]
    assert rest["pageInfo"]["hasNextPage"] is False and rest["pageInfo"]["hasPreviousPage"] is True
    middle = await movie_reviews(gql, cat, first=5, after=page["edges"][0]["cursor"])
    assert [e["node"]["id"] for e in middle["edges"]] == [bobs["id"], review["id"]]
    public = "query($id: ID!) { node(id: $id) { ... on User { reviews { totalCount nodes { body } } } } }"
    assert (await gql(public, {"id": ann.id}))["data"]["node"]["reviews"] == {
        "totalCount": 1,
        "nodes": [{"body": "Quietly great."}],
    }

    # Only the author edits; a partial edit keeps the other field.
    edited = (await gql(UPDATE_REVIEW, {"id": review["id"], "body": " Great. "}, token=ann.token))["data"][
        "updateReview"
    ]
    assert edited["errors"] == []
    assert edited["review"]["body"] == "Great." and edited["review"]["rating"] == 4.5
    assert datetime.fromisoformat(edited["review"]["updatedAt"]) > datetime.fromisoformat(review["updatedAt"])
    rerated = (await gql(UPDATE_REVIEW, {"id": review["id"], "rating": 2.0}, token=ann.token))["data"]
    assert rerated["updateReview"]["review"]["body"] == "Great."
    assert rerated["updateReview"]["review"]["rating"] == 2.0
    hijack = await gql(UPDATE_REVIEW, {"id": review["id"], "body": "Mine now"}, token=bob.token)
    assert error_codes(hijack) == ["FORBIDDEN"] and hijack["data"] is None
    moderator = await promoted(gql, app, "MODERATOR", name="Mod")
    admin = await promoted(gql, app, "ADMIN", name="Admin")
    for staff in (moderator, admin):
        assert error_codes(
            await gql(UPDATE_REVIEW, {"id": review["id"], "body": "x"}, token=staff.token)
        ) == ["FORBIDDEN"]
    # Users delete only their own reviews; moderators and admins delete anyone's.
    assert error_codes(await gql(DELETE_REVIEW, {"id": review["id"]}, token=bob.token)) == ["FORBIDDEN"]
    current = (await movie_reviews(gql, cat, first=10))["edges"]
    assert [e["node"]["body"] for e in current] == ["Fine.", "Slow.", "Great."]
    for staff, target in ((moderator, bobs), (admin, cats), (ann, review)):
        deleted = await gql(DELETE_REVIEW, {"id": target["id"]}, token=staff.token)
        assert deleted["data"]["deleteReview"] == {"ok": True, "errors": []}
    assert (await movie_reviews(gql, cat, first=10))["totalCount"] == 0
    gone = await gql(DELETE_REVIEW, {"id": review["id"]}, token=ann.token)
    assert gone["data"]["deleteReview"] == {
        "ok": False,
        "errors": [{"field": ["id"], "code": "REVIEW_NOT_FOUND"}],
    }
    # The uniqueness is per existing review: Ann may write a new one.
    assert (await create_review(gql, ann, "Back again."))["errors"] == []


async def test_review_input_is_validated_and_nothing_is_written(gql: GraphQLClient, app: Starlette) -> None:
    user = await member(gql)
    for body, rating, problems in (
        ("   ", None, [(["body"], "EMPTY_REVIEW")]),
        ("x" * 10_001, None, [(["body"], "REVIEW_TOO_LONG")]),
        ("Fine", 5.5, [(["rating"], "INVALID_RATING")]),
        ("", 0.2, [(["body"], "EMPTY_REVIEW"), (["rating"], "INVALID_RATING")]),
    ):
        payload = await create_review(gql, user, body, rating, movie=INCEPTION)
        assert payload["review"] is None
        assert [(e["field"], e["code"]) for e in payload["errors"]] == problems
    assert (await rows_of_user(app, user.pk))["reviews"] == 0
    review = (await create_review(gql, user, "Dreamy", movie=INCEPTION))["review"]
    bad_edit = await gql(UPDATE_REVIEW, {"id": review["id"], "body": " ", "rating": 9.0}, token=user.token)
    assert [e["code"] for e in bad_edit["data"]["updateReview"]["errors"]] == [
        "EMPTY_REVIEW",
        "INVALID_RATING",
    ]
    async with app.state.services.sessions() as session:
        stored = await session.get(ReviewRow, pk_of(review["id"]))
    assert stored is not None and stored.body == "Dreamy" and stored.rating is None


async def test_bad_review_ids(gql: GraphQLClient) -> None:
    user = await member(gql)
    for bad in ("garbage", str(GlobalID("Movie", "603")), str(GlobalID("Review", "abc")), ""):
        for query, variables in ((UPDATE_REVIEW, {"id": bad, "body": "x"}), (DELETE_REVIEW, {"id": bad})):
            found = await gql(query, variables, token=user.token)
            assert error_codes(found) == ["BAD_USER_INPUT"], (bad, found)
            assert found["data"] is None
    missing = review_id(987_654_321)
    updated = (await gql(UPDATE_REVIEW, {"id": missing, "body": "x"}, token=user.token))["data"][
        "updateReview"
    ]
    assert updated == {"review": None, "errors": [{"field": ["id"], "code": "REVIEW_NOT_FOUND"}]}


# -- watch history ---------------------------------------------------------------------------------


async def anonymous_views(app: Starlette, movie: int) -> int:
    async with app.state.services.sessions() as session:
        query = select(func.count()).where(WatchEventRow.movie_id == movie, WatchEventRow.user_id.is_(None))
        return (await session.execute(query)).scalar_one()  # type: ignore[no-any-return]


async def test_track_view_feeds_the_history_once_per_half_hour(
    gql: GraphQLClient, app: Starlette, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = await member(gql)
    for movie in (MATRIX, MATRIX, INCEPTION, MATRIX):
        tracked = await gql(TRACK, {"movie": movie}, token=user.token)
        assert tracked["data"]["trackView"] == {"ok": True, "errors": []}
    history = (await gql(HISTORY, {}, token=user.token))["data"]["viewer"]["watchHistory"]
    assert history["totalCount"] == 2  # the repeated Matrix views within 30 minutes count once
    assert [n["movie"]["tmdbId"] for n in history["nodes"]] == [INCEPTION, MATRIX]  # newest first
    # Views are not interactions: nothing is marked SEEN.
    assert await viewer_state(gql, user, MATRIX) == ([], None)

    # 31 minutes later the same movie counts again.
    later = datetime.now(UTC) + timedelta(minutes=31)
    monkeypatch.setattr("reelgraph.services.library._now", lambda: later)
    await gql(TRACK, {"movie": MATRIX}, token=user.token)
    await gql(TRACK, {"movie": MATRIX}, token=user.token)
    page = (await gql(HISTORY, {"first": 2}, token=user.token))["data"]["viewer"]["watchHistory"]
    assert page["totalCount"] == 3
    assert [n["movie"]["tmdbId"] for n in page["nodes"]] == [MATRIX, INCEPTION]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = (await gql(HISTORY, {"first": 2, "after": page["pageInfo"]["endCursor"]}, token=user.token))[
        "data"
    ]
    assert [n["movie"]["tmdbId"] for n in rest["viewer"]["watchHistory"]["nodes"]] == [MATRIX]


async def test_anonymous_views_are_recorded_once_per_address(gql: GraphQLClient, app: Starlette) -> None:
    before = await anonymous_views(app, ANONYMOUSLY_VIEWED)
    for _ in range(3):
        assert (await gql(TRACK, {"movie": ANONYMOUSLY_VIEWED}))["data"]["trackView"] == {
            "ok": True,
            "errors": [],
        }
    assert await anonymous_views(app, ANONYMOUSLY_VIEWED) == before + 1
    transport = httpx.ASGITransport(app=app, client=("10.1.2.3", 40100))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        other = GraphQLClient(http)
        await other(TRACK, {"movie": ANONYMOUSLY_VIEWED})
        await other(TRACK, {"movie": ANONYMOUSLY_VIEWED})
    assert await anonymous_views(app, ANONYMOUSLY_VIEWED) == before + 2
    async with app.state.services.sessions() as session:
        keys = (
            await session.execute(
                select(WatchEventRow.anonymous_key).where(WatchEventRow.movie_id == ANONYMOUSLY_VIEWED)
            )
        ).scalars()
        assert all(key and "10.1.2.3" not in key and "127.0.0.1" not in key for key in keys)


# -- preferences -----------------------------------------------------------------------------------


async def test_preferences_replace_lists_and_refuse_unknown_ids_atomically(gql: GraphQLClient) -> None:
    user = await member(gql)
    empty = (await gql(VIEWER_PREFERENCES, token=user.token))["data"]["viewer"]["preferences"]
    assert empty == {"favoriteGenres": [], "dislikedGenres": [], "favoritePeople": [], "favoriteMovies": []}
    wanted = {
        "favoriteGenres": [SCIENCE_FICTION, ACTION],
        "dislikedGenres": [HORROR],
        "favoritePeople": [KEANU],
        "favoriteMovies": [INCEPTION, MATRIX],
    }
    saved = (await gql(UPDATE_PREFERENCES, {"input": wanted}, token=user.token))["data"]["updatePreferences"]
    assert saved["errors"] == []
    expected = {
        "favoriteGenres": [
            {"tmdbId": SCIENCE_FICTION, "name": "Science Fiction"},
            {"tmdbId": ACTION, "name": "Action"},
        ],
        "dislikedGenres": [{"tmdbId": HORROR, "name": "Horror"}],
        "favoritePeople": [{"tmdbId": KEANU, "name": "Keanu Reeves"}],
        "favoriteMovies": [
            {"tmdbId": INCEPTION, "title": "Inception"},
            {"tmdbId": MATRIX, "title": "The Matrix"},
        ],
    }
    assert saved["preferences"] == expected
    assert (await gql(VIEWER_PREFERENCES, token=user.token))["data"]["viewer"]["preferences"] == expected

    # Every problem is reported, and nothing is written, not even the valid lists.
    for bad_input, problems in (
        ({"favoriteGenres": [ACTION, 4242]}, [(["input", "favoriteGenres"], "GENRE_NOT_FOUND")]),
        (
            {"favoriteGenres": [HORROR, ACTION], "dislikedGenres": [ACTION]},
            [(["input", "dislikedGenres"], "CONFLICTING_GENRES")],
        ),
        (
            {
                "favoriteGenres": [],
                "favoritePeople": [987_654_321],
                "favoriteMovies": [UNKNOWN_MOVIE, MATRIX],
            },
            [
                (["input", "favoritePeople"], "PERSON_NOT_FOUND"),
                (["input", "favoriteMovies"], "MOVIE_NOT_FOUND"),
            ],
        ),
        ({"favoriteMovies": [0]}, [(["input", "favoriteMovies"], "MOVIE_NOT_FOUND")]),
    ):
        refused = (await gql(UPDATE_PREFERENCES, {"input": bad_input}, token=user.token))["data"][
            "updatePreferences"
        ]
        assert refused["preferences"] is None
        assert [(e["field"], e["code"]) for e in refused["errors"]] == problems, bad_input
        assert (await gql(VIEWER_PREFERENCES, token=user.token))["data"]["viewer"]["preferences"] == expected

    # Omitted lists stay, empty lists clear, duplicates collapse in order.
    partial = {"favoriteMovies": [MATRIX, INCEPTION, MATRIX], "favoritePeople": []}
    changed = (await gql(UPDATE_PREFERENCES, {"input": partial}, token=user.token))["data"][
        "updatePreferences"
    ]
    assert changed["preferences"] == {
        **expected,
        "favoritePeople": [],
        "favoriteMovies": [
            {"tmdbId": MATRIX, "title": "The Matrix"},
            {"tmdbId": INCEPTION, "title": "Inception"},
        ],
    }


# -- stats -----------------------------------------------------------------------------------------


async def test_stats(gql: GraphQLClient) -> None:
    user = await member(gql)
    zero = (await gql(STATS, token=user.token))["data"]["viewer"]["stats"]
    assert zero == {
        "seenCount": 0,
        "watchLaterCount": 0,
        "ratingsCount": 0,
        "averageRating": None,
        "minutesWatched": 0,
        "topGenres": [],
        "top3": [],
    }
    facts = {}
    for movie in [*STATS_MOVIES.values(), STATS_NOT_INTERESTED]:
        facts[movie] = (await gql(MOVIE_FACTS, {"movie": movie}))["data"]["movie"]
    await set_kind(gql, user, STATS_MOVIES["seen"], "SEEN")
    await set_kind(gql, user, STATS_MOVIES["liked"], "LIKED")
    await rate(gql, user, STATS_MOVIES["rated_well"], 4.0)
    await rate(gql, user, STATS_MOVIES["rated_badly"], 2.0)
    await set_kind(gql, user, STATS_MOVIES["later"], "WATCH_LATER")
    await set_kind(gql, user, STATS_NOT_INTERESTED, "NOT_INTERESTED")
    seen = [
        STATS_MOVIES["seen"],
        STATS_MOVIES["rated_well"],
        STATS_MOVIES["rated_badly"],
    ]  # rating marks SEEN
    engaged = [*seen, STATS_MOVIES["liked"]]  # seen, liked, favourite or rated >= 3.5
    tally: dict[int, int] = {}
    for movie in engaged:
        for genre in facts[movie]["genres"]:
            tally[genre["tmdbId"]] = tally.get(genre["tmdbId"], 0) + 1
    top = [genre for genre, _ in sorted(tally.items(), key=lambda kv: (-kv[1], kv[0]))]
    stats = (await gql(STATS, token=user.token))["data"]["viewer"]["stats"]
    assert stats == {
        "seenCount": 3,
        "watchLaterCount": 1,
        "ratingsCount": 2,
        "averageRating": 3.0,
        "minutesWatched": sum(facts[movie]["runtime"] for movie in seen),
        "topGenres": [{"tmdbId": genre} for genre in top[:5]],
        "top3": [{"tmdbId": genre} for genre in top[:3]],
    }
    assert stats["minutesWatched"] == 114 + 155 + 116  # the catalog's runtimes of the three seen movies
    bad = await gql("{ viewer { stats { topGenres(first: 20) { tmdbId } } } }", token=user.token)
    assert error_codes(bad) == ["BAD_USER_INPUT"]


# -- viewer fields and paging ----------------------------------------------------------------------


async def test_viewer_fields_on_movie_are_the_viewers_own(gql: GraphQLClient) -> None:
    user = await member(gql)
    await set_kind(gql, user, RELOADED, "LIKED")
    await rate(gql, user, RELOADED, 4.5)
    query = """{ movie(tmdbId: 604) { viewerInteractions viewerRating }
                 trending(first: 40, includeHidden: true) { nodes { tmdbId viewerInteractions viewerRating } } }"""
    mine = (await gql(query, token=user.token))["data"]
    assert sorted(mine["movie"]["viewerInteractions"]) == ["LIKED", "SEEN"]
    assert mine["movie"]["viewerRating"] == 4.5
    others = [n for n in mine["trending"]["nodes"] if n["tmdbId"] != RELOADED]
    assert others and all(n["viewerInteractions"] == [] and n["viewerRating"] is None for n in others)
    anonymous = (await gql(query))["data"]
    assert anonymous["movie"] == {"viewerInteractions": [], "viewerRating": None}
    stranger = await member(gql)
    assert (await gql(query, token=stranger.token))["data"]["movie"] == {
        "viewerInteractions": [],
        "viewerRating": None,
    }


async def test_interactions_and_ratings_are_paginated_newest_first(gql: GraphQLClient) -> None:
    user = await member(gql)
    movies = [MATRIX, RELOADED, REVOLUTIONS, INCEPTION, INTERSTELLAR]
    for movie in movies:
        await set_kind(gql, user, movie, "WATCH_LATER")
    await set_kind(gql, user, MATRIX, "LIKED")
    first = (await gql(INTERACTIONS, {"first": 2}, token=user.token))["data"]["viewer"]["interactions"]
    assert first["totalCount"] == 6 and first["pageInfo"]["hasNextPage"] is True
    collected = [(e["node"]["kind"], e["node"]["movie"]["tmdbId"]) for e in first["edges"]]
    after = first["pageInfo"]["endCursor"]
    while after:
        page = (await gql(INTERACTIONS, {"first": 2, "after": after}, token=user.token))["data"]["viewer"][
            "interactions"
        ]
        collected += [(e["node"]["kind"], e["node"]["movie"]["tmdbId"]) for e in page["edges"]]
        after = page["pageInfo"]["endCursor"] if page["pageInfo"]["hasNextPage"] else None
    assert collected == [("LIKED", MATRIX), *[("WATCH_LATER", m) for m in reversed(movies)]]
    liked = (await gql(INTERACTIONS, {"kind": "LIKED"}, token=user.token))["data"]["viewer"]["interactions"]
    assert liked["totalCount"] == 1 and liked["edges"][0]["node"]["movie"]["tmdbId"] == MATRIX
    for value, movie in zip((1.0, 2.0, 3.0), movies, strict=False):
        await rate(gql, user, movie, value)
    ratings = (await gql(RATINGS, {"first": 2}, token=user.token))["data"]["viewer"]["ratings"]
    assert ratings["totalCount"] == 3 and [n["value"] for n in ratings["nodes"]] == [3.0, 2.0]
    rest = (await gql(RATINGS, {"first": 2, "after": ratings["pageInfo"]["endCursor"]}, token=user.token))[
        "data"
    ]
    assert [n["value"] for n in rest["viewer"]["ratings"]["nodes"]] == [1.0]
    tampered = await gql(INTERACTIONS, {"after": "bm9wZQ"}, token=user.token)
    assert error_codes(tampered) == ["BAD_USER_INPUT"]
    assert error_codes(await gql(INTERACTIONS, {"first": 101}, token=user.token)) == ["BAD_USER_INPUT"]


# -- permissions and bad input ---------------------------------------------------------------------

PRIVATE_FIELDS = {
    "interactions": "interactions { totalCount }",
    "ratings": "ratings { totalCount }",
    "watchHistory": "watchHistory { totalCount }",
    "preferences": "preferences { favoriteMovies { tmdbId } }",
    "stats": "stats { seenCount topGenres { tmdbId } }",
}


async def test_another_users_library_is_forbidden_but_admins_may_read_it(
    gql: GraphQLClient, app: Starlette
) -> None:
    owner = await member(gql, name="Owner")
    await rate(gql, owner, INCEPTION, 4.0)
    await gql(TRACK, {"movie": INCEPTION}, token=owner.token)
    await gql(UPDATE_PREFERENCES, {"input": {"favoriteMovies": [INCEPTION]}}, token=owner.token)
    facts = (await gql(MOVIE_FACTS, {"movie": INCEPTION}))["data"]["movie"]
    inception_genres = sorted(genre["tmdbId"] for genre in facts["genres"])  # one movie: ties, by id
    expected = {
        "interactions": {"totalCount": 1},
        "ratings": {"totalCount": 1},
        "watchHistory": {"totalCount": 1},
        "preferences": {"favoriteMovies": [{"tmdbId": INCEPTION}]},
        "stats": {"seenCount": 1, "topGenres": [{"tmdbId": g} for g in inception_genres[:5]]},
    }
    stranger = await member(gql, name="Stranger")
    moderator = await promoted(gql, app, "MODERATOR")
    admin = await promoted(gql, app, "ADMIN")
    for field, selection in PRIVATE_FIELDS.items():
        query = f"query($id: ID!) {{ node(id: $id) {{ ... on User {{ {selection} }} }} }}"
        for outsider, code in ((stranger, "FORBIDDEN"), (moderator, "FORBIDDEN"), (None, "UNAUTHENTICATED")):
            refused = await gql(query, {"id": owner.id}, token=outsider.token if outsider else None)
            assert error_codes(refused) == [code], (field, refused)
            assert refused["data"] == {"node": None}
        for reader in (owner, admin):
            allowed = await gql(query, {"id": owner.id}, token=reader.token)
            assert "errors" not in allowed, allowed
            assert allowed["data"]["node"] == {field: expected[field]}, field


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (SET, {"movie": MATRIX, "kind": "SEEN"}),
        (REMOVE, {"movie": MATRIX, "kind": "SEEN"}),
        (RATE, {"movie": MATRIX, "value": 4.0}),
        (UNRATE, {"movie": MATRIX}),
        (CREATE_REVIEW, {"movie": MATRIX, "body": "Anonymous"}),
        (UPDATE_REVIEW, {"id": review_id(1), "body": "Anonymous"}),
        (DELETE_REVIEW, {"id": review_id(1)}),
        (UPDATE_PREFERENCES, {"input": {"favoriteMovies": [MATRIX]}}),
    ],
    ids=["set", "remove", "rate", "unrate", "create-review", "update-review", "delete-review", "preferences"],
)
async def test_viewer_only_mutations_refuse_anonymous_callers(
    gql: GraphQLClient, query: str, variables: dict[str, Any]
) -> None:
    found = await gql(query, variables)
    assert error_codes(found) == ["UNAUTHENTICATED"]
    assert found["data"] is None


async def test_unknown_movie_ids_are_user_errors_and_write_nothing(
    gql: GraphQLClient, app: Starlette
) -> None:
    user = await member(gql)
    for movie in (UNKNOWN_MOVIE, 0, -603):
        for query, variables, name in (
            (SET, {"kind": "LIKED"}, "setInteraction"),
            (REMOVE, {"kind": "LIKED"}, "removeInteraction"),
            (RATE, {"value": 4.0}, "rateMovie"),
            (CREATE_REVIEW, {"body": "Which movie?"}, "createReview"),
            (TRACK, {}, "trackView"),
        ):
            for token in (user.token, None) if name == "trackView" else (user.token,):
                found = await gql(query, {"movie": movie, **variables}, token=token)
                assert "errors" not in found, found
                errors = found["data"][name]["errors"]
                assert [(e["field"], e["code"]) for e in errors] == [(["movieId"], "MOVIE_NOT_FOUND")], (
                    name,
                    movie,
                )
    counts = await rows_of_user(app, user.pk)
    assert {name: counts[name] for name in ("interactions", "ratings", "reviews", "watch_events")} == {
        "interactions": 0,
        "ratings": 0,
        "reviews": 0,
        "watch_events": 0,
    }
    async with app.state.services.sessions() as session:
        assert await session.get(MovieRow, UNKNOWN_MOVIE) is None
        orphans = select(func.count()).where(WatchEventRow.movie_id.in_([UNKNOWN_MOVIE, 0, -603]))
        assert (await session.execute(orphans)).scalar_one() == 0


# -- data safety -----------------------------------------------------------------------------------


async def test_uniqueness_is_enforced_by_the_database(gql: GraphQLClient, app: Starlette) -> None:
    user = await member(gql)
    await set_kind(gql, user, REVOLUTIONS, "LIKED")
    await rate(gql, user, REVOLUTIONS, 3.0)
    await create_review(gql, user, "Once", movie=REVOLUTIONS)
    for duplicate in (
        InteractionRow(user_id=user.pk, movie_id=REVOLUTIONS, kind="LIKED"),
        RatingRow(user_id=user.pk, movie_id=REVOLUTIONS, value=1.0),
        ReviewRow(user_id=user.pk, movie_id=REVOLUTIONS, body="Twice"),
    ):
        with pytest.raises(IntegrityError):
            async with app.state.services.sessions.begin() as session:
                session.add(duplicate)
    counts = await rows_of_user(app, user.pk)
    assert (counts["interactions"], counts["ratings"], counts["reviews"]) == (2, 1, 1)  # LIKED, SEEN


async def test_delete_user_removes_the_whole_library(gql: GraphQLClient, app: Starlette) -> None:
    user = await member(gql, name="Leaving")
    await set_kind(gql, user, DELETED_USERS_MOVIE, "LIKED")
    await set_kind(gql, user, MATRIX, "WATCH_LATER")
    await rate(gql, user, DELETED_USERS_MOVIE, 1.0)
    await create_review(gql, user, "Bye", movie=DELETED_USERS_MOVIE)
    await gql(TRACK, {"movie": DELETED_USERS_MOVIE}, token=user.token)
    await gql(
        UPDATE_PREFERENCES,
        {"input": {"favoriteGenres": [ACTION], "favoriteMovies": [MATRIX]}},
        token=user.token,
    )
    stays = await member(gql, name="Staying")
    await rate(gql, stays, DELETED_USERS_MOVIE, 5.0)
    await create_review(gql, stays, "Still here", movie=DELETED_USERS_MOVIE)
    before = await rows_of_user(app, user.pk)
    assert before == {
        "interactions": 3,  # LIKED, WATCH_LATER and the SEEN of the rating
        "ratings": 1,
        "reviews": 1,
        "watch_events": 1,
        "preferences": 2,
        "refresh_tokens": 1,
        "user_roles": 1,
    }
    stays_before = await rows_of_user(app, stays.pk)
    admin = await promoted(gql, app, "ADMIN")
    deleted = await gql(
        "mutation($u: ID!) { deleteUser(userId: $u) { ok errors { code } } }",
        {"u": user.id},
        token=admin.token,
    )
    assert deleted["data"]["deleteUser"] == {"ok": True, "errors": []}
    assert set((await rows_of_user(app, user.pk)).values()) == {0}
    assert await rows_of_user(app, stays.pk) == stays_before
    movie = (await gql(MOVIE_REVIEWS, {"movie": DELETED_USERS_MOVIE, "first": 10}, token=admin.token))[
        "data"
    ]["movie"]
    assert movie["averageUserRating"] == 5.0
    assert [e["node"]["author"]["id"] for e in movie["reviews"]["edges"]] == [stays.id]
