"""Assistant entry points: the chat mutation, the chatStream subscription, chatSession."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from strawberry.types import Info

from reelgraph.resolvers import chat
from reelgraph.schema.types.chat import ChatDelta, ChatPayload, ChatSessionType


@strawberry.type
class ChatQuery:
    chat_session: ChatSessionType | None = strawberry.field(resolver=chat.chat_session)


@strawberry.type
class ChatMutation:
    chat: ChatPayload = strawberry.mutation(
        resolver=chat.chat,
        description=(
            "One turn of the assistant. visibleMovieIds: TMDb ids the client shows now, so that "
            "'the second one' or 'not these' can be resolved."
        ),
    )


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Streams one assistant turn as it is produced.")
    async def chat_stream(
        self,
        info: Info,
        message: str,
        session_id: strawberry.ID | None = None,
        visible_movie_ids: list[int] | None = None,
        language: str | None = None,
    ) -> AsyncGenerator[ChatDelta, None]:
        async for delta in chat.chat_stream(info, message, session_id, visible_movie_ids, language):
            yield delta
