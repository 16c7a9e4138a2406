"""Builds the Strawberry schema from each domain's Query and Mutation parts."""

from __future__ import annotations

from collections.abc import Callable

import strawberry
from graphql import GraphQLError, NoSchemaIntrospectionCustomRule
from strawberry import relay
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
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
from reelgraph.schema.errors import CodedErrors, ResponseCacheMarker, apply_code
from reelgraph.schema.library import LibraryMutation
from reelgraph.schema.types.catalog import GenreType, MovieType, PersonType
from reelgraph.schema.types.chat import ChatSessionType
from reelgraph.schema.types.library import InteractionType, ReviewType
from reelgraph.schema.types.user import UserType


class Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Parse errors can bypass extensions' post-processing: code them here too. Unexpected
        # errors are logged and masked by CodedErrors; expected ones are not worth a traceback.
        for error in errors:
            apply_code(error)


def build_schema(settings: Settings | None = None) -> Schema:
    settings = settings or Settings()

    # Made per schema: relay.node() fields cannot be shared between two schemas.
    @strawberry.type
    class NodeQuery:
        node: relay.Node | None = relay.node()

    query = merge_types("Query", (NodeQuery, AccountQuery, CatalogQuery, ChatQuery, AnalyticsQuery))
    mutation = merge_types("Mutation", (AccountMutation, LibraryMutation, ChatMutation, CatalogMutation))
    # The limiters' rule classes are made once: ValidationCache keys on them, so rules made anew
    # per request would make every validation a cache miss.
    limit_rules = [
        *QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
    ]
    if not settings.introspection_enabled:
        limit_rules.append(NoSchemaIntrospectionCustomRule)  # __typename stays allowed
    cost = CostAnalyzer(max_cost=settings.max_query_cost)  # one per schema: its cache is shared
    # Factories, not instances: Strawberry makes fresh extension objects per request.
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        CodedErrors,
        ResponseCacheMarker,
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        lambda: ParserCache(maxsize=512),
        lambda: AddValidationRules(limit_rules),
        lambda: ValidationCache(maxsize=512),
        # on_execute, in this order: the cost (CPU only) before the limits (a storage round trip).
        lambda: QueryCost(cost),
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
