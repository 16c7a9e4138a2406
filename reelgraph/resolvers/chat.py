"""Query.chatSession; Mutation.chat; Subscription.chatStream: one assistant turn each."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import strawberry

from reelgraph.schema import ids
from reelgraph.schema.catalog.types import Movie
from reelgraph.schema.chat.types import ChatDelta, ChatFilters, ChatIntent, ChatPayload, ChatSession
from reelgraph.schema.context import Info
from reelgraph.schema.errors import user_errors


def session_pk(global_id: strawberry.ID | None, argument: str = "sessionId") -> str | None:
    return None if global_id is None else ids.session_argument(global_id, argument)


@user_errors(ChatPayload)
async def chat(
    info: Info,
    message: str,
    session_id: strawberry.ID | None = None,
    visible_movie_ids: list[int] | None = None,
    language: str | None = None,
) -> ChatPayload:
    viewer = await info.context.viewer()
    lang = await info.context.language(language)
    answer = await info.context.services.chat.answer(
        info.context.loaders,
        message,
        session_pk(session_id),
        list(visible_movie_ids or []),
        viewer.id if viewer else None,
        await info.context.caller_key(),
        lang,
    )
    # Titles and genres in the message's language (the answer's), not only the request's.
    lang = answer.language
    filters = await ChatFilters.load(info, answer.state, lang)
    return ChatPayload(
        session=ChatSession.of(answer.session, answer.messages, filters),
        reply=answer.reply,
        intent=ChatIntent(answer.state.intent),
        filters=filters,
        movies=Movie.many(answer.movies, lang),
        choices=Movie.many(answer.choices, lang),
        relaxed=list(answer.relaxed),
    )


async def chat_stream(
    info: Info,
    message: str,
    session_id: strawberry.ID | None = None,
    visible_movie_ids: list[int] | None = None,
    language: str | None = None,
) -> AsyncGenerator[ChatDelta, None]:
    payload = await chat(info, message, session_id, visible_movie_ids, language)
    # The reply goes out a few words at a time, the way a model streams it; the last delta
    # carries the whole payload (movies, filters, session).
    words = payload.reply.split(" ")
    for start in range(0, len(words), 4):
        chunk = " ".join(words[start : start + 4])
        yield ChatDelta(text=chunk if start == 0 else " " + chunk, done=False)
        await asyncio.sleep(0)
    yield ChatDelta(text="", done=True, payload=payload)


async def chat_session(info: Info, id: strawberry.ID) -> ChatSession | None:
    pk = session_pk(id, "id")
    if pk is None:
        return None
    found: list[ChatSession | None] = await ChatSession.resolve_nodes(info=info, node_ids=[pk])
    return found[0]
