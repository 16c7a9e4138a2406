"""The chat assistant's understanding layer: message -> filters (rules EN/FR, or an LLM), replies."""

from reelgraph.chat.engine import ChatEngine
from reelgraph.chat.entities import CatalogEntityResolver, EntityResolver
from reelgraph.chat.filters import ChatFilterState
from reelgraph.chat.llm import ChatEngineError, LLMConfig, LLMEngine
from reelgraph.chat.replies import compose_reply, describe_filters, relaxation_candidates
from reelgraph.chat.rules import RuleParser

__all__ = [
    "CatalogEntityResolver",
    "ChatEngine",
    "ChatEngineError",
    "ChatFilterState",
    "EntityResolver",
    "LLMConfig",
    "LLMEngine",
    "RuleParser",
    "compose_reply",
    "describe_filters",
    "relaxation_candidates",
]
