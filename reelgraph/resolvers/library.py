"""Mutation.updatePreferences, setInteraction, removeInteraction, rateMovie, removeRating,
createReview, updateReview, deleteReview, trackView: each one transaction in LibraryService."""

from __future__ import annotations

import strawberry

from reelgraph.schema import ids
from reelgraph.schema.catalog.types import Movie
from reelgraph.schema.context import Info
from reelgraph.schema.errors import OkPayload, user_errors
from reelgraph.schema.library.types import (
    Interaction,
    InteractionKind,
    InteractionPayload,
    Preferences,
    PreferencesInput,
    PreferencesPayload,
    Rating,
    RatingPayload,
    Review,
    ReviewPayload,
)


def review_pk(global_id: strawberry.ID) -> int:
    return ids.row_argument(global_id, "Review", "id")


async def _movie_after_change(info: Info, movie_id: int) -> Movie:
    info.context.loaders.forget_library()
    return await Movie.load(info, movie_id)


@user_errors(InteractionPayload)
async def set_interaction(info: Info, movie_id: int, kind: InteractionKind) -> InteractionPayload:
    viewer = await info.context.signed_in_viewer()
    result = await info.context.services.library.set_interaction(viewer.id, movie_id, kind.value)
    interaction = Interaction.from_row(result.interaction) if result.interaction else None
    return InteractionPayload(interaction=interaction, movie=await _movie_after_change(info, movie_id))


@user_errors(InteractionPayload)
async def remove_interaction(info: Info, movie_id: int, kind: InteractionKind) -> InteractionPayload:
    viewer = await info.context.signed_in_viewer()
    await info.context.services.library.remove_interaction(viewer.id, movie_id, kind.value)
    return InteractionPayload(movie=await _movie_after_change(info, movie_id))


@user_errors(RatingPayload)
async def rate_movie(info: Info, movie_id: int, value: float) -> RatingPayload:
    viewer = await info.context.signed_in_viewer()
    rating = await info.context.services.library.rate(viewer.id, movie_id, value)
    info.context.loaders.forget_library()
    return RatingPayload(rating=Rating.from_row(rating))


@user_errors(OkPayload)
async def remove_rating(info: Info, movie_id: int) -> OkPayload:
    viewer = await info.context.signed_in_viewer()
    await info.context.services.library.remove_rating(viewer.id, movie_id)
    info.context.loaders.forget_library()
    return OkPayload(ok=True)


@user_errors(ReviewPayload)
async def create_review(info: Info, movie_id: int, body: str, rating: float | None = None) -> ReviewPayload:
    viewer = await info.context.signed_in_viewer()
    review = await info.context.services.library.create_review(viewer.id, movie_id, body, rating)
    return ReviewPayload(review=Review.from_row(review))


@user_errors(ReviewPayload)
async def update_review(
    info: Info, id: strawberry.ID, body: str | None = None, rating: float | None = None
) -> ReviewPayload:
    viewer = await info.context.signed_in_viewer()
    review = await info.context.services.library.update_review(viewer.id, review_pk(id), body, rating)
    return ReviewPayload(review=Review.from_row(review))


@user_errors(OkPayload)
async def delete_review(info: Info, id: strawberry.ID) -> OkPayload:
    # Author, MODERATOR or ADMIN: the rule needs the review, so the service applies it.
    viewer = await info.context.signed_in_viewer()
    await info.context.services.library.delete_review(viewer.id, viewer.roles, review_pk(id))
    return OkPayload(ok=True)


@user_errors(OkPayload)
async def track_view(info: Info, movie_id: int) -> OkPayload:
    viewer = await info.context.viewer()
    await info.context.services.library.track_view(
        viewer.id if viewer else None, info.context.client_ip, movie_id
    )
    return OkPayload(ok=True)


@user_errors(PreferencesPayload)
async def update_preferences(info: Info, input: PreferencesInput) -> PreferencesPayload:
    viewer = await info.context.signed_in_viewer()
    changes = {
        "favorite_genres": input.favorite_genres,
        "disliked_genres": input.disliked_genres,
        "favorite_people": input.favorite_people,
        "favorite_movies": input.favorite_movies,
    }
    language = await info.context.language(None)
    await info.context.services.library.update_preferences(viewer.id, changes, language)
    return PreferencesPayload(preferences=await Preferences.load(info, viewer.id))
