"""The chat engine facade: understands a message with the LLM when one is configured, else (and
whenever the LLM fails) with the rule parser; writes the reply text."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from reelgraph.chat.entities import EntityResolver
from reelgraph.chat.filters import ChatFilterState
from reelgraph.chat.llm import ChatEngineError, LLMConfig, LLMEngine
from reelgraph.chat.replies import compose_reply
from reelgraph.chat.rules import RuleParser
from reelgraph.text import is_french

logger = logging.getLogger("reelgraph.chat")

DEFAULT_LLM_TIMEOUT_SECONDS = 8.0


class ChatEngine:
    """``understand`` one message into the filters in force; never raises for model trouble."""

    def __init__(
        self,
        resolver: EntityResolver,
        *,
        llm: LLMEngine | None = None,
        reference_year: int | None = None,
    ) -> None:
        self.rules = RuleParser(resolver, reference_year=reference_year)
        self.llm = llm

    @classmethod
    def from_settings(
        cls, settings: Any, resolver: EntityResolver, *, reference_year: int | None = None
    ) -> ChatEngine:
        """The LLM when ``settings.openai_api_key`` is set (OPENAI_API_KEY), else rules only."""
        llm: LLMEngine | None = None
        api_key = getattr(settings, "openai_api_key", None)
        if api_key:
            config = LLMConfig(
                api_key=api_key,
                base_url=getattr(settings, "openai_base_url", None),
                model=getattr(settings, "openai_model", None) or "gpt-4o-mini",
                timeout_seconds=float(
                    getattr(settings, "openai_timeout_seconds", DEFAULT_LLM_TIMEOUT_SECONDS)
                ),
            )
            llm = LLMEngine(config, resolver, reference_year=reference_year)
        return cls(resolver, llm=llm, reference_year=reference_year)

    @property
    def uses_llm(self) -> bool:
        return self.llm is not None

    async def understand(
        self,
        message: str,
        previous: ChatFilterState | None,
        visible_ids: Sequence[int],
        language: str | None,
        *,
        history: Sequence[tuple[str, str]] = (),
    ) -> ChatFilterState:
        """The filters in force after ``message``. ``previous`` is the state after the last turn,
        ``visible_ids`` the TMDb ids the client shows now (in order), ``language`` the request
        language ("fr-FR", "en"...), ``history`` optional (role, text) pairs for the LLM."""
        started = time.perf_counter()
        if self.llm is not None:
            reply_language = _language(language, previous)
            try:
                state = await self.llm.understand(message, previous, visible_ids, reply_language, history)
                _log(state, started)
                return state
            except ChatEngineError as exc:
                # Only the reason is logged: messages are user content.
                logger.warning("chat: LLM failed (%s), falling back to rules", exc)
        state = await self.rules.parse(message, previous, visible_ids, language)
        _log(state, started)
        return state

    @staticmethod
    def reply(
        state: ChatFilterState,
        titles: Sequence[str],
        language: str | None = None,
        *,
        relaxed: Sequence[str] = (),
        choices: Sequence[tuple[str, int | None]] = (),
        signed_in: bool = False,
    ) -> str:
        return compose_reply(state, titles, language, relaxed=relaxed, choices=choices, signed_in=signed_in)

    async def aclose(self) -> None:
        if self.llm is not None:
            await self.llm.aclose()


def _language(language: str | None, previous: ChatFilterState | None) -> str:
    if language:
        return "fr" if is_french(language) else "en"
    return previous.language if previous is not None else "en"


def _log(state: ChatFilterState, started: float) -> None:
    logger.debug(
        "chat: intent=%s source=%s in %.1f ms",
        state.intent,
        state.source,
        (time.perf_counter() - started) * 1000,
    )
