"""Builds the Strawberry schema from each domain's Query and Mutation parts."""

from __future__ import annotations

from collections.abc import Callable

import strawberry
from graphql import GraphQLError, NoSchemaIntrospectionCustomRule
from strawberry import relay
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    SchemaExtension,
)
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from reelgraph.config import Settings
from reelgraph.ratelimit import RateLimitExtension
from reelgraph.schema.accounts import AccountMutation, AccountQuery
from reelgraph.schema.analytics import AnalyticsQuery
from reelgraph.schema.catalog import CatalogMutation, CatalogQuery
from reelgraph.schema.chat import ChatMutation, ChatQuery, Subscription
from reelgraph.schema.cost import CostAnalyzer, QueryCost
from reelgraph.schema.documents import DocumentCache, ValidatedDocuments
from reelgraph.schema.errors import CodedErrors, ResponseCacheMarker, apply_code, mask_unexpected
from reelgraph.schema.library import LibraryMutation
from reelgraph.schema.shape_limits import ShapeLimits
from reelgraph.schema.token_budget import TokenBudget
from reelgraph.schema.types.catalog import GenreType, MovieType, PersonType
from reelgraph.schema.types.chat import ChatSessionType
from reelgraph.schema.types.library import InteractionType, ReviewType
from reelgraph.schema.types.user import UserType


class Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Errors raised before execution (parse, validation, an extension's hook) skip CodedErrors'
        # post-processing: code them here, and mask what nobody expected rather than leak it.
        for error in errors:
            if not apply_code(error):
                mask_unexpected(error)


def build_schema(settings: Settings | None = None) -> Schema:
    settings = settings or Settings()

    # Made per schema: relay.node() fields cannot be shared between two schemas.
    @strawberry.type
    class NodeQuery:
        node: relay.Node | None = relay.node()

    query = merge_types("Query", (NodeQuery, AccountQuery, CatalogQuery, ChatQuery, AnalyticsQuery))
    mutation = merge_types("Mutation", (AccountMutation, LibraryMutation, ChatMutation, CatalogMutation))
    # Made once: the document cache keys on the rule classes, so rules made anew per request
    # would make every validation a cache miss.
    extra_rules = [] if settings.introspection_enabled else [NoSchemaIntrospectionCustomRule]
    shape = ShapeLimits(
        max_depth=settings.max_query_depth,
        max_aliases=settings.max_aliases,
        max_repeats=settings.max_field_repeats,
    )
    documents = DocumentCache(max_tokens=settings.document_cache_tokens)  # shared by all requests
    cost = CostAnalyzer(max_cost=settings.max_query_cost)  # one per schema: its cache is shared
    # Factories, not instances: Strawberry makes fresh extension objects per request.
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        CodedErrors,
        ResponseCacheMarker,
        # The fast count first; graphql-core's exact one for what gets through.
        lambda: TokenBudget(settings.max_tokens, settings.max_query_length),
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        lambda: AddValidationRules(extra_rules),  # __typename stays allowed without introspection
        lambda: ValidatedDocuments(documents, shape),
        # on_execute, in this order: the cost (CPU only) before the limits (a storage round trip).
        lambda: QueryCost(cost, settings.max_upstream_calls),
        RateLimitExtension,
    ]
    return Schema(
        query=query,
        mutation=mutation,
        subscription=Subscription,
        types=[UserType, MovieType, PersonType, GenreType, InteractionType, ReviewType, ChatSessionType],
        extensions=extensions,
    )


# `strawberry export-schema reelgraph.schema:schema` reads this.
schema = build_schema()
