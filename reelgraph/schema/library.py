"""Library entry points: the viewer's mutations (each one transaction)."""

from __future__ import annotations

import strawberry

from reelgraph.resolvers import library
from reelgraph.schema.types.library import (
    InteractionPayload,
    PreferencesPayload,
    RatingPayload,
    ReviewPayload,
)
from reelgraph.schema.types.payloads import OkPayload


@strawberry.type
class LibraryMutation:
    update_preferences: PreferencesPayload = strawberry.mutation(resolver=library.update_preferences)
    set_interaction: InteractionPayload = strawberry.mutation(resolver=library.set_interaction)
    remove_interaction: InteractionPayload = strawberry.mutation(resolver=library.remove_interaction)
    rate_movie: RatingPayload = strawberry.mutation(resolver=library.rate_movie)
    remove_rating: OkPayload = strawberry.mutation(resolver=library.remove_rating)
    create_review: ReviewPayload = strawberry.mutation(resolver=library.create_review)
    update_review: ReviewPayload = strawberry.mutation(
        resolver=library.update_review, description="Author only."
    )
    delete_review: OkPayload = strawberry.mutation(
        resolver=library.delete_review, description="Author, MODERATOR or ADMIN."
    )
    track_view: OkPayload = strawberry.mutation(
        resolver=library.track_view,
        description="Signed-in or anonymous; feeds watch history and local trending.",
    )
